"""Quality-gate calibration figures: `python bench/face_bench.py DATA_DIR --quality` (or this file).

Every photo of DATA_DIR/faces is placed on a 640x480 grey canvas with its face 140 px
wide and centred (a person about 50 cm from a 640x480 webcam; the LFW thumbnails' 52-69
px faces are upscaled), then degraded synthetically. Each canvas goes through what the
kiosk does: HOG detection (FaceEngine.detect), dlib's 5 points, `face_quality.assess`.
Per condition the report gives how many faces were detected, how many passed the gate,
and how many got the expected hint. Frames of the real talking-head clips
(DATA_DIR/liveness/live_video) are scored too: real, still, frontal people should pass.
`--recognition N` also encodes the first photo of N identities in every condition and
reports the rise of the genuine distance to the identity's other photos, which is what
the thresholds trade against.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.face_bench import list_faces, load_bgr  # noqa: E402
from kiosk import face_quality as fq  # noqa: E402
from kiosk.face import FaceEngine, _choose_face  # noqa: E402

CANVAS_W, CANVAS_H = 640, 480
KIOSK_FACE_PX = 140


def place(image: np.ndarray, box: tuple, width: float, *, cx: float = CANVAS_W / 2,
          cy: float = CANVAS_H / 2, angle: float = 0.0) -> np.ndarray:
    """`image` scaled so the face in `box` is `width` px wide, centred at (cx, cy), rolled by
    `angle` degrees, on a grey 640x480 canvas."""
    top, right, bottom, left = box
    scale = width / max(1, right - left)
    fx, fy = (left + right) / 2.0, (top + bottom) / 2.0
    matrix = cv2.getRotationMatrix2D((fx, fy), angle, scale)
    matrix[0, 2] += cx - fx
    matrix[1, 2] += cy - fy
    flags = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.warpAffine(image, matrix, (CANVAS_W, CANVAS_H), flags=flags,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))


def gain(frame: np.ndarray, factor: float) -> np.ndarray:
    """Exposure change: every level times `factor`, clipped (over-exposure saturates)."""
    return np.clip(frame.astype(np.float32) * factor, 0, 255).astype(np.uint8)


def smear(frame: np.ndarray, length: int, angle: float = 0.0) -> np.ndarray:
    """Linear motion blur of `length` px in direction `angle` (degrees)."""
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    if angle:
        centre = (length / 2 - 0.5, length / 2 - 0.5)
        kernel = cv2.warpAffine(kernel, cv2.getRotationMatrix2D(centre, angle, 1.0), (length, length))
    return cv2.filter2D(frame, -1, kernel / kernel.sum())


Condition = tuple[str | None, Callable[[np.ndarray, tuple], np.ndarray]]
K = KIOSK_FACE_PX
# name -> (expected hint, canvas maker); None = should pass; "info" conditions expect nothing.
CONDITIONS: dict[str, Condition] = {
    "clean_140px": (None, lambda im, b: place(im, b, K)),
    "clean_100px": (None, lambda im, b: place(im, b, 100)),
    "clean_200px": (None, lambda im, b: place(im, b, 200)),
    "far_70px": (fq.HINT_CLOSER, lambda im, b: place(im, b, 70)),
    "far_60px": (fq.HINT_CLOSER, lambda im, b: place(im, b, 60)),
    "dark_x0.3": (fq.HINT_TOO_DARK, lambda im, b: gain(place(im, b, K), 0.3)),
    "dark_x0.2": (fq.HINT_TOO_DARK, lambda im, b: gain(place(im, b, K), 0.2)),
    "bright_x2.0": (fq.HINT_TOO_BRIGHT, lambda im, b: gain(place(im, b, K), 2.0)),
    "bright_x2.5": (fq.HINT_TOO_BRIGHT, lambda im, b: gain(place(im, b, K), 2.5)),
    "gauss_3px": (fq.HINT_HOLD_STILL, lambda im, b: cv2.GaussianBlur(place(im, b, K), (0, 0), 3)),
    "motion_15px_h": (fq.HINT_HOLD_STILL, lambda im, b: smear(place(im, b, K), 15)),
    "motion_15px_v": (fq.HINT_HOLD_STILL, lambda im, b: smear(place(im, b, K), 15, 90)),
    "shifted_x": (fq.HINT_FACE_SCREEN, lambda im, b: place(im, b, K, cx=CANVAS_W * 0.875)),
    "shifted_y": (fq.HINT_FACE_SCREEN, lambda im, b: place(im, b, K, cy=CANVAS_H * 0.88)),
    "rolled_35deg": (fq.HINT_FACE_SCREEN, lambda im, b: place(im, b, K, angle=35)),
    # milder versions: no expected hint, reported to show where the lines fall
    "info_dark_x0.5": ("info", lambda im, b: gain(place(im, b, K), 0.5)),
    "info_bright_x1.5": ("info", lambda im, b: gain(place(im, b, K), 1.5)),
    "info_gauss_2px": ("info", lambda im, b: cv2.GaussianBlur(place(im, b, K), (0, 0), 2)),
    "info_motion_9px_h": ("info", lambda im, b: smear(place(im, b, K), 9)),
    "info_rolled_20deg": ("info", lambda im, b: place(im, b, K, angle=20)),
}


def _clip_frames(data_dir: Path, every: int = 10) -> dict[str, list[np.ndarray]]:
    """Every `every`-th frame of the live clips, scaled to 480 px high on a 640x480 canvas."""
    clips = {}
    for path in sorted((data_dir / "liveness" / "live_video").glob("*.mp4")):
        capture, frames, n = cv2.VideoCapture(str(path)), [], 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if n % every == 0:
                frames.append(letterbox(frame))
            n += 1
        capture.release()
        clips[path.stem] = frames
    return clips


def letterbox(frame: np.ndarray) -> np.ndarray:
    """A frame scaled to fit 640x480 and centred on grey (the 512x512 clips become 480x480)."""
    h, w = frame.shape[:2]
    scale = min(CANVAS_W / w, CANVAS_H / h)
    size = (round(w * scale), round(h * scale))
    resized = cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.full((CANVAS_H, CANVAS_W, 3), 128, np.uint8)
    y0, x0 = (CANVAS_H - size[1]) // 2, (CANVAS_W - size[0]) // 2
    canvas[y0 : y0 + size[1], x0 : x0 + size[0]] = resized
    return canvas


def _gate(engine: FaceEngine, frame: np.ndarray) -> fq.QualityVerdict | None:
    """What the kiosk would say about this frame (None: no face detected)."""
    boxes = engine.detect(frame)
    if not boxes:
        return None
    return fq.assess(frame, _choose_face(boxes, frame.shape[1], frame.shape[0]))


def quality_scores(data_dir: str | Path, *, recognition: int = 0, engine: FaceEngine | None = None,
                   log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Pass and hint rates per condition (and genuine-distance rises with `recognition`)."""
    data_dir = Path(data_dir)
    engine = engine or FaceEngine()
    items, _groups = list_faces(data_dir)
    tallies: dict[str, Counter] = defaultdict(Counter)
    figures: dict[str, list[dict]] = defaultdict(list)
    natives, failures = [], []
    for n, (identity, path) in enumerate(items):
        image = load_bgr(path)
        boxes = engine.detect(image)
        if not boxes:
            continue
        box = _choose_face(boxes, image.shape[1], image.shape[0])
        natives.append(box[1] - box[3])
        for name, (expected, make) in CONDITIONS.items():
            found = _gate(engine, make(image, box))
            tally = tallies[name]
            tally["photos"] += 1
            if found is None:
                continue
            tally["detected"] += 1
            tally["passed"] += found.ok
            tally[f"hint:{found.hint}"] += 1
            tally["expected"] += expected not in ("info",) and found.hint == expected
            figures[name].append(found.figures)
            if name == "clean_140px" and not found.ok:
                failures.append({"photo": f"{identity}/{path.name}", "hint": found.hint})
        if (n + 1) % 50 == 0:
            log(f"  quality: {n + 1}/{len(items)} photos")
    out: dict[str, Any] = {"conditions": {}, "native_face_px": _spread(natives),
                           "clean_failures": failures, "clips": {}}
    for name, tally in tallies.items():
        expected = CONDITIONS[name][0]
        det = max(1, tally["detected"])
        out["conditions"][name] = {
            "expected": expected, "photos": tally["photos"], "detected": tally["detected"],
            "pass_rate": round(tally["passed"] / det, 4),
            "expected_rate": None if expected in (None, "info") else round(tally["expected"] / det, 4),
            "hints": {k[5:]: v for k, v in sorted(tally.items()) if k.startswith("hint:")},
            "figures": {k: _spread([f[k] for f in figures[name] if k in f])
                        for k in ("face_width", "brightness", "highlight", "saturated",
                                  "sharpness_x", "sharpness_y", "yaw", "pitch", "roll")},
        }
    for clip, frames in _clip_frames(data_dir).items():
        verdicts = [_gate(engine, f) for f in frames]
        seen = [v for v in verdicts if v is not None]
        out["clips"][clip] = {"frames": len(frames), "detected": len(seen),
                              "pass_rate": round(sum(v.ok for v in seen) / max(1, len(seen)), 4),
                              "hints": dict(Counter(v.hint for v in seen if not v.ok))}
    if recognition:
        out["recognition"] = _recognition(items, engine, recognition)
    return out


