"""Lessons and configuration reach the terminal as signed TUF metadata (DESIGN.md §4
Trust): verified, only what changed, resumed when cut, switched atomically, and the
last good content kept whenever an update is tampered with, rolled back or expired."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil

import pytest

from content.local_store import LocalContentStore
from tests.content.helpers import CuttingProxy, noisy_video, start_central, terminal
from tests.server.module_server import DATABASES, module_database


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_published_lessons_reach_the_terminal_and_only_changes_are_fetched(central, tmp_path):
    first = noisy_video(tmp_path / "a.mp4", seed=1)
    central.admin.upload_lesson("法律常识第一课", first)
    kiosk = terminal(central, tmp_path / "kiosk")

    status = kiosk.update_once()
    assert status.error == "" and status.version == "v2"
    store = LocalContentStore(kiosk.content_link)  # what lesson playback reads, unchanged
    assert store.has(sha(first)) and sha(store.path_for(sha(first))) == sha(first)
    config = json.loads((kiosk.content_link / f"config/centre-{central.centre_id}.json").read_text())
    assert config["idle_timeout_s"] == 90
    assert status.bytes_done == status.bytes_total >= first.stat().st_size

    second = noisy_video(tmp_path / "b.mp4", seed=2)
    central.admin.upload_lesson("法律常识第二课", second)
    inode = store.path_for(sha(first)).stat().st_ino
    status = kiosk.update_once()
    assert status.version == "v3" and store.has(sha(second))
    # Only the new lesson came over the wire; the first one was linked, not fetched.
    assert second.stat().st_size <= kiosk.bytes_received < second.stat().st_size + 20_000
    assert store.path_for(sha(first)).stat().st_ino == inode
    assert kiosk.content_link.is_symlink()

    status = kiosk.update_once()  # nothing new: only the small timestamp is read
    assert status.version == "v3" and kiosk.bytes_received < 5_000


def test_a_tampered_lesson_is_refused_and_the_last_good_content_kept(central, tmp_path):
    good = noisy_video(tmp_path / "a.mp4", seed=1)
    central.admin.upload_lesson("第一课", good)
    kiosk = terminal(central, tmp_path / "kiosk")
    assert kiosk.update_once().version == "v2"
    in_force = kiosk.content_link.resolve()

    evil = noisy_video(tmp_path / "b.mp4", seed=2)
    central.admin.upload_lesson("第二课", evil)
    stored = central.lesson_file(sha(evil))
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same length, one byte changed on the server's disk
    stored.write_bytes(bytes(data))

    status = kiosk.update_once()
    assert status.error == "hash_mismatch" and status.version == "v2"
    assert kiosk.content_link.resolve() == in_force
    store = LocalContentStore(kiosk.content_link)
    assert store.has(sha(good)) and not store.has(sha(evil))
    assert not any(kiosk.partial_dir.glob("*.part"))  # bad bytes are never resumed


def test_replayed_old_metadata_is_refused_as_a_rollback(central, tmp_path):
    central.admin.upload_lesson("第一课", noisy_video(tmp_path / "a.mp4", seed=1))
    metadata = central.data_dir / "tuf" / "metadata"
    old_timestamp = (metadata / "timestamp.json").read_bytes()
    central.admin.upload_lesson("第二课", noisy_video(tmp_path / "b.mp4", seed=2))
    kiosk = terminal(central, tmp_path / "kiosk")
    assert kiosk.update_once().version == "v3"

    (metadata / "timestamp.json").write_bytes(old_timestamp)  # an attacker replays v2
    status = kiosk.update_once()
    assert status.error == "rollback" and status.version == "v3"
    # two lessons, the configuration and the two questionnaires (PHQ-9, GAD-7)
    assert len(kiosk.manifest()["targets"]) == 5


def test_expired_metadata_is_refused_and_the_last_good_content_kept(central, tmp_path):
    central.admin.upload_lesson("第一课", noisy_video(tmp_path / "a.mp4", seed=1))
    kiosk = terminal(central, tmp_path / "kiosk")
    assert kiosk.update_once().version == "v2"

    central.clock.shift = -dt.timedelta(days=2)  # signed two days ago: the timestamp
    late = noisy_video(tmp_path / "b.mp4", seed=2)  # (valid one day) has expired
    central.admin.upload_lesson("第二课", late)
    central.clock.shift = dt.timedelta(0)
    key = central.data_dir / "tuf" / "keys" / "timestamp.pem"
    key.rename(key.with_suffix(".away"))  # and the server cannot sign a fresh one
    status = kiosk.update_once()
    assert status.error == "expired" and status.version == "v2"
    assert not LocalContentStore(kiosk.content_link).has(sha(late))

    key.with_suffix(".away").rename(key)  # the server renews its timestamp on request
    status = kiosk.update_once()
    assert status.error == "" and LocalContentStore(kiosk.content_link).has(sha(late))


def test_a_download_cut_halfway_resumes_and_ends_correct(central, tmp_path):
    video = noisy_video(tmp_path / "a.mp4", seed=3, frames=40)
    size = video.stat().st_size
    central.admin.upload_lesson("第一课", video)
    proxy = CuttingProxy(central.base_url, cut_after=size // 2)
    try:
        kiosk = terminal(central, tmp_path / "kiosk", base_url=proxy.url)
        status = kiosk.update_once()
        assert proxy.cuts == 1 and status.error == "offline" and status.version == ""
        assert 0 < status.bytes_done < size  # the console sees the download half done
        kept = sum(p.stat().st_size for p in kiosk.partial_dir.glob("*.part"))
        assert 0 < kept < size

        status = kiosk.update_once()
        assert status.error == "" and status.version == "v2"
        assert kiosk.bytes_received < size - kept + 20_000  # only the rest was fetched
        assert sha(LocalContentStore(kiosk.content_link).path_for(sha(video))) == sha(video)
        assert not any(kiosk.partial_dir.glob("*.part"))
    finally:
        proxy.close()


def test_a_terminal_without_a_trusted_root_takes_no_content(central, tmp_path):
    central.admin.upload_lesson("第一课", noisy_video(tmp_path / "a.mp4", seed=1))
    kiosk = terminal(central, tmp_path / "kiosk")
    shutil.rmtree(kiosk.metadata_dir)
    status = kiosk.update_once()
    assert status.error == "no_trusted_root" and status.version == ""


# The other tests run on SQLite; this one repeats the publish path on PostgreSQL too.
@pytest.mark.parametrize("kind", [d for d in DATABASES if d != "sqlite"])
def test_publishing_reads_lessons_and_configuration_from_postgresql(kind, tmp_path,
                                                                   tmp_path_factory):
    with module_database(kind, tmp_path_factory) as url:
        central, stop = start_central(tmp_path, url)
        try:
            central.admin.post(f"/console/fleet/centres/{central.centre_id}/config",
                               {"idle_timeout_s": "45"})
            video = noisy_video(tmp_path / "a.mp4", seed=1)
            central.admin.upload_lesson("第一课", video)
            kiosk = terminal(central, tmp_path / "kiosk")
            assert kiosk.update_once().error == ""
            assert LocalContentStore(kiosk.content_link).has(sha(video))
            config = kiosk.content_link / f"config/centre-{central.centre_id}.json"
            assert json.loads(config.read_text())["idle_timeout_s"] == 45
            custom = kiosk.manifest()["targets"]["lessons/lesson-1.mp4"]["custom"]
            assert custom["title"] == "第一课" and custom["lesson_id"] == 1
        finally:
            stop()


def test_lesson_files_held_before_the_first_update_are_kept_not_fetched_again(central, tmp_path):
    video = noisy_video(tmp_path / "a.mp4", seed=1)
    central.admin.upload_lesson("第一课", video)
    kiosk = terminal(central, tmp_path / "kiosk")
    kiosk.content_link.mkdir()  # a terminal that fetched the lesson the old way
    shutil.copy(video, kiosk.content_link / f"{sha(video)}.video")

    status = kiosk.update_once()
    assert status.error == "" and kiosk.content_link.is_symlink()
    assert kiosk.bytes_received < 20_000  # metadata only
    assert LocalContentStore(kiosk.content_link).has(sha(video))
    assert not list(kiosk.sets_dir.glob("legacy-*"))


def test_the_server_renews_ageing_metadata_so_terminals_keep_updating(central, tmp_path):
    kiosk = terminal(central, tmp_path / "kiosk")
    central.clock.shift = -dt.timedelta(days=20)  # targets (30 days) signed 20 days ago
    video = noisy_video(tmp_path / "a.mp4", seed=1)
    central.admin.upload_lesson("第一课", video)
    central.clock.shift = dt.timedelta(0)
    status = kiosk.update_once()  # asking for the timestamp makes the server re-sign
    assert status.error == "" and status.version == "v3"
    assert LocalContentStore(kiosk.content_link).has(sha(video))
