"""Verification failures (身份核验异常): recorded by terminals, reviewed by staff of their centre.

A failed identity check arrives as a ``verification_failure`` event with its reason and
evidence; staff of the terminal's centre confirm it was the genuine person (its face
sample joins the person's templates, which the roster then hands to the terminals) or
dismiss it. Everything is scoped by centre and audited.
"""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from server_api.server.db import Database
from server_api.server.models import AuditEntry, Event, FaceTemplate, VerificationFailure

from tests.server.central_helpers import TerminalClient, b64, enrol, event, jpeg_bytes
from tests.staff_console import ConsoleError, StaffConsole

REASONS = ["no_face", "poor_quality", "liveness_failed", "face_mismatch", "no_speech",
           "voice_mismatch", "lipsync_failed", "voice_not_enrolled"]


def _encoding(seed: float) -> list[float]:
    return [round(seed + i / 1000, 6) for i in range(128)]


def _failure(person_id: int, reason: str = "face_mismatch", key: str | None = None,
             **fields) -> dict:
    payload = {"reason": reason, "claimed": False, "face_distance": 0.71, "voice_score": None,
               "attempt": 1, "snapshot_jpeg_b64": None, "face_encoding": None}
    payload.update(fields)
    return event("verification_failure", person_id, key=key, **payload)


