"""The keyboard focus ring stands out by at least 3:1 (WCAG 2.2, 1.4.11 non-text contrast)
against what is around it, on light and on dark backgrounds alike: a dark outer ring for
light surfaces, a light inner halo for dark ones (static/css/app.css, portfolio.css)."""

import re

from playwright.sync_api import Locator, Page

from .support import log_in_as

MINIMUM = 3.0
# What the focused element looks like: its ring's two tones and the colours on either side.
RING = """(el) => {
  const style = getComputedStyle(el);
  const backgroundOf = (node) => {
    for (; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (!/rgba\\(.*, 0\\)$/.test(colour) && colour !== "transparent") return colour;
    }
    return "rgb(255, 255, 255)";
  };
  return {
    focusVisible: el.matches(":focus-visible"),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineOffset: parseFloat(style.outlineOffset),
    outlineColor: style.outlineColor,
    boxShadow: style.boxShadow,
    surroundings: backgroundOf(el.parentElement),
    surface: backgroundOf(el),
  };
}"""


def _rgb(css: str) -> tuple[int, int, int]:
    red, green, blue = (int(float(part)) for part in re.findall(r"[\d.]+", css)[:3])
    return red, green, blue


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _focus_by_keyboard(page: Page, target: Locator) -> dict:
    """Focus `target` as a keyboard user does (Tab from the element before it), so that
    :focus-visible applies, and describe its ring."""
    target.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    ring = target.evaluate(RING)
    assert ring["focusVisible"], "the element did not get keyboard focus"
    assert ring["outlineStyle"] == "solid" and ring["outlineWidth"] >= 2, ring
    return ring


def _halo(ring: dict) -> tuple[str, float]:
    """The inner halo: a box-shadow filling the gap between the element and its outline."""
    match = re.match(r"(rgba?\([^)]*\)) 0px 0px 0px ([\d.]+)px", ring["boxShadow"])
    assert match, f"no halo around the focused element: {ring['boxShadow']!r}"
    return match.group(1), float(match.group(2))


def _assert_ring_stands_out(ring: dict, where: str) -> None:
    halo, halo_width = _halo(ring)
    assert halo_width >= ring["outlineOffset"] >= 2, ring  # the halo fills the gap: no background shows through
    outer = contrast(ring["outlineColor"], ring["surroundings"])
    inner = contrast(halo, ring["surroundings"])
    # One tone of the ring contrasts with the background around it, and the two tones with each other.
    assert max(outer, inner) >= MINIMUM, f"{where}: ring {outer:.2f}:1 and halo {inner:.2f}:1 against the background"
    assert contrast(halo, ring["outlineColor"]) >= MINIMUM, f"{where}: the ring's two tones blend"


def test_the_focus_ring_contrasts_on_light_and_dark_backgrounds(page: Page, people, live_server):
    log_in_as(page.context, live_server.url, people.student)
    page.goto("/cohorts/")

    # A link on the white page: the dark outer ring carries the contrast.
    link = page.get_by_role("main").get_by_role("link").first
    ring = _focus_by_keyboard(page, link)
    _assert_ring_stands_out(ring, "link on a light background")
    assert contrast(ring["outlineColor"], ring["surroundings"]) >= MINIMUM
    # The old ring (#ffbf47 alone) measured about 1.6:1 here.
    assert contrast("rgb(255, 191, 71)", ring["surroundings"]) < MINIMUM

    # A primary button, a dark surface: the light halo sets the ring apart from the button.
    page.goto("/accounts/profile/")
    button = page.get_by_role("main").get_by_role("button").last
    ring = _focus_by_keyboard(page, button)
    _assert_ring_stands_out(ring, "primary button")
    halo, _ = _halo(ring)
    assert contrast(halo, ring["surface"]) >= MINIMUM, "the halo must stand out from the dark button"

    # A link on a dark panel (none of our pages has one yet; any future one is covered too).
    page.evaluate(
        """() => {
            const panel = document.createElement("div");
            panel.style.backgroundColor = "rgb(27, 31, 36)";
            panel.style.padding = "2rem";
            const link = document.createElement("a");
            link.href = "#main";
            link.id = "on-dark";
            link.textContent = "A link on a dark panel";
            link.style.color = "rgb(255, 255, 255)";
            panel.appendChild(link);
            document.querySelector("main").prepend(panel);
        }"""
    )
    ring = _focus_by_keyboard(page, page.locator("#on-dark"))
    _assert_ring_stands_out(ring, "link on a dark background")
    assert contrast(_halo(ring)[0], ring["surroundings"]) >= MINIMUM


def test_the_public_portfolio_page_has_the_same_ring(page: Page, people, live_server):
    from portfolios.models import Portfolio

    Portfolio.objects.create(
        user=people.student, slug="focus-check", display_name="Focus Check", visibility=Portfolio.Visibility.PUBLIC
    )
    page.goto("/p/focus-check/")
    link = page.get_by_role("link").first
    ring = _focus_by_keyboard(page, link)
    _assert_ring_stands_out(ring, "public portfolio link")
