"""The kiosk's identity decision rule in one pure function: face AND voice (AND liveness).

Nothing here touches a camera, a model or the store: `decide` takes the figures the
face, voice and liveness stages produced for one attempt and returns whether the
person is accepted and, if not, the first reason why (a stable code the UI maps to a
spoken hint and the event log keeps for review). `bench/identity_eval.py` measures
the system error rates with this very function, so the figures in docs/ACCURACY.md
are the ones the kiosk lives by.

Order of the checks (the first failure is the reason):
no_face -> poor_quality -> liveness_failed -> face_mismatch -> no_speech ->
lipsync_failed -> voice_mismatch.

The face figure is either a cohort-normalised ratio or a raw dlib distance; both are
"lower is better" and compared with `face_threshold` (see kiosk/face.py for which one
the index produced: `IdentifyResult.ratio` when a cohort was available, else
`.distance`, and `FaceIndex.verify` already applies the right threshold; pass
`face_matched` to use that verdict directly). Voice scores are cosine similarities,
"higher is better".
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.face import DEFAULT_VERIFY_RATIO

# Reason codes, in the order they are checked.
NO_FACE = "no_face"
POOR_QUALITY = "poor_quality"
LIVENESS_FAILED = "liveness_failed"
FACE_MISMATCH = "face_mismatch"
NO_SPEECH = "no_speech"
LIPSYNC_FAILED = "lipsync_failed"
VOICE_MISMATCH = "voice_mismatch"
ACCEPTED = "accepted"

REASON_CODES = (NO_FACE, POOR_QUALITY, LIVENESS_FAILED, FACE_MISMATCH, NO_SPEECH,
                LIPSYNC_FAILED, VOICE_MISMATCH)

# Plain-cosine threshold of kiosk/voice.py (its DEFAULT_THRESHOLD when this was written);
# copied, not imported, so this module stays free of torch. bench/identity_eval.py takes
# the voice bench's or the voice module's own value at run time.
DEFAULT_VOICE_THRESHOLD = 0.70


@dataclass(frozen=True)
class IdentityPolicy:
    """Operating point of the identity check; thresholds are data (docs/ACCURACY.md)."""

    face_threshold: float = DEFAULT_VERIFY_RATIO  # accept when face figure <= this
    face_margin: float = 0.0  # 1:N only: runner-up must be this much further (raw distance)
    voice_threshold: float = DEFAULT_VOICE_THRESHOLD  # accept when cosine >= this
    require_voice: bool = True
    require_liveness: bool = True
    max_attempts: int = 3  # then the staff route (the caller counts attempts)


@dataclass(frozen=True)
class Decision:
    """Outcome of one attempt; `reason_code` is "accepted" or one of REASON_CODES."""

    accepted: bool
    reason_code: str


def decide(
    face_score_or_distance: float | None,
    voice_score: float | None,
    liveness_passed: bool | None,
    policy: IdentityPolicy,
    *,
    face_quality_ok: bool = True,
    face_matched: bool | None = None,
    runner_up_gap: float | None = None,
    lipsync_passed: bool | None = None,
    voice_matched: bool | None = None,
) -> Decision:
    """Accept only if every required stage passes; otherwise the first failing reason.

    - `face_score_or_distance` None means no usable face was found (no_face).
    - `face_matched` (optional) overrides the threshold comparison with the verdict
      of `FaceIndex.verify`/`identify`, which knows whether a cohort was used.
    - `runner_up_gap` (1:N only) is checked against `policy.face_margin`.
    - `voice_score` None means no usable speech (no_speech) when voice is required;
      `voice_matched` (optional) is the voice engine's own verdict (e.g. a cohort-
      normalised score against its own threshold) and overrides the comparison.
    - `liveness_passed` None means "not measured": it fails only when liveness is
      required; `lipsync_passed` None means "not measured" and is then not checked.
    """
    if face_score_or_distance is None:
        return Decision(False, NO_FACE)
    if not face_quality_ok:
        return Decision(False, POOR_QUALITY)
    if policy.require_liveness and not liveness_passed:
        return Decision(False, LIVENESS_FAILED)
    if face_matched is None:
        face_matched = face_score_or_distance <= policy.face_threshold
    if runner_up_gap is not None and runner_up_gap < policy.face_margin:
        face_matched = False
    if not face_matched:
        return Decision(False, FACE_MISMATCH)
    if policy.require_voice:
        if voice_score is None:
            return Decision(False, NO_SPEECH)
        if lipsync_passed is False:
            return Decision(False, LIPSYNC_FAILED)
        if voice_matched is None:
            voice_matched = voice_score >= policy.voice_threshold
        if not voice_matched:
            return Decision(False, VOICE_MISMATCH)
    return Decision(True, ACCEPTED)
