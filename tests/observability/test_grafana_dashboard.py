"""The Grafana dashboard in deploy/grafana: valid JSON Grafana can import, every panel placed
and described, and every query reads series the platform exports or the rules record."""

import json
import re
from pathlib import Path

import yaml
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"
OUR_SERIES = re.compile(r"\b(?:django|courseplatform)_[a-z0-9_]+\b")
RECORDED = re.compile(r"\bcourseplatform:[a-z0-9_:]+\b")


def dashboard() -> dict:
    return json.loads((DEPLOY / "grafana" / "courseplatform.json").read_text())


def panels() -> list[dict]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def test_the_dashboard_parses_with_unique_ids_and_a_datasource_variable():
    board = dashboard()
    assert board["uid"] == "courseplatform-overview" and board["title"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    assert [variable["name"] for variable in board["templating"]["list"]] == ["datasource"]
    assert len(panels()) >= 15


def test_every_panel_is_placed_described_and_queries_the_variable_datasource():
    for panel in panels():
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        assert panel["title"] and panel["description"], panel["id"]
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"] and all(target["expr"].strip() for target in panel["targets"])


def test_every_query_reads_series_we_export_or_record(exported_series):
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    recorded = {rule["record"] for group in rules["groups"] for rule in group["rules"]}
    for panel in panels():
        for target in panel["targets"]:
            used, used_recorded = set(OUR_SERIES.findall(target["expr"])), set(RECORDED.findall(target["expr"]))
            assert used | used_recorded, (panel["title"], target["expr"])  # every query reads something of ours
            assert used <= exported_series, (panel["title"], used - exported_series)
            assert used_recorded <= recorded, panel["title"]
