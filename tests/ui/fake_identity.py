"""A scripted stand-in for the core's identity watcher (kiosk.identify), for UI tests.

It returns the real `IdentityState` records, following the image in front of the fake
camera (its file stem) through a fixed timeline:

  looking with a quality hint (face.hint.closer) -> looking, hold still -> face decision
  -> liveness (3 challenges) -> voice (digits shown, then recording) -> identified

A stem that is not a key of `people` fails at the face decision (1:N), so does a known
face that is not the claimed person (1:1, after an ID number or card). A person with
`"fail": "liveness"` or `"fail": "voice"` fails that stage. After a failure the state is
"not_recognised" for `retry_after` seconds, then the next attempt starts; after
`max_attempts` failures the state is "staff_called" and the watcher stops.
A stem that is a key of `hints` (e.g. {"far": "face.hint.closer"}) stays on that hint.
Durations (seconds) come from settings["identity_timing"]; see TIMING.
"""
import time
from dataclasses import replace

from kiosk.identify_state import IdentityState

TIMING = {"hint": 1.0, "hold": 0.5, "step": 1.0, "read": 1.0, "record": 1.5, "retry_after": 2.5}
CHALLENGES = ("blink", "turn_left", "open_mouth")
DIGITS = "3 8 1 5 2 7"
STEP_UP = "idle.prompt.step_up"


class FakeWatcher:
    def __init__(self, settings: dict, log):
        self.timing = {**TIMING, **settings.get("identity_timing", {})}
        self.people = settings.get("people", {})
        self.hints = settings.get("hints", {})
        self.max_attempts = int(settings.get("max_attempts", 3))
        self.log = log
        self.active = False
        self.claimed = None  # the people key of the claimed person
        self.attempts = 0
        self.started = None  # when the current attempt's timeline began
        self.failure, self.failure_until = None, 0.0
        self.final = None  # staff_called or identified: kept until begin/cancel

    def begin(self, claimed=None):
        self.active, self.claimed, self.attempts = True, claimed, 0
        self.started, self.failure, self.final = None, None, None

    def cancel(self):
        self.active, self.claimed = False, None
        self.started, self.failure, self.final = None, None, None

    def _base(self, status, key, person=None, **kw):
        claimed = self.people.get(self.claimed) if self.claimed else None
        shown = person or claimed
        return IdentityState(status, shown["id"] if shown else None, message_key=key,
                             display_name=shown["display_name"] if shown else "",
                             claimed=claimed is not None,
                             attempts_left=max(0, self.max_attempts - self.attempts), **kw)

    def state(self, stem, frame):
        """The state for the image now in front of the camera (`stem` None: nobody)."""
        if frame is None:
            return IdentityState("camera_unavailable", message_key="idle.error.camera")
        if self.final is not None:
            return self.final
        if not self.active:
            return IdentityState("idle", message_key=STEP_UP)
        now = time.monotonic()
        if self.failure is not None and now < self.failure_until:
            return self.failure
        self.failure = None
        if stem is None:
            self.started = None
            return self._base("waiting", STEP_UP)
        if stem in self.hints:
            self.started = None
            return replace(self._base("looking", self.hints[stem]), hint_key=self.hints[stem])
        self.started = self.started or now
        return self._timeline(stem, now - self.started)

    def _timeline(self, stem, t):
        tm = self.timing
        if t < tm["hint"]:
            return replace(self._base("looking", "face.hint.closer"), hint_key="face.hint.closer")
        if t < tm["hint"] + tm["hold"]:
            return self._base("looking", "idle.prompt.hold_still")
        person = self.people.get(stem)
        if person is None or (self.claimed and stem != self.claimed):
            return self._fail("idle.error.not_recognised_claimed" if self.claimed
                              else "idle.error.not_recognised")
        t -= tm["hint"] + tm["hold"]
        step = int(t // tm["step"])
        if step < len(CHALLENGES):
            progress = (t - step * tm["step"]) / tm["step"]
            if person.get("fail") == "liveness" and step == 1 and progress > 0.5:
                return self._fail("liveness.failed.timeout")
            return self._base("liveness", f"liveness.prompt.{CHALLENGES[step]}", person,
                              challenge=CHALLENGES[step], progress=round(progress, 2),
                              step=step, total=len(CHALLENGES))
        t -= len(CHALLENGES) * tm["step"]
        if t < tm["read"] + tm["record"]:
            recording = t >= tm["read"]
            return self._base("voice", "verify.voice.recording" if recording
                              else "verify.voice.read_digits", person,
                              digits=DIGITS, recording=recording)
        if person.get("fail") == "voice":
            return self._fail("voice.mismatch")
        self.final = self._base("identified", "idle.prompt.identified", person)
        self.active = False
        return self.final

    def _fail(self, key):
        self.attempts += 1
        self.started = None
        self.log("identity_failed", key=key, attempt=self.attempts)
        if self.attempts >= self.max_attempts:
            self.final = replace(self._base("staff_called", "idle.error.staff_called"), hint_key=key)
            self.active = False
            self.log("call_staff", screen="identify")
            return self.final
        self.failure = replace(self._base("not_recognised", key), hint_key=key)
        self.failure_until = time.monotonic() + self.timing["retry_after"]
        return self.failure
