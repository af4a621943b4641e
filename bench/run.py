"""The benchmark suite (`make bench`): the site under the production gunicorn config on
127.0.0.1, measured side by side with references in the same run, alternating rounds,
reported as medians and ratios. Writes a Markdown table to stdout and bench/results.json.

Environment: BENCH_ROUNDS (5), BENCH_SECONDS per wrk run (5), BENCH_CONNECTIONS (32),
BENCH_SCALES (10000,100000,1000000), BENCH_POSTGRES_URL (a PostgreSQL URL whose user may
CREATE DATABASE; by default the local kommogen role, skipped if it does not answer).
"""

import base64
import gzip
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SCALES = [int(n) for n in os.environ.get("BENCH_SCALES", "10000,100000,1000000").split(",")]
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://kommogen:kommogen@127.0.0.1:5432/postgres"
)
SUBMISSIONS = {1: 100, 8: 300, 32: 400}  # requests per measurement, by concurrency
# BENCH_PARTS=submissions (or pages, evidence, comma-separated): only those parts.
PARTS = set(os.environ.get("BENCH_PARTS", "pages,submissions,evidence").split(","))


def log(message):
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BareReference:
    """bench/bare.py under the same gunicorn.conf.py: a project with no apps, no
    middleware and one view returning the same bytes as /agreement/."""

    def __init__(self, workdir):
        self.site = Site(workdir, "sqlite:///unused")
        self.site.env = {key: value for key, value in self.site.env.items()
                         if key != "DJANGO_SETTINGS_MODULE"}  # fmt: skip
        self.url = self.site.url

    def start(self):
        self.site.start(app=("bench.bare:application",), probe="/agreement/")
        return self

    def stop(self):
        self.site.stop()


class WithoutEarlyAnswer:
    """The same site (its database and settings) without agreements/documents/early.py:
    bench/without_early.py under the same gunicorn.conf.py, on a port of its own."""

    def __init__(self, site):
        self.site = Site(site.workdir, site.env["DATABASE_URL"])
        self.site.env = {**site.env, "DJANGO_SETTINGS_MODULE": "bench.settings_without_early"}
        self.url = self.site.url

    def start(self):
        self.site.start(app=("bench.without_early:application",), probe="/agreement/")
        return self

    def stop(self):
        self.site.stop()


