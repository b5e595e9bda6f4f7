"""Test helpers for the central server: run it for real, and drive its staff console.

    from tests.staff_console import StaffConsole, start_server, make_id_number

    base_url, admin_password, stop = start_server("sqlite:///" + str(tmp_path / "c.db"), tmp_path)
    try:
        console = StaffConsole(base_url)
        console.login("admin", admin_password)
        centre_id = console.create_centre("城关司法所")
        person_id = console.create_person(centre_id, "张三", make_id_number(1), "缓刑", "每周一报到")
        token = console.create_token(centre_id)      # POST it to /api/v1/terminals/enrol
        ...
    finally:
        stop()

``StaffConsole`` posts the same HTML forms a person would (with the page's CSRF token)
and reads ids from the redirect (``?created=<id>``) or from ``data-*`` attributes.
``postgres_database()`` gives a fresh, throw-away PostgreSQL database for a test.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

PG_SERVER = os.environ.get("KIOSK_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_UNREACHABLE = "PostgreSQL not reachable at 127.0.0.1:5432"


class ConsoleError(Exception):
    """A console form refused the input; ``message`` is the text shown to staff."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class _Page(HTMLParser):
    """Collects the bits of a console page the helper needs."""

    def __init__(self) -> None:
        super().__init__()
        self.csrf = ""
        self.token = ""
        self.errors: list[str] = []
        self.rows: list[dict[str, str]] = []  # attributes of <tr data-*> rows
        self._in_error = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("name") == "csrf-token":
            self.csrf = a.get("content", "")
        if "data-token" in a:
            self.token = a["data-token"]
        if tag == "tr" and any(k.startswith("data-") for k in a):
            self.rows.append({k[5:]: v for k, v in a.items() if k.startswith("data-")})
        if "data-error" in a:
            self._in_error = 1
            self.errors.append("")
        elif self._in_error:
            self._in_error += 1

    def handle_endtag(self, tag: str) -> None:
        if self._in_error:
            self._in_error -= 1

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.errors[-1] += data


def parse_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


