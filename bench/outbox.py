"""The outbox worker draining a backlog (`make bench`, after bench.run): requests sent
through the real contact view queue their messages (the operator's email, the visitor's
receipt copy, the confirmation of the notifications box, a Kommo lead), then one
`manage.py deliver --once` sends them all to a local SMTP sink (aiosmtpd) and a local
fake Kommo. Measured at two backlog sizes, so that time per message and the worker's
peak memory can be compared: flat means the worker holds one message at a time.

Kommo allows 7 requests a second per account and a lead takes two, so against the real
Kommo leads go out at 3 a second whatever the worker does: the fake Kommo here answers
at once and KOMMO_REQUESTS_PER_SECOND=0 turns the spacing off, to measure the worker.

Environment: BENCH_OUTBOX_SIZES (1000,10000): messages in each backlog.
"""

import base64
import email
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

BASE = Path(__file__).resolve().parent.parent
SIZES = [int(n) for n in os.environ.get("BENCH_OUTBOX_SIZES", "1000,10000").split(",")]
MESSAGES_PER_REQUEST = 4  # operator, receipt copy, confirmation, Kommo lead

SEED = """
import os
from datetime import timedelta
from django.test import Client
from django.utils import timezone
from agreements.contact.forms import sign_form_token
from agreements.evidence.statements import current_form_versions
client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
versions, now = current_form_versions(), timezone.now() - timedelta(minutes=1)
for i in range(int(os.environ["BENCH_REQUESTS"])):
    answer = client.post("/contact/", {
        "name": "Nguyễn Văn An", "email": f"an{i}@example.com", "contact": "+84 90 000 0000",
        "company": "An Co.", "service": "implementation", "message": "Hello " * 40,
        "accept_agreement": "on", "consent_personal_data": "on",
        "consent_notifications": "on", "website": "",
        "form_token": sign_form_token(versions, "/contact/", now - timedelta(microseconds=i)),
    })
    assert answer.status_code == 302, answer.status_code
"""


def log(message):
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Sink:
    """An SMTP server that counts what it is given."""

    def __init__(self):
        self.count, self.connections = 0, set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's API)
        email.message_from_bytes(envelope.content)  # read it as a mail client would
        self.count += 1
        self.connections.add(session.peer)
        return "250 OK"


class FakeKommo(BaseHTTPRequestHandler):
    """Kommo's two calls for a lead, answered at once with the documented shapes."""

    leads = notes = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's API)
        json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            if self.path == "/api/v4/leads/unsorted/forms":
                FakeKommo.leads += 1
                leads = {"leads": [{"id": FakeKommo.leads}]}
                body = {"_embedded": {"unsorted": [{"uid": "u", "_embedded": leads}]}}
            else:
                FakeKommo.notes += 1
                body = {"_embedded": {"notes": [{"id": FakeKommo.notes}]}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args):
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(command, cwd=BASE, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed:\n{result.stderr}")
    return result


def timed_worker(env):
    """`deliver --once` as a child process: (seconds, peak RSS in MB)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "manage.py", "deliver", "--once"], cwd=BASE,
                             env=env, stdout=subprocess.DEVNULL)  # fmt: skip
    _pid, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit("deliver failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def drain(workdir, size, sink_port, kommo_port):
    requests = size // MESSAGES_PER_REQUEST
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "kommogen_site.settings",
        "DATABASE_URL": f"sqlite:///{workdir / f'outbox-{size}.sqlite3'}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "KOMMOGEN_EVIDENCE_KEY": secrets.token_urlsafe(40),
        "KOMMOGEN_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "KOMMOGEN_RATE_LIMIT": "", "KOMMOGEN_MIN_FILL_SECONDS": "0",
        "DJANGO_EMAIL_HOST": "127.0.0.1", "DJANGO_EMAIL_PORT": str(sink_port),
        "DJANGO_EMAIL_USE_TLS": "false",
        "KOMMO_BASE_URL": f"http://127.0.0.1:{kommo_port}", "KOMMO_TOKEN": "bench",
        "KOMMO_REQUESTS_PER_SECOND": "0",
    }  # fmt: skip
    manage(env, "migrate", "-v0")
    manage(env, "load_content")
    log(f"queuing {size} messages: {requests} requests through the contact view")
    manage({**env, "BENCH_REQUESTS": str(requests)}, "shell", "--no-imports", "-c", SEED)
    log(f"draining {size} messages")
    seconds, peak_mb = timed_worker(env)
    left = manage(env, "shell", "--no-imports", "-c",
                  "from agreements.models import OutboxMessage as M; "
                  "print(M.objects.exclude(state='sent').count())").stdout.strip()  # fmt: skip
    return {"messages": size, "seconds": seconds, "per_second": size / seconds,
            "peak_rss_mb": peak_mb, "not_sent": int(left)}  # fmt: skip


def main():
    sink = Sink()
    sink_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
    controller.start()
    kommo = ThreadingHTTPServer(("127.0.0.1", 0), FakeKommo)
    threading.Thread(target=kommo.serve_forever, daemon=True).start()
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="kommogen-outbox-") as tmp:
            for size in SIZES:
                before = (sink.count, FakeKommo.leads)
                run = drain(Path(tmp), size, sink_port, kommo.server_address[1])
                run["emails"], run["leads"] = sink.count - before[0], FakeKommo.leads - before[1]
                runs.append(run)
                log(run)
    finally:
        controller.stop()
        kommo.shutdown()
    print("| Messages | emails | Kommo leads | not sent | seconds | messages/s | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in runs:
        counts = f"| {r['messages']:,} | {r['emails']:,} | {r['leads']:,} | {r['not_sent']} |"
        print(f"{counts} {r['seconds']:.1f} | {r['per_second']:.0f} | {r['peak_rss_mb']:.0f} MB |")
    first, last = runs[0], runs[-1]
    print(f"\nTime per message, {first['messages']:,} to {last['messages']:,}: "
          f"{first['per_second'] / last['per_second']:.2f}x; peak memory "
          f"{first['peak_rss_mb']:.0f} MB to {last['peak_rss_mb']:.0f} MB.")  # fmt: skip


if __name__ == "__main__":
    main()
