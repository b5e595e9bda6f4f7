"""Lesson credit on the central server (SQLite and PostgreSQL): group assignments, the
quiz defined with the lesson, credited time from terminals, the staff page.
DOMAIN.md art. 36 (lessons assigned per person, fitted to them)."""
from __future__ import annotations

import pytest

from server_api import contract
from tests.server.central_helpers import event
from tests.staff_console import ConsoleError, make_id_number

QUIZ_TEXT = "外出前要做什么？\n*先向司法所请假\n直接走\n\n报到能找人代替吗？\n可以\n*不可以"


def _lessons(world, person_id) -> list[contract.LessonInfo]:
    answer = world.terminal.get(f"/terminal/persons/{person_id}/lessons")
    assert answer.status_code == 200, answer.text
    return contract.LessonList.model_validate(answer.json()).lessons


def _result(answer) -> tuple[str, str]:
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    return result["status"], result["code"]


def test_art36_group_assignment_reaches_the_case_type_of_the_centre_only(world, video_file):
    lesson = world.admin.upload_lesson("假释人员专题", video_file)
    parolee = world.admin.create_person(world.centre_a, "王五", make_id_number(5), "假释")
    assert _lessons(world, parolee) == []
    world.admin.post("/console/lesson-credit/group", {
        "lesson_id": str(lesson), "centre_id": str(world.centre_a), "case_type": "假释"})
    assert [i.id for i in _lessons(world, parolee)] == [lesson]
    assert _lessons(world, world.person_a) == []  # 缓刑, same centre: not in the group
    assert world.terminal.get(f"/terminal/lessons/{lesson}/content").status_code == 200
    # a person who joins the centre later is in the group too
    later = world.admin.create_person(world.centre_a, "赵六", make_id_number(6), "假释")
    assert [i.id for i in _lessons(world, later)] == [lesson]
    # the whole centre, every case type
    world.admin.post("/console/lesson-credit/group", {
        "lesson_id": str(lesson), "centre_id": str(world.centre_a), "case_type": ""})
    assert [i.id for i in _lessons(world, world.person_a)] == [lesson]
    page = world.admin.get("/console/lesson-credit").text
    assert "假释人员专题" in page and "全部类别" in page
    first = event("lesson_credit", parolee, lesson_id=lesson, credited_seconds=60.0,
                  furthest_seconds=60.0, position_seconds=60.0)
    assert _result(world.terminal.post_events(first)) == ("stored", "")
    # taking the group assignments back takes the lesson away again
    for row in world.admin.rows("/console/lesson-credit"):
        if "group-id" in row:
            world.admin.post(f"/console/lesson-credit/group/{row['group-id']}/remove")
    assert _lessons(world, parolee) == [] and _lessons(world, world.person_a) == []
    assert "lesson_unassign_group" in world.admin.get("/console/audit").text
    # more time the parolee earned before, delivered late from the outbox, is kept (Art 36);
    # someone who never had the lesson still cannot be credited with it
    late = event("lesson_credit", parolee, lesson_id=lesson, credited_seconds=90.0,
                 furthest_seconds=90.0, position_seconds=90.0)
    assert _result(world.terminal.post_events(late)) == ("stored", "")
    credited = {r["person-id"]: r["credited-s"] for r in world.admin.rows("/console/lesson-credit")
                if "credited-s" in r}
    assert float(credited[str(parolee)]) == 90.0
    never = event("lesson_credit", world.person_a, lesson_id=lesson, credited_seconds=5.0,
                  furthest_seconds=5.0, position_seconds=5.0)
    assert _result(world.terminal.post_events(never)) == ("rejected", "lesson_not_assigned")


