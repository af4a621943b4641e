"""The deploy/ example works: nginx's config passes `nginx -t` and serves the site on
loopback in front of gunicorn, with TLS, static files and the client IP right; the
backup script makes a usable copy."""

import re
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from .live import NoRedirect, collected_static, fetch, free_port, needs

DEPLOY = settings.BASE_DIR / "deploy"
HOST = "www.kommogen.com"


def self_signed_certificate(directory):
    openssl = needs("openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST}", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def loopback_config(tmp_path, app_port, http_port, https_port, static_root):
    """deploy/nginx/kommogen.conf with loopback ports, a test certificate and paths."""
    site = (DEPLOY / "nginx" / "kommogen.conf").read_text()
    cert, key = self_signed_certificate(tmp_path)
    replacements = {
        "unix:/run/kommogen/gunicorn.sock": f"127.0.0.1:{app_port}",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(key),
        "/srv/kommogen/var/static/": f"{static_root}/",
        "/var/log/nginx/": f"{tmp_path}/",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/kommogen.conf no longer has {old!r}"
        site = site.replace(old, new)
    (tmp_path / "kommogen.conf").write_text(site)
    mime_types = "/etc/nginx/mime.types"
    main = f"""
user root;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    include {mime_types};
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/kommogen.conf;
}}
"""
    (tmp_path / "nginx.conf").write_text(main)
    return tmp_path / "nginx.conf"


@pytest.fixture
def site_behind_nginx(tmp_path, live_site_factory, server_database):
    nginx = needs("nginx")
    static_root = collected_static()
    site = live_site_factory(
        server_database,
        workers=2,
        DJANGO_ALLOWED_HOSTS=HOST,
        KOMMOGEN_HTTPS="true",
        KOMMOGEN_BEHIND_TLS_PROXY="true",
        KOMMOGEN_TRUSTED_PROXIES="1",
        KOMMOGEN_SITE_URL=f"https://{HOST}",
    )
    http_port, https_port = free_port(), free_port()
    config = loopback_config(
        tmp_path, site.url.rsplit(":", 1)[1], http_port, https_port, static_root
    )
    check = subprocess.run(
        [nginx, "-t", "-c", config, "-p", tmp_path], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen(
        [nginx, "-c", config, "-p", tmp_path, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", https_port)) == 0:
                break
        time.sleep(0.1)
    site.logs = tmp_path
    yield site, f"http://127.0.0.1:{http_port}", f"https://127.0.0.1:{https_port}"
    server.terminate()
    server.wait(timeout=10)


def https_opener(*handlers):
    """Trusts the test's self-signed certificate; never follows redirects."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    https = urllib.request.HTTPSHandler(context=context)
    return urllib.request.build_opener(https, NoRedirect, *handlers)


def test_nginx_serves_the_site_over_tls_in_front_of_gunicorn(site_behind_nginx):
    site, http_url, https_url = site_behind_nginx
    redirect = fetch(http_url + "/agreement/", headers={"Host": HOST})
    assert redirect.status == 301 and redirect.headers["Location"] == f"https://{HOST}/agreement/"

    opener = https_opener()
    page = fetch(https_url + "/agreement/", headers={"Host": HOST}, opener=opener)
    assert page.status == 200 and "User Agreement" in page.text
    assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
    assert "Content-Security-Policy" in page.headers

    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page.text).group(1)
    headers = {"Host": HOST, "Accept-Encoding": "gzip"}
    static = fetch(https_url + stylesheet, headers=headers, opener=opener)
    assert static.status == 200 and static.headers["Content-Encoding"] == "gzip"
    assert "immutable" in static.headers["Cache-Control"]
    assert fetch(https_url + "/healthz", headers={"Host": HOST}, opener=opener).status == 200


def test_behind_nginx_the_recorded_client_ip_cannot_be_forged(site_behind_nginx):
    site, _, https_url = site_behind_nginx
    opener = https_opener(urllib.request.HTTPCookieProcessor())
    headers = {"Host": HOST}
    form = fetch(https_url + "/contact/", headers=headers, opener=opener).text
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"', form))
    data = {**fields, "name": "Proxy Test", "email": "proxy@example.com", "service": "audit",
            "message": "Hi.", "accept_agreement": "on", "consent_personal_data": "on"}  # fmt: skip
    forged = {**headers, "Referer": f"https://{HOST}/contact/", "X-Forwarded-For": "6.6.6.6"}
    response = fetch(https_url + "/contact/", data, forged, opener=opener)
    assert response.status == 302, response.text[:500]
    code = "from agreements.models import Submission; print(Submission.objects.get().client_ip)"
    assert site.shell(code) == "127.0.0.1"


def test_the_backup_script_makes_a_usable_copy(live_site, tmp_path):
    backups = tmp_path / "backups"
    if live_site.env["DATABASE_URL"].startswith("postgres"):
        needs("pg_dump")
    result = subprocess.run(
        [DEPLOY / "backup", backups], cwd=settings.BASE_DIR, env=live_site.env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [copy] = list(backups.iterdir())
    assert copy.name.startswith("kommogen-") and copy.stat().st_size > 10_000


def test_every_scheduled_unit_and_the_worker_run_something_that_exists():
    from django.core.management import get_commands

    timers = sorted((DEPLOY / "systemd").glob("*.timer"))
    assert {t.stem for t in timers} >= {
        "kommogen-backup",
        "kommogen-verify",
        "kommogen-retention",
        "kommogen-checkpoint",
    }
    services = [t.with_suffix(".service") for t in timers]
    services.append(DEPLOY / "systemd" / "kommogen-deliver.service")  # a service, not a timer
    for service in services:
        command = re.search(r"^ExecStart=(.+)$", service.read_text(), re.M).group(1).split()
        if "manage.py" in command:
            assert command[command.index("manage.py") + 1] in get_commands(), service.name
        else:  # a script of this repository, installed at /srv/kommogen
            assert (settings.BASE_DIR / command[0].removeprefix("/srv/kommogen/")).exists()


def test_nginx_names_no_version_and_sends_the_apex_to_the_canonical_host(site_behind_nginx):
    _, http_url, https_url = site_behind_nginx
    opener = https_opener()
    for url, host, path in (
        (http_url, "kommogen.com", "/agreement/"),
        (https_url, "kommogen.com", "/agreement/?x=1"),
    ):
        answer = fetch(url + path, headers={"Host": host}, opener=opener)
        assert answer.status == 301 and answer.headers["Location"] == f"https://{HOST}{path}"
        assert answer.headers["Server"] == "nginx" and not re.search(r"nginx/\d", answer.text)
    missing = fetch(https_url + "/static/missing.css", headers={"Host": HOST}, opener=opener)
    assert missing.status == 404 and missing.headers["Server"] == "nginx"
    assert "nginx" in missing.text and not re.search(r"nginx/\d", missing.text)


def a_request_and_its_receipt(site, url, headers=None, opener=None, origin=None):
    """Send the form, open the receipt; the receipt's secret token."""
    form = fetch(url + "/contact/", headers=headers, opener=opener).text
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"', form))
    data = {**fields, "name": "Log Reader", "email": "log@example.com", "service": "audit",
            "message": "Hi.", "accept_agreement": "on", "consent_personal_data": "on"}  # fmt: skip
    referer = {"Referer": (origin or url) + "/contact/"}
    sent = fetch(url + "/contact/", data, {**(headers or {}), **referer}, opener)
    assert sent.status == 302, sent.text
    receipt = sent.headers["Location"]
    assert fetch(url + urlsplit(receipt).path, headers=headers, opener=opener).status == 200
    return urlsplit(receipt).path.split("/")[2]


# A signed link's token as Django's signing makes it: payload, timestamp, signature.
SIGNED = "IktHLVhYWFhYWFhYWFgi:1vXyZa:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_gunicorns_access_log_names_no_visitor(live_site_factory, server_database, tmp_path):
    log = tmp_path / "access.log"
    site = live_site_factory(server_database, workers=1, access_log=str(log))
    jar = urllib.request.HTTPCookieProcessor()
    token = a_request_and_its_receipt(
        site, site.url, opener=urllib.request.build_opener(jar, NoRedirect)
    )
    fetch(site.url + "/consent/unsubscribe/" + SIGNED + "/")
    fetch(site.url + "/forged%0A1970-01-01%20%22GET%20/admin/%22%20200/")
    site.stop()
    text = log.read_text(encoding="utf-8")
    assert '"GET /receipt/.../" 200' in text and '"POST /contact/" 302' in text
    assert token not in text and "127.0.0.1" not in text and "Python-urllib" not in text
    assert not any(part in text for part in SIGNED.split(":"))  # the whole signed token
    assert "/forged\\x0a1970" in text and not any(
        line.startswith("1970") for line in text.splitlines()
    )  # a line feed in a path never starts a line of its own


def test_nginxs_access_log_names_no_visitor(site_behind_nginx):
    site, _, https_url = site_behind_nginx
    opener = https_opener(urllib.request.HTTPCookieProcessor())
    token = a_request_and_its_receipt(site, https_url, {"Host": HOST}, opener, f"https://{HOST}")
    time.sleep(0.2)  # nginx writes the line as the response ends
    text = (site.logs / "kommogen.access.log").read_text(encoding="utf-8")
    assert '"GET /receipt/.../" 200' in text and token not in text and "127.0.0.1" not in text
    fetch(https_url + "/consent/unsubscribe/" + SIGNED + "/", headers={"Host": HOST},
          opener=opener)  # fmt: skip
    time.sleep(0.2)
    text = (site.logs / "kommogen.access.log").read_text(encoding="utf-8")
    assert '"GET /consent/unsubscribe/.../"' in text
    assert not any(part in text for part in SIGNED.split(":"))  # the whole signed token
    logrotate = (DEPLOY / "logrotate" / "kommogen-nginx").read_text()
    assert "rotate 14" in logrotate and "kommogen.access.log" in logrotate


def test_after_erasure_no_copy_stays_in_the_database_files(live_site_factory, server_database):
    site = live_site_factory(server_database, workers=1)
    email = "wal.traceable@example.org"
    assert site.submit(1, email=email, name="Walter Traceable").status == 302
    result = site.manage("erase_personal_data", email)
    assert result.returncode == 0, result.stderr
    # The files as a copy taken now would hold them, the site still running.
    if server_database.startswith("sqlite"):
        database = Path(server_database.removeprefix("sqlite:///"))
        files = [database, *database.parent.glob(database.name + "-*")]  # -wal, -shm
        raw = b"".join(path.read_bytes() for path in files if path.exists())
    else:
        import psycopg

        with psycopg.connect(server_database) as conn:
            tables = [row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]  # fmt: skip
            raw = repr([conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables]).encode()
    for value in (email, "Walter Traceable", "wal.traceable"):
        assert value.encode() not in raw, value
