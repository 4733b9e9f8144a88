"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Every test in this folder is marked `e2e` (`pytest -m "not e2e"` leaves them out). The
browser is never skipped: without /usr/bin/chromium each journey fails and says how to
install it (`make test` installs it when it runs as root).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .support import AXE_SCRIPT, Recorder, watch_for_problems

# Playwright's sync API keeps an asyncio loop in this thread; Django would then refuse the
# ORM calls our fixtures make. Nothing here is really concurrent, so the guard can go.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
# Two cores running Chromium, the live server and PostgreSQL: give each check a little time.
expect.set_options(timeout=10_000)
E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _missing_tools() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(
            f"the Chromium browser ({CHROMIUM}) is missing: install it with `apt-get install -y chromium` "
            "(as root; `make test` does this for you), or point E2E_CHROMIUM at a Chromium binary"
        )
    if not AXE_SCRIPT.exists():
        missing.append(f"axe-core ({AXE_SCRIPT}) is missing: run `npm ci --no-audit --no-fund` (`make e2e-deps`)")
    return missing


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    missing = _missing_tools()
    if missing:
        # Failing, never skipping: a journey that silently does not run proves nothing.
        ci = " (CI=true: the browser journeys must run in CI)" if os.environ.get("CI") == "true" else ""
        pytest.fail("Browser journeys cannot run" + ci + ":\n- " + "\n- ".join(missing), pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": VIEWPORT,
        "locale": "en-GB",
        "timezone_id": "UTC",
        "color_scheme": "light",
    }


@pytest.fixture
def page(page, request):
    """Playwright's page, plus: numbered artifacts for this test, and a check that no page
    broke our Content-Security-Policy or threw a JavaScript error during the test."""
    page._e2e_recorder = Recorder(request.node.name)
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page._e2e_problems = problems  # a test that provokes a violation on purpose clears it here
    watch_for_problems(page, problems)
    yield page
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)
