import datetime
import hashlib
import re
import struct
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils.http import http_date

from curriculum.models import CapstoneDeliverable
from portfolios import cache as page_cache
from portfolios import services
from portfolios.models import Portfolio
from tests.factories import PortfolioFactory


def _set_visibility(portfolio, visibility):
    services.portfolio_update_profile(
        portfolio=portfolio,
        slug=portfolio.slug,
        display_name=portfolio.display_name,
        headline=portfolio.headline,
        bio=portfolio.bio,
        links=portfolio.links,
        visibility=visibility,
    )


def test_anonymous_visitor_reads_a_public_portfolio(client_for, published):
    portfolio, entries = published
    response = client_for(None).get("/p/sam-student/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Sam Student</h1>" in body
    for entry in entries:
        assert entry.title in body
    assert body.count("<p>Narrative for ") == 3
    assert "Phase 1 · Weeks 1–8" in body and "Phase 2 · Weeks 9–16" in body
    assert 'id="capstone-title"' in body
    assert body.index(portfolio.headline) < body.index(entries[0].title)  # the story comes first


def test_page_shows_each_file_digest_and_the_verify_hint(client_for, published):
    _, entries = published
    body = client_for(None).get("/p/sam-student/").content.decode()
    for entry in entries:
        proof = entry.proofs.get(kind="file")
        assert proof.sha256 in body
    assert "sha256sum" in body


def test_public_page_is_indexable_with_opengraph_and_twitter_tags(client_for, published, settings):
    response = client_for(None).get("/p/sam-student/")
    body = response.content.decode()
    assert "noindex" not in body and "X-Robots-Tag" not in response.headers
    assert '<meta property="og:type" content="profile">' in body
    assert f'<meta property="og:url" content="{settings.SITE_URL}/p/sam-student/">' in body
    assert '<meta property="og:title" content="Sam Student' in body
    assert '<meta name="twitter:card" content="summary_large_image">' in body
    image = re.search(r'<meta property="og:image" content="([^"]+)">', body).group(1)
    assert image.startswith(f"{settings.SITE_URL}/static/img/og-portfolio")  # absolute, as OpenGraph needs
    png = Path(finders.find("img/og-portfolio.png")).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 630)  # the size the tags announce
    assert '<meta property="og:image:width" content="1200">' in body


def test_unlisted_page_is_readable_but_noindex(client_for, published):
    portfolio, _ = published
    _set_visibility(portfolio, Portfolio.Visibility.UNLISTED)
    response = client_for(None).get("/p/sam-student/")
    assert response.status_code == 200
    assert '<meta name="robots" content="noindex">' in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        (None, 404),
        ("student", 200),
        ("mentor", 200),
        ("admin", 200),
        ("other_student", 404),
        ("unassigned_mentor", 404),
        ("instructor", 404),
        ("foreign_mentor", 404),
        ("foreign_student", 404),
        ("stranger", 404),
    ],
)
def test_private_portfolio_is_seen_only_by_learner_mentors_and_admins(client_for, people, published, viewer, status):
    portfolio, _ = published
    _set_visibility(portfolio, Portfolio.Visibility.PRIVATE)
    response = client_for(getattr(people, viewer) if viewer else None).get("/p/sam-student/")
    assert response.status_code == status
    if status == 200:
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("viewer", [None, "other_student", "foreign_mentor", "stranger"])
@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_world_visible_portfolios_are_readable_by_everyone(client_for, people, published, viewer, visibility):
    portfolio, _ = published
    _set_visibility(portfolio, visibility)
    response = client_for(getattr(people, viewer) if viewer else None).get("/p/sam-student/")
    assert response.status_code == 200


@pytest.mark.parametrize("viewer", [None, "other_student"])
def test_private_and_unknown_portfolios_get_the_identical_404(client_for, people, published, viewer):
    portfolio, _ = published
    _set_visibility(portfolio, Portfolio.Visibility.PRIVATE)
    client = client_for(getattr(people, viewer) if viewer else None)
    private = client.get("/p/sam-student/")
    unknown = client.get("/p/nobody-here/")
    malformed = client.get("/p/Not_A_Slug!/")
    assert private.status_code == unknown.status_code == malformed.status_code == 404
    assert private.content == unknown.content == malformed.content
    assert b"sam-student" not in private.content and b"Sam Student" not in private.content


