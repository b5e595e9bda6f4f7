"""Liveness bench: ``python bench/liveness_bench.py DATA_DIR`` (DATA_DIR holds liveness/<label>/).

What is measured, and why (the clips do not answer our prompts, so this is not a PAD test
of people following instructions):

* APCER, per attack type: the share of attempts that PASS a random challenge sequence
  (default LivenessConfig, seeds fixed). Attack types:
  - ``spoof_print``, ``spoof_screen``, ``live_photo_held``: the still image held up to the
    camera: the same picture every frame with a small random affine hand shake (seed fixed),
    12.5 frames/s. A held picture moves rigidly; it never blinks or turns on request.
  - ``replay_live_video``, ``replay_scene_cuts``: the recording replayed in front of the
    camera from a random start second, played forwards then backwards when it runs out
    (no jump at the loop point: kinder to the attacker than a plain loop). The recorded
    frames are fed as they are: no screen texture, glare or moire is simulated.
* BPCER, from the ``live_video`` clips: a bona fide clip cannot follow prompts, so the
  challenge is chosen to match what the clip shows: a single ``blink`` challenge (labels.csv
  counts 1-10 natural blinks per clip) started at second 0, 1, 2 and 3 with the rest of the
  clip as time limit. A failure means a live face showing the needed dynamics was refused
  (missed blink, or a false static_image / face_changed / multiple_faces). Turns and the
  open mouth cannot be measured: no clip performs them.
* Blink counts of the detector against labels.csv (automatic labels, not ground truth).
* ms per frame: face detection + landmarks + session update per frame; frames carrying a
  128-d encoding (identity check, about once a second) are timed separately.

The last line printed is one JSON object (see `evaluate`).
"""

from __future__ import annotations

import csv
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devices.camera_file import load_image_bgr  # noqa: E402
from kiosk.lipsync import assess_lipsync, decode_audio  # noqa: E402
from kiosk.liveness import BLINK, LivenessConfig, LivenessSession  # noqa: E402
from kiosk.liveness_features import (  # noqa: E402
    FaceFrame, LandmarkExtractor, count_blinks, eye_aspect_ratio, mouth_opening,
)

KNOWN_LABELS = ("live_video", "live_video_scene_cuts", "live_photo", "spoof_print", "spoof_screen")
HELD_TYPES = {"spoof_print": "spoof_print", "spoof_screen": "spoof_screen",
              "live_photo": "live_photo_held"}
REPLAY_TYPES = {"live_video": "replay_live_video", "live_video_scene_cuts": "replay_scene_cuts"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
ENCODE_EVERY_S = 1.0  # cached frames carrying an encoding; the session takes the next one it meets
REFERENCE_EAR = 0.21  # labels.csv's blink rule: EAR < 0.21 for at least 2 frames
Track = list[tuple[float, FaceFrame]]


def held_photo_frames(image_bgr: np.ndarray, seconds: float = 6.0, fps: float = 12.5,
                      seed: int = 1, shake: float = 1.0) -> list[tuple[float, np.ndarray]]:
    """A picture held in front of the camera: smooth random shift/rotation/scale per frame."""
    rng = np.random.default_rng(seed)
    height, width = image_bgr.shape[:2]
    tx = ty = angle = scale = 0.0
    frames = []
    for k in range(int(round(seconds * fps))):
        tx = 0.9 * tx + rng.normal(0.0, 1.5 * shake)
        ty = 0.9 * ty + rng.normal(0.0, 1.5 * shake)
        angle = 0.9 * angle + rng.normal(0.0, 0.3 * shake)
        scale = 0.9 * scale + rng.normal(0.0, 0.004 * shake)
        matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle, 1.0 + scale)
        matrix[:, 2] += (tx, ty)
        frames.append((k / fps, cv2.warpAffine(image_bgr, matrix, (width, height),
                                               borderMode=cv2.BORDER_REFLECT)))
    return frames


