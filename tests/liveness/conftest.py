"""Fixtures of the liveness tests: landmark tracks of the real clips and images, extracted
once per session (``shared_data`` from tests/conftest.py skips when the media are absent).
The bench module supplies the replay helpers so that tests and bench run the same code."""

from __future__ import annotations

import importlib.util
from itertools import islice
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "liveness_bench.py"
AOC = "live_video/WDA_AlexandriaOcasioCortez_000.mp4"
KATIE = "live_video/WDA_KatieHill_000.mp4"
HAMILTON = "live_video_scene_cuts/short_hamilton_clip.mp4"
PRINT = "spoof_print/silentface_image_F1.jpg"
SCREEN = "spoof_screen/silentface_image_F2.jpg"
LIVE_PHOTO = "live_photo/silentface_image_T1.jpg"


@pytest.fixture(scope="session")
def bench():
    """bench/liveness_bench.py loaded as a module."""
    spec = importlib.util.spec_from_file_location("liveness_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def extractor():
    """One landmark extractor (dlib models load once)."""
    from kiosk.liveness_features import LandmarkExtractor

    return LandmarkExtractor()


@pytest.fixture(scope="session")
def liveness_dir(shared_data):
    return shared_data / "liveness"


@pytest.fixture(scope="session")
def track_of(bench, extractor, liveness_dir):
    """Cached landmark track of a clip (optionally a frame range) or of a held-up image."""
    cache = {}

    def track(name: str, first: int = 0, last: int | None = None):
        key = (name, first, last)
        if key not in cache:
            path = liveness_dir / name
            if path.suffix == ".mp4":
                frames = islice(bench.video_frames(path), first, last)
            else:
                frames = bench.held_photo_frames(bench.load_image_bgr(path))
            cache[key] = bench.extract_track(frames, extractor, {"plain": [], "encode": []})
        return cache[key]

    return track


@pytest.fixture(scope="session")
def audio_of(liveness_dir):
    """16 kHz int16 audio of a clip, extracted with ffmpeg through a temporary WAV."""
    from kiosk.lipsync import decode_audio

    cache = {}

    def audio(name: str):
        if name not in cache:
            cache[name] = decode_audio(liveness_dir / name)
        return cache[name]

    return audio