class Site:
    """gunicorn with gunicorn.conf.py and the production settings, on its own database."""

    def __init__(self, workdir, database_url):
        self.workdir, self.port = workdir, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "KOMMOGEN_EVIDENCE_KEY": secrets.token_urlsafe(32),
            "KOMMOGEN_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "DJANGO_STATIC_ROOT": str(workdir / "static"),
            "BENCH_REFERENCE_FILE": str(workdir / "agreement.html"),
            # The signer's state beside this site's own database, outside it.
            "KOMMOGEN_SIGNER_STATE_FILE": str(workdir / "signer-state.json"),
            # Lifted by settings for the bench, as an operator could; no bench-only code path.
            "KOMMOGEN_RATE_LIMIT": "0",
            "KOMMOGEN_MIN_FILL_SECONDS": "0",
        }
        self.server = None

    def manage(self, *args, check=True):
        return subprocess.run(
            [PYTHON, "manage.py", *args], cwd=BASE, env=self.env, check=check,
            capture_output=True, text=True,
        )  # fmt: skip

    def prepare(self):
        self.manage("migrate", "-v0")
        self.manage("load_content")
        self.manage("collectstatic", "--noinput", "-v0")
        code = (
            "from django.db import connection\n"
            "pk = 'BIGSERIAL PRIMARY KEY' if connection.vendor == 'postgresql' "
            "else 'INTEGER PRIMARY KEY AUTOINCREMENT'\n"
            "connection.cursor().execute(f'CREATE TABLE IF NOT EXISTS bench_reference_row "
            "(id {pk}, body TEXT NOT NULL, created_at TIMESTAMP NOT NULL)')\n"
        )
        self.manage("shell", "--no-imports", "-c", code)

    def start(self, app=(), env=None, probe="/healthz"):
        self.server = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
             "--no-control-socket", "--access-logfile", "/dev/null", "--error-logfile", "-", *app],
            cwd=BASE, env=env or self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + probe, timeout=2)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def restart(self):
        """Again, so that whitenoise sees files written after the first start."""
        self.stop()
        return self.start()

    def stop(self):
        if self.server:
            self.server.send_signal(signal.SIGTERM)
            self.server.wait(timeout=30)
            self.server = None

    def worker_rss_mb(self):
        path = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        sizes = []
        for pid in path.read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
        return sizes

    def form_tokens(self, count):
        """`count` distinct contact-form tokens, as the form page would sign them (a token
        is accepted once, so each submission of the bench sends its own)."""
        code = (
            "from datetime import timedelta\n"
            "from django.utils import timezone\n"
            "from agreements.contact.forms import sign_form_token\n"
            "from agreements.evidence.statements import current_form_versions\n"
            "versions, now = current_form_versions(), timezone.now()\n"
            f"for i in range({count}):\n"
            "    print(sign_form_token(versions, '/contact/', now - timedelta(microseconds=i)))\n"
        )
        return self.manage("shell", "--no-imports", "-c", code).stdout.split()

    def count_contact_requests(self):
        """The submissions the contact view stored (not the same-rows reference's)."""
        code = ("from agreements.models import Submission; print(Submission.objects.exclude("
                "events__subject_key_id='bench').distinct().count())")  # fmt: skip
        return int(self.manage("shell", "--no-imports", "-c", code).stdout.split()[-1])

    def count(self, model):
        code = f"from agreements.models import {model}; print({model}.objects.count())"
        return int(self.manage("shell", "--no-imports", "-c", code).stdout.split()[-1])


# --- load generators --------------------------------------------------------------


