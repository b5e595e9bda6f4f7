"""What the identification thread tells the screens, one immutable record at a time."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdentityState:
    """The screens poll this; `status` says which panel to show.

    status: idle | waiting | looking | camera_unavailable | liveness | voice |
    identified | not_recognised | staff_called
    """

    status: str
    person_id: int | None = None
    score: float = 0.0
    message_key: str = "idle.prompt.step_up"
    display_name: str = ""  # masked name of the proposed/claimed person
    hint_key: str | None = None  # face quality hint or the reason of a retry
    challenge: str | None = None  # liveness: current challenge
    progress: float = 0.0  # liveness: progress within the challenge
    step: int = 0
    total: int = 0
    digits: str = ""  # voice: the digits to read aloud, spaced
    recording: bool = False
    claimed: bool = False  # identity claimed by ID card or number (1:1)
    attempts_left: int = 0
