"""Property-based test of the API: requests generated from the served OpenAPI document
(schemathesis), and event batches generated from the contract's payload shapes
(hypothesis), sent to a real server (uvicorn on loopback, SQLite), without credentials
and signed as a real provisioned terminal.

Whatever the request, the server never answers 5xx, every error is the contract's JSON
error body, and every answer is one the document declares (status, media type, schema).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance,
    status_code_conformance,
)

from server_api import contract
from tests.server import central_helpers
from tests.server.central_helpers import jpeg_bytes, wav_bytes, write_video
from tests.staff_console import StaffConsole, make_id_number, start_server

# Generated cases per operation, per generation mode, per identity (anonymous, terminal);
# 32 since the fleet's two operations, to keep the run's length as it was with 40.
EXAMPLES = 32
# Generated event batches (hand-shaped payloads, random values), signed.
EVENT_BATCHES = 300
# Generated Range headers for the lesson content, signed.
RANGES = 60
# Keep the whole test well under two minutes on the project's 2-core machines.
TIME_BUDGET_S = 110
# The minimum the run must reach to count as "hundreds of generated requests".
MIN_REQUESTS = 500
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Staff pages listing what terminals sent, checked after the run.
CONSOLE_PAGES = ("/console/", "/console/dashboard/live", "/console/checkins", "/console/leaves",
                 "/console/lessons", "/console/persons", "/console/terminals",
                 "/console/verifications", "/console/verifications.csv")
# The headers of a terminal's signature, dropped from generated cases when signing.
SIGNATURE_HEADERS = ("signature", "signature-input", "content-digest", "authorization")
HYPOTHESIS = dict(deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate, Phase.shrink])


def provisioned_terminal(base_url: str, token: str) -> central_helpers.TerminalClient:
    """The one place this test gets a terminal's credentials: the shared helper enrols
    with ``token`` and signs each request (``.auth`` for requests, ``.http`` a session)."""
    return central_helpers.provisioned_terminal(base_url, token, name="性质测试终端")


@dataclass
class Seeded:
    base_url: str
    admin: StaffConsole
    terminal: central_helpers.TerminalClient
    person_a: int  # in the terminal's centre
    person_b: int  # in another centre
    lesson_id: int  # assigned to person_a
    leave_key: str  # person_a's approved leave
    command_id: int  # a command staff queued for the terminal


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("property")
    base_url, password, stop = start_server(f"sqlite:///{tmp / 'central.db'}", tmp / "data")
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        centre_a = admin.create_centre("城关司法所")
        centre_b = admin.create_centre("河西司法所")
        person_a = admin.create_person(centre_a, "张三", make_id_number(1), "缓刑", "每周报到")
        person_b = admin.create_person(centre_b, "李四", make_id_number(2), "假释")
        lesson_id = admin.upload_lesson("法治教育第一课", write_video(tmp / "lesson.mp4"))
        admin.assign_lesson(lesson_id, person_a)
        terminal = provisioned_terminal(base_url, admin.create_token(centre_a))
        leave_key = uuid.uuid4().hex
        answer = terminal.post_events(central_helpers.event(
            "leave_request", person_a, leave_key, destination="北京市", reason="探亲",
            start_date="2024-05-01", end_date="2024-05-03"))
        assert answer.status_code == 200, answer.text
        admin.decide_leave(leave_key, approve=True)
        yield Seeded(base_url, admin, terminal, person_a, person_b, lesson_id, leave_key,
                     queued_command(admin, terminal))
    finally:
        stop()


def queued_command(admin: StaffConsole, terminal: central_helpers.TerminalClient) -> int:
    """Queue an "upload_logs" command on the terminal's console page; its id."""
    row = next(r for r in admin.terminals() if r.get("terminal-id") == terminal.terminal_id)
    admin.post(f"/console/terminals/{row['id']}/commands", {"kind": "upload_logs"})
    return max(int(r["command-id"]) for r in admin.rows(f"/console/terminals/{row['id']}")
               if "command-id" in r)


@dataclass
class Tally:
    """What was sent and what came back."""

    requests: Counter = field(default_factory=Counter)  # by identity
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    operations: Counter = field(default_factory=Counter)

    def record(self, identity: str, label: str, status: int, code: str | None) -> None:
        self.requests[identity] += 1
        self.statuses[status] += 1
        self.operations[label] += 1
        if code:
            self.codes[code] += 1

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def checked_error_code(status: int, content_type: str, content: bytes,
                       where: str) -> str | None:
    """No 5xx; an error is the contract's JSON body. Returns the error's code."""
    text = content.decode("utf-8", "replace")
    assert status < 500, f"{where}: {status} {text[:500]}"
    if status < 400:
        return None
    assert content_type.startswith("application/json"), \
        f"{where}: a {status} that is not JSON: {text[:300]}"
    body = json.loads(text)
    assert contract.ErrorResponse.model_validate(body), where
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, where
    return body["error"]["code"]