def test_unpublished_entries_are_never_shown(client_for, people, published):
    _, entries = published
    services.entry_unpublish(entry=entries[0], by=people.student)
    for viewer in (None, people.student):
        body = client_for(viewer).get("/p/sam-student/").content.decode()
        assert entries[0].title not in body
        assert entries[1].title in body


def test_unpublishing_removes_the_entry_from_the_next_cached_response(client_for, people, published):
    _, entries = published
    client = client_for(None)
    assert entries[1].title in client.get("/p/sam-student/").content.decode()
    services.entry_unpublish(entry=entries[1], by=people.student)
    assert entries[1].title not in client.get("/p/sam-student/").content.decode()


def test_publishing_and_profile_edits_invalidate_the_cache(client_for, people, published, accepted):
    portfolio, _ = published
    client = client_for(None)
    client.get("/p/sam-student/")
    work = accepted(week=5)
    services.entry_publish(work=work, by=people.student, narrative="Fresh entry", artifact_ids=[])
    assert "Fresh entry" in client.get("/p/sam-student/").content.decode()
    portfolio.refresh_from_db()
    services.portfolio_update_profile(
        portfolio=portfolio, slug="sam-student", display_name="Samira Student", visibility="public"
    )
    assert "<h1>Samira Student</h1>" in client.get("/p/sam-student/").content.decode()


def test_making_a_portfolio_private_hides_the_cached_page_at_once(client_for, published):
    portfolio, _ = published
    client = client_for(None)
    assert client.get("/p/sam-student/").status_code == 200
    _set_visibility(portfolio, Portfolio.Visibility.PRIVATE)
    assert client.get("/p/sam-student/").status_code == 404


def test_repeat_request_with_if_none_match_gets_304(client_for, published):
    client = client_for(None)
    first = client.get("/p/sam-student/")
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    repeat = client.get("/p/sam-student/", HTTP_IF_NONE_MATCH=etag)
    assert repeat.status_code == 304
    assert repeat.content == b""
    assert repeat["ETag"] == etag


