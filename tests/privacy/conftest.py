"""A learner with something in every category the platform holds, real files on disk."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cohorts.models import Membership
from notifications.models import Kind
from reports.models import ReportRun
from rubrics.models import Assessment
from submissions.models import Artifact
from tests.factories import (
    ArtifactFactory,
    AssessmentFactory,
    ExtensionFactory,
    MembershipFactory,
    NotificationFactory,
    PortfolioEntryFactory,
    PortfolioFactory,
    ReportRunFactory,
    RetrospectiveFactory,
    RevisionFactory,
    RiskEntryFactory,
    WeeklyWorkFactory,
)

EVIDENCE_BYTES = "".join(f"{i:05d} p95=41ms at 200 req/s — ok\n" for i in range(4000)).encode()
NAME = "Samantha Learnerson"
EMAIL = "samantha.learnerson@example.com"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return settings.MEDIA_ROOT


@pytest.fixture
def learner(db):
    """Sam's week-1 work: a file and a link, submitted, reviewed by an anonymous peer and by
    their mentor (whose feedback names them), accepted and published; a peer review Sam
    gave; a risk, a retrospective, a notification, a report about them; and a classmate
    with work of their own."""
    artifact = ArtifactFactory(
        file=SimpleUploadedFile("k6 summary.txt", EVIDENCE_BYTES, content_type="text/plain"),
        proves="p95 under 50 ms, measured by Samantha Learnerson",
    )
    work = artifact.work
    student = work.student
    student.name = NAME
    student.email = EMAIL
    student.save(update_fields=["name", "email"])
    link = ArtifactFactory(work=work, link=True)
    ExtensionFactory(
        cohort=work.cohort, student=student, week=work.week, reason=f"{NAME} was in hospital", granted_by=None
    )
    RiskEntryFactory(student=student, cohort=work.cohort, week_opened=work.week, title="Cache stampede risk")
    RetrospectiveFactory(
        student=student, cohort=work.cohort, week=work.week, retain="Measure first", improve="Plan", scale="Budgets"
    )
    revision = RevisionFactory(work=work)
    peer_review = AssessmentFactory(revision=revision, kind=Assessment.Kind.PEER, feedback="Clear trade-offs.")
    mentor_review = AssessmentFactory(
        revision=revision, feedback=f"Well argued, {NAME}. Write to {EMAIL} if unsure.", comment=f"Good, {NAME}."
    )
    work.refresh_from_db()
    PortfolioFactory(user=student, slug="samantha-l")
    entry = PortfolioEntryFactory(work=work, narrative="Cut checkout p95 from 180 ms to 41 ms.")

    classmate = MembershipFactory(cohort=work.cohort, role=Membership.Role.STUDENT).user
    classmate_artifact = ArtifactFactory(
        work=WeeklyWorkFactory(student=classmate, cohort=work.cohort),
        file=SimpleUploadedFile("classmate.txt", b"classmate secret evidence\n", content_type="text/plain"),
    )
    classmate_revision = RevisionFactory(work=classmate_artifact.work)
    from tests.factories import PeerAssignmentFactory

    assignment = PeerAssignmentFactory(revision=classmate_revision, reviewer=student)
    given = AssessmentFactory(
        revision=classmate_revision, kind=Assessment.Kind.PEER, scorer=student, feedback="Nice index choice."
    )
    assignment.assessment = given
    assignment.save(update_fields=["assessment"])

    note = NotificationFactory(recipient=student, kind=Kind.SYSTEM, title="Your work was accepted")
    mentor = mentor_review.scorer
    mentor_note = NotificationFactory(recipient=mentor, kind=Kind.SYSTEM, title=f"{NAME} resubmitted week 1")
    report = ReportRunFactory(kind=ReportRun.Kind.STUDENT, cohort=work.cohort, student=student, requested_by=mentor)
    return SimpleNamespace(
        student=student,
        work=work,
        revision=revision,
        artifact=artifact,
        link=link,
        peer_review=peer_review,
        mentor_review=mentor_review,
        mentor=mentor,
        entry=entry,
        classmate=classmate,
        classmate_artifact=classmate_artifact,
        given=given,
        note=note,
        mentor_note=mentor_note,
        report=report,
        file_kinds=Artifact.Kind,
    )
