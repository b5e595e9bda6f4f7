"""Fixtures of the face tests: one engine and cached encodings of the real photos
(``shared_data`` comes from tests/conftest.py and skips when the media are absent)."""

from __future__ import annotations

from pathlib import Path

import pytest


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
