"""gunicorn's hooks for the metrics files (courseplatform/gunicorn.conf.py): the master empties
PROMETHEUS_MULTIPROC_DIR when it starts, so a previous run's processes are not added up with
the new ones, and marks each exited worker dead, so its live gauges go."""

import runpy
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings

CONFIG = Path(settings.BASE_DIR) / "courseplatform" / "gunicorn.conf.py"


def test_the_master_empties_the_metrics_directory_at_start_and_forgets_dead_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    config = runpy.run_path(str(CONFIG))
    for name in ("counter_111.db", "histogram_111.db", "gauge_livesum_222.db", "gauge_livesum_333.db"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "README").write_text("not ours")

    config["on_starting"](SimpleNamespace())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["README"]

    (tmp_path / "counter_222.db").write_bytes(b"")
    (tmp_path / "gauge_livesum_222.db").write_bytes(b"")
    (tmp_path / "gauge_livesum_333.db").write_bytes(b"")
    config["child_exit"](SimpleNamespace(), SimpleNamespace(pid=222))
    # Its counts stay in the totals; its live gauge goes; another worker's stays.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["README", "counter_222.db", "gauge_livesum_333.db"]


def test_json_logs_turn_gunicorns_text_access_log_off(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "plain")
    assert runpy.run_path(str(CONFIG))["accesslog"] == "-"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert runpy.run_path(str(CONFIG))["accesslog"] is None
