"""The contract: every documented operation, called as every role, answers with the status
the policies promise and a response that conforms to the published schema (status code,
content type, headers and body).

Adding an endpoint? Add its operationId to EXPECTED (and, if it has path parameters or a
body, to `_request`); `test_every_documented_operation_has_expectations` fails until you do.
Requests use the browser session with a CSRF token, as the pages' own JavaScript would;
token authentication is walked by tests/api/test_schemathesis.py.
"""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cohorts.models import Membership, MentorAssignment
from portfolios.services import entry_publish, portfolio_ensure
from rubrics.selectors import rubric_criteria, rubric_for_work
from rubrics.services import rubric_install_defaults
from submissions import services as submission_services
from tests.api.conftest import ROLES, load_api_schema, peer_reviewer, person
from tests.factories import (
    ExtensionFactory,
    NotificationFactory,
    PeerAssignmentFactory,
    PersonalAccessTokenFactory,
    ReportRunFactory,
    UserFactory,
    reviewed_work,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

PUBLIC = dict.fromkeys(ROLES, 200)
SIGNED_IN = {**dict.fromkeys(ROLES, 200), "anonymous": 401}
# The cohort of `people`: its members see it; strangers and other cohorts' people get 404.
MEMBERS_SEE = {
    "anonymous": 401,
    "stranger": 404,
    "student": 200,
    "other_student": 200,
    "mentor": 200,
    "foreign_mentor": 404,
    "instructor": 200,
    "admin": 200,
}


def _managers(success: int) -> dict[str, int]:
    """Instructors and admins may; other members are refused (403); outsiders see nothing (404)."""
    return {
        **MEMBERS_SEE,
        "student": 403,
        "other_student": 403,
        "mentor": 403,
        "instructor": success,
        "admin": success,
    }


EXPECTED: dict[str, dict[str, int]] = {
    # curriculum: public, like the course pages
    "bloom_levels_list": PUBLIC,
    "courses_list": PUBLIC,
    "courses_retrieve": PUBLIC,
    "courses_weeks_list": PUBLIC,
    "courses_weeks_retrieve": PUBLIC,
    "courses_capstones_list": PUBLIC,
    "courses_weeks_objectives_retrieve": PUBLIC,
    # changing the curriculum needs the admin's change permission (here: the superuser)
    "courses_weeks_objectives_partial_update": {**dict.fromkeys(ROLES, 403), "anonymous": 401, "admin": 200},
    # accounts
    "me_retrieve": SIGNED_IN,
    "me_partial_update": SIGNED_IN,
    "tokens_list": SIGNED_IN,
    "tokens_create": {**SIGNED_IN, **{role: 201 for role in ROLES if role != "anonymous"}},
    "tokens_destroy": {**SIGNED_IN, **{role: 204 for role in ROLES if role != "anonymous"}},
    # cohorts
    "cohorts_list": SIGNED_IN,
    "cohorts_retrieve": MEMBERS_SEE,
    "cohorts_schedule_list": MEMBERS_SEE,
    "cohorts_memberships_list": MEMBERS_SEE,
    "cohorts_memberships_create": _managers(201),
    "cohorts_memberships_destroy": _managers(204),
    "cohorts_mentor_assignments_list": {**MEMBERS_SEE, "student": 403, "other_student": 403},
    "cohorts_mentor_assignments_create": _managers(201),
    "cohorts_mentor_assignments_destroy": _managers(204),
    "cohorts_extensions_list": _managers(200),
    "cohorts_extensions_create": _managers(201),
    "cohorts_extensions_destroy": _managers(204),
    "cohorts_invitations_create": _managers(201),
}


# --- notifications, reports (issue #7) ------------------------------------------------------
# A student report of `people.student`: the student, their mentor, the cohort's instructor
# and admins read it; everyone else gets 404.
STUDENT_RECORD_READERS = {**MEMBERS_SEE, "other_student": 404}
EXPECTED.update(
    {
        "notifications_list": SIGNED_IN,
        "notifications_read_create": SIGNED_IN,
        "notifications_read_all_create": SIGNED_IN,
        "reports_list": SIGNED_IN,
        # people.student's student report: refused to another student (403); outsiders name no
        # cohort of theirs (400).
        "reports_create": {**STUDENT_RECORD_READERS, "stranger": 400, "foreign_mentor": 400, "other_student": 403}
        | {"student": 201, "mentor": 201, "instructor": 201, "admin": 201},
        "reports_retrieve": STUDENT_RECORD_READERS,
        "reports_download_retrieve": STUDENT_RECORD_READERS,
        # review: the queue is for mentors and instructors; a revision of people.student is
        # seen by those who see the student's record, and scored only by their mentors.
        "review_queue_list": {**SIGNED_IN, "stranger": 403, "student": 403, "other_student": 403},
        "review_revisions_rubric_retrieve": STUDENT_RECORD_READERS,
        "review_revisions_assessments_list": STUDENT_RECORD_READERS,
        "review_revisions_assessments_create": {**STUDENT_RECORD_READERS, "student": 403}
        | {"mentor": 201, "instructor": 201, "admin": 201},
        # portfolios: your own; publishing and unpublishing people.student's accepted work is
        # theirs alone (the work in the body: 400; the entry in the path: 404); a private portfolio is read by the learner,
        # their mentors and admins only.
        "portfolio_retrieve": SIGNED_IN,
        "portfolio_update": SIGNED_IN,
        "portfolio_entries_list": SIGNED_IN,
        "portfolio_entries_create": {**dict.fromkeys(ROLES, 400), "anonymous": 401, "student": 201},
        "portfolio_entries_unpublish_create": {**dict.fromkeys(ROLES, 404), "anonymous": 401, "student": 200},
        "portfolios_retrieve": {**dict.fromkeys(ROLES, 404), "student": 200, "mentor": 200, "admin": 200},
        # progress: people.student's grades and mastery, read by those who see the student's record
        "cohorts_students_grades_retrieve": STUDENT_RECORD_READERS,
        "cohorts_students_mastery_retrieve": STUDENT_RECORD_READERS,
        # insights: the cohort's mentors and instructors, and admins; anyone else sees no such cohort
        "cohorts_at_risk_retrieve": {**dict.fromkeys(ROLES, 404), "anonymous": 401}
        | {"mentor": 200, "instructor": 200, "admin": 200},
        "cohorts_turnaround_retrieve": {**dict.fromkeys(ROLES, 404), "anonymous": 401}
        | {"mentor": 200, "instructor": 200, "admin": 200},
        # the mastery rule: its page's rule, the cohort's instructors and admins
        "cohorts_mastery_rule_retrieve": {**dict.fromkeys(ROLES, 404), "anonymous": 401}
        | {"instructor": 200, "admin": 200},
        "cohorts_mastery_rule_update": {**dict.fromkeys(ROLES, 404), "anonymous": 401}
        | {"instructor": 200, "admin": 200},
    }
)


@pytest.fixture(autouse=True)
def _report_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _request_for_my_apps(operation_id: str, people, actor) -> dict | None:
    """Path parameters and bodies of the notifications, reports and review operations."""
    if operation_id.startswith("review_peer_"):
        return _request_for_peer_review(operation_id, people)
    if operation_id.startswith("review_revisions_"):
        revision = _submitted_revision(people)
        PeerAssignmentFactory(revision=revision, reviewer=peer_reviewer(people))
        params = {"id": revision.pk, "revision_id": revision.pk}
        if operation_id != "review_revisions_assessments_create":
            return {"path_parameters": params}
        rubric = rubric_for_work(revision.work)
        scores = [{"criterion": c.pk, "level": c.levels.all()[0].pk} for c in rubric_criteria(rubric)]
        body = {"kind": "mentor", "decision": "accept", "feedback": "Clear analysis.", "scores": scores}
        return {"path_parameters": params, "body": body}
    if operation_id in ("cohorts_students_grades_retrieve", "cohorts_students_mastery_retrieve"):
        work = reviewed_work(
            cohort=people.cohort, student=people.student, week=people.cohort.course.weeks.get(number=2)
        )
        return {"path_parameters": {"cohort_slug": people.cohort.slug, "student_id": work.student_id}}
    if operation_id == "cohorts_mastery_rule_update":
        rubric_install_defaults(course=people.cohort.course)
        return {"path_parameters": {"cohort_slug": people.cohort.slug}, "body": {"min_points": 2, "require": "every"}}
    if operation_id == "portfolio_retrieve":
        portfolio_ensure(user=actor or people.stranger)
    if operation_id == "portfolio_update":
        return {"body": {"slug": "api-contract", "display_name": "Sam", "visibility": "public", "links": []}}
    if operation_id.startswith(("portfolio_entries_", "portfolios_")):
        work = reviewed_work(
            cohort=people.cohort, student=people.student, week=people.cohort.course.weeks.get(number=2)
        )
        if operation_id == "portfolio_entries_create":
            return {"body": {"work": work.pk, "narrative": "Cut p95 latency from 900 ms to 40 ms."}}
        entry = entry_publish(work=work, by=people.student, narrative="Cut p95 latency.", artifact_ids=[])
        if operation_id == "portfolios_retrieve":
            return {"path_parameters": {"slug": entry.portfolio.slug}}
        if operation_id == "portfolio_entries_unpublish_create":
            return {"path_parameters": {"id": entry.pk}}
    if operation_id == "notifications_read_create":
        return {"path_parameters": {"id": NotificationFactory(recipient=actor or people.stranger).pk}}
    if operation_id == "reports_create":
        body = {"kind": "student", "format": "csv", "cohort": people.cohort.slug, "student": people.student.pk}
        return {"body": body}
    if operation_id in ("reports_retrieve", "reports_download_retrieve"):
        run = ReportRunFactory(
            cohort=people.cohort, kind="student", student=people.student, requested_by=people.student
        )
        if operation_id == "reports_download_retrieve":
            run.status = "succeeded"
            run.file.save("student-report.csv", ContentFile(b"week,score\n1,3.5\n"))
        return {"path_parameters": {"id": run.pk}}
    return None


@pytest.fixture(scope="module")
def api_schema():
    return load_api_schema()


def _operations(api_schema):
    return {op.ok().definition.raw["operationId"]: op.ok() for op in api_schema.get_all_operations()}


def _request_for_peer_review(operation_id: str, people) -> dict:
    """people.peer reviews a week-1 revision of people.student that has an evidence file."""
    if operation_id == "review_peer_list":
        return {}
    from django.core.files.uploadedfile import SimpleUploadedFile

    course = people.cohort.course
    rubric_install_defaults(course=course)
    work = submission_services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=course.weeks.get(number=1)
    )
    upload = SimpleUploadedFile("k6-summary.txt", b"p95=41ms at 200 req/s\n", content_type="text/plain")
    artifact = submission_services.artifact_upload(work=work, upload=upload, proves="Latency.", by=people.student)
    revision = submission_services.work_submit(work=work, by=people.student)
    assignment = PeerAssignmentFactory(revision=revision, reviewer=peer_reviewer(people))
    if operation_id == "review_peer_evidence_retrieve":
        return {"path_parameters": {"id": assignment.pk, "artifact_id": artifact.pk}}
    return {"path_parameters": {"id": assignment.pk}}


