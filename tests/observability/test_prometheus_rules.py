"""The alert and recording rules in deploy/prometheus: promtool accepts them and the scrape
configuration, their unit tests (deploy/prometheus/tests.yml) pass, and every series they
read is one the platform exports."""

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from django.conf import settings

PROMETHEUS = Path(settings.BASE_DIR) / "deploy" / "prometheus"
OUR_SERIES = re.compile(r"\b(?:django|courseplatform)_[a-z0-9_]+\b")
RECORDED = re.compile(r"\bcourseplatform:[a-z0-9_:]+\b")


def promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def rules(name: str) -> list[dict]:
    return [rule for group in yaml.safe_load((PROMETHEUS / name).read_text())["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_rules():
    result = promtool("check", "rules", "rules.yml", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 12 rules found" in result.stdout and "SUCCESS: 13 rules found" in result.stdout


def test_the_rules_unit_tests_pass():
    result = promtool("test", "rules", "tests.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_accepts_the_scrape_configuration(tmp_path):
    for name in ("rules.yml", "alerts.yml"):
        shutil.copy(PROMETHEUS / name, tmp_path / name)
    token = tmp_path / "token"
    token.write_text("scratch-token")
    config = (PROMETHEUS / "prometheus.yml").read_text()
    secret_path = "/etc/prometheus/secrets/courseplatform-metrics/token"
    assert config.count(secret_path) == 2
    (tmp_path / "prometheus.yml").write_text(config.replace(secret_path, str(token)))
    result = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_severity_and_a_runbook_section_in_the_operations_guide():
    operations = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text()
    for rule in rules("alerts.yml"):
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        anchor = f"runbook-{rule['alert'].lower()}"
        assert rule["annotations"]["runbook_url"] == f"docs/operations.md#{anchor}"
        assert f"### Runbook: {rule['alert']}" in operations, rule["alert"]


def test_the_rules_read_only_series_we_export_or_record(exported_series):
    recorded = {rule["record"] for rule in rules("rules.yml")}
    for rule in rules("rules.yml") + rules("alerts.yml"):
        used = set(OUR_SERIES.findall(rule["expr"]))
        assert used <= exported_series, (rule.get("alert") or rule.get("record"), used - exported_series)
        assert set(RECORDED.findall(rule["expr"])) <= recorded
