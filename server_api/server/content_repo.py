"""The signed content repository (The Update Framework) that terminals update from.

Layout under ``<data_dir>/tuf/``:

- ``keys/<role>.pem``: one Ed25519 key per role (PKCS#8, mode 0600), made at server init.
  ``targets``, ``snapshot`` and ``timestamp`` are *online* keys: the server signs with
  them whenever content changes and whenever a timestamp nears its expiry. ``root`` is
  the *offline* key: it signed ``1.root.json`` and is needed again only to rotate keys
  or renew the root (yearly); an operator should move ``keys/root.pem`` to offline media
  after init (the server keeps working without it).
- ``metadata/``: ``<N>.root.json``, ``<N>.targets.json``, ``<N>.snapshot.json`` and
  ``timestamp.json`` (consistent snapshots: a terminal never mixes two versions).
- ``blobs/<dir>/<sha256>.<name>``: non-lesson targets (centre configuration,
  questionnaire definitions); lesson videos are served from the lesson library, found
  by their sha256.

Targets: ``lessons/lesson-<id>.<ext>`` (custom: lesson id, title, media type),
``questionnaires/<id>.v<version>.json`` (every published questionnaire definition, as
its file; custom: kind "questionnaire", id, version) and ``config/centre-<id>.json``
(the centre's terminal configuration). ``publish`` compares
what the database holds with the current targets and signs new versions only when they
differ (or near expiry). Writers hold ``tuf/.lock`` (all worker processes share it); the
new ``timestamp.json`` is written last, so a reader sees old or new, never a mix.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from sqlalchemy import select
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

from content.questionnaires.engine import file_name_of
from server_api.server.models import Centre, Lesson

log = logging.getLogger(__name__)

ROLES = ("root", "targets", "snapshot", "timestamp")
ONLINE_ROLES = ("targets", "snapshot", "timestamp")
# How long each role's metadata stays valid; renewed when half of it has passed.
LIFETIMES = {"root": dt.timedelta(days=365), "targets": dt.timedelta(days=30),
             "snapshot": dt.timedelta(days=7), "timestamp": dt.timedelta(days=1)}
METADATA_NAME = re.compile(r"^(?:[1-9][0-9]{0,9}\.)?(root|targets|snapshot|timestamp)\.json$")
TARGET_NAME = re.compile(r"^(lessons|config|questionnaires)/([0-9a-f]{64})\.([A-Za-z0-9._-]{1,100})$")
_SERIALIZER = JSONSerializer(compact=False)


class ContentRepository:
    def __init__(self, data_dir: Path) -> None:
        self.root_dir = Path(data_dir) / "tuf"
        self.keys_dir = self.root_dir / "keys"
        self.metadata_dir = self.root_dir / "metadata"
        self.blobs_dir = self.root_dir / "blobs"

    # --- files -------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        with open(self.root_dir / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @staticmethod
    def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def _signer(self, role: str) -> CryptoSigner:
        pem = (self.keys_dir / f"{role}.pem").read_bytes()
        return CryptoSigner(load_pem_private_key(pem, password=None))

    def _store(self, md: Metadata, name: str) -> None:
        md.signatures.clear()
        md.sign(self._signer(md.signed.type))
        self._write(self.metadata_dir / name, md.to_bytes(_SERIALIZER))

    def metadata_file(self, name: str) -> Path | None:
        """The metadata file a terminal asked for, or None (bad name or absent)."""
        if not METADATA_NAME.match(name):
            return None
        path = self.metadata_dir / name
        return path if path.is_file() else None

    def load(self, role: str) -> Metadata:
        if role == "timestamp":
            return Metadata.from_file(str(self.metadata_dir / "timestamp.json"))
        ts = self.load("timestamp").signed
        if role == "snapshot":
            return Metadata.from_file(str(self.metadata_dir / f"{ts.snapshot_meta.version}.snapshot.json"))
        if role == "targets":
            snap = self.load("snapshot").signed
            return Metadata.from_file(str(self.metadata_dir / f"{snap.meta['targets.json'].version}.targets.json"))
        return Metadata.from_file(str(self.metadata_dir / "root.json"))

    def blob(self, directory: str, sha256: str, name: str) -> Path | None:
        path = self.blobs_dir / directory / f"{sha256}.{name}"
        return path if path.is_file() else None

    # --- initialisation ------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.metadata_dir / "timestamp.json").is_file()

    def ensure(self, now: dt.datetime, targets: dict[str, TargetFile] | None = None,
               blobs: dict | None = None) -> None:
        """Make the keys and the first metadata (root v1, targets v1 holding ``targets``,
        by default the questionnaire definitions) if absent."""
        if self.initialised():
            return
        with self._locked():
            if self.initialised():
                return
            root = Root(expires=now + LIFETIMES["root"], consistent_snapshot=True)
            for role in ROLES:
                key_path = self.keys_dir / f"{role}.pem"
                if not key_path.is_file():
                    self._write(key_path, CryptoSigner.generate_ed25519().private_bytes, 0o600)
                root.add_key(self._signer(role).public_key, role)
            if targets is None:
                targets, blobs = questionnaire_targets()
            self._write_blobs(blobs or {})
            root_md = Metadata(root)
            self._store(root_md, "1.root.json")
            self._write(self.metadata_dir / "root.json", (self.metadata_dir / "1.root.json").read_bytes())
            self._sign_chain(Targets(version=1, expires=now + LIFETIMES["targets"],
                                     targets=targets), now)
            log.info("content repository created in %s (root key: keys/root.pem, move it offline)",
                     self.root_dir)

    def _sign_chain(self, targets: Targets, now: dt.datetime) -> None:
        """Sign ``targets`` as given, then a new snapshot and timestamp naming it."""
        self._store(Metadata(targets), f"{targets.version}.targets.json")
        if (self.metadata_dir / "timestamp.json").is_file():
            old_ts = self.load("timestamp").signed
            snap_version, ts_version = old_ts.snapshot_meta.version + 1, old_ts.version + 1
        else:
            snap_version, ts_version = 1, 1
        snapshot = Snapshot(version=snap_version, expires=now + LIFETIMES["snapshot"],
                            meta={"targets.json": MetaFile(version=targets.version)})
        self._store(Metadata(snapshot), f"{snap_version}.snapshot.json")
        timestamp = Timestamp(version=ts_version, expires=now + LIFETIMES["timestamp"],
                              snapshot_meta=MetaFile(version=snap_version))
        self._store(Metadata(timestamp), "timestamp.json")

    # --- publishing --------------------------------------------------------------------
    def publish(self, session, now: dt.datetime, config_for=None) -> int:
        """Sign a new targets version if the content changed or nears expiry; its version.

        ``config_for(session, centre_id)`` gives a centre's configuration as a dict.
        """
        wanted, blobs = desired_targets(session, config_for)
        self.ensure(now, wanted, blobs)
        with self._locked():
            current = self.load("targets").signed
            fresh = current.expires - now > LIFETIMES["targets"] / 2
            if fresh and _same(current.targets, wanted):
                return current.version
            self._write_blobs(blobs)
            targets = Targets(version=current.version + 1, expires=now + LIFETIMES["targets"],
                              targets=wanted)
            self._sign_chain(targets, now)
            log.info("content published: targets version %d (%d files)", targets.version, len(wanted))
            return targets.version

    def _write_blobs(self, blobs: dict[tuple[str, str], bytes]) -> None:
        for (directory, name), data in blobs.items():
            sha = hashlib.sha256(data).hexdigest()
            self._write(self.blobs_dir / directory / f"{sha}.{name}", data)

    def renew_timestamp(self, now: dt.datetime) -> None:
        """Re-sign what has passed half of its lifetime: targets (same files, next
        version), snapshot, timestamp. Called when a terminal asks for the timestamp."""
        ts = self.load("timestamp").signed
        snap = self.load("snapshot").signed
        targets = self.load("targets").signed
        if (ts.expires - now > LIFETIMES["timestamp"] / 2
                and snap.expires - now > LIFETIMES["snapshot"] / 2
                and targets.expires - now > LIFETIMES["targets"] / 2):
            return
        with self._locked():
            targets = self.load("targets").signed
            if targets.expires - now <= LIFETIMES["targets"] / 2:
                targets.version += 1
                targets.expires = now + LIFETIMES["targets"]
                self._sign_chain(targets, now)
                return
            ts = self.load("timestamp").signed
            snap_md = self.load("snapshot")
            if snap_md.signed.expires - now <= LIFETIMES["snapshot"] / 2:
                snap_md.signed.version += 1
                snap_md.signed.expires = now + LIFETIMES["snapshot"]
                self._store(snap_md, f"{snap_md.signed.version}.snapshot.json")
            elif ts.expires - now > LIFETIMES["timestamp"] / 2:
                return
            timestamp = Timestamp(version=ts.version + 1, expires=now + LIFETIMES["timestamp"],
                                  snapshot_meta=MetaFile(version=snap_md.signed.version))
            self._store(Metadata(timestamp), "timestamp.json")


def _same(current: dict[str, TargetFile], wanted: dict[str, TargetFile]) -> bool:
    if current.keys() != wanted.keys():
        return False
    return all(current[k].to_dict() == wanted[k].to_dict() for k in wanted)


def desired_targets(session, config_for=None) -> tuple[dict[str, TargetFile], dict]:
    """Every target the database (and the questionnaire library) says terminals should
    hold, and the blobs (configuration, questionnaires) served from ``blobs/``."""
    targets, blobs = questionnaire_targets()
    for lesson in session.scalars(select(Lesson).order_by(Lesson.id)):
        ext = (lesson.path.rsplit(".", 1)[-1] if "." in lesson.path else "video").lower()
        path = f"lessons/lesson-{lesson.id}.{ext}"
        targets[path] = TargetFile(
            length=lesson.size, hashes={"sha256": lesson.sha256}, path=path,
            unrecognized_fields={"custom": {"kind": "lesson", "lesson_id": lesson.id,
                                            "title": lesson.title,
                                            "media_type": lesson.media_type}})
    if config_for is not None:
        for centre_id in session.scalars(select(Centre.id).order_by(Centre.id)):
            data = json.dumps(config_for(session, centre_id), ensure_ascii=False,
                              sort_keys=True).encode("utf-8")
            name = f"centre-{centre_id}.json"
            path = f"config/{name}"
            targets[path] = TargetFile(
                length=len(data), hashes={"sha256": hashlib.sha256(data).hexdigest()}, path=path,
                unrecognized_fields={"custom": {"kind": "config", "centre_id": centre_id}})
            blobs[("config", name)] = data
    return targets, blobs



def questionnaire_targets() -> tuple[dict[str, TargetFile], dict]:
    """Every published questionnaire definition (all versions: an assignment may name an
    older one) as ``questionnaires/<id>.v<version>.json``, its bytes as published."""
    from server_api.server.questionnaires import library

    targets: dict[str, TargetFile] = {}
    blobs: dict[tuple[str, str], bytes] = {}
    for published in library():
        definition = published.definition
        name = file_name_of(definition.id, definition.version)
        path = f"questionnaires/{name}"
        targets[path] = TargetFile(
            length=len(published.data), hashes={"sha256": published.sha256}, path=path,
            unrecognized_fields={"custom": {"kind": "questionnaire",
                                            "questionnaire_id": definition.id,
                                            "version": definition.version}})
        blobs[("questionnaires", name)] = published.data
    return targets, blobs
