"""What makes the site safe to put on the internet: headers, admin login, sessions, caching."""

import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import DisallowedHost
from django.utils import timezone

from .conftest import AGREEMENT_TEXT


def directives(response):
    policy = response["Content-Security-Policy"]
    return dict((part.split(" ", 1) + [""])[:2] for part in policy.split("; "))


def test_public_pages_carry_a_strict_policy_and_the_security_headers(client, publish):
    publish(AGREEMENT_TEXT)
    for url in ["/", "/agreement/", "/contact/", "/no-such-page/"]:
        response = client.get(url)
        policy = directives(response)
        assert "unsafe-inline" not in response["Content-Security-Policy"], url
        assert policy["default-src"] == "'none'"
        assert policy["script-src"] == policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]
        assert "clipboard-write=(self)" in response["Permissions-Policy"]


def test_admin_gets_only_what_it_needs_and_is_never_indexed(admin_client):
    response = admin_client.get("/admin/agreements/version/add/")
    policy = directives(response)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy["img-src"] == "'self' data:"
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "X-Robots-Tag" not in admin_client.get("/")


def test_admin_login_locks_out_after_repeated_failures(client, db):
    User.objects.create_superuser("operator", "op@example.com", "right password")
    login = "/admin/login/?next=/admin/"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login, {"username": "operator", "password": "wrong"})
        assert response.status_code == 200 and "correct username and password" in response.text
    last_try = client.post(login, {"username": "operator", "password": "wrong"})
    assert last_try.status_code == 429
    locked = client.post(login, {"username": "operator", "password": "right password"})
    assert locked.status_code == 429
    assert "too many failed sign-in attempts" in locked.text
    forged = client.post(
        login,
        {"username": "operator", "password": "right password"},
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert forged.status_code == 429  # X-Forwarded-For is not trusted without a proxy
    assert "_auth_user_id" not in client.session


def test_a_successful_login_is_not_locked_and_admin_sessions_expire(client, db):
    User.objects.create_superuser("operator", "op@example.com", "right password")
    client.post("/admin/login/?next=/admin/", {"username": "operator", "password": "wrong"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "operator", "password": "right password"}
    )
    assert response.status_code == 302 and client.get("/admin/").status_code == 200
    session = Session.objects.get()
    hours = (session.expire_date - timezone.now()) / timedelta(hours=1)
    assert 7.9 < hours <= 8
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/admin/").status_code == 302  # back to the login page


def test_the_admin_path_is_configurable():
    code = "from django.urls import reverse; print(reverse('admin:index'))"
    env = {**os.environ, "KOMMOGEN_ADMIN_PATH": "/office-7f3k/", "DJANGO_SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip() == "/office-7f3k/", result.stderr


def test_document_pages_answer_conditional_requests(client, publish):
    publish(AGREEMENT_TEXT)
    first = client.get("/agreement/")
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"') and first["Cache-Control"] == "public, max-age=0, must-revalidate"
    again = client.get("/agreement/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    since = client.get("/agreement/", HTTP_IF_MODIFIED_SINCE=last_modified)
    assert since.status_code == 304
    listed = client.get("/agreement/", HTTP_IF_NONE_MATCH=f'W/"older", {etag}')
    assert listed.status_code == 304
    failed = client.get("/agreement/", HTTP_IF_NONE_MATCH=etag, HTTP_IF_MATCH='"other"')
    assert failed.status_code == 412  # every precondition counts, not only If-None-Match
    permanent = client.get("/agreement/v/1/")
    assert client.get("/agreement/v/1/", HTTP_IF_NONE_MATCH=permanent["ETag"]).status_code == 304
    publish(AGREEMENT_TEXT + "\n1.3. New.\n")
    changed = client.get("/agreement/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    # version 1's page now says it is no longer in effect: a new ETag too
    assert client.get("/agreement/v/1/", HTTP_IF_NONE_MATCH=permanent["ETag"]).status_code == 200


def test_a_scheduled_version_changes_the_current_page_without_a_future_last_modified(
    client, publish
):
    publish(AGREEMENT_TEXT)
    before = client.get("/agreement/")
    publish(AGREEMENT_TEXT + "\n1.3. New.\n", effective_at=timezone.now() + timedelta(days=2))
    after = client.get("/agreement/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200  # it now announces the scheduled version
    assert "A new version (2)" in after.text
    from email.utils import parsedate_to_datetime

    assert parsedate_to_datetime(after["Last-Modified"]) <= timezone.now()


@pytest.mark.django_db
def test_healthz_says_whether_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "disk": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_read_only(client):
    from django.db import connection

    read_only, read_write = {
        "sqlite": ("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
        "postgresql": (
            "SET LOCAL transaction_read_only = on",  # the test's transaction rolls back
            "SELECT 1",
        ),
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(read_only)
    try:
        response = client.get("/healthz")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(read_write)
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["status"] == "unavailable" and "database" in response.json()


@pytest.mark.django_db
def test_healthz_is_503_when_the_disk_is_almost_full(client, settings):
    import shutil

    settings.KOMMOGEN_MIN_FREE_DISK = shutil.disk_usage(settings.VAR_DIR).total + 1
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["disk"] == "almost full"


@pytest.mark.django_db
def test_djangos_log_lines_never_name_a_receipt_address(client, caplog, settings):
    import logging

    from kommogen_site.access_log import SecretsMasked

    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/receipt/{token}/").status_code == 404
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert "secrets_masked" in settings.LOGGING["handlers"]["console"]["filters"]
    SecretsMasked().filter(record)
    assert token not in record.getMessage() and "/receipt/.../" in record.getMessage()


@pytest.mark.django_db
def test_the_current_page_answered_early_has_exactly_the_stacks_headers_and_bytes(
    client, publish, settings
):
    from agreements.documents.caching import early_answers

    publish()
    first = client.get("/agreement/")  # through the whole middleware stack
    assert early_answers  # remembered
    again = client.get("/agreement/")  # answered early
    assert again.content == first.content
    assert dict(again.items()) == dict(first.items())
    etag = first["ETag"]
    first_304 = client.get("/agreement/", HTTP_IF_NONE_MATCH=etag)
    again_304 = client.get("/agreement/", HTTP_IF_NONE_MATCH=etag)
    assert first_304.status_code == again_304.status_code == 304
    assert dict(again_304.items()) == dict(first_304.items())
    assert "Content-Type" not in again_304


@pytest.mark.django_db
def test_the_early_answer_follows_a_new_version_and_never_skips_the_hosts_check(
    client, publish, settings
):
    publish()
    old = client.get("/agreement/")
    client.get("/agreement/")
    publish(AGREEMENT_TEXT + "\n1.3. Added.\n")  # in this process: forgotten at once
    new = client.get("/agreement/")
    assert new["ETag"] != old["ETag"] and b"Version</dt><dd>2<" in new.content.replace(b"\n", b"")
    assert client.get("/agreement/", HTTP_HOST="evil.example").status_code == 400
    settings.SECURE_SSL_REDIRECT = True
    from django.test import Client  # a new client: middleware reads this setting at start

    assert Client().get("/agreement/").status_code == 301  # plain HTTP still redirected


def wsgi_get(path, application=None, **environ):
    """A GET straight through kommogen_site.wsgi (or `application`), as gunicorn calls it."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    if application is None:
        from kommogen_site.wsgi import application

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), **environ}  # fmt: skip
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    # As Django's test client does: the test's database connection stays open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], dict(started["headers"]), body


@pytest.mark.django_db
def test_the_wsgi_entry_point_answers_early_with_the_stacks_exact_answer(publish):
    publish()
    first = wsgi_get("/agreement/")  # through Django and its middleware
    again = wsgi_get("/agreement/")  # from the WSGI wrapper
    assert first == again and first[0] == "200 OK"
    etag = first[1]["ETag"]
    first_304 = wsgi_get("/agreement/", HTTP_IF_NONE_MATCH=etag)
    again_304 = wsgi_get("/agreement/", HTTP_IF_NONE_MATCH=etag)
    assert first_304 == again_304 and first_304[0] == "304 Not Modified"
    assert wsgi_get("/agreement/", HTTP_HOST="evil.example")[0].startswith("400")
    publish(AGREEMENT_TEXT + "\n1.3. Added.\n")
    newer = wsgi_get("/agreement/")
    assert newer[1]["ETag"] != etag and b"Version</dt><dd>2<" in newer[2].replace(b"\n", b"")


@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "no-such-charset"])
@pytest.mark.parametrize("path", ["/contact/", "/consent/withdraw/", "/admin/login/"])
def test_a_form_posted_in_another_charset_is_400_not_500(client, documents, charset, path):
    body = "email=a%40example.com&scope=notifications"
    body = body.encode("utf-16") if "16" in charset else body.encode()
    response = client.generic(
        "POST", path, body, content_type=f"application/x-www-form-urlencoded; charset={charset}"
    )
    assert response.status_code == 400 and b"UTF-8" in response.content


@pytest.mark.parametrize(
    "path", ["/receipt/%00/", "/receipt/%00.json", "/consent/withdraw/%00/", "/agreement/%00"]
)
def test_a_nul_in_the_path_is_404(client, documents, path):
    assert client.get(path).status_code == 404


def test_a_nul_in_an_admin_filter_is_400(admin_client):
    response = admin_client.get("/admin/agreements/submission/?q=%00")
    assert response.status_code == 400
    assert admin_client.get("/admin/agreements/outboxmessage/?state=pend%00ing").status_code == 400


def test_admin_login_lockout_counts_an_ipv6_clients_64(client, db):
    User.objects.create_superuser("operator", "op@example.com", "right password")
    login = "/admin/login/?next=/admin/"
    for number in range(settings.AXES_FAILURE_LIMIT):
        address = f"2001:db8:1:2::{number + 1:x}"  # a new address of one /64 each time
        client.post(login, {"username": "operator", "password": "wrong"}, REMOTE_ADDR=address)
    locked = client.post(
        login, {"username": "operator", "password": "right password"},
        REMOTE_ADDR="2001:db8:1:2:ffff::9",
    )  # fmt: skip
    assert locked.status_code == 429
    elsewhere = client.post(
        login, {"username": "operator", "password": "right password"}, REMOTE_ADDR="2001:db8:9::1"
    )
    assert elsewhere.status_code == 302  # another /64 is not locked out


ON_SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def read_only_connection():
    """This connection as one opened while the database was read-only (SQLite)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")


# SQLite: in this process (a transactional test; PostgreSQL's TRUNCATE of the
# append-only tables refuses those). PostgreSQL: a live site whose database is made
# read-only and then writable again.
@pytest.mark.django_db(transaction=ON_SQLITE)
def test_once_the_database_is_writable_again_the_next_request_works(request, client):
    if not ON_SQLITE:
        return read_only_then_writable_on_a_live_site(request)
    read_only_connection()
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").status_code == 200  # a fresh connection, not the old one
    read_only_connection()
    withdraw = {"email": "nobody@example.com", "scope": "notifications"}
    assert client.post("/consent/withdraw/", withdraw).status_code == 503
    assert client.post("/consent/withdraw/", withdraw).status_code == 200


def read_only_then_writable_on_a_live_site(request):
    import psycopg

    from .live import fetch

    database = request.getfixturevalue("server_database")
    site = request.getfixturevalue("live_site_factory")(database, workers=1)
    name = database.rsplit("/", 1)[1]
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        site.kill_a_worker()  # its successor connects while the database is read-only
        for _ in range(100):
            try:
                if fetch(site.url + "/healthz", timeout=5).status == 503:
                    break
            except OSError:
                pass
        admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    assert fetch(site.url + "/healthz").status == 200
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        site.kill_a_worker()
        for number in range(100):
            try:
                if site.submit(number).status == 503:
                    break
            except OSError:
                pass
        admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    assert site.submit(1000).status == 302


def test_rate_counters_keep_an_address_only_until_their_window_ends(send_request, settings):
    from datetime import UTC, datetime

    from agreements.models import RateCounter

    settings.KOMMOGEN_RATE_LIMIT = "5/600"
    send_request(REMOTE_ADDR="203.0.113.77")
    [counter] = RateCounter.objects.filter(key__startswith="contact:")
    assert "203.0.113.77" in counter.key
    ended = datetime.fromtimestamp((counter.window + 1) * 600 + 1, UTC)
    RateCounter.forget_old(now=ended - timedelta(seconds=2))  # still its window
    assert RateCounter.objects.filter(pk=counter.pk).exists()
    RateCounter.forget_old(now=ended)
    assert not RateCounter.objects.filter(key__contains="203.0.113.77").exists()


def test_the_worker_forgets_ended_rate_windows(send_request, settings):
    from agreements.models import RateCounter
    from agreements.outbox import delivery

    send_request(REMOTE_ADDR="203.0.113.78")
    RateCounter.objects.update(window=1)  # a window long over
    delivery._last_tidy[0] = 0.0
    from django.core.management import call_command

    call_command("deliver", "--once")
    assert not RateCounter.objects.exists()


def test_admin_sign_in_records_are_deleted_after_thirty_days(client, db, settings):
    from axes.models import AccessAttempt, AccessLog
    from django.core.management import call_command

    User.objects.create_superuser("operator", "op@example.com", "right password")
    client.post("/admin/login/?next=/admin/", {"username": "operator", "password": "wrong"})
    client.post(
        "/admin/login/?next=/admin/", {"username": "operator", "password": "right password"}
    )
    assert AccessAttempt.objects.exists() or AccessLog.objects.exists()
    call_command("erase_expired_requests")
    assert AccessAttempt.objects.exists() or AccessLog.objects.exists()  # recent: kept
    old = timezone.now() - timedelta(days=settings.KOMMOGEN_LOGIN_RECORDS_DAYS + 1)
    AccessAttempt.objects.update(attempt_time=old)
    AccessLog.objects.update(attempt_time=old)
    call_command("erase_expired_requests")
    assert not AccessAttempt.objects.exists() and not AccessLog.objects.exists()


def plain_environ(scheme):
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/agreement/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(),
    }


HOSTS = ["127.0.0.1", "127.0.0.1:8000", "evil.example", "localhost.", "LOCALHOST", "[::1]:80",
         "127.0.0.1@evil.example", "", "www.kommogen.com", "x.www.kommogen.com"]  # fmt: skip


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("forwarded_host", [None, "www.kommogen.com", "evil.example"])
def test_the_early_answer_allows_exactly_the_hosts_django_allows(host, forwarded_host, settings):
    from django.core.handlers.wsgi import WSGIRequest

    from agreements.documents.early import EarlyAnswers

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", ".kommogen.com"]
    settings.USE_X_FORWARDED_HOST = forwarded_host is not None
    environ = plain_environ("http")
    if host:
        environ["HTTP_HOST"] = host
    if forwarded_host:
        environ["HTTP_X_FORWARDED_HOST"] = forwarded_host
    try:
        WSGIRequest(dict(environ)).get_host()
        django_allows = True
    except DisallowedHost:
        django_allows = False
    assert EarlyAnswers(None).allowed_host(environ) == django_allows


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("proto", [None, "https", "http", "https, http", "HTTPS", ""])
def test_the_early_answer_tells_https_exactly_as_django_does(scheme, proto, settings):
    from django.core.handlers.wsgi import WSGIRequest

    from agreements.documents.early import is_secure

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    environ = plain_environ(scheme)
    if proto is not None:
        environ["HTTP_X_FORWARDED_PROTO"] = proto
    assert is_secure(environ) == WSGIRequest(dict(environ)).is_secure()


@pytest.mark.django_db
def test_behind_a_tls_proxy_plain_http_is_redirected_and_https_answered_early(publish, settings):
    from django.core.wsgi import get_wsgi_application

    from agreements.documents.early import EarlyAnswers

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    application = EarlyAnswers(get_wsgi_application())  # its middleware reads these at start
    publish()
    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    first = wsgi_get("/agreement/", application, **https)
    again = wsgi_get("/agreement/", application, **https)
    assert first == again and first[0] == "200 OK"
    plain = wsgi_get("/agreement/", application)  # never the remembered HTTPS page
    assert plain[0].startswith("301") and plain[1]["Location"] == "https://127.0.0.1/agreement/"