def _spread(values: list[float]) -> dict[str, float] | None:
    """min / p5 / p50 / p95 / max of a list."""
    if not values:
        return None
    q = np.percentile(values, [0, 5, 50, 95, 100])
    return dict(zip(("min", "p5", "p50", "p95", "max"), (round(float(x), 3) for x in q)))


def _recognition(items: list, engine: FaceEngine, identities: int) -> dict[str, Any]:
    """Mean and p90 rise of the genuine distance per condition (probe: an identity's first
    photo; template: mean of the mirrored-view encodings of its next three photos)."""
    by_identity: dict[str, list[Path]] = defaultdict(list)
    for identity, path in items:
        by_identity[identity].append(path)
    rises: dict[str, list[float]] = defaultdict(list)
    for identity, paths in [(i, p) for i, p in by_identity.items() if len(p) >= 3][:identities]:
        refs = [engine.observe(load_bgr(p), flip=True) for p in paths[1:4]]
        centre = np.mean([r.encoding for r in refs if r is not None], axis=0)
        image = load_bgr(paths[0])
        box = _choose_face(engine.detect(image), image.shape[1], image.shape[0])
        base = None
        for name, (_expected, make) in CONDITIONS.items():
            seen = engine.observe(make(image, box))
            if seen is None:
                continue
            distance = float(np.linalg.norm(seen.encoding - centre))
            base = distance if name == "clean_140px" else base
            if base is not None:
                rises[name].append(distance - base)
    return {name: {"n": len(v), "mean": round(float(np.mean(v)), 4),
                   "p90": round(float(np.percentile(v, 90)), 4)} for name, v in rises.items()}