def _submitted_revision(people):
    """A week-1 revision of people.student awaiting review, under the default rubric."""
    course = people.cohort.course
    rubric_install_defaults(course=course)
    week = course.weeks.get(number=1)
    work = submission_services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    return submission_services.work_submit(work=work, by=people.student)


def _request(operation_id: str, people, actor) -> dict:
    """Path parameters and a valid body for each operation, against `people`."""
    mine = _request_for_my_apps(operation_id, people, actor)
    if mine is not None:
        return mine
    threads = _request_for_threads(operation_id, people)
    if threads is not None:
        return threads
    privacy = _request_for_privacy(operation_id, people)
    if privacy is not None:
        return privacy
    workspace = _request_for_workspace(operation_id, people)
    if workspace is not None:
        return workspace
    course = people.cohort.course
    cohort = people.cohort.slug
    if operation_id.startswith("courses_weeks_objectives_"):
        request = {"path_parameters": {"course_slug": course.slug, "week_number": 3, "order": 1}}
        if operation_id == "courses_weeks_objectives_partial_update":
            request["body"] = {"verb": "Explain", "text": "Explain the week's error contracts to a new teammate."}
        return request
    if operation_id.startswith("courses_"):
        params = {"slug": course.slug, "course_slug": course.slug, "number": 3}
        return {"path_parameters": {k: v for k, v in params.items() if k in ("slug", "course_slug", "number")}}
    if operation_id == "me_partial_update":
        return {"body": {"time_zone": "Europe/Lisbon"}}
    if operation_id == "tokens_create":
        return {"body": {"name": "CI script", "scope": "read", "expires_in_days": 30}}
    if operation_id == "tokens_destroy":
        owner = actor or people.stranger
        return {"path_parameters": {"id": PersonalAccessTokenFactory(user=owner).pk}}
    if operation_id in ("cohorts_retrieve", "cohorts_schedule_list"):
        return {"path_parameters": {"slug": cohort}}
    if operation_id == "cohorts_memberships_create":
        newcomer = UserFactory(email="newcomer@example.com")
        return {"path_parameters": {"cohort_slug": cohort}, "body": {"email": newcomer.email, "role": "student"}}
    if operation_id == "cohorts_memberships_destroy":
        membership = Membership.objects.get(cohort=people.cohort, user=people.other_student)
        return {"path_parameters": {"cohort_slug": cohort, "id": membership.pk}}
    if operation_id == "cohorts_invitations_create":
        return {"path_parameters": {"cohort_slug": cohort}, "body": {"email": "invitee@example.com", "role": "mentor"}}
    if operation_id == "cohorts_mentor_assignments_create":
        body = {"mentor": people.unassigned_mentor.pk, "student": people.student.pk}
        return {"path_parameters": {"cohort_slug": cohort}, "body": body}
    if operation_id == "cohorts_mentor_assignments_destroy":
        assignment = MentorAssignment.objects.get(cohort=people.cohort, student=people.other_student)
        return {"path_parameters": {"cohort_slug": cohort, "id": assignment.pk}}
    if operation_id == "cohorts_extensions_create":
        body = {"student": people.student.pk, "week": 2, "due_at": "2026-10-01T12:00:00+02:00", "reason": "Illness"}
        return {"path_parameters": {"cohort_slug": cohort}, "body": body}
    if operation_id == "cohorts_extensions_destroy":
        extension = ExtensionFactory(
            cohort=people.cohort, student=people.student, due_at=datetime.datetime(2026, 9, 20, tzinfo=datetime.UTC)
        )
        return {"path_parameters": {"cohort_slug": cohort, "id": extension.pk}}
    if operation_id.startswith("cohorts_") and operation_id != "cohorts_list":
        return {"path_parameters": {"cohort_slug": cohort}}
    return {}


