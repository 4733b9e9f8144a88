"""The package layers (.importlinter, docs/architecture.md) are checked, and a forbidden
import really fails the check: the contracts run against a copy of the code with one
import added."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _root_packages() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter"]["root_packages"].split()


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        # A terminal-wide line keeps each contract's name and verdict on one line.
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "400", "PYTHONPATH": str(cwd)},
        check=False,
    )


def test_every_app_package_is_under_the_contracts():
    """A new app must be placed in a layer, or nothing checks what it imports."""
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps <= set(_root_packages())


def test_the_code_keeps_every_import_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden_import", "broken_contract", "reported_import"),
    [
        # The brief's own example: accounts asking cohorts for a role.
        (
            "accounts/policies.py",
            "from cohorts.models import Membership",
            "Accounts know no cohorts or work BROKEN",
            "accounts.policies -> cohorts.models",
        ),
        # Plumbing reaching into a domain app.
        (
            "core/markdown.py",
            "import submissions.models",
            "Plumbing (core, the API machinery) imports no domain app BROKEN",
            "core.markdown -> submissions.models",
        ),
        # A lower domain app importing a higher one.
        (
            "cohorts/selectors.py",
            "from rubrics.models import Assessment",
            "domain apps import only downward, courseplatform composes them BROKEN",
            "cohorts.selectors -> rubrics.models",
        ),
        # The work does not know its portfolios.
        (
            "submissions/services.py",
            "from portfolios.models import Portfolio",
            "Work (submissions) knows neither its portfolios nor its reports BROKEN",
            "submissions.services -> portfolios.models",
        ),
        # A domain app importing the composition layer (the API router).
        (
            "reports/views.py",
            "from courseplatform import api_urls",
            "domain apps import only downward, courseplatform composes them BROKEN",
            "reports.views -> courseplatform.api_urls",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_contracts(tmp_path, module, forbidden_import, broken_contract, reported_import):
    for package in _root_packages():
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    target = tmp_path / module
    target.write_text(f"{forbidden_import}  # noqa\n{target.read_text()}")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert broken_contract in result.stdout
    assert reported_import in result.stdout