def test_repeat_request_with_if_modified_since_gets_304(client_for, published):
    portfolio, _ = published
    client = client_for(None)
    first = client.get("/p/sam-student/")
    assert first["Last-Modified"] == http_date(portfolio.updated_at.timestamp())
    repeat = client.get("/p/sam-student/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert repeat.status_code == 304
    older = http_date((portfolio.updated_at - datetime.timedelta(hours=1)).timestamp())
    assert client.get("/p/sam-student/", HTTP_IF_MODIFIED_SINCE=older).status_code == 200


def test_a_stale_etag_gets_the_new_page_after_unpublishing(client_for, people, published):
    _, entries = published
    client = client_for(None)
    etag = client.get("/p/sam-student/")["ETag"]
    services.entry_unpublish(entry=entries[0], by=people.student)
    response = client.get("/p/sam-student/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert entries[0].title not in response.content.decode()


def test_etag_is_derived_from_version_and_content(client_for, published):
    portfolio, _ = published
    response = client_for(None).get("/p/sam-student/")
    digest = hashlib.sha256(response.content).hexdigest()[:32]
    assert response["ETag"] == f'"{portfolio.version}-{digest}"'


def test_markdown_in_bio_and_narrative_is_sanitised(client_for, people, accepted):
    PortfolioFactory(
        user=people.student, slug="sam-student", bio="Hi <script>alert(1)</script> [x](javascript:alert(2))"
    )
    work = accepted(week=1)
    services.entry_publish(
        work=work, by=people.student, narrative="**Bold** <img src=x onerror=alert(3)>", artifact_ids=[]
    )
    body = client_for(None).get("/p/sam-student/").content.decode()
    assert "<strong>Bold</strong>" in body
    assert "<script>" not in body and "javascript:" not in body and "onerror" not in body


def test_cached_page_costs_no_query(client_for, published, django_assert_num_queries, settings):
    settings.PORTFOLIO_CACHE_HEADS = True  # as with Redis, the cache every process shares
    client = client_for(None)
    client.get("/p/sam-student/")
    with django_assert_num_queries(0):  # head and page both come from the cache
        assert client.get("/p/sam-student/").status_code == 200


def test_unknown_slugs_are_cached_as_missing_until_someone_takes_them(
    client_for, people, django_assert_num_queries, settings
):
    settings.PORTFOLIO_CACHE_HEADS = True
    client = client_for(None)
    assert client.get("/p/sam-student/").status_code == 404
    with django_assert_num_queries(0):
        assert client.get("/p/sam-student/").status_code == 404
    portfolio = services.portfolio_ensure(user=people.student)
    services.portfolio_update_profile(portfolio=portfolio, slug="sam-student", display_name="Sam", visibility="public")
    assert client.get("/p/sam-student/").status_code == 200


def test_renaming_frees_the_old_address_at_once(client_for, published):
    portfolio, _ = published
    client = client_for(None)
    assert client.get("/p/sam-student/").status_code == 200
    services.portfolio_update_profile(portfolio=portfolio, slug="sam-renamed", display_name="Sam", visibility="public")
    assert client.get("/p/sam-student/").status_code == 404
    assert client.get("/p/sam-renamed/").status_code == 200


def test_page_query_count_is_fixed_for_thirty_entries(client_for, people, accepted, course, django_assert_num_queries):
    PortfolioFactory(user=people.student, slug="sam-student")
    deliverables = list(CapstoneDeliverable.objects.filter(project__course=course).order_by("pk")[:6])
    targets = [{"week": n} for n in range(1, 25)] + [{"deliverable": d} for d in deliverables]
    for target in targets:
        work = accepted(**target)
        ids = list(work.latest_revision.artifacts.values_list("pk", flat=True))
        services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=ids)
    # Cache miss: 1 the portfolio by slug, 2 published entries, 3 their proofs (60 of them),
    # 4 the entries' credentials (the credentials app's panel, none here).
    with django_assert_num_queries(4):
        response = client_for(None).get("/p/sam-student/")
    assert response.content.decode().count('<article class="pf-entry') == 30


def test_another_web_process_serves_the_page_from_the_shared_cache(
    client_for, published, django_assert_num_queries, settings
):
    settings.PORTFOLIO_CACHE_HEADS = True
    client = client_for(None)
    first = client.get("/p/sam-student/")
    page_cache.local_pages.clear()  # as if the next request reached another process
    with django_assert_num_queries(0):
        again = client.get("/p/sam-student/")
    assert again.content == first.content and again["ETag"] == first["ETag"]


def test_without_a_shared_cache_each_request_reads_the_head_so_other_processes_changes_show_at_once(
    client_for, published, django_assert_num_queries, settings
):
    """The embedded default (local memory): a service's invalidation reaches only its own
    process, so heads are not cached; a change made elsewhere (here: straight in the database,
    as another gunicorn worker's would look to this one) shows on the next request."""
    settings.PORTFOLIO_CACHE_HEADS = False
    portfolio, _ = published
    client = client_for(None)
    first = client.get("/p/sam-student/")
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the head; the rendered page comes from the cache
        assert client.get("/p/sam-student/").content == first.content
    Portfolio.objects.filter(pk=portfolio.pk).update(visibility=Portfolio.Visibility.PRIVATE)
    assert client.get("/p/sam-student/").status_code == 404


def test_a_private_portfolio_is_refused_to_visitors_as_cheaply_as_an_unknown_slug(
    client_for, published, django_assert_num_queries, settings
):
    settings.PORTFOLIO_CACHE_HEADS = True
    portfolio, _ = published
    services.portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name="Sam", visibility=Portfolio.Visibility.PRIVATE
    )
    client = client_for(None)
    unknown, private = client.get("/p/nobody-here/"), client.get("/p/sam-student/")
    with django_assert_num_queries(0):
        again_unknown = client.get("/p/nobody-here/")
    with django_assert_num_queries(0):
        again_private = client.get("/p/sam-student/")
    for response in (unknown, private, again_unknown, again_private):
        assert response.status_code == 404
    assert again_private.content == again_unknown.content
    assert sorted(again_private.items()) == sorted(again_unknown.items())