def strip_signature(case) -> None:
    """Drop generated security headers: the session's auth signs the request instead."""
    if case.headers:
        for name in list(case.headers):
            if name.lower() in SIGNATURE_HEADERS:
                del case.headers[name]


def operation_strategies(schema, seeded: Seeded, mode):
    """For each documented operation, its generated cases; in positive mode, half of
    those with ids in the path name records that exist (so handlers run past "not
    found")."""
    known = {"person_id": st.sampled_from([seeded.person_a, seeded.person_b]),
             "lesson_id": st.just(seeded.lesson_id), "command_id": st.just(seeded.command_id)}
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        try:
            generic = operation.as_strategy(generation_mode=mode)
        except Exception as exc:  # noqa: BLE001 - the document itself cannot be used
            pytest.fail(f"{operation.label}: no {mode.value} strategy: {exc!r}")
        strategies = [generic]
        if names and names <= known.keys() and mode == schemathesis.GenerationMode.POSITIVE:
            strategies.append(st.fixed_dictionaries({n: known[n] for n in names}).flatmap(
                lambda fixed, op=operation: op.as_strategy(generation_mode=mode,
                                                          path_parameters=fixed)))
        yield operation, st.one_of(strategies)


def run_cases(strategy, examples: int, send) -> None:
    @settings(max_examples=examples, **HYPOTHESIS)
    @given(case=strategy)
    def explore(case):
        send(case)

    explore()


def has_input(operation) -> bool:
    return bool(list(operation.iter_parameters()) or operation.body)


@pytest.mark.slow
def test_no_generated_request_gets_a_5xx_and_every_answer_is_documented(seeded):
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(seeded.base_url + "/openapi.json")
    tally = Tally()
    anonymous = requests.Session()
    signed = requests.Session()
    signed.auth = seeded.terminal.auth

    for identity, session in (("anonymous", anonymous), ("terminal", signed)):
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            for operation, strategy in operation_strategies(schema, seeded, mode):
                if mode == schemathesis.GenerationMode.NEGATIVE and not has_input(operation):
                    continue  # nothing to make invalid

                def send(case, identity=identity, session=session, operation=operation):
                    if identity == "terminal":
                        strip_signature(case)
                    response = case.call(base_url=seeded.base_url, session=session, timeout=30)
                    where = f"{identity} {case.method} {case.formatted_path}"
                    content_type = (response.headers.get("content-type") or [""])[0]
                    code = checked_error_code(response.status_code, content_type,
                                              response.content, where)
                    tally.record(identity, operation.label, response.status_code, code)
                    try:
                        case.validate_response(response, checks=CHECKS)
                    except BaseExceptionGroup as failures:  # schemathesis' FailureGroup
                        raise AssertionError(str(failures)) from None  # hypothesis shrinks it

                run_cases(strategy, EXAMPLES, send)

    send_event_batches(seeded, signed, tally)
    send_range_requests(seeded, signed, tally)
    # What was stored is shown to staff: every console page still renders.
    for page in CONSOLE_PAGES:
        response = seeded.admin.session.get(seeded.base_url + page, timeout=30)
        assert response.status_code == 200, f"console {page}: {response.status_code}"
    elapsed = time.monotonic() - started
    print(f"\nproperty run: {tally.total} requests in {elapsed:.0f} s "
          f"({dict(tally.requests)}); statuses {dict(sorted(tally.statuses.items()))}; "
          f"per operation {dict(sorted(tally.operations.items()))}; "
          f"codes {dict(tally.codes.most_common())}")
    assert tally.total >= MIN_REQUESTS, tally
    assert tally.requests["anonymous"] >= 100 and tally.requests["terminal"] >= 200, tally
    assert not any(status >= 500 for status in tally.statuses)
    # The signed requests reached the handlers, not only the authentication.
    assert tally.statuses[200] >= 50, tally.statuses
    assert elapsed < TIME_BUDGET_S, f"the property test took {elapsed:.0f} s"