def print_quality(scores: dict[str, Any], out=sys.stdout) -> None:
    """Human-readable table of quality_scores()."""
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"native face widths of the photos (px): {scores['native_face_px']}")
    p(f"{'condition':20s} {'expect':22s} {'det':>8s} {'pass':>7s} {'expected':>9s}  hints")
    for name, c in scores["conditions"].items():
        exp = "-" if c["expected_rate"] is None else f"{c['expected_rate']:.1%}"
        p(f"{name:20s} {str(c['expected']):22s} {c['detected']:>3d}/{c['photos']:<4d} "
          f"{c['pass_rate']:>7.1%} {exp:>9s}  {c['hints']}")
    for failure in scores["clean_failures"]:
        p(f"  clean photo refused: {failure['photo']} ({failure['hint']})")
    for clip, c in scores["clips"].items():
        p(f"clip {clip}: {c['detected']}/{c['frames']} frames with a face, "
          f"pass {c['pass_rate']:.1%} {c['hints']}")
    for name, r in (scores.get("recognition") or {}).items():
        p(f"genuine distance rise {name:20s} mean {r['mean']:+.3f}  p90 {r['p90']:+.3f}  (n={r['n']})")


def main(argv: list[str] | None = None) -> int:
    """CLI: the table, then one JSON line of pass/expected rates per condition."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--recognition", type=int, default=0, metavar="N",
                        help="also measure genuine-distance rises on N identities (slow)")
    args = parser.parse_args(argv)
    scores = quality_scores(args.data_dir, recognition=args.recognition,
                            log=lambda m: print(m, file=sys.stderr))
    print_quality(scores)
    print(json.dumps({name: {"pass": c["pass_rate"], "expected": c["expected_rate"]}
                      for name, c in scores["conditions"].items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
