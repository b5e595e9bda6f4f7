"""Failed identity checks: recorded with a reason code and evidence, sent for staff review.

Reason codes (as the contract lists them): no_face, poor_quality, liveness_failed,
face_mismatch, no_speech, voice_mismatch, lipsync_failed, voice_not_enrolled. The
evidence is figures (scores, thresholds, challenge names, lip-sync decision): a snapshot
goes with it for staff, sealed at rest; no template or recording is logged.
"""
from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

from kiosk import outbox
from kiosk.clock import Clock, naive_utc
from kiosk.store import Store
from kiosk.store.models import VerificationFailure
from server_api.contract import EventKind

REASONS = ("no_face", "poor_quality", "liveness_failed", "face_mismatch", "no_speech",
           "voice_mismatch", "lipsync_failed", "voice_not_enrolled")
STAGES = ("face", "liveness", "voice")
EVIDENCE_KEYS = ("liveness_reason", "challenges", "voice_reason", "voice_threshold",
                 "lipsync_decision", "lipsync_r", "face_ratio")


def record_failure(store: Store, clock: Clock, *, person_id: int | None, reason: str,
                   attempt: int, claimed: bool, face_distance: float | None = None,
                   voice_score: float | None = None, snapshot_jpeg: bytes | None = None,
                   face_encoding: np.ndarray | None = None, stage: str = "face",
                   evidence: dict[str, Any] | None = None) -> str:
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    figures = {k: v for k, v in (evidence or {}).items() if k in EVIDENCE_KEYS and v is not None}
    key = outbox.new_key()
    now = clock.now()
    pid = person_id or 0
    with store.session() as s:
        sealed = store.sealer.seal(snapshot_jpeg, f"failure:{key}") if snapshot_jpeg else None
        s.add(VerificationFailure(key=key, person_id=pid, at=naive_utc(now), reason=reason,
                                  attempt=attempt, claimed=claimed, face_distance=face_distance,
                                  stage=stage, detail=json.dumps(figures, ensure_ascii=False),
                                  snapshot_jpeg=sealed))
        outbox.enqueue(s, key=key, kind=EventKind.verification_failure.value, person_id=pid,
                       occurred_at=now, payload={
                           "reason": reason, "claimed": claimed, "attempt": attempt,
                           "stage": stage, **figures,
                           "face_distance": None if face_distance is None else round(face_distance, 4),
                           "voice_score": None if voice_score is None else round(voice_score, 4),
                           "snapshot_jpeg_b64": base64.b64encode(snapshot_jpeg).decode()
                           if snapshot_jpeg else None,
                           "face_encoding": None if face_encoding is None
                           else np.asarray(face_encoding, dtype=float).round(6).tolist()})
    return key