# --- event batches shaped like the contract's payloads, with random values --------------
# Each event is either plausible (the payload's documented shape and ranges, a person of
# the terminal's centre, a fresh key: it reaches the handler's end) or wild (anything of
# about the right types: control characters, huge or negative numbers, unknown persons,
# repeated keys). Both kinds mix in one batch.

FRESH_KEY = "<a fresh key>"  # replaced by a new uuid when sent (drawn keys repeat often)


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


plain = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=60)
wild_text = st.text(max_size=60)
finite = st.floats(allow_nan=False, allow_infinity=False)
wild_number = st.one_of(finite, st.integers(-10**6, 10**6))
# Offsets as the wire carries them: whole minutes (the contract's date-time), or none.
offsets = st.one_of(st.none(), st.builds(lambda m: dt.timezone(dt.timedelta(minutes=m)),
                                         st.integers(-1439, 1439)))
recent = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1),
                      timezones=offsets)
moments = st.one_of(
    recent, st.datetimes(timezones=offsets),
    # The calendar's ends, where converting between time zones can overflow (hypothesis
    # leaves such "imaginary" times out unless told).
    st.datetimes(min_value=dt.datetime(9999, 12, 31), timezones=offsets, allow_imaginary=True),
    st.datetimes(max_value=dt.datetime(1, 1, 1, 23, 59), timezones=offsets,
                 allow_imaginary=True))
any_b64 = st.one_of(st.binary(max_size=64).map(encoded), wild_text)
jpeg = st.one_of(st.just(encoded(jpeg_bytes())),
                 st.binary(max_size=64).map(lambda b: encoded(b"\xff\xd8\xff" + b)))
# Bytes that pass for a WAV at first sight (RIFF....WAVE) with a random rest: the server
# reads their header.
riff_like = st.builds(lambda size, rest: b"RIFF" + size.to_bytes(4, "little") + b"WAVE" + rest,
                      st.one_of(st.integers(4, 120), st.integers(0, 2**32 - 1)),
                      st.binary(min_size=32, max_size=120))
recording = st.one_of(st.just(encoded(wav_bytes(0.2))), riff_like.map(encoded))
encoding = st.lists(st.floats(-1, 1), min_size=128, max_size=128)
wild_encoding = st.lists(finite, min_size=127, max_size=129)
words = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=40)


def plausible_payloads(seeded: Seeded) -> dict[str, st.SearchStrategy]:
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
    day = st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))
    return {
        "checkin": st.fixed_dictionaries({"match_score": st.floats(0, 1)},
                                         optional={"snapshot_jpeg_b64": maybe(jpeg)}),
        "leave_request": st.tuples(day, st.integers(0, 60)).flatmap(
            lambda d: st.fixed_dictionaries({
                "destination": plain, "reason": plain, "start_date": st.just(d[0].isoformat()),
                "end_date": st.just((d[0] + dt.timedelta(days=d[1])).isoformat())})),
        "leave_return": st.fixed_dictionaries({"leave_key": st.just(seeded.leave_key)}),
        "lesson_progress": st.fixed_dictionaries({
            "lesson_id": st.just(seeded.lesson_id), "watched_seconds": st.floats(0, 10**6)},
            optional={"position_seconds": st.floats(0, 10**6)}),
        "face_enrolment": st.fixed_dictionaries({
            "templates": st.lists(encoding, min_size=1, max_size=3)}),
        "voice_enrolment": st.fixed_dictionaries({
            "template_b64": st.binary(min_size=1, max_size=64).map(encoded), "model": plain,
            "wavs_b64": st.lists(recording, min_size=1, max_size=3)}),
        "staff_call": st.fixed_dictionaries({"screen": plain.map(lambda t: t[:50])}),
        "verification_failure": st.fixed_dictionaries(
            {"reason": st.sampled_from(contract.VERIFICATION_REASONS),
             "attempt": st.integers(1, 1000)},
            optional={"claimed": st.booleans(), "face_distance": maybe(st.floats(0, 10)),
                      "voice_score": maybe(st.floats(-1, 1)), "snapshot_jpeg_b64": maybe(jpeg),
                      "face_encoding": maybe(encoding),
                      "stage": maybe(st.sampled_from(contract.VERIFICATION_STAGES)),
                      "liveness_reason": maybe(words), "voice_reason": maybe(words),
                      "challenges": maybe(st.lists(words, max_size=10)),
                      "voice_threshold": maybe(st.floats(-1, 1)),
                      "lipsync_decision": maybe(words), "lipsync_r": maybe(st.floats(-1, 1)),
                      "face_ratio": maybe(st.floats(0, 10))}),
    }


