"""Lesson credit on REAL clips (liveness/ of the shared data, see its SOURCES.md): the
kiosk's face engine checks frames of the clips against the verified person's template
and the lesson-credit rule decides what counts (DOMAIN.md art. 36; configuration keys
``lesson_face_max_distance`` and ``lesson_absent_checks_to_pause``).

The "verified person" is the speaker of WDA_KatieHill_000.mp4, enrolled from two of its
frames. WDA_EdMarkey0_000.mp4 is a different person; the short_hamilton_clip has cuts,
frames with no face and other people.
"""
from __future__ import annotations

import pytest

from kiosk.lesson_credit import Action, CreditPolicy, CreditRule, Seen

KATIE = "liveness/live_video/WDA_KatieHill_000.mp4"
EDMARKEY = "liveness/live_video/WDA_EdMarkey0_000.mp4"
HAMILTON = "liveness/live_video_scene_cuts/short_hamilton_clip.mp4"
EVERY_S = 2.0  # one check every 2 s of clip (the kiosk default is 3 s; the clips are 8-9 s)


def _frames(path, every_s):
    """(clip time, BGR frame) once every ``every_s`` seconds of the clip."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    step = max(1, round(fps * every_s))
    out, index = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            out.append((index / fps, frame))
        index += 1
    cap.release()
    assert out, f"no frame decoded from {path}"
    return out


@pytest.fixture(scope="module")
def clips(shared_data):
    return {name: _frames(shared_data / name, EVERY_S) for name in (KATIE, EDMARKEY, HAMILTON)}


@pytest.fixture(scope="module")
def check(face_engine, shared_data):
    from kiosk.lesson_watch import FaceCheck

    enrol = [frame for _, frame in _frames(shared_data / KATIE, 4.0)][:2]
    return FaceCheck(face_engine, face_engine.enrol(enrol))


def _replay(check, frames, rule=None, wall0=0.0):
    rule = rule or CreditRule(CreditPolicy())  # the kiosk defaults
    results = []
    for clip_time, frame in frames:
        result = check.check(frame)
        results.append(result)
        rule.check(wall0 + clip_time, clip_time, result.seen)
    return rule, results


def test_art36_the_verified_person_present_earns_the_clip_time(check, clips):
    rule, results = _replay(check, clips[KATIE])
    assert [r.seen for r in results] == [Seen.present] * len(results)
    assert not rule.state.paused
    assert rule.state.credited_s == pytest.approx(clips[KATIE][-1][0], abs=0.05)


def test_art36_another_persons_face_earns_nothing_and_pauses(check, clips):
    rule, results = _replay(check, clips[EDMARKEY])
    assert all(r.seen is Seen.other for r in results)
    assert rule.state.credited_s == 0
    assert rule.state.paused and rule.state.reason is Seen.other


def test_art36_no_face_or_strangers_in_a_cut_clip_earn_nothing(check, clips):
    rule, results = _replay(check, clips[HAMILTON])
    seen = {r.seen for r in results}
    assert Seen.absent in seen  # the clip has stretches with no face at all
    assert Seen.present not in seen
    assert rule.state.credited_s == 0 and rule.state.paused


def test_art36_pause_when_someone_else_sits_down_resume_when_the_person_returns(check, clips):
    """Katie 0-4 s, then Ed Markey's face (pause, back to 4 s), then Katie again."""
    katie, other = clips[KATIE], clips[EDMARKEY]
    rule = CreditRule(CreditPolicy(absent_checks_to_pause=2, other_checks_to_pause=1))
    for t, frame in katie[:3]:                       # wall 0, 2, 4
        assert rule.check(t, t, check.check(frame).seen).action is Action.play
    paused = rule.check(6.0, 6.0, check.check(other[3][1]).seen)
    assert paused.action is Action.pause and paused.reason is Seen.other and paused.seek_to == 4.0
    resumed = rule.check(8.0, 4.0, check.check(katie[2][1]).seen)
    assert resumed.action is Action.resume and resumed.seek_to == 4.0
    rule.check(10.0, 6.0, check.check(katie[3][1]).seen)
    assert rule.state.credited_s == pytest.approx(6.0)   # 0-4 and 4-6; nothing for 4-6 of Ed
