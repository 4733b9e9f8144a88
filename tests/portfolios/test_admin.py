"""Moderation from the admin site: portfolios are read-only there; staff can make one private
or unpublish entries, and the cached public page follows at once."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portfolios import services
from portfolios.models import Portfolio, PortfolioEntry
from tests.factories import PortfolioFactory


def _changelist(model: str) -> str:
    return reverse(f"admin:portfolios_{model}_changelist")


def test_admin_lists_portfolios_with_their_published_entries(client_for, people, published):
    portfolio, _ = published
    response = client_for(people.admin).get(_changelist("portfolio"))
    assert response.status_code == 200
    assert portfolio.slug.encode() in response.content
    assert b'<a href="/p/sam-student/">' in response.content


def test_portfolio_fields_are_read_only_in_the_admin(client_for, people, published):
    portfolio, _ = published
    client = client_for(people.admin)
    url = reverse("admin:portfolios_portfolio_change", args=[portfolio.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="headline"' not in page.content  # shown, not editable
    response = client.post(url, {"headline": "Changed by staff", "slug": portfolio.slug, "display_name": "X"})
    assert response.status_code == 403
    portfolio.refresh_from_db()
    assert portfolio.headline != "Changed by staff"
    assert client.get(reverse("admin:portfolios_portfolio_add")).status_code == 403


@pytest.mark.parametrize("who", ["student", "mentor", "instructor"])
def test_only_staff_reach_the_portfolio_admin(client_for, people, published, who):
    response = client_for(getattr(people, who)).get(_changelist("portfolio"))
    assert response.status_code == 302
    assert "/login/" in response["Location"] or "/accounts/" in response["Location"]


def test_make_private_hides_the_cached_public_page_at_once(client_for, people, published):
    portfolio, _ = published
    visitor = client_for(None)
    assert visitor.get(f"/p/{portfolio.slug}/").status_code == 200  # now cached
    response = client_for(people.admin).post(
        _changelist("portfolio"), {"action": "make_private", "_selected_action": [portfolio.pk]}, follow=True
    )
    assert b"1 portfolio(s) are now private." in response.content
    portfolio.refresh_from_db()
    assert portfolio.visibility == Portfolio.Visibility.PRIVATE
    assert visitor.get(f"/p/{portfolio.slug}/").status_code == 404


def test_unpublish_action_removes_the_entry_from_the_next_response(client_for, people, published):
    portfolio, entries = published
    visitor = client_for(None)
    assert entries[0].title.encode() in visitor.get(f"/p/{portfolio.slug}/").content
    response = client_for(people.admin).post(
        _changelist("portfolioentry"), {"action": "unpublish", "_selected_action": [entries[0].pk]}, follow=True
    )
    assert b"1 entry unpublished." in response.content
    assert PortfolioEntry.objects.get(pk=entries[0].pk).unpublished_at is not None
    page = visitor.get(f"/p/{portfolio.slug}/").content
    assert entries[0].title.encode() not in page
    assert entries[1].title.encode() in page


def test_hiding_needs_staff(people, published):
    portfolio, entries = published
    with pytest.raises(ValidationError):
        services.portfolio_hide(portfolio=portfolio, by=people.mentor)
    with pytest.raises(ValidationError):
        services.entry_unpublish(entry=entries[0], by=people.other_student)
    portfolio.refresh_from_db()
    assert portfolio.visibility == Portfolio.Visibility.PUBLIC


def test_admin_pages_have_a_fixed_query_count(client_for, people, published, django_assert_num_queries):
    PortfolioFactory.create_batch(20)  # more rows must not mean more queries
    client = client_for(people.admin)
    # session, user, filtered and total counts, the page of portfolios (entries counted
    # in the same query), nav roles
    with django_assert_num_queries(6):
        assert client.get(_changelist("portfolio")).status_code == 200
    # the same for entries: session, user, two counts, the page, nav roles
    with django_assert_num_queries(6):
        assert client.get(_changelist("portfolioentry")).status_code == 200
