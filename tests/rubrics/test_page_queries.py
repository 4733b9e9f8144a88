"""Exact query counts for the review pages that list things: the peer queue, the calibration
list, a student's progress and the feedback page. Each count stays the same however many
rows the page shows (measured at two sizes), and each query is named."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from rubrics.models import Assessment, PeerAssignment
from rubrics.services import assessment_record, calibration_run_create, peer_assign_reviewers
from tests.factories import CohortFactory, MembershipFactory

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db


def _warm(client, url):
    """The first request of a session also loads things once per process (site, content
    types); the counts below are for the page as people reload it."""
    assert client.get(url).status_code == 200


def test_peer_queue_queries(people, rubric, client_for, django_assert_num_queries):
    reviewer = people.other_student
    client = client_for(reviewer)
    url = reverse("rubrics:peer_queue")
    _warm(client, url)
    now = timezone.now()
    for size, weeks in ((2, range(1, 3)), (8, range(3, 9))):
        for number in weeks:
            author = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
            PeerAssignment.objects.create(
                revision=submit(author, people.cohort, number=number),
                reviewer=reviewer,
                assigned_at=now,
                due_at=now + datetime.timedelta(days=3),
            )
        unassigned = submit(MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user, people.cohort)
        # 1 session, 2 user, 3 my peer assignments with their works, weeks, deliverables and
        # cohorts (one join), 4 the navigation's roles. Nothing is assigned by showing the page.
        with django_assert_num_queries(4):
            response = client.get(url)
        assert len(re.findall(r'href="/review/peer/\d+/"', response.content.decode())) == size
        assert not PeerAssignment.objects.filter(revision=unassigned).exists()


def test_calibration_list_queries(people, rubric, client_for, django_assert_num_queries):
    client = client_for(people.instructor)
    url = reverse("rubrics:calibration_list")
    _warm(client, url)
    mentors = [people.mentor, people.unassigned_mentor]
    for size, weeks in ((1, range(1, 2)), (5, range(2, 6))):
        cohort = CohortFactory(course=people.cohort.course)  # one more cohort to start runs in
        MembershipFactory(cohort=cohort, user=people.instructor, role=Membership.Role.INSTRUCTOR)
        for number in weeks:
            calibration_run_create(
                cohort=people.cohort,
                revision=submit(people.student, people.cohort, number=number),
                created_by=people.instructor,
                mentors=mentors,
            )
        # 1 session, 2 user, 3 the runs (of cohorts I instruct, or mine to score) with their
        # cohort, work, week and deliverable and how many scored, 4 the cohorts I may start
        # runs in (one query, not one per cohort), 5 the navigation's roles.
        with django_assert_num_queries(5):
            response = client.get(url)
        assert len(response.context["runs"]) == size
        assert len(response.context["manageable"]) == Membership.objects.of(user=people.instructor).count()


def test_progress_page_queries(people, rubric, client_for, django_assert_num_queries):
    client = client_for(people.mentor)
    url = reverse("rubrics:progress", args=[people.cohort.slug, people.student.pk])
    _warm(client, url)
    for weeks in (range(1, 3), range(3, 9)):
        for number in weeks:
            assessment_record(
                revision=submit(people.student, people.cohort, number=number),
                scorer=people.mentor,
                kind=Assessment.Kind.MENTOR,
                scores=scores_for(rubric, 3),
                decision="accept",
            )
        # 1 session, 2 user, 3 the cohort, 4 the viewer's role in it (may see the cohort),
        # 5 the student by their membership of the cohort, 6 the viewer's role again (may see
        # the student), 7 the mentor assignment; the progress itself: 8 weeks, 9 works with
        # revision counts, 10 mentor assessments, 11 their scores with criteria and levels,
        # 12 top level points per criterion; 13 the navigation's roles.
        with django_assert_num_queries(13):
            response = client.get(url)
        assert response.status_code == 200


def test_feedback_page_queries(people, rubric, client_for, django_assert_num_queries):
    peers = [people.other_student] + [
        MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user for _ in range(4)
    ]
    people.cohort.peer_reviewers_per_submission = len(peers)
    people.cohort.save(update_fields=["peer_reviewers_per_submission"])
    revision = submit(people.student, people.cohort, evidence="k6.txt")
    peer_assign_reviewers(revision=revision)
    assessment_record(
        revision=revision,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, 2, "Compare options."),
        feedback="Revise",
        decision="request_changes",
    )
    client = client_for(people.student)
    url = reverse("rubrics:feedback", args=[revision.pk])
    _warm(client, url)
    for reviewed in (1, 5):
        for peer in peers[:reviewed]:
            if not Assessment.objects.filter(revision=revision, scorer=peer).exists():
                assessment_record(
                    revision=revision, scorer=peer, kind=Assessment.Kind.PEER, scores=scores_for(rubric, 3)
                )
        # 1 session, 2 user, 3 the revision with its work, student, cohort, week, deliverable
        # (one join; the author needs no membership query), 4 the rubric that applies, 5 its
        # criteria, 6 their levels, 7 the assessments of the revision, 8 their scores with
        # criteria and levels, 9 the work's revision numbers, 10 the navigation's roles.
        with django_assert_num_queries(10):
            response = client.get(url)
        assert response.content.decode().count("Peer reviewer ") >= reviewed
