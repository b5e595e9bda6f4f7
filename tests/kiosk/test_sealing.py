"""Biometric templates and snapshots are sealed at rest and leave with their person."""
from __future__ import annotations

import sqlite3
import stat

import numpy as np
import pytest

from kiosk.clock import Clock
from kiosk.flows import checkin, enrolment
from kiosk.roster import apply_roster, face_templates
from kiosk.sealing import SealError, Sealer
from kiosk.store import open_store
from server_api.contract import RosterPerson, RosterResponse


def roster(*persons: tuple[int, list[list[float]]]) -> RosterResponse:
    return RosterResponse(centre_id=1, centre_name="中心", persons=[
        RosterPerson(id=pid, name="某人", id_number="11010119800101007X", case_type="缓刑",
                     face_templates=templates) for pid, templates in persons])


def test_templates_are_sealed_on_disk_and_bound_to_their_person(tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    vector = np.linspace(-0.2, 0.2, 128)
    apply_roster(store, roster((1, [vector.tolist()]), (2, [])))
    assert np.allclose(face_templates(store)[1][0], vector)
    store.close()

    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    raw = sqlite3.connect(tmp_path / "kiosk.db").execute(
        "select person_id, vector from face_templates").fetchall()
    assert raw and vector.tobytes() not in raw[0][1]
    sealer = Sealer(key_file.read_bytes())
    with pytest.raises(SealError):
        sealer.open(raw[0][1], "face:2")  # moved to another person: refused
    with pytest.raises(SealError):
        Sealer(b"\0" * 32).open(raw[0][1], "face:1")  # another key: refused


def test_removed_person_loses_templates(tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    apply_roster(store, roster((1, [[0.1] * 128]), (2, [[0.2] * 128])))
    apply_roster(store, roster((2, [[0.2] * 128])))
    assert set(face_templates(store)) == {2}


def test_local_enrolment_and_snapshot_are_sealed(tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    apply_roster(store, roster((1, [])))
    clock = Clock()
    enrolment.enrol_face(store, clock, 1, [np.full(128, 0.25), np.full(128, 0.5)])
    receipt = checkin.check_in(store, clock, 1, 0.8, b"\xff\xd8\xff-photo-bytes")
    store.close()
    db = b"".join(p.read_bytes() for p in tmp_path.glob("kiosk.db*"))
    assert b"-photo-bytes" not in db and np.full(128, 0.25).tobytes() not in db
    assert receipt.key.encode() in db  # the record itself is there, only sealed
