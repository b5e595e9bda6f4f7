"""Lip-sync on the real talking-head clips and their own audio tracks (extracted with ffmpeg).

On these 8-s clips of continuous speech the correlation does not separate own from foreign
audio in general (see bench/liveness_bench.py and kiosk/lipsync.py); the AOC clip, which has
real pauses, is the one case the data supports, and it is what is asserted here.
"""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.lipsync import LipSyncConfig, assess_lipsync
from kiosk.liveness_features import mouth_opening

from .conftest import AOC, HAMILTON, KATIE, SCREEN

RATE = 16000


def mouth_track(track):
    return [(t, mouth_opening(obs.landmarks) if obs.has_face else None) for t, obs in track]


def test_the_clips_have_their_own_audio(audio_of):
    audio = audio_of(AOC)
    assert audio.dtype == np.int16 and abs(len(audio) / RATE - 8.0) < 0.1
    assert np.sqrt(np.mean(audio.astype(float) ** 2)) > 300  # speech, not silence


def test_a_talking_head_with_its_own_audio_is_synced(track_of, audio_of):
    result = assess_lipsync(mouth_track(track_of(AOC)), audio_of(AOC), RATE)
    assert result.decision == "synced", result
    assert result.face_fraction == 1.0 and result.speech_s > 3.0


@pytest.mark.parametrize("shift_s", [1.0, -1.0])
def test_the_same_audio_shifted_by_a_second_is_not_synced(track_of, audio_of, shift_s):
    audio = np.roll(audio_of(AOC), int(shift_s * RATE))
    result = assess_lipsync(mouth_track(track_of(AOC)), audio, RATE)
    assert result.decision == "not_synced", result


def test_the_audio_of_another_clip_is_not_synced(track_of, audio_of):
    result = assess_lipsync(mouth_track(track_of(AOC)), audio_of(KATIE), RATE)
    assert result.decision == "not_synced", result


def test_a_held_photo_with_speech_has_a_still_mouth(track_of, audio_of):
    track = mouth_track(track_of(SCREEN))  # 6 s held up; speech of the AOC clip behind it
    result = assess_lipsync(track, audio_of(AOC)[: int(6.5 * RATE)], RATE)
    assert result.decision == "still_mouth", result


@pytest.mark.slow
def test_speech_with_no_face_in_view(track_of, audio_of):
    track = mouth_track(track_of(HAMILTON, 0, 80))  # the stage from afar, no face found
    assert all(value is None for _, value in track)
    result = assess_lipsync(track, audio_of(AOC), RATE)
    assert result.decision == "no_face", result


def test_silence_is_no_speech(track_of):
    audio = np.zeros(8 * RATE, dtype=np.int16)
    result = assess_lipsync(mouth_track(track_of(AOC)), audio, RATE)
    assert result.decision == "no_speech"


def test_the_envelope_method_is_available(track_of, audio_of):
    result = assess_lipsync(mouth_track(track_of(AOC)), audio_of(AOC), RATE,
                            config=LipSyncConfig(method="envelope", min_correlation=0.2))
    assert result.correlation == result.envelope_correlation
    assert -1.0 <= result.correlation <= 1.0 and abs(result.lag_s) <= 0.2 + 1e-9
