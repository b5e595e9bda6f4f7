"""What staff read about a failed identity check, and what they may do with it.

The page and the CSV export show the same evidence; the review form and the server
apply the same rules (``reference_refusal``): a face sample joins the person's
references only if the face was seen, a person is named, and nothing suggests a spoof.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from server_api import contract
from server_api.server.models import VerificationFailure

Translate = Callable[..., str]


def is_spoof_suspect(failure: VerificationFailure) -> bool:
    """Liveness or lip-sync failed: maybe a photo, a video or someone speaking for them."""
    return failure.reason in contract.SPOOF_SUSPECT_REASONS


def reference_refusal(failure: VerificationFailure) -> str | None:
    """Why this failure's face sample cannot join the person's references (a catalogue
    key), or None when staff may add it. The person must be loaded with its removal."""
    if failure.person_id is None:
        return "error.verification_cannot_confirm"
    if is_spoof_suspect(failure):
        return "error.verification_spoof_suspect"
    if failure.reason not in contract.REFERENCE_REASONS:
        return "error.verification_reason_no_reference"
    if failure.face_encoding_json is None:
        return "error.verification_no_sample"
    if failure.person is not None and failure.person.removed:
        return "error.verification_person_removed"
    return None


def _word(t: Translate, prefix: str, value: str) -> str:
    """The catalogue text of a terminal's machine word, or the word itself if unknown."""
    key = f"{prefix}.{value}"
    text = t(key)
    return value if text == key else text


def evidence_items(failure: VerificationFailure, t: Translate) -> list[tuple[str, str]]:
    """(label, text) pairs of the evidence the terminal gave, in the staff's language."""
    items: list[tuple[str, str]] = []
    if failure.stage:
        items.append((t("verifications.ev.stage"), _word(t, "verification_stage", failure.stage)))
    if failure.liveness_reason:
        items.append((t("verifications.ev.liveness"),
                      _word(t, "liveness_reason", failure.liveness_reason)))
    if failure.challenges_json:
        names = [_word(t, "challenge", c) for c in json.loads(failure.challenges_json)]
        items.append((t("verifications.ev.challenges"), t("verifications.ev.separator").join(names)))
    if failure.voice_reason:
        items.append((t("verifications.ev.voice"), _word(t, "voice_reason", failure.voice_reason)))
    if failure.voice_score is not None or failure.voice_threshold is not None:
        score = "—" if failure.voice_score is None else f"{failure.voice_score:.2f}"
        text = score if failure.voice_threshold is None else t(
            "verifications.ev.score_threshold", score=score,
            threshold=f"{failure.voice_threshold:.2f}")
        items.append((t("verifications.ev.voice_score"), text))
    if failure.lipsync_decision or failure.lipsync_r is not None:
        text = _word(t, "lipsync_decision", failure.lipsync_decision or "")
        if failure.lipsync_r is not None:
            text = (text + " " if text else "") + f"(r = {failure.lipsync_r:.2f})"
        items.append((t("verifications.ev.lipsync"), text))
    if failure.face_ratio is not None:
        items.append((t("verifications.ev.face_ratio"), f"{failure.face_ratio:.3f}"))
    return items


def evidence_text(failure: VerificationFailure, t: Translate) -> str:
    """The evidence on one line (for the CSV export)."""
    return "; ".join(f"{label}: {text}" for label, text in evidence_items(failure, t))
