"""The audit runs axe through the DevTools protocol, outside the page's Content-Security-Policy;
this test makes sure the policy every page is served with stays present and strict."""

import re

from playwright.sync_api import Page


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_pages_are_served_with_a_strict_content_security_policy(page: Page, course):
    response = page.goto("/")
    assert response is not None and response.ok
    header = response.headers.get("content-security-policy")
    assert header, "every page must carry a Content-Security-Policy header"
    directives = _directives(header)
    assert directives["script-src"] == ["'self'"], "scripts only from our own origin: no inline, no eval"
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]


def test_an_inline_script_is_refused_by_the_browser(page: Page, course):
    page.goto("/")
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if re.search("Content Security Policy", message.text) else None,
    )
    # A script element added by the page itself (as an injected attack would be) must not run.
    ran = page.evaluate(
        """() => {
            window.__inlineRan = false;
            const script = document.createElement("script");
            script.textContent = "window.__inlineRan = true;";
            document.body.appendChild(script);
            return window.__inlineRan;
        }"""
    )
    assert ran is False
    assert refused, "the browser should report the refused inline script"
    # The page fixture fails a test on any CSP violation; this one was provoked on purpose.
    page._e2e_problems.clear()
