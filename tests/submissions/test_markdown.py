"""Everything a student types is rendered through core.markdown.render_markdown; hostile
payloads never reach a page as live HTML."""

import pytest
from django.urls import reverse

from core.markdown import render_markdown
from submissions import services
from tests.factories import WeeklyWorkFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src='https://evil.example'></iframe>",
    '<svg onload="alert(1)"><circle r="4"/></svg>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<object data='evil.swf'></object>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<form action="https://evil.example"><input name=p></form>',
    '<p onclick="alert(1)">hi</p>',
    "<math><mtext><style><img src=x onerror=alert(1)></style></mtext></math>",
    "[x](JaVaScRiPt:alert(1))",
    "<base href='https://evil.example/'>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
]
FORBIDDEN = [
    "<script",
    "onerror",
    "onload",
    "onclick",
    "javascript:",
    "<iframe",
    "<svg",
    "style=",
    "<object",
    "data:text/html",
    "<form",
    "<input",
    "<style",
    "<img",
    "<base",
    "<meta",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markdown_is_sanitised(payload):
    html = str(render_markdown(payload)).lower()
    for needle in FORBIDDEN:
        assert needle not in html, f"{needle!r} survived in {html!r}"


def test_ordinary_markdown_still_renders():
    html = str(render_markdown("## Budget\n\n| hop | ms |\n|---|---|\n| proxy | 3 |\n\n[PR](https://example.com)"))
    assert "<h2>Budget</h2>" in html and "<table>" in html
    assert 'href="https://example.com"' in html and 'rel="nofollow noopener noreferrer"' in html


def test_hostile_payloads_in_a_submitted_revision_never_reach_the_page(people, client_for):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    payload = "\n\n".join(HOSTILE)
    services.work_save_draft(
        work=work,
        content={"concept": {"text": payload, "objective_ids": []}, "decision": {"rationale": payload}},
        expected_version=1,
        by=people.student,
    )
    services.work_submit(work=work, by=people.student)
    for url in (reverse("submissions:revision", args=[work.pk, 1]), reverse("submissions:work", args=[work.pk])):
        body = client_for(people.mentor).get(url).content.decode().lower()
        assert "<script>alert" not in body
        assert "onerror=" not in body and "javascript:alert" not in body
        assert "<iframe" not in body
