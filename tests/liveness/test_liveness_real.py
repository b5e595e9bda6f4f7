"""Liveness on the real media of ../shared/data/liveness (skipped when absent).

Held-up pictures are the real images with a small simulated hand shake (fixed seed);
replays feed the recorded frames with their own timestamps, as the camera would see a
video played in front of it (no screen texture is simulated).
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from kiosk.liveness import BLINK, OPEN_MOUTH, TURN_LEFT, TURN_RIGHT, LivenessConfig, LivenessSession
from kiosk.liveness_features import count_blinks

from .conftest import AOC, HAMILTON, LIVE_PHOTO, PRINT, SCREEN


@pytest.mark.parametrize("name", [PRINT, SCREEN, LIVE_PHOTO])
def test_a_picture_held_up_to_the_camera_is_rejected(track_of, bench, name):
    track = track_of(name)
    assert sum(obs.has_face for _, obs in track) > 0.9 * len(track)  # the face is seen...
    outcomes = set()
    for seed in range(10):
        session = LivenessSession(LivenessConfig(), random.Random(seed))
        outcomes.add(bench.run_session(track, (seed * 7) % len(track), session))
    assert outcomes == {("failed", "static_image")}  # ...but it never moves like a face


@pytest.mark.parametrize("challenge", [TURN_LEFT, TURN_RIGHT, OPEN_MOUTH])
def test_a_replayed_clip_fails_an_action_it_does_not_perform(track_of, bench, challenge):
    # AOC never turns (yaw proxy within +-0.15) nor holds the mouth wide open
    track = track_of(AOC)
    for start in (0, 50, 100):
        status, reason = bench.run_session(track, start, LivenessSession(challenges=[challenge]))
        assert (status, reason) == ("failed", "timeout")


def test_replays_of_the_aoc_clip_fail_random_challenge_sequences(track_of, bench):
    track = track_of(AOC)
    outcomes = []
    for second in range(8):
        for seed in range(4):
            session = LivenessSession(LivenessConfig(), random.Random(100 * second + seed))
            outcomes.append(bench.run_session(track, second * 25, session))
    assert all(status == "failed" for status, _ in outcomes)
    assert {reason for _, reason in outcomes} <= {"timeout", "wrong_action"}


def test_blinks_found_in_the_aoc_clip(track_of):
    track = track_of(AOC)
    assert all(obs.has_face for _, obs in track)
    detector = count_blinks(track)
    assert 7 <= detector.count <= 13  # labels.csv: about 10 in 8 s, checked by eye
    assert all(b - a > 0.2 for a, b in zip(detector.blink_times, detector.blink_times[1:]))


def test_the_live_clip_passes_a_blink_challenge(track_of, bench):
    track = track_of(AOC)
    config = replace(LivenessConfig(), challenge_timeout_s=7.0)
    session = LivenessSession(config, challenges=[BLINK])
    assert bench.run_session(track, 0, session, loop=False) == ("passed", None)
    assert session.motion_score > config.motion_threshold


@pytest.mark.slow
def test_a_scene_cut_to_another_person_is_a_changed_face(track_of, bench):
    # frames 185-250: the speaker, a cut to the audience (no face for 0.8 s), another person
    track = track_of(HAMILTON, 185, 250)
    assert track[0][1].has_face and track[-10][1].has_face
    config = replace(LivenessConfig(), challenge_timeout_s=10.0)
    session = LivenessSession(config, challenges=[TURN_LEFT])
    assert bench.run_session(track, 0, session, loop=False) == ("failed", "face_changed")


def test_feeding_raw_camera_frames(bench, liveness_dir):
    # the kiosk path: frames in, landmarks and the once-a-second encoding taken inside
    frames = bench.held_photo_frames(bench.load_image_bgr(liveness_dir / SCREEN), seconds=1.2)
    session = LivenessSession(challenges=[TURN_LEFT])
    states = [session.feed(frame, t) for t, frame in frames]
    assert states[0].prompt_key == "liveness.prompt.look_at_camera"
    assert states[-1].challenge == TURN_LEFT and states[-1].prompt_key == "liveness.prompt.turn_left"
    assert not states[-1].done
    assert not session.needs_encoding(frames[-1][0])  # the identity was taken at the first face
