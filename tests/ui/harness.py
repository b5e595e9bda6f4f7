"""Run tests/ui/driver.py in a subprocess under Xvfb and return its JSON result."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "ui" / "driver.py"
SCREENSHOTS = ROOT / "test-output" / "screenshots" / "kiosk"
WINDOW = (1280, 800)


def run_driver(scenario: dict, work_dir: Path, timeout: float = 240) -> dict:
    """Write `scenario` to `work_dir`, run the driver on it, return the result dict.

    Uses `xvfb-run -a` unless a display is already set (e.g. under pytest-xvfb).
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    scenario = {"window": list(WINDOW), "result_file": str(work_dir / "result.json"), **scenario}
    path = work_dir / "scenario.json"
    path.write_text(json.dumps(scenario, ensure_ascii=False, indent=1), "utf-8")
    command = [sys.executable, str(DRIVER), str(path)]
    if not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            pytest.skip("xvfb-run not installed (apt-get install xvfb xauth)")
        command = ["xvfb-run", "-a", "-s", f"-screen 0 {WINDOW[0]}x{WINDOW[1]}x24"] + command
    env = dict(os.environ, KIVY_HOME=str(work_dir / "kivy-home"), KIVY_LOG_MODE="PYTHON",
               KIVY_NO_ARGS="1", KIVY_AUDIO="sdl2", SDL_AUDIODRIVER="dummy")
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    result_file = Path(scenario["result_file"])
    if not result_file.exists():
        raise AssertionError(f"driver wrote no result (exit {proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    result = json.loads(result_file.read_text("utf-8"))
    result["exit_code"] = proc.returncode
    result["log_tail"] = proc.stderr[-4000:]
    return result


def describe_failure(result: dict) -> str:
    """A readable summary of the failed step for the assertion message."""
    failed = [s for s in result.get("steps", []) if not s.get("ok")]
    lines = [f"error: {result.get('error')}"]
    for step in failed:
        lines.append(json.dumps(step, ensure_ascii=False, indent=1))
    if result.get("traceback"):
        lines.append(result["traceback"])
    lines.append(result.get("log_tail", ""))
    return "\n".join(lines)
