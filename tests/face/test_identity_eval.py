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
    labels = (shared / "voices" / "labels.csv").read_text(encoding="utf-8").splitlines()
    kept = [labels[0]] + [line for line in labels[1:] if line.split(",", 1)[0] in speakers]
    (voices / "labels.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
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


@pytest.mark.slow  # encodes ~25 photos and runs the other benches: about half a minute
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
    # each other part either measured something or says it is unavailable, with nulls
    if figures["voice_eer"] is None:
        assert "voice: UNAVAILABLE" in output
    if figures["system_far"] is None:
        assert figures["system_frr"] is None and figures["system_impostor_attempts"] is None
        assert "system: UNAVAILABLE" in output
    else:
        assert figures["system_impostor_attempts"] > 0
        assert figures["system_genuine_attempts"] > 0
        assert 0.0 <= figures["system_far"] <= 1.0 and 0.0 <= figures["system_frr"] <= 1.0


@pytest.mark.slow
def test_east_asian_figures_with_groups(shared_data, tmp_path):
    figures, output = run_eval(small_folder(shared_data, tmp_path / "data", with_groups=True, others=False))
    assert "voice: UNAVAILABLE (no voices/ folder)" in output
    assert figures["voice_eer"] is None and figures["system_far"] is None
    assert figures["liveness_apcer"] is None
    assert figures["face_eer_east_asian"] is not None
    assert figures["face_impostor_pairs_east_asian"] > 0
    assert figures["face_impostor_pairs_east_asian"] < figures["face_impostor_pairs"]


def face_trial(claimed: str, probe: str, matched: bool) -> dict:
    return {"claimed": claimed, "probe_identity": probe, "genuine": claimed == probe,
            "figure": 0.5 if matched else 1.0, "matched": matched}


def test_system_figures_follow_the_decision_rule():
    """Chimeric persons on synthetic trials: every attempt type counted and decided by
    kiosk.identity_policy.decide (face AND voice), liveness applied as a rate."""
    from bench.identity_eval import chimeric_persons, system_figures
    from kiosk.identity_policy import IdentityPolicy

    faces = ["A", "B", "C"]
    trials = [face_trial(c, p, c == p or (c, p) == ("A", "B")) for c in faces for p in faces]
    trials += [face_trial(c, "D", False) for c in faces]  # a single-photo identity
    speakers = ["s1", "s2", "s3"]
    voice = [{"claimed": c, "probe": p, "score": 0.9 if c == p else 0.2, "matched": None}
             for c in speakers for p in speakers + ["s4"]]
    persons = chimeric_persons(["A", "B", "C", "D"], {"A", "B", "C"}, speakers + ["s4"], set(speakers))
    assert sorted(p[0] for p in persons) == ["A", "B", "C", "D"]
    assert len({p[1] for p in persons}) == 4 and [p[2] for p in persons].count(True) == 3
    assert persons == chimeric_persons(["A", "B", "C", "D"], {"A", "B", "C"}, speakers + ["s4"],
                                       set(speakers))  # fixed seed
    policy = IdentityPolicy(face_threshold=0.84, voice_threshold=0.7)
    system = system_figures({"trials": trials}, voice, policy, bpcer=0.1)
    assert system["genuine_attempts"] == 3 and system["frr_face_voice"] == 0.0
    assert system["impostor_attempts"] == 9  # 3 claimable persons x 3 others
    assert system["far_face_voice"] == 0.0  # the voice refuses every zero-effort impostor
    assert system["far_face_only_impostor"] == pytest.approx(1 / 9)  # B's face passes as A
    assert system["far_voice_only_impostor"] == 0.0
    assert system["frr"] == pytest.approx(0.1)  # the liveness gate's BPCER
    assert system["genuine_reasons"] == {"accepted": 3}
