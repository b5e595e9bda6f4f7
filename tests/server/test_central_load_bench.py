"""The fleet load script runs end to end as the README types it and prints its figures.

A short run (a few terminals, a few seconds) on SQLite: the script starts the server,
provisions terminals through the enrolment API, sends signed heartbeats and batches, and
its last line is the JSON object with the figures. No timing is asserted here; the
figures themselves are in docs/PERFORMANCE.md.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_load_script_stores_every_event_and_prints_the_figures(tmp_path):
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "central_load.py"),
         "--database-url", f"sqlite:///{tmp_path / 'load.db'}",
         "--terminals", "20", "--seconds", "3", "--workers", "2",
         "--events-per-s", "100", "--batch", "10", "--heartbeat-s", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["errors"] == 0
    assert figures["terminals"] == 20 and figures["workers"] == 2
    # 3 s of one heartbeat a second from 20 terminals, and 10 batches a second.
    assert figures["requests"] >= 80
    assert figures["events_per_s"] > 50
    for key in ("requests_per_s", "p50_ms", "p99_ms", "heartbeat_p99_ms", "events_p99_ms"):
        assert figures[key] > 0, key
