"""Leave requests through staff approval to the return, and lessons end to end."""
from __future__ import annotations

import hashlib

import pytest

from server_api import contract

from tests.server.central_helpers import event
from tests.staff_console import ConsoleError


def _leaves(world) -> list[contract.LeaveInfo]:
    answer = world.terminal.get(f"/terminal/persons/{world.person_a}/leaves")
    assert answer.status_code == 200
    return contract.LeaveList.model_validate(answer.json()).leaves


def _request_leave(world, key: str) -> None:
    answer = world.terminal.post_events(event(
        "leave_request", world.person_a, key=key, destination="江苏省南京市",
        start_date="2025-06-01", end_date="2025-06-05", reason="参加女儿婚礼"))
    assert answer.status_code == 200


def _result(answer) -> tuple[str, str]:
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    return result["status"], result["code"]


def test_leave_request_approval_and_return(world):
    _request_leave(world, "leave-0000-0001")
    back = event("leave_return", world.person_a, key="return-0000-0001",
                 leave_key="leave-0000-0001")
    # Too early: rejected, and not recorded, so the same event may be sent again later.
    assert _result(world.terminal.post_events(back)) == ("rejected", "leave_not_approved")
    assert world.admin.pending_leaves() == ["leave-0000-0001"]

    world.admin.decide_leave("leave-0000-0001", approve=True, note="按时返回并销假")
    [leave] = _leaves(world)
    assert leave.status == contract.LeaveStatus.approved
    assert leave.decision_note == "按时返回并销假" and leave.decided_at is not None
    assert world.admin.pending_leaves() == []
    with pytest.raises(ConsoleError) as decided:  # a second decision is refused
        world.admin.decide_leave("leave-0000-0001", approve=False)
    assert "已经处理" in decided.value.message

    assert _result(world.terminal.post_events(back)) == ("stored", "")  # the same key
    assert _result(world.terminal.post_events(back)) == ("duplicate", "")
    [leave] = _leaves(world)
    assert leave.status == contract.LeaveStatus.closed and leave.returned_at is not None
    again = world.terminal.post_events(
        event("leave_return", world.person_a, leave_key="leave-0000-0001"))
    assert _result(again) == ("rejected", "leave_not_approved")


def test_a_rejected_leave_shows_the_note(world):
    _request_leave(world, "leave-0000-0002")
    world.admin.decide_leave("leave-0000-0002", approve=False, note="请补充医院证明")
    [leave] = _leaves(world)
    assert (leave.status, leave.decision_note) == (contract.LeaveStatus.rejected, "请补充医院证明")


def test_lesson_upload_assignment_and_download_with_range(world, video_file):
    lesson_id = world.admin.upload_lesson("社区矫正法律常识", video_file)
    data = video_file.read_bytes()
    assert world.terminal.get(f"/terminal/persons/{world.person_a}/lessons").json() == {"lessons": []}
    assert world.terminal.get(f"/terminal/lessons/{lesson_id}/content").status_code == 404

    world.admin.assign_lesson(lesson_id, world.person_a)
    world.admin.assign_lesson(lesson_id, world.person_a)  # twice is harmless
    listed = world.terminal.get(f"/terminal/persons/{world.person_a}/lessons").json()["lessons"]
    info = contract.LessonInfo.model_validate(listed[0])
    assert len(listed) == 1
    assert (info.id, info.title, info.size) == (lesson_id, "社区矫正法律常识", len(data))
    assert info.sha256 == hashlib.sha256(data).hexdigest() and info.watched_seconds == 0

    whole = world.terminal.get(f"/terminal/lessons/{lesson_id}/content")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4"
    resumed = world.terminal.get(f"/terminal/lessons/{lesson_id}/content",
                                 headers={"Range": "bytes=100-"})
    assert resumed.status_code == 206 and resumed.content == data[100:]
    assert resumed.headers["content-range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
    beyond = world.terminal.get(f"/terminal/lessons/{lesson_id}/content",
                                headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.json()["error"]["code"] == "range_not_satisfiable"
    garbled = world.terminal.get(f"/terminal/lessons/{lesson_id}/content",
                                 headers={"Range": "pages=1-2"})
    assert garbled.status_code == 400 and garbled.json()["error"]["code"] == "range_invalid"

    for watched in (30.0, 12.5, 42.0, 41.0):  # the server keeps the maximum
        world.terminal.post_events(event("lesson_progress", world.person_a, lesson_id=lesson_id,
                                         watched_seconds=watched, position_seconds=watched))
    listed = world.terminal.get(f"/terminal/persons/{world.person_a}/lessons").json()["lessons"]
    assert listed[0]["watched_seconds"] == 42.0


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.7 this is a document, not a video" * 10, "不是视频"),
    (b"", "空的"),
])
def test_non_video_uploads_are_refused(world, tmp_path, content, message):
    bogus = tmp_path / "lesson.mp4"
    bogus.write_bytes(content)
    with pytest.raises(ConsoleError) as refused:
        world.admin.upload_lesson("不是视频的课程", bogus)
    assert refused.value.status == 400 and message in refused.value.message
    assert world.admin.rows("/console/lessons") == []
    assert not any((world.server.data_dir / "lessons").glob("*"))
    assert not list((world.server.data_dir / "tmp").iterdir())


def test_a_truncated_video_is_refused(world, video_file, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(video_file.read_bytes()[:600])  # the header survives, the rest is lost
    with pytest.raises(ConsoleError) as refused:
        world.admin.upload_lesson("损坏的视频", broken)
    assert "损坏" in refused.value.message
    assert world.admin.rows("/console/lessons") == []