def wrk(url, headers=()):
    """wrk for SECONDS at CONNECTIONS: requests/s, p50 and p99 latency in ms, non-2xx/3xx."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    for header in headers:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": milliseconds(latency["50"]),
        "p99_ms": milliseconds(latency["99"]),
        "bad": int(errors.group(1)) if errors else 0,
    }


def milliseconds(value):
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def form_session(site):
    """A visitor's CSRF cookie and the contact form's hidden fields, as a browser gets them."""
    response = urllib.request.urlopen(site.url + "/contact/")
    page = response.read().decode()
    cookie = response.headers["Set-Cookie"].split(";")[0]
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"', page))
    return cookie, fields


def closed_loop(site, path, bodies, cookie, total, concurrency):
    """`total` POSTs over `concurrency` keep-alive connections, each with its own body
    from `bodies` (taken, so none is sent twice); each request completes, so every
    redirect is counted. Returns requests/s and the count of each status."""
    statuses, lock = {}, threading.Lock()
    per_thread = [total // concurrency + (i < total % concurrency) for i in range(concurrency)]
    mine = [[bodies.pop() for _ in range(n)] for n in per_thread]
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
               "Referer": site.url + "/contact/"}  # fmt: skip

    latencies = []

    def client(own_bodies):
        connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=60)
        for body in own_bodies:
            sent = time.perf_counter()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status, connection = "error", http.client.HTTPConnection("127.0.0.1", site.port)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(time.perf_counter() - sent)

    threads = [threading.Thread(target=client, args=(own,)) for own in mine]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return {"rps": total / (time.perf_counter() - start), "statuses": statuses, "p99_ms": p99}


# --- the measurements ------------------------------------------------------------


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def same_headers(site):
    """Whether /agreement/ answered early carries exactly the headers of its first answer,
    which went through the whole middleware stack (in one worker: a new site)."""
    answers = [urllib.request.urlopen(site.url + "/agreement/") for _ in range(8)]
    headers = [{k: v for k, v in a.headers.items() if k != "Date"} for a in answers]
    return all(h == headers[0] for h in headers), sorted(headers[0])


def pages(site, bare, without_early, results):
    """1, 2 and 5: /agreement/ against its references, the 304 path, sizes and RSS."""
    html = urllib.request.urlopen(site.url + "/agreement/").read()
    etag = urllib.request.urlopen(site.url + "/agreement/").headers["ETag"]
    results["headers_identical"], results["headers"] = same_headers(site)
    targets = {
        "agreement": (site.url + "/agreement/", ()),
        "bare_view": (bare.url + "/agreement/", ()),
        "agreement_without_early_answer": (without_early.url + "/agreement/", ()),
        "reference_view": (site.url + "/bench/reference/", ()),
        "whitenoise": (site.url + "/static/bench/agreement.html", ()),
        "agreement_304": (site.url + "/agreement/", (f"If-None-Match: {etag}",)),
    }
    runs = {name: [] for name in targets}
    for round_number in range(ROUNDS):
        shift = round_number % len(targets)
        order = list(targets)[shift:] + list(targets)[:shift]
        for name in order:  # alternating order, so no target always runs first
            url, headers = targets[name]
            runs[name].append(wrk(url, headers))
            log(f"round {round_number + 1} {name}: {runs[name][-1]}")
    for name, measured in runs.items():
        results["pages"][name] = {
            "rps": median_of(measured, "rps"), "p50_ms": median_of(measured, "p50_ms"),
            "p99_ms": median_of(measured, "p99_ms"), "bad": sum(r["bad"] for r in measured),
            "runs": measured,
        }  # fmt: skip
    results["worker_rss_mb"] = max(site.worker_rss_mb())
    css_bytes = 0
    for stylesheet in re.findall(rb'href="(/static/css/[^"]+\.css)"', html):
        request = urllib.request.Request(
            site.url + stylesheet.decode(), headers={"Accept-Encoding": "br"}
        )
        css_bytes += len(urllib.request.urlopen(request).read())  # the .br file whitenoise sends
    results["transfer"] = {
        "html_bytes": len(html), "html_gzip_bytes": len(gzip.compress(html, 6)),
        "css_br_bytes": css_bytes,
    }  # fmt: skip


REFERENCES = {"insert": "/bench/insert/", "same_rows": "/bench/same-rows/"}


def submissions(site, label, concurrencies, results):
    """3: the contact form end to end against one INSERT in one transaction, and against
    the same rows written plainly (bench/urls.py, same_rows)."""
    cookie, fields = form_session(site)
    form = {**fields, "name": "Bench Visitor", "email": "bench@example.com",
            "service": "audit", "message": "A benchmark request.",
            "accept_agreement": "on", "consent_personal_data": "on"}  # fmt: skip
    needed = sum(SUBMISSIONS[c] for c in concurrencies) * ROUNDS
    bodies = [urllib.parse.urlencode(form | {"form_token": token})
              for token in site.form_tokens(needed)]  # fmt: skip
    insert_body = urllib.parse.urlencode(form)
    redirects, outcome = 0, {}
    for concurrency in concurrencies:
        total = SUBMISSIONS[concurrency]
        runs = {"contact": [], "insert": [], "same_rows": []}
        for round_number in range(ROUNDS):
            order = list(runs)[round_number % 3 :] + list(runs)[: round_number % 3]
            for name in order:
                path = "/contact/" if name == "contact" else REFERENCES[name]
                sent = bodies if name == "contact" else [insert_body] * total
                run = closed_loop(site, path, sent, cookie, total, concurrency)
                runs[name].append(run)
                if name == "contact":
                    redirects += run["statuses"].get(302, 0)
                log(f"{label} c={concurrency} round {round_number + 1} {name}: {run}")
        outcome[concurrency] = {
            name: {"rps": median_of(measured, "rps"), "p99_ms": median_of(measured, "p99_ms"),
                   "statuses": merged(r["statuses"] for r in measured)}
            for name, measured in runs.items()
        }  # fmt: skip
    stored = site.count_contact_requests()
    verify = site.manage("verify_evidence", check=False)
    results["submissions"][label] = {
        "by_concurrency": outcome, "redirects_seen": redirects, "submissions_stored": stored,
        "lost": redirects - stored if stored <= redirects else 0,
        "unacknowledged_but_stored": max(0, stored - redirects),
        "verify_evidence": verify.stdout.strip() or verify.stderr.strip(),
    }  # fmt: skip


def merged(status_counts):
    total = {}
    for counts in status_counts:
        for status, count in counts.items():
            total[str(status)] = total.get(str(status), 0) + count
    return total


def timed_command(site, *args, repeat=1):
    """Run a management command `repeat` times through bench/timed.py: the shortest of the
    times the command itself took (start-up excluded; on a shared machine noise only ever
    adds time, so the minimum is the best estimate of the cost) and the largest peak RSS
    of its process."""
    runs = []
    for _ in range(repeat):
        result = subprocess.run(
            [PYTHON, "-m", "bench.timed", *args], cwd=BASE, env=site.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr}")
        seconds, peak_mb = result.stderr.split()[-2:]
        runs.append((float(seconds), float(peak_mb)))
    return {"seconds": min(r[0] for r in runs), "peak_mb": max(r[1] for r in runs)}


PROOF_COUNT = 1000
# Inclusion proofs for events spread over the log, and consistency proofs, against the
# checkpoint just made: each reads O(log n) stored nodes in one query.
PROOFS = (
    "from agreements.evidence import merkle\n"
    f"for i in range({PROOF_COUNT // 2}):\n"
    "    merkle.inclusion_proof(i * 7919 %% %(size)d, %(size)d)\n"
    "    merkle.consistency_proof(1 + i * 104729 %% %(size)d, %(size)d)\n"
)


def evidence_at_scale(workdir, results):
    """4: verify_evidence and export_evidence on growing logs; seeds only the difference."""
    site = Site(workdir, f"sqlite:///{workdir / 'evidence.sqlite3'}")
    site.prepare()
    verify_args, export_args = ["verify_evidence"], ["export_evidence", "--format", "json"]
    seeded = 0
    for scale in SCALES:
        start = time.perf_counter()
        subprocess.run([PYTHON, "-m", "bench.seed", str(scale - seeded)], cwd=BASE,
                       env=site.env, check=True, capture_output=True)  # fmt: skip
        seed_seconds, seeded = time.perf_counter() - start, scale
        repeat = 5 if scale <= 10_000 else 3 if scale < 1_000_000 else 1  # short: noisier
        checkpoint = timed_command(site, "make_checkpoint")  # extends the tree to `scale`
        verify = timed_command(site, *verify_args, repeat=repeat)
        export = timed_command(site, *export_args, repeat=repeat)
        proofs = timed_command(site, "shell", "-c", PROOFS % {"size": scale})
        results["evidence"][str(scale)] = {
            "seed_seconds": seed_seconds, "verify": verify, "export": export,
            "verify_us_per_event": verify["seconds"] / scale * 1e6,
            "export_us_per_event": export["seconds"] / scale * 1e6,
            "checkpoint": checkpoint, "proofs": proofs,
            "proof_ms": proofs["seconds"] / PROOF_COUNT * 1000,
        }  # fmt: skip
        log(f"evidence {scale}: {results['evidence'][str(scale)]}")
    # The steady state: a checkpoint after 1,000 more events on the largest log.
    subprocess.run([PYTHON, "-m", "bench.seed", "1000"], cwd=BASE, env=site.env, check=True,
                   capture_output=True)  # fmt: skip
    results["next_checkpoint"] = timed_command(site, "make_checkpoint")


# --- the report ------------------------------------------------------------------


def machine():
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())

    def version_of(command):
        try:
            result = subprocess.run(command, capture_output=True, text=True)
            return (result.stdout or result.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "not found"

    import django
    import gunicorn

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(), "cpu": cpu.group(1) if cpu else platform.processor(),
        "python": platform.python_version(), "django": django.get_version(),
        "gunicorn": gunicorn.__version__, "sqlite": __import__("sqlite3").sqlite_version,
        "wrk": version_of(["wrk", "--version"]), "postgresql": version_of(["psql", "--version"]),
        "gunicorn_workers": os.environ.get("GUNICORN_WORKERS", "gunicorn.conf.py default"),
    }  # fmt: skip


def page_targets(results, check):
    pages_ = results["pages"]
    bare = pages_["bare_view"]
    ratio = pages_["agreement"]["rps"] / bare["rps"]
    check("GET /agreement/ req/s vs bare view", f"{ratio:.2f}x", ">= 0.85x", ratio >= 0.85)
    p99 = pages_["agreement"]["p99_ms"] / bare["p99_ms"]
    check("GET /agreement/ p99 vs bare view", f"{p99:.2f}x", "<= 1.5x", p99 <= 1.5)
    ratio = pages_["agreement_without_early_answer"]["rps"] / bare["rps"]
    check("GET /agreement/ without the early answer, req/s vs bare view (early.py kept "
          "while below 0.85x)", f"{ratio:.2f}x", "< 0.85x", ratio < 0.85)  # fmt: skip
    ratio = pages_["agreement_304"]["rps"] / bare["rps"]
    check("304 path req/s vs bare view", f"{ratio:.2f}x", ">= 1.0x", ratio >= 1.0)
    same = results["headers_identical"]
    check("/agreement/ headers, early answer vs whole stack", "identical" if same else "differ",
          "identical", same)  # fmt: skip
    ratio = pages_["reference_view"]["rps"] / bare["rps"]
    check("same-stack trivial view vs bare view (the stack's own cost)", f"{ratio:.2f}x",
          "(reference)", True)  # fmt: skip


def targets(results):
    pages_, checks = results["pages"], []

    def check(name, value, goal, met):
        checks.append({"target": name, "measured": value, "goal": goal, "met": bool(met)})

    if pages_:
        page_targets(results, check)
    for label, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        run = results["submissions"].get(label)
        if not run:
            continue
        c8 = run["by_concurrency"][8]
        same = c8["contact"]["rps"] / c8["same_rows"]["rps"]
        check(f"{name} submissions c=8 vs the same rows written plainly", f"{same:.2f}x",
              ">= 0.6x", same >= 0.6)  # fmt: skip
        p99 = c8["contact"]["p99_ms"] / c8["same_rows"]["p99_ms"]
        check(f"{name} submissions c=8 p99 vs the same rows", f"{p99:.2f}x", "<= 2x", p99 <= 2)
        one = c8["contact"]["rps"] / c8["insert"]["rps"]
        check(f"{name} submissions c=8 vs one-row insert", f"{one:.2f}x", "(beside)", True)
        check_run(name, run, check)
    evidence = results["evidence"]
    if len(evidence) > 1:
        for kind in ("verify", "export"):
            per_event = [e[f"{kind}_us_per_event"] for e in evidence.values()]
            growth = max(per_event) / min(per_event)
            check(f"{kind} time per event, {min(SCALES):,} to {max(SCALES):,}",
                  f"{growth:.2f}x", "<= 1.5x", growth <= 1.5)  # fmt: skip
            peak = evidence[str(max(SCALES))][kind]["peak_mb"]
            check(f"{kind} peak memory at {max(SCALES):,}", f"{peak:.0f} MB", "< 150 MB",
                  peak < 150)  # fmt: skip
    if "transfer" in results:
        transfer = results["transfer"]
        size = (transfer["html_gzip_bytes"] + transfer["css_br_bytes"]) / 1024
        check("/agreement/ HTML + CSS compressed", f"{size:.1f} KB", "< 30 KB", size < 30)
        rss = results["worker_rss_mb"]
        check("gunicorn worker RSS after load", f"{rss:.0f} MB", "< 80 MB", rss < 80)
    return checks


def check_run(label, run, check):
    fivexx = sum(
        count for c in run["by_concurrency"].values() for name in ("contact",)
        for status, count in c[name]["statuses"].items() if status.startswith("5")
    )  # fmt: skip
    errors = sum(c["contact"]["statuses"].get("error", 0) for c in run["by_concurrency"].values())
    ok = (
        run["lost"] == 0 and fivexx == 0 and errors == 0 and run["verify_evidence"].startswith("OK")
    )
    check(f"{label} submissions: lost / 5xx / chain",
          f"{run['lost']} lost, {fivexx} 5xx, {run['verify_evidence'][:40]}",
          "0 lost, 0 5xx, chain OK", ok)  # fmt: skip


def markdown(results):
    lines = [f"Run {results['machine']['date']} on {results['machine']['cores']} cores "
             f"({results['machine']['cpu']}); Python {results['machine']['python']}, "
             f"Django {results['machine']['django']}, gunicorn {results['machine']['gunicorn']}, "
             f"SQLite {results['machine']['sqlite']}, {results['machine']['postgresql']}, "
             f"{results['machine']['wrk']}. Medians of {ROUNDS} alternating rounds; wrk "
             f"{CONNECTIONS} connections, {SECONDS} s per run.", "",
             "| Target | Measured | Goal | Met |", "| --- | --- | --- | --- |"]  # fmt: skip
    for item in results["targets"]:
        met = "yes" if item["met"] else "**no**"
        lines.append(f"| {item['target']} | {item['measured']} | {item['goal']} | {met} |")
    lines += ["", "| GET | req/s | p50 ms | p99 ms |", "| --- | --- | --- | --- |"]
    for name, page in results["pages"].items():
        lines.append(
            f"| {name} | {page['rps']:.0f} | {page['p50_ms']:.2f} | {page['p99_ms']:.2f} |"
        )
    lines += ["", "| Submissions | concurrency | contact req/s | same rows req/s | ratio | "
              "contact p99 ms | same rows p99 ms | one-row insert req/s | ratio |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for label, run in results["submissions"].items():
        for concurrency, c in run["by_concurrency"].items():
            contact, insert, same = (c[k]["rps"] for k in ("contact", "insert", "same_rows"))
            lines.append(f"| {label} | {concurrency} | {contact:.0f} | {same:.0f} | "
                         f"{contact / same:.2f}x | {c['contact']['p99_ms']:.1f} | "
                         f"{c['same_rows']['p99_ms']:.1f} | {insert:.0f} | "
                         f"{contact / insert:.2f}x |")  # fmt: skip
    lines += ["", "Times are the command's own, measured inside its process after Django's "
              "start-up (bench/timed.py); peak memory is the whole process's.",
              "", "| Events | seed s | verify s | verify µs/event | verify peak MB | "
              "export s | export µs/event | export peak MB |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for scale, e in results["evidence"].items():
        lines.append(
            f"| {int(scale):,} | {e['seed_seconds']:.1f} | {e['verify']['seconds']:.1f} | "
            f"{e['verify_us_per_event']:.1f} | {e['verify']['peak_mb']:.0f} | "
            f"{e['export']['seconds']:.1f} | {e['export_us_per_event']:.1f} | "
            f"{e['export']['peak_mb']:.0f} |"
        )
    lines += ["", "| Events | make_checkpoint s (tree extended from the size before) | "
              "its peak MB | one proof ms (inclusion or consistency) | proofs peak MB |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for scale, e in results["evidence"].items():
        lines.append(f"| {int(scale):,} | {e['checkpoint']['seconds']:.1f} | "
                     f"{e['checkpoint']['peak_mb']:.0f} | {e['proof_ms']:.2f} | "
                     f"{e['proofs']['peak_mb']:.0f} |")  # fmt: skip
    following = results.get("next_checkpoint")
    if following:
        lines += ["", f"The next checkpoint, 1,000 events later: {following['seconds']:.2f} s, "
                  f"{following['peak_mb']:.0f} MB."]  # fmt: skip
    t = results.get("transfer")
    if t:
        lines += ["", f"/agreement/: {t['html_bytes']:,} B of HTML, {t['html_gzip_bytes']:,} B "
                  f"gzipped; stylesheets {t['css_br_bytes']:,} B as brotli. Worker RSS after "
                  f"load: {results['worker_rss_mb']:.0f} MB (largest worker)."]  # fmt: skip
    return "\n".join(lines)


def postgres_database():
    """A fresh PostgreSQL database for the bench, or None when no server answers."""
    try:
        import psycopg

        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except Exception as error:  # noqa: BLE001 (any failure means: no PostgreSQL here)
        log(f"PostgreSQL not measured ({error}); set BENCH_POSTGRES_URL")
        return None, None
    name = f"kommogen_bench_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = urllib.parse.urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    return url, lambda: admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def stop_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")  # runs the finally blocks: no stray gunicorn


def main():
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    if "pages" in PARTS and not shutil.which("wrk"):
        sys.exit("wrk is not installed: sudo apt-get install wrk (Debian/Ubuntu), then make bench")
    started = time.perf_counter()
    results = {"machine": machine(), "pages": {}, "submissions": {}, "evidence": {}}
    with tempfile.TemporaryDirectory(prefix="kommogen-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "agreement.html").write_bytes(b"")
        site = Site(workdir, f"sqlite:///{workdir / 'site.sqlite3'}")
        site.prepare()
        site.start()
        html = urllib.request.urlopen(site.url + "/agreement/").read()
        (workdir / "agreement.html").write_bytes(html)
        (workdir / "static" / "bench").mkdir(parents=True, exist_ok=True)
        (workdir / "static" / "bench" / "agreement.html").write_bytes(html)
        site.restart()  # the references now serve the same bytes
        bare = BareReference(workdir).start() if "pages" in PARTS else None
        without_early = WithoutEarlyAnswer(site).start() if "pages" in PARTS else None
        try:
            if bare:
                log("pages: /agreement/, its references and the 304 path")
                pages(site, bare, without_early, results)
                bare.stop()
                without_early.stop()
            if "submissions" in PARTS:
                log("submissions on SQLite")
                submissions(site, "sqlite", [1, 8, 32], results)
        finally:
            if bare:
                bare.stop()
                without_early.stop()
            site.stop()
        url, drop = postgres_database() if "submissions" in PARTS else (None, None)
        if url:
            pg_dir = workdir / "pg"
            pg_dir.mkdir()
            (pg_dir / "agreement.html").write_bytes(html)
            pg_site = Site(pg_dir, url)
            try:
                pg_site.prepare()
                pg_site.start()
                log("submissions on PostgreSQL")
                submissions(pg_site, "postgresql", [8, 32], results)
            finally:
                pg_site.stop()
                drop()
        if "evidence" in PARTS:
            log("evidence at scale")
            (workdir / "evidence").mkdir()
            evidence_at_scale(workdir / "evidence", results)
    results["targets"] = targets(results)
    results["minutes"] = (time.perf_counter() - started) / 60
    everything = PARTS >= {"pages", "submissions", "evidence"}
    name = "results.json" if everything else f"results-{'-'.join(sorted(PARTS))}.json"
    (BASE / "bench" / name).write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"\nFinished in {results['minutes']:.1f} minutes; details in bench/results.json.")


if __name__ == "__main__":
    main()