def wild_payloads(seeded: Seeded) -> dict[str, st.SearchStrategy]:
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
    text_or_b64 = st.one_of(any_b64, jpeg, recording)
    return {
        "checkin": st.fixed_dictionaries({"match_score": wild_number},
                                         optional={"snapshot_jpeg_b64": maybe(text_or_b64)}),
        "leave_request": st.fixed_dictionaries({
            "destination": wild_text, "reason": wild_text,
            "start_date": st.dates().map(dt.date.isoformat),
            "end_date": st.dates().map(dt.date.isoformat)}),
        "leave_return": st.fixed_dictionaries({"leave_key": wild_text}),
        "lesson_progress": st.fixed_dictionaries({
            "lesson_id": st.integers(), "watched_seconds": wild_number},
            optional={"position_seconds": wild_number}),
        "face_enrolment": st.fixed_dictionaries({
            "templates": st.lists(st.one_of(encoding, wild_encoding), max_size=3)}),
        "voice_enrolment": st.one_of(
            st.fixed_dictionaries({"template_b64": text_or_b64, "model": wild_text,
                                   "wavs_b64": st.lists(text_or_b64, max_size=3)}),
            st.fixed_dictionaries({"wav_b64": text_or_b64, "seconds": wild_number})),
        "staff_call": st.fixed_dictionaries({"screen": wild_text}),
        "verification_failure": st.fixed_dictionaries(
            {"reason": wild_text, "attempt": st.integers()},
            optional={"face_distance": maybe(wild_number), "face_encoding": wild_encoding,
                      "stage": wild_text, "challenges": st.lists(wild_text),
                      "lipsync_r": wild_number, "snapshot_jpeg_b64": text_or_b64}),
    }


def events(seeded: Seeded) -> st.SearchStrategy:
    plausible, wild = plausible_payloads(seeded), wild_payloads(seeded)
    anonymous = {"staff_call", "verification_failure"}

    def plausible_event(kind: str) -> st.SearchStrategy:
        people = [seeded.person_a] + ([0] if kind in anonymous else [])
        return st.fixed_dictionaries({
            "idempotency_key": st.just(FRESH_KEY), "kind": st.just(kind),
            "person_id": st.sampled_from(people),
            "occurred_at": st.one_of(recent, recent, recent, moments).map(dt.datetime.isoformat),
            "payload": plausible[kind]})

    def wild_event(kind: str) -> st.SearchStrategy:
        return st.fixed_dictionaries({
            "idempotency_key": st.one_of(st.just(FRESH_KEY), st.uuids().map(str),
                                         st.text(min_size=8, max_size=64)),
            "kind": st.just(kind),
            "person_id": st.one_of(st.sampled_from([0, seeded.person_a, seeded.person_b]),
                                   st.integers(min_value=0)),
            "occurred_at": moments.map(dt.datetime.isoformat),
            "payload": st.one_of(wild[kind], plausible[kind])})

    kinds = st.sampled_from(sorted(plausible))
    return st.one_of(kinds.flatmap(plausible_event), kinds.flatmap(plausible_event),
                     kinds.flatmap(wild_event))


def send_event_batches(seeded: Seeded, signed: requests.Session, tally: Tally) -> None:
    url = seeded.base_url + contract.API_PREFIX + "/terminal/events"

    @settings(max_examples=EVENT_BATCHES, **HYPOTHESIS)
    @given(batch=st.lists(events(seeded), min_size=1, max_size=5))
    def explore(batch):
        for event in batch:
            if event["idempotency_key"] == FRESH_KEY:
                event["idempotency_key"] = uuid.uuid4().hex
        response = signed.post(url, json={"events": batch}, timeout=30)
        code = checked_error_code(response.status_code,
                                  response.headers.get("content-type", ""), response.content,
                                  "terminal POST /terminal/events (shaped)")
        tally.record("terminal", "POST /api/v1/terminal/events (shaped)", response.status_code,
                     code)
        if response.status_code == 200:
            results = contract.EventBatchResponse.model_validate(response.json()).results
            assert [r.idempotency_key for r in results] == [e["idempotency_key"] for e in batch]
            for result in results:
                tally.codes[result.code or result.status] += 1

    explore()


