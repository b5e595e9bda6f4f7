"""State machine of LivenessSession on SYNTHETIC landmark tracks (see synthetic.py); no dlib."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from kiosk.liveness import (
    BLINK, CHALLENGES, OPEN_MOUTH, TURN_LEFT, TURN_RIGHT, TURNS, LivenessConfig, LivenessSession,
    draw_challenges,
)
from kiosk.liveness_features import FaceFrame

from .synthetic import AOC_FRAME_55, FPS, IOD, act, frame, pose

DURATION = {BLINK: 0.24, TURN_LEFT: 0.8, TURN_RIGHT: 0.8, OPEN_MOUTH: 1.2}


class Person:
    """A synthetic person who answers prompts after a reaction time, except those in `refuses`."""

    def __init__(self, refuses=(), swap=None, seed=0, reaction_s=0.6, talks=False):
        self.refuses = set(refuses)
        self.talks = talks  # moves the mouth slowly (never wide) whatever the prompt
        self.swap = swap or {}  # e.g. {TURN_LEFT: TURN_RIGHT}: confuses left and right
        self.rng = np.random.default_rng(seed)
        self.reaction_s = reaction_s
        self.current = None
        self.since = 0.0

    def frame(self, state, t, k):
        challenge = state.challenge
        if challenge != self.current:
            self.current, self.since = challenge, t
        args = {}
        if challenge and challenge not in self.refuses:
            kind = self.swap.get(challenge, challenge)
            progress = (t - self.since - self.reaction_s) / DURATION[kind]
            if 0.0 <= progress <= 1.0:
                args = act(kind, progress)
        if self.talks and "mouth_open" not in args:
            args["mouth_open"] = 0.22 * (0.5 - 0.5 * np.cos(2 * np.pi * t))
        return frame(pose(AOC_FRAME_55, **args), self.rng, k)


def run(session, person, seconds=30.0):
    """Feed the person's frames until the verdict; returns the final state."""
    state = session.state
    for k in range(int(seconds * FPS)):
        state = session.feed_observation(person.frame(state, k / FPS, k), k / FPS)
        if state.done:
            return state
    return state


def test_draw_challenges_is_random_distinct_and_holds_a_turn():
    seen = set()
    for seed in range(200):
        sequence = draw_challenges(random.Random(seed))
        assert 2 <= len(sequence) <= 3
        assert len(set(sequence)) == len(sequence)
        assert set(sequence) <= set(CHALLENGES)
        assert any(c in TURNS for c in sequence)
        seen.add(tuple(sequence))
    assert len(seen) > 10
    assert draw_challenges(random.Random(7)) == draw_challenges(random.Random(7))


@pytest.mark.parametrize("sequence", [[BLINK, TURN_LEFT], [TURN_RIGHT, OPEN_MOUTH, BLINK],
                                      [OPEN_MOUTH, TURN_LEFT]])
def test_answering_every_prompt_passes(sequence):
    session = LivenessSession(challenges=sequence)
    assert session.state.prompt_key == "liveness.prompt.look_at_camera"
    prompts = []
    person = Person()
    state = session.state
    for k in range(int(30 * FPS)):
        state = session.feed_observation(person.frame(state, k / FPS, k), k / FPS)
        if state.challenge and (not prompts or prompts[-1] != state.prompt_key):
            prompts.append(state.prompt_key)
        if state.done:
            break
    assert state.passed, state
    assert state.reason is None
    assert list(state.completed) == sequence
    assert prompts == [f"liveness.prompt.{c}" for c in sequence]


def test_progress_rises_during_a_turn():
    session = LivenessSession(challenges=[TURN_LEFT])
    person = Person(reaction_s=0.3)
    state, progress = session.state, []
    for k in range(int(5 * FPS)):
        state = session.feed_observation(person.frame(state, k / FPS, k), k / FPS)
        if state.challenge == TURN_LEFT:
            progress.append(state.progress)
        if state.done:
            break
    assert state.passed
    assert max(progress) > 0.5 and progress[0] == 0.0


def test_non_blinker_gets_one_replacement_challenge_and_passes():
    config = LivenessConfig(challenge_timeout_s=3.0)
    session = LivenessSession(config, random.Random(3), challenges=[BLINK, TURN_LEFT])
    state = run(session, Person(refuses={BLINK}))
    assert state.passed, state
    assert BLINK not in state.sequence
    assert state.total == 2 and state.completed[1] == TURN_LEFT
    assert state.completed[0] in (TURN_RIGHT, OPEN_MOUTH)  # distinct from the rest of the sequence
    assert state.elapsed > config.challenge_timeout_s


def test_non_blinker_fails_when_the_fallback_is_off():
    config = LivenessConfig(challenge_timeout_s=3.0, blink_fallback=False)
    session = LivenessSession(config, challenges=[BLINK, TURN_LEFT])
    state = run(session, Person(refuses={BLINK}, talks=True))
    assert state.failed and state.reason == "timeout"


