"""What the e2e tests do at the kiosk: start the core, enrol the person in staff mode,
identify someone, make a lesson video. Shared by the tests and by the session fixture
that enrols the person once (tests/e2e/conftest.py)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.clock import Clock
from kiosk.core import KioskCore
from kiosk.errors import FlowError
from kiosk.roster import persons
from tests.e2e.waiting import wait_for

DONE = ("identified", "not_recognised", "staff_called")


def start_core(settings, clock: Clock | None = None) -> KioskCore:
    core = KioskCore(settings, clock=clock)
    core.start()
    wait_for(lambda: persons(core.store), 20, "the roster to arrive")
    return core


def enrol(core: KioskCore, sim, person_id: int) -> None:
    """Staff mode at the kiosk: the PIN, the masked roster, six face frames, three
    utterances read aloud (in real time: the simulated microphone paces itself)."""
    assert not core.check_staff_pin("000000")
    with pytest.raises(FlowError):
        core.roster()  # staff only
    assert core.check_staff_pin(core.settings.staff_pin)
    assert core.roster()[0].display_name.startswith("温*国（…")
    sim.show_person()
    frames = core.capture_enrolment_frames(count=6, interval_s=0.4)
    assert core.enrol_face(person_id, frames) >= 2
    clips = [core.record_voice_sample(4.5) for _ in range(3)]
    core.enrol_voice(person_id, clips)
    sim.show(None)


def identify(core: KioskCore, sim, identity: str | None = None, photo: int = 0,
             final: tuple[str, ...] | None = None):
    """Start identification and put someone in front of the camera: the live person when
    `identity` is None, else that LFW photo. Returns the first final state."""
    core.begin_identification()
    if identity is None:
        # The genuine person: a refused attempt (the policy's FRR, higher on a loaded
        # machine) is retried by the kiosk itself, as it would be for a real person.
        sim.show_person()
        final = final or ("identified", "staff_called")
    else:
        sim.show(identity, photo)
        final = final or DONE
    return wait_for(lambda: core.identity_state().status in final and core.identity_state(), 120,
                    "an identification result")


def write_lesson_video(path, seconds: int = 3) -> None:
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240))
    for i in range(seconds * 10):
        frame = np.full((240, 320, 3), (i * 8) % 255, np.uint8)
        cv2.putText(frame, f"{i}", (100, 140), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
        out.write(frame)
    out.release()
