"""Faults on a real server: a worker killed mid-request, SQLite busy, and static files."""

import http.client
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .live import fetch

KILLS = 3
SUBMITTERS = 12


def test_a_worker_killed_mid_request_loses_no_acknowledged_submission(live_site):
    killing = threading.Event()
    killing.set()

    def submitter(first):
        results, number = [], first
        while killing.is_set():
            try:
                results.append(live_site.submit(number))
            except (OSError, http.client.HTTPException):
                # The connection died with the worker, before or during the answer:
                # the visitor saw an error page, not a receipt.
                results.append(None)
            number += SUBMITTERS
        return results

    with ThreadPoolExecutor(SUBMITTERS) as pool:
        running = [pool.submit(submitter, n) for n in range(SUBMITTERS)]
        for _ in range(KILLS):  # one worker at a time; gunicorn's master starts a new one
            time.sleep(0.8)
            live_site.kill_a_worker()
        time.sleep(0.8)
        killing.clear()
        results = [r for future in running for r in future.result()]
    acknowledged = [r for r in results if r is not None and r.status == 302]
    assert len(acknowledged) > SUBMITTERS
    statuses = sorted({r.status for r in results if r is not None})
    assert statuses == [302], [(r.status, r.body[:300]) for r in results if r and r.status != 302]
    for response in acknowledged:  # every receipt a visitor was sent to exists
        assert fetch(live_site.url + response.headers["Location"]).status == 200
    result = live_site.manage("verify_evidence")
    assert result.returncode == 0, result.stdout + result.stderr
    events = int(re.search(r"OK: (\d+) events", result.stdout).group(1))
    assert events >= 3 * len(acknowledged) and events % 3 == 0  # no half-written submission


def test_sqlite_busy_past_its_timeout_answers_503_and_records_nothing(live_site_factory, tmp_path):
    database = tmp_path / "busy.sqlite3"
    site = live_site_factory(f"sqlite:///{database}", workers=1, KOMMOGEN_SQLITE_BUSY_TIMEOUT="1")
    other_writer = sqlite3.connect(database, isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock for longer than 1 s
    try:
        response = site.submit(1, name="Busy Person")
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
    assert response.status == 503
    assert response.headers["Retry-After"] == "5"
    assert "nothing was recorded" in response.text
    assert "OK: 0 events" in site.manage("verify_evidence").stdout
    assert site.submit(2).status == 302  # once the lock is gone, it works again
    assert "OK: 3 events" in site.manage("verify_evidence").stdout


def test_static_files_are_compressed_and_cached_for_ever(live_site):
    page = fetch(live_site.url + "/agreement/").text
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
    for encoding in ("br", "gzip"):
        response = fetch(live_site.url + stylesheet, headers={"Accept-Encoding": encoding})
        assert response.status == 200 and response.headers["Content-Encoding"] == encoding
        assert "max-age=315360000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]
