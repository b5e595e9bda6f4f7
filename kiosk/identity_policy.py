"""The kiosk's identity decision: the policy (data) and the rule (one pure function).

The policy is a JSON file. The calibrated one ships in the package
(`kiosk/identity_policy.json`; `load_policy()` reads it, `load_policy(path)` another file
pushed by the centre). Its figures and how they were measured: docs/ACCURACY.md.
`decide` takes the figures that the face, liveness, lip-sync and voice stages produced
for one attempt and returns whether the person is accepted and, if not, the first
reason why (a stable code that the UI maps to a spoken hint and the failure record
keeps for staff). `bench/identity_eval.py` measures the system error rates with this very
function and the shipped file, so the figures in docs/ACCURACY.md are the ones the kiosk
lives by.

Order of the checks (the first failure is the reason):
no_face -> poor_quality -> liveness_failed -> face_mismatch -> no_speech ->
lipsync_failed -> voice_mismatch.

Combination rule "all": face AND voice AND liveness (AND lip-sync when measured), with
one coupling calibrated on the data: a face that matched only weakly (cohort ratio above
`face_strong_ratio`) needs a voice that beats its own threshold by
`voice_margin_per_face` x (ratio - face_strong_ratio). Face and voice errors are
independent, so the pair of a borderline face and a borderline voice is where the
zero-effort impostors that pass both factors live (docs/ACCURACY.md, "System").

File format: sections face, voice, combination, liveness, lipsync, attempts; every field
of `FIELDS` must be present, unknown fields are refused (a typo must not fall back to a
default silently), and `version` must be 1. A bad file raises `PolicyError` naming the
file and the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

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

LIPSYNC_MODES = ("still_only", "strict", "advisory")
VOICE_SCORINGS = ("cosine", "snorm")
COMBINATION_RULES = ("all",)
POLICY_VERSION = 1
DEFAULT_POLICY_FILE = "identity_policy.json"

# Neutral fallback when no file is read (tests, tools); the calibrated values are the file's.
DEFAULT_VOICE_THRESHOLD = 0.80


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class IdentityPolicy:
    """Operating point of the identity check. Load the calibrated one with `load_policy()`;
    the dataclass defaults are a neutral fallback (plain AND, no face/voice coupling)."""

    face_threshold: float = 0.84  # kiosk.face.DEFAULT_VERIFY_RATIO; 1:1, cohort ratio: accept when <= this
    face_margin: float = 0.0  # 1:N only: runner-up must be this much further (raw distance)
    voice_threshold: float = DEFAULT_VOICE_THRESHOLD  # cosine, one clean utterance (>=)
    require_voice: bool = True
    require_liveness: bool = True
    max_attempts: int = 3  # then the staff route (the caller counts attempts)
    face_verify_distance: float = 0.42  # 1:1 without a cohort (small roster): raw distance
    face_identify_ratio: float = 0.62  # 1:N proposal
    face_identify_distance: float = 0.40
    face_identify_strict_distance: float = 0.30
    voice_scoring: str = "cosine"  # "snorm": adaptive S-norm when the cohort is big enough
    voice_threshold_noisy: float = 0.74  # one utterance at or below voice_noisy_snr_db
    voice_fused_threshold: float = 0.76  # two utterances of one attempt, fused (clean)
    voice_fused_threshold_noisy: float = 0.70
    voice_norm_threshold: float = 2.5  # S-norm scale (only with voice_scoring "snorm")
    voice_norm_threshold_noisy: float = 1.5
    voice_clean_snr_db: float = 25.0
    voice_noisy_snr_db: float = 12.0
    voice_min_cohort: int = 40  # cohort rows needed for S-norm; fewer: the cosine
    voice_tries: int = 2  # digit strings per attempt (the 2nd when the 1st fails or is unusable)
    combination: str = "all"
    face_strong_ratio: float = 0.70
    face_strong_distance: float = 0.33  # the same for a raw distance (small roster, no cohort)
    voice_margin_per_face: float = 0.0  # 0: plain AND (the shipped file couples them)
    liveness_min_challenges: int = 2
    liveness_max_challenges: int = 3
    lipsync_mode: str = "still_only"

    def voice_margin_needed(self, face_figure: float | None, face_is_distance: bool = False) -> float:
        """How far the voice must beat its own threshold, given how well the face matched."""
        if face_figure is None or self.voice_margin_per_face <= 0:
            return 0.0
        ratio = face_figure
        span = self.face_verify_distance - self.face_strong_distance
        if face_is_distance and span > 0:  # onto the ratio scale: strong -> strong, limit -> limit
            ratio = self.face_strong_ratio + (face_figure - self.face_strong_distance) * (
                self.face_threshold - self.face_strong_ratio) / span
        return max(0.0, self.voice_margin_per_face * (ratio - self.face_strong_ratio))

    def liveness_config(self) -> Any:
        """The liveness settings with this policy's challenge count."""
        from kiosk.liveness_config import LivenessConfig  # noqa: PLC0415 - pure module

        return replace(LivenessConfig(), min_challenges=self.liveness_min_challenges,
                       max_challenges=self.liveness_max_challenges)

    def face_index_options(self) -> dict[str, Any]:
        """Keyword arguments of `kiosk.face.FaceIndex` for this policy."""
        return {"threshold": self.face_identify_distance, "margin": self.face_margin,
                "identify_ratio": self.face_identify_ratio,
                "small_roster_threshold": self.face_identify_strict_distance,
                "verify_ratio": self.face_threshold, "verify_distance": self.face_verify_distance}

    def voice_engine_options(self) -> dict[str, Any]:
        """Keyword arguments of `kiosk.voice.VoiceEngine` for this policy."""
        return {"threshold": self.voice_threshold, "noisy_threshold": self.voice_threshold_noisy,
                "fused_threshold": self.voice_fused_threshold,
                "fused_noisy_threshold": self.voice_fused_threshold_noisy,
                "norm_threshold": self.voice_norm_threshold,
                "norm_noisy_threshold": self.voice_norm_threshold_noisy,
                "clean_snr_db": self.voice_clean_snr_db, "noisy_snr_db": self.voice_noisy_snr_db,
                "scoring": self.voice_scoring, "min_cohort": self.voice_min_cohort}


