"""submissions.services.work_open: the one way a work is started, for the pages, the API and
the demo; it says whether it started the work, so the API answers 201 or 200 without
asking the database again."""

import pytest
from django.core.exceptions import ValidationError

from submissions import services
from submissions.models import WeeklyWork

pytestmark = pytest.mark.django_db


def _week(people, number):
    return people.cohort.course.weeks.get(number=number)


def test_work_open_starts_the_work_once_and_says_so(people):
    first, created = services.work_open(student=people.student, cohort=people.cohort, week=_week(people, 3))
    again, created_again = services.work_open(student=people.student, cohort=people.cohort, week=_week(people, 3))
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert first.state == WeeklyWork.State.DRAFT
    assert WeeklyWork.objects.filter(student=people.student, week__number=3).count() == 1


def test_work_get_or_create_is_work_open_without_the_flag(people):
    work = services.work_get_or_create(student=people.student, cohort=people.cohort, week=_week(people, 4))
    same, created = services.work_open(student=people.student, cohort=people.cohort, week=_week(people, 4))
    assert same.pk == work.pk and created is False


@pytest.mark.parametrize("role", ["mentor", "instructor", "foreign_student"])
def test_only_students_of_the_cohort_have_work(people, role):
    with pytest.raises(services.NotAStudent) as refused:
        services.work_open(student=getattr(people, role), cohort=people.cohort, week=_week(people, 3))
    # Still a ValidationError, so the pages that catch those keep answering 404.
    assert isinstance(refused.value, ValidationError)
    assert refused.value.message == "Only students of this cohort have weekly work."
    assert not WeeklyWork.objects.filter(week__number=3).exists()


def test_the_api_answers_403_with_the_services_reason(people, client_for):
    response = client_for(people.mentor).post(
        "/api/v1/works/", {"cohort": people.cohort.slug, "week": 3}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Only students of this cohort have weekly work."
