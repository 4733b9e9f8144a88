import pytest

pytestmark = pytest.mark.django_db


def test_unknown_pages_get_a_friendly_404_in_the_site_layout(client, course):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>We couldn't find that page</h1>" in html
    assert 'href="/"' in html


def test_the_500_page_renders_without_a_request_context(rf):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
