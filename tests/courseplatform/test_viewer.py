"""courseplatform/viewer.py: the signed-in person's user row, membership stamps and unread count
in one statement, each the same values as the query the full path runs on its own."""

import pytest

from accounts.selectors import USER_BY_ID
from cohorts.models import Membership
from cohorts.selectors import membership_stamps
from courseplatform.navigation import _navigation, navigation_of
from courseplatform.viewer import viewer_get
from tests.factories import MembershipFactory, NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def fields(user) -> dict:
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}


def test_one_statement_gives_the_user_row_the_stamps_and_the_unread_count(people, django_assert_num_queries):
    MembershipFactory(cohort=people.other_cohort, user=people.mentor, role=Membership.Role.INSTRUCTOR)
    NotificationFactory(recipient=people.mentor)
    NotificationFactory(recipient=people.mentor)
    NotificationFactory(recipient=people.student)
    with django_assert_num_queries(1):
        viewer = viewer_get(people.mentor.pk)
    (alone,) = USER_BY_ID.objects(people.mentor.pk)
    assert fields(viewer.user) == fields(alone) and viewer.user._state.adding is False
    assert viewer.stamps == membership_stamps(people.mentor)
    assert [stamp.cohort_id for stamp in viewer.stamps] == sorted([people.cohort.pk, people.other_cohort.pk])
    assert {stamp.role for stamp in viewer.stamps} == {Membership.Role.MENTOR, Membership.Role.INSTRUCTOR}
    assert viewer.unread_notifications == 2


def test_a_person_of_no_cohort_and_a_person_gone():
    nobody = UserFactory()
    viewer = viewer_get(nobody.pk)
    assert viewer.user.pk == nobody.pk and viewer.stamps == () and viewer.unread_notifications == 0
    assert viewer_get(nobody.pk + 10_000) is None


@pytest.mark.parametrize("who", ["student", "mentor", "instructor", "admin", "stranger"])
def test_the_navigation_from_these_rows_is_the_full_paths(people, rf, who):
    user = getattr(people, who)
    NotificationFactory(recipient=user)
    request = rf.get("/")
    request.user = user
    viewer = viewer_get(user.pk)
    roles = {stamp.role for stamp in viewer.stamps}
    assert navigation_of(viewer.user, roles=roles, unread_notifications=viewer.unread_notifications) == _navigation(
        request
    )
