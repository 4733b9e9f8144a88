"""Erasure: confirmed, cancellable during the grace period, then run by the scheduled task:
files gone, the person a pseudonym everywhere, grades still counted, the public page 404,
and an audit record that survives. Revisions change only through this one path."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from privacy import services
from privacy.models import DataExport, ErasureRequest
from privacy.tasks import run_due_erasures
from reports.models import ReportRun
from rubrics.models import Assessment
from rubrics.selectors import gradebook_page
from submissions.models import Artifact, ImmutableError, Revision, RiskEntry

from .conftest import EMAIL, NAME

PASSWORD = "correct horse battery staple"

# Every table an erasure touches, searched row by row for the person's name and address.
TOUCHED_TABLES = [
    "accounts_user",
    "cohorts_extension",
    "cohorts_historicalextension",
    "submissions_weeklywork",
    "submissions_revision",
    "submissions_artifact",
    "submissions_riskentry",
    "submissions_retrospective",
    "rubrics_assessment",
    "rubrics_criterionscore",
    "rubrics_selfassessmentdraft",
    "portfolios_portfolio",
    "portfolios_portfolioentry",
    "portfolios_portfolioentryartifact",
    "notifications_notification",
    "notifications_reminderlog",
    "reports_reportrun",
    "privacy_dataexport",
    "privacy_erasurerequest",
    "account_emailaddress",
    "django_admin_log",
]


def _rows_mentioning(text: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in TOUCHED_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t")  # noqa: S608 - fixed names
                rows = [row for (row,) in cursor.fetchall()]
            else:  # SQLite (the embedded default): every column of the row as text
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
                rows = [" ".join(str(value) for value in row) for row in cursor.fetchall()]
            found += [f"{table}: {row}" for row in rows if text.lower() in row.lower()]
    return found


def _erase_now(learner, django_capture_on_commit_callbacks) -> ErasureRequest:
    learner.student.set_password(PASSWORD)
    learner.student.save(update_fields=["password"])
    with django_capture_on_commit_callbacks(execute=True):
        request = services.erasure_request(user=learner.student, by=learner.student, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        ran = run_due_erasures.apply(kwargs={}).get()
    assert ran == []  # the grace period is not over
    later = timezone.now() + services.grace_period() + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.erasures_run_due(now=later) == [request.pk]
    request.refresh_from_db()
    return request


@pytest.fixture
def erased(learner, django_capture_on_commit_callbacks, client_for):
    # The cohort's statistics before, to compare with after.
    learner.before_gradebook = _gradebook_scores(learner)
    learner.public_before = Client().get("/p/samantha-l/").status_code
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(user=learner.student, by=learner.student)
    learner.export_file = DataExport.objects.get(user=learner.student).file.name
    learner.evidence_file = learner.artifact.file.name
    learner.request = _erase_now(learner, django_capture_on_commit_callbacks)
    learner.student.refresh_from_db()
    return learner


def _gradebook_scores(learner) -> list:
    book = gradebook_page(learner.work.cohort, learner.mentor)
    # Scores and whether the work was accepted; "published" becomes "accepted" (the page is gone).
    return sorted(
        (str(cell.score), cell.status.key in ("accepted", "published"))
        for row in book.rows
        for cell in row.cells
        if cell.has_work
    )


def test_the_erasure_is_audited_with_counts(erased):
    request = erased.request
    assert request.status == ErasureRequest.Status.COMPLETED
    assert request.executed_at and request.confirmed_at <= request.due_at <= request.executed_at
    assert request.pseudonym.startswith("Erased learner ")
    counts = request.counts
    assert counts["revisions scrubbed"] == 1
    assert counts["evidence files deleted"] == 1
    assert counts["evidence links forgotten"] == 1
    assert counts["portfolio pages deleted"] == 1
    assert counts["files deleted"] >= 2  # the evidence and the archive
    assert counts["accounts pseudonymised"] == 1


def test_files_are_gone_from_disk(erased):
    assert not default_storage.exists(erased.evidence_file)
    assert not default_storage.exists(erased.export_file)
    assert not DataExport.objects.filter(user=erased.student).exists()
    artifact = Artifact.objects.get(pk=erased.artifact.pk)
    assert (artifact.file.name, artifact.original_name, artifact.erased_at is not None) == ("", "", True)
    # The classmate's evidence is untouched.
    assert default_storage.exists(erased.classmate_artifact.file.name)


def test_the_account_is_a_pseudonym_nobody_can_sign_in_to(erased):
    user = erased.student
    assert user.name == erased.request.pseudonym
    assert user.email.endswith("@erased.invalid")
    assert not user.is_active and not user.has_usable_password()
    assert not Client().login(email=EMAIL, password=PASSWORD)


def test_no_row_of_the_touched_tables_names_the_person(erased):
    assert _rows_mentioning(NAME) == []
    assert _rows_mentioning(EMAIL) == []
    assert _rows_mentioning("samantha.learnerson") == []


def test_revisions_keep_their_facts_and_lose_their_content(erased):
    revision = Revision.objects.get(pk=erased.revision.pk)
    assert (revision.number, revision.submitted_at, revision.is_late) == (
        erased.revision.number,
        erased.revision.submitted_at,
        erased.revision.is_late,
    )
    assert revision.content["erased"] is True
    assert revision.content["decision"]["decision"] == ""
    assert RiskEntry.objects.get(student=erased.student).title == "(erased)"


def test_grades_still_count_in_the_cohort_statistics(erased):
    assert _gradebook_scores(erased) == erased.before_gradebook
    assert Assessment.objects.filter(revision=erased.revision).count() == 2


def test_mentor_feedback_stays_and_shows_the_pseudonym(erased):
    review = Assessment.objects.get(pk=erased.mentor_review.pk)
    assert review.feedback.startswith(f"Well argued, {erased.request.pseudonym}.")
    assert review.scores.first().comment == f"Good, {erased.request.pseudonym}."
    erased.mentor_note.refresh_from_db()
    assert erased.mentor_note.title == f"{erased.request.pseudonym} resubmitted week 1"


def test_the_mentor_sees_the_pseudonym_on_the_review_page(erased, client_for):
    page = client_for(erased.mentor).get(reverse("rubrics:score", args=[erased.revision.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert erased.request.pseudonym in body
    assert NAME not in body


def test_the_public_portfolio_answers_404(erased):
    assert erased.public_before == 200
    assert Client().get("/p/samantha-l/").status_code == 404


def test_erased_evidence_cannot_be_downloaded(erased, client_for):
    response = client_for(erased.mentor).get(reverse("rubrics:artifact", args=[erased.revision.pk, erased.artifact.pk]))
    assert response.status_code == 404


def test_reports_about_the_person_are_deleted(erased):
    assert not ReportRun.objects.filter(pk=erased.report.pk).exists()


def test_running_the_erasure_again_changes_nothing(erased):
    before = (erased.request.counts, erased.request.executed_at)
    services.erasure_execute(request_id=erased.request.pk, now=timezone.now() + datetime.timedelta(days=30))
    erased.request.refresh_from_db()
    assert (erased.request.counts, erased.request.executed_at) == before


# --- The immutability guard ---------------------------------------------------------------


def test_a_normal_save_of_a_revision_still_refuses(learner):
    revision = Revision.objects.get(pk=learner.revision.pk)
    revision.content = {"tampered": True}
    with pytest.raises(ImmutableError):
        revision.save(update_fields=["content"])
    with pytest.raises(ImmutableError):
        revision.save()
    with pytest.raises(ImmutableError):
        Revision.objects.filter(pk=revision.pk).update(content={})


def test_the_erasure_scope_covers_only_the_works_it_names(learner):
    from submissions.models import _erasure_rewrite

    revision = Revision.objects.get(pk=learner.revision.pk)
    revision.note = "changed"
    with _erasure_rewrite(work_ids=frozenset({learner.classmate_artifact.work_id})):
        with pytest.raises(ImmutableError):
            revision.save(update_fields=["note"])
    with _erasure_rewrite(work_ids=frozenset({revision.work_id})):
        with pytest.raises(ImmutableError):
            revision.save(update_fields=["number"])  # only content and note are erasable
    with pytest.raises(ImmutableError):
        revision.save(update_fields=["note"])  # the scope ended


def test_only_the_submissions_erasure_provider_opens_the_scope():
    from pathlib import Path

    from django.conf import settings

    users = [
        path.relative_to(settings.BASE_DIR).as_posix()
        for path in settings.BASE_DIR.rglob("*.py")
        if ".venv" not in path.parts
        and "node_modules" not in path.parts
        and "_erasure_rewrite" in path.read_text(encoding="utf-8")
    ]
    assert sorted(users) == ["submissions/models.py", "submissions/privacy.py", "tests/privacy/test_erasure.py"]
    assert Path(settings.BASE_DIR / "submissions/privacy.py").exists()


# --- Confirmation, grace period, cancelling -------------------------------------------------


def test_a_wrong_password_is_refused(learner):
    learner.student.set_password(PASSWORD)
    learner.student.save(update_fields=["password"])
    with pytest.raises(ValidationError) as caught:
        services.erasure_request(user=learner.student, by=learner.student, password="nope")
    assert "password" in caught.value.message_dict
    assert not ErasureRequest.objects.exists()


def test_the_learner_schedules_and_cancels_on_the_page(
    learner, client_for, settings, mailoutbox, django_capture_on_commit_callbacks
):
    learner.student.set_password(PASSWORD)
    learner.student.save(update_fields=["password"])
    client = client_for(learner.student)
    refused = client.post(reverse("privacy:erasure_create"), {"password": "wrong", "understood": "on"})
    assert refused.status_code == 400 and "That is not your password." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:erasure_create"), {"password": PASSWORD, "understood": "on"})
    assert response.status_code == 302
    request = ErasureRequest.objects.get()
    assert request.due_at - request.confirmed_at == datetime.timedelta(days=settings.PRIVACY_ERASURE_GRACE_DAYS)
    assert mailoutbox[-1].to == [EMAIL] and "scheduled for erasure" in mailoutbox[-1].subject
    page = client.get(reverse("privacy:home")).content.decode()
    assert "Cancel the erasure" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy:erasure_cancel", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.CANCELLED
    assert "cancelled" in mailoutbox[-1].subject
    later = timezone.now() + datetime.timedelta(days=settings.PRIVACY_ERASURE_GRACE_DAYS + 1)
    assert services.erasures_run_due(now=later) == []
    learner.student.refresh_from_db()
    assert learner.student.name == NAME


def test_the_grace_period_is_a_setting(learner, settings):
    settings.PRIVACY_ERASURE_GRACE_DAYS = 3
    learner.student.set_password(PASSWORD)
    learner.student.save(update_fields=["password"])
    request = services.erasure_request(user=learner.student, by=learner.student, password=PASSWORD)
    assert request.due_at - request.confirmed_at == datetime.timedelta(days=3)


def test_an_admin_starts_an_erasure_for_a_person(learner, people, client_for):
    url = reverse("privacy:person_erasure_create", args=[learner.student.pk])
    for outsider in (people.instructor, learner.mentor, learner.classmate):
        assert client_for(outsider).post(url, {"reason": "x"}).status_code == 404
    assert not ErasureRequest.objects.exists()
    response = client_for(people.admin).post(url, {"reason": "Asked by e-mail on 2 Dec"})
    assert response.status_code == 302
    request = ErasureRequest.objects.get()
    assert (request.requested_by, request.confirmation) == (people.admin, ErasureRequest.Confirmation.ADMIN)
    # The person can still cancel it.
    client_for(learner.student).post(reverse("privacy:erasure_cancel", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.CANCELLED


def test_others_cannot_cancel_someone_elses_erasure(learner, people, client_for):
    learner.student.set_password(PASSWORD)
    learner.student.save(update_fields=["password"])
    request = services.erasure_request(user=learner.student, by=learner.student, password=PASSWORD)
    for outsider in (learner.classmate, learner.mentor, people.instructor):
        assert client_for(outsider).post(reverse("privacy:erasure_cancel", args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.SCHEDULED


def test_staff_accounts_are_not_erased_here(people):
    with pytest.raises(ValidationError, match="Staff accounts"):
        services.erasure_request(user=people.admin, by=people.admin, password="x")


def test_people_lookup_is_for_admins_only(learner, people, client_for):
    url = reverse("privacy:people")
    assert client_for(learner.student).get(url).status_code == 404
    assert client_for(people.instructor).get(url).status_code == 404
    found = client_for(people.admin).get(url, {"email": EMAIL.upper()})
    assert found.url == reverse("privacy:person", args=[learner.student.pk])
    missing = client_for(people.admin).get(url, {"email": "nobody@example.com"})
    assert "Nobody has this e-mail address." in missing.content.decode()


def test_open_peer_reviews_are_withdrawn_and_the_erased_are_never_chosen_again(
    learner, django_capture_on_commit_callbacks
):
    from cohorts.models import Membership
    from rubrics.models import PeerAssignment
    from rubrics.services import peer_assign_reviewers
    from tests.factories import MembershipFactory, PeerAssignmentFactory, RevisionFactory, WeeklyWorkFactory

    cohort = learner.work.cohort
    author = MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT).user
    waiting = RevisionFactory(work=WeeklyWorkFactory(student=author, cohort=cohort))
    PeerAssignmentFactory(revision=waiting, reviewer=learner.student)
    _erase_now(learner, django_capture_on_commit_callbacks)
    assert not PeerAssignment.objects.filter(reviewer=learner.student, assessment__isnull=True).exists()
    # The peer review Sam did write stays (it is the classmate's feedback).
    assert PeerAssignment.objects.filter(reviewer=learner.student, assessment=learner.given).exists()
    cohort.peer_reviewers_per_submission = 10
    cohort.save(update_fields=["peer_reviewers_per_submission"])
    reviewers = {a.reviewer_id for a in peer_assign_reviewers(revision=waiting)}
    assert reviewers and learner.student.pk not in reviewers


def test_the_admin_lists_the_audit_read_only_with_a_link_to_the_persons_page(learner, people, client_for):
    request = services.erasure_request(user=learner.student, by=people.admin, reason="Asked by e-mail")
    client = client_for(people.admin)
    listing = client.get(reverse("admin:privacy_erasurerequest_changelist"))
    assert listing.status_code == 200
    assert reverse("privacy:person", args=[learner.student.pk]) in listing.content.decode()
    assert client.post(reverse("admin:privacy_erasurerequest_delete", args=[request.pk])).status_code == 403
    assert ErasureRequest.objects.filter(pk=request.pk).exists()
    assert reverse("privacy:people") in client.get(reverse("privacy:home")).content.decode()
    assert reverse("privacy:people") not in client_for(learner.student).get(reverse("privacy:home")).content.decode()


def test_a_gradebook_report_built_after_the_erasure_counts_the_grade_under_the_pseudonym(erased):
    from cohorts.models import Membership
    from reports.services import report_build, report_request
    from tests.factories import MembershipFactory

    instructor = MembershipFactory(cohort=erased.work.cohort, role=Membership.Role.INSTRUCTOR).user
    run = report_request(
        kind=ReportRun.Kind.GRADEBOOK, fmt="csv", cohort=erased.work.cohort, by=instructor, enqueue_build=False
    )
    run = report_build(run=run)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    with run.file.open("rb") as handle:
        text = handle.read().decode()
    row = next(line for line in text.splitlines() if erased.request.pseudonym in line)
    assert str(erased.mentor_review.score).rstrip("0").rstrip(".") in row or str(erased.mentor_review.score) in row
    assert NAME not in text and EMAIL not in text
