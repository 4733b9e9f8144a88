"""What every browser journey needs: signing in, auditing a page with axe-core, screenshots.

A journey reads like a person's visit:

    sign_in(page, email=..., password=...)
    page.get_by_role("link", name="Weeks").click()
    audit(page, "week-list")              # screenshot + axe, fails on serious/critical issues

`audit` is called on every page a journey sees, so no page escapes the accessibility check.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.factories import CohortFactory

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "e2e"
DOCS_SCREENSHOTS_DIR = REPO_ROOT / "docs" / "screenshots"

# The impacts that fail a journey. axe's "moderate" and "minor" findings are written to the
# page's report in test-artifacts/ for a human to read, but do not fail the build.
FAILING_IMPACTS = ("serious", "critical")

# Pages Django's admin renders from its own templates carry markup we do not own (tabular
# inline inputs have only a column header for a label; see docs/testing.md). On those pages
# the audit skips exactly these rules, on exactly these elements; everything else is checked.
ADMIN_TABULAR_INLINE_INPUTS = (
    ".inline-group .tabular td input, .inline-group .tabular td select, .inline-group .tabular td textarea"
)
DJANGO_ADMIN_KNOWN_ISSUES = {
    # Tabular inline inputs are labelled only by their column header (Django ticket #35892-style
    # limitation of admin/edit_inline/tabular.html); axe reports them under these three rules.
    "label": ADMIN_TABULAR_INLINE_INPUTS,
    "label-title-only": ADMIN_TABULAR_INLINE_INPUTS,
    "select-name": ADMIN_TABULAR_INLINE_INPUTS,
    # The admin's breadcrumbs are links told apart from the text around them by colour only.
    "link-in-text-block": "div.breadcrumbs a",
}

# Docs screenshots are cut at this height so a long page stays a small file.
DOCS_MAX_HEIGHT = 1200


@dataclass
class AxeResult:
    page_name: str
    url: str
    violations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failing(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v.get("impact") in FAILING_IMPACTS]

    def describe(self, violations: list[dict[str, Any]] | None = None) -> str:
        lines = []
        for violation in violations if violations is not None else self.violations:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
            for node in violation["nodes"][:8]:
                target = " ".join(str(part) for part in node["target"])
                lines.append(f"    at {target}: {node.get('failureSummary', '').splitlines()[-1].strip()}")
            if len(violation["nodes"]) > 8:
                lines.append(f"    … and {len(violation['nodes']) - 8} more elements")
        return "\n".join(lines)


class Recorder:
    """Numbers the pages one test visits, so test-artifacts/ reads in the order of the visit."""

    def __init__(self, test_name: str) -> None:
        self.folder = ARTIFACTS_DIR / _slug(test_name)
        shutil.rmtree(self.folder, ignore_errors=True)  # a re-run of one test replaces its pages
        self.count = 0
        self.results: list[AxeResult] = []

    def next_path(self, name: str, suffix: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{self.count:02d}-{_slug(name)}.{suffix}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower()[:80] or "page"


def _recorder(page: Page) -> Recorder:
    recorder = getattr(page, "_e2e_recorder", None)
    if recorder is None:
        recorder = Recorder("unnamed")
        page._e2e_recorder = recorder  # type: ignore[attr-defined]
    return recorder


# --- Accessibility ---------------------------------------------------------------------------


def axe_violations(
    page: Page,
    *,
    exclude: list[str] | None = None,
    disable_rules_on: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return its violations (every impact).

    `exclude`: CSS selectors of regions left out of the audit entirely.
    `disable_rules_on`: {rule id: CSS selector}: violations of that rule on elements matching
    the selector are dropped (and only those), for markup we cannot change.
    """
    # page.evaluate runs the script through the DevTools protocol, which the page's
    # Content-Security-Policy does not govern, so the page is audited under its real CSP.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    context: dict[str, Any] = {"exclude": [[selector] for selector in exclude or []]}
    if not context["exclude"]:
        context = {"include": [["html"]]}
    result = page.evaluate(
        """async (context) => {
            const result = await window.axe.run(context, {resultTypes: ["violations"]});
            return result.violations;
        }""",
        context,
    )
    for rule, selector in (disable_rules_on or {}).items():
        for violation in result:
            if violation["id"] != rule:
                continue
            violation["nodes"] = [
                node
                for node in violation["nodes"]
                if not page.evaluate(
                    "([target, selector]) => document.querySelector(target)?.matches(selector) ?? false",
                    [node["target"][-1], selector],
                )
            ]
        result = [v for v in result if v["nodes"]]
    return result


