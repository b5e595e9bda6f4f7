"""A centre with one supervised person, a running central server and a provisioned kiosk
fed by the simulated devices with real faces, voices and a live clip from ../shared/data.

The simulated person is chimeric, as in bench/identity_eval.py: the face and the live
movements of a real talking-head clip (PERSON_CLIP), the voice of a real speaker (VOICE).
No clip of the data turns its head, so the simulated kiosk draws its liveness challenges
from "blink" only (the clip blinks about ten times in 8 s); everything else is the
kiosk's own code path. Each blink closes the eyes for only 0.1-0.15 s, so the kiosk sees
it only when it handles frames quickly enough: on a starved CPU (other heavy processes,
or the Kivy window rendering beside it) the blink challenge times out and is replaced by
one the clip cannot do, and identification fails with "liveness_failed".

Enrolling takes about 20 s of real time (the simulated microphone paces itself), so the
tests that start from an enrolled person use `enrolled_centre` and `enrolled_kiosk`:
the person is enrolled once per session through the kiosk's staff mode
(`enrolled_template`), and each test gets its own copy of both data folders, so it
still runs on a database of its own."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from kiosk import outbox
from kiosk.settings import KioskSettings
from provisioning.cli import provision
from tests.e2e.central import CentralProcess
from tests.e2e.waiting import wait_for
from tests.staff_console import StaffConsole, make_id_number

PERSON_CLIP = "liveness/live_video/WDA_AlexandriaOcasioCortez_000.mp4"
STRANGER = "Zhu_Rongji"       # never enrolled (LFW photos)
VOICE = "zh_aishell_S0150"    # the person's voice: 10 utterances
OTHER_VOICE = "zh_fangjun"    # a stand-in's voice
SIM_CHALLENGES = "blink"


@dataclass
class Centre:
    central: CentralProcess
    console: StaffConsole
    centre_id: int
    person_id: int
    token: str


def _populate(central: CentralProcess) -> Centre:
    """Sign in as admin; create the centre, the supervised person and a terminal token."""
    console = StaffConsole(central.url)
    console.login("admin", central.password)
    centre_id = console.create_centre("城关社区矫正中心")
    person_id = console.create_person(centre_id, "温建国", make_id_number(7), "缓刑",
                                      "每周一次到中心报到")
    return Centre(central, console, centre_id, person_id, console.create_token(centre_id))


@pytest.fixture
def centre(tmp_path) -> Centre:
    central = CentralProcess(tmp_path / "central").start()
    try:
        yield _populate(central)
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
        self.speak_as(VOICE)

    def speak_as(self, speaker: str) -> None:
        """What the microphone hears from now on: this speaker's utterances, in turn."""
        for old in self.microphone.iterdir():
            old.unlink()
        for i, clip in enumerate(sorted((self.shared / "voices" / speaker).glob("*.wav"))):
            shutil.copy(clip, self.microphone / f"{i:02d}{clip.suffix}")

    def show_person(self) -> None:
        """The enrolled person, alive, in front of the camera (a real talking-head clip)."""
        self._replace(self.shared / PERSON_CLIP, "person.mp4")

    def show_photo_of_person(self) -> None:
        """A still picture of the person held up to the camera (a photo attack)."""
        import cv2

        capture = cv2.VideoCapture(str(self.shared / PERSON_CLIP))
        capture.set(cv2.CAP_PROP_POS_FRAMES, 40)
        ok, frame = capture.read()
        capture.release()
        assert ok, "could not read the person's clip"
        tmp = self.root / "photo.jpg"
        cv2.imwrite(str(tmp), frame)
        self._replace(tmp, "photo.jpg")

    def _replace(self, src: Path, name: str) -> None:
        for old in self.camera.iterdir():
            old.unlink()
        shutil.copy(src, self.camera / f".{name}.tmp")
        (self.camera / f".{name}.tmp").rename(self.camera / name)

    def show(self, identity: str | None, *numbers: int) -> None:
        """Put these photos in front of the camera (nobody when identity is None), each
        as a kiosk camera would see a person standing there (see `kiosk_frame`)."""
        for old in self.camera.iterdir():
            old.unlink()
        for n in numbers:
            path = self.kiosk_frame(identity, n)
            shutil.copy(path, self.camera / f".{n}.tmp")
            (self.camera / f".{n}.tmp").rename(self.camera / f"{identity}_{n}.jpg")

    def kiosk_frame(self, identity: str, n: int) -> Path:
        """An LFW photo (faces about 60 px wide) scaled up on a 640x480 frame, so the face
        has the size the kiosk's quality gate expects from someone at the screen."""
        import cv2

        from devices.camera_file import load_image_bgr

        out = self.root / "frames" / f"{identity}_{n}.jpg"
        if not out.exists():
            out.parent.mkdir(exist_ok=True)
            photo = load_image_bgr(self.shared / "faces" / identity / f"{n}.jpg")
            scale = 440 / max(photo.shape[:2])
            photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            canvas = np.full((480, 640, 3), 128, np.uint8)
            top, left = (480 - photo.shape[0]) // 2, (640 - photo.shape[1]) // 2
            canvas[top:top + photo.shape[0], left:left + photo.shape[1]] = photo
            cv2.imwrite(str(out), canvas)
        return out


