"""The kiosk's identity decision rule (pure function): order of checks and thresholds."""

from __future__ import annotations

import pytest

from kiosk.identity_policy import REASON_CODES, Decision, IdentityPolicy, decide

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
