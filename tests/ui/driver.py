"""Drive the real kiosk UI by touch, under Xvfb, from a JSON scenario.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python tests/ui/driver.py SCENARIO.json

Builds the core named by the scenario (default: the real `kiosk.core.KioskCore` with
`kiosk.settings.KioskSettings(**settings)`), starts `screens.app.KioskApp`, and runs the
steps on Kivy's clock. Taps are real MotionEvents fed through an input provider, so
they take the same path as a finger on the panel. Writes a JSON result and exits 1 if
any step failed. The scenario format is documented in tests/ui/README.md.
"""
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SIZE = (1280, 800)


def _prepare_environment() -> None:
    """Headless-friendly Kivy environment; must run before kivy is imported."""
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
    for name, value in (("KIVY_LOG_MODE", "PYTHON"), ("KIVY_NO_ARGS", "1"),
                        ("KIVY_AUDIO", "sdl2"), ("SDL_AUDIODRIVER", "dummy")):
        os.environ.setdefault(name, value)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def _load(dotted: str):
    module, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module), attr)


def build_core(scenario: dict):
    """The core under test: `core_factory(settings_factory(**settings))`."""
    settings = scenario.get("settings", {})
    settings_factory = scenario.get("settings_factory", "kiosk.settings:KioskSettings")
    if settings_factory:
        settings = _load(settings_factory)(**settings)
    return _load(scenario.get("core_factory", "kiosk.core:KioskCore"))(settings)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    scenario_path = Path(argv[1])
    scenario = json.loads(scenario_path.read_text("utf-8"))
    os.chdir(ROOT)  # relative paths in scenarios are repo-relative
    _prepare_environment()

    from screens.app import KioskApp, configure_kivy

    configure_kivy(fullscreen=False, size=tuple(scenario.get("window", DEFAULT_SIZE)))
    from tests.ui.steps import StepRunner  # imports kivy.core.window: after configure_kivy

    result_path = Path(scenario.get("result_file", "test-output/ui/result.json"))
    result_path.parent.mkdir(parents=True, exist_ok=True)
    runner = None
    started = time.monotonic()
    try:
        core = build_core(scenario)
        core.start()
        try:
            if scenario.get("language"):
                core.set_language(scenario["language"])
            app = KioskApp(core)
            runner = StepRunner(app, scenario)
            runner.schedule()
            app.run()
        finally:
            core.stop()
    except Exception as exc:  # noqa: BLE001 - the result file must say why
        import traceback

        outcome = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc(),
                   "steps": runner.results if runner else []}
    else:
        outcome = runner.outcome()
    outcome["scenario"] = str(scenario_path)
    outcome["seconds"] = round(time.monotonic() - started, 2)
    result_path.write_text(json.dumps(outcome, ensure_ascii=False, indent=2), "utf-8")
    print(json.dumps({"ok": outcome["ok"], "result_file": str(result_path),
                      "error": outcome.get("error")}, ensure_ascii=False))
    return 0 if outcome["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