def _session(user) -> dict[str, dict[str, str]]:
    """Session and CSRF cookies plus the CSRF header, as a signed-in browser sends them."""
    if user is None:
        return {}
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
        "headers": {"X-CSRFToken": csrf},
    }


# --- workspace: weekly work, revisions, artifacts (issue #7) --------------------------------
# A work of `people.student`: read by the student, their mentor, the cohort's instructor and
# admins (404 for everyone else); changed only by the student (403 for the other readers).
WORK_READERS = {**MEMBERS_SEE, "other_student": 404}


def _work_owner(success: int) -> dict[str, int]:
    return {**WORK_READERS, "mentor": 403, "instructor": 403, "admin": 403, "student": success}


WORKSPACE_EXPECTED: dict[str, dict[str, int]] = {
    "works_list": SIGNED_IN,
    # Each student opens their own work; teachers are no students of the cohort (403); outsiders
    # name no cohort of theirs (400).
    "works_create": {**MEMBERS_SEE, "student": 201, "other_student": 201, "mentor": 403, "instructor": 403}
    | {"admin": 403, "stranger": 400, "foreign_mentor": 400},
    "works_retrieve": WORK_READERS,
    "works_partial_update": _work_owner(200),
    "works_revisions_list": WORK_READERS,
    "works_revisions_create": _work_owner(201),
    "works_revisions_retrieve": WORK_READERS,
    "works_revisions_diff_retrieve": WORK_READERS,
    "works_artifacts_list": WORK_READERS,
    # Sent without a file here (the walk sends JSON bodies): the student's request reaches the
    # validation (400); tests/api/test_submissions_api.py uploads real files.
    "works_artifacts_create": _work_owner(400),
    "works_artifacts_links_create": _work_owner(201),
    "works_artifacts_download_retrieve": WORK_READERS,
    "works_artifacts_destroy": _work_owner(204),
    "works_retrospective_retrieve": WORK_READERS,
    "works_retrospective_update": _work_owner(200),
    "works_risks_list": WORK_READERS,
    "works_improve_items_list": WORK_READERS,
    "works_improve_items_update": _work_owner(200),
    "works_risks_create": _work_owner(201),
    "works_risks_close_create": _work_owner(200),
    "works_risks_reopen_create": _work_owner(200),
}
EXPECTED.update(WORKSPACE_EXPECTED)


