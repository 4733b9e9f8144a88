"""The gradebook page (insights, computed by rubrics.selectors.gradebook_page): every number
against hand-computed figures, each role's access, sorting, filtering and keyset pagination
together, bad query strings, and the exact number of queries at two cohort sizes.

The cohort here started ten weeks ago (whatever today is), so weeks 1–10 are past due and
week 11 is not."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import MentorAssignment
from cohorts.schedule import week_window
from cohorts.selectors import next_due_passing
from cohorts.services import extension_grant, mentor_assign
from insights.grid_cache import grid_get, grid_put
from rubrics.selectors import GradebookQuery, decode_cursor, encode_cursor, gradebook_page
from submissions import services as submission_services
from submissions.models import WORK_STATUSES
from tests.factories import ExtensionFactory, reviewed_work
from tests.reports.bulk import bulk_cohort

pytestmark = pytest.mark.django_db


def page_for(user, client_for, people, **params):
    response = client_for(user).get(reverse("insights:gradebook", args=[people.cohort.slug]), params)
    assert response.status_code == 200
    return response


def names(response) -> list[str]:
    """The students' names in the rows as served (the content may come from the cache, where no
    template context exists: insights/grid_cache.py)."""
    return [
        html.unescape(name)
        for name in re.findall(
            r'<th scope="row" class="(?:gb|hm)-student"><a href="[^"]*">([^<]*)</a>', response.content.decode()
        )
    ]


def test_totals_and_averages_match_the_hand_computed_figures(graded, client_for):
    response = page_for(graded.instructor, client_for, graded)
    book = response.context["book"]
    rows = {row.name: row for row in book.rows}
    assert (rows["Ada Lovelace"].total, rows["Ada Lovelace"].average) == (Decimal("150"), Decimal("75"))
    assert (rows["Bea Carter"].total, rows["Bea Carter"].average) == (Decimal("130"), Decimal("65"))
    assert (rows["Cy Young"].total, rows["Cy Young"].average) == (None, None)
    assert book.column_averages[:3] == [Decimal("85"), Decimal("55"), None]
    assert [c.score for c in rows["Ada Lovelace"].cells[:3]] == [Decimal("80"), Decimal("70"), None]
    body = response.content.decode()
    assert '<td class="gb-num">150</td><td class="gb-num">75</td>' in body
    assert '<td class="gb-num">85</td><td class="gb-num">55</td>' in body


def test_the_cells_say_each_status_and_late(graded, client_for):
    rows = {row.name: row for row in page_for(graded.instructor, client_for, graded).context["book"].rows}
    ada, bea, cy = rows["Ada Lovelace"], rows["Bea Carter"], rows["Cy Young"]
    assert [c.status.key for c in ada.cells[:3]] == ["accepted", "accepted", "missing"]  # a draft past due
    assert [c.status.key for c in bea.cells[:3]] == ["accepted", "changes_requested", "missing"]
    assert [c.is_late for c in bea.cells[:2]] == [False, True]
    assert cy.cells[9].status.key == "missing" and cy.cells[10].status.key == "not_started"
    assert (ada.accepted, bea.accepted, cy.accepted) == (2, 1, 0)


def test_the_per_column_average_covers_every_student_not_only_the_page(graded):
    page = gradebook_page(graded.cohort, graded.instructor, page_size=1)
    assert len(page.rows) == 1 and page.student_count == 3
    assert page.column_averages[:2] == [Decimal("85"), Decimal("55")]


@pytest.mark.parametrize("view", ["insights:gradebook", "insights:heatmap"])
def test_each_role_sees_what_it_may(graded, client_for, view):
    url = reverse(view, args=[graded.cohort.slug])
    anonymous = client_for().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for role, expected in [
        ("instructor", ["Ada Lovelace", "Bea Carter", "Cy Young"]),
        ("admin", ["Ada Lovelace", "Bea Carter", "Cy Young"]),
        ("mentor", ["Ada Lovelace", "Bea Carter"]),
        ("unassigned_mentor", ["Cy Young"]),
    ]:
        response = client_for(getattr(graded, role)).get(url)
        assert response.status_code == 200, role
        assert names(response) == expected, role
    # Missing and forbidden look the same (404), so a cohort's existence does not leak.
    for role in ("student", "other_student", "foreign_mentor", "foreign_instructor", "foreign_student", "stranger"):
        assert client_for(getattr(graded, role)).get(url).status_code == 404, role


def test_the_old_address_redirects_with_its_query_string(graded, client_for):
    response = client_for(graded.instructor).get(f"/review/cohorts/{graded.cohort.slug}/gradebook/?sort=total")
    assert response.status_code == 301
    assert response["Location"] == reverse("insights:gradebook", args=[graded.cohort.slug]) + "?sort=total"


def test_a_mentors_rows_cover_only_their_students_and_the_averages_the_whole_cohort(graded):
    page = gradebook_page(graded.cohort, graded.unassigned_mentor)
    assert [row.name for row in page.rows] == ["Cy Young"]
    assert page.column_averages[:2] == [Decimal("85"), Decimal("55")]


def test_a_new_mentor_score_changes_the_cached_column_average(graded, course):
    assert gradebook_page(graded.cohort, graded.instructor).column_averages[2] is None
    reviewed_work(cohort=graded.cohort, student=graded.third, week=course.weeks.get(number=3), score="30")
    assert gradebook_page(graded.cohort, graded.instructor).column_averages[2] == Decimal("30")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Ada Lovelace", "Bea Carter", "Cy Young"]),
        ({"sort": "name", "dir": "desc"}, ["Cy Young", "Bea Carter", "Ada Lovelace"]),
        ({"sort": "total", "dir": "desc"}, ["Ada Lovelace", "Bea Carter", "Cy Young"]),
        ({"sort": "total", "dir": "asc"}, ["Bea Carter", "Ada Lovelace", "Cy Young"]),  # no score: last
        ({"sort": "average", "dir": "asc"}, ["Bea Carter", "Ada Lovelace", "Cy Young"]),
        ({"sort": "w1", "dir": "desc"}, ["Bea Carter", "Ada Lovelace", "Cy Young"]),
        ({"sort": "w2", "dir": "asc"}, ["Bea Carter", "Ada Lovelace", "Cy Young"]),
        ({"mentor": "MENTOR"}, ["Ada Lovelace", "Bea Carter"]),
        ({"mentor": "UNASSIGNED"}, ["Cy Young"]),
        ({"status": "changes_requested"}, ["Bea Carter"]),
        ({"status": "missing", "sort": "total", "dir": "desc"}, ["Ada Lovelace", "Bea Carter", "Cy Young"]),
        ({"status": "accepted", "sort": "w2", "dir": "desc"}, ["Ada Lovelace", "Bea Carter"]),
        ({"status": "published"}, []),
    ],
)
def test_sorting_and_filtering(graded, client_for, params, expected):
    mentors = {"MENTOR": str(graded.mentor.pk), "UNASSIGNED": str(graded.unassigned_mentor.pk)}
    params = {k: mentors.get(v, v) for k, v in params.items()}
    assert names(page_for(graded.instructor, client_for, graded, **params)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "w99"},
        {"sort": "'; drop table users"},
        {"dir": "sideways"},
        {"mentor": "abc"},
        {"mentor": "999999"},
        {"status": "lost"},
        {"after": "not-a-cursor"},
        {"before": "%%%"},
        {"sort": "total", "after": encode_cursor("x", 1)},  # a name cursor given to a score sort
        {"after": "W1sxXSwgIjEiXQ"},  # well-formed base64, wrong shape
    ],
)
def test_a_bad_query_string_falls_back_to_the_default_never_a_500(graded, client_for, params):
    response = page_for(graded.instructor, client_for, graded, **params)
    assert len(names(response)) >= 1


def test_the_sort_headers_say_which_column_sorts_and_keep_the_filters(graded, client_for):
    body = page_for(graded.instructor, client_for, graded, sort="w2", dir="desc", status="accepted").content.decode()
    assert 'aria-sort="descending"><a href="?status=accepted&amp;sort=w2&amp;dir=asc">W2</a>' in body
    assert '<a href="?status=accepted&amp;sort=total&amp;dir=desc">Total</a>' in body


@pytest.fixture
def crowd(people):
    """A cohort of 120 students (two of the fixture's, 118 bulk ones), all mentored by the
    mentor; scores make ties (bulk_cohort's score is 50 + revision id % 50)."""
    bulk_cohort(people.cohort, 118, mentor=people.mentor)
    return people


@pytest.mark.parametrize(
    "query",
    [
        GradebookQuery(),
        GradebookQuery(sort="name", descending=True),
        GradebookQuery(sort="total", descending=True),
        GradebookQuery(sort="average"),
        GradebookQuery(sort="w1", descending=True),
        GradebookQuery(sort="w20"),  # nobody has a score: ties on the sort key everywhere
    ],
)
def test_keyset_pages_cover_every_student_once_in_order_forwards_and_back(crowd, query):
    everyone = gradebook_page(crowd.cohort, crowd.instructor, query, page_size=500).rows
    assert len(everyone) == 120
    pages, cursor = [], None
    while True:
        page = gradebook_page(crowd.cohort, crowd.instructor, _at(query, after=cursor), page_size=50)
        pages.append(page)
        if page.next_cursor is None:
            break
        cursor = decode_cursor(page.next_cursor, query.sort)
    assert [len(p.rows) for p in pages] == [50, 50, 20]
    assert [r.student_id for p in pages for r in p.rows] == [r.student_id for r in everyone]
    assert pages[0].previous_cursor is None and pages[2].previous_cursor is not None
    # Back from the last page: the middle page exactly, then the first.
    back = gradebook_page(
        crowd.cohort, crowd.instructor, _at(query, before=decode_cursor(pages[2].previous_cursor, query.sort))
    )
    assert [r.student_id for r in back.rows] == [r.student_id for r in pages[1].rows]
    assert back.next_cursor is not None and back.previous_cursor is not None
    first = gradebook_page(
        crowd.cohort, crowd.instructor, _at(query, before=decode_cursor(back.previous_cursor, query.sort))
    )
    assert [r.student_id for r in first.rows] == [r.student_id for r in pages[0].rows]
    assert first.previous_cursor is None


def _at(query: GradebookQuery, *, after=None, before=None) -> GradebookQuery:
    return GradebookQuery(
        sort=query.sort,
        descending=query.descending,
        mentor_id=query.mentor_id,
        status=query.status,
        after=after,
        before=before,
    )


def test_a_page_boundary_exactly_at_the_page_size_has_no_empty_next_page(people):
    bulk_cohort(people.cohort, 48, mentor=people.mentor)  # + 2 = exactly 50
    page = gradebook_page(people.cohort, people.instructor)
    assert len(page.rows) == 50 and page.next_cursor is None and page.previous_cursor is None


def test_the_next_and_previous_links_walk_the_pages_with_the_sort_and_filter(crowd, client_for):
    MentorAssignment.objects.filter(cohort=crowd.cohort, student=crowd.student).delete()
    first = page_for(crowd.instructor, client_for, crowd, sort="total", dir="desc", mentor=str(crowd.mentor.pk))
    body = first.content.decode()
    assert first.context["book"].student_count == 119
    assert 'rel="next"' in body and 'rel="prev"' not in body
    next_url = first.context["next_url"]
    second = client_for(crowd.instructor).get(reverse("insights:gradebook", args=[crowd.cohort.slug]) + next_url)
    assert second.status_code == 200
    seen = names(first) + names(second)
    assert len(set(seen)) == 100 and crowd.student.display_name not in seen
    totals = [row.total for row in first.context["book"].rows + second.context["book"].rows]
    assert totals == sorted(totals, reverse=True)
    assert 'rel="prev"' in second.content.decode()


def test_the_status_filter_agrees_with_every_cell(graded, course):
    """work_status_q (SQL) and work_status (Python, the cells) decide alike, extensions included."""
    ExtensionFactory(
        cohort=graded.cohort,
        student=graded.third,
        week=course.weeks.get(number=10),
        due_at=timezone.now() + datetime.timedelta(days=3),
    )
    everyone = gradebook_page(graded.cohort, graded.instructor).rows
    for status in WORK_STATUSES:
        expected = [row.name for row in everyone if any(cell.status.key == status for cell in row.cells)]
        filtered = gradebook_page(graded.cohort, graded.instructor, GradebookQuery(status=status)).rows
        assert [row.name for row in filtered] == expected, status
    third = next(row for row in everyone if row.name == "Cy Young")
    assert [third.cells[8].status.key, third.cells[9].status.key] == ["missing", "not_started"]


def test_the_hooks_keep_and_mark_students(graded):
    page = gradebook_page(
        graded.cohort, graded.instructor, keep_ids={graded.student.pk, graded.third.pk}, marked_ids={graded.third.pk}
    )
    assert [(row.name, row.marked) for row in page.rows] == [("Ada Lovelace", False), ("Cy Young", True)]
    assert page.student_count == 2


def test_a_hostile_name_is_escaped(graded, client_for):
    User.objects.filter(pk=graded.third.pk).update(name='<script>alert("x")</script>')
    for view in ("insights:gradebook", "insights:heatmap"):
        body = client_for(graded.instructor).get(reverse(view, args=[graded.cohort.slug])).content.decode()
        assert "<script>alert" not in body and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_a_get_writes_nothing(graded, client_for):
    client = client_for(graded.instructor)
    client.get(reverse("insights:gradebook", args=[graded.cohort.slug]))  # the session settles
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("insights:gradebook", args=[graded.cohort.slug]), {"sort": "total"})
        client.get(reverse("insights:heatmap", args=[graded.cohort.slug]), {"status": "missing"})
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


# --- Query counts: the same at 5 and at 200 students -----------------------------------------

# session, user, the viewer's membership stamps (read first: with them a repeat is answered
# before the middleware, courseplatform/fast_path.py), the cohort with the viewer's role in it (which answers "may view the cohort",
# the gradebook permission and "all students or assigned ones"), mentors (the filter), weeks,
# capstone projects, deliverables, the page of students with totals and averages, their number, the column averages' version (the highest
# mentor assessment id; plus the averages themselves the first time), extensions, works with
# their latest revision and latest mentor score, the next due date of the cohort to pass (how
# long the rendering may be kept), navigation roles, the LMS grade-sync panel (lti: whether the
# cohort is an LMS course and its sync counts, one query outside the cache); then the at-risk
# marks of the page's students (six: tests/insights/test_gradebook_at_risk.py).
PAGE_QUERIES = 16 + 6
# The same page again, kept whole (core/pagecache.py) and answered before the middleware
# (courseplatform/fast_path.py): the session row with the user, the viewer's membership stamps
# (their role in the cohort: the permission and the scope in the key) and unread count in one
# statement (courseplatform/viewer.py; a session this process has seen). The LMS grade-sync
# panel is in the kept page, keyed by its version in the cache (no query; it was one).
CACHED_PAGE_QUERIES = 1
# A request with the CSRF cookie (set by the browser's first page) of a page not kept yet: the
# fast path reads the user with their stamps and unread count for the fast key, finds nothing,
# and the full path reads what it needs again (the session row is handed on, not read twice).
FAST_PATH_MISS = 1
# The same for a session the fast path has seen before: its look is one statement (the session
# row with the viewer), and the full path reads no session row: nothing more than the page.
FAST_PATH_MISS_SEEN = 0


@pytest.mark.parametrize("size", [5, 200])
@pytest.mark.parametrize("view", ["insights:gradebook", "insights:heatmap"])
def test_the_page_runs_a_fixed_number_of_queries(people, client_for, django_assert_num_queries, size, view):
    bulk_cohort(people.cohort, size - 2, mentor=people.mentor)
    client = client_for(people.instructor)
    url = reverse(view, args=[people.cohort.slug])
    with django_assert_num_queries(PAGE_QUERIES + 1):  # the column averages computed
        client.get(url)
    # The column averages read from the cache; the whole cohort's order by total made once for
    # this version (two queries: the students, then their totals grouped in one pass).
    with django_assert_num_queries(PAGE_QUERIES + 1 + FAST_PATH_MISS):
        response = client.get(url, {"sort": "total", "dir": "desc", "status": "accepted"})
    assert response.status_code == 200
    assert len(response.context["book"].rows) == min(size - 2, 50)
    assert response.context["book"].student_count == size - 2  # the fixture's two have nothing accepted
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        again = client.get(url, {"sort": "total", "dir": "desc", "status": "accepted"})
    assert again.page_cache == "hit"  # the whole page came from the cache
    assert names(again) == names(response) and len(names(again)) == min(size - 2, 50)


@pytest.mark.parametrize("size", [5, 200])
def test_a_mentor_page_runs_a_fixed_number_of_queries(people, client_for, django_assert_num_queries, size):
    bulk_cohort(people.cohort, size - 2, mentor=people.mentor)
    client = client_for(people.mentor)
    client.get(reverse("insights:gradebook", args=[people.cohort.slug]))  # the column averages cached
    # As PAGE_QUERIES without the mentors of the filter (a mentor sees only their students).
    with django_assert_num_queries(PAGE_QUERIES - 1 + FAST_PATH_MISS):
        response = client.get(reverse("insights:gradebook", args=[people.cohort.slug]), {"sort": "name"})
    assert len(response.context["book"].rows) == min(size, 50)
    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        client.get(reverse("insights:gradebook", args=[people.cohort.slug]), {"sort": "name"})


# --- The cached rendering -----------------------------------------------------------------------


def cells_of(response, name: str) -> str:
    """The row of the student with this name, as served."""
    body = response.content.decode()
    start = body.index(f">{name}</a>")
    return body[start : body.index("</tr>", start)]


def test_a_submission_through_the_service_shows_on_the_cached_page_at_once(graded, client_for):
    url = reverse("insights:gradebook", args=[graded.cohort.slug])
    client = client_for(graded.instructor)
    missing = cells_of(client.get(url), "Cy Young").count("Missing")
    assert missing >= 10  # weeks 1–10 are past due (and the deliverables due by then)
    cached = client.get(url)
    assert cached.page_cache == "hit" and cells_of(cached, "Cy Young").count("Missing") == missing
    week = graded.cohort.course.weeks.get(number=1)
    work = submission_services.work_get_or_create(student=graded.third, cohort=graded.cohort, week=week)
    submission_services.work_submit(work=work, by=graded.third)
    after = client.get(url)
    assert cells_of(after, "Cy Young").count("Missing") == missing - 1
    assert "Submitted" in cells_of(after, "Cy Young")


def test_a_new_mentor_assignment_shows_on_the_mentors_cached_page(graded, client_for):
    url = reverse("insights:gradebook", args=[graded.cohort.slug])
    client = client_for(graded.unassigned_mentor)
    assert names(client.get(url)) == ["Cy Young"]
    mentor_assign(cohort=graded.cohort, mentor=graded.unassigned_mentor, student=graded.other_student)
    assert names(client.get(url)) == ["Bea Carter", "Cy Young"]


def test_a_mentor_never_gets_the_page_cached_for_the_whole_cohort(graded, client_for):
    url = reverse("insights:gradebook", args=[graded.cohort.slug])
    assert names(client_for(graded.instructor).get(url)) == ["Ada Lovelace", "Bea Carter", "Cy Young"]
    assert names(client_for(graded.unassigned_mentor).get(url)) == ["Cy Young"]
    assert names(client_for(graded.admin).get(url)) == ["Ada Lovelace", "Bea Carter", "Cy Young"]


def test_a_query_string_the_form_corrects_is_never_cached(graded, client_for):
    client = client_for(graded.instructor)
    url = reverse("insights:gradebook", args=[graded.cohort.slug])
    for params in ({"sort": "w99"}, {"after": "forged"}, {"sort": "name", "utm": "x"}):
        first = client.get(url, params)
        assert first.context.get("book") is not None  # computed
        second = client.get(url, params)
        assert second.context.get("book") is not None  # computed again, not kept


def test_the_cached_page_lasts_until_the_next_due_date_passes(graded):
    now = timezone.now()
    numbers = range(1, 25)
    # Weeks 1–10 are past due; week 11's due date is the next to pass.
    assert next_due_passing(graded.cohort, numbers=numbers, now=now) == week_window(graded.cohort, 11).due_at
    soon = now + datetime.timedelta(minutes=3)
    extension_grant(
        cohort=graded.cohort,
        student=graded.third,
        week=graded.cohort.course.weeks.get(number=10),
        due_at=soon,
        reason="Ill",
        granted_by=graded.instructor,
    )
    assert next_due_passing(graded.cohort, numbers=numbers, now=now) == soon
    key = "insights:grid:test-due"
    grid_put(key, "content", until=now - datetime.timedelta(seconds=1))
    assert grid_get(key) is None  # already past: not kept at all


# --- Finding it --------------------------------------------------------------------------------


def test_the_insights_page_in_the_navigation_lists_each_taught_cohorts_gradebook(graded, client_for):
    gradebook = reverse("insights:gradebook", args=[graded.cohort.slug])
    heatmap = reverse("insights:heatmap", args=[graded.cohort.slug])
    other = reverse("insights:gradebook", args=[graded.other_cohort.slug])
    nav_link = f'<a href="{reverse("insights:index")}"'
    for role, mine, theirs in [
        ("mentor", True, False),
        ("instructor", True, False),
        ("foreign_mentor", False, True),
        ("admin", True, True),
    ]:
        assert nav_link in client_for(getattr(graded, role)).get(reverse("cohorts:list")).content.decode(), role
        body = client_for(getattr(graded, role)).get(reverse("insights:index")).content.decode()
        assert (gradebook in body, heatmap in body, other in body) == (mine, mine, theirs), role
    assert nav_link not in client_for(graded.student).get(reverse("cohorts:list")).content.decode()


def test_the_cohort_page_and_the_review_queue_link_to_the_gradebook(graded, client_for):
    gradebook = reverse("insights:gradebook", args=[graded.cohort.slug])
    cohort_page = reverse("cohorts:detail", args=[graded.cohort.slug])
    for role in ("mentor", "instructor", "admin"):
        assert gradebook in client_for(getattr(graded, role)).get(cohort_page).content.decode(), role
    assert gradebook not in client_for(graded.student).get(cohort_page).content.decode()
    queue = client_for(graded.mentor).get(reverse("rubrics:queue")).content.decode()
    assert f'<a href="{reverse("insights:index")}">Gradebooks' in queue


def test_missing_reads_the_same_on_the_page_the_heatmap_the_csv_and_the_api(graded, client_for):
    """Ada's week 3 is a draft past its due date: "Missing" on every surface (one label)."""
    missing = WORK_STATUSES["missing"]
    page = page_for(graded.instructor, client_for, graded)
    ada = next(row for row in page.context["book"].rows if row.name == "Ada Lovelace")
    assert ada.cells[2].status == missing
    assert '<td><span class="badge warn">Missing</span></td>' in page.content.decode()
    heatmap = client_for(graded.instructor).get(reverse("insights:heatmap", args=[graded.cohort.slug]))
    assert '<span class="visually-hidden">Missing</span>' in heatmap.content.decode()
    export = client_for(graded.instructor).get(reverse("reports:gradebook_csv", args=[graded.cohort.slug]))
    ada_line = next(line for line in b"".join(export.streaming_content).decode().splitlines() if "Ada" in line)
    assert ada_line.split(",")[4] == missing.label.lower()
    api = client_for(graded.instructor).get(
        f"/api/v1/cohorts/{graded.cohort.slug}/students/{graded.student.pk}/grades/"
    )
    assert api.status_code == 200
    week_3 = api.json()["lines"][2]
    assert (week_3["state"], week_3["state_label"]) == ("missing", missing.label)
