"""The kiosk's one settings object (environment variables prefixed ``KIOSK_``)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KioskSettings(BaseSettings):
    """Everything the terminal can be told; defaults suit a demo on one machine."""

    model_config = SettingsConfigDict(env_prefix="KIOSK_", extra="ignore")

    data_dir: Path = Path("data/kiosk")
    # Folder with ``camera/`` (images or a video), ``microphone/`` (WAV files) and
    # ``card/`` (``card.json`` while a card lies on the reader): when set, every device
    # is the simulated, file-fed backend; spoken prompts go to ``speaker/``.
    simulate_dir: Path | None = None
    camera_backend: str = "opencv"
    camera_source: str | None = None
    microphone_backend: str = "pyaudio"
    microphone_source: str | None = None
    speaker_backend: str = "espeak"
    speaker_source: str | None = None
    card_reader_backend: str = "serial"
    card_reader_source: str | None = None  # serial port; default /dev/ttyUSB0
    # Receipt printer (ESC/POS): usb (source VID:PID in hex), serial (/dev/ttyS0[@baud]),
    # network (host[:port], default 9100) or file (a folder; see docs/RECEIPTS.md).
    # Default: a USB 58 mm printer of the common 0416:5011 kind.
    printer_backend: str = "usb"
    printer_source: str | None = "0416:5011"
    # Seconds a real printer may take to answer before the receipt counts as not printed.
    printer_timeout_s: float = Field(default=5.0, gt=0)
    # How long the simulated camera shows each image of its folder.
    simulate_hold_seconds: float = Field(default=1.0, gt=0)

    language: str = "zh_CN"
    # A staff PIN for the enrolment mode. Demo default; set KIOSK_STAFF_PIN in production.
    staff_pin: str = "246810"
    idle_timeout_s: float = Field(default=90.0, gt=0)
    sync_interval_s: float = Field(default=3.0, gt=0)
    http_timeout_s: float = Field(default=5.0, gt=0)

    # Face encodings fused per identification attempt.
    identify_frames: int = Field(default=3, ge=1)
    # The identity decision policy (face and voice thresholds, retries, attempts before
    # staff are called, combination rule) as a JSON file;
    # None: the calibrated file shipped with the kiosk (kiosk/identity_policy.json).
    identity_policy_path: Path | None = None
    # Liveness challenges to draw from, comma separated (blink, turn_left, turn_right,
    # open_mouth); empty: all of them, with at least one head turn (the default). The
    # simulator narrows this to what its recorded clips really do (see README).
    liveness_challenges: str = ""
    # Seconds the microphone records while the person reads the digits aloud.
    voice_record_seconds: float = Field(default=4.5, gt=1.0, le=15.0)
    # Simulated microphone: take as long as a real recording (lip-sync needs the frames).
    simulate_realtime_audio: bool = True

    # Lesson credit (docs/LESSON_CREDIT.md): one silent face check every this many
    # seconds of a lesson; checks in a row without the person before the lesson pauses
    # (the last saw nobody / someone else); the largest face distance still the person.
    lesson_check_every_s: float = Field(default=3.0, ge=1.0, le=60.0)
    lesson_absent_checks_to_pause: int = Field(default=2, ge=1, le=10)
    lesson_other_checks_to_pause: int = Field(default=2, ge=1, le=10)
    lesson_face_max_distance: float = Field(default=0.45, gt=0.0, lt=1.0)

    fullscreen: bool = False

    @property
    def database_path(self) -> Path:
        return self.data_dir / "kiosk.db"

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / "terminal.json"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "logs" / "kiosk.log"

    @property
    def content_dir(self) -> Path:
        return self.data_dir / "content"

    def with_simulation(self) -> "KioskSettings":
        """Point every device at the simulated backend fed from ``simulate_dir``."""
        if self.simulate_dir is None:
            return self
        root = Path(self.simulate_dir)
        return self.model_copy(update={
            "camera_backend": "file",
            "camera_source": str(root / "camera"),
            "microphone_backend": "file",
            "microphone_source": str(root / "microphone"),
            "speaker_backend": "file",
            "speaker_source": str(root / "speaker"),
            "card_reader_backend": "file",
            "card_reader_source": str(root / "card"),
            "printer_backend": "file",
            "printer_source": str(root / "printer"),
        })
