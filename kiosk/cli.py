"""``kiosk``: start the terminal application (the Kivy window over the kiosk core)."""
from __future__ import annotations

import argparse
import logging
import os
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


def main(argv: list[str] | None = None) -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
