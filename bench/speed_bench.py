"""Face pipeline speed on this machine: `python bench/speed_bench.py [DATA_DIR]` (default ../shared/data).

Figures (ms are per call, p50/p95; fps = frames / wall time of the whole clip):
- tracking: `FaceTracker.update` on every frame of the real talking-head clips
  (DATA_DIR/liveness/live_video/*.mp4, 512x512 at 25 fps, scaled to 480x480 and centred
  on a grey 640x480 frame), alone and with an encoding every 4th frame (3 a second at
  12 fps); also the parts it was chosen from: window detection, dlib.correlation_tracker,
  5-point landmarks;
- the plain pipeline: `FaceEngine.observe` (HOG detection + encoding) on every frame;
- `FaceIndex.identify` / `verify` over 100,000 synthetic people. The templates are drawn
  from a Gaussian with the mean and covariance of real dlib encodings of DATA_DIR/faces
  (so norms and distances are dlib-like; without the photos, an isotropic Gaussian of the
  same overall scale), one template per person; probes are a person's template plus
  noise (1 and 3 frames);
- the first-use stall: the first `observe` of a fresh process, cold (models load on that
  call) and after `FaceEngine.warm_up()` finished; each in its own subprocess so that
  imports are really cold.
The machine is shared: the load average is printed with the figures. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(ROOT))

from bench.face_quality_bench import letterbox  # noqa: E402
from kiosk.face import _DLIB_LOCK, _LIBRARY, FaceEngine, FaceIndex  # noqa: E402
from kiosk.face_tracker import FaceTracker  # noqa: E402

ENCODE_EVERY = 4  # 3 encodings a second at 12 fps
INDEX_PEOPLE = 100_000


def _ms(values: list[float]) -> dict[str, float | int | None]:
    """p50/p95 in ms of a list of seconds."""
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    ms = np.asarray(values) * 1000.0
    return {"p50": round(float(np.percentile(ms, 50)), 2), "p95": round(float(np.percentile(ms, 95)), 2),
            "n": len(values)}


def clips(data_dir: Path) -> dict[str, list[np.ndarray]]:
    """Every frame of every live clip, letterboxed to 640x480."""
    out = {}
    for path in sorted((data_dir / "liveness" / "live_video").glob("*.mp4")):
        capture, frames = cv2.VideoCapture(str(path)), []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(letterbox(frame))
        capture.release()
        out[path.stem] = frames
    return out


def tracking(frames_by_clip: dict[str, list[np.ndarray]], engine: FaceEngine,
             encode_every: int = 0) -> dict[str, Any]:
    """Per-frame cost of FaceTracker.update (plus an encoding every `encode_every` frames)."""
    per_frame, encode_times, total, n, found = [], [], 0.0, 0, 0
    stats: dict[str, int] = {}
    for frames in frames_by_clip.values():
        tracker = FaceTracker(engine)
        started = time.perf_counter()
        for i, frame in enumerate(frames):
            t0 = time.perf_counter()
            tracked = tracker.update(frame, timestamp=i / 25.0)
            if tracked is not None and encode_every and i % encode_every == 0:
                t1 = time.perf_counter()
                tracker.encode(frame, tracked)
                encode_times.append(time.perf_counter() - t1)
            per_frame.append(time.perf_counter() - t0)
            found += tracked is not None
        total += time.perf_counter() - started
        n += len(frames)
        for key, value in tracker.stats.items():
            stats[key] = stats.get(key, 0) + value
    result = {"fps": round(n / total, 1), "frame_ms": _ms(per_frame), "frames": n,
              "frames_with_face": found, "stats": stats}
    if encode_every:
        result["encode_ms"] = _ms(encode_times)
    return result


def parts(frames: list[np.ndarray], engine: FaceEngine) -> dict[str, Any]:
    """What the tracker was chosen from, on one clip: window HOG vs correlation tracker."""
    api = _LIBRARY.get().api
    tracker = FaceTracker(engine)
    first = tracker.update(frames[0], 0.0)
    top, right, bottom, left = first.box
    greys = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
    times: dict[str, list[float]] = {"window_detection": [], "correlation_tracker": [],
                                     "landmarks_5": [], "full_detection_grey": [], "engine_detect": []}
    with _DLIB_LOCK:
        correlation = api.dlib.correlation_tracker()
        correlation.start_track(greys[0], api.dlib.rectangle(left, top, right, bottom))
    box = first.box
    for i, grey in enumerate(greys[1:80], start=1):
        t0 = time.perf_counter()
        found = tracker._detect_window(grey, box)  # noqa: SLF001 - measuring the part itself
        t1 = time.perf_counter()
        with _DLIB_LOCK:
            correlation.update(grey)
        t2 = time.perf_counter()
        tracker._landmarks(grey, box)  # noqa: SLF001
        t3 = time.perf_counter()
        times["window_detection"].append(t1 - t0)
        times["correlation_tracker"].append(t2 - t1)
        times["landmarks_5"].append(t3 - t2)
        box = found[0] if found else box
        if i % 4 == 0:
            t4 = time.perf_counter()
            tracker._detect_full(grey)  # noqa: SLF001
            t5 = time.perf_counter()
            engine.detect(frames[i])
            times["full_detection_grey"].append(t5 - t4)
            times["engine_detect"].append(time.perf_counter() - t5)
    return {name: _ms(values) for name, values in times.items()}


def plain_pipeline(frames_by_clip: dict[str, list[np.ndarray]], engine: FaceEngine,
                   per_clip: int = 50) -> dict[str, Any]:
    """FaceEngine.observe on every frame (the first `per_clip` of each clip)."""
    times = []
    for frames in frames_by_clip.values():
        for frame in frames[:per_clip]:
            t0 = time.perf_counter()
            engine.observe(frame)
            times.append(time.perf_counter() - t0)
    return {"fps": round(len(times) / sum(times), 2), "frame_ms": _ms(times)}


def synthetic_templates(data_dir: Path, engine: FaceEngine, n: int, seed: int = 0) -> tuple[np.ndarray, str]:
    """n dlib-like 128-d templates and how they were made."""
    rng = np.random.default_rng(seed)
    from bench.face_bench import list_faces, load_bgr  # noqa: PLC0415

    items, _ = list_faces(data_dir)
    real = []
    for _identity, path in items[::3]:
        seen = engine.observe(load_bgr(path))
        if seen is not None:
            real.append(seen.encoding)
    if len(real) >= 20:
        real = np.asarray(real)
        mean, cov = real.mean(axis=0), np.cov(real, rowvar=False)
        how = f"Gaussian with the mean and covariance of {len(real)} real dlib encodings of DATA_DIR/faces"
        return rng.multivariate_normal(mean, cov, size=n, method="eigh"), how
    how = "isotropic Gaussian, sd 0.13 per dimension (no face photos found)"
    return rng.normal(scale=0.13, size=(n, 128)), how


def index_speed(templates: np.ndarray, calls: int = 60, seed: int = 1) -> dict[str, Any]:
    """identify/verify ms over the roster, 1 and 3 probe frames."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    index = FaceIndex({i: [row] for i, row in enumerate(templates)})
    built = time.perf_counter() - t0
    out: dict[str, Any] = {"people": len(index), "build_s": round(built, 2)}
    for frames in (1, 3):
        times: dict[str, list[float]] = {"identify": [], "verify": []}
        for _ in range(calls):
            who = int(rng.integers(len(templates)))
            probes = [templates[who] + rng.normal(scale=0.02, size=128) for _ in range(frames)]
            for name, call in (("identify", lambda: index.identify(probes)),
                               ("verify", lambda: index.verify(who, probes))):
                t1 = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - t1)
        for name, values in times.items():
            out[f"{name}_{frames}frame_ms"] = _ms(values[1:])  # the first call pays page faults
    return out


