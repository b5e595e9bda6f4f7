"""Load the central server on loopback with many signed terminals and print the figures.

    python bench/central_load.py --database-url URL --terminals N --seconds S
        [--workers W (two per core)] [--heartbeat-s 30] [--events-per-s 1000] [--batch 50]
        [--snapshot-bytes 0] [--clients 16]

It starts ``kiosk-central`` (``--workers W`` processes) on a free loopback port with a
fresh data folder, creates a centre with persons, provisions N terminals through the real
enrolment API (each makes its own Ed25519 key), then runs an open-loop schedule for S
seconds: every terminal heartbeats once per ``--heartbeat-s`` (spread evenly), and
check-in events arrive at ``--events-per-s`` in batches of ``--batch``, each batch from
one terminal. Every request is signed (RFC 9421) exactly as the kiosk signs.

Latency is measured from the moment a request was due, not when a client thread got to
send it, so a server that falls behind is not hidden (no coordinated omission). The
client runs on the same machine and takes CPU from the server: figures are a floor.

The last line printed is one JSON object: ``requests_per_s``, ``events_per_s``,
``p50_ms``, ``p99_ms``, ``errors`` and the details per request kind.
"""
from __future__ import annotations

import argparse
import heapq
import json
import os
import queue
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server_api import signing  # noqa: E402
from server_api.client import TerminalSignatureAuth  # noqa: E402
from server_api.names import id_check_char  # noqa: E402

API = "/api/v1"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (the server's worker processes)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy so far (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def default_workers() -> int:
    """Two server processes per core: a worker busy with a check-in batch holds its
    interpreter, and a second one per core keeps heartbeats from queuing behind it."""
    return max(2, min(64, 2 * len(os.sched_getaffinity(0))))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(database_url: str, terminals: int, persons: int) -> tuple[list[str], list[int]]:
    """A centre with ``persons`` persons and ``terminals`` one-time enrolment tokens."""
    from server_api.server.db import Database
    from server_api.server.migrate import upgrade_to_head
    from server_api.server.models import Centre, Person
    from server_api.server.terminal_auth import issue_enrol_token

    db = Database(database_url)
    now = datetime.now(timezone.utc)
    try:
        upgrade_to_head(db.engine)
        with db.session() as session:
            centre = Centre(name=f"压测中心-{secrets.token_hex(3)}", created_at=now)
            session.add(centre)
            session.flush()
            region = f"{random.randint(110000, 659999)}"
            people = []
            for i in range(persons):
                first17 = f"{region}1980{1 + i // 28 % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
                people.append(Person(centre_id=centre.id, name=f"测试{i}",
                                     id_number=first17 + id_check_char(first17),
                                     case_type="缓刑", reporting_obligation="", created_at=now))
            session.add_all(people)
            session.flush()
            tokens = [issue_enrol_token(session, centre.id, now, timedelta(hours=1))[0]
                      for _ in range(terminals)]
            person_ids = [p.id for p in people]
    finally:
        db.dispose()
    return tokens, person_ids


def start_server(database_url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, KIOSK_CENTRAL_ADMIN_PASSWORD=secrets.token_urlsafe(12),
               PYTHONPATH=str(ROOT))
    log = open(data_dir / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server_api.cli", "--database-url", database_url,
         "--data-dir", str(data_dir), "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see {data_dir / 'server.log'}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not answer /healthz within 60 s")


def enrol_all(base: str, tokens: list[str]) -> list[TerminalSignatureAuth]:
    """Provision every terminal through the API; returns each one's request signer."""
    def enrol(i_token):
        i, token = i_token
        key = signing.generate_private_key()
        r = requests.post(base + API + "/terminals/enrol", timeout=30, json={
            "token": token, "name": f"压测终端{i}", "public_key": signing.public_key_pem(key)})
        r.raise_for_status()
        return TerminalSignatureAuth(r.json()["terminal_id"], key)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(enrol, enumerate(tokens)))


def heartbeat_body(outbox: int) -> dict:
    now = datetime.now(timezone.utc)
    return {"app_version": "0.1.0", "content_version": "c-3f2a9b", "config_version": 1,
            "devices": {"camera": {"state": "ok"}, "microphone": {"state": "ok"},
                        "speaker": {"state": "ok"}, "card_reader": {"state": "unavailable",
                                                                   "detail": "no reader"}},
            "free_disk_bytes": 52_000_000_000, "outbox_depth": outbox,
            "last_sync_at": now.isoformat(), "terminal_time": now.isoformat(),
            "locked": False, "in_use": False}


def event_batch(person_ids: list[int], size: int, snapshot_b64: str | None) -> dict:
    now = datetime.now(timezone.utc).isoformat()
    return {"events": [{"idempotency_key": uuid.uuid4().hex, "kind": "checkin",
                        "person_id": random.choice(person_ids), "occurred_at": now,
                        "payload": {"match_score": 0.93, "snapshot_jpeg_b64": snapshot_b64}}
                       for _ in range(size)]}


