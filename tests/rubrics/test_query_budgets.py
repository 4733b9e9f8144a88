"""The review queue, the scoring page and the gradebook export run a fixed number of queries,
whatever the cohort size. The data is built with bulk_create: 200 students × 24 weeks."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import Membership, MentorAssignment
from rubrics.models import Assessment
from rubrics.selectors import QUEUE_PAGE_SIZE
from rubrics.services import assessment_draft_save, assessment_record, peer_assign_reviewers
from submissions.models import Revision, WeeklyWork
from tests.factories import MembershipFactory

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db

STUDENTS = 200


@pytest.fixture
def big_cohort(people, rubric):
    """200 students, all assigned to the mentor, each with 24 weeks submitted; half accepted
    with a mentor score, half waiting for review."""
    cohort = people.cohort
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(email=f"bulk{i}@example.com", name=f"Bulk Student {i:03d}", password="!") for i in range(STUDENTS)]
    )
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in users])
    MentorAssignment.objects.bulk_create(
        [MentorAssignment(cohort=cohort, mentor=people.mentor, student=u) for u in users]
    )
    weeks = list(cohort.course.weeks.order_by("number"))
    works = WeeklyWork.objects.bulk_create(
        [WeeklyWork(student=u, cohort=cohort, week=w, state=WeeklyWork.State.SUBMITTED) for u in users for w in weeks]
    )
    revisions = Revision.objects.bulk_create(
        [
            Revision(
                work=work,
                number=1,
                content={"concept": {"text": "Bulk"}},
                submitted_at=now - datetime.timedelta(minutes=index),
                due_at=now,
                is_late=index % 7 == 0,
                submitted_by_id=work.student_id,
            )
            for index, work in enumerate(works)
        ]
    )
    for index, (work, revision) in enumerate(zip(works, revisions, strict=True)):
        work.latest_revision = revision
        if index % 2:
            work.state = WeeklyWork.State.ACCEPTED
    WeeklyWork.objects.bulk_update(works, ["latest_revision", "state"], batch_size=500)
    Assessment.objects.bulk_create(
        [
            Assessment(
                revision=revision,
                rubric=rubric,
                scorer=people.mentor,
                kind=Assessment.Kind.MENTOR,
                decision="accept",
                score=Decimal("75.00"),
                submitted_at=now,
            )
            for index, revision in enumerate(revisions)
            if index % 2
        ]
    )
    return cohort


def test_gradebook_csv_streams_every_student_in_queries_that_grow_only_with_the_chunks(
    people, big_cohort, client_for, django_assert_num_queries, settings
):
    settings.REPORTS_CHUNK_SIZE = 100
    client = client_for(people.mentor)
    # 9 once: session, user, cohort, role (may view the cohort), role (whole cohort or the
    # mentor's students), student ids, weeks, capstone projects, deliverables; then per chunk of
    # 100 students (202: three chunks) 3: students with totals, extensions, works with their
    # latest revision and score. The gradebook page's own budget: tests/insights/test_gradebook.py.
    with django_assert_num_queries(9 + 3 * 3):
        response = client.get(reverse("reports:gradebook_csv", args=[big_cohort.slug]))
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + STUDENTS + 2
    assert len(lines[0].split(",")) == 2 + (24 + 9) + 3


def test_review_queue_runs_a_fixed_number_of_queries(people, big_cohort, client_for, django_assert_num_queries):
    client = client_for(people.mentor)
    # 7 when the page is made: session, user, my cohorts with roles and versions
    # (membership_stamps), navigation roles (both for the cache key), my cohorts and mentees
    # (teaching_scope), the queue (works, revisions, students, cohorts in one join), calibration
    # runs waiting. A repeat from the cache: 4 (tests/rubrics/test_queue_cache.py).
    with django_assert_num_queries(7):
        response = client.get(reverse("rubrics:queue"))
    assert response.status_code == 200
    # One page of the 2,400 waiting, whatever the queue's length.
    assert response.content.decode().count("/review/revisions/") == QUEUE_PAGE_SIZE
    # 8 with the CSRF cookie the first answer set: the signed-in fast path
    # (courseplatform/fast_path.py) reads the session (handed on to the full path), then the
    # user with my cohorts and unread count in one statement for the page's fast key, finds no
    # entry for this new page, and the full path reads the rest as above (7 + 1).
    with django_assert_num_queries(8):
        last = client.get(reverse("rubrics:queue"), {"page": STUDENTS * 24 // 2 // QUEUE_PAGE_SIZE})
    assert last.content.decode().count("/review/revisions/") == QUEUE_PAGE_SIZE
    assert 'rel="next"' not in last.content.decode() and 'rel="prev"' in last.content.decode()


def test_the_review_queue_pages_hold_every_waiting_revision_once_oldest_first(people, big_cohort, client_for):
    client = client_for(people.mentor)
    seen = []
    number = 1
    while True:
        response = client.get(reverse("rubrics:queue"), {"page": number})
        assert response.status_code == 200
        seen += [int(pk) for pk in re.findall(r"/review/revisions/(\d+)/", response.content.decode())]
        if 'rel="next"' not in response.content.decode():
            break
        number += 1
    waiting = Revision.objects.filter(work__state=WeeklyWork.State.SUBMITTED).order_by("submitted_at", "work_id")
    assert seen == list(waiting.values_list("pk", flat=True))
    assert client.get(reverse("rubrics:queue"), {"page": number + 1}).status_code == 404
    for bad in ("0", "-1", "two", "1e3", "٣"):
        assert client.get(reverse("rubrics:queue"), {"page": bad}).status_code == 404


def test_scoring_page_runs_a_fixed_number_of_queries(people, rubric, client_for, django_assert_num_queries):
    third = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
    first = submit(people.student, people.cohort)
    peer_assign_reviewers(revision=first)
    for peer in (people.other_student, third):
        assessment_record(
            revision=first,
            scorer=peer,
            kind=Assessment.Kind.PEER,
            scores=scores_for(rubric, 2, "More numbers."),
            feedback="Peer",
        )
    assessment_record(
        revision=first,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, 2, "Compare options."),
        feedback="Revise",
        decision="request_changes",
    )
    second = submit(people.student, people.cohort, note="Compared options.", evidence="k6.txt")
    for scorer in (people.mentor, people.instructor, people.admin):
        assessment_draft_save(
            revision=second, scorer=scorer, levels=dict(scores_for(rubric, 3, "Better.")), feedback=f"By {scorer.pk}"
        )
    client = client_for(people.mentor)
    # 20: session, user, revision with its work (one join), mentor policy (role, assignment),
    # rubric attachment, criteria, levels, previous revision, assessments of both revisions,
    # their scores, peer identity policy once (role, assignment), the week's outcome
    # objectives, their criterion links, the cohort's mastery rule, the mentor's draft
    # assessment, navigation roles, the comment threads anchored in the revision (feedback's
    # panel: none here; tests/feedback pins the page with 50 threads), the previews of the
    # revision's evidence files (one query for all).
    with django_assert_num_queries(20):
        response = client.get(reverse("rubrics:score", args=[second.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Compare options." in body
    assert f"By {people.mentor.pk}" in body and f"By {people.instructor.pk}" not in body
    assert "<strong>75.00</strong> / 100" in body  # the draft's levels, totalled by the server
