"""``kiosk``: start the terminal application (the Kivy window over the kiosk core).

``kiosk`` supervises the application: it runs it in a child process and starts it again
when it exits with ``RESTART_EXIT_CODE`` (the staff "restart" command); any other exit
code ends ``kiosk`` with that code.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from kiosk.settings import KioskSettings


def build_settings(args: argparse.Namespace) -> KioskSettings:
    overrides: dict[str, object] = {}
    if args.data_dir:
        overrides["data_dir"] = Path(args.data_dir)
    if args.simulate:
        overrides["simulate_dir"] = Path(args.simulate)
    if args.language:
        overrides["language"] = args.language
    if args.fullscreen:
        overrides["fullscreen"] = True
    return KioskSettings(**overrides)


CHILD_ENV = "KIOSK_APP_CHILD"


def supervise(command: list[str]) -> int:
    """Run the application (``command``) in a child process; start it again after a
    restart command; return the child's exit code otherwise."""
    from kiosk.fleet_host import RESTART_EXIT_CODE

    env = dict(os.environ, **{CHILD_ENV: "1"})
    while True:
        child = subprocess.Popen(command, env=env)
        previous = {sig: signal.signal(sig, lambda s, _f: child.send_signal(s))
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            code = child.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if code != RESTART_EXIT_CODE:
            return code
        print("重新启动终端程序 / restarting the kiosk application", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get(CHILD_ENV) != "1":
        return supervise([sys.executable, "-m", "kiosk.cli", *argv])
    return run_app(argv)


def run_app(argv: list[str]) -> int:
    """The application itself (one process); its exit code asks for a restart or not."""
    p = argparse.ArgumentParser(prog="kiosk", description="Self-service correction terminal")
    p.add_argument("--simulate", metavar="DIR", help=(
        "take camera frames from DIR/camera (images or a video) and microphone audio from "
        "DIR/microphone (WAV) and the ID card from DIR/card/card.json instead of hardware"))
    p.add_argument("--data-dir", help="where the terminal keeps its database and content")
    p.add_argument("--language", choices=("zh_CN", "en"), help="first language shown")
    p.add_argument("--fullscreen", action="store_true", help="borderless full screen (production)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # one log, not Kivy's console copy too
    settings = build_settings(args)
    from kiosk import logfile

    logfile.install(settings.log_path)
    if settings.simulate_dir is not None and not Path(settings.simulate_dir).is_dir():
        print(f"模拟数据目录不存在 / simulation folder not found: {settings.simulate_dir}", file=sys.stderr)
        return 2
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.core import KioskCore
    from screens.app import run

    core = KioskCore(settings)
    core.start()
    try:
        run(core, fullscreen=settings.fullscreen)
    finally:
        core.stop()
    return core.exit_code


if __name__ == "__main__":
    sys.exit(main())