def schedule(terminals: int, seconds: float, heartbeat_s: float, events_per_s: float,
             batch: int) -> list[tuple[float, str, int]]:
    """(due time from start, kind, terminal index), sorted by time."""
    plan = []
    for i in range(terminals):
        t = heartbeat_s * i / terminals
        while t < seconds:
            plan.append((t, "heartbeat", i))
            t += heartbeat_s
    if events_per_s > 0:
        step = batch / events_per_s
        t, n = 0.0, 0
        while t < seconds:
            plan.append((t, "events", n % terminals))
            t += step
            n += 1
    heapq.heapify(plan)
    return [heapq.heappop(plan) for _ in range(len(plan))]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run_load(base: str, signers: list[TerminalSignatureAuth], person_ids: list[int],
             args: argparse.Namespace) -> dict:
    plan = schedule(len(signers), args.seconds, args.heartbeat_s, args.events_per_s, args.batch)
    snapshot = None
    if args.snapshot_bytes:
        import base64
        snapshot = base64.b64encode(b"\xff\xd8\xff\xe0" + os.urandom(args.snapshot_bytes - 4)).decode()
    work: queue.Queue = queue.Queue()
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    service: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    stored = [0]
    start = time.monotonic() + 0.5

    def client() -> None:
        http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1)
        http.mount("http://", adapter)
        while True:
            item = work.get()
            if item is None:
                return
            due, kind, i = item
            if kind == "heartbeat":
                path, body = "/terminal/heartbeat", heartbeat_body(random.randint(0, 3))
            else:
                path, body = "/terminal/events", event_batch(person_ids, args.batch, snapshot)
            sent = time.monotonic()
            try:
                r = http.post(base + API + path, json=body, auth=signers[i], timeout=30)
                ok = r.status_code == 200
                n_stored = 0
                if ok and kind == "events":
                    results = r.json()["results"]
                    n_stored = sum(1 for x in results if x["status"] == "stored")
                    ok = n_stored == len(results)
                failure = None if ok else f"{kind}:{r.status_code}:{r.text[:120]}"
            except requests.RequestException as exc:
                failure, n_stored = f"{kind}:{type(exc).__name__}", 0
            done = time.monotonic()
            with lock:
                latencies[kind].append((done - (start + due)) * 1000)
                service[kind].append((done - sent) * 1000)
                stored[0] += n_stored
                if failure:
                    errors[failure.split(":", 2)[0] + ":" + failure.split(":", 2)[1]] += 1
                    if sum(errors.values()) <= 5:
                        print("error:", failure, file=sys.stderr)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for due, kind, i in plan:
        delay = start + due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        work.put((due, kind, i))
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    everything = [v for values in latencies.values() for v in values]
    figures = {
        "database": args.database_url.split(":", 1)[0].split("+", 1)[0],
        "workers": args.workers, "terminals": len(signers), "seconds": round(elapsed, 1),
        "heartbeat_s": args.heartbeat_s, "batch": args.batch,
        "snapshot_bytes": args.snapshot_bytes,
        "requests": len(everything),
        "requests_per_s": round(len(everything) / elapsed, 1),
        "events_per_s": round(stored[0] / elapsed, 1),
        "p50_ms": round(percentile(everything, 50), 1),
        "p99_ms": round(percentile(everything, 99), 1),
        "errors": sum(errors.values()),
    }
    for kind in sorted(latencies):
        figures[f"{kind}_p50_ms"] = round(percentile(latencies[kind], 50), 1)
        figures[f"{kind}_p99_ms"] = round(percentile(latencies[kind], 99), 1)
        figures[f"{kind}_service_p99_ms"] = round(percentile(service[kind], 99), 1)
    if errors:
        figures["error_kinds"] = dict(errors)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test or "
                             "sqlite:////tmp/load.db")
    parser.add_argument("--terminals", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="server processes (default: two per core, as docs/PERFORMANCE.md "
                             "recommends)")
    parser.add_argument("--heartbeat-s", type=float, default=30)
    parser.add_argument("--events-per-s", type=float, default=1000)
    parser.add_argument("--batch", type=int, default=50,
                        help="events per request (<= 200; the kiosk sends at most 50)")
    parser.add_argument("--snapshot-bytes", type=int, default=0,
                        help="size of a JPEG-like snapshot sent with each check-in (0: none)")
    parser.add_argument("--persons", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16, help="client threads")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="central-load-") as tmp:
        data_dir = Path(tmp)
        t0 = time.monotonic()
        tokens, person_ids = seed(args.database_url, args.terminals, args.persons)
        port = free_port()
        server = start_server(args.database_url, data_dir, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            signers = enrol_all(base, tokens)
            print(f"provisioned {len(signers)} terminals in {time.monotonic() - t0:.1f} s; "
                  f"loading for {args.seconds:.0f} s", file=sys.stderr, flush=True)
            server_pids = process_tree(server.pid)
            cpu_before = (cpu_seconds(server_pids), machine_busy_seconds(),
                          time.process_time())
            figures = run_load(base, signers, person_ids, args)
            cpu_after = (cpu_seconds(server_pids), machine_busy_seconds(),
                         time.process_time())
            server_cpu, machine_cpu, client_cpu = (
                (after - before) / figures["seconds"] for before, after in zip(cpu_before, cpu_after))
            # Cores busy on average: the server's processes, this load generator, and the
            # rest of the machine (the database, the kernel, anything else running).
            figures["cpu_server"] = round(server_cpu, 2)
            figures["cpu_client"] = round(client_cpu, 2)
            figures["cpu_other"] = round(machine_cpu - server_cpu - client_cpu, 2)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    print(json.dumps(figures, ensure_ascii=False))
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
