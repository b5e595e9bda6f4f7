"""Staff review of failed checks: "确认为本人", and "加入此人的人脸参考" only when safe.

A confirmed face sample teaches the terminals the person's face, so it must never come
from a possible spoof (liveness or lip-sync failed): those can be confirmed, with a note
saying how staff verified the person, but never added.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server_api.server.db import Database
from server_api.server.models import AuditEntry, FaceTemplate, VerificationFailure

from tests.server.central_helpers import event
from tests.staff_console import ConsoleError


def face(seed: float) -> list[float]:
    return [round(seed + i / 1000, 6) for i in range(128)]


def failure(person_id: int, reason: str, occurred_at: str, **fields) -> dict:
    payload = {"reason": reason, "claimed": True, "attempt": 1, **fields}
    return dict(event("verification_failure", person_id, **payload), occurred_at=occurred_at)


def roster_faces(world) -> list[list[float]]:
    [person] = [p for p in world.terminal.get("/terminal/roster").json()["persons"]
                if p["id"] == world.person_a]
    return person["face_templates"]


def audit_rows(url: str, *actions: str) -> list[tuple[str, str, str]]:
    db = Database(url)
    try:
        with db.session() as session:
            return session.execute(
                select(AuditEntry.action, AuditEntry.target, AuditEntry.detail)
                .where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)).all()
    finally:
        db.dispose()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_confirming_adds_a_reference_only_when_staff_tick_it(world):
    enrolled = [face(0.1)]
    plain, kept = face(0.5), face(0.6)
    answer = world.terminal.post_events(
        event("face_enrolment", world.person_a, templates=enrolled),
        failure(world.person_a, "face_mismatch", "2025-06-01T01:00:00+00:00",
                face_distance=0.62, face_ratio=1.31, stage="face", face_encoding=plain),
        failure(world.person_a, "poor_quality", "2025-06-01T02:00:00+00:00",
                face_encoding=kept),
        failure(world.person_a, "voice_mismatch", "2025-06-01T03:00:00+00:00",
                stage="voice", voice_score=0.41, voice_threshold=0.7, face_encoding=face(0.7)))
    assert [r["status"] for r in answer.json()["results"]] == ["stored"] * 4
    voice, quality, mismatch = world.admin.verifications()  # newest first
    assert (mismatch["can_add_reference"], quality["can_add_reference"],
            voice["can_add_reference"]) == (True, True, False)
    assert mismatch["stage"] == "face" and not mismatch["spoof_suspect"]
    page = world.admin.get("/console/verifications").text
    assert page.count('name="add_reference"') == 2 and "加入此人的人脸参考" in page
    assert "人脸比值：1.310" in text_of(page)

    # Confirmed without the tick: nothing joins the references.
    confirmed = world.admin.post(f"/console/verifications/{mismatch['id']}/review",
                                 {"decision": "genuine", "note": "本人戴了眼镜"})
    assert "未加入人脸参考" in confirmed.text
    assert roster_faces(world) == enrolled
    with pytest.raises(ConsoleError) as refused:  # a tick goes only with "genuine"
        world.admin.review_verification(quality["id"], genuine=False, add_reference=True)
    assert refused.value.status == 400
    with pytest.raises(ConsoleError) as refused:  # the face matched: nothing to learn
        world.admin.review_verification(voice["id"], genuine=True, add_reference=True)
    assert refused.value.status == 400 and "不能加入人脸参考" in refused.value.message

    added = world.admin.post(f"/console/verifications/{quality['id']}/review",
                             {"decision": "genuine", "add_reference": "yes"})
    assert "人脸样本已加入其比对底库" in added.text
    assert roster_faces(world) == enrolled + [kept]
    world.admin.review_verification(voice["id"], genuine=True)
    rows = {v["id"]: v for v in world.admin.verifications()}
    assert [rows[i]["reference"] for i in (mismatch["id"], quality["id"], voice["id"])] == [
        False, True, False]
    assert all(rows[i]["status"] == "confirmed_genuine" for i in rows)

    db = Database(world.server.database_url)
    try:
        with db.session() as session:
            [template] = session.scalars(select(FaceTemplate).where(
                FaceTemplate.source == "staff_confirmed")).all()
            assert template.verification_failure_id == quality["id"]
            assert session.get(VerificationFailure, mismatch["id"]).review_note == "本人戴了眼镜"
    finally:
        db.dispose()
    person = f"person:{world.person_a}"
    assert audit_rows(world.server.database_url, "verification_confirm",
                      "face_reference_add") == [
        ("verification_confirm", f"verification_failure:{mismatch['id']}", person),
        ("face_reference_add", person,
         f"template:{template.id} verification_failure:{quality['id']}"),
        ("verification_confirm", f"verification_failure:{quality['id']}",
         f"{person} template:{template.id}"),
        ("verification_confirm", f"verification_failure:{voice['id']}", person),
    ]


def test_a_possible_spoof_is_never_added_to_the_references(world):
    enrolled = [face(0.1)]
    answer = world.terminal.post_events(
        event("face_enrolment", world.person_a, templates=enrolled),
        failure(world.person_a, "liveness_failed", "2025-06-01T01:00:00+00:00",
                stage="liveness", liveness_reason="static_image", challenges=["blink"],
                face_encoding=face(0.8)),
        failure(world.person_a, "lipsync_failed", "2025-06-01T02:00:00+00:00",
                stage="voice", lipsync_decision="still_mouth", lipsync_r=0.02,
                voice_score=0.8, voice_threshold=0.7, face_encoding=face(0.9)))
    assert [r["status"] for r in answer.json()["results"]] == ["stored"] * 3
    lipsync, liveness = world.admin.verifications()
    assert liveness["spoof_suspect"] and lipsync["spoof_suspect"]
    assert not liveness["can_add_reference"] and not lipsync["can_add_reference"]
    page = world.admin.get("/console/verifications").text
    assert page.count("疑似假冒：活体检测或唇音同步未通过") == 2
    assert 'name="add_reference"' not in page and "复核意见（必填" in page

    # Even a forged tick is refused by the server; confirming needs a note.
    for failure_id in (liveness["id"], lipsync["id"]):
        with pytest.raises(ConsoleError) as refused:
            world.admin.review_verification(failure_id, genuine=True, note="核实",
                                            add_reference=True)
        assert refused.value.status == 400 and "可能是假冒" in refused.value.message
        with pytest.raises(ConsoleError) as refused:
            world.admin.review_verification(failure_id, genuine=True)
        assert refused.value.status == 400 and "必须填写复核意见" in refused.value.message
    assert [v["status"] for v in world.admin.verifications()] == ["open", "open"]

    world.admin.review_verification(liveness["id"], genuine=True,
                                    note="已电话联系本人并到场核对身份证")
    world.admin.review_verification(lipsync["id"], genuine=False, note="疑似他人代说")
    rows = {v["id"]: v for v in world.admin.verifications()}
    assert (rows[liveness["id"]]["status"], rows[liveness["id"]]["reference"]) == (
        "confirmed_genuine", False)
    assert rows[lipsync["id"]]["status"] == "dismissed"
    assert roster_faces(world) == enrolled
    person = f"person:{world.person_a}"
    assert audit_rows(world.server.database_url, "verification_confirm",
                      "verification_dismiss", "face_reference_add") == [
        ("verification_confirm", f"verification_failure:{liveness['id']}",
         f"{person} spoof_suspect"),
        ("verification_dismiss", f"verification_failure:{lipsync['id']}", person),
    ]

    world.admin.get("/console/lang?to=en&next=/console/verifications")
    english = text_of(world.admin.get("/console/verifications").text)
    assert "Liveness: the face never moved (possibly a photo)" in english
    assert "Lip sync: mouth still while speaking (r = 0.02)" in english
    assert "Voice score: 0.80 (threshold 0.70)" in english