def audit(
    page: Page,
    name: str,
    *,
    exclude: list[str] | None = None,
    disable_rules_on: dict[str, str] | None = None,
    docs_screenshot: str | None = None,
) -> AxeResult:
    """Screenshot the page into test-artifacts/, audit it with axe, and fail on serious or
    critical violations, listing each with its help text and the elements at fault.
    `docs_screenshot` also saves the picture as docs/screenshots/<name>.png for the README."""
    page.wait_for_load_state("load")
    recorder = _recorder(page)
    screenshot_path = recorder.next_path(name, "png")
    page.screenshot(path=str(screenshot_path), full_page=True)
    if docs_screenshot:
        save_docs_screenshot(page, docs_screenshot)
    result = AxeResult(
        page_name=name,
        url=page.url,
        violations=axe_violations(page, exclude=exclude, disable_rules_on=disable_rules_on),
    )
    _warn_about_duplicate_referenced_ids(page, name)
    # Another run in the same checkout may have emptied test-artifacts/ meanwhile (tests/conftest.py).
    screenshot_path.parent.mkdir(parents=True, exist_ok=True)
    screenshot_path.with_suffix(".axe.json").write_text(json.dumps(result.violations, indent=2), encoding="utf-8")
    recorder.results.append(result)
    assert not result.failing, (
        f"axe found {len(result.failing)} serious or critical accessibility violation(s) on '{name}' "
        f"({page.url}); screenshot: {screenshot_path}\n{result.describe(result.failing)}"
    )
    return result


def duplicate_referenced_ids(page: Page) -> list[str]:
    """Ids used by more than one element although a label or an aria-* attribute points at
    them: the label then names only the first element. axe 4.x no longer reports this."""
    return page.evaluate(
        """() => {
            const referenced = new Set();
            document.querySelectorAll("label[for]").forEach((label) => referenced.add(label.htmlFor));
            document.querySelectorAll("[aria-labelledby], [aria-describedby], [aria-controls]").forEach((el) => {
                for (const attr of ["aria-labelledby", "aria-describedby", "aria-controls"]) {
                    (el.getAttribute(attr) || "").split(/\\s+/).filter(Boolean).forEach((id) => referenced.add(id));
                }
            });
            return [...referenced].filter((id) => document.querySelectorAll(`[id="${CSS.escape(id)}"]`).length > 1);
        }"""
    )


def _warn_about_duplicate_referenced_ids(page: Page, name: str) -> None:
    duplicates = duplicate_referenced_ids(page)
    if duplicates:
        warnings.warn(
            f"'{name}' ({page.url}): these ids are used more than once although labels or aria attributes "
            f"point at them: {', '.join(duplicates)}",
            stacklevel=3,
        )


def audit_admin(page: Page, name: str, **kwargs: Any) -> AxeResult:
    """`audit` for a page of Django's admin: our own markup is checked in full; the one rule
    that Django's tabular inlines break by design is dropped on those inputs only."""
    rules = {**DJANGO_ADMIN_KNOWN_ISSUES, **kwargs.pop("disable_rules_on", {})}
    return audit(page, name, disable_rules_on=rules, **kwargs)


# --- Screenshots -----------------------------------------------------------------------------


def save_docs_screenshot(page: Page, name: str, *, around: Locator | None = None) -> Path:
    """A picture of the page for README.md: docs/screenshots/<name>.png, 1280 px wide, cut at
    DOCS_MAX_HEIGHT px so it stays small. With `around`, one screenful centred on that element."""
    DOCS_SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = DOCS_SCREENSHOTS_DIR / f"{name}.png"
    if around is not None:
        around.evaluate("element => { element.scrollIntoView({block: 'center'}); window.scrollTo(0, window.scrollY); }")
        page.screenshot(path=str(path))
        return path
    height = page.evaluate("() => document.documentElement.scrollHeight")
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": min(height, DOCS_MAX_HEIGHT)}
    )
    return path


# --- Signing in ------------------------------------------------------------------------------


def sign_in(page: Page, *, email: str, password: str, audit_form: bool = True) -> None:
    """Sign in through the real allauth form, the way a person does, from wherever the site
    sent us (a protected page redirects to the sign-in form) or from the sign-in page itself."""
    if "/accounts/login/" not in page.url:
        page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("sign in", re.IGNORECASE))
    if audit_form:
        audit(page, "sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=False).first.fill(password)
    page.get_by_role("button", name=re.compile("^sign in$", re.IGNORECASE)).click()
    # Signed in: allauth sends the person on (to `next`, or the course page), away from the form.
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def log_in_as(context: BrowserContext, base_url: str, user) -> None:
    """Sign a browser context in without the form: a session made by Django's test client,
    handed to the browser as its cookie. For tests whose subject is not signing in."""
    client = Client()
    client.force_login(user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie.value, "url": base_url}])


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def watch_for_problems(page, problems: list[str]) -> None:
    """Record CSP violations and JavaScript errors of `page` in `problems`. A journey that
    opens another browser context (a signed-out visitor) watches its pages the same way,
    into the `page` fixture's list, which is checked when the test ends."""
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type} on {page.url}: {message.text}")
            if message.type == "error" and re.search(r"Content.Security.Policy|Refused to", message.text)
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"JavaScript error on {page.url}: {error}"))


def tiny_png(width: int = 4, height: int = 2) -> bytes:
    """A real PNG (a small grey image), made here so the upload checks a genuine file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def cohort_in_week(course, number: int):
    """A cohort whose week `number` runs today, so nothing in the journey is late."""
    zone = "Europe/Berlin"
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    return CohortFactory(
        course=course, name="Autumn 2026", time_zone=zone, start_date=today - datetime.timedelta(days=7 * (number - 1))
    )
