"""Error pages: in the site's design, each saying what the visitor can do next."""

import pytest
from django.contrib.auth.models import User
from django.test import Client


def test_404_offers_the_documents_and_the_home_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'class="site-footer"' in response.text  # the site's own design
    assert 'href="/agreement/"' in response.text and 'href="/"' in response.text


def test_403_for_a_visitor_who_may_not_see_a_page(client, db, make_draft):
    user = User.objects.create_user("visitor", password="pw", is_staff=True)  # no permissions
    client.force_login(user)
    draft = make_draft()
    response = client.get(f"/admin/agreements/version/{draft.pk}/publish/")
    assert response.status_code == 403
    assert "You are not allowed to see this page" in response.text
    assert "mailto:gen@kommogen.com" in response.text


@pytest.mark.urls("tests.failing_urls")
def test_500_apologises_and_says_what_to_do(db):
    client = Client(raise_request_exception=False)
    response = client.get("/fails/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "try again in a few minutes" in response.text and 'href="/"' in response.text


@pytest.mark.urls("tests.failing_urls")
def test_a_database_that_does_not_answer_is_a_503_not_a_500(db):
    client = Client(raise_request_exception=False)
    response = client.get("/database-down/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "nothing was recorded" in response.text
    assert "User Agreement (version" not in response.text  # the footer asked nothing of it
