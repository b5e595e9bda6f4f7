"""教育学习: assigned lessons, fetched from the centre, played here, watched time sent back."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import delete, select

from content.local_store import LocalContentStore, playable
from kiosk import outbox
from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.flows import lesson_study
from kiosk.store import Store
from kiosk.store.models import CachedLesson, LessonProgress
from server_api.client import CentralClient, CentralError, CentralRejected
from server_api.contract import EventKind, LessonInfo


@dataclass(frozen=True)
class LessonView:
    id: int
    title: str
    size: int
    sha256: str
    watched_seconds: float


def refresh(store: Store, client: CentralClient | None, person_id: int) -> bool:
    if client is None:
        return False
    try:
        remote = client.lessons(person_id).lessons
    except CentralError:
        return False
    with store.session() as s:
        s.execute(delete(CachedLesson).where(CachedLesson.person_id == person_id))
        for info in remote:
            s.add(CachedLesson(person_id=person_id, lesson_id=info.id, title=info.title,
                               sha256=info.sha256, size=info.size))
            prog = s.get(LessonProgress, (person_id, info.id))
            if prog is None:
                s.add(LessonProgress(person_id=person_id, lesson_id=info.id,
                                     watched_seconds=info.watched_seconds))
            elif info.watched_seconds > prog.watched_seconds:
                prog.watched_seconds = info.watched_seconds
        lesson_study.merge_remote(s, person_id, remote)
    return True


def list_for(store: Store, person_id: int) -> list[LessonView]:
    with store.session() as s:
        rows = s.execute(select(CachedLesson, LessonProgress.watched_seconds).outerjoin(
            LessonProgress, (LessonProgress.person_id == CachedLesson.person_id)
            & (LessonProgress.lesson_id == CachedLesson.lesson_id))
            .where(CachedLesson.person_id == person_id).order_by(CachedLesson.lesson_id)).all()
        return [LessonView(c.lesson_id, c.title, c.size, c.sha256, w or 0.0) for c, w in rows]


def prepare(store: Store, client: CentralClient | None, content_dir: Path, person_id: int,
            lesson_id: int, progress: Callable[[float], None] | None = None) -> Path:
    """The lesson's file on this terminal: downloaded, verified, and playable."""
    lesson = next((v for v in list_for(store, person_id) if v.id == lesson_id), None)
    if lesson is None:
        raise FlowError("lesson.error.not_assigned")
    files = LocalContentStore(content_dir)
    path = files.path_for(lesson.sha256)
    if not path.exists():
        if client is None:
            raise FlowError("lesson.error.offline")
        info = LessonInfo(id=lesson.id, title=lesson.title, sha256=lesson.sha256, size=lesson.size)
        try:
            client.download_lesson(info, path, progress)
        except CentralRejected as exc:
            raise FlowError("lesson.error.corrupt" if exc.code == "content_corrupt"
                            else "lesson.error.unavailable") from exc
        except CentralError as exc:
            raise FlowError("lesson.error.offline") from exc
    if not playable(path):
        files.discard(lesson.sha256)
        raise FlowError("lesson.error.corrupt")
    if progress:
        progress(1.0)
    return path


def record_progress(store: Store, clock: Clock, person_id: int, lesson_id: int,
                    watched_seconds: float, position_seconds: float,
                    key: str | None = None) -> float:
    """Keep the most watched time; returns the total credited so far.

    `key` names the event (a receipt quotes it); a new one by default."""
    now = clock.now()
    with store.session() as s:
        prog = s.get(LessonProgress, (person_id, lesson_id))
        if prog is None:
            prog = LessonProgress(person_id=person_id, lesson_id=lesson_id, watched_seconds=0.0)
            s.add(prog)
        prog.watched_seconds = max(prog.watched_seconds or 0.0, float(watched_seconds))
        prog.position_seconds = float(position_seconds)
        outbox.enqueue(s, key=key or outbox.new_key(), kind=EventKind.lesson_progress.value,
                       person_id=person_id, occurred_at=now,
                       payload={"lesson_id": lesson_id,
                                "watched_seconds": round(prog.watched_seconds, 1),
                                "position_seconds": round(float(position_seconds), 1)})
        return prog.watched_seconds
