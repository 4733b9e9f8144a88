import io

import pytest
from django.core.management import CommandError, call_command

from reports.models import ReportRun


@pytest.mark.django_db
def test_build_report_writes_the_file_and_says_where(people, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "cohort.csv"
    call_command(
        "build_report",
        "--kind",
        "cohort",
        "--format",
        "csv",
        "--cohort",
        people.cohort.slug,
        "--output",
        str(target),
        "--as",
        people.instructor.email,
        stdout=out,
        stderr=err,
    )
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.SUCCEEDED and run.requested_by == people.instructor
    assert f"Written to {target}" in out.getvalue()
    assert target.read_text().splitlines()[0].startswith("Student,Email,Mentors,W1,")
    assert "100%" in err.getvalue()  # the progress bar reached the end


@pytest.mark.django_db
def test_build_report_student_kind_by_email(people, tmp_path):
    call_command(
        "build_report",
        "--kind",
        "student",
        "--format",
        "html",
        "--cohort",
        people.cohort.slug,
        "--student",
        people.student.email.upper(),
        "--output",
        str(tmp_path),
        "--no-progress",
        stdout=io.StringIO(),
    )
    (written,) = list(tmp_path.iterdir())
    assert written.suffix == ".html" and people.student.email in written.read_text()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--kind", "cohort", "--format", "csv", "--cohort", "nope"], "No cohort with the slug “nope”."),
        (["--kind", "student", "--format", "csv", "--cohort", "{cohort}"], "--kind student needs --student EMAIL."),
        (
            ["--kind", "student", "--format", "csv", "--cohort", "{cohort}", "--student", "nobody@example.com"],
            "No user with the e-mail address “nobody@example.com”.",
        ),
        (
            ["--kind", "student", "--format", "csv", "--cohort", "{cohort}", "--student", "{foreign}"],
            "You may not request this report.",
        ),
        (
            ["--kind", "cohort", "--format", "csv", "--cohort", "{cohort}", "--student", "{foreign}"],
            "--student is only",
        ),
    ],
)
def test_build_report_bad_arguments_give_a_clear_error(people, arguments, message):
    arguments = [a.format(cohort=people.cohort.slug, foreign=people.foreign_student.email) for a in arguments]
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command("build_report", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ReportRun.objects.filter(status=ReportRun.Status.SUCCEEDED).exists()


@pytest.mark.django_db
def test_build_report_creates_a_folder_given_with_a_trailing_slash(people, tmp_path):
    folder = tmp_path / "reports" / "autumn"
    out = io.StringIO()
    call_command(
        "build_report",
        *("--kind", "gradebook", "--format", "csv", "--cohort", people.cohort.slug),
        *("--output", f"{folder}/", "--no-progress"),
        stdout=out,
    )
    assert folder.is_dir()
    (written,) = list(folder.iterdir())
    assert written.suffix == ".csv"
    assert f"Written to {written}" in out.getvalue()


@pytest.mark.django_db
def test_build_report_refuses_an_output_in_a_missing_folder_before_building(people, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "build_report",
            *("--kind", "cohort", "--format", "csv", "--cohort", people.cohort.slug),
            *("--output", str(tmp_path / "missing" / "cohort.csv"), "--no-progress"),
            stdout=io.StringIO(),
        )
    assert not ReportRun.objects.exists()
    assert not (tmp_path / "missing").exists()
