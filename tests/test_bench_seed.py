"""The benchmark's seeder writes a chain the site itself verifies (bench/seed.py)."""

import pytest

from agreements.evidence.verification import verify_chain
from bench import seed


def test_the_seeder_refuses_a_database_with_real_submissions(documents, send_request):
    assert send_request().status_code == 302  # a real submission first: 3 events
    with pytest.raises(SystemExit, match="real submissions"):
        seed.main(10)


def test_seeded_events_continue_a_chain_that_verifies(documents, capsys):
    seed.main(250)
    seed.main(50)
    result = verify_chain()
    assert result.ok and result.count == 300
    assert capsys.readouterr().out.split() == ["250", "300"]
