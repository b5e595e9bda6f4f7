"""A centre with one supervised person, a running central server and a provisioned kiosk
fed by the simulated devices with real faces and voices from ../shared/data."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.settings import KioskSettings
from provisioning.cli import provision
from tests.e2e.central import CentralProcess
from tests.staff_console import StaffConsole, make_id_number

PERSON = "Wen_Jiabao"        # enrolled with photos 1-3, shown photo 6 at the kiosk
STRANGER = "Zhu_Rongji"       # never enrolled
VOICE = "zh_aishell_S0150"


@dataclass
class Centre:
    central: CentralProcess
    console: StaffConsole
    centre_id: int
    person_id: int
    token: str


@pytest.fixture
def centre(tmp_path) -> Centre:
    central = CentralProcess(tmp_path / "central").start()
    try:
        console = StaffConsole(central.url)
        console.login("admin", central.password)
        centre_id = console.create_centre("城关社区矫正中心")
        person_id = console.create_person(centre_id, "温建国", make_id_number(7), "缓刑",
                                          "每周一次到中心报到")
        token = console.create_token(centre_id)
        yield Centre(central, console, centre_id, person_id, token)
    finally:
        central.stop()


class SimulatedKioskDir:
    """The folder behind ``kiosk --simulate``: what the camera sees, what the mic hears."""

    def __init__(self, root: Path, shared_data: Path) -> None:
        self.root, self.shared = root, shared_data
        self.camera = root / "camera"
        self.microphone = root / "microphone"
        self.camera.mkdir(parents=True)
        self.microphone.mkdir()
        voice = sorted((shared_data / "voices" / VOICE).glob("*.wav"))[0]
        shutil.copy(voice, self.microphone / voice.name)

    def show(self, identity: str | None, *numbers: int) -> None:
        """Put these photos in front of the camera (nobody when identity is None)."""
        for old in self.camera.iterdir():
            old.unlink()
        for n in numbers:
            src = self.shared / "faces" / identity / f"{n}.jpg"
            shutil.copy(src, self.camera / f".{n}.tmp")
            (self.camera / f".{n}.tmp").rename(self.camera / f"{identity}_{n}.jpg")


@pytest.fixture
def sim(tmp_path, shared_data) -> SimulatedKioskDir:
    return SimulatedKioskDir(tmp_path / "sim", shared_data)


@pytest.fixture
def kiosk_settings(tmp_path, centre, sim) -> KioskSettings:
    settings = KioskSettings(data_dir=tmp_path / "kiosk", simulate_dir=sim.root,
                             sync_interval_s=0.5, simulate_hold_seconds=0.5)
    provision(centre.central.url, centre.token, settings, "test-kiosk")
    return settings