# (section, key in the file) -> (attribute, type, check); check returns an error or None
def _positive(v: Any) -> str | None:
    return None if v >= 1 else "must be at least 1"


def _one_of(options: tuple[str, ...]):
    return lambda v: None if v in options else f"must be one of {', '.join(options)}"


FIELDS: dict[tuple[str, str], tuple[str, type, Any]] = {
    ("face", "verify_ratio"): ("face_threshold", float, None),
    ("face", "verify_distance"): ("face_verify_distance", float, None),
    ("face", "identify_ratio"): ("face_identify_ratio", float, None),
    ("face", "identify_distance"): ("face_identify_distance", float, None),
    ("face", "identify_strict_distance"): ("face_identify_strict_distance", float, None),
    ("face", "identify_margin"): ("face_margin", float, None),
    ("voice", "required"): ("require_voice", bool, None),
    ("voice", "scoring"): ("voice_scoring", str, _one_of(VOICE_SCORINGS)),
    ("voice", "threshold"): ("voice_threshold", float, None),
    ("voice", "threshold_noisy"): ("voice_threshold_noisy", float, None),
    ("voice", "fused_threshold"): ("voice_fused_threshold", float, None),
    ("voice", "fused_threshold_noisy"): ("voice_fused_threshold_noisy", float, None),
    ("voice", "norm_threshold"): ("voice_norm_threshold", float, None),
    ("voice", "norm_threshold_noisy"): ("voice_norm_threshold_noisy", float, None),
    ("voice", "clean_snr_db"): ("voice_clean_snr_db", float, None),
    ("voice", "noisy_snr_db"): ("voice_noisy_snr_db", float, None),
    ("voice", "min_cohort"): ("voice_min_cohort", int, _positive),
    ("voice", "tries"): ("voice_tries", int, _positive),
    ("combination", "rule"): ("combination", str, _one_of(COMBINATION_RULES)),
    ("combination", "face_strong_ratio"): ("face_strong_ratio", float, None),
    ("combination", "face_strong_distance"): ("face_strong_distance", float, None),
    ("combination", "voice_margin_per_face"): ("voice_margin_per_face", float,
                                               lambda v: None if v >= 0 else "must not be negative"),
    ("liveness", "required"): ("require_liveness", bool, None),
    ("liveness", "min_challenges"): ("liveness_min_challenges", int, _positive),
    ("liveness", "max_challenges"): ("liveness_max_challenges", int, _positive),
    ("lipsync", "mode"): ("lipsync_mode", str, _one_of(LIPSYNC_MODES)),
    ("attempts", "max_attempts"): ("max_attempts", int, _positive),
}
TOP_LEVEL = ("version", "calibrated_on")


