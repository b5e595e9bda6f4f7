"""Heartbeat cost on the central server: `python bench/heartbeat_bench.py [--count N]`.

Starts the real server (uvicorn on loopback) on a fresh SQLite file and, when reachable,
a fresh PostgreSQL database; enrols a few terminals, gives one of them an open command
and its centre some configuration, then sends N signed heartbeats in turn. Each request
is signed before the clock starts, so a figure is the server's time (signature check,
nonce, health upsert, open commands, configuration, answer) plus the loopback. Prints
p50/p95 in ms and the machine's load average (the machine is shared). Not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.server.central_helpers import API, provisioned_terminal  # noqa: E402
from tests.server.fleet_helpers import report  # noqa: E402
from tests.staff_console import (  # noqa: E402
    StaffConsole, postgres_available, postgres_database, start_server,
)

TERMINALS = 5


def timed(terminals, base_url: str, method: str, path: str, count: int, body=None) -> list[float]:
    """ms per request (signed before timing), after 20 warm-up requests."""
    times = []
    for i in range(count + 20):
        terminal = terminals[i % len(terminals)]
        prepared = terminal.http.prepare_request(requests.Request(
            method, base_url + API + path, json=body() if body else None))
        started = time.perf_counter()
        response = terminal.http.send(prepared, timeout=10)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        if i >= 20:
            times.append(elapsed * 1000)
    return times


def run(database_url: str, data_dir: Path, count: int) -> dict[str, list[float]]:
    base_url, password, stop = start_server(database_url, data_dir)
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        centre = admin.create_centre("压测司法所")
        terminals = [provisioned_terminal(base_url, admin.create_token(centre), f"终端{i}")
                     for i in range(TERMINALS)]
        admin.post(f"/console/fleet/centres/{centre}/config", {"idle_timeout_s": "120"})
        first = next(r for r in admin.terminals() if r["terminal-id"] == terminals[0].terminal_id)
        admin.post(f"/console/terminals/{first['id']}/commands", {"kind": "sync_now"})
        # Baseline: a signed request whose handler does almost nothing (empty roster).
        return {"roster (baseline)": timed(terminals, base_url, "GET", "/terminal/roster", count),
                "heartbeat": timed(terminals, base_url, "POST", "/terminal/heartbeat", count,
                                   report)}
    finally:
        stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", f"sqlite:///{Path(tmp) / 'central.db'}")]
        for name, url in targets:
            show(name, run(url, Path(tmp) / "data-sqlite", args.count))
    if postgres_available():
        with tempfile.TemporaryDirectory() as tmp, postgres_database("kiosk_bench") as url:
            show("postgresql", run(url, Path(tmp) / "data-pg", args.count))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def show(name: str, results: dict[str, list[float]]) -> None:
    for what, times in results.items():
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{name} {what}: {len(times)} requests, p50 {statistics.median(times):.1f} ms, "
              f"p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
