"""Verified content updates on the terminal (The Update Framework, ``tuf.ngclient``).

Folders in the kiosk data folder:

- ``content_tuf/``: the trusted root (installed at provisioning) and the metadata TUF
  has verified since. Without a trusted root the terminal takes no content update.
- ``content_sets/v<N>/``: one complete set of content per targets version: lesson files
  as ``<sha256>.video`` (what ``LocalContentStore`` reads), ``config/centre-<id>.json``
  (applied by ``kiosk.fleet_host``), ``questionnaires/<id>.v<version>.json`` (read by
  ``kiosk.flows.questionnaires``, see ``verified_file``), and ``manifest.json`` (the
  version and what each file is).
- ``content``: a symlink to the set in force (``KioskSettings.content_dir``).

An update: TUF refreshes timestamp, snapshot and targets (refusing a bad signature, a
rolled-back version or expired metadata); unchanged files are hard-linked from the set
in force, only new or changed ones are downloaded (resumed if cut, see ``tuf_fetcher``)
and verified by length and sha256; only a complete set is switched in, by renaming a new
symlink over ``content`` (atomic). Any failure leaves the set in force untouched.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from tuf.api import exceptions
from tuf.api.metadata import Metadata, TargetFile
from tuf.ngclient import Updater

from content.tuf_fetcher import ResumingFetcher
from server_api.client import CentralClient

log = logging.getLogger(__name__)
CONTENT_PREFIX = "/api/v1/content"
MANIFEST = "manifest.json"
KEEP_SETS = 2  # the set in force and the one before it


@dataclass(frozen=True)
class ContentStatus:
    """What the heartbeat reports: the version in force, the download, the last refusal."""

    version: str = ""
    bytes_done: int = 0
    bytes_total: int = 0
    error: str = ""  # "" or a stable code: no_trusted_root, offline, expired, rollback, ...


def refusal_code(exc: BaseException) -> str:
    """A stable code for why an update was refused or failed."""
    for kind, code in ((exceptions.ExpiredMetadataError, "expired"),
                       (exceptions.BadVersionNumberError, "rollback"),
                       (exceptions.UnsignedMetadataError, "bad_signature"),
                       (exceptions.LengthOrHashMismatchError, "hash_mismatch"),
                       (exceptions.DownloadLengthMismatchError, "hash_mismatch"),
                       (exceptions.RepositoryError, "refused"),
                       (exceptions.DownloadError, "offline")):
        if isinstance(exc, kind):
            return code
    return "failed"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def local_name(target: TargetFile) -> str:
    """Where a target lives inside a content set."""
    if target.path.startswith("lessons/"):
        return f"{target.hashes['sha256']}.video"
    return target.path


def verified_file(content_dir: Path, path: str) -> bytes | None:
    """The bytes of target ``path`` (e.g. ``questionnaires/phq9.v1.json``) in the content
    set in force, or None when the set does not hold it or the file on disk no longer
    matches the sha256 TUF verified (a damaged disk: the caller falls back)."""
    content_dir = Path(content_dir)
    try:
        manifest = json.loads((content_dir / MANIFEST).read_text("utf-8"))
        entry = manifest["targets"].get(path)
        if entry is None:
            return None
        data = (content_dir / entry["file"]).read_bytes()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if len(data) != entry.get("length") or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        log.warning("content file %s does not match its verified hash; not used", path)
        return None
    return data


class ContentUpdater:
    def __init__(self, data_dir: Path, client: CentralClient | None,
                 centre_id: int | None = None) -> None:
        data_dir = Path(data_dir)
        self.client, self.centre_id = client, centre_id
        self.content_link = data_dir / "content"
        self.sets_dir = data_dir / "content_sets"
        self.metadata_dir = data_dir / "content_tuf"
        self.partial_dir = self.sets_dir / ".partial"
        self._lock = threading.Lock()
        self.bytes_received = 0  # over the network in the last update (metadata + files)
        self.status = ContentStatus(version=self.current_version())

    # --- what is in force ----------------------------------------------------------------
    def manifest(self) -> dict | None:
        try:
            return json.loads((self.content_link / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def centre_config(self) -> bytes | None:
        """This centre's signed configuration file in the set in force, or None."""
        if self.centre_id is None:
            return None
        return verified_file(self.content_link, f"config/centre-{self.centre_id}.json")

    def current_version(self) -> str:
        manifest = self.manifest()
        return f"v{manifest['version']}" if manifest else ""

    def has_trusted_root(self) -> bool:
        return (self.metadata_dir / "root.json").is_file()

    def install_root(self, data: bytes) -> None:
        """Trust this root (provisioning): it must parse as signed root metadata."""
        Metadata.from_bytes(data)  # raises on anything that is not TUF metadata
        root_type = json.loads(data)["signed"]["_type"]
        if root_type != "root":
            raise ValueError("not root metadata")
        # A new trust start: metadata verified under an earlier root is dropped.
        shutil.rmtree(self.metadata_dir, ignore_errors=True)
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.metadata_dir / ".root.json.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.metadata_dir / "root.json")

    # --- one update ------------------------------------------------------------------------
    def _count(self, n: int) -> None:
        self.status = replace(self.status, bytes_done=self.status.bytes_done + n)

    def update_once(self) -> ContentStatus:
        """Bring the content up to the newest verified version, or keep the last good."""
        with self._lock:
            if self.client is None or not self.has_trusted_root():
                self.status = replace(self.status, error="no_trusted_root")
                return self.status
            fetcher = ResumingFetcher(self.client, self.partial_dir, progress=self._count)
            base = self.client.base_url + CONTENT_PREFIX
            try:
                updater = Updater(str(self.metadata_dir), base + "/metadata/", None,
                                  base + "/targets/", fetcher, bootstrap=None)
                updater.refresh()
                self._apply(updater, fetcher, base + "/targets/")
                self.status = replace(self.status, version=self.current_version(), error="")
            except (exceptions.RepositoryError, exceptions.DownloadError, OSError) as exc:
                code = refusal_code(exc)
                log.warning("content update refused (%s): %s; keeping %s", code, exc,
                            self.current_version() or "no content")
                self.status = replace(self.status, version=self.current_version(), error=code)
            finally:
                self.bytes_received = fetcher.received
            return self.status

    def _wanted(self, updater: Updater) -> tuple[int, list[TargetFile]]:
        """The verified targets version and the targets this terminal holds."""
        listed = Metadata.from_file(str(self.metadata_dir / "targets.json")).signed
        wanted = []
        for path in sorted(listed.targets):
            if path.startswith("config/") and self.centre_id is not None \
                    and path != f"config/centre-{self.centre_id}.json":
                continue
            info = updater.get_targetinfo(path)  # the verified entry, never the file alone
            if info is not None:
                wanted.append(info)
        return listed.version, wanted

    def _apply(self, updater: Updater, fetcher: ResumingFetcher, targets_url: str) -> None:
        version, wanted = self._wanted(updater)
        current = self.manifest()
        if current and current.get("version") == version:
            return
        self.sets_dir.mkdir(parents=True, exist_ok=True)
        building = self.sets_dir / f".building-{uuid.uuid4().hex[:8]}"
        building.mkdir()
        try:
            missing = self._reuse(wanted, building)
            self.status = replace(self.status, bytes_done=0,
                                  bytes_total=sum(t.length for t in missing))
            for target in missing:
                self._download(updater, fetcher, targets_url, target, building / local_name(target))
            self._write_manifest(building, version, wanted)
            self._switch(building, version)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise

    def _reuse(self, wanted: list[TargetFile], building: Path) -> list[TargetFile]:
        """Hard-link what the set in force already holds; the rest must be downloaded."""
        held, unverified = {}, {}
        if self.content_link.is_dir():  # lesson files fetched before TUF, or one by one
            for file in self.content_link.glob("*.video"):
                unverified[(file.stem, file.stat().st_size)] = file
        for path, entry in ((self.manifest() or {}).get("targets") or {}).items():
            held[(entry["sha256"], entry["length"])] = self.content_link / entry["file"]
        missing = []
        for target in wanted:
            key = (target.hashes["sha256"], target.length)
            source = held.get(key)
            if source is None and key in unverified and _sha256(unverified[key]) == key[0]:
                source = unverified[key]
            dest = building / local_name(target)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if source is not None and source.is_file() and source.stat().st_size == target.length:
                try:
                    os.link(source, dest)
                except OSError:
                    shutil.copy2(source, dest)
            else:
                missing.append(target)
        return missing

    def _download(self, updater: Updater, fetcher: ResumingFetcher, targets_url: str,
                  target: TargetFile, dest: Path) -> None:
        dirname, sep, basename = target.path.rpartition("/")
        url = f"{targets_url}{dirname}{sep}{target.hashes['sha256']}.{basename}"
        fetcher.max_lengths[url] = target.length  # never more than the signed length
        try:
            updater.download_target(target, str(dest))
        except exceptions.RepositoryError:
            fetcher.discard(url)  # bytes that failed verification are never resumed
            raise
        fetcher.discard(url)

    @staticmethod
    def _write_manifest(building: Path, version: int, wanted: list[TargetFile]) -> None:
        manifest = {"version": version, "targets": {
            t.path: {"file": local_name(t), "sha256": t.hashes["sha256"], "length": t.length,
                     "custom": t.custom} for t in wanted}}
        with open(building / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())

    def _switch(self, building: Path, version: int) -> None:
        """Rename the complete set into place, then swap the ``content`` symlink at once."""
        final = self.sets_dir / f"v{version}"
        if final.exists():
            shutil.rmtree(final)
        os.replace(building, final)
        if self.content_link.exists() and not self.content_link.is_symlink():
            # The first update on a terminal that held a plain folder: keep it as a set.
            os.replace(self.content_link, self.sets_dir / f"legacy-{uuid.uuid4().hex[:8]}")
        link = self.content_link.with_name(f".content-{uuid.uuid4().hex[:8]}")
        os.symlink(os.path.relpath(final, link.parent), link)
        os.replace(link, self.content_link)
        fd = os.open(self.content_link.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        log.info("content version v%d in force", version)
        self._prune(final)

    def _prune(self, keep: Path) -> None:
        sets = sorted((p for p in self.sets_dir.iterdir() if p.is_dir() and p.name.startswith("v")
                       and p != keep), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in sets[KEEP_SETS - 1:]:
            shutil.rmtree(old, ignore_errors=True)
        for legacy in self.sets_dir.glob("legacy-*"):  # its files were linked where wanted
            shutil.rmtree(legacy, ignore_errors=True)

    def trusted_root(self) -> bytes:
        return (self.metadata_dir / "root.json").read_bytes()
