"""The evidence-preview styles live in one stylesheet that the signed-in pages, the public page and
a downloaded export all use, so the three can never drift apart."""

import re

from django.contrib.staticfiles import finders

from portfolios.exports import _inline_css

EVIDENCE_RULE = re.compile(r"^\.(evidence-preview|evidence-thumb|code-preview)\b", re.MULTILINE)


def _read(name: str) -> str:
    with open(finders.find(name), encoding="utf-8") as stylesheet:
        return stylesheet.read()


def test_the_evidence_preview_rules_are_in_one_stylesheet_only():
    assert len(EVIDENCE_RULE.findall(_read("css/evidence.css"))) > 70  # the layout and every token colour
    for other in ("css/app.css", "css/portfolio.css"):
        assert EVIDENCE_RULE.findall(_read(other)) == [], other


def test_signed_in_pages_link_the_shared_stylesheet_after_the_app_one(client_for, people):
    body = client_for(people.student).get("/dashboard/").content.decode()
    app, evidence = body.index("css/app"), body.index("css/evidence")
    assert app < evidence


def test_the_public_page_links_the_shared_stylesheet(client_for, published):
    body = client_for(None).get("/p/sam-student/").content.decode()
    assert body.index("css/portfolio") < body.index("css/evidence")


def test_an_export_inlines_both_stylesheets_in_order():
    css = _inline_css()
    assert css.index(".pf-topbar") < css.index(".evidence-preview {")
    assert ".code-preview .hl-k {" in css
