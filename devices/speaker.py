"""Spoken prompts: a non-blocking speaker (queue + worker thread) over espeak-ng or files."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

from devices.base import DeviceHealth

_LOG = logging.getLogger(__name__)
KIND = "speaker"
VOICES = {"zh_cn": "cmn", "zh": "cmn", "cmn": "cmn", "en": "en", "en_us": "en-us", "en_gb": "en"}
SPEAK_TIMEOUT = 60.0

__all__ = ["EspeakSpeaker", "FileSpeaker", "SPEAKER_BACKENDS", "Speaker", "espeak_voice", "make_speaker"]


@runtime_checkable
class Speaker(Protocol):
    """Says prompts without blocking the caller; failures show in `health()`."""

    def open(self) -> None:
        """Start the worker thread; never raises for a missing engine (see `health()`)."""

    def say(self, text: str, language: str) -> None:
        """Queue `text` in `language` ("zh_CN", "en") and return at once."""

    def health(self) -> DeviceHealth:
        """Current state for the UI and the logs."""

    def close(self) -> None:
        """Stop speaking and the worker; safe to call twice."""


def espeak_voice(language: str) -> str:
    """espeak-ng voice for a language tag: zh_CN -> cmn, en -> en; else the tag's prefix."""
    tag = language.strip().lower().replace("-", "_")
    prefix = tag.split("_")[0]
    return VOICES.get(tag) or VOICES.get(prefix) or prefix or "cmn"