class StaffConsole:
    """A staff member using the console through its HTML forms (``requests.Session``)."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.timeout = timeout
        self._csrf = ""

    # -- plumbing ---------------------------------------------------------------------
    def get(self, path: str) -> requests.Response:
        """GET a console page; raises ConsoleError on an error page."""
        response = self.session.get(self.base_url + path, timeout=self.timeout)
        return self._checked(response)

    def post(self, path: str, data: dict | None = None, files: dict | None = None) -> requests.Response:
        """POST a console form with the CSRF token; raises ConsoleError if refused."""
        if not self._csrf:
            self.get("/console/login")
        fields = dict(data or {}, csrf_token=self._csrf)
        response = self.session.post(self.base_url + path, data=fields, files=files,
                                     timeout=self.timeout)
        return self._checked(response)

    def _checked(self, response: requests.Response) -> requests.Response:
        page = parse_page(response.text) if "html" in response.headers.get("content-type", "") else None
        if page is not None and page.csrf:
            self._csrf = page.csrf
        if response.status_code >= 400:
            message = " ".join(e.strip() for e in page.errors) if page else response.text
            raise ConsoleError(response.status_code, message or response.reason)
        return response

    @staticmethod
    def _created(response: requests.Response) -> int:
        values = parse_qs(urlsplit(response.url).query).get("created")
        if not values:
            raise ConsoleError(response.status_code, "no id in the answer: " + response.url)
        return int(values[0])

    def rows(self, path: str) -> list[dict[str, str]]:
        """The ``data-*`` attributes of the table rows of a page."""
        return parse_page(self.get(path).text).rows

    # -- staff actions ----------------------------------------------------------------
    def login(self, username: str, password: str) -> None:
        self.get("/console/login")
        response = self.post("/console/login", {"username": username, "password": password,
                                                "next": "/console/"})
        if urlsplit(response.url).path.rstrip("/") != "/console":
            raise ConsoleError(response.status_code, "sign-in did not reach the dashboard")

    def logout(self) -> None:
        self.post("/console/logout")

    def create_centre(self, name: str) -> int:
        return self._created(self.post("/console/centres", {"name": name}))

    def create_staff(self, username: str, password: str, role: str = "staff",
                     centre_id: int | None = None) -> int:
        return self._created(self.post("/console/staff", {
            "username": username, "password": password, "role": role,
            "centre_id": "" if centre_id is None else str(centre_id)}))

    def create_person(self, centre_id: int, name: str, id_number: str, case_type: str,
                      obligation: str = "") -> int:
        """Register a person; ``case_type`` is 管制, 缓刑, 假释 or 暂予监外执行 (or a CaseType)."""
        return self._created(self.post("/console/persons", {
            "centre_id": str(centre_id), "name": name, "id_number": id_number,
            "case_type": getattr(case_type, "value", case_type),
            "reporting_obligation": obligation}))

    def create_token(self, centre_id: int) -> str:
        """A one-time terminal enrolment token for the centre."""
        response = self.post("/console/terminals/token", {"centre_id": str(centre_id)})
        token = parse_page(response.text).token
        if not token:
            raise ConsoleError(response.status_code, "no token on the page")
        return token

    def terminals(self) -> list[dict[str, str]]:
        return self.rows("/console/terminals")

    def revoke_terminal(self, terminal_id: str) -> None:
        """Revoke by the terminal_id the API returned at enrolment."""
        for row in self.terminals():
            if row.get("terminal-id") == terminal_id:
                self.post(f"/console/terminals/{row['id']}/revoke")
                return
        raise ConsoleError(404, f"terminal {terminal_id} not listed")

    def persons(self) -> list[dict[str, str]]:
        return self.rows("/console/persons")

    def pending_leaves(self) -> list[str]:
        """Keys of the leave requests waiting for a decision."""
        return [r["key"] for r in self.rows("/console/leaves") if r.get("status") == "pending"]

    def decide_leave(self, leave_key: str, approve: bool, note: str = "") -> None:
        self.post("/console/leaves/decide", {"leave_key": leave_key, "note": note,
                                             "decision": "approve" if approve else "reject"})

    def upload_lesson(self, title: str, path: str | Path) -> int:
        path = Path(path)
        with open(path, "rb") as fh:
            response = self.post("/console/lessons", {"title": title},
                                 files={"file": (path.name, fh, "application/octet-stream")})
        return self._created(response)

    def assign_lesson(self, lesson_id: int, person_id: int) -> None:
        self.post(f"/console/lessons/{lesson_id}/assign", {"person_id": str(person_id)})

    def open_staff_calls(self) -> list[dict]:
        """Unresolved calls for staff on the dashboard, newest first: ``id``, ``terminal``
        (its name), ``screen``, ``person`` (the masked name as shown, e.g. 张*, or None
        when nobody was identified at the terminal)."""
        return [{"id": int(r["call-id"]), "terminal": r["terminal"], "screen": r["screen"],
                 "person": r["person"] or None}
                for r in self.rows("/console/") if "call-id" in r]

    def resolve_staff_call(self, call_id: int) -> None:
        """Press "已处理" on a call (ConsoleError 404 for a call outside this staff's scope)."""
        self.post(f"/console/staff-calls/{call_id}/resolve")

    def verifications(self) -> list[dict]:
        """Failed identity checks visible to this staff member, open ones first (newest
        first), then recently reviewed ones: ``id``, ``person_id`` (None when nobody was
        proposed), ``reason`` (the code, e.g. "face_mismatch"), ``status`` ("open",
        "confirmed_genuine" or "dismissed"), ``attempt``, ``stage`` ("" when not given),
        ``can_add_reference`` (its face sample may join the person's references),
        ``spoof_suspect`` (liveness or lip-sync failed) and ``reference`` (a sample was
        added from it)."""
        return [{"id": int(r["failure-id"]),
                 "person_id": int(r["person-id"]) if r["person-id"] else None,
                 "reason": r["reason"], "status": r["status"], "attempt": int(r["attempt"]),
                 "stage": r.get("stage", ""),
                 "can_add_reference": r.get("can-add-reference") == "yes",
                 "spoof_suspect": r.get("spoof-suspect") == "yes",
                 "reference": r.get("reference") == "yes"}
                for r in self.rows("/console/verifications") if "failure-id" in r]

    def review_verification(self, failure_id: int, genuine: bool, note: str = "",
                            add_reference: bool = False) -> None:
        """Press "确认为本人" (``genuine``, with "加入此人的人脸参考" ticked when
        ``add_reference``) or "驳回" on a failed check. ConsoleError: 404 outside this
        staff's scope, 409 when it was already reviewed, 400 when refused (no person to
        confirm; a sample that may not join the references, e.g. a liveness failure;
        a spoof suspect confirmed without a note)."""
        data = {"decision": "genuine" if genuine else "dismiss", "note": note}
        if add_reference:
            data["add_reference"] = "yes"
        self.post(f"/console/verifications/{failure_id}/review", data)

    def remove_person(self, person_id: int, reason: str = "解除矫正") -> None:
        """Remove a person and delete their biometric data (ConsoleError 404 outside this
        staff's scope, 409 when already removed)."""
        self.post(f"/console/persons/{person_id}/remove", {"reason": reason, "confirm": "yes"})

    def checkins(self) -> list[dict]:
        """Check-ins visible to this staff member, newest first (the first page: 50)."""
        return [{"id": int(r["id"]), "person_id": int(r["person-id"]), "person": r["person"],
                 "time": r["time"], "terminal": r["terminal"], "terminal_id": r["terminal-id"],
                 "score": float(r["score"]), "snapshot": r["snapshot"] == "yes"}
                for r in self.rows("/console/checkins")]


def make_id_number(serial: int = 1, birth: str = "19800101", region: str = "110101") -> str:
    """A valid 18-character resident ID number (correct check character) for tests."""
    from server_api.names import id_check_char

    first17 = f"{region}{birth}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def _free_socket() -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP; without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def start_server(database_url: str, data_dir: str | Path, admin_password: str | None = None,
                 clock: Callable[[], datetime] | None = None,
                 ) -> tuple[str, str, Callable[[], None]]:
    """Run the real app with uvicorn on a free loopback port in a background thread.

    Returns ``(base_url, admin_password, stop)``. The database should be fresh: the
    ``admin`` account is created with ``admin_password`` (random when not given) only if
    no staff account exists yet. ``clock`` (returning aware UTC datetimes) replaces the
    server's clock, e.g. to expire enrolment tokens.
    """
    import uvicorn

    from server_api.server.app import create_app
    from server_api.server.settings import CentralSettings

    password = admin_password or secrets.token_urlsafe(12)
    settings = CentralSettings(admin_password=password)
    extra = {"clock": clock} if clock is not None else {}
    app = create_app(database_url, Path(data_dir), settings=settings, **extra)
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="central-server")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the central server did not start")
        time.sleep(0.02)
    host, port = sock.getsockname()[:2]

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()

    return f"http://{host}:{port}", password, stop


def _pg_admin_connect():
    import psycopg

    url = PG_SERVER.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True, connect_timeout=3)


def postgres_available() -> bool:
    try:
        with _pg_admin_connect():
            return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


@contextlib.contextmanager
def postgres_database(prefix: str = "kiosk_test") -> Iterator[str]:
    """A fresh PostgreSQL database for one test (dropped afterwards); yields its URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with _pg_admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_SERVER.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
