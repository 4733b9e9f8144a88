import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import get_resolver

from portfolios.models import RESERVED_SLUGS, validate_links, validate_portfolio_slug


@pytest.mark.parametrize("slug", ["sam-student", "abc", "a1-b2-c3", "x" * 40])
def test_slug_accepts_simple_lowercase_addresses(slug):
    validate_portfolio_slug(slug)


@pytest.mark.parametrize(
    "slug", ["ab", "Sam", "-sam", "sam-", "sam--lee", "sam_lee", "sam/lee", "../admin", "x" * 41, "sam lee", ""]
)
def test_slug_refuses_malformed_addresses(slug):
    with pytest.raises(ValidationError):
        validate_portfolio_slug(slug)


@pytest.mark.parametrize("slug", ["admin", "api", "accounts", "portfolio", "static", "review", "healthz", "dashboard"])
def test_slug_refuses_reserved_route_words(slug):
    with pytest.raises(ValidationError, match="reserved"):
        validate_portfolio_slug(slug)


def test_every_top_level_route_is_reserved():
    """A route added later must be reserved too, so no portfolio ever looks like a page of ours."""
    prefixes = set()
    for pattern in get_resolver().url_patterns:
        first = re.split(r"[/<^$?]", str(pattern.pattern).lstrip("^"), maxsplit=1)[0]
        if first:
            prefixes.add(first)
        for sub in getattr(pattern, "url_patterns", []) if not first else []:
            sub_first = re.split(r"[/<^$?]", str(sub.pattern).lstrip("^"), maxsplit=1)[0]
            if sub_first:
                prefixes.add(sub_first)
    assert {"admin", "courses", "start", "work", "dashboard", "p"} <= prefixes  # the walk finds routes
    assert prefixes - RESERVED_SLUGS == set()


def test_links_accept_http_and_https():
    validate_links([{"label": "GitHub", "url": "https://github.com/sam"}, {"label": "Blog", "url": "http://sam.dev"}])


@pytest.mark.parametrize(
    "links",
    [
        [{"label": "Evil", "url": "javascript:alert(1)"}],
        [{"label": "Data", "url": "data:text/html,<script>alert(1)</script>"}],
        [{"label": "", "url": "https://example.com"}],
        [{"label": "No scheme", "url": "example.com"}],
        [{"label": "Extra", "url": "https://example.com", "onclick": "x"}],
        [{"label": f"L{n}", "url": "https://example.com"} for n in range(9)],
        "https://example.com",
    ],
)
def test_links_refuse_unsafe_or_malformed_values(links):
    with pytest.raises(ValidationError):
        validate_links(links)
