"""On a 390 px phone every page of the journeys fits the screen: the page never scrolls
sideways (a wide table scrolls inside its own box), the navigation folds behind a menu
button, and on the scoring page the rubric is one tap away. The pages and their content
come from the demo (`seed_demo`, the `demo` fixture of tests/conftest.py), so long texts and full grids are measured, not empty states."""

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User

from .journey_pages import journey_pages
from .support import DOCS_SCREENSHOTS_DIR, audit, log_in_as, watch_for_problems

PHONE = {"width": 390, "height": 844}
# Elements that stick out past the right edge, outside any box that scrolls or clips:
# what makes the page scroll sideways, named so that a failure says what to fix.
OVERFLOWING = """() => {
  const width = window.innerWidth;
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let contained = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(up).overflowX)) { contained = true; break; }
    }
    if (!contained) found.push(`${el.tagName.toLowerCase()}${el.className ? "." + [...el.classList].join(".") : ""} (right edge ${Math.round(box.right)} px)`);
  }
  return found.slice(0, 5);
}"""


# One test visits every journey page (about 50 now, each audited with axe): it outgrew the
# suite's 300 s per-test limit on a loaded machine, not because any page got slow.
@pytest.mark.timeout(900)
def test_every_page_of_the_journeys_fits_a_phone(browser: Browser, page: Page, live_server, demo):
    pages = journey_pages()
    contexts = {}
    too_wide = []
    for journey_page in pages:
        if journey_page.who not in contexts:
            context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB", timezone_id="UTC")
            if journey_page.who:
                log_in_as(context, live_server.url, User.objects.get(email=journey_page.who))
            tab = context.new_page()
            tab._e2e_recorder = page._e2e_recorder  # one numbered folder of screenshots for the test
            watch_for_problems(tab, page._e2e_problems)
            contexts[journey_page.who] = tab
        tab = contexts[journey_page.who]
        response = tab.goto(journey_page.path)
        assert response is not None and response.ok, f"{journey_page.path} answered {response and response.status}"
        audit(tab, f"phone {journey_page.name}")
        if journey_page.name == "week workspace":  # one screenful for README.md, as the phone shows it
            tab.screenshot(path=str(DOCS_SCREENSHOTS_DIR / "phone-workspace.png"))
        scroll_width, viewport_width = tab.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > viewport_width:
            too_wide.append(
                f"{journey_page.name} ({journey_page.path}, {journey_page.who or 'visitor'}): "
                f"{scroll_width} px wide; sticking out: {', '.join(tab.evaluate(OVERFLOWING))}"
            )
    assert len(pages) >= 30
    assert not too_wide, "These pages scroll sideways on a 390 px phone:\n" + "\n".join(too_wide)

    # The scoring page is long (the whole revision, then the rubric): the rubric is one tap away.
    mentor_tab = contexts["mentor.maya@demo.example"]
    mentor_tab.goto(next(p.path for p in pages if p.name == "scoring page"))
    jump = mentor_tab.get_by_role("link", name="Jump to the rubric")
    expect(jump).to_be_in_viewport()
    jump.click()
    rubric = mentor_tab.get_by_role("region", name="Score with")
    expect(rubric.get_by_role("heading", level=2)).to_be_in_viewport()
    expect(rubric).to_be_focused()
    mentor_tab.set_viewport_size({"width": 1280, "height": 900})
    expect(jump).to_be_hidden()  # beside the work on a wide screen, the rubric needs no jump
    for tab in contexts.values():
        tab.context.close()


def test_the_navigation_folds_behind_a_menu_button_on_a_phone(page: Page, people, live_server):
    log_in_as(page.context, live_server.url, people.student)
    page.set_viewport_size(PHONE)
    page.goto("/dashboard/")
    menu = page.get_by_role("button", name="Menu")
    navigation = page.get_by_role("navigation", name="Main")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(navigation.get_by_role("link", name="Portfolio")).to_be_hidden()
    header_height = page.locator(".site-header").evaluate("header => header.getBoundingClientRect().height")
    assert header_height < 80, f"the folded header is {header_height} px high"

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(navigation.get_by_role("link", name="Portfolio")).to_be_visible()
    expect(navigation.get_by_role("button", name="Sign out")).to_be_visible()
    audit(page, "phone-menu-open")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(navigation.get_by_role("link", name="Portfolio")).to_be_hidden()

    menu.click()
    navigation.get_by_role("link", name="Portfolio").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("portfolio")

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(navigation.get_by_role("link", name="Portfolio")).to_be_visible()


def test_without_javascript_the_navigation_is_listed_and_fits(browser: Browser, people, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    log_in_as(context, live_server.url, people.student)
    page = context.new_page()
    page.goto("/dashboard/")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("button", name="Menu")).to_have_count(0)  # hidden: not in the tree
    expect(navigation.get_by_role("link", name="Portfolio")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