@pytest.fixture
def sim(tmp_path, shared_data) -> SimulatedKioskDir:
    return SimulatedKioskDir(tmp_path / "sim", shared_data)


def _settings(data_dir: Path, sim: SimulatedKioskDir) -> KioskSettings:
    return KioskSettings(data_dir=data_dir, simulate_dir=sim.root, sync_interval_s=0.5,
                         simulate_hold_seconds=0.5, liveness_challenges=SIM_CHALLENGES)


@pytest.fixture
def kiosk_settings(tmp_path, centre, sim) -> KioskSettings:
    settings = _settings(tmp_path / "kiosk", sim)
    provision(centre.central.url, centre.token, settings, "test-kiosk")
    return settings


@dataclass(frozen=True)
class EnrolledTemplate:
    """Data folders of a centre whose person was enrolled at a provisioned kiosk."""

    root: Path  # central/ (server data, SQLite) and kiosk/ (kiosk data dir)
    centre_id: int
    person_id: int
    token: str  # already used by the kiosk


@pytest.fixture(scope="session")
def enrolled_template(tmp_path_factory, shared_data) -> EnrolledTemplate:
    """Once per session, on real code paths: the centre and the person created in the
    console, a kiosk provisioned, the face and voice enrolled in its staff mode (with the
    assertions of `kiosk_steps.enrol`) and delivered to the server; both stopped."""
    from tests.e2e.kiosk_steps import enrol, start_core

    root = tmp_path_factory.mktemp("enrolled")
    central = CentralProcess(root / "central").start()
    try:
        made = _populate(central)
        sim = SimulatedKioskDir(root / "sim", shared_data)
        settings = _settings(root / "kiosk", sim)
        provision(central.url, made.token, settings, "test-kiosk")
        core = start_core(settings)
        try:
            enrol(core, sim, made.person_id)
            wait_for(lambda: outbox.depth(core.store) == 0, 30, "the enrolment delivered")
        finally:
            core.stop()
    finally:
        central.stop()
    (root / "central" / "central.log").unlink(missing_ok=True)
    return EnrolledTemplate(root, made.centre_id, made.person_id, made.token)


@pytest.fixture
def enrolled_centre(tmp_path, enrolled_template) -> Centre:
    """Like `centre`, on a copy of the server data in which the person is enrolled."""
    shutil.copytree(enrolled_template.root / "central", tmp_path / "central")
    central = CentralProcess(tmp_path / "central").start()
    try:
        console = StaffConsole(central.url)
        console.login("admin", central.password)
        yield Centre(central, console, enrolled_template.centre_id, enrolled_template.person_id,
                     enrolled_template.token)
    finally:
        central.stop()


@pytest.fixture
def enrolled_kiosk(tmp_path, enrolled_template, enrolled_centre, sim) -> KioskSettings:
    """Like `kiosk_settings`: a copy of the enrolled kiosk's data dir (store, terminal
    key), pointed at this test's server and simulated devices."""
    data = tmp_path / "kiosk"
    shutil.copytree(enrolled_template.root / "kiosk", data)
    credentials = data / "terminal.json"  # stays mode 0600: rewritten in place
    stored = json.loads(credentials.read_text("utf-8"))
    stored["central_url"] = enrolled_centre.central.url
    credentials.write_text(json.dumps(stored, ensure_ascii=False, indent=2), "utf-8")
    return _settings(data, sim)
