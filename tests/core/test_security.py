import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from joserfc.jwk import OKPKey

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)


def test_every_page_sends_the_security_headers(client, course):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def _run_manage(args: list[str], env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_variables():
    result = _run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "production-like-secret-" + "z9" * 20,
            "ALLOWED_HOSTS": "courses.example.com",
            "DJANGO_SETTINGS_MODULE": "courseplatform.settings",
            # Credentials are signed with a key of their own (without it: credentials.W001).
            "CREDENTIALS_SIGNING_KEY": json.dumps(OKPKey.generate_key("Ed25519").as_dict(private=True)),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_credentials_would_be_signed_with_a_derived_key():
    result = _run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "production-like-secret-" + "z9" * 20,
            "ALLOWED_HOSTS": "courses.example.com",
            "DJANGO_SETTINGS_MODULE": "courseplatform.settings",
        },
    )
    assert result.returncode != 0
    assert "credentials.W001" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_manage(
        ["check"], {"DEBUG": "false", "SECRET_KEY": "", "DJANGO_SETTINGS_MODULE": "courseplatform.settings"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_malformed_setting_fails_loudly():
    result = _run_manage(
        ["check"],
        {"DEBUG": "true", "DATABASE_URL": "notascheme://x", "DJANGO_SETTINGS_MODULE": "courseplatform.settings"},
    )
    assert result.returncode != 0


def test_production_sets_hsts_and_secure_cookies():
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update({"DEBUG": "false", "SECRET_KEY": "s" * 60, "DJANGO_SETTINGS_MODULE": "courseplatform.settings"})
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["31536000", "True", "True", "True"], result.stderr