# --- privacy: a person's own data (issue 15) --------------------------------------------------
# people.student's archive and erasure request: theirs and admins'; 404 for everyone else.
# Asking for an erasure with a wrong password is a 400 for everyone.
OWNER_AND_ADMINS = {**dict.fromkeys(ROLES, 404), "anonymous": 401, "student": 200, "admin": 200}
EXPECTED.update(
    {
        "me_exports_list": SIGNED_IN,
        "me_exports_create": {**SIGNED_IN, **{role: 201 for role in ROLES if role != "anonymous"}},
        "me_exports_retrieve": OWNER_AND_ADMINS,
        "me_exports_download_retrieve": OWNER_AND_ADMINS,
        "me_erasure_requests_list": SIGNED_IN,
        "me_erasure_requests_create": {**dict.fromkeys(ROLES, 400), "anonymous": 401},
        "me_erasure_requests_cancel_create": OWNER_AND_ADMINS,
    }
)


def _request_for_privacy(operation_id: str, people) -> dict | None:
    from privacy.models import DataExport
    from privacy.services import erasure_request
    from tests.factories import DataExportFactory

    if operation_id in ("me_exports_retrieve", "me_exports_download_retrieve"):
        export = DataExportFactory(user=people.student, status=DataExport.Status.SUCCEEDED, progress=100)
        export.file.save("my-data.zip", ContentFile(b"PK\x05\x06" + bytes(18)))
        return {"path_parameters": {"id": export.pk}}
    if operation_id == "me_erasure_requests_create":
        return {"body": {"password": "not the password"}}
    if operation_id == "me_erasure_requests_cancel_create":
        request = erasure_request(user=people.student, by=people.admin)
        return {"path_parameters": {"id": request.pk}}
    return None


