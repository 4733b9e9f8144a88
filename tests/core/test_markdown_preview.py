"""The Preview tab's endpoint: markdown rendered by the one sanitiser, for signed-in people,
by POST with a CSRF token, within a rate limit; it changes nothing."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.views import PREVIEW_MAX_CHARS, _PreviewRate
from submissions.forms import WorkspaceForm
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("markdown_preview")
HOSTILE = """# Plan

<script>alert("x")</script>
[click me](javascript:alert(1))
<img src=x onerror="alert(2)">
<a href="https://example.com" onclick="steal()" style="color:red">a real link</a>
<iframe src="https://evil.example"></iframe>

**bold** and a [fine link](https://example.com/docs)
"""


@pytest.fixture(autouse=True)
def _empty_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def writer():
    return UserFactory()


def test_the_preview_is_the_sanitised_html_the_page_will_show(client_for, writer):
    response = client_for(writer).post(URL, {"text": HOSTILE})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert "<h1>Plan</h1>" in html and "<strong>bold</strong>" in html
    assert '<a href="https://example.com/docs" rel="nofollow noopener noreferrer">fine link</a>' in html
    lowered = html.lower()
    for forbidden in ("<script", "javascript:", "onerror", "onclick", "style=", "<iframe", "<img"):
        assert forbidden not in lowered, forbidden
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_an_empty_field_previews_as_a_note(client_for, writer):
    response = client_for(writer).post(URL, {"text": "   "})
    assert response.status_code == 200 and "Nothing to preview yet." in response.content.decode()


def test_anonymous_visitors_are_refused(client):
    response = client.post(URL, {"text": "**hello**"})
    assert response.status_code == 403
    assert "<strong>" not in response.content.decode()


def test_get_is_not_allowed(client_for, writer):
    assert client_for(writer).get(URL, {"text": "**hello**"}).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(writer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(writer)
    assert client.post(URL, {"text": "**hello**"}).status_code == 403


def test_a_post_with_the_csrf_token_passes_the_check(writer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(writer)
    client.get(reverse("accounts:profile"))  # a page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(URL, {"text": "**hello**"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and "<strong>hello</strong>" in response.content.decode()


def test_text_longer_than_any_field_is_a_clear_400(client_for, writer):
    response = client_for(writer).post(URL, {"text": "x" * (PREVIEW_MAX_CHARS + 1)})
    assert response.status_code == 400
    assert "at most 50,000 characters" in response.content.decode()


def test_previews_are_rate_limited_per_person(client_for, writer):
    client = client_for(writer)
    allowed = int(_PreviewRate.rate.split("/")[0])
    for _ in range(allowed):
        assert client.post(URL, {"text": "draft"}).status_code == 200
    refused = client.post(URL, {"text": "draft"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many previews" in refused.content.decode()
    # Someone else is not held back by this person's previews.
    assert client_for(UserFactory()).post(URL, {"text": "draft"}).status_code == 200


def test_markdown_fields_offer_the_preview_and_plain_fields_do_not(people):
    from submissions.services import work_get_or_create

    work = work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=1)
    )
    form = WorkspaceForm(work=work, objectives=[], gates=[])
    assert form.fields["lab_text"].widget.attrs["data-markdown-preview"] == URL
    assert "data-markdown-preview" in str(form["next_actions"])
    assert "data-markdown-preview" not in str(form["criterion_0_metric"])
