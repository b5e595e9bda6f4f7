"""bench/identity_eval.py on a small folder it has never seen (symlinks into the shared data)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.identity_eval import REQUIRED_KEYS

REPO = Path(__file__).resolve().parents[2]


def small_folder(shared: Path, root: Path, with_groups: bool, others: bool = True) -> Path:
    faces = root / "faces"
    faces.mkdir(parents=True)
    for who in ("Wen_Jiabao", "Zhu_Rongji", "Yoko_Ono", "Tony_Blair", "BBT_penny", "Kate_Siegel"):
        (faces / who).symlink_to(shared / "faces" / who, target_is_directory=True)
    if with_groups:
        (faces / "groups.csv").write_text(
            "identity,group\nWen_Jiabao,east_asian\nZhu_Rongji,east_asian\nYoko_Ono,east_asian\n"
            "Tony_Blair,other\nBBT_penny,other\nKate_Siegel,other\n", encoding="utf-8")
    if not others:
        return root
    voices = root / "voices"
    voices.mkdir()
    speakers = ("zh_fangjun", "zh_liudehua", "ls100_1040", "ls100_1069")
    for speaker in speakers:
        (voices / speaker).symlink_to(shared / "voices" / speaker, target_is_directory=True)
    # no labels.csv: the evaluation must find the recordings by the folder layout alone
    liveness = root / "liveness" / "spoof_print"
    liveness.mkdir(parents=True)
    for clip in (shared / "liveness" / "spoof_print").iterdir():
        (liveness / clip.name).symlink_to(clip)
    return root


def run_eval(folder: Path) -> tuple[dict, str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "identity_eval.py"), str(folder), "--timing-items", "3"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    return json.loads(last), done.stdout + done.stderr


@pytest.mark.slow  # encodes ~25 photos, embeds ~55 clips, one liveness attack: ~30-60 s
def test_unseen_folder_without_groups(shared_data, tmp_path):
    figures, output = run_eval(small_folder(shared_data, tmp_path / "data", with_groups=False))
    assert set(REQUIRED_KEYS) <= set(figures)
    assert figures["face_impostor_pairs"] > 0
    assert 0.0 <= figures["face_fnmr"] <= 1.0 and 0.0 <= figures["face_fmr"] <= 1.0
    assert figures["face_eer"] is not None
    # no groups.csv: group unknown, East Asian figures are null, never guessed
    for key in ("face_eer_east_asian", "face_fmr_east_asian", "face_fnmr_east_asian"):
        assert figures[key] is None
    # five enrolled identities: too few for a cohort, raw distances decide
    assert figures["face_decision_figure"] == "distance"
    assert figures["face_unusable"] == 0
    # voices without labels.csv: measured all the same, with the shipped policy
    assert figures["voice_eer"] is not None and figures["voice_eer_kiosk"] is not None
    assert figures["policy"]["voice"]["tries"] >= 1 and figures["voice_scoring"] in ("cosine", "snorm")
    assert figures["system_impostor_attempts"] > 0 and figures["system_genuine_attempts"] > 0
    assert 0.0 <= figures["system_far"] <= 1.0 and 0.0 <= figures["system_frr"] <= 1.0
    assert figures["voice_ms_p50"] > 0 and figures["face_ms_p50"] > 0
    # the liveness folder holds only a print attack: APCER measured, BPCER not measurable
    assert figures["liveness_apcer"] is not None and figures["liveness_bpcer"] is None


@pytest.mark.slow
def test_east_asian_figures_with_groups(shared_data, tmp_path):
    figures, output = run_eval(small_folder(shared_data, tmp_path / "data", with_groups=True, others=False))
    assert "voice: UNAVAILABLE (no voices/ folder)" in output
    assert figures["voice_eer"] is None and figures["system_far"] is None
    assert figures["liveness_apcer"] is None
    assert figures["face_eer_east_asian"] is not None
    assert figures["face_impostor_pairs_east_asian"] > 0
    assert figures["face_impostor_pairs_east_asian"] < figures["face_impostor_pairs"]


def face_trial(claimed: str, probe: str, matched: bool, figure: float | None = None) -> dict:
    return {"claimed": claimed, "probe_identity": probe, "genuine": claimed == probe,
            "figure": figure if figure is not None else (0.5 if matched else 1.0), "ratio": 0.5,
            "matched": matched}


def voice_result(score: float | None, threshold: float = 0.7, utterances: int = 1):
    from kiosk.voice import VoiceResult

    if score is None:
        return VoiceResult(None, False, "no_speech", threshold, utterances=0)
    accepted = score >= threshold
    return VoiceResult(score, accepted, "match" if accepted else "mismatch", threshold, score,
                       utterances=utterances)


def test_system_figures_follow_the_decision_rule():
    """Chimeric persons on synthetic trials: every attempt type counted and decided by
    kiosk.identity_policy.decide (face AND voice, a second utterance when the first fails),
    liveness applied as a rate."""
    from bench.identity_eval import chimeric_persons, system_figures
    from kiosk.identity_policy import IdentityPolicy

    faces = ["A", "B", "C"]
    trials = [face_trial(c, p, c == p or (c, p) == ("A", "B")) for c in faces for p in faces]
    trials += [face_trial(c, "D", False) for c in faces]  # a single-photo identity
    speakers = ["s1", "s2", "s3"]

    def attempts(claimed: str, probe: str) -> list:
        if claimed == probe:  # the genuine speaker: one clean pass, one pass at the second try
            return [(voice_result(0.9), voice_result(0.9, utterances=2)),
                    (voice_result(0.6), voice_result(0.8, utterances=2))]
        return [(voice_result(0.2), voice_result(0.3, utterances=2))]

    persons = chimeric_persons(["A", "B", "C", "D"], {"A", "B", "C"}, speakers + ["s4"], set(speakers))
    assert sorted(p[0] for p in persons) == ["A", "B", "C", "D"]
    assert len({p[1] for p in persons}) == 4 and [p[2] for p in persons].count(True) == 3
    assert persons == chimeric_persons(["A", "B", "C", "D"], {"A", "B", "C"}, speakers + ["s4"],
                                       set(speakers))  # fixed seed
    policy = IdentityPolicy(face_threshold=0.84, voice_tries=2)
    system = system_figures(trials, attempts, set(speakers), speakers + ["s4"], policy, bpcer=0.1)
    assert system["genuine_attempts"] == 6 and system["frr_face_voice"] == 0.0
    assert system["genuine_second_utterance"] == 3  # counted within the same attempt
    assert system["impostor_attempts"] == 9  # 3 claimable persons x 3 others
    assert system["far_face_voice"] == 0.0  # the voice refuses every zero-effort impostor
    assert system["far_face_only_impostor"] == pytest.approx(2 / 18)  # B's face passes as A
    assert system["far_voice_only_impostor"] == 0.0
    assert system["frr"] == pytest.approx(0.1)  # the liveness gate's BPCER
    assert system["genuine_reasons"] == {"accepted": 6}
    one_try = system_figures(trials, attempts, set(speakers), speakers + ["s4"],
                             IdentityPolicy(face_threshold=0.84, voice_tries=1), bpcer=None)
    assert one_try["frr"] == pytest.approx(0.5) and one_try["genuine_second_utterance"] == 0
    assert one_try["genuine_reasons"] == {"accepted": 3, "voice_mismatch": 3}
