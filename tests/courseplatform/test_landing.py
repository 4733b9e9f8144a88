"""Where a person lands after signing in when they are in no cohort yet."""

import pytest
from django.contrib.messages import get_messages

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_in_no_cohort_lands_on_the_cohorts_page_that_says_how_to_join(client_for):
    client = client_for(UserFactory(name="Ada Lovelace"))
    response = client.get("/start/")
    assert response.status_code == 302
    assert response["Location"] == "/cohorts/"
    page = client.get("/cohorts/").content.decode()
    assert "An instructor adds you with the e-mail address you signed up with" in page


def test_a_person_without_a_name_is_asked_to_add_it_on_the_profile(client_for):
    response = client_for(UserFactory(name="")).get("/start/", follow=True)
    assert response.redirect_chain == [("/cohorts/", 302)]
    assert 'Add your name on <a href="/accounts/profile/">your profile</a>' in response.content.decode()


def test_a_person_with_a_name_gets_no_prompt(client_for):
    response = client_for(UserFactory(name="Ada Lovelace")).get("/start/")
    assert list(get_messages(response.wsgi_request)) == []


def test_staff_in_no_cohort_keep_landing_on_the_course_overview(client_for):
    response = client_for(UserFactory(is_staff=True, name="")).get("/start/")
    assert response["Location"] == "/"
    assert list(get_messages(response.wsgi_request)) == []


def test_members_of_a_cohort_land_on_their_own_starting_point(people, client_for):
    assert client_for(people.student).get("/start/")["Location"] == "/dashboard/"
    assert client_for(people.mentor).get("/start/")["Location"] == "/review/"