# --- the peer reviewer: a student of the cohort assigned to review people.student's revision ----
# Everywhere else a peer is just another student of the cohort.
for _statuses in EXPECTED.values():
    _statuses["peer"] = _statuses["other_student"]
ONLY_THE_PEER = {**dict.fromkeys(ROLES, 404), "anonymous": 401, "peer": 200}
EXPECTED.update(
    {
        "review_peer_list": SIGNED_IN,
        "review_peer_retrieve": ONLY_THE_PEER,
        "review_peer_evidence_retrieve": ONLY_THE_PEER,
        # The assigned peer reads the rubric and their own review (none yet), and may score
        # only as a peer (the walk's body scores as mentor: 403).
        "review_revisions_rubric_retrieve": {**EXPECTED["review_revisions_rubric_retrieve"], "peer": 200},
        "review_revisions_assessments_list": {**EXPECTED["review_revisions_assessments_list"], "peer": 200},
        "review_revisions_assessments_create": {**EXPECTED["review_revisions_assessments_create"], "peer": 403},
    }
)


def _request_for_workspace(operation_id: str, people) -> dict | None:
    """Path parameters and bodies of the workspace operations, on a week-20 work of people.student."""
    if not operation_id.startswith("works_"):
        return None
    from django.core.files.uploadedfile import SimpleUploadedFile

    from submissions import services as workspace_services

    week = people.cohort.course.weeks.get(number=20)
    if operation_id == "works_create":
        return {"body": {"cohort": people.cohort.slug, "week": 20}}
    if operation_id == "works_list":
        return {}
    work = workspace_services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    params = {"id": work.pk, "work_id": work.pk}
    if operation_id == "works_partial_update":
        body = {"draft_version": work.draft_version, "content": {"concept": {"text": "Latency is queueing."}}}
        return {"path_parameters": params, "body": body}
    if operation_id == "works_revisions_create":
        return {"path_parameters": params, "body": {"draft_version": work.draft_version}}
    if operation_id in ("works_revisions_retrieve", "works_revisions_diff_retrieve"):
        first = workspace_services.work_submit(work=work, by=people.student)
        workspace_services.work_request_changes(work=work, revision=first, by=people.mentor)
        workspace_services.work_submit(work=work, by=people.student)
        return {"path_parameters": {**params, "number": 2}}
    if operation_id == "works_retrospective_update":
        body = {"retain": "Measure first.", "improve": "Start earlier.", "scale": "Latency budgets."}
        return {"path_parameters": params, "body": body}
    if operation_id in ("works_improve_items_list", "works_improve_items_update"):
        workspace_services.retrospective_save(
            student=people.student,
            cohort=people.cohort,
            week=people.cohort.course.weeks.get(number=19),
            retain="Measure first.",
            improve="- Start load tests on Tuesday",
            scale="Latency budgets.",
        )
        if operation_id == "works_improve_items_update":
            from submissions.selectors import improve_items_for_work

            key = improve_items_for_work(work)[0].key
            return {"path_parameters": {**params, "key": key}, "body": {"status": "carried", "note": "Next week."}}
        return {"path_parameters": params}
    if operation_id == "works_risks_create":
        return {"path_parameters": params, "body": {"kind": "risk", "title": "Pool exhaustion", "severity": "high"}}
    if operation_id in ("works_risks_close_create", "works_risks_reopen_create"):
        entry = workspace_services.risk_entry_create(
            student=people.student, cohort=people.cohort, week=week, kind="defect", title="Flaky test", severity="low"
        )
        if operation_id == "works_risks_reopen_create":
            workspace_services.risk_entry_close(entry=entry, week=week, resolution="Fixed the clock.")
            return {"path_parameters": {**params, "id": entry.pk}}
        return {"path_parameters": {**params, "id": entry.pk}, "body": {"resolution": "Fixed the clock."}}
    if operation_id == "works_artifacts_links_create":
        return {"path_parameters": params, "body": {"url": "https://example.com/trace", "proves": "The trace."}}
    if operation_id in ("works_artifacts_download_retrieve", "works_artifacts_destroy"):
        upload = SimpleUploadedFile("k6-summary.txt", b"p95=41ms at 200 req/s\n", content_type="text/plain")
        artifact = workspace_services.artifact_upload(
            work=work, upload=upload, proves="Latency under load.", by=people.student
        )
        return {"path_parameters": {**params, "id": artifact.pk}}
    return {"path_parameters": params}