def _typed(name: str, value: Any, kind: type) -> Any:
    """`value` as `kind`, or PolicyError naming the field."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise PolicyError(f"{name} must be true or false, got {value!r}")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise PolicyError(f"{name} must be a whole number, got {value!r}")
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise PolicyError(f"{name} must be a number, got {value!r}")
    if isinstance(value, str):
        return value
    raise PolicyError(f"{name} must be text, got {value!r}")


def policy_from_dict(data: Any, source: str = "policy") -> IdentityPolicy:
    """An IdentityPolicy from the parsed file; PolicyError("<source>: <field> ...") if bad."""
    try:
        if not isinstance(data, dict):
            raise PolicyError("the file must hold one JSON object")
        if data.get("version") != POLICY_VERSION:
            raise PolicyError(f"version must be {POLICY_VERSION}, got {data.get('version')!r}")
        sections = {section for section, _ in FIELDS}
        for key in data:
            if key not in sections and key not in TOP_LEVEL:
                raise PolicyError(f"{key}: unknown section")
        values: dict[str, Any] = {}
        for section in sorted(sections):
            block = data.get(section)
            if not isinstance(block, dict):
                raise PolicyError(f"{section}: missing section (an object)")
            known = {key for sec, key in FIELDS if sec == section}
            for key in block:
                if key not in known:
                    raise PolicyError(f"{section}.{key}: unknown field")
            for key in sorted(known):
                name = f"{section}.{key}"
                if key not in block:
                    raise PolicyError(f"{name}: missing")
                attribute, kind, check = FIELDS[section, key]
                value = _typed(name, block[key], kind)
                problem = check(value) if check else None
                if problem:
                    raise PolicyError(f"{name} {problem}, got {value!r}")
                values[attribute] = value
        if values["liveness_max_challenges"] < values["liveness_min_challenges"]:
            raise PolicyError("liveness.max_challenges must not be below liveness.min_challenges")
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from None
    return IdentityPolicy(**values)


def load_policy(path: Path | str | None = None) -> IdentityPolicy:
    """The policy in `path` (JSON), or the calibrated file shipped in the package."""
    if path is None:
        resource = resources.files("kiosk").joinpath(DEFAULT_POLICY_FILE)
        source, text = f"kiosk/{DEFAULT_POLICY_FILE}", resource.read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{source}: cannot read the policy file ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return policy_from_dict(data, source)


def policy_as_dict(policy: IdentityPolicy) -> dict[str, Any]:
    """The policy in the file's layout (for reports and for writing a file)."""
    out: dict[str, Any] = {"version": POLICY_VERSION}
    for (section, key), (attribute, _kind, _check) in FIELDS.items():
        out.setdefault(section, {})[key] = getattr(policy, attribute)
    return out


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
    voice_margin: float | None = None,
    face_is_distance: bool = False,
) -> Decision:
    """Accept only if every required stage passes; otherwise the first failing reason.

    - `face_score_or_distance` None means no usable face was found (no_face). Pass the
      real figure (`IdentifyResult.ratio`, or `.distance` with `face_is_distance=True`
      when the roster had no cohort): the face/voice coupling depends on it.
    - `face_matched` (optional) overrides the threshold comparison with the verdict
      of `FaceIndex.verify`/`identify`, which knows whether a cohort was used.
    - `runner_up_gap` (1:N only) is checked against `policy.face_margin`.
    - `voice_score` None means no usable speech (no_speech) when voice is required.
      `voice_matched` is the voice engine's own verdict (`VoiceResult.accepted`: its
      score against its SNR- and utterance-count-dependent threshold) and overrides the
      comparison with `policy.voice_threshold`. `voice_margin` is `VoiceResult.margin`
      (score minus the threshold the engine applied); without it, the margin is taken
      against `policy.voice_threshold` (the strictest cosine threshold: conservative).
    - `liveness_passed` None means "not measured": it fails only when liveness is
      required; `lipsync_passed` None means "not measured" and is then not checked
      (see `lipsync_verdict` for the policy's lip-sync mode).
    """
    if face_score_or_distance is None:
        return Decision(False, NO_FACE)
    if not face_quality_ok:
        return Decision(False, POOR_QUALITY)
    if policy.require_liveness and not liveness_passed:
        return Decision(False, LIVENESS_FAILED)
    if face_matched is None:
        limit = policy.face_verify_distance if face_is_distance else policy.face_threshold
        face_matched = face_score_or_distance <= limit
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
        needed = policy.voice_margin_needed(face_score_or_distance, face_is_distance)
        if needed > 0:
            if voice_margin is None:
                base = policy.voice_norm_threshold if voice_score > 1.0 else policy.voice_threshold
                voice_margin = voice_score - base
            if voice_margin < needed:
                return Decision(False, VOICE_MISMATCH)
    return Decision(True, ACCEPTED)


def lipsync_verdict(lipsync_decision: str | None, policy: IdentityPolicy) -> bool | None:
    """`lipsync_passed` for `decide` from a kiosk.lipsync decision, by the policy's mode.

    "still_only" (shipped): a still mouth or no face during speech fails, anything else
    passes and the correlation is only recorded (kiosk/lipsync.py: it does not separate
    own from foreign audio on the data); "strict": only "synced" passes; "advisory":
    never fails. No speech (or not measured) gives None: the voice stage reports it."""
    if lipsync_decision in (None, "no_speech") or policy.lipsync_mode == "advisory":
        return None
    if policy.lipsync_mode == "strict":
        return lipsync_decision == "synced"
    return lipsync_decision not in ("still_mouth", "no_face")


def wants_another_utterance(decision: Decision, utterances: int, policy: IdentityPolicy) -> bool:
    """True when the attempt should ask for one more digit string (then verify the
    utterances together with `VoiceEngine.verify_many`) instead of failing now."""
    return (not decision.accepted and decision.reason_code in (NO_SPEECH, VOICE_MISMATCH)
            and utterances < policy.voice_tries)


def policy_fields() -> tuple[str, ...]:
    """Attribute names of IdentityPolicy (for reports)."""
    return tuple(f.name for f in fields(IdentityPolicy))