_STALL = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import cv2
from bench.face_quality_bench import letterbox
from kiosk.face import FaceEngine
capture = cv2.VideoCapture({clip!r}); ok, frame = capture.read(); frame = letterbox(frame)
t1 = time.perf_counter()
engine = FaceEngine()
warm = None
if {warm}:
    w0 = time.perf_counter(); engine.warm_up().join(); warm = time.perf_counter() - w0
t2 = time.perf_counter(); first = engine.observe(frame); t3 = time.perf_counter()
engine.observe(frame); t4 = time.perf_counter()
print(json.dumps({{"imports_s": t1 - t0, "warm_up_s": warm, "first_observe_s": t3 - t2,
                  "second_observe_s": t4 - t3, "found": first is not None}}))
"""


def first_use(clip: Path) -> dict[str, Any]:
    """First observe() latency in a fresh process: cold, and after warm_up() finished."""
    out = {}
    for name, warm in (("cold", False), ("after_warm_up", True)):
        code = _STALL.format(root=str(ROOT), clip=str(clip), warm=warm)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        lines = done.stdout.strip().splitlines()
        out[name] = json.loads(lines[-1]) if done.returncode == 0 and lines else {"error": done.stderr[-500:]}
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the figures, then one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, nargs="?", default=ROOT.parent / "shared" / "data")
    parser.add_argument("--people", type=int, default=INDEX_PEOPLE)
    args = parser.parse_args(argv)
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    result: dict[str, Any] = {"load_average_start": [round(x, 2) for x in os.getloadavg()],
                              "cpus": os.cpu_count()}
    video = clips(args.data_dir)
    first_clip = next(iter(sorted((args.data_dir / "liveness" / "live_video").glob("*.mp4"))), None)
    if first_clip is not None:
        log("first-use stall (subprocesses)")
        result["first_use"] = first_use(first_clip)
    engine = FaceEngine()
    engine.warm_up().join()
    if video:
        log(f"tracking {sum(map(len, video.values()))} frames of {len(video)} clips")
        result["tracking"] = tracking(video, engine)
        result["tracking_with_encoding"] = tracking(video, engine, encode_every=ENCODE_EVERY)
        result["tracking_parts_ms"] = parts(next(iter(video.values())), engine)
        log("plain pipeline")
        result["plain_pipeline"] = plain_pipeline(video, engine)
    log(f"index over {args.people} synthetic people")
    templates, how = synthetic_templates(args.data_dir, engine, args.people)
    result["index"] = index_speed(templates) | {"templates": how}
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print_report(result)
    print(json.dumps(result))
    return 0


def print_report(r: dict[str, Any]) -> None:
    """The headline figures in words."""
    print(f"machine: {r['cpus']} cpus, load average {r['load_average_start']} -> {r['load_average_end']}")
    for key in ("tracking", "tracking_with_encoding"):
        if key in r:
            t = r[key]
            extra = f", encode ms {t['encode_ms']}" if "encode_ms" in t else ""
            print(f"{key}: {t['fps']} fps, frame ms {t['frame_ms']}, {t['frames_with_face']}/{t['frames']} "
                  f"frames with a face, {t['stats']}{extra}")
    for name, fig in (r.get("tracking_parts_ms") or {}).items():
        print(f"  part {name}: {fig}")
    if "plain_pipeline" in r:
        print(f"plain pipeline (detect + encode every frame): {r['plain_pipeline']}")
    idx = r["index"]
    print(f"index: {idx['people']} people ({idx['templates']}), built in {idx['build_s']} s")
    for key, fig in idx.items():
        if key.endswith("_ms"):
            print(f"  {key}: {fig}")
    for name, fig in (r.get("first_use") or {}).items():
        print(f"first use, {name}: {fig}")


if __name__ == "__main__":
    sys.exit(main())
