"""Face matching figures on a data folder: `python bench/face_bench.py DATA_DIR [--calibrate]`.

`--quality` prints the quality-gate calibration instead (bench/face_quality_bench.py);
the trial protocol's code is in bench/face_protocol.py, speed figures in
bench/speed_bench.py.

Reads `DATA_DIR/faces/<identity>/<n>.{jpg,jpeg,png}` (and `faces/groups.csv` with
columns identity,group when present; without it the East Asian figures are null).

Protocol (the kiosk's): every identity with at least two usable images is enrolled
from `enrol_images` of them (at most n-1; their mirrored-view templates, as
`FaceEngine.enrol` makes them) and probed with each remaining image, one photo per
probe, plain view (as `FaceEngine.observe` makes it). The enrolment window is
rotated through each identity's images (rotation r starts at image r), so every
image is a probe in some rotation; genuine trials come from all rotations, impostor
trials from rotation 0 only (every image of every other identity, single-image
identities included, against each enrolled person), so no impostor pair is counted
twice. The roster of a rotation is every enrolled identity; the cohort of a trial is
the roster without the claimed person and without the probe's own identity (the
harder case of an impostor who is not enrolled).

The figure that decides is `FaceIndex.verify`'s: the cohort ratio when the roster is
large enough (`FaceIndex.has_cohort` minus the excluded probe identity), else the raw
distance. "East Asian" figures use only trials where the claimed person and the probe
are both East Asian. The "baseline" figures are the engine before this work: plain
single-view templates and the raw centroid distance.

`face_scores()` returns everything as a dict (bench/identity_eval.py reuses it).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.face_protocol import (  # noqa: E402,F401 - re-exported for older callers
    LEGACY_THRESHOLD,
    cross_validate,
    equal_error,
    error_rates,
    fnmr_at_zero_fmr,
    run_trials,
    summarise,
)
from kiosk import face as face_mod  # noqa: E402
from kiosk.face import FaceEngine, FaceIndex, _choose_face  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
CANVAS_W, CANVAS_H = 640, 480

_LOG = logging.getLogger("face_bench")


# ----------------------------------------------------------------------------- data


def _natural_key(path: Path) -> tuple:
    stem = path.stem
    return (0, int(stem), "") if stem.isdigit() else (1, 0, stem)


def list_faces(data_dir: Path) -> tuple[list[tuple[str, Path]], dict[str, str] | None]:
    """(identity, path) of every image, in a stable order, and the groups if known."""
    root = Path(data_dir) / "faces"
    items: list[tuple[str, Path]] = []
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
            items.extend((folder.name, p) for p in sorted(files, key=_natural_key))
    groups = None
    groups_file = root / "groups.csv"
    if groups_file.is_file():
        with open(groups_file, newline="", encoding="utf-8") as handle:
            groups = {row["identity"]: row["group"] for row in csv.DictReader(handle)}
    return items, groups


def load_bgr(path: Path) -> np.ndarray:
    """Decode with EXIF orientation (the kiosk's own loader)."""
    from devices.camera_file import load_image_bgr  # noqa: PLC0415

    return load_image_bgr(path)


def on_canvas(frame: np.ndarray, width: int = CANVAS_W, height: int = CANVAS_H) -> np.ndarray:
    """The image scaled to fit a width x height grey canvas (small images upscaled)."""
    import cv2  # noqa: PLC0415

    h, w = frame.shape[:2]
    scale = min(width / w, height / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 128, dtype=np.uint8)
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    canvas[top : top + size[1], left : left + size[0]] = resized
    return canvas


# ----------------------------------------------------------------------------- timing


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95 in ms of a list of seconds."""
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    ms = np.asarray(values) * 1000.0
    return {"p50": round(float(np.percentile(ms, 50)), 1), "p95": round(float(np.percentile(ms, 95)), 1),
            "n": len(values)}


# ----------------------------------------------------------------------------- encode


def encode_items(items: list[tuple[str, Path]], engine: FaceEngine,
                 log: Callable[[str], None] = lambda _m: None) -> dict[int, dict[str, Any]]:
    """Plain and mirrored-view encodings of the chosen face of every item (None: no face)."""
    out: dict[int, dict[str, Any]] = {}
    for i, (identity, path) in enumerate(items):
        try:
            frame = load_bgr(path)
        except Exception as exc:  # an unreadable file counts as unusable
            _LOG.warning("cannot read %s: %s", path, exc)
            out[i] = None
            continue
        observation = engine.observe(frame, flip=True)
        if observation is None:
            out[i] = None
            continue
        plain, mirrored = observation.views
        out[i] = {"plain": plain, "flip": observation.encoding, "quality": observation.quality}
        if (i + 1) % 50 == 0:
            log(f"  encoded {i + 1}/{len(items)} face images")
    return out


def time_stages(items: list[tuple[str, Path]], engine: FaceEngine, index: FaceIndex | None,
                limit: int) -> dict[str, dict[str, float | None]]:
    """ms per stage on 640x480 canvases of up to `limit` images (spread over the folder)."""
    stages: dict[str, list[float]] = defaultdict(list)
    if not items or limit <= 0:
        return {}
    chosen = np.linspace(0, len(items) - 1, num=min(limit, len(items))).round().astype(int)
    for n, i in enumerate(sorted(set(chosen.tolist()))):
        try:
            canvas = on_canvas(load_bgr(items[i][1]))
        except Exception:
            continue
        t0 = time.perf_counter()
        boxes = engine.detect(canvas)
        t1 = time.perf_counter()
        if not boxes:
            continue
        box = _choose_face(boxes, CANVAS_W, CANVAS_H)
        rgb = np.ascontiguousarray(canvas[:, :, ::-1])
        t2 = time.perf_counter()
        encoding, _ = engine.encode(rgb, box, flip=False)
        t3 = time.perf_counter()
        engine.encode(rgb, box, flip=True)
        t4 = time.perf_counter()
        if n == 0:  # the first call pays one-off costs; not a kiosk-frame figure
            continue
        stages["detect"].append(t1 - t0)
        stages["encode"].append(t3 - t2)
        stages["encode_mirrored_extra"].append(max(0.0, (t4 - t3) - (t3 - t2)))
        stages["observe_total"].append((t1 - t0) + (t3 - t2))
        if index is not None and len(index) and encoding is not None:
            t5 = time.perf_counter()
            index.verify(index.person_ids[0], [encoding])
            t6 = time.perf_counter()
            index.identify([encoding])
            t7 = time.perf_counter()
            stages["verify_1to1"].append(t6 - t5)
            stages["identify_1toN"].append(t7 - t6)
    return {name: percentiles(values) for name, values in stages.items()}


# ----------------------------------------------------------------------------- entry


def face_scores(
    data_dir: str | Path,
    *,
    enrol_images: int = 3,
    timing_items: int = 30,
    calibrate: bool = False,
    cohort_k: int = face_mod.DEFAULT_COHORT_K,
    engine: FaceEngine | None = None,
    cache: str | Path | None = None,
    probe_flip: bool = False,
    log: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Every face figure of the folder as a dict (rates as fractions; None = not measurable).

    Keys: items, identities, unusable, unusable_items, mode, operating_point, overall,
    east_asian (None without groups.csv or East Asian pairs), identification (1:N),
    timing_ms (per stage p50/p95 on 640x480 canvases), cross_validation (when
    `calibrate`), trials (every 1:1 trial, for the system evaluation).
    `cache` (a pickle file) keeps the encodings between runs on the same folder.
    `probe_flip` probes with the two-view encoding too (FaceEngine(flip=True)).
    """
    data_dir = Path(data_dir)
    items, groups = list_faces(data_dir)
    engine = engine or FaceEngine()
    log(f"face: {len(items)} images of {len({i for i, _ in items})} identities")
    started = time.perf_counter()
    cache_path = Path(cache) if cache else None
    key = [str(p) for _i, p in items]
    encodings = None
    if cache_path and cache_path.is_file():
        import pickle  # noqa: PLC0415 - a developer's own cache file

        with open(cache_path, "rb") as handle:
            stored = pickle.load(handle)  # noqa: S301
        if stored.get("key") == key:
            encodings = stored["encodings"]
    if encodings is None:
        encodings = encode_items(items, engine, log)
        if cache_path:
            import pickle  # noqa: PLC0415

            with open(cache_path, "wb") as handle:
                pickle.dump({"key": key, "encodings": encodings}, handle)
    log(f"face: encoded in {time.perf_counter() - started:.0f} s")
    unusable = [str(items[i][1].relative_to(data_dir)) for i, e in encodings.items() if e is None]
    trials, identification, roster_index = run_trials(items, encodings, enrol_images, cohort_k,
                                                        "flip" if probe_flip else "plain")
    probe_template = FaceIndex({}, cohort_k=cohort_k)
    modes = {t["ratio"] is not None for t in trials}
    mode = "cohort_ratio" if modes == {True} else "distance" if modes == {False} else "mixed"

    def is_ea(t: dict) -> bool:
        return groups.get(t["claimed"]) == "east_asian" and groups.get(t["probe_identity"]) == "east_asian"

    overall = summarise(trials)
    east_asian = None
    if groups:
        east_asian = summarise(trials, is_ea)
        if not east_asian["genuine_pairs"] or not east_asian["impostor_pairs"]:
            east_asian = None
    enrolled = {t["claimed"] for t in trials}
    timing = time_stages(items, engine, roster_index, timing_items)
    result: dict[str, Any] = {
        "items": len(items),
        "identities": len({i for i, _ in items}),
        "enrolled_identities": len(enrolled),
        "groups_known": groups is not None,
        "unusable": len(unusable),
        "unusable_items": unusable,
        "mode": mode,
        "operating_point": {"verify_ratio": probe_template.verify_ratio,
                            "verify_distance": probe_template.verify_distance,
                            "cohort_k": cohort_k, "cohort_fraction": probe_template.cohort_fraction,
                            "min_cohort": probe_template.min_cohort, "enrol_images": enrol_images,
                            "identify": {"threshold": probe_template.threshold,
                                         "margin": probe_template.margin,
                                         "ratio": probe_template.identify_ratio}},
        "overall": overall,
        "east_asian": east_asian,
        "identification": identification,
        "timing_ms": timing,
        "trials": trials,
    }
    if calibrate:
        identities = sorted({t["claimed"] for t in trials} | {t["probe_identity"] for t in trials})
        result["cross_validation"] = cross_validate(trials, identities, groups)
    return result


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def print_report(scores: dict[str, Any], out=sys.stdout) -> None:
    """Human-readable summary of face_scores()."""
    p = lambda *a: print(*a, file=out)  # noqa: E731
    op = scores["operating_point"]
    p(f"face items: {scores['items']} images, {scores['identities']} identities, "
      f"{scores['enrolled_identities']} enrolled; unusable (no face found): {scores['unusable']}")
    for item in scores["unusable_items"]:
        p(f"  unusable: {item}")
    p(f"decision figure: {scores['mode']} (verify ratio <= {op['verify_ratio']}, "
      f"else distance <= {op['verify_distance']}; cohort: nearest {op['cohort_fraction']:.0%} of the others, at least {op['cohort_k']}; "
      f"enrolment from up to {op['enrol_images']} images, mirrored-view templates)")
    for name in ("overall", "east_asian"):
        s = scores[name]
        if s is None:
            p(f"{name}: not measurable (no groups.csv or no such pairs)")
            continue
        p(f"{name}: FNMR {_pct(s['fnmr'])}  FMR {_pct(s['fmr'])} ({s['false_matches']} of "
          f"{s['impostor_pairs']} impostor pairs; {s['genuine_pairs']} genuine)  EER {_pct(s['eer'])} "
          f"(at {s['eer_threshold'] if s['eer_threshold'] is None else round(s['eer_threshold'], 3)})  "
          f"FNMR@FMR=0 {_pct(s['fnmr_at_fmr0'])}")
        b = s["baseline"]
        p(f"  baseline (plain templates, raw distance): EER {_pct(b['eer'])}  FNMR@FMR=0 "
          f"{_pct(b['fnmr_at_fmr0'])}  at 0.30: FNMR {_pct(b['fnmr_at_0.30'])} FMR {_pct(b['fmr_at_0.30'])}")
    ident = scores["identification"]
    if ident["genuine_probes"]:
        p(f"1:N proposal: {ident['found']}/{ident['genuine_probes']} enrolled probes found, "
          f"{ident['wrong']} wrong person; {ident['unenrolled_identified']}/{ident['unenrolled_probes']} "
          f"unenrolled probes identified (lowest ratio of an unenrolled face: "
          f"{ident.get('unenrolled_min_ratio')}; baseline: plain templates, raw 0.30/0.05: "
          f"{ident['baseline_found']} found, {ident['baseline_unenrolled_identified']} unenrolled identified)")
    cv = scores.get("cross_validation")
    if cv:
        p(f"leave-identity-out ({cv['folds']} folds, rule: {cv['rule']}); thresholds {cv['thresholds']}")
        for name in ("all", "east_asian"):
            if cv.get(name):
                c = cv[name]
                p(f"  {name}: FNMR {_pct(c['fnmr'])} of {c['genuine_pairs']}  FMR {_pct(c['fmr'])} of "
                  f"{c['impostor_pairs']}")
    for stage, fig in scores["timing_ms"].items():
        p(f"ms {stage}: p50 {fig['p50']}  p95 {fig['p95']}  (n={fig['n']}, 640x480)")


def main(argv: list[str] | None = None) -> int:
    """CLI: print the report, then one JSON line of the headline figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--enrol-images", type=int, default=3)
    parser.add_argument("--timing-items", type=int, default=30)
    parser.add_argument("--calibrate", action="store_true",
                        help="also run the leave-identity-out threshold check")
    parser.add_argument("--cache", type=Path, help="pickle file to keep the encodings in")
    parser.add_argument("--probe-flip", action="store_true",
                        help="probe with plain+mirrored views too (FaceEngine(flip=True))")
    parser.add_argument("--quality", action="store_true",
                        help="quality-gate pass/hint rates instead (bench/face_quality_bench.py)")
    args, rest = parser.parse_known_args(argv)
    if args.quality:
        from bench import face_quality_bench  # noqa: PLC0415

        return face_quality_bench.main([str(args.data_dir), *rest])
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    scores = face_scores(args.data_dir, enrol_images=args.enrol_images, timing_items=args.timing_items,
                         calibrate=args.calibrate, cache=args.cache, probe_flip=args.probe_flip,
                         log=lambda m: print(m, file=sys.stderr))
    print_report(scores)
    overall, ea = scores["overall"], scores["east_asian"] or {}
    headline = {
        "face_fnmr": overall["fnmr"], "face_fmr": overall["fmr"],
        "face_impostor_pairs": overall["impostor_pairs"], "face_eer": overall["eer"],
        "face_fnmr_at_fmr0": overall["fnmr_at_fmr0"],
        "face_eer_east_asian": ea.get("eer"), "face_fmr_east_asian": ea.get("fmr"),
        "face_fnmr_east_asian": ea.get("fnmr"), "face_fnmr_at_fmr0_east_asian": ea.get("fnmr_at_fmr0"),
        "face_impostor_pairs_east_asian": ea.get("impostor_pairs"),
        "face_unusable": scores["unusable"],
        "face_ms_p50": (scores["timing_ms"].get("observe_total") or {}).get("p50"),
    }
    print(json.dumps(headline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
