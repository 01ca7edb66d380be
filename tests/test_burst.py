"""200 calls at once over HTTP against `helpline serve`: every webhook answers, the log keeps every call once.

Twilio's side is the simulator (tests/burst.py): status callbacks before the first webhook, retried and out
of order. Run with -s to see the answer times (they are also in any failure's message).
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import make_url

from tests.burst import (
    TWILIO_TIMEOUT_S,
    error_lines,
    expected_counts,
    journey_problems,
    report,
    row_problems,
    run_burst,
    settled_counts,
)
from tests.live_server import helpline, live_server, server_env

CALLS = 200


def test_two_hundred_calls_at_once(database_url: str, tmp_path: Path) -> None:
    """200 simultaneous calls: no HTTP error, every caller ends well, exactly the rows their requests make."""
    started = time.perf_counter()
    env = server_env(
        tmp_path,
        database_url,
        HELPLINE_JOURNAL_DIR=str(tmp_path / "journal"),
        HELPLINE_JOURNAL_REPLAY_S="0.5",
    )
    helpline("db", "upgrade", env=env)
    # The real clock decides whether the line is open: open it, so that every call gets the menu.
    helpline("line", "open", env=env)
    with live_server(env, workers=None, log_path=tmp_path / "server.log") as server:
        burst = run_burst(server.url, CALLS)
        expected = expected_counts(burst.calls)
        counts = settled_counts(database_url, server.url, expected)
        errors = error_lines(server.log())
        figures = "\n".join(
            [
                report(burst, f"burst on {make_url(database_url).get_backend_name()}"),
                f"rows: {counts}, expected {expected}",
                f"server log: {len(errors)} error lines",
                *errors[:5],
                f"test wall time (server start, burst, rows settled): {time.perf_counter() - started:.1f} s",
            ]
        )
        print(f"\n{figures}")

        assert journey_problems(burst.calls) == [], figures
        assert [a for a in burst.answers if a.status not in (200, 204)] == [], figures
        assert max(a.seconds for a in burst.answers) < TWILIO_TIMEOUT_S, figures
        assert counts == expected, figures
        assert row_problems(database_url, burst.calls) == [], figures
