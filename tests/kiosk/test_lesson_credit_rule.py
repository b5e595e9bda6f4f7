"""The lesson-credit rule on hand-made timelines (kiosk/lesson_credit.py, no camera).

DOMAIN.md art. 36: lessons are assigned per person, so the learning time must be that
person's own; configuration keys ``lesson_absent_checks_to_pause`` and
``lesson_check_every_s`` (CreditPolicy).
"""
from kiosk.lesson_credit import (
    Action, CreditPolicy, CreditRule, Seen, allowed_seek, credit_timeline,
)

P, A, O = Seen.present, Seen.absent, Seen.other


def test_art36_present_all_along_earns_the_time_played():
    credited, decisions = credit_timeline([(0, 0, P), (3, 3, P), (6, 6, P), (9, 9, P)])
    assert credited == 9
    assert all(d.action is Action.play for d in decisions)


def test_art36_credit_never_exceeds_wall_time_even_if_the_video_jumped():
    credited, _ = credit_timeline([(0, 0, P), (3, 30, P)])
    assert credited == 3


def test_lesson_other_checks_to_pause_one_another_face_pauses_at_once_and_rewinds():
    rule = CreditRule(CreditPolicy(other_checks_to_pause=1))
    rule.check(0, 0, P)
    rule.check(3, 3, P)
    decision = rule.check(6, 6, O)
    assert decision.action is Action.pause and decision.reason is O
    assert decision.seek_to == 3 and decision.credited_now == 0
    # still someone else: stays paused, nothing earned
    assert rule.check(9, 3, O).action is Action.pause
    back = rule.check(12, 3, P)
    assert back.action is Action.resume and back.seek_to == 3
    rule.check(15, 6, P)
    assert rule.state.credited_s == 6  # 0-3 and, after the return, 3-6


def test_lesson_other_checks_to_pause_default_two_one_misjudged_frame_costs_only_credit():
    rule = CreditRule()
    rule.check(0, 0, P)
    first = rule.check(3, 3, O)
    assert first.action is Action.play and first.credited_now == 0
    rule.check(6, 6, P)
    rule.check(9, 9, P)
    assert rule.state.credited_s == 3  # 6-9 only
    rule.check(12, 12, O)
    second = rule.check(15, 15, O)
    assert second.action is Action.pause and second.reason is O and second.seek_to == 9


def test_lesson_absent_checks_to_pause_one_glance_away_earns_nothing_but_does_not_stop():
    rule = CreditRule(CreditPolicy(absent_checks_to_pause=2))
    rule.check(0, 0, P)
    first = rule.check(3, 3, A)
    assert first.action is Action.play and first.credited_now == 0
    second = rule.check(6, 6, A)
    assert second.action is Action.pause and second.reason is A and second.seek_to == 0
    assert rule.state.credited_s == 0


def test_lesson_absent_checks_to_pause_one_pauses_at_first_absence():
    rule = CreditRule(CreditPolicy(absent_checks_to_pause=1))
    rule.check(0, 0, P)
    assert rule.check(3, 3, A).action is Action.pause


def test_interval_after_an_absence_is_not_credited_even_if_the_person_is_back():
    credited, _ = credit_timeline([(0, 0, P), (3, 3, A), (6, 6, P), (9, 9, P)])
    assert credited == 3  # only 6-9: 0-3 ended absent, 3-6 began absent


def test_no_skip_seek_ahead_stops_at_the_furthest_point_seek_back_is_free():
    assert allowed_seek(120, furthest_s=30) == 30
    assert allowed_seek(10, furthest_s=30) == 10
    assert allowed_seek(-5, furthest_s=30) == 0
    rule = CreditRule(furthest_s=12)
    rule.check(0, 0, P)
    assert rule.seek(300) == 12
    assert rule.seek(4) == 4


def test_furthest_point_moves_only_with_playback():
    rule = CreditRule(CreditPolicy(other_checks_to_pause=1))
    rule.check(0, 0, P)
    rule.check(3, 3, P)
    rule.check(6, 6, O)  # paused, back to 3
    rule.check(9, 3, O)
    assert rule.state.furthest_s == 6
    assert rule.seek(100) == 6