def video_frames(path: Path) -> Iterable[tuple[float, np.ndarray]]:
    """(timestamp, frame) of every frame of a video file."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    index = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield index / fps, frame
            index += 1
    finally:
        cap.release()


def extract_track(frames: Iterable[tuple[float, np.ndarray]], extractor: LandmarkExtractor,
                  timings: dict[str, list[float]]) -> Track:
    """Landmarks of every frame (an encoding about once a second), timed."""
    track: Track = []
    next_encoding = 0.0
    for t, frame in frames:
        with_encoding = t >= next_encoding
        if with_encoding:
            next_encoding = t + ENCODE_EVERY_S - 1e-6
        start = time.perf_counter()
        obs = extractor.extract(frame, want_encoding=with_encoding)
        timings["encode" if with_encoding else "plain"].append((time.perf_counter() - start) * 1000)
        track.append((t, obs))
    return track


def ping_pong(count: int, start: int) -> Iterable[int]:
    """Frame indices from `start`, forwards to the end, backwards to the start, and so on."""
    period = max(1, 2 * count - 2)
    k = start
    while True:
        phase = k % period
        yield phase if phase < count else period - phase
        k += 1


def run_session(track: Track, start: int, session: LivenessSession, limit_s: float = 60.0,
                loop: bool = True, update_ms: list[float] | None = None) -> tuple[str, str | None]:
    """Feed a cached track to a session; returns (status, reason). Not looped: ends at the end."""
    period = track[1][0] - track[0][0] if len(track) > 1 else 0.1
    indices = ping_pong(len(track), start) if loop else iter(range(start, len(track)))
    for k, index in enumerate(indices):
        t = k * period
        if t > limit_s:
            break
        obs = track[index][1]
        wants = session.needs_encoding(t)
        if obs.encoding is not None and not wants:
            obs = replace(obs, encoding=None)
        begin = time.perf_counter()
        state = session.feed_observation(obs, t)
        if update_ms is not None:
            update_ms.append((time.perf_counter() - begin) * 1000)
        if state.done:
            return state.status, state.reason
    return "unfinished", "timeout"


def reference_blinks(track: Track) -> list[float]:
    """Start times of blinks by labels.csv's rule (absolute EAR < 0.21 for >= 2 frames)."""
    starts, run = [], 0
    for t, obs in track:
        closed = obs.has_face and eye_aspect_ratio(obs.landmarks) < REFERENCE_EAR
        run = run + 1 if closed else 0
        if run == 2:
            starts.append(t - (track[1][0] - track[0][0]))
    return starts


def blink_count(track: Track) -> int:
    """Blinks the session's detector finds over a whole clip."""
    return count_blinks(track).count


def read_labels(liveness_dir: Path) -> dict[str, dict[str, str]]:
    """labels.csv rows keyed by file (relative to liveness/), if the file exists."""
    path = liveness_dir / "labels.csv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


class _Results:
    """Everything the bench collects while it walks the data folder."""

    def __init__(self, config: LivenessConfig, sequences: int, photo_attempts: int) -> None:
        self.config, self.sequences, self.photo_attempts = config, sequences, photo_attempts
        self.extractor = LandmarkExtractor()
        self.timings: dict[str, list[float]] = {"plain": [], "encode": []}
        self.update_ms: list[float] = []
        self.attempts: dict[str, list[tuple[str, str | None]]] = {}
        self.bona_fide: list[tuple[str, str, str | None]] = []
        self.unusable: dict[str, list[str]] = {}
        self.unknown: dict[str, int] = {}
        self.blink_rows: list[tuple[str, int, str]] = []
        self.talking: dict[str, Track] = {}

    def note(self, group: str, text: str) -> None:
        """Record an item that could not be used (for a group of figures)."""
        self.unusable.setdefault(group, []).append(text)

    def held_picture(self, path: Path, label: str, rel: str) -> None:
        """Attack attempts with a still image held up to the camera."""
        try:
            image = load_image_bgr(path)
        except Exception as exc:  # a broken file is reported, not fatal
            self.note(label, f"{path.name}: {exc}")
            return
        track = extract_track(held_photo_frames(image), self.extractor, self.timings)
        if not any(obs.has_face for _, obs in track):
            self.note(label, f"{path.name}: no face")
        if label == "live_photo":
            self.note("bona_fide", f"{rel}: one still frame")
        results = self.attempts.setdefault(HELD_TYPES[label], [])
        for seed in range(self.photo_attempts):
            session = LivenessSession(self.config, random.Random(seed))
            results.append(run_session(track, (seed * 7) % len(track), session,
                                       update_ms=self.update_ms))

    def video(self, path: Path, label: str, rel: str, expected_blinks: str) -> None:
        """Replay attacks from every start second; blink sessions for the live clips."""
        track = extract_track(video_frames(path), self.extractor, self.timings)
        if len(track) < 2:
            self.note(label, f"{path.name}: unreadable")
            return
        fps = 1.0 / (track[1][0] - track[0][0])
        results = self.attempts.setdefault(REPLAY_TYPES[label], [])
        for second in range(int(len(track) / fps)):
            for seed in range(self.sequences):
                session = LivenessSession(self.config, random.Random(1000 * second + seed))
                results.append(run_session(track, int(second * fps), session,
                                           update_ms=self.update_ms))
        self.blink_rows.append((rel, blink_count(track), expected_blinks))
        if label == "live_video":
            self.bona_fide.extend(_blink_sessions(rel, track, fps, self.config))
            self.talking[rel] = track
        else:
            self.note("bona_fide", f"{rel}: scene cuts (not a kiosk view)")