# --- comment threads (issue 17) ---------------------------------------------------------------
# A revision of people.student awaiting review, people.peer assigned to it, and a thread the
# mentor opened on it. The student reads and replies; a peer reads only the threads they
# opened; mentors and instructors open, reply and settle; the student alone marks addressed.
THREAD_OUTSIDERS = {"anonymous": 401, "stranger": 404, "other_student": 404, "foreign_mentor": 404}
THREAD_STAFF = {"mentor": 200, "instructor": 200, "admin": 200}
EXPECTED.update(
    {
        "feedback_revisions_threads_list": {**THREAD_OUTSIDERS, **THREAD_STAFF, "student": 200, "peer": 200},
        "feedback_revisions_threads_create": {
            **THREAD_OUTSIDERS,
            "student": 403,
            "peer": 201,
            "mentor": 201,
            "instructor": 201,
            "admin": 201,
        },
        "feedback_threads_retrieve": {**THREAD_OUTSIDERS, **THREAD_STAFF, "student": 200, "peer": 404},
        "feedback_threads_replies_create": {
            **THREAD_OUTSIDERS,
            "student": 201,
            "peer": 404,
            "mentor": 201,
            "instructor": 201,
            "admin": 201,
        },
        "feedback_threads_resolve_create": {**THREAD_OUTSIDERS, **THREAD_STAFF, "student": 403, "peer": 404},
        "feedback_threads_reopen_create": {**THREAD_OUTSIDERS, **THREAD_STAFF, "student": 403, "peer": 404},
        "feedback_threads_addressed_create": {
            **THREAD_OUTSIDERS,
            "student": 200,
            "peer": 404,
            "mentor": 403,
            "instructor": 403,
            "admin": 403,
        },
    }
)


