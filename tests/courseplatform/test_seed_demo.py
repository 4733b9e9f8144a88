import io

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import User
from cohorts.models import Cohort, CohortInvitation, Membership, MentorAssignment
from rubrics.models import AssessmentDraft

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if not model._meta.label.startswith("sessions.")
    }


def test_seed_demo_creates_the_demo_and_is_idempotent(demo):
    output = demo.output  # the first run's (the demo fixture's build)
    assert "admin@demo.example" in output
    assert "Demo ready" in output

    cohort = Cohort.objects.get(slug="demo-cohort")
    roles = list(Membership.objects.filter(cohort=cohort).values_list("role", flat=True))
    assert (roles.count("instructor"), roles.count("mentor"), roles.count("student")) == (1, 2, 6)
    assert MentorAssignment.objects.filter(cohort=cohort).count() == 6
    (invitation,) = CohortInvitation.objects.filter(cohort=cohort)
    assert invitation.role == "mentor" and invitation.accepted_at is None and invitation.revoked_at is None
    assert User.objects.get(email="admin@demo.example").is_superuser
    # The scoring page's draft assessment in progress: the first mentor's, on their queue's first item.
    (draft,) = AssessmentDraft.objects.all()
    assert draft.scorer.email == "mentor.maya@demo.example" and draft.decision == ""
    assert sum(1 for chosen in draft.levels.values() if chosen["level"]) == 3
    assert "Scoring: a draft assessment in progress" in output

    counts = _row_counts()
    second = io.StringIO()
    call_command("seed_demo", stdout=second)
    assert "admin@demo.example" not in second.getvalue()  # passwords are printed once
    assert _row_counts() == counts


def test_reset_passwords_prints_new_working_passwords(demo):
    out = io.StringIO()
    call_command("seed_demo", "--reset-passwords", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "sam@demo.example" in line)
    password = line.split()[-1]
    assert User.objects.get(email="sam@demo.example").check_password(password)
