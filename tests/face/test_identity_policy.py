"""The kiosk's identity policy: the shipped file, bad files, and the decision rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kiosk
from kiosk.identity_policy import (
    FIELDS, REASON_CODES, Decision, IdentityPolicy, PolicyError, decide, lipsync_verdict, load_policy,
    policy_as_dict, wants_another_utterance,
)

POLICY = IdentityPolicy(face_threshold=0.84, face_margin=0.05, voice_threshold=0.75)


def test_all_stages_pass():
    assert decide(0.6, 0.9, True, POLICY) == Decision(True, "accepted")


@pytest.mark.parametrize(
    "face, voice, live, kwargs, reason",
    [
        (None, 0.9, True, {}, "no_face"),
        (0.6, 0.9, True, {"face_quality_ok": False}, "poor_quality"),
        (0.6, 0.9, False, {}, "liveness_failed"),
        (0.6, 0.9, None, {}, "liveness_failed"),  # not measured but required
        (0.9, 0.9, True, {}, "face_mismatch"),
        (0.6, 0.9, True, {"runner_up_gap": 0.01}, "face_mismatch"),
        (0.6, None, True, {}, "no_speech"),
        (0.6, 0.9, True, {"lipsync_passed": False}, "lipsync_failed"),
        (0.6, 0.5, True, {}, "voice_mismatch"),
        (None, None, False, {}, "no_face"),  # the first failing check is the reason
        (0.9, 0.1, False, {}, "liveness_failed"),
    ],
)
def test_first_failing_check_is_the_reason(face, voice, live, kwargs, reason):
    decision = decide(face, voice, live, POLICY, **kwargs)
    assert not decision.accepted
    assert decision.reason_code == reason
    assert reason in REASON_CODES


def test_thresholds_are_inclusive_and_directional():
    assert decide(0.84, 0.75, True, POLICY).accepted  # face <= threshold, voice >= threshold
    assert not decide(0.8401, 0.75, True, POLICY).accepted
    assert not decide(0.84, 0.7499, True, POLICY).accepted


def test_face_verdict_of_the_index_overrides_the_threshold():
    assert decide(0.30, 0.9, True, POLICY, face_matched=True).accepted  # raw distance, no cohort
    assert decide(0.50, 0.9, True, POLICY, face_matched=False).reason_code == "face_mismatch"


def test_optional_stages():
    face_only = IdentityPolicy(face_threshold=0.84, require_voice=False, require_liveness=False)
    assert decide(0.6, None, None, face_only).accepted
    assert decide(0.6, None, False, face_only).accepted
    assert decide(0.9, None, None, face_only).reason_code == "face_mismatch"
    assert IdentityPolicy().max_attempts >= 1


def test_voice_verdict_of_the_engine_overrides_the_threshold():
    assert decide(0.6, 0.1, True, POLICY, voice_matched=True).accepted  # e.g. an S-norm verdict
    assert decide(0.6, 0.99, True, POLICY, voice_matched=False).reason_code == "voice_mismatch"
    assert decide(0.6, None, True, POLICY, voice_matched=True).reason_code == "no_speech"


# --- the policy file ------------------------------------------------------------------

SHIPPED = load_policy()


def write_policy(tmp_path, change=None, drop=None, add=None):
    data = policy_as_dict(SHIPPED)
    if change:
        (section, key), value = change
        data[section][key] = value
    if drop:
        del data[drop[0]][drop[1]]
    if add:
        data[add[0]][add[1]] = 1
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_shipped_policy_holds_every_field_and_the_calibrated_values():
    shipped = json.loads((Path(kiosk.__file__).parent / "identity_policy.json").read_text(encoding="utf-8"))
    for section, key in FIELDS:
        assert key in shipped[section], f"{section}.{key} missing from the shipped file"
    assert SHIPPED.face_threshold == shipped["face"]["verify_ratio"]
    assert SHIPPED.voice_threshold == shipped["voice"]["threshold"]
    assert SHIPPED.voice_tries >= 2 and SHIPPED.max_attempts >= 1
    assert SHIPPED.require_voice and SHIPPED.require_liveness
    assert SHIPPED.lipsync_mode == "still_only"
    assert SHIPPED.voice_margin_per_face > 0  # face and voice are coupled in the shipped rule
    assert load_policy(Path(kiosk.__file__).parent / "identity_policy.json") == SHIPPED


def test_a_written_policy_round_trips(tmp_path):
    assert load_policy(write_policy(tmp_path)) == SHIPPED
    changed = load_policy(write_policy(tmp_path, change=(("voice", "tries"), 1)))
    assert changed.voice_tries == 1


@pytest.mark.parametrize("change, drop, add, words", [
    ((("voice", "threshold"), "high"), None, None, "voice.threshold must be a number"),
    ((("voice", "tries"), 0), None, None, "voice.tries must be at least 1"),
    ((("voice", "tries"), 1.5), None, None, "voice.tries must be a whole number"),
    ((("liveness", "required"), "yes"), None, None, "liveness.required must be true or false"),
    ((("lipsync", "mode"), "loose"), None, None, "lipsync.mode must be one of"),
    ((("voice", "scoring"), "plda"), None, None, "voice.scoring must be one of"),
    (None, ("face", "verify_ratio"), None, "face.verify_ratio: missing"),
    (None, None, ("voice", "treshold"), "voice.treshold: unknown field"),
])
def test_a_bad_policy_names_the_field(tmp_path, change, drop, add, words):
    path = write_policy(tmp_path, change, drop, add)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert words in str(info.value) and str(path) in str(info.value)


def test_a_broken_file_is_a_clear_error(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid JSON"):
        load_policy(path)
    path.write_text(json.dumps({**policy_as_dict(SHIPPED), "version": 2}), encoding="utf-8")
    with pytest.raises(PolicyError, match="version must be 1"):
        load_policy(path)
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.json")


def test_decide_follows_the_voice_engines_verdict_with_the_shipped_policy():
    # the engine's verdict decides, not a fixed cosine constant
    assert decide(0.5, 0.60, True, SHIPPED, voice_matched=True, voice_margin=0.01).accepted
    assert decide(0.5, 0.95, True, SHIPPED, voice_matched=False).reason_code == "voice_mismatch"
    assert decide(0.5, None, True, SHIPPED, voice_matched=False).reason_code == "no_speech"


def test_a_weak_face_needs_a_clearer_voice():
    weak = 0.80  # matched, but above face_strong_ratio
    needed = SHIPPED.voice_margin_needed(weak)
    assert needed > 0 and SHIPPED.voice_margin_needed(0.5) == 0
    assert decide(weak, 0.9, True, SHIPPED, voice_matched=True, voice_margin=needed + 0.01).accepted
    low = decide(weak, 0.9, True, SHIPPED, voice_matched=True, voice_margin=needed - 0.01)
    assert low.reason_code == "voice_mismatch"
    # without the engine's margin the strictest threshold is assumed (conservative)
    assert not decide(weak, SHIPPED.voice_threshold + needed - 0.01, True, SHIPPED, voice_matched=True).accepted
    # a raw distance (no cohort) maps onto the same scale
    assert SHIPPED.voice_margin_needed(SHIPPED.face_verify_distance, face_is_distance=True) == \
        pytest.approx(SHIPPED.voice_margin_needed(SHIPPED.face_threshold))
    assert SHIPPED.voice_margin_needed(SHIPPED.face_strong_distance, face_is_distance=True) == 0


def test_lipsync_modes_and_the_second_utterance():
    assert lipsync_verdict("still_mouth", SHIPPED) is False
    assert lipsync_verdict("no_face", SHIPPED) is False
    assert lipsync_verdict("not_synced", SHIPPED) is True  # correlation recorded only
    assert lipsync_verdict("no_speech", SHIPPED) is None
    strict = IdentityPolicy(lipsync_mode="strict")
    assert lipsync_verdict("not_synced", strict) is False and lipsync_verdict("synced", strict)
    assert lipsync_verdict("still_mouth", IdentityPolicy(lipsync_mode="advisory")) is None
    mismatch, no_face = Decision(False, "voice_mismatch"), Decision(False, "face_mismatch")
    assert wants_another_utterance(mismatch, 1, SHIPPED)
    assert not wants_another_utterance(mismatch, SHIPPED.voice_tries, SHIPPED)
    assert not wants_another_utterance(no_face, 1, SHIPPED)
    assert wants_another_utterance(Decision(False, "no_speech"), 1, SHIPPED)


def test_liveness_settings_and_voice_engine_follow_the_policy():
    config = SHIPPED.liveness_config()
    assert (config.min_challenges, config.max_challenges) == (SHIPPED.liveness_min_challenges,
                                                              SHIPPED.liveness_max_challenges)
    from kiosk.voice import VoiceEngine

    engine = VoiceEngine.from_policy(SHIPPED)
    assert engine.threshold == SHIPPED.voice_threshold
    assert engine.fused_noisy_threshold == SHIPPED.voice_fused_threshold_noisy
    assert engine.scoring == SHIPPED.voice_scoring
    bare = VoiceEngine()  # a bare engine is at the shipped operating point too
    assert (bare.threshold, bare.noisy_threshold, bare.fused_threshold, bare.fused_noisy_threshold) == (
        engine.threshold, engine.noisy_threshold, engine.fused_threshold, engine.fused_noisy_threshold)
