"""Domain settings come from the environment and a bad value stops start-up with a message
that names the variable (courseplatform/settings.py, docs/configuration.md)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def _settings_value(name: str, overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "courseplatform.settings", **overrides})
    code = f"from django.conf import settings; print(settings.{name})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_domain_settings_have_their_documented_defaults():
    assert settings.PORTFOLIO_HEAD_CACHE_SECONDS == 60
    assert settings.PORTFOLIO_PAGE_CACHE_SECONDS == 3600
    assert settings.PORTFOLIO_LOCAL_PAGES == 200


def test_a_domain_setting_is_read_from_the_environment():
    result = _settings_value("REPORTS_CHUNK_SIZE", {"REPORTS_CHUNK_SIZE": "500"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "500"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REPORTS_CHUNK_SIZE", "lots", "REPORTS_CHUNK_SIZE must be a whole number of students, not 'lots'."),
        (
            "PORTFOLIO_PAGE_CACHE_SECONDS",
            "0",
            "PORTFOLIO_PAGE_CACHE_SECONDS must be between 1 and 2592000 seconds, not 0.",
        ),
        ("REMINDERS_SWEEP_BATCH", "0", "REMINDERS_SWEEP_BATCH must be between 1 and 10000 students, not 0."),
        ("PORTFOLIO_LOCAL_PAGES", "-1", "PORTFOLIO_LOCAL_PAGES must be between 0 and 100000 pages, not -1."),
        ("PORTFOLIO_HEAD_CACHE_SECONDS", "1.5", "PORTFOLIO_HEAD_CACHE_SECONDS must be a whole number of seconds"),
    ],
)
def test_a_bad_domain_setting_stops_start_up_naming_the_variable(name, value, message):
    result = _settings_value(name, {name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
