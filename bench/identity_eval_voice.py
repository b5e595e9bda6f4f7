"""Voice part of bench/identity_eval.py: figures at the configured operating point and the
voice attempts that the system figures combine with the face.

Protocol (kiosk.voice_eval's building blocks, so every clip is embedded once):
- speakers with 4+ recordings are enrolled: up to 10 seeded 3-recording templates each,
  from the clean full-length recordings (as a supervised intake would);
- test clips: every recording as it is ("clean") and, twice each, cut to 2.5 s and mixed at
  10 dB SNR with white noise or with babble of five other speakers of the folder ("white",
  "babble"; together "kiosk"); fixed seed;
- per-utterance figures: the voice engine's own score and SNR-dependent threshold
  (`VoiceEngine.judge`, what `verify` applies after embedding), against every template;
- an attempt at the kiosk may take a second digit string when the first is rejected or
  unusable: the second clip is a seeded other kiosk clip of the same speaker in the same
  noise (another recording when there is one, else another cut of the same one) and the
  two are judged fused (`judge` on both = `verify_many`). "attempt" figures count one
  attempt however many clips it took;
- reference: the same trials scored with adaptive S-norm against the folder's speakers
  never enrolled (the earlier scoring), EER only.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from typing import Any, Callable

import numpy as np

from kiosk import voice_eval as ve
from kiosk.identity_policy import IdentityPolicy
from kiosk.voice import VoiceEngine, VoiceTemplate

NOISY = ("white", "babble")
TEMPLATES_PER_SPEAKER = 10
VOICE_SEED = 0


def _pct(values: list[float]) -> tuple[float | None, float | None]:
    """(p50, p95) of a list, None when empty."""
    if not values:
        return None, None
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def _rates(genuine: list[bool], impostor: list[bool]) -> tuple[float | None, float | None]:
    """(FNMR, FMR) from accept flags."""
    fnmr = 1.0 - float(np.mean(genuine)) if genuine else None
    fmr = float(np.mean(impostor)) if impostor else None
    return fnmr, fmr


class VoiceData:
    """Embedded clips of a folder and the kiosk's verdicts on them."""

    def __init__(self, data_dir: Any, policy: IdentityPolicy, seed: int = VOICE_SEED,
                 log: Callable[[str], None] = lambda _m: None) -> None:
        """Load, cut, mix and embed every clip (the slow part: about 1 s per 10 clips)."""
        started = time.perf_counter()
        self.policy = policy
        self.engine = VoiceEngine.from_policy(policy)
        self.voices = ve.load_voices(data_dir)
        self.engine.warm_up().join()
        clips = {c: by_utt for c, by_utt in ve.kiosk_conditions(self.voices, seed).items()
                 if c in ("clean",) + NOISY}
        details: dict[str, Any] = {}
        self.embeddings, self.unusable, self.verify_ms = ve.embed_clips(self.engine, clips, details)
        self.checks: dict[str, dict] = details["checks"]
        self.clips = {c: list(by_utt) for c, by_utt in clips.items()}
        self.templates: dict[int, tuple[str, tuple[int, ...], VoiceTemplate]] = {}
        for k, (speaker, subset) in enumerate(ve._templates(self.voices, TEMPLATES_PER_SPEAKER, seed)):  # noqa: SLF001
            self.templates[k] = (speaker, subset, self.engine.template_from(
                [self.embeddings["clean"][speaker, i, 0] for i in subset]))
        self.by_speaker: dict[tuple[str, str], list] = defaultdict(list)
        for cond in NOISY:
            for utt in self.clips[cond]:
                self.by_speaker[cond, utt[0]].append(utt)
        self.seed = seed
        self.seconds = round(time.perf_counter() - started, 1)
        log(f"voice: {sum(len(c) for c in self.voices.values())} recordings of {len(self.voices)} speakers, "
            f"{sum(len(v) for v in clips.values())} clips embedded in {self.seconds} s")

    @property
    def enrolled(self) -> set[str]:
        """Speakers with templates (who can be claimed)."""
        return {speaker for speaker, _, _ in self.templates.values()}

    def probe(self, cond: str, utt: tuple) -> tuple[Any, np.ndarray | None]:
        """(AudioCheck, embedding or None) of a clip, as `VoiceEngine.probe` returned it."""
        return self.checks[cond][utt], self.embeddings[cond].get(utt)

    def speaker_attempts(self, claimed: str, speaker: str, cohort: Any = None) -> list[tuple[Any, Any]]:
        """`attempts` of `speaker` pooled over every template of `claimed`."""
        return [a for key, (who, _s, _t) in self.templates.items() if who == claimed
                for a in self.attempts(key, speaker, cohort)]

    def attempts(self, key: int, speaker: str, cohort: Any = None) -> list[tuple[Any, Any]]:
        """Every kiosk-condition voice attempt of `speaker` against template `key`:
        (verdict on the first clip, verdict on first + second fused; None when the policy
        allows one utterance or the speaker has no other clip)."""
        claimed, subset, template = self.templates[key]
        out = []
        for cond in NOISY:
            pool = [u for u in self.by_speaker[cond, speaker] if not (speaker == claimed and u[1] in subset)]
            rng = random.Random(f"{self.seed}/{key}/{speaker}/{cond}")
            for first in pool:
                others = [u for u in pool if u != first]
                other_recordings = [u for u in others if u[1] != first[1]]
                second = rng.choice(other_recordings or others) if others else None
                one = self.engine.judge(template, [self.probe(cond, first)], cohort)
                two = None
                if second is not None and self.policy.voice_tries > 1:
                    two = self.engine.judge(template, [self.probe(cond, first), self.probe(cond, second)],
                                            cohort)
                out.append((one, two))
        return out

    def figures(self) -> dict[str, Any]:
        """Per-utterance figures (clean, white, babble, kiosk), attempt figures, S-norm EERs."""
        figures: dict[str, Any] = {"voice_scoring": self.engine.scoring,
                                   "voice_threshold": self.engine.threshold,
                                   "voice_threshold_noisy": self.engine.noisy_threshold,
                                   "voice_fused_threshold": self.engine.fused_threshold,
                                   "voice_fused_threshold_noisy": self.engine.fused_noisy_threshold}
        scores: dict[str, tuple[list, list]] = {c: ([], []) for c in ("clean",) + NOISY}
        flags: dict[str, tuple[list, list]] = {c: ([], []) for c in ("clean",) + NOISY}
        for key, (claimed, subset, template) in self.templates.items():
            for cond in ("clean",) + NOISY:
                for utt in self.clips[cond]:
                    if (utt[0] == claimed and utt[1] in subset) or utt not in self.embeddings[cond]:
                        continue
                    result = self.engine.judge(template, [self.probe(cond, utt)])
                    kind = 0 if utt[0] == claimed else 1
                    scores[cond][kind].append(result.score)
                    flags[cond][kind].append(result.accepted)
        scores["kiosk"] = tuple(scores["white"][k] + scores["babble"][k] for k in (0, 1))
        flags["kiosk"] = tuple(flags["white"][k] + flags["babble"][k] for k in (0, 1))
        for cond, suffix in (("clean", ""), ("kiosk", "_kiosk"), ("white", "_white"), ("babble", "_babble")):
            g, i = scores[cond]
            figures[f"voice_eer{suffix}"] = ve.eer(g, i)[0] if g and i else None
            fnmr, fmr = _rates(*flags[cond])
            figures[f"voice_fnmr{suffix}"], figures[f"voice_fmr{suffix}"] = fnmr, fmr
            figures[f"voice_genuine_trials{suffix}"], figures[f"voice_impostor_trials{suffix}"] = len(g), len(i)
        figures.update(self._attempt_figures())
        figures.update(self._snorm_reference())
        unusable: dict[str, int] = defaultdict(int)
        for cond in NOISY:
            for reason, count in self.unusable.get(cond, {}).items():
                unusable[reason] += count
        figures["voice_unusable_kiosk"] = dict(unusable)
        figures["voice_unusable_clean"] = dict(self.unusable.get("clean", {}))
        figures["voice_unusable"] = sum(unusable.values()) + sum(self.unusable.get("clean", {}).values())
        figures["voice_clips"] = sum(len(v) for v in self.clips.values())
        figures["voice_ms_p50"], figures["voice_ms_p95"] = _pct(list(self.verify_ms))
        figures["voice_counts"] = {"speakers": len(self.voices), "enrolled_speakers": len(self.enrolled),
                                   "templates": len(self.templates),
                                   "recordings": sum(len(c) for c in self.voices.values())}
        figures["voice_seconds_embedding"] = self.seconds
        return figures

    def _attempt_figures(self) -> dict[str, Any]:
        """Kiosk-condition attempts (first clip; a second fused one when the first fails)."""
        genuine, impostor, second_asked, fused_g, fused_i = [], [], [0, 0], [], []
        speakers = sorted(self.voices)
        for key, (claimed, _subset, _template) in self.templates.items():
            for speaker in speakers:
                for one, two in self.attempts(key, speaker):
                    accepted = one.accepted
                    if not accepted and two is not None:
                        second_asked[speaker != claimed] += 1
                        accepted = two.accepted
                    if two is not None and two.score is not None and two.utterances == 2:
                        (fused_g if speaker == claimed else fused_i).append(two.score)
                    (genuine if speaker == claimed else impostor).append(accepted)
        fnmr, fmr = _rates(genuine, impostor)
        return {"voice_fnmr_kiosk_attempt": fnmr, "voice_fmr_kiosk_attempt": fmr,
                "voice_genuine_attempts_kiosk": len(genuine), "voice_impostor_attempts_kiosk": len(impostor),
                "voice_second_utterance_share_genuine": second_asked[0] / len(genuine) if genuine else None,
                "voice_eer_kiosk_fused": ve.eer(fused_g, fused_i)[0] if fused_g and fused_i else None}

    def _snorm_reference(self) -> dict[str, Any]:
        """EERs of the earlier scoring (adaptive S-norm, folder cohort) on the same trials."""
        scored = ve.score_trials(self.engine, self.voices, self.embeddings, self.seed, TEMPLATES_PER_SPEAKER)
        out: dict[str, Any] = {"voice_snorm_cohort": int(len(scored["cohort"]))}
        for cond, suffix in (("clean", ""), ("kiosk", "_kiosk")):
            norm = scored["conditions"].get(cond, {}).get("norm")
            out[f"voice_eer{suffix}_snorm"] = (ve.eer(norm["genuine"], norm["impostor"])[0]
                                               if norm is not None and len(norm["genuine"]) else None)
        return out
