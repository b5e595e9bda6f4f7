"""Fixtures for these tests: the shared real media (../shared/data), skipped when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """Folder of the shared evaluation media: $KIOSK_SHARED_DATA or <repo>/../shared/data."""
    configured = os.environ.get("KIOSK_SHARED_DATA")
    return Path(configured) if configured else (REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared media folder; tests that need it skip with the reason when it is missing."""
    folder = shared_data_dir()
    if not (folder / "faces").is_dir():
        pytest.skip(f"shared media not found at {folder} (set KIOSK_SHARED_DATA to its path)")
    return folder


@pytest.fixture(scope="session")
def face_engine():
    """One FaceEngine for the session (dlib models load once)."""
    from kiosk.face import FaceEngine

    return FaceEngine()


@pytest.fixture(scope="session")
def face_photos(shared_data):
    """Paths of one identity's photos in natural order (1.jpg, 2.jpg, ... 10.jpg)."""

    def photos(identity: str) -> list[Path]:
        folder = shared_data / "faces" / identity
        return sorted(folder.glob("*.jpg"), key=lambda p: int(p.stem))

    return photos


@pytest.fixture(scope="session")
def face_encodings(face_engine, face_photos):
    """Encodings of an identity's photos (through the real engine), cached for the session."""
    from devices.camera_file import load_image_bgr

    cache: dict[str, list] = {}

    def encode(identity: str) -> list:
        if identity not in cache:
            found = []
            for path in face_photos(identity):
                observation = face_engine.observe(load_image_bgr(path))
                assert observation is not None, f"no face found in {path}"
                found.append(observation.encoding)
            cache[identity] = found
        return cache[identity]

    return encode


@pytest.fixture(scope="session")
def face_groups(shared_data) -> dict[str, str]:
    """identity -> group ("east_asian" or "other") from faces/groups.csv."""
    import csv

    with open(shared_data / "faces" / "groups.csv", newline="", encoding="utf-8") as handle:
        return {row["identity"]: row["group"] for row in csv.DictReader(handle)}
