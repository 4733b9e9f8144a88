"""Journey 5: an instructor finds the cohort's gradebook from the navigation, sorts and filters
it, opens the heatmap and exports the gradebook as CSV, then requests
a cohort progress report, watches it being built and downloads it: one row per student."""

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from cohorts.models import Membership
from reports.models import ReportRun
from reports.services import report_build
from submissions.models import WeeklyWork
from tests.factories import (
    DEFAULT_PASSWORD,
    MembershipFactory,
    MentorAssignmentFactory,
    ReportRunFactory,
    UserFactory,
    reviewed_work,
)

from .support import audit, cohort_in_week, sign_in

WEEK = 4
STUDENTS = [
    ("Amara Okafor", "amara.okafor@example.com"),
    ("Li Wei", "li.wei@example.com"),
    ("Sofía Márquez", "sofia.marquez@example.com"),
    ("Tomasz Nowak", "tomasz.nowak@example.com"),
]


def downloaded_csv(download) -> list[list[str]]:
    return list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))


def test_an_instructor_exports_the_gradebook_and_downloads_a_cohort_report(page: Page, course):
    cohort = cohort_in_week(course, WEEK)
    instructor = UserFactory(email="ada.lovelace@example.com", name="Ada Lovelace")
    mentor = UserFactory(email="jonas.weber@example.com", name="Jonas Weber")
    MembershipFactory(cohort=cohort, user=instructor, role=Membership.Role.INSTRUCTOR)
    MembershipFactory(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    students = []
    for name, email in STUDENTS:
        student = UserFactory(email=email, name=name)
        MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
        MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
        students.append(student)
    for number in (1, 2):
        for student, score in zip(students[:3], ("82.5", "64", "47"), strict=True):
            reviewed_work(
                cohort=cohort, student=student, week=course.weeks.get(number=number), score=score, scorer=mentor
            )
    reviewed_work(
        cohort=cohort,
        student=students[0],
        week=course.weeks.get(number=3),
        state=WeeklyWork.State.SUBMITTED,
    )

    # The instructor finds the gradebook from the navigation: Insights, then the cohort's Gradebook.
    page.goto("/cohorts/")
    sign_in(page, email=instructor.email, password=DEFAULT_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Insights").click()
    page.get_by_role("link", name=f"Gradebook of {cohort.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Gradebook: {cohort.name}")
    table = page.get_by_role("table", name="Students by week and capstone deliverable; the column headers sort")
    student_names = table.locator("tbody th[scope=row] a")
    expect(student_names).to_have_text([name for name, _ in STUDENTS])  # by name, the default
    amara = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Amara Okafor"))
    expect(amara.get_by_role("cell").last).to_have_text("2")
    expect(amara.get_by_role("cell").nth(0)).to_have_text("165")  # total: 82.5 + 82.5
    expect(amara.get_by_role("cell").nth(1)).to_have_text("82.5")  # average
    audit(page, "gradebook", docs_screenshot="gradebook")

    # Sorted by total, highest first, then lowest first (no score: last either way).
    table.get_by_role("link", name="Total", exact=True).click()
    expect(student_names).to_have_text(["Amara Okafor", "Li Wei", "Sofía Márquez", "Tomasz Nowak"])
    expect(table.get_by_role("columnheader", name="Total")).to_have_attribute("aria-sort", "descending")
    table.get_by_role("link", name="Total", exact=True).click()
    expect(student_names).to_have_text(["Sofía Márquez", "Li Wei", "Amara Okafor", "Tomasz Nowak"])
    # Filtered: those with a week waiting for review, keeping the sort.
    page.get_by_role("combobox", name="Has a week that is").select_option(label="Submitted")
    page.get_by_role("button", name="Show").click()
    expect(student_names).to_have_text(["Amara Okafor"])
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value("total")
    page.get_by_role("combobox", name="Has a week that is").select_option(label="Any state")
    page.get_by_role("combobox", name="Mentor").select_option(label="Jonas Weber")
    page.get_by_role("button", name="Show").click()
    expect(student_names).to_have_count(4)
    audit(page, "gradebook-sorted-filtered")

    # The heatmap, with the same filters.
    page.get_by_role("link", name="Heatmap").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Heatmap: {cohort.name}")
    heatmap = page.get_by_role("table", name="State of each student's work by week and capstone deliverable")
    expect(heatmap.locator("tbody tr")).to_have_count(4)
    audit(page, "heatmap", docs_screenshot="heatmap")
    page.get_by_role("link", name="The gradebook").click()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    gradebook = downloaded_csv(download_info.value)
    assert download_info.value.suggested_filename == f"gradebook-{cohort.slug}.csv"
    assert gradebook[0][:3] == ["Student", "Email", "W1"]
    assert gradebook[0][-3:] == ["Total", "Average", "Accepted"]
    assert sorted(row[1] for row in gradebook[1:]) == sorted(email for _, email in STUDENTS)

    # A cohort progress report, requested on the Reports page.
    page.get_by_role("navigation").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    audit(page, "reports")
    page.get_by_role("combobox", name="Report", exact=True).select_option(label="Cohort progress report")
    page.get_by_role("combobox", name="Format", exact=True).select_option(label="CSV (spreadsheet)")
    page.get_by_role("combobox", name="Cohort", exact=True).select_option(label=cohort.name)
    page.get_by_role("button", name="Build report").click()

    # The tests run tasks at once (eager), so the report is usually ready when the page opens.
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort progress report")
    expect(page.get_by_text("Cohort progress report requested.")).to_be_visible()
    expect(page.get_by_role("heading", name="Status: Ready")).to_be_visible()
    expect(page.get_by_text("being built")).to_have_count(0)  # the message agrees with the status
    download_link = page.get_by_role("link", name="Download the CSV file")
    expect(download_link).to_be_visible()
    audit(page, "report-ready")

    with page.expect_download() as download_info:
        download_link.click()
    report = downloaded_csv(download_info.value)
    assert download_info.value.suggested_filename.endswith(".csv")
    assert report[0][:4] == ["Student", "Email", "Mentors", "W1"]
    assert len(report) == 1 + len(STUDENTS)
    assert sorted(row[1] for row in report[1:]) == sorted(email for _, email in STUDENTS)

    # A report still waiting for a worker: the page shows its progress and follows it
    # (static/js/progress.js polls the status) until the download link appears.
    # The page's clock is held, so its poll and the build below never touch the (shared, in
    # SQLite's case) database connection at the same moment; then one second is let pass.
    waiting = ReportRunFactory(cohort=cohort, requested_by=instructor, format=ReportRun.Format.CSV)
    page.clock.install()
    page.goto(f"/reports/{waiting.pk}/")
    expect(page.get_by_role("heading", name="Status: Queued")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Progress")).to_have_attribute("value", "0")
    expect(page.get_by_role("status")).to_have_text("0% done; waiting for a worker.")
    expect(page.get_by_text("It is being built in the background")).to_be_visible()
    audit(page, "report-waiting")

    report_build(run=waiting)  # what the worker does
    page.clock.run_for(1_500)  # progress.js polls the status after a second and reloads the page
    expect(page.get_by_role("heading", name="Status: Ready")).to_be_visible()
    expect(page.get_by_role("link", name="Download the CSV file")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.get_by_text("being built")).to_have_count(0)
    audit(page, "report-finished")

    page.get_by_role("navigation").get_by_role("link", name="Reports").click()
    runs = page.get_by_role("table", name="Reports you requested, newest first")
    expect(runs.get_by_role("row").filter(has_text="Ready")).to_have_count(2)
    audit(page, "reports-list")