def page_text(html: str) -> str:
    """The text of a page as staff read it (tags dropped, spaces collapsed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _results(answer) -> list[tuple[str, str]]:
    assert answer.status_code == 200, answer.text
    return [(r["status"], r["code"]) for r in answer.json()["results"]]


def _signed_in(world, username: str, centre_id: int) -> StaffConsole:
    world.admin.create_staff(username, "password-123456", "staff", centre_id)
    console = StaffConsole(world.server.base_url)
    console.login(username, "password-123456")
    return console


def _roster_templates(terminal: TerminalClient, person_id: int) -> list[list[float]]:
    answer = terminal.get("/terminal/roster")
    assert answer.status_code == 200, answer.text
    [person] = [p for p in answer.json()["persons"] if p["id"] == person_id]
    return person["face_templates"]


class _Db:
    def __init__(self, url: str) -> None:
        self.db = Database(url)

    def __enter__(self):
        return self.db

    def __exit__(self, *exc) -> None:
        self.db.dispose()


def test_failures_of_every_reason_are_stored_and_bad_ones_rejected_alone(world):
    jpeg = jpeg_bytes()
    goods = [_failure(0 if reason == "no_face" else world.person_a, reason,
                      attempt=n + 1,
                      claimed=reason == "voice_mismatch", voice_score=0.31 if "voice" in reason else None,
                      face_distance=None if reason == "no_face" else 0.6 + n / 100,
                      snapshot_jpeg_b64=b64(jpeg) if n % 2 == 0 else None,
                      face_encoding=_encoding(n) if reason == "face_mismatch" else None)
             for n, reason in enumerate(REASONS)]
    goods[2]["payload"].update(stage="liveness", liveness_reason="static_image",
                               challenges=["blink", "turn_left"])
    goods[6]["payload"].update(stage="voice", voice_reason="match", voice_threshold=0.7,
                               lipsync_decision="still_mouth", lipsync_r=-0.05, face_ratio=0.8)
    assert _results(world.terminal.post_events(*goods)) == [("stored", "")] * len(REASONS)
    assert _results(world.terminal.post_events(goods[0])) == [("duplicate", "")]

    bad_encodings = [_encoding(0)[:127], _encoding(0) + [1.0], ["x"] * 128]
    cases = [
        (_failure(world.person_a, "bored"), "invalid_event_payload"),
        (_failure(world.person_a, None), "invalid_event_payload"),
        *[(_failure(world.person_a, face_encoding=e), "invalid_event_payload")
          for e in bad_encodings],
        (_failure(world.person_a, snapshot_jpeg_b64=b64(b"GIF89a not a jpeg")),
         "invalid_event_payload"),
        (_failure(world.person_a, snapshot_jpeg_b64="%%%"), "invalid_event_payload"),
        (_failure(world.person_a, attempt=0), "invalid_event_payload"),
        (_failure(world.person_a, face_distance=-0.5), "invalid_event_payload"),
        (_failure(world.person_a, stage="ear"), "invalid_event_payload"),
        (_failure(world.person_a, lipsync_r=1.5), "invalid_event_payload"),
        (_failure(world.person_a, face_ratio=-1), "invalid_event_payload"),
        (_failure(world.person_a, liveness_reason="x" * 41), "invalid_event_payload"),
        (_failure(world.person_a, challenges=["blink\x00"]), "invalid_event_payload"),
        (_failure(world.person_a, challenges=["blink"] * 11), "invalid_event_payload"),
        (_failure(world.person_a, snapshot_jpeg_b64=b64(jpeg[:3] + bytes(2 * 1024**2))),
         "payload_too_large"),
        (_failure(world.person_b, face_encoding=_encoding(1)), "person_not_found"),
        (_failure(999999), "person_not_found"),
    ]
    for bad, code in cases:
        good = _failure(world.person_a, "poor_quality", snapshot_jpeg_b64=b64(jpeg))
        assert _results(world.terminal.post_events(bad, good)) == [
            ("rejected", code), ("stored", "")], (bad["payload"].get("reason"), code)
    # JSON allows no NaN, but Python's parser does: a non-finite number is refused too.
    raw = (b'{"events": [{"idempotency_key": "vf-nan-00001", "kind": "verification_failure",'
           b' "person_id": %d, "occurred_at": "2025-06-01T09:00:00Z", "payload": {"reason":'
           b' "face_mismatch", "attempt": 1, "face_encoding": [NaN%s]}}]}'
           % (world.person_a, b", 0.1" * 127))
    answer = world.terminal.http.post(world.server.base_url + "/api/v1/terminal/events",
                                      data=raw, headers={"Content-Type": "application/json"},
                                      timeout=10)
    assert _results(answer) == [("rejected", "invalid_event_payload")]

    with _Db(world.server.database_url) as db, db.session() as session:
        rows = {r.reason: r for r in session.scalars(select(VerificationFailure))}
        assert len(session.scalars(select(VerificationFailure)).all()) == len(REASONS) + len(cases)
        stored_goods = [r for r in session.scalars(select(VerificationFailure).where(
            VerificationFailure.reason != "poor_quality"))]
        assert sorted(r.reason for r in stored_goods) == sorted(set(REASONS) - {"poor_quality"})
        no_face = rows["no_face"]
        assert no_face.person_id is None and no_face.face_distance is None
        assert session.get(Event, no_face.event_id).person_id is None
        mismatch = rows["face_mismatch"]
        assert mismatch.person_id == world.person_a and not mismatch.claimed
        assert json.loads(mismatch.face_encoding_json) == _encoding(3)
        assert mismatch.attempt == 4 and mismatch.face_distance == pytest.approx(0.63)
        assert rows["voice_mismatch"].claimed and rows["voice_mismatch"].voice_score == 0.31
        liveness, lipsync = rows["liveness_failed"], rows["lipsync_failed"]
        assert (liveness.stage, liveness.liveness_reason, json.loads(liveness.challenges_json)) == (
            "liveness", "static_image", ["blink", "turn_left"])
        assert (lipsync.stage, lipsync.voice_reason, lipsync.voice_threshold,
                lipsync.lipsync_decision, lipsync.lipsync_r, lipsync.face_ratio) == (
            "voice", "match", 0.7, "still_mouth", -0.05, 0.8)
        assert mismatch.stage is None and mismatch.challenges_json is None
        assert all(r.review_status == "open" and r.reviewed_at is None
                   for r in session.scalars(select(VerificationFailure)))
        paths = [r.snapshot_path for r in session.scalars(select(VerificationFailure))
                 if r.snapshot_path]
    # Only the stored events left a file: 4 of the goods, one per accepted companion.
    files = sorted((world.server.data_dir / "verification").rglob("*.jpg"))
    assert len(files) == len(paths) == 4 + len(cases)
    page = page_text(world.admin.get("/console/verifications").text)
    assert "活体检测：面部始终静止（疑似照片）" in page and "要求的动作：眨眼、向左转头" in page
    assert "唇音同步：说话时嘴没有动 (r = -0.05)" in page and "停在：声纹与唇音核验" in page
    assert "声纹得分：0.31 " in page and "声纹得分：—（阈值 0.70）" in page and "未采集声纹" in page
    assert all((world.server.data_dir / p).read_bytes() == jpeg for p in paths)


def test_staff_review_failures_of_their_own_centre_only(world):
    answer = enrol(world.server.base_url, world.admin.create_token(world.centre_b), "河西一号机")
    terminal_b = TerminalClient(world.server.base_url, answer.json()["terminal_id"],
                                answer.json()["secret"], world.centre_b)
    enrolled = [_encoding(0.5), _encoding(0.6)]
    assert _results(world.terminal.post_events(event(
        "face_enrolment", world.person_a, templates=enrolled))) == [("stored", "")]
    photo = b64(jpeg_bytes())
    sample = _encoding(0.9)
    assert _results(world.terminal.post_events(
        dict(_failure(world.person_a, claimed=True, attempt=2, snapshot_jpeg_b64=photo,
                      face_encoding=sample), occurred_at="2025-06-01T09:00:00+08:00"),
        dict(_failure(0, "no_face", face_distance=None, snapshot_jpeg_b64=photo),
             occurred_at="2025-06-01T09:01:00+08:00"),
        dict(_failure(world.person_a, "liveness_failed", attempt=3),
             occurred_at="2025-06-01T09:02:00+08:00"))) == [("stored", "")] * 3
    assert _results(terminal_b.post_events(_failure(
        world.person_b, snapshot_jpeg_b64=photo, face_encoding=_encoding(2)))) == [("stored", "")]

    staff_a = _signed_in(world, "staff_a", world.centre_a)
    staff_b = _signed_in(world, "staff_b", world.centre_b)
    listed_a = staff_a.verifications()
    assert [(v["person_id"], v["reason"], v["status"], v["attempt"]) for v in listed_a] == [
        (world.person_a, "liveness_failed", "open", 3), (None, "no_face", "open", 1),
        (world.person_a, "face_mismatch", "open", 2)]  # newest first
    liveness, anonymous, genuine = (v["id"] for v in listed_a)
    [listed_b] = staff_b.verifications()
    assert listed_b["person_id"] == world.person_b
    assert {v["id"] for v in world.admin.verifications()} == {liveness, anonymous, genuine,
                                                              listed_b["id"]}
    page = staff_a.get("/console/verifications").text
    assert "身份核验异常" in page and "张*" in page and "张三" not in page and "未识别" in page
    assert "人脸比对不一致" in page and "活体检测未通过" in page and "未检测到人脸" in page
    assert "1:1" in page and "1:N" in page and "第 2 次" in page and "李*" not in page
    assert 'href="/console/verifications"' in page  # in the navigation
    home = staff_a.get("/console/").text
    assert 'id="open-verifications-count"' in home
    assert '<a href="/console/verifications">3</a>' in home

    # Centre B sees nothing of A's: no photo, no review, not in its export.
    for path in (f"/console/verifications/{genuine}/snapshot",
                 f"/console/verifications/{anonymous}/snapshot"):
        assert staff_b.session.get(world.server.base_url + path, timeout=5).status_code == 404
    for failure_id in (genuine, anonymous, 999999):
        with pytest.raises(ConsoleError) as hidden:
            staff_b.review_verification(failure_id, genuine=False)
        assert hidden.value.status == 404
    shown = staff_a.session.get(world.server.base_url + f"/console/verifications/{genuine}/snapshot",
                                timeout=5)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.content == jpeg_bytes()
    assert staff_a.session.get(world.server.base_url + f"/console/verifications/{liveness}"
                               "/snapshot", timeout=5).status_code == 404  # no photo taken

    # Nobody to confirm without a person; a liveness failure never becomes a reference.
    with pytest.raises(ConsoleError) as refused:
        staff_a.review_verification(anonymous, genuine=True)
    assert refused.value.status == 400 and "只能驳回" in refused.value.message
    with pytest.raises(ConsoleError) as refused:
        staff_a.review_verification(liveness, genuine=True, note="本人", add_reference=True)
    assert refused.value.status == 400 and "不能加入人脸参考" in refused.value.message
    assert _roster_templates(world.terminal, world.person_a) == enrolled

    staff_a.review_verification(genuine, genuine=True, note="本人，光线较暗", add_reference=True)
    assert _roster_templates(world.terminal, world.person_a) == enrolled + [sample]
    staff_a.review_verification(anonymous, genuine=False, note="路人误触")
    assert _roster_templates(world.terminal, world.person_a) == enrolled + [sample]
    for decision in (True, False):  # a second review, of either kind, is refused politely
        with pytest.raises(ConsoleError) as twice:
            staff_a.review_verification(genuine, genuine=decision)
        assert twice.value.status == 409 and "已经复核过了" in twice.value.message
    assert _roster_templates(world.terminal, world.person_a) == enrolled + [sample]
    statuses = {v["id"]: v["status"] for v in staff_a.verifications()}
    assert statuses == {liveness: "open", anonymous: "dismissed", genuine: "confirmed_genuine"}
    assert '<a href="/console/verifications">1</a>' in staff_a.get("/console/").text
    assert [v["status"] for v in staff_b.verifications()] == ["open"]

    with _Db(world.server.database_url) as db, db.session() as session:
        rows = {r.id: r for r in session.scalars(select(VerificationFailure))}
        assert rows[genuine].review_note == "本人，光线较暗" and rows[genuine].reviewed_by
        assert rows[anonymous].review_note == "路人误触" and rows[anonymous].reviewed_at
        templates = session.scalars(select(FaceTemplate).where(
            FaceTemplate.person_id == world.person_a).order_by(FaceTemplate.id)).all()
        assert [t.source for t in templates] == ["enrolment", "enrolment", "staff_confirmed"]
        audit = session.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.detail)
                                .where(AuditEntry.action.like("verification_%"))
                                .order_by(AuditEntry.id)).all()
    assert audit == [
        ("verification_snapshot_view", f"verification_failure:{genuine}",
         f"person:{world.person_a}"),
        ("verification_confirm", f"verification_failure:{genuine}",
         f"person:{world.person_a} template:{templates[2].id}"),
        ("verification_dismiss", f"verification_failure:{anonymous}", "person:none"),
    ]


def test_the_csv_export_is_for_excel_and_the_staff_members_scope(world):
    answer = enrol(world.server.base_url, world.admin.create_token(world.centre_b), "河西一号机")
    terminal_b = TerminalClient(world.server.base_url, answer.json()["terminal_id"],
                                answer.json()["secret"], world.centre_b)
    world.terminal.post_events(
        dict(_failure(world.person_a, claimed=True, face_encoding=_encoding(1)),
             occurred_at="2025-06-01T01:00:00+00:00"),
        dict(_failure(0, "no_face", face_distance=None), occurred_at="2025-06-01T02:00:00+00:00"))
    terminal_b.post_events(_failure(world.person_b, "voice_mismatch", voice_score=0.2))
    staff_a = _signed_in(world, "staff_a", world.centre_a)
    staff_b = _signed_in(world, "staff_b", world.centre_b)
    claimed_id, dismissed = sorted(v["id"] for v in staff_a.verifications())
    staff_a.review_verification(dismissed, genuine=False, note="=HYPERLINK(\"x\")")

    export = staff_a.get("/console/verifications.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    assert header[:3] == ["编号", "时间", "矫正中心"] and "失败原因" in header and "复核意见" in header
    col = {name: header.index(name) for name in header}
    assert [int(r[col["编号"]]) for r in rows] == [claimed_id, dismissed]  # open first
    first, second = rows
    assert first[col["时间"]] == "2025-06-01 09:00:00"  # shown in Beijing time
    assert (first[col["矫正对象"]], first[col["失败原因"]], first[col["原因代码"]]) == (
        "张*", "人脸比对不一致", "face_mismatch")
    assert first[col["核验方式"]].startswith("1:1") and first[col["复核状态"]] == "待复核"
    assert first[col["矫正中心"]] == "城关司法所" and first[col["终端"]] == "自助终端1"
    assert (second[col["矫正对象"]], second[col["矫正对象编号"]], second[col["复核状态"]]) == (
        "未识别", "", "已驳回")
    assert second[col["复核意见"]] == "'=HYPERLINK(\"x\")"  # never a formula in Excel
    assert second[col["复核人"]] == "staff_a"
    assert "张三" not in export.content.decode("utf-8-sig")

    [row_b] = list(csv.reader(io.StringIO(
        staff_b.get("/console/verifications.csv").content.decode("utf-8-sig"))))[1:]
    assert row_b[0] != str(claimed_id) and row_b[col["原因代码"]] == "voice_mismatch"
    assert row_b[col["矫正中心"]] == "河西司法所"
    assert len(list(csv.reader(io.StringIO(
        world.admin.get("/console/verifications.csv").content.decode("utf-8-sig"))))) == 4

    world.admin.get("/console/lang?to=en&next=/console/verifications")
    english = world.admin.get("/console/verifications.csv").content.decode("utf-8-sig")
    assert english.startswith("ID,Time,Centre") and "Face did not match" in english
    page = world.admin.get("/console/verifications").text
    assert "Failed identity checks" in page and "Not identified" in page
    assert "Confirm it is this person" in page and "Dismiss" in page

    with _Db(world.server.database_url) as db, db.session() as session:
        exports = session.execute(select(AuditEntry.detail).where(
            AuditEntry.action == "verification_export").order_by(AuditEntry.id)).scalars().all()
    assert exports == ["rows=2", "rows=1", "rows=3", "rows=3"]

    forged = staff_a.session.post(
        world.server.base_url + f"/console/verifications/{claimed_id}/review",
        data={"decision": "genuine"}, timeout=5)
    assert forged.status_code == 403
    assert staff_a.verifications()[0]["status"] == "open"


def test_confirmed_samples_make_room_but_never_displace_enrolment(world):
    enrolled = [_encoding(i) for i in range(8)]
    world.terminal.post_events(event("face_enrolment", world.person_a, templates=enrolled))
    samples = [_encoding(10 + i) for i in range(4)]
    for n, sample in enumerate(samples):
        world.terminal.post_events(dict(_failure(world.person_a, face_encoding=sample),
                                        occurred_at=f"2025-06-01T0{n}:00:00+00:00"))
    for v in sorted(world.admin.verifications(), key=lambda v: v["id"]):
        world.admin.review_verification(v["id"], genuine=True, add_reference=True)
    # At most 10: the 8 enrolment templates stay, the newest confirmed samples fill the rest.
    assert _roster_templates(world.terminal, world.person_a) == enrolled + samples[2:]

    # Enrolment alone above the limit: the newest confirmed sample is still kept.
    many = [_encoding(20 + i) for i in range(12)]
    world.terminal.post_events(event("face_enrolment", world.person_a, templates=many))
    world.terminal.post_events(_failure(world.person_a, face_encoding=samples[0]))
    [latest] = [v for v in world.admin.verifications() if v["status"] == "open"]
    world.admin.review_verification(latest["id"], genuine=True, add_reference=True)
    assert _roster_templates(world.terminal, world.person_a) == many + [samples[0]]
