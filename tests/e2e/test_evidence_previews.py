"""Evidence previews as people see them: the student's workspace shows a photo's thumbnail,
a PDF's first page, highlighted code and, for a damaged PDF, its name and type; the mentor's
scoring page shows the same for the submitted revision; a visitor sees the published proof's
thumbnail on the public portfolio. Every image really loads (our re-encoded thumbnail, not the
upload), every page passes axe, and the workspace fits a 390 px phone."""

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, Page, expect

from cohorts.models import Membership
from portfolios import services as portfolio_services
from submissions import services
from submissions.models import EvidencePreview
from tests.factories import MembershipFactory, MentorAssignmentFactory, PortfolioFactory
from tests.submissions import preview_files as files

from .support import audit, cohort_in_week, log_in_as, save_docs_screenshot, watch_for_problems

LOADED = "img => img.complete && img.naturalWidth > 0"


def loaded(image) -> bool:
    """Scrolls the (lazy) image into view and waits until the browser has decoded it."""
    image.scroll_into_view_if_needed()
    image.page.wait_for_function(LOADED, arg=image.element_handle(), timeout=15_000)
    return image.evaluate(LOADED)


def tab_in(context, page: Page) -> Page:
    """A page of another browser context whose screenshots and CSP or script errors are
    recorded with the test's own page."""
    tab = context.new_page()
    tab._e2e_recorder = page._e2e_recorder
    watch_for_problems(tab, page._e2e_problems)
    return tab


def test_previews_in_the_workspace_on_the_scoring_page_and_on_the_portfolio(
    browser: Browser, page: Page, live_server, course
):
    cohort = cohort_in_week(course, 3)
    student = MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT).user
    mentor = MembershipFactory(cohort=cohort, role=Membership.Role.MENTOR).user
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    work = services.work_get_or_create(student=student, cohort=cohort, week=course.weeks.get(number=3))
    uploaded = {}
    for name, data in (
        ("rack-photo.jpg", files.jpeg_with_exif()),
        ("load-test-report.pdf", files.pdf_one_page()),
        ("replay_checkout.py", files.PYTHON_SOURCE.encode()),
        ("profiler-export.pdf", files.pdf_corrupt()),
    ):
        # Each upload commits and, with no broker in the tests, runs the preview task in-process.
        uploaded[name] = services.artifact_upload(
            work=work, upload=SimpleUploadedFile(name, data), proves=f"What {name} shows", by=student
        )
    assert sorted(EvidencePreview.objects.values_list("status", flat=True)) == ["failed", "ready", "ready", "ready"]

    log_in_as(page.context, live_server.url, student)
    page.goto(f"/work/{work.pk}/#evidence")
    photo = page.get_by_role("img", name="Preview of rack-photo.jpg")
    expect(photo).to_be_visible()
    assert loaded(photo)
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [427, 640]  # upright
    assert loaded(page.get_by_role("img", name="First page of load-test-report.pdf"))
    code = page.get_by_role("region", name="Start of replay_checkout.py")
    expect(code).to_contain_text('# <script>alert("not here")</script> stays text')
    expect(page.get_by_text("No preview: profiler-export.pdf (PDF document)")).to_be_visible()
    audit(page, "workspace evidence previews")
    save_docs_screenshot(page, "evidence-previews", around=page.get_by_role("img", name="Preview of rack-photo.jpg"))

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    log_in_as(phone, live_server.url, student)
    tab = tab_in(phone, page)
    tab.goto(f"/work/{work.pk}/")
    audit(tab, "workspace evidence previews at 390 px")
    assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    revision = services.work_submit(work=work, by=student)
    reviewer = browser.new_context(base_url=live_server.url)
    log_in_as(reviewer, live_server.url, mentor)
    scoring = tab_in(reviewer, page)
    scoring.goto(f"/review/revisions/{revision.pk}/")
    expect(scoring.get_by_role("img", name="First page of load-test-report.pdf")).to_be_visible()
    assert loaded(scoring.get_by_role("img", name="Preview of rack-photo.jpg"))
    audit(scoring, "scoring page evidence previews")
    reviewer.close()

    services.work_accept(work=work, revision=revision, by=mentor)
    PortfolioFactory(user=student, slug="sam-previews", visibility="public")
    portfolio_services.entry_publish(
        work=work, by=student, narrative="Racked, measured, written up.", artifact_ids=[uploaded["rack-photo.jpg"].pk]
    )
    visitor = browser.new_context(base_url=live_server.url)
    public = tab_in(visitor, page)
    public.goto("/p/sam-previews/")
    thumbnail = public.get_by_role("img", name="Preview of rack-photo.jpg")
    expect(thumbnail).to_be_visible()
    assert loaded(thumbnail)
    audit(public, "public portfolio evidence preview")
    visitor.close()