class _QueuedSpeaker:
    """Queue and worker thread shared by the backends; subclasses implement `_speak`."""

    def __init__(self, executable: str = "espeak-ng", rate: int = 150) -> None:
        """Settings only; the thread starts in `open()`."""
        self.executable = executable
        self.rate = rate
        self._queue: queue.Queue[tuple[str, str, int] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0
        self._health = DeviceHealth.not_open(KIND)

    def _engine(self) -> str | None:
        """Path of the espeak-ng executable, or None if it is not installed."""
        return shutil.which(self.executable)

    def _probe(self) -> DeviceHealth:
        """Health right after opening."""
        raise NotImplementedError

    def _speak(self, text: str, voice: str, number: int) -> None:
        """Say (or record) one utterance; runs on the worker thread."""
        raise NotImplementedError

    def _accept(self, text: str, language: str) -> int | None:
        """Number of the accepted utterance, or None to drop it (called in `say`)."""
        return None if self._health.state == "unavailable" else 0

    def open(self) -> None:
        """Check the engine and start the worker thread."""
        with self._lock:
            if self._thread is not None:
                return
            self._health = self._probe()
            self._thread = threading.Thread(target=self._work, name=f"{KIND}-worker", daemon=True)
            self._thread.start()

    def say(self, text: str, language: str = "zh_CN") -> None:
        """Queue an utterance; a no-op (logged at debug) when closed or unavailable."""
        if self._thread is None or not text.strip():
            _LOG.debug("speaker not open or empty text; dropped: %r", text)
            return
        number = self._accept(text, language)
        if number is None:
            _LOG.debug("speaker %s; dropped: %r", self._health.message_key, text)
            return
        with self._idle:
            self._pending += 1
        self._queue.put((text, espeak_voice(language), number))

    def cancel(self) -> None:
        """Drop queued utterances and stop the one being spoken."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self._done()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until everything queued has been spoken; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def health(self) -> DeviceHealth:
        """Current state of the speaker."""
        return self._health

    def close(self) -> None:
        """Stop speaking and end the worker thread."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self.cancel()
            self._queue.put(None)
            thread.join(timeout=5.0)
            self._health = DeviceHealth.not_open(KIND)

    def _done(self) -> None:
        """Count one utterance as finished."""
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _work(self) -> None:
        """Worker loop: speak queued utterances one at a time until the sentinel."""
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._speak(*item)
            except Exception as exc:  # speech must never take the kiosk down
                _LOG.warning("speaker failed: %s", exc)
                self._health = DeviceHealth.failed(KIND, str(exc))
            finally:
                self._done()

    def _run_espeak(self, voice: str, text: str, extra: list[str]) -> subprocess.CompletedProcess[bytes]:
        """Run espeak-ng with the text on stdin (so text starting with '-' is safe)."""
        engine = self._engine()
        if engine is None:
            raise FileNotFoundError(self.executable)
        args = [engine, "-v", voice, "-s", str(self.rate), *extra, "--stdin"]
        process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._process = process
        try:
            _, stderr = process.communicate(text.encode("utf-8"), timeout=SPEAK_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
        finally:
            self._process = None
        return subprocess.CompletedProcess(args, process.returncode, b"", stderr)


class EspeakSpeaker(_QueuedSpeaker):
    """Speaks through espeak-ng on the default audio output."""

    def _probe(self) -> DeviceHealth:
        """Unavailable when espeak-ng is not installed."""
        engine = self._engine()
        if engine is None:
            return DeviceHealth.unavailable(KIND, f"{self.executable} not found")
        return DeviceHealth.healthy(KIND, engine)

    def _speak(self, text: str, voice: str, number: int) -> None:
        """Play one utterance; audio errors (e.g. no sound card) turn health to error."""
        result = self._run_espeak(voice, text, [])
        errors = [
            line for line in result.stderr.decode("utf-8", "replace").splitlines()
            if line.lower().startswith("error")
        ]
        if result.returncode < 0:
            return  # cancelled
        if result.returncode != 0 or errors:
            detail = (errors or [f"exit {result.returncode}"])[-1]
            self._health = DeviceHealth.failed(KIND, f"espeak-ng: {detail}")
        else:
            self._health = DeviceHealth.healthy(KIND, self._health.detail)


class FileSpeaker(_QueuedSpeaker):
    """Records utterances: text appended to `spoken.txt`, audio to NNNN.wav if espeak-ng exists."""

    def __init__(self, folder: str | os.PathLike[str], executable: str = "espeak-ng", rate: int = 150) -> None:
        """Remember the folder; it is created by `open()`."""
        super().__init__(executable, rate)
        self.folder = Path(folder)
        self.spoken: list[tuple[str, str]] = []
        self._count = 0
        self._text_lock = threading.Lock()

    @property
    def transcript(self) -> Path:
        """The file listing every accepted utterance, one per line."""
        return self.folder / "spoken.txt"

    def _probe(self) -> DeviceHealth:
        """Create the folder; no espeak-ng only means no WAV files."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.transcript.touch()
        except OSError as exc:
            return DeviceHealth.failed(KIND, f"{self.folder}: {exc}")
        numbers = [int(p.stem) for p in self.folder.glob("*.wav") if p.stem.isdigit()]
        self._count = max(numbers, default=0)
        if self._engine() is None:
            return DeviceHealth.healthy(KIND, f"{self.folder} (text only: no {self.executable})")
        return DeviceHealth.healthy(KIND, str(self.folder))

    def _accept(self, text: str, language: str) -> int | None:
        """Append the text to spoken.txt now, so tests see it without waiting."""
        if self._health.state == "unavailable":
            return None
        line = " ".join(text.split())
        with self._text_lock:
            try:
                with open(self.transcript, "a", encoding="utf-8") as out:
                    out.write(line + "\n")
            except OSError as exc:
                self._health = DeviceHealth.failed(KIND, f"{self.transcript}: {exc}")
                return None
            self.spoken.append((language, line))
            self._count += 1
            return self._count

    def _speak(self, text: str, voice: str, number: int) -> None:
        """Write the utterance as NNNN.wav when espeak-ng is installed."""
        if self._engine() is None:
            return
        target = self.folder / f"{number:04d}.wav"
        result = self._run_espeak(voice, text, ["-w", str(target)])
        if result.returncode > 0:
            message = result.stderr.decode("utf-8", "replace").strip()
            self._health = DeviceHealth.failed(KIND, f"espeak-ng: {message or result.returncode}")


def _espeak(source: str | None, **options: Any) -> EspeakSpeaker:
    """espeak-ng speaker; `source` may name the executable."""
    return EspeakSpeaker(source or "espeak-ng", **options)


def _file(source: str | None, **options: Any) -> FileSpeaker:
    """File speaker writing into the folder `source`."""
    if not source:
        raise ValueError("the 'file' speaker backend needs a folder")
    return FileSpeaker(source, **options)


SPEAKER_BACKENDS: dict[str, Callable[..., Speaker]] = {"espeak": _espeak, "file": _file}


def make_speaker(backend: str, source: str | None = None, **options: Any) -> Speaker:
    """Build the speaker backend registered under `backend` (not opened yet)."""
    try:
        factory = SPEAKER_BACKENDS[backend]
    except KeyError:
        known = ", ".join(sorted(SPEAKER_BACKENDS))
        raise ValueError(f"unknown speaker backend {backend!r} (known: {known})") from None
    return factory(source, **options)