def test_only_one_replacement():
    config = LivenessConfig(challenge_timeout_s=2.0)
    state = run(LivenessSession(config, random.Random(1), challenges=[BLINK, TURN_LEFT]),
                Person(refuses=set(CHALLENGES), talks=True))
    assert state.failed and state.reason == "timeout"
    assert state.sequence[0] != BLINK
    assert 4.4 < state.elapsed < 5.0  # baseline 0.5 s + blink 2 s + one replacement 2 s


def test_turning_the_wrong_way_is_a_wrong_action():
    state = run(LivenessSession(challenges=[TURN_LEFT]), Person(swap={TURN_LEFT: TURN_RIGHT}))
    assert state.failed and state.reason == "wrong_action"


def test_mirrored_camera_swaps_the_directions():
    config = LivenessConfig(mirrored=True)
    person = Person(swap={TURN_LEFT: TURN_RIGHT})
    state = run(LivenessSession(config, challenges=[TURN_LEFT]), person)
    assert state.passed


def test_a_still_person_who_does_nothing_reads_as_static():
    config = LivenessConfig(challenge_timeout_s=2.0, blink_fallback=False)
    state = run(LivenessSession(config, challenges=[TURN_LEFT]), Person(refuses=set(CHALLENGES)))
    assert state.failed and state.reason == "static_image"


def test_a_rigid_picture_that_never_deforms_is_a_static_image():
    rng = np.random.default_rng(5)
    config = LivenessConfig(challenge_timeout_s=2.0)
    session = LivenessSession(config, challenges=[TURN_LEFT, BLINK])
    state = session.state
    for k in range(int(20 * FPS)):
        state = session.feed_observation(frame(AOC_FRAME_55, rng, k, noise=0.4, drift=0.5), k / FPS)
        if state.done:
            break
    assert state.failed and state.reason == "static_image"


def test_no_face_at_all():
    session = LivenessSession()
    state = session.state
    for k in range(int(10 * FPS)):
        state = session.feed_observation(FaceFrame(), k / FPS)
        if state.done:
            break
    assert state.failed and state.reason == "no_face"
    assert 5.0 < state.elapsed < 5.2


def test_face_lost_mid_session():
    session, rng = LivenessSession(challenges=[TURN_LEFT]), np.random.default_rng(0)
    for k in range(25):
        session.feed_observation(frame(AOC_FRAME_55, rng, k), k / FPS)
    for k in range(25, 80):
        state = session.feed_observation(FaceFrame(), k / FPS)
        if state.done:
            break
    assert state.failed and state.reason == "no_face"


def test_a_face_that_jumps_is_a_changed_face():
    session, rng = LivenessSession(challenges=[TURN_LEFT]), np.random.default_rng(0)
    for k in range(20):
        state = session.feed_observation(frame(AOC_FRAME_55, rng, k), k / FPS)
    state = session.feed_observation(frame(AOC_FRAME_55 + [3 * IOD, 0.0], rng, 20), 20 / FPS)
    assert state.failed and state.reason == "face_changed"


def test_another_identity_is_a_changed_face():
    rng = np.random.default_rng(0)
    first, other = np.zeros(128), np.full(128, 0.1)  # 1.13 apart
    session = LivenessSession(challenges=[TURN_LEFT])
    state = session.state
    for k in range(60):
        encoding = None
        if session.needs_encoding(k / FPS):
            encoding = first if k < 40 else other  # checks at 0 s and 1 s see `first`
        state = session.feed_observation(frame(AOC_FRAME_55, rng, k, encoding=encoding), k / FPS)
        if state.done:
            break
    assert state.failed and state.reason == "face_changed"
    assert 1.9 < state.elapsed < 2.1  # caught at the next once-a-second check


def test_a_second_face_for_several_frames():
    session, rng = LivenessSession(challenges=[TURN_LEFT]), np.random.default_rng(0)
    for k in range(10):
        session.feed_observation(frame(AOC_FRAME_55, rng, k), k / FPS)
    states = []
    for k in range(10, 14):
        one = frame(AOC_FRAME_55, rng, k)
        top, right, bottom, left = one.box
        two = replace(one, boxes=(one.box, (top, right + 400, bottom, left + 400)))
        states.append(session.feed_observation(two, k / FPS))
    assert not states[1].done
    assert states[2].failed and states[2].reason == "multiple_faces"


def test_a_small_background_face_is_ignored():
    session, rng = LivenessSession(challenges=[TURN_LEFT]), np.random.default_rng(0)
    state = session.state
    for k in range(40):
        one = frame(AOC_FRAME_55, rng, k)
        state = session.feed_observation(replace(one, boxes=(one.box, (0, 40, 40, 0))), k / FPS)
    assert not state.done


def test_feeding_after_the_verdict_changes_nothing():
    session = LivenessSession()
    for k in range(int(6 * FPS)):
        session.feed_observation(FaceFrame(), k / FPS)
    final = session.state
    assert final.failed
    assert session.feed_observation(frame(AOC_FRAME_55, np.random.default_rng(0), 0), 99.0) == final


def test_unknown_challenge_is_refused():
    with pytest.raises(ValueError):
        LivenessSession(challenges=["smile"])
