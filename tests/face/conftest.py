"""Fixtures of the face tests: one engine and cached encodings of the real photos
(``shared_data`` comes from tests/conftest.py and skips when the media are absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

TEMPLATE_PHOTOS = 3  # photos per identity that tests may enrol from


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
def face_views(face_engine, face_photos):
    """(plain encoding, mirrored-view template) of an identity's photos, cached for the session.

    The plain encoding is what `observe` gives a probe frame; the template is what
    `enrol` stores (mean of the plain and the mirrored chip). Tests enrol from the first
    TEMPLATE_PHOTOS photos only, so later photos get no template (None): that saves
    one encoding per photo."""
    from devices.camera_file import load_image_bgr

    cache: dict[str, list] = {}

    def encode(identity: str) -> list:
        if identity not in cache:
            found = []
            for number, path in enumerate(face_photos(identity)):
                flip = number < TEMPLATE_PHOTOS
                observation = face_engine.observe(load_image_bgr(path), flip=flip)
                assert observation is not None, f"no face found in {path}"
                if flip:
                    found.append((observation.views[0], observation.encoding))
                else:
                    found.append((observation.encoding, None))
            cache[identity] = found
        return cache[identity]

    return encode


@pytest.fixture(scope="session")
def face_encodings(face_views):
    """Plain encodings of an identity's photos (through the real engine)."""
    return lambda identity: [plain for plain, _template in face_views(identity)]


@pytest.fixture(scope="session")
def face_templates(face_views):
    """Enrolment templates (mirrored-view means) of an identity's first TEMPLATE_PHOTOS photos."""
    return lambda identity: [t for _plain, t in face_views(identity)[:TEMPLATE_PHOTOS]]


@pytest.fixture(scope="session")
def face_groups(shared_data) -> dict[str, str]:
    """identity -> group ("east_asian" or "other") from faces/groups.csv."""
    import csv

    with open(shared_data / "faces" / "groups.csv", newline="", encoding="utf-8") as handle:
        return {row["identity"]: row["group"] for row in csv.DictReader(handle)}
