"""Challenges, settings and the state record of the active liveness check (kiosk.liveness)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

BLINK, TURN_LEFT, TURN_RIGHT, OPEN_MOUTH = "blink", "turn_left", "turn_right", "open_mouth"
CHALLENGES = (BLINK, TURN_LEFT, TURN_RIGHT, OPEN_MOUTH)
TURNS = (TURN_LEFT, TURN_RIGHT)
REASONS = ("no_face", "timeout", "static_image", "wrong_action", "face_changed", "multiple_faces")
PROMPT_LOOK = "liveness.prompt.look_at_camera"
RUNNING, PASSED, FAILED = "running", "passed", "failed"


def prompt_key(challenge: str | None) -> str:
    """Translation key of the spoken/shown prompt for a challenge."""
    return f"liveness.prompt.{challenge}" if challenge else PROMPT_LOOK


@dataclass(frozen=True)
class LivenessConfig:
    """Tunable parameters; times in seconds, distances over the inter-ocular distance."""

    min_challenges: int = 2
    max_challenges: int = 3
    min_turns: int = 1  # a replayed talking head blinks and talks by chance; turns are rarer
    challenge_timeout_s: float = 5.0
    blink_fallback: bool = True  # a timed-out blink is replaced, once, by a non-blink challenge
    baseline_s: float = 0.5  # "look at the camera" before the first prompt
    baseline_min_frames: int = 5
    baseline_max_yaw: float = 0.2  # frames turned further away do not count towards the baseline
    no_face_timeout_s: float = 5.0
    face_lost_s: float = 1.5
    mirrored: bool = False
    blink_close_ratio: float = 0.7
    blink_open_ratio: float = 0.8
    blink_min_frames: int = 2
    turn_yaw: float = 0.30  # change of yaw_proxy from the person's baseline (about 35 degrees)
    turn_hold_frames: int = 2
    centre_yaw: float = 0.15  # a turn counts only after the head was near frontal in this challenge
    mouth_mar: float = 0.50  # talking peaks at 0.4-0.55 for a frame or two
    mouth_hold_s: float = 0.4
    motion_window_s: float = 1.0
    motion_threshold: float = 0.07  # held pictures <= 0.066 (3x shake), talking faces 0.04-0.2
    multi_face_ratio: float = 0.35
    multi_face_frames: int = 3
    jump_iod: float = 1.0  # allowed centre shift between consecutive frames, plus...
    jump_iod_per_s: float = 4.0  # ...this much per second of gap
    scale_jump: float = 1.3  # allowed change of face size between consecutive frames
    identity_check_s: float | None = 1.0  # None: no 128-d identity check (saves ~76 ms a second)
    identity_distance: float = 0.6
    identity_min_iod: float = 45.0  # smaller faces give unstable encodings: check skipped


@dataclass(frozen=True)
class LivenessState:
    """What the UI shows after a frame, and the verdict once the session is over."""

    status: str  # running | passed | failed
    challenge: str | None
    prompt_key: str
    progress: float  # 0..1 within the current challenge
    step: int  # index of the current challenge
    total: int  # number of challenges (a replaced blink keeps its place in the sequence)
    completed: tuple[str, ...] = ()
    reason: str | None = None
    elapsed: float = 0.0
    sequence: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        """True once every challenge was answered."""
        return self.status == PASSED

    @property
    def failed(self) -> bool:
        """True once the session failed (see `reason`)."""
        return self.status == FAILED

    @property
    def done(self) -> bool:
        """True when there is a verdict."""
        return self.status != RUNNING


def draw_challenges(rng: random.Random, config: LivenessConfig = LivenessConfig()) -> list[str]:
    """A random sequence of distinct challenges holding at least `min_turns` turns."""
    count = rng.randint(config.min_challenges, max(config.min_challenges, config.max_challenges))
    count = max(1, min(count, len(CHALLENGES)))
    turns = rng.sample(TURNS, min(config.min_turns, len(TURNS), count))
    rest = rng.sample([c for c in CHALLENGES if c not in turns], count - len(turns))
    sequence = turns + rest
    rng.shuffle(sequence)
    return sequence
