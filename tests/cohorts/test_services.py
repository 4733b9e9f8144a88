import datetime

import pytest
from django.core.exceptions import ValidationError

from cohorts.models import Extension, Membership, MentorAssignment
from cohorts.schedule import week_window
from cohorts.services import cohort_create, extension_grant, membership_add, membership_remove, mentor_assign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_cohort_create_validates_the_time_zone(course):
    with pytest.raises(ValidationError) as caught:
        cohort_create(course=course, name="X", slug="x", start_date=datetime.date(2026, 1, 5), time_zone="Nowhere/Land")
    assert "time_zone" in caught.value.message_dict


def test_a_person_holds_one_role_per_cohort(people):
    with pytest.raises(ValidationError, match="already a student"):
        membership_add(cohort=people.cohort, user=people.student, role=Membership.Role.MENTOR)
    same = membership_add(cohort=people.cohort, user=people.student, role=Membership.Role.STUDENT)
    assert same.role == Membership.Role.STUDENT
    assert Membership.objects.filter(cohort=people.cohort, user=people.student).count() == 1


def test_mentors_can_only_be_assigned_to_students_of_the_same_cohort(people):
    with pytest.raises(ValidationError, match="is not a student"):
        mentor_assign(cohort=people.cohort, mentor=people.mentor, student=people.foreign_student)
    with pytest.raises(ValidationError, match="is not a mentor"):
        mentor_assign(cohort=people.cohort, mentor=people.foreign_mentor, student=people.student)
    assignment = mentor_assign(cohort=people.cohort, mentor=people.unassigned_mentor, student=people.student)
    assert assignment.mentor == people.unassigned_mentor


def test_removing_a_member_removes_their_mentor_assignments(people):
    membership = Membership.objects.get(cohort=people.cohort, user=people.mentor)
    membership_remove(membership=membership)
    assert not MentorAssignment.objects.filter(cohort=people.cohort, mentor=people.mentor).exists()
    assert MentorAssignment.objects.filter(cohort=people.other_cohort).count() == 1


def test_extension_must_end_after_the_regular_due_date(people, course):
    week = course.weeks.get(number=2)
    regular = week_window(people.cohort, 2).due_at
    with pytest.raises(ValidationError, match="after the regular due date"):
        extension_grant(
            cohort=people.cohort, student=people.student, week=week, due_at=regular, reason="", granted_by=None
        )
    extension = extension_grant(
        cohort=people.cohort,
        student=people.student,
        week=week,
        due_at=regular + datetime.timedelta(days=1),
        reason="Illness",
        granted_by=people.instructor,
    )
    again = extension_grant(
        cohort=people.cohort,
        student=people.student,
        week=week,
        due_at=regular + datetime.timedelta(days=2),
        reason="Still ill",
        granted_by=people.instructor,
    )
    assert again.pk == extension.pk
    assert Extension.objects.get().due_at == regular + datetime.timedelta(days=2)


def test_extensions_are_only_for_students_of_the_cohort(people, course):
    with pytest.raises(ValidationError, match="is not a student"):
        extension_grant(
            cohort=people.cohort,
            student=UserFactory(),
            week=course.weeks.get(number=1),
            due_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
            reason="",
            granted_by=None,
        )
