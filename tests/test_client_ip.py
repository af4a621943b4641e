"""The client IP recorded and rate-limited is right behind proxies and cannot be forged."""

from django.test import RequestFactory

from agreements.core.clients import client_ip


def request(forwarded=None, remote="203.0.113.9"):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.KOMMOGEN_TRUSTED_PROXIES = 0
    assert client_ip(request("1.2.3.4")) == "203.0.113.9"


def test_behind_one_proxy_the_client_is_the_last_address(settings):
    settings.KOMMOGEN_TRUSTED_PROXIES = 1
    assert client_ip(request("198.51.100.7", remote="127.0.0.1")) == "198.51.100.7"


def test_a_client_cannot_forge_its_address_through_the_proxy(settings):
    settings.KOMMOGEN_TRUSTED_PROXIES = 1
    forged = request("6.6.6.6, 198.51.100.7", remote="127.0.0.1")
    assert client_ip(forged) == "198.51.100.7"


def test_behind_two_proxies(settings):
    settings.KOMMOGEN_TRUSTED_PROXIES = 2
    assert client_ip(request("6.6.6.6, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"


def test_a_forwarded_value_that_is_not_an_ip_address_is_ignored(settings):
    settings.KOMMOGEN_TRUSTED_PROXIES = 1
    assert client_ip(request("<script>", remote="127.0.0.1")) is None
    assert client_ip(request("unknown", remote="127.0.0.1")) is None


def test_a_forged_forwarded_address_is_never_stored_and_never_a_500(client, send_request, settings):
    from agreements.models import Submission

    settings.KOMMOGEN_TRUSTED_PROXIES = 1
    response = send_request(HTTP_X_FORWARDED_FOR="not-an-ip")
    assert response.status_code == 302
    assert Submission.objects.get().client_ip is None


def test_an_ipv6_client_is_counted_by_its_64_network(client, send_request, settings):
    settings.KOMMOGEN_RATE_LIMIT = "2/600"
    answers = [send_request(REMOTE_ADDR=f"2001:db8:1:2::{n}").status_code for n in (1, 2, 3)]
    assert answers == [302, 302, 429]
    assert send_request(REMOTE_ADDR="2001:db8:1:3::1").status_code == 302  # another /64