def send_range_requests(seeded: Seeded, signed: requests.Session, tally: Tally) -> None:
    """The lesson's content with generated Range headers: whole (200), partial (206),
    or refused in the JSON error shape (400 range_invalid, 416), never the framework's
    own plain-text answers."""
    url = f"{seeded.base_url}{contract.API_PREFIX}/terminal/lessons/{seeded.lesson_id}/content"
    size = len(signed.get(url, timeout=30).content)
    position = st.one_of(st.integers(0, size + 2), st.integers(0, 2**70))
    ranges = st.one_of(
        st.builds(lambda a, b: f"bytes={a}-{b}", position, st.one_of(st.just(""), position)),
        st.builds(lambda a, b, c: f"bytes={a}-{b},{c}-", position, position, position),
        st.builds(lambda b: f"bytes=-{b}", position),
        # any text a client can send as a header value (requests refuses a leading space)
        st.text(st.characters(max_codepoint=255, exclude_categories=("Cc",)), max_size=30)
        .filter(lambda text: not text[:1].isspace()))

    @settings(max_examples=RANGES, **HYPOTHESIS)
    @given(header=ranges, if_range=st.one_of(st.none(), st.just('"x"'), st.just("W/\"y\"")))
    def explore(header, if_range):
        headers = {"Range": header} | ({"If-Range": if_range} if if_range else {})
        response = signed.get(url, headers=headers, timeout=30)
        code = checked_error_code(response.status_code,
                                  response.headers.get("content-type", ""), response.content,
                                  f"terminal GET content Range: {header!r}")
        tally.record("terminal", "GET /api/v1/terminal/lessons/{lesson_id}/content (Range)",
                     response.status_code, code)
        assert response.status_code in (200, 206, 400, 416), response.status_code
        if response.status_code == 206:
            assert response.headers["content-range"].startswith("bytes ")

    explore()


# --- regressions: each 5xx the property run found, on SQLite and PostgreSQL --------------

def test_an_event_time_beyond_the_calendar_is_rejected_not_a_500(world):
    """Found by the property run: an ``occurred_at`` whose conversion to UTC overflows
    (9999-12-31T23:59-23:59) made the whole batch a 500. Now that event alone is
    rejected, and times too close to the calendar's ends to be shown in a centre's time
    zone are rejected alike."""
    def at(moment: str, key: str) -> dict:
        return dict(central_helpers.event("checkin", world.person_a, key, match_score=0.9),
                    occurred_at=moment)

    answer = world.terminal.post_events(
        at("9999-12-31T23:59:59-23:59", "overflow-late-1"),
        at("0001-01-01T00:00:00+23:59", "overflow-early-1"),
        at("9999-12-31T23:00:00", "edge-late-naive-1"),
        at("0001-01-01T00:30:00Z", "edge-early-utc-1"),
        at("2024-05-06T07:08:09+08:00", "ordinary-time-1"))
    assert answer.status_code == 200, answer.text
    results = {r["idempotency_key"]: r for r in answer.json()["results"]}
    for key in ("overflow-late-1", "overflow-early-1", "edge-late-naive-1", "edge-early-utc-1"):
        assert results[key]["status"] == "rejected", results[key]
        assert results[key]["code"] == "invalid_event_payload"
        assert "occurred_at" in results[key]["message"]
    assert results["ordinary-time-1"]["status"] == "stored"
    # Staff still see the check-ins (local time display) and the rejected ones are absent.
    assert [c["person_id"] for c in world.admin.checkins()] == [world.person_a]


def test_a_recording_with_an_unreadable_wav_header_is_stored_not_a_500(world):
    """Found by fuzzing the WAV header reader: a recording that starts as a WAV
    (RIFF....WAVE, 44 bytes or more) but declares a chunk past the end of its RIFF chunk
    made ``wave`` raise RuntimeError, and the batch a 500. Its length is now unknown (0 s),
    as for any header that cannot be read; the enrolment is stored."""
    riff = b"RIFF" + (12).to_bytes(4, "little") + b"WAVE" + b"LIST" + (1).to_bytes(4, "little")
    bad_wav = riff + b"\0" * 40
    answer = world.terminal.post_events(
        central_helpers.event("voice_enrolment", world.person_a, "riff-past-end-1",
                              template_b64=encoded(b"voice-template"), model="test-model",
                              wavs_b64=[encoded(bad_wav), encoded(wav_bytes(0.3))]),
        central_helpers.event("voice_enrolment", world.person_a, "riff-past-end-2",
                              wav_b64=encoded(bad_wav), seconds=2.5))
    assert answer.status_code == 200, answer.text
    assert [(r["idempotency_key"], r["status"]) for r in answer.json()["results"]] == [
        ("riff-past-end-1", "stored"), ("riff-past-end-2", "stored")]
