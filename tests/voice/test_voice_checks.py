"""Recording checks and prompts: no model needed, fast."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kiosk import voice
from kiosk.voice import VoiceEngine, VoiceError, check_audio, make_digit_prompt
from tests.voice.conftest import vowelish


def test_silence_is_no_speech_not_a_mismatch():
    silence = np.zeros(3 * 16000, dtype=np.int16)
    check = check_audio(silence, 16000)
    assert check.reason == "no_speech" and not check.ok
    assert check.message_key == "voice.no_speech"
    template = VoiceEngine.template_from([np.eye(256)[0]] * 3)
    result = VoiceEngine().verify(template, silence, 16000)  # fails before any model is needed
    assert result.reason == "no_speech" and not result.accepted and not result.heard_speech
    assert result.score is None and result.message_key == "voice.no_speech"


@pytest.mark.parametrize("kind", ["white", "hum", "room"])
def test_steady_noise_is_no_speech(kind):
    rng = np.random.default_rng(0)
    t = np.arange(3 * 16000) / 16000
    if kind == "white":
        x = 0.1 * rng.standard_normal(len(t))
    elif kind == "hum":
        x = sum(0.05 / k * np.sin(2 * np.pi * 50 * k * t) for k in range(1, 8))
    else:
        x = 0.0003 * rng.standard_normal(len(t))  # a quiet room, about -70 dBFS
    assert check_audio(np.round(x * 32767).astype(np.int16)).reason == "no_speech"


def test_voiced_sound_passes_and_reports_levels():
    check = check_audio(vowelish(peak=0.5))
    assert check.ok and check.message_key is None
    assert check.speech_seconds >= voice.MIN_SPEECH_SECONDS
    assert check.duration == pytest.approx(3.0)


def test_quiet_voice_is_too_quiet():
    check = check_audio(vowelish(peak=0.01))
    assert check.reason == "too_quiet" and check.message_key == "voice.too_quiet"


def test_clipped_voice_is_clipped():
    loud = np.clip(vowelish(peak=1.0).astype(np.int32) * 4, -32768, 32767).astype(np.int16)
    check = check_audio(loud)
    assert check.reason == "clipped" and check.message_key == "voice.clipped"


def test_short_recording_is_too_short():
    assert check_audio(vowelish(seconds=0.6)).reason == "too_short"
    assert check_audio(vowelish(seconds=0.6)).message_key == "voice.too_short"


def test_other_sample_rates_and_audio_clips_are_accepted():
    from devices.audio import AudioClip, resample, to_int16

    x = vowelish(peak=0.5)
    at_8k = to_int16(resample(x / 32768.0, 16000, 8000))
    assert check_audio(at_8k, 8000).ok
    assert check_audio(AudioClip(x, 16000)).ok


def test_enrolment_needs_three_utterances():
    with pytest.raises(VoiceError) as info:
        VoiceEngine().enrol([vowelish(), vowelish()])
    assert info.value.message_key == "voice.enrol_more"


def test_enrolment_refuses_an_unusable_clip():
    with pytest.raises(VoiceError) as info:
        VoiceEngine().enrol([vowelish(), np.zeros(48000, np.int16), vowelish()])
    assert info.value.message_key == "voice.no_speech" and "clip 1" in str(info.value)


def test_template_round_trip():
    rng = np.random.default_rng(1)
    template = VoiceEngine.template_from(list(rng.random((3, 256))), 7.5)
    again = voice.VoiceTemplate.from_bytes(template.to_bytes())
    assert np.allclose(again.embedding, template.embedding) and again.utterances.shape == (3, 256)
    assert again.speech_seconds == pytest.approx(7.5) and again.version == voice.MODEL_VERSION
    assert np.linalg.norm(template.embedding) == pytest.approx(1.0, abs=1e-5)


def test_adaptive_s_norm_cancels_a_shared_shift():
    rng = np.random.default_rng(2)
    cohort = voice.normalise(rng.standard_normal((40, 256)))
    a, b = voice.normalise(rng.standard_normal(256)), voice.normalise(rng.standard_normal(256))
    low = voice.as_norm(float(a @ b), a, b, cohort, 10)
    high = voice.as_norm(0.9, a, b, cohort, 10)
    assert high > low + 5  # a cosine far above every cohort score stands out


def test_digit_prompt_properties():
    for seed in range(300):
        prompt = make_digit_prompt(random.Random(seed))
        assert len(prompt) == 6 and prompt.isdigit()
        assert all(x != y for x, y in zip(prompt, prompt[1:]))  # no digit twice in a row
        assert max(prompt.count(d) for d in prompt) <= 2
    assert make_digit_prompt(random.Random(5)) == make_digit_prompt(random.Random(5))
    assert len({make_digit_prompt(random.Random(s)) for s in range(50)}) > 45
    assert len(make_digit_prompt(np.random.default_rng(0), length=8)) == 8
    assert len(make_digit_prompt()) == 6  # system randomness by default
    with pytest.raises(ValueError):
        make_digit_prompt(random.Random(0), length=0)


def test_mel_matches_resemblyzer():
    audio = pytest.importorskip("resemblyzer.audio")
    from kiosk.voice_dsp import mel_spectrogram

    x = np.random.default_rng(3).standard_normal(16000 * 2 + 123).astype(np.float32) * 0.1
    ours, theirs = mel_spectrogram(x), audio.wav_to_mel_spectrogram(x)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= 1e-5 * theirs.max()


def _fake_check(snr_db: float = 10.0, reason: str = "ok") -> voice.AudioCheck:
    return voice.AudioCheck(reason, 2.5, 2.0 if reason == "ok" else 0.0, -25.0, 0.0, snr_db)


def _unit(seed: int, near: np.ndarray | None = None, weight: float = 0.0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(256)
    if near is not None:
        v = weight * near / np.linalg.norm(near) + (1 - weight) * v / np.linalg.norm(v)
    return voice.normalise(v)


def test_judge_fuses_the_usable_clips_of_an_attempt():
    engine = VoiceEngine()  # the shipped operating point, no model needed on embeddings
    template = VoiceEngine.template_from([_unit(1), _unit(1), _unit(1)])
    near = _unit(2, template.embedding, 0.8)
    one = engine.judge(template, [(_fake_check(8.0), near)])
    assert one.utterances == 1 and one.threshold == engine.noisy_threshold and not one.normalised
    two = engine.judge(template, [(_fake_check(8.0), near), (_fake_check(30.0), _unit(3, template.embedding, 0.8))])
    assert two.utterances == 2 and two.threshold == engine.fused_noisy_threshold  # lowest SNR decides
    assert two.margin == pytest.approx(two.score - two.threshold, abs=1e-3)
    # an unusable clip is left out; none usable: the last clip's reason, not a mismatch
    mixed = engine.judge(template, [(_fake_check(reason="clipped"), None), (_fake_check(30.0), near)])
    assert mixed.utterances == 1 and mixed.threshold == engine.threshold and mixed.heard_speech
    silent = engine.judge(template, [(_fake_check(reason="too_quiet"), None), (_fake_check(reason="no_speech"), None)])
    assert silent.reason == "no_speech" and silent.score is None and silent.margin is None
    assert not silent.heard_speech and not silent.accepted


def test_snorm_needs_enough_cohort_voices_else_the_cosine():
    engine = VoiceEngine(scoring="snorm", min_cohort=20)
    template = VoiceEngine.template_from([_unit(1)] * 3)
    probe = [(_fake_check(30.0), _unit(2, template.embedding, 0.8))]
    few = [VoiceEngine.template_from([_unit(100 + k)] * 3) for k in range(5)]
    many = np.stack([_unit(200 + k) for k in range(30)])
    small = engine.judge(template, probe, cohort=few)
    assert not small.normalised and small.cohort_size == 5 and small.threshold == engine.threshold
    big = engine.judge(template, probe, cohort=many)
    assert big.normalised and big.cohort_size == 30 and big.threshold == engine.norm_threshold
    assert big.cosine == small.cosine == small.score
    # the shipped scoring is the cosine whatever the cohort (see kiosk.voice)
    plain = VoiceEngine().judge(template, probe, cohort=many)
    assert not plain.normalised and plain.cohort_size == 30
