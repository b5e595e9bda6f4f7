"""Questionnaire definitions and the centre's terminal configuration reach the terminal
as signed TUF targets (DESIGN.md §4 Trust), like lessons: the kiosk answers from the
verified copy, applies the signed configuration without a restart, and keeps the last
good one when a file was tampered with on the server."""
from __future__ import annotations

import json

import pytest

from content.questionnaires import engine
from content.updater import verified_file
from kiosk import fleet_store
from kiosk.clock import Clock
from kiosk.flows import questionnaires as flow
from kiosk.settings import KioskSettings
from kiosk.store import open_store
from provisioning.cli import provision
from provisioning.credentials import load
from server_api.client import CentralClient
from server_api.server import questionnaires
from tests.content.helpers import terminal
from tests.kiosk.fleet_fakes import open_core
from tests.staff_console import make_id_number

PHQ9_V1 = "questionnaires/phq9.v1.json"
PHQ9_V2 = "questionnaires/phq9.v2.json"


class CountingClient(CentralClient):
    """The terminal's real client, counting definitions fetched by the plain API."""

    api_definitions: list[tuple[str, int]]

    def questionnaire_definition(self, questionnaire_id, version, sha256):
        self.api_definitions.append((questionnaire_id, version))
        return super().questionnaire_definition(questionnaire_id, version, sha256)


def _counting(updater, folder) -> CountingClient:
    creds = load(KioskSettings(data_dir=folder).credentials_path)
    client = CountingClient(creds.central_url, creds.terminal_id, creds.secret)
    client.api_definitions = []
    updater.client = client
    return client


def _tamper(blob_dir, name: str, old: bytes, new: bytes):
    """Change bytes of a file the server signed, keeping its length (an attacker on the
    server's disk or on the way)."""
    [blob] = [p for p in blob_dir.glob(f"*.{name}") if old in p.read_bytes()]
    assert len(old) == len(new)
    blob.write_bytes(blob.read_bytes().replace(old, new))
    return blob


def _centre_config(central, **values) -> None:
    central.admin.post(f"/console/fleet/centres/{central.centre_id}/config",
                       {k: str(v) for k, v in values.items()})


def test_questionnaires_come_from_the_signed_content_and_a_tampered_one_is_refused(
        central, tmp_path):
    person = central.admin.create_person(central.centre_id, "张三", make_id_number(1), "缓刑")
    central.admin.post("/console/questionnaires/assign",
                       {"person_id": str(person), "questionnaire_id": "phq9"})
    kiosk = terminal(central, tmp_path / "kiosk")
    client = _counting(kiosk, tmp_path / "kiosk")
    assert kiosk.update_once().error == ""
    custom = kiosk.manifest()["targets"][PHQ9_V1]["custom"]
    assert custom == {"kind": "questionnaire", "questionnaire_id": "phq9", "version": 1}
    assert verified_file(kiosk.content_link, "questionnaires/gad7.v1.json") is not None

    store = open_store(tmp_path / "kiosk-store.db")
    try:
        assert flow.refresh(store, client, person, kiosk.content_link)
        [view] = flow.list_for(store, person)
        assert (view.questionnaire_id, view.version) == ("phq9", 1)
        assert len(flow.definition(store, "phq9", 1).questions) == 9
        assert client.api_definitions == []  # the verified copy, not the plain download

        # A new version is published, and its file is tampered with on the server.
        data = json.loads((engine.BUILTIN_DIR / "phq9.v1.json").read_text("utf-8"))
        data["version"] = 2
        library = tmp_path / "library"
        library.mkdir()
        (library / "phq9.v2.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        questionnaires.use_library(engine.Library([engine.BUILTIN_DIR, library]))
        _centre_config(central, idle_timeout_s=60)  # any change publishes the content
        in_force = kiosk.current_version()
        _tamper(central.data_dir / "tuf" / "blobs" / "questionnaires", "phq9.v2.json",
                b'"min_value": 1', b'"min_value": 3')  # item 9 no longer alerts staff
        status = kiosk.update_once()
        assert status.error == "hash_mismatch" and status.version == in_force
        assert verified_file(kiosk.content_link, PHQ9_V2) is None
        assert verified_file(kiosk.content_link, PHQ9_V1) == (
            engine.BUILTIN_DIR / "phq9.v1.json").read_bytes()

        # Not in the content set yet: the plain download (its sha256 checked) stands in.
        other = central.admin.create_person(central.centre_id, "李四", make_id_number(2), "缓刑")
        central.admin.post("/console/questionnaires/assign",
                           {"person_id": str(other), "questionnaire_id": "phq9"})
        assert flow.refresh(store, client, other, kiosk.content_link)
        assert client.api_definitions == [("phq9", 2)]
        assert flow.definition(store, "phq9", 2).critical[0].min_value == 1
    finally:
        questionnaires.use_library(None)
        store.close()


@pytest.fixture
def core(central, tmp_path):
    """A kiosk core provisioned at the central server (real client, real store)."""
    settings = KioskSettings(data_dir=tmp_path / "data")
    provision(central.base_url, central.admin.create_token(central.centre_id), settings, "终端")
    creds = load(settings.credentials_path)
    client = CentralClient(creds.central_url, creds.terminal_id, creds.secret)
    c = open_core(settings.data_dir, client, Clock())
    yield c
    c.store.close()


def test_the_signed_centre_configuration_is_applied_without_a_restart(central, core):
    _centre_config(central, idle_timeout_s=45, identity_max_attempts=5)
    core.content_agent.run_once()  # one round of the content thread
    assert core.content_updater.status.error == ""
    assert core.idle_timeout_s() == 45 and core.watcher.max_attempts == 5
    signed_version = core.fleet.config_version
    assert signed_version > 0 and fleet_store.load_config(core.store).idle_timeout_s == 45

    _centre_config(central, idle_timeout_s=60)
    core.content_agent.run_once()
    assert core.idle_timeout_s() == 60 and core.fleet.config_version > signed_version

    # The heartbeat carries this terminal's own override under a newer version: it wins
    # (configuration key idle_timeout_s set per terminal), and the older signed centre
    # configuration does not undo it.
    [row] = central.admin.terminals()  # the console's page of this one terminal
    central.admin.post(f"/console/terminals/{int(row['id'])}/config", {"idle_timeout_s": "30"})
    assert core.fleet.beat_once()
    assert core.idle_timeout_s() == 30
    core.content_agent.run_once()
    assert not core.apply_signed_config() and core.idle_timeout_s() == 30


def test_a_tampered_centre_configuration_is_refused_and_the_old_one_kept(central, core):
    _centre_config(central, idle_timeout_s=60)
    core.content_agent.run_once()
    assert core.idle_timeout_s() == 60
    in_force = core.content_updater.current_version()

    _centre_config(central, idle_timeout_s=120)
    _tamper(central.data_dir / "tuf" / "blobs" / "config", f"centre-{central.centre_id}.json",
            b'"idle_timeout_s": 120', b'"idle_timeout_s": 900')
    core.content_agent.run_once()
    status = core.content_updater.status
    assert status.error == "hash_mismatch" and status.version == in_force
    assert core.idle_timeout_s() == 60
    assert fleet_store.load_config(core.store).idle_timeout_s == 60
