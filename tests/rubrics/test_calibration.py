"""Calibration runs: who starts and scores them, and the agreement figures."""

import krippendorff
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cohorts.models import Membership
from rubrics.models import Assessment, CalibrationRun
from rubrics.selectors import calibration_result, krippendorff_ordinal
from rubrics.services import assessment_record, calibration_run_create
from tests.factories import MembershipFactory

from .conftest import post_data, scores_for, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(people, rubric):
    revision = submit(people.student, people.cohort)
    return calibration_run_create(
        cohort=people.cohort,
        revision=revision,
        created_by=people.instructor,
        mentors=[people.mentor, people.unassigned_mentor],
    )


def _calibrate(run, mentor, points):
    return assessment_record(
        revision=run.revision,
        scorer=mentor,
        kind=Assessment.Kind.CALIBRATION,
        scores=scores_for(run.rubric, points),
        calibration_run=run,
    )


def test_alpha_matches_the_krippendorff_library_and_exact_agreement_is_plain(people, run):
    _calibrate(run, people.mentor, [4, 3, 3, 2, 3])
    _calibrate(run, people.unassigned_mentor, [4, 3, 2, 2, 1])
    result = calibration_result(run)
    expected = krippendorff.alpha(
        reliability_data=[[4, 3, 3, 2, 3], [4, 3, 2, 2, 1]], value_domain=[1, 2, 3, 4], level_of_measurement="ordinal"
    )
    assert result.alpha == round(expected, 3)
    assert result.pair_agreement == 60.0  # 3 of 5 criteria, one pair of mentors
    assert [row.spread for row in result.rows] == [0, 0, 1, 0, 2]
    assert [row.exact for row in result.rows] == [True, True, False, True, False]
    assert result.score_range is not None and result.score_range > 0


def test_alpha_is_undefined_without_two_scored_units_or_variation():
    assert krippendorff_ordinal([[3, 3], [3, 3]], [1, 2, 3, 4]) is None
    assert krippendorff_ordinal([[3], [2]], [1, 2, 3, 4]) is None
    assert krippendorff_ordinal([[4, 1], [4, 1]], [1, 2, 3, 4]) == 1.0


def test_per_criterion_alpha_pools_runs_of_the_same_rubric_version(people, rubric, run):
    second = calibration_run_create(
        cohort=people.cohort,
        revision=submit(people.other_student, people.cohort),
        created_by=people.instructor,
        mentors=[people.mentor, people.unassigned_mentor],
    )
    _calibrate(run, people.mentor, [4, 3, 3, 2, 3])
    _calibrate(run, people.unassigned_mentor, [4, 3, 3, 2, 3])
    _calibrate(second, people.mentor, [2, 1, 3, 4, 3])
    _calibrate(second, people.unassigned_mentor, [2, 1, 2, 4, 3])
    result = calibration_result(second)
    assert result.runs_with_rubric == 2
    assert result.rows[0].alpha_across_runs == 1.0  # both mentors agreed in both runs
    assert result.rows[2].alpha_across_runs == 0.0  # one disagreement among only three 3s and a 2: chance level
    assert result.rows[4].alpha_across_runs is None  # always the same level: no variation to explain


def test_only_the_cohorts_instructors_start_runs_with_two_cohort_mentors(people, rubric):
    revision = submit(people.student, people.cohort)
    with pytest.raises(ValidationError):
        calibration_run_create(
            cohort=people.cohort,
            revision=revision,
            created_by=people.mentor,
            mentors=[people.mentor, people.unassigned_mentor],
        )
    with pytest.raises(ValidationError):
        calibration_run_create(
            cohort=people.cohort, revision=revision, created_by=people.instructor, mentors=[people.mentor]
        )
    with pytest.raises(ValidationError):
        calibration_run_create(
            cohort=people.cohort,
            revision=revision,
            created_by=people.instructor,
            mentors=[people.mentor, people.foreign_mentor],
        )
    assert not CalibrationRun.objects.exists()


def test_calibration_scores_change_nothing_for_the_student_and_once_per_mentor(people, run):
    _calibrate(run, people.mentor, 3)
    run.revision.work.refresh_from_db()
    assert run.revision.work.state == "submitted"
    with pytest.raises(ValidationError):
        _calibrate(run, people.mentor, 4)
    outsider = MembershipFactory(cohort=people.cohort, role=Membership.Role.MENTOR).user
    with pytest.raises(ValidationError, match="not one of"):
        _calibrate(run, outsider, 4)


def test_instructor_creates_a_run_through_the_page(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    client = client_for(people.instructor)
    url = reverse("rubrics:calibration_create", args=[people.cohort.slug])
    assert client.get(url).status_code == 200
    mentors = Membership.objects.filter(cohort=people.cohort, role="mentor").values_list("pk", flat=True)
    response = client.post(url, {"revision": revision.pk, "mentors": list(mentors), "title": ""})
    run = CalibrationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("rubrics:calibration", args=[run.pk])
    for role in ("mentor", "student", "foreign_instructor"):
        assert client_for(getattr(people, role)).get(url).status_code == 404


def test_mentor_scores_first_then_sees_the_agreement(people, run, client_for):
    client = client_for(people.mentor)
    url = reverse("rubrics:calibration", args=[run.pk])
    page = client.get(url).content.decode()
    assert "Your calibration scores" in page and "Krippendorff" not in page  # no anchoring on others
    assert people.student.display_name not in page  # the sample is anonymous for calibration mentors
    assert client.post(url, post_data(run.rubric, 3)).status_code == 302
    _calibrate(run, people.unassigned_mentor, [3, 3, 3, 3, 2])
    page = client.get(url).content.decode()
    assert "Krippendorff's alpha (ordinal)" in page and "Exact agreement" in page and "80.0 %" in page


@pytest.mark.parametrize("role", ["other_student", "foreign_mentor", "foreign_instructor", "student", "stranger"])
def test_calibration_run_is_404_for_outsiders(people, run, client_for, role):
    assert client_for(getattr(people, role)).get(reverse("rubrics:calibration", args=[run.pk])).status_code == 404


def test_instructor_sees_results_without_scoring(people, run, client_for):
    _calibrate(run, people.mentor, 3)
    page = client_for(people.instructor).get(reverse("rubrics:calibration", args=[run.pk])).content.decode()
    assert "1 of 2 mentors have scored." in page
