"""Embedding, enrolment and verification on the real recordings (skip without them)."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.voice import VoiceEngine, check_audio

pytestmark = pytest.mark.slow  # loads torch and the model, embeds a dozen clips (~10 s)


def test_real_quiet_and_clipped_recordings(voice_clip):
    speech = voice_clip("ls_1688", 4)
    assert check_audio(speech).ok
    quiet = np.round(speech * (10 ** (-35 / 20))).astype(np.int16)
    assert check_audio(quiet).reason == "too_quiet"
    clipped = np.clip(speech.astype(np.int32) * 8, -32768, 32767).astype(np.int16)
    assert check_audio(clipped).reason == "clipped"


def test_embedding_is_normalised(voice_engine, voice_clip):
    vector = voice_engine.embed(voice_clip("zh_fangjun", 2), 16000)
    assert vector.shape == (256,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("speaker, other", [("ls_1688", "ls_3080"), ("zh_aishell_S0150", "zh_fangjun")])
def test_enrolled_speaker_is_accepted_and_another_rejected(voice_engine, voice_clip, speaker, other):
    template = voice_engine.enrol([voice_clip(speaker, n) for n in (1, 2, 3)])
    genuine = voice_engine.verify(template, voice_clip(speaker, 5), 16000)
    assert genuine.reason == "match" and genuine.accepted, genuine
    impostor = voice_engine.verify(template, voice_clip(other, 5), 16000)
    assert impostor.reason == "mismatch" and not impostor.accepted, impostor
    assert impostor.heard_speech and impostor.message_key == "voice.mismatch"
    assert genuine.score > impostor.score + 0.1


def test_roster_cohort_per_call(voice_clip, shared_data):
    from kiosk.voice import cohort_from

    plain = VoiceEngine()
    speakers = sorted(p.name for p in (shared_data / "voices").iterdir() if p.name.startswith("ls100_"))
    cohort = cohort_from(plain, [voice_clip(s, 1) for s in speakers[:20]])
    engine = VoiceEngine(scoring="snorm", min_cohort=20, top_k=10)
    template = engine.enrol([voice_clip("ls_2033", n) for n in (1, 2, 3)])
    genuine = engine.verify(template, voice_clip("ls_2033", 6), 16000, cohort=cohort)
    impostor = engine.verify(template, voice_clip("ls_3080", 6), 16000, cohort=cohort)
    assert genuine.normalised and genuine.accepted and not impostor.accepted
    assert genuine.cosine is not None and genuine.threshold == engine.norm_threshold  # a clean clip
    few = engine.verify(template, voice_clip("ls_2033", 6), 16000, cohort=cohort[:5])
    assert not few.normalised and few.score == few.cosine == genuine.cosine  # too few voices: cosine


def test_two_digit_strings_are_fused(voice_engine, voice_clip):
    template = voice_engine.enrol([voice_clip("zh_aishell_S0150", n) for n in (1, 2, 3)])
    silence = np.zeros(3 * 16000, dtype=np.int16)
    fused = voice_engine.verify_many(template, [voice_clip("zh_aishell_S0150", 7)[:40000],
                                                (voice_clip("zh_aishell_S0150", 8)[:40000], 16000)])
    assert fused.utterances == 2 and fused.accepted and fused.threshold <= voice_engine.fused_threshold
    half = voice_engine.verify_many(template, [silence, voice_clip("zh_aishell_S0150", 8)[:40000]])
    assert half.utterances == 1 and half.heard_speech
    nothing = voice_engine.verify_many(template, [silence, silence])
    assert nothing.reason == "no_speech" and nothing.utterances == 0 and not nothing.accepted


def test_warm_up_runs_once(voice_engine):
    first = voice_engine.warm_up()
    assert voice_engine.warm_up() is first
    first.join(timeout=60)
    assert not first.is_alive()