def _request_for_threads(operation_id: str, people) -> dict | None:
    if not operation_id.startswith("feedback_"):
        return None
    from feedback import services as feedback_services

    revision = _submitted_revision(people)
    PeerAssignmentFactory(revision=revision, reviewer=peer_reviewer(people))
    if operation_id == "feedback_revisions_threads_list":
        return {"path_parameters": {"revision_id": revision.pk}}
    if operation_id == "feedback_revisions_threads_create":
        return {"path_parameters": {"revision_id": revision.pk}, "body": {"section": "lab", "body": "Where is p99?"}}
    thread = feedback_services.thread_open(revision=revision, by=people.mentor, body="Quantify it.", section="lab")
    if operation_id == "feedback_threads_replies_create":
        return {"path_parameters": {"id": thread.pk}, "body": {"body": "Done in r2."}}
    if operation_id == "feedback_threads_reopen_create":
        feedback_services.thread_resolve(thread=thread, by=people.mentor)
    if operation_id == "feedback_threads_addressed_create":
        submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
        return {"path_parameters": {"id": thread.pk}, "body": {"note": "See the new table."}}
    return {"path_parameters": {"id": thread.pk}}


def test_every_documented_operation_has_expectations(api_schema):
    assert set(_operations(api_schema)) == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation_id", sorted(EXPECTED))
def test_operation_as_role(api_schema, people, operation_id, role):
    operation = _operations(api_schema)[operation_id]
    actor = person(people, role)
    request = _request(operation_id, people, actor)
    extra = {"body": request["body"], "media_type": "application/json"} if "body" in request else {}
    case = operation.Case(path_parameters=request.get("path_parameters"), **_session(actor), **extra)
    response = case.call()
    assert response.status_code == EXPECTED[operation_id][role], response.text
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("operation_id", sorted(EXPECTED))
def test_operation_refuses_staff_without_a_second_factor(api_schema, people, token_for, settings, operation_id):
    """The second-factor rule holds on every operation, public ones included: an instructor
    who has not enrolled cannot use an old token anywhere (portfolios once skipped it)."""
    settings.MFA_REQUIRED_FOR_STAFF = True
    operation = _operations(api_schema)[operation_id]
    request = _request(operation_id, people, people.instructor)
    extra = {"body": request["body"], "media_type": "application/json"} if "body" in request else {}
    token = token_for(people.instructor)
    case = operation.Case(
        path_parameters=request.get("path_parameters"),
        headers={"Authorization": f"Bearer {token.plaintext}"},
        **extra,
    )
    response = case.call()
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "second_factor_required"
