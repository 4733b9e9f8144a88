"""The one way user-written markdown becomes HTML.

Everything a person types (work sections, feedback, portfolio narratives, curriculum
text) goes through `render_markdown`; the HTML is cleaned by nh3 against an allowlist,
so script, event handlers, style and javascript: URLs never reach a page.
"""

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]


def render_markdown(text: str) -> SafeString:
    """Render markdown to sanitised HTML that is safe to place in a page."""
    if not text:
        return mark_safe("")
    # Raw HTML in the source is escaped by markdown's own rules only partly, so the real
    # guarantee is nh3 below; markdown runs first so that cleaning sees the final HTML.
    html = markdown_lib.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3 against the allowlist above


def render_markdown_inline(text: str) -> SafeString:
    """One line of markdown (a list item, a label: `code`, *emphasis*, links) without the
    paragraph around it, through the same sanitiser."""
    html = str(render_markdown(text))
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 - render_markdown's output, sanitised; only the <p> is gone


def clean_highlighted(html: str) -> SafeString:
    """Highlighted code (Pygments escapes the text and wraps tokens in `<span class>`),
    cleaned all the same: only spans with a class survive, so even a highlighter's bug cannot
    put markup of the file's own on a page."""
    cleaned = nh3.clean(html, tags={"span"}, attributes={"span": {"class"}}, link_rel=None)
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3: spans with a class and escaped text only
