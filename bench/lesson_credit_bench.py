"""Lesson credit on the real clips: cost of one silent face check, distances, and the
time each clip earns for each enrolled person (docs/LESSON_CREDIT.md).

    PYTHONPATH=. python bench/lesson_credit_bench.py [DATA_DIR] [--every 1.0]

Each talking-head clip's speaker is enrolled from two of its frames (0 s and 4 s, as the
tests do); every clip is then replayed as a lesson, one face check every ``--every``
seconds of clip, through the real rule (kiosk.lesson_credit, absent checks to pause = 2).
"""
from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

import cv2

from kiosk.face import FaceEngine
from kiosk.lesson_credit import CreditPolicy, CreditRule
from kiosk.lesson_watch import DEFAULT_MAX_DISTANCE, FaceCheck

LIVE = ["live_video/WDA_KatieHill_000.mp4", "live_video/WDA_EdMarkey0_000.mp4",
        "live_video/WDA_AlexandriaOcasioCortez_000.mp4", "live_video/RD_Radio2_000.mp4"]
CUTS = "live_video_scene_cuts/short_hamilton_clip.mp4"


def frames(path: Path, every_s: float) -> list:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    step, out, index = max(1, round(fps * every_s)), [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            out.append((index / fps, frame))
        index += 1
    cap.release()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=os.environ.get(
        "KIOSK_SHARED_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data")))
    parser.add_argument("--every", type=float, default=1.0)
    args = parser.parse_args()
    root = Path(args.data) / "liveness"
    engine = FaceEngine()
    engine.warm_up().join()
    clips = {name: frames(root / name, args.every) for name in LIVE + [CUTS]}
    with_face, without_face = [], []
    print(f"threshold {DEFAULT_MAX_DISTANCE}, one check every {args.every} s of clip")
    print("enrolled \\ clip: credited s / clip s (verdicts p=present a=absent o=other; distances)")
    for enrolled in LIVE:
        enrol = [f for t, f in frames(root / enrolled, 4.0)][:2]
        check = FaceCheck(engine, engine.enrol(enrol))
        for name, clip in clips.items():
            rule = CreditRule(CreditPolicy(absent_checks_to_pause=2))
            verdicts, distances = [], []
            for t, frame in clip:
                result = check.check(frame)
                (with_face if result.distance is not None else without_face).append(result.cost_s)
                rule.check(t, t, result.seen)
                verdicts.append(result.seen.value[0])
                if result.distance is not None:
                    distances.append(result.distance)
            span = f"{min(distances):.2f}-{max(distances):.2f}" if distances else "-"
            print(f"  {Path(enrolled).stem[:18]:18} {Path(name).stem[:22]:22} "
                  f"{rule.state.credited_s:5.1f} / {clip[-1][0]:4.1f}  {''.join(verdicts)}  d {span}")

    def ms(values):
        values = sorted(values)
        return (f"median {1000 * statistics.median(values):.0f} ms, "
                f"p90 {1000 * values[int(0.9 * (len(values) - 1))]:.0f} ms, n={len(values)}")

    print("one check, a face found (detect 320 px + encode):", ms(with_face))
    print("one check, no face found (detect only):", ms(without_face))
    east_asian(engine, Path(args.data) / "faces")


EAST_ASIAN = ["Jiang_Zemin", "Wen_Jiabao", "Zhu_Rongji", "Li_Peng", "Yao_Ming", "Zhang_Ziyi",
              "Vicki_Zhao_Wei", "Wang_Yingfan", "Wang_Yi", "Jia_Qinglin", "Gao_Qiang",
              "Chen_Liang_Yu", "Tung_Chee-hwa", "Chen_Shui-bian", "Michelle_Yeoh",
              "Junichiro_Koizumi", "Hideki_Matsui", "Yoko_Ono", "Roh_Moo-hyun", "Kim_Ryong-sung",
              "Lee_Hoi-chang", "Kim_Jong-Il", "Lee_Soo-hyuck", "Kwon_Yang-sook", "Kim_Yong-il"]


def east_asian(engine, faces: Path) -> None:
    """Same check on photos: the harder case (DESIGN.md: dlib separates East Asian faces
    worse). Template: centroid of a person's first two photos; genuine: their other
    photos; impostor: every photo of the other East Asian identities."""
    import numpy as np

    from devices.camera_file import load_image_bgr

    encodings = {}
    for name in EAST_ASIAN:
        paths = sorted((faces / name).glob("*.jpg"), key=lambda p: int(p.stem))
        found = [engine.observe(load_image_bgr(p), flip=False) for p in paths]
        encodings[name] = [o.encoding for o in found if o is not None]
    genuine, impostor = [], []
    for name, encs in encodings.items():
        if len(encs) < 3:
            continue
        centroid = np.mean(encs[:2], axis=0)
        genuine += [float(np.linalg.norm(e - centroid)) for e in encs[2:]]
        for other, others in encodings.items():
            if other != name:
                impostor += [float(np.linalg.norm(e - centroid)) for e in others]
    print(f"East Asian photos: {len(genuine)} genuine, {len(impostor)} impostor probes")
    for threshold in (0.40, 0.45, 0.50, 0.55):
        frr = sum(d > threshold for d in genuine) / len(genuine)
        far = sum(d <= threshold for d in impostor) / len(impostor)
        print(f"  threshold {threshold:.2f}: same person counted absent/other {100 * frr:.1f} %, "
              f"another person counted present {100 * far:.2f} %")


if __name__ == "__main__":
    main()