def evaluate(data_dir: str | Path, sequences: int = 10, photo_attempts: int = 20,
             config: LivenessConfig | None = None,
             log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the whole bench on DATA_DIR/liveness; returns the figures printed as the JSON line."""
    liveness_dir = Path(data_dir) / "liveness"
    labels = read_labels(liveness_dir)
    res = _Results(config or LivenessConfig(), sequences, photo_attempts)
    if not liveness_dir.is_dir():
        log(f"no liveness folder in {data_dir}")
    folders = sorted(p for p in liveness_dir.glob("*") if p.is_dir())
    for folder in folders:
        label = folder.name
        files = sorted(p for p in folder.iterdir() if p.is_file())
        if label not in KNOWN_LABELS:
            res.unknown[label] = len(files)
            continue
        for path in files:
            rel = f"{label}/{path.name}"
            suffix = path.suffix.lower()
            if label in HELD_TYPES and suffix in IMAGE_SUFFIXES:
                res.held_picture(path, label, rel)
            elif label in REPLAY_TYPES and suffix in VIDEO_SUFFIXES:
                res.video(path, label, rel, labels.get(rel, {}).get("auto_blinks", ""))
            else:
                res.note(label, f"{path.name}: unexpected file type")
    figures = _report(res, log)
    figures.update(lipsync_figures(liveness_dir, res.talking, log))
    return figures


def lipsync_figures(liveness_dir: Path, talking: dict[str, Track],
                    log: Callable[[str], None]) -> dict[str, Any]:
    """Lip-sync decisions of each talking clip with its own, shifted and other clips' audio."""
    audio: dict[str, np.ndarray] = {}
    for rel in talking:
        try:
            audio[rel] = decode_audio(liveness_dir / rel)
        except RuntimeError as exc:
            log(f"lip-sync: no audio for {rel}: {exc}")
    own, shifted, foreign = [], [], []
    log("lip-sync (activity r / envelope r -> decision), mouth of row clip vs audio:")
    for rel, track in talking.items():
        if rel not in audio:
            continue
        mouth = [(t, mouth_opening(o.landmarks) if o.has_face else None) for t, o in track]
        cells = []
        candidates = [("own", audio[rel])]
        candidates += [(f"shift{s:+d}s", np.roll(audio[rel], s * 16000)) for s in (1, -1)]
        candidates += [(Path(other).stem[:10], a) for other, a in audio.items() if other != rel]
        for name, samples in candidates:
            result = assess_lipsync(mouth, samples, 16000)
            bucket = own if name == "own" else shifted if name.startswith("shift") else foreign
            bucket.append(result.synced)
            r_act = result.activity_correlation
            r_env = result.envelope_correlation
            shown = "-" if r_act is None else f"{r_act:.2f}/{r_env:.2f}"
            cells.append(f"{name} {shown} {result.decision}")
        log(f"  {Path(rel).stem[:14]}: " + " | ".join(cells))
    rate = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
    log(f"lip-sync: own audio synced {sum(own)}/{len(own)}, shifted accepted "
        f"{sum(shifted)}/{len(shifted)}, other clip's audio accepted {sum(foreign)}/{len(foreign)}")
    return {"lipsync_own_synced_rate": rate(own), "lipsync_shifted_accept_rate": rate(shifted),
            "lipsync_foreign_accept_rate": rate(foreign)}


def _blink_sessions(rel: str, track: Track, fps: float,
                    config: LivenessConfig) -> list[tuple[str, str, str | None]]:
    """Blink-only sessions from every half second that still has a reference blink ahead.

    The reference blink must start at least baseline_s + 0.2 s after the session start, so
    that it falls after the prompt; the time limit is the rest of the clip (no loop).
    """
    outcomes = []
    blinks = reference_blinks(track)
    duration = len(track) / fps
    for half in range(int(duration * 2)):
        start_s = half / 2.0
        if not any(b >= start_s + config.baseline_s + 0.2 for b in blinks):
            continue
        start = int(round(start_s * fps))
        cfg = replace(config, challenge_timeout_s=duration - start_s, blink_fallback=False)
        status, reason = run_session(track, start, LivenessSession(cfg, challenges=[BLINK]),
                                     loop=False)
        outcomes.append((f"{rel}@{start_s:.1f}s", status, reason))
    return outcomes


def _rate(outcomes: Sequence[tuple[str, str | None]], status: str) -> float:
    """Share of outcomes with that status."""
    return sum(1 for s, _ in outcomes if s == status) / len(outcomes) if outcomes else float("nan")


def _median(values: Sequence[float]) -> float | None:
    """Median rounded to 0.01, None for no values."""
    return round(float(np.median(values)), 2) if len(values) else None


def _report(res: _Results, log: Callable[[str], None]) -> dict[str, Any]:
    """Print the tables and build the JSON figures."""
    by_type = {}
    log("attack type            attempts  APCER   failure reasons")
    for kind, outcomes in sorted(res.attempts.items()):
        by_type[kind] = round(_rate(outcomes, "passed"), 4)
        reasons: dict[str, int] = {}
        for status, reason in outcomes:
            if status != "passed":
                reasons[str(reason)] = reasons.get(str(reason), 0) + 1
        log(f"{kind:22s} {len(outcomes):8d}  {by_type[kind]:.3f}   {reasons}")
    failures = [b for b in res.bona_fide if b[1] != "passed"]
    bpcer = round(len(failures) / len(res.bona_fide), 4) if res.bona_fide else None
    log(f"bona fide blink sessions: {len(res.bona_fide)}, refused {len(failures)} -> BPCER {bpcer}")
    for name, _status, reason in failures:
        log(f"  refused {name}: {reason}")
    log("blinks found vs labels.csv (automatic labels):")
    for rel, found, expected in res.blink_rows:
        log(f"  {rel}: {found} (labels {expected or '?'})")
    for group, items in sorted(res.unusable.items()):
        log(f"unusable [{group}]: {len(items)}: {items}")
    for label, count in sorted(res.unknown.items()):
        log(f"unknown label '{label}': {count} file(s) skipped")
    plain, encode = res.timings["plain"], res.timings["encode"]
    p50, update = _median(plain), _median(res.update_ms) or 0.0
    p95 = round(float(np.percentile(plain, 95)), 2) if plain else None
    log(f"ms/frame detect+landmarks: p50 {p50} p95 {p95} | with 128-d encoding p50 "
        f"{_median(encode)} | session update p50 {update} | frames {len(plain) + len(encode)}")
    return {
        "liveness_apcer": max(by_type.values()) if by_type else None,
        "liveness_apcer_by_type": by_type,
        "liveness_bpcer": bpcer,
        "liveness_ms_p50": None if p50 is None else round(p50 + update, 2),
        "liveness_ms_p95": p95,
        "liveness_ms_encoding_p50": _median(encode),
        "liveness_attempts": {k: len(v) for k, v in res.attempts.items()},
        "liveness_bona_fide_sessions": len(res.bona_fide),
        "liveness_unusable": {k: len(v) for k, v in res.unusable.items()},
        "liveness_unknown_labels": res.unknown,
        "liveness_blinks": {rel: [found, expected] for rel, found, expected in res.blink_rows},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry: prints the tables, then the JSON figures as the last line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: liveness_bench.py DATA_DIR", file=sys.stderr)
        return 2
    started = time.perf_counter()
    figures = evaluate(args[0])
    print(f"total {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
