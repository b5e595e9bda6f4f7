"""The step runner behind driver.py: finds widgets, taps them, waits, takes screenshots.

Runs on Kivy's clock inside the app's process; imported only after the window config.
"""
import shutil
import time
from pathlib import Path

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.input.provider import MotionEventProvider

from tests.ui.checks import layout_problems, plain_text, visible_widgets

POLL_SECONDS = 0.1
DEFAULT_TIMEOUT = 10.0


class DriverTouch(MotionEvent):
    """A finger at a window position (sx, sy normalised as Kivy's own providers do)."""

    def __init__(self, touch_id, x, y):
        super().__init__("driver", touch_id, (x, y), is_touch=True, type_id="touch")

    def depack(self, args):
        x, y = args
        self.sx, self.sy = x / max(1.0, Window.width - 1.0), y / max(1.0, Window.height - 1.0)
        self.profile = ["pos"]
        super().depack(args)


class DriverInput(MotionEventProvider):
    """Input provider fed by the runner: events go through Kivy's normal input pipeline."""

    def __init__(self):
        super().__init__("driver", None)
        self.queue = []

    def update(self, dispatch_fn):
        while self.queue:
            dispatch_fn(*self.queue.pop(0))


class StepRunner:
    """Executes `scenario["steps"]` one after another on the Kivy clock."""

    def __init__(self, app, scenario):
        self.app, self.scenario = app, scenario
        self.steps = scenario.get("steps", [])
        self.shot_dir = Path(scenario.get("screenshot_dir", "test-output/screenshots/kiosk"))
        self.forbidden = scenario.get("forbidden_texts", [])
        self.results, self.error = [], None
        self.index, self.shots, self.touches = 0, 0, 0
        self.input = DriverInput()
        self.deadline = time.monotonic() + float(scenario.get("timeout", 300))

    def schedule(self):
        Clock.schedule_once(self._start, 0)

    def outcome(self):
        ok = self.error is None and len(self.results) == len(self.steps)
        return {"ok": ok, "error": self.error, "steps": self.results}

    # --- sequencing ----------------------------------------------------------------
    def _start(self, _dt):
        EventLoop.add_input_provider(self.input)
        if self.shot_dir.exists():
            for old in self.shot_dir.glob("*.png"):
                old.unlink()
        self.shot_dir.mkdir(parents=True, exist_ok=True)
        self._begin_step()

    def _begin_step(self):
        if self.index >= len(self.steps):
            return self._finish()
        step = self.steps[self.index]
        self.started = time.monotonic()
        self.record = {"index": self.index, "step": step}
        self.phase = 0
        Clock.schedule_once(self._tick, 0)

    def _tick(self, _dt):
        step = self.steps[self.index]
        timeout = float(step.get("timeout", DEFAULT_TIMEOUT))
        try:
            done = self._run(step)
        except Exception as exc:  # noqa: BLE001
            return self._fail(f"{type(exc).__name__}: {exc}")
        if done:
            self.record.update(ok=True, screen=self.app.manager.current,
                               seconds=round(time.monotonic() - self.started, 2))
            self.results.append(self.record)
            self.index += 1
            return self._begin_step()
        if time.monotonic() - self.started > timeout or time.monotonic() > self.deadline:
            return self._fail(f"timed out after {timeout}s ({self._waiting_for(step)})")
        Clock.schedule_once(self._tick, POLL_SECONDS)

    def _fail(self, message):
        self.record.update(ok=False, error=message, screen=self.app.manager.current,
                           texts=[plain_text(w) for w in visible_widgets() if plain_text(w)][:40])
        try:
            self.record["screenshot"] = self._screenshot("FAILED")
        except Exception:  # noqa: BLE001
            pass
        self.results.append(self.record)
        self.error = f"step {self.index}: {message}"
        self._finish()

    def _finish(self):
        EventLoop.remove_input_provider(self.input)
        self.app.stop()

    # --- steps -----------------------------------------------------------------------
    def _run(self, step):
        """Advance `step`; True when it is complete."""
        if "wait_screen" in step:
            return self.app.manager.current == step["wait_screen"]
        if "wait_text" in step:
            return self._find_text(step["wait_text"]) is not None
        if "wait_gone" in step:
            return self._find_text(step["wait_gone"]) is None
        if "tap" in step:
            return self._tap(step["tap"])
        if "screenshot" in step:
            return self._shoot(step)
        if "sleep" in step:
            return time.monotonic() - self.started >= float(step["sleep"])
        if "copy" in step:  # atomic, so a camera reading the folder never sees half a file
            destination = Path(step["to"])
            destination.parent.mkdir(parents=True, exist_ok=True)
            partial = destination.with_name(f".{destination.name}.tmp")
            shutil.copyfile(step["copy"], partial)
            partial.replace(destination)
            return True
        if "clear_dir" in step:
            for item in Path(step["clear_dir"]).glob("*"):
                item.unlink()
            return True
        if "expect_no_text" in step:
            found = self._find_text(step["expect_no_text"])
            if found is not None:
                raise AssertionError(f"unexpected text on screen: {found.text!r}")
            return True
        raise ValueError(f"unknown step {step}")

    def _waiting_for(self, step):
        if "wait_screen" in step:
            return f"screen is {self.app.manager.current!r}"
        if "tap" in step:
            return f"no visible enabled widget with id or text {step['tap']!r}"
        return "condition not met"

    def _find_text(self, text):
        return next((w for w in visible_widgets() if text in plain_text(w)), None)

    def _find_target(self, target):
        for widget in visible_widgets():
            if getattr(widget, "kiosk_id", None) == target or plain_text(widget) == target:
                if not widget.disabled:
                    return widget
        return None

    def _tap(self, target):
        if self.phase == 0:
            widget = self._find_target(target)
            if widget is None:
                return False
            x, y = widget.to_window(*widget.center)
            self.touches += 1
            self.touch = DriverTouch(self.touches, x, y)
            self.input.queue.append(("begin", self.touch))
            self.record["at"] = [round(x), round(y)]
            self.phase, self.phase_time = 1, time.monotonic()
            return False
        if self.phase == 1 and time.monotonic() - self.phase_time >= 0.08:
            self.input.queue.append(("end", self.touch))
            self.phase, self.phase_time = 2, time.monotonic()
            return False
        # let the release's effects (screen change, popup) reach at least one frame
        return self.phase == 2 and time.monotonic() - self.phase_time >= 0.15

    def _shoot(self, step):
        if self.phase == 0:  # let two frames render first
            self.phase, self.phase_time = 1, time.monotonic()
            return False
        if time.monotonic() - self.phase_time < float(step.get("settle", 0.4)):
            return False
        label = step["screenshot"] or self.app.manager.current
        self.record["screenshot"] = self._screenshot(label)
        problems = layout_problems()
        problems += [f"forbidden text {bad!r}: {w.text!r}" for bad in self.forbidden
                     for w in visible_widgets() if bad in plain_text(w)]
        self.record["problems"] = problems
        if problems and step.get("strict", self.scenario.get("strict", True)):
            raise AssertionError("; ".join(problems))
        return True

    def _screenshot(self, label):
        self.shots += 1
        final = self.shot_dir / f"{self.shots:02d}_{label}.png"
        # Window.screenshot appends a counter to the name: save, then rename to a stable name
        saved = Path(Window.screenshot(name=str(self.shot_dir.resolve() / "shot.png")))
        saved.replace(final)
        return str(final)
