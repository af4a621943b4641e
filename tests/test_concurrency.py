"""Concurrent submissions through several gunicorn workers: no fork, no gap, nothing lost."""

from concurrent.futures import ThreadPoolExecutor

SUBMITTERS = 24


def test_concurrent_submissions_through_several_workers_keep_one_chain(live_site):
    with ThreadPoolExecutor(SUBMITTERS) as pool:
        responses = list(pool.map(live_site.submit, range(SUBMITTERS)))
    assert [r.status for r in responses] == [302] * SUBMITTERS
    result = live_site.manage("verify_evidence")
    assert result.returncode == 0, result.stderr
    assert f"OK: {SUBMITTERS * 3} events" in result.stdout


def test_the_rate_limit_counts_exactly_across_workers(live_site_factory, server_database):
    site = live_site_factory(server_database, KOMMOGEN_RATE_LIMIT="5/600")
    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(r.status for r in pool.map(site.submit, range(20)))
    assert statuses == [302] * 5 + [429] * 15
