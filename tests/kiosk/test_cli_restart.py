"""`kiosk` starts the application again when it exits with the restart code, and only then."""
from __future__ import annotations

import sys

from kiosk.cli import supervise
from kiosk.fleet_host import RESTART_EXIT_CODE

CHILD = """
import os, sys
from pathlib import Path
assert os.environ["KIOSK_APP_CHILD"] == "1"
runs = Path(sys.argv[1])
n = len(runs.read_text().splitlines()) if runs.exists() else 0
runs.write_text("run\\n" * (n + 1))
sys.exit(int(sys.argv[2].split(",")[n]))
"""


def test_the_app_is_started_again_after_a_restart_command(tmp_path):
    runs = tmp_path / "runs.txt"
    codes = f"{RESTART_EXIT_CODE},{RESTART_EXIT_CODE},0"
    assert supervise([sys.executable, "-c", CHILD, str(runs), codes]) == 0
    assert len(runs.read_text().splitlines()) == 3


def test_any_other_exit_ends_kiosk_with_that_code(tmp_path):
    runs = tmp_path / "runs.txt"
    assert supervise([sys.executable, "-c", CHILD, str(runs), "3,0"]) == 3
    assert len(runs.read_text().splitlines()) == 1