def test_quiz_defined_with_the_lesson_reaches_the_terminal(world, video_file):
    lesson = world.admin.upload_lesson("请假规定", video_file)
    world.admin.assign_lesson(lesson, world.person_a)
    with pytest.raises(ConsoleError) as bad:
        world.admin.post("/console/lesson-credit/quiz", {
            "lesson_id": str(lesson), "quiz": "只有题目没有选项", "pass_mark": "1"})
    assert bad.value.status == 400 and "第 1 题格式不对" in bad.value.message
    with pytest.raises(ConsoleError) as mark:
        world.admin.post("/console/lesson-credit/quiz", {
            "lesson_id": str(lesson), "quiz": QUIZ_TEXT, "pass_mark": "3"})
    assert "通过题数应在 1 到 2 之间" in mark.value.message
    assert _lessons(world, world.person_a)[0].quiz is None  # nothing half written
    world.admin.post("/console/lesson-credit/quiz", {
        "lesson_id": str(lesson), "quiz": QUIZ_TEXT, "pass_mark": "2"})
    [info] = _lessons(world, world.person_a)
    assert info.quiz.pass_mark == 2
    assert [q.answer for q in info.quiz.questions] == [0, 1]
    assert info.quiz.questions[1].options == ["可以", "不可以"]


def test_art36_credited_time_from_the_terminal_is_kept_and_shown_to_staff(world, video_file):
    lesson = world.admin.upload_lesson("社区矫正法律常识", video_file)
    other = world.admin.upload_lesson("未分配的课", video_file)
    world.admin.assign_lesson(lesson, world.person_a)
    credit = event("lesson_credit", world.person_a, key="credit-0000-0001", lesson_id=lesson,
                   credited_seconds=125.0, furthest_seconds=140.0, position_seconds=140.0)
    assert _result(world.terminal.post_events(credit)) == ("stored", "")
    assert _result(world.terminal.post_events(credit)) == ("duplicate", "")
    stale = event("lesson_credit", world.person_a, lesson_id=lesson, credited_seconds=30.0,
                  furthest_seconds=30.0, position_seconds=30.0, quiz_score=2, quiz_total=2,
                  quiz_passed=True)
    assert _result(world.terminal.post_events(stale)) == ("stored", "")
    failed = event("lesson_credit", world.person_a, lesson_id=lesson, credited_seconds=130.0,
                   furthest_seconds=140.0, position_seconds=10.0, quiz_score=0, quiz_total=2,
                   quiz_passed=False)
    assert _result(world.terminal.post_events(failed)) == ("stored", "")
    [info] = _lessons(world, world.person_a)
    assert (info.credited_seconds, info.furthest_seconds, info.quiz_passed) == (130.0, 140.0, True)

    not_assigned = event("lesson_credit", world.person_a, lesson_id=other, credited_seconds=5.0,
                         furthest_seconds=5.0)
    assert _result(world.terminal.post_events(not_assigned)) == ("rejected", "lesson_not_assigned")
    half_quiz = event("lesson_credit", world.person_a, lesson_id=lesson, credited_seconds=5.0,
                      furthest_seconds=5.0, quiz_score=1)
    assert _result(world.terminal.post_events(half_quiz)) == ("rejected", "invalid_event_payload")

    [row] = world.admin.rows("/console/lesson-credit")
    assert row["person-id"] == str(world.person_a) and row["lesson-id"] == str(lesson)
    assert row["credited-s"] == "130" and row["quiz"] == "passed"
    page = world.admin.get("/console/lesson-credit").text
    assert "2.2 分钟" in page and "通过（2/2）" in page
    audit = world.admin.get("/console/audit").text
    assert "lesson_credit_view" in audit


def test_staff_cannot_give_a_lesson_to_another_centres_group(world, video_file):
    lesson = world.admin.upload_lesson("河西专题", video_file)
    world.admin.create_staff("staff_a", "Correct-Horse-9", "staff", world.centre_a)
    from tests.staff_console import StaffConsole

    staff = StaffConsole(world.server.base_url)
    staff.login("staff_a", "Correct-Horse-9")
    with pytest.raises(ConsoleError) as refused:
        staff.post("/console/lesson-credit/group", {
            "lesson_id": str(lesson), "centre_id": str(world.centre_b), "case_type": ""})
    assert refused.value.status == 400
    assert "河西司法所" not in staff.get("/console/lesson-credit").text
    assert _lessons(world, world.person_a) == []
