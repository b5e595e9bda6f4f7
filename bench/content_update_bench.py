"""Content updates (TUF): publish N lessons, sync a terminal, replace one lesson's video,
sync again; how many bytes the second update fetched compared with that lesson's size.

    python bench/content_update_bench.py [--lessons 40] [--frames 60] [--size 640x360]

The videos are real MP4 files (random noise, so they compress badly and are large for
their length) made in a temporary folder. The server runs on loopback (SQLite); the
terminal is provisioned as ``kiosk-provision`` does and updates with ``ContentUpdater``.
The last line printed is JSON; ``within_5pct`` is the target (DESIGN.md §4).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from server_api import cli as central_cli  # noqa: E402
from server_api.server.models import Lesson  # noqa: E402
from tests.content.helpers import noisy_video, start_central, terminal  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lessons", type=int, default=40)
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--size", default="640x360")
    args = p.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="content-bench-"))
    central, stop = start_central(tmp)
    try:
        t0 = time.perf_counter()
        videos = [noisy_video(tmp / f"lesson-{i}.mp4", frames=args.frames, size=(width, height),
                              seed=i) for i in range(args.lessons)]
        made_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ids = [central.admin.upload_lesson(f"第{i + 1}课", v) for i, v in enumerate(videos)]
        publish_s = time.perf_counter() - t0
        total = sum(v.stat().st_size for v in videos)
        kiosk = terminal(central, tmp / "kiosk")

        t0 = time.perf_counter()
        first = kiosk.update_once()
        first_s, first_bytes = time.perf_counter() - t0, kiosk.bytes_received
        assert first.error == "", first

        # One lesson gets a new video (re-encoded): the row points at the new file.
        changed = noisy_video(tmp / "changed.mp4", frames=args.frames, size=(width, height),
                              seed=10_000)
        sha = hashlib.sha256(changed.read_bytes()).hexdigest()
        relative = f"lessons/{sha}.mp4"
        shutil.copy(changed, central.data_dir / relative)
        engine = create_engine(f"sqlite:///{tmp / 'central.db'}")
        with Session(engine) as session, session.begin():
            session.execute(update(Lesson).where(Lesson.id == ids[len(ids) // 2]).values(
                path=relative, sha256=sha, size=changed.stat().st_size))
        engine.dispose()
        t0 = time.perf_counter()
        central_cli.main(["publish-content", "--data-dir", str(central.data_dir),
                          "--database-url", f"sqlite:///{tmp / 'central.db'}"])
        republish_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        second = kiosk.update_once()
        second_s, second_bytes = time.perf_counter() - t0, kiosk.bytes_received
        assert second.error == "", second
        lesson_size = changed.stat().st_size
        overhead = second_bytes / lesson_size - 1
        result = {
            "lessons": args.lessons, "video_size": f"{width}x{height}x{args.frames}",
            "library_bytes": total, "mean_lesson_bytes": total // args.lessons,
            "make_videos_s": round(made_s, 1), "upload_and_publish_s": round(publish_s, 1),
            "first_sync_bytes": first_bytes, "first_sync_s": round(first_s, 2),
            "republish_s": round(republish_s, 2),
            "changed_lesson_bytes": lesson_size, "update_bytes": second_bytes,
            "update_s": round(second_s, 2), "overhead_pct": round(100 * overhead, 3),
            "within_5pct": abs(overhead) <= 0.05,
            "versions": [first.version, second.version],
        }
        print(json.dumps(result, ensure_ascii=False))
        return 0 if result["within_5pct"] else 1
    finally:
        stop()
        if not os.environ.get("KEEP_BENCH_DIR"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
