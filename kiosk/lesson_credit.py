"""The lesson-credit rule: which learning time counts, when to pause, how far one may seek.

Pure (no Kivy, no dlib, no clock of its own): the player feeds it one face check at a
time — when it was taken (wall seconds), where the video stood (media seconds) and what
the check saw — and it answers what to do. Rules (DOMAIN.md art. 36, lessons assigned
per person; the learning time must be the verified person's own):

* time is credited only for an interval of playback that starts and ends with a check
  that saw the verified person ("present"); the credit of an interval is the media
  time played, never more than the wall time that passed (no fast-forward credit);
* a check that sees another face ("other") or no face ("absent") earns nothing; the
  lesson pauses when the checks in a row that did not see the person reach
  ``other_checks_to_pause`` (the last one saw another face) or ``absent_checks_to_pause``
  (the last one saw no face). Two by default: one glance away, or one frame the face
  engine misjudges, costs one interval of credit but does not stop the lesson;
* on a pause the video goes back to the position of the last "present" check, so
  nothing unseen is skipped; the next "present" check resumes;
* seeking back is free, seeking ahead never goes past the furthest point reached
  (``allowed_seek``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Seen(str, Enum):
    """What one silent face check saw."""

    present = "present"  # the verified person's face
    absent = "absent"    # no face
    other = "other"      # a face that is not the verified person


class Action(str, Enum):
    play = "play"      # keep (or start) playing
    pause = "pause"    # pause now, say why (``reason``)
    resume = "resume"  # the person is back: play from ``seek_to``


@dataclass(frozen=True)
class CreditPolicy:
    """Configuration keys ``lesson_check_every_s``, ``lesson_absent_checks_to_pause`` and
    ``lesson_other_checks_to_pause``."""

    check_every_s: float = 3.0
    absent_checks_to_pause: int = 2
    other_checks_to_pause: int = 2


@dataclass(frozen=True)
class Decision:
    action: Action
    credited_now: float = 0.0       # seconds credited by this check
    reason: Seen | None = None      # why a pause (absent / other)
    seek_to: float | None = None    # where the video must stand (pause or resume)
    total_s: float = 0.0            # credited so far, this check included


@dataclass
class CreditState:
    """The running state of one viewing; survives as (credited, furthest) in the store."""

    credited_s: float = 0.0
    furthest_s: float = 0.0
    paused: bool = False
    reason: Seen | None = None
    last_wall: float | None = None
    last_media: float | None = None
    last_seen: Seen | None = None
    last_present_media: float = 0.0
    misses: int = 0
    history: list[tuple[float, float, Seen, float]] = field(default_factory=list)


def allowed_seek(target_s: float, furthest_s: float) -> float:
    """Where a seek to ``target_s`` may land: back freely, never past the furthest point."""
    return max(0.0, min(float(target_s), float(furthest_s)))


class CreditRule:
    """Feeds face checks into a ``CreditState`` and decides play / pause / resume."""

    def __init__(self, policy: CreditPolicy | None = None, credited_s: float = 0.0,
                 furthest_s: float = 0.0, start_s: float = 0.0) -> None:
        self.policy = policy or CreditPolicy()
        self.state = CreditState(credited_s=float(credited_s), furthest_s=float(furthest_s),
                                 last_present_media=float(start_s))

    def start(self, wall_s: float, media_s: float) -> None:
        """The viewing begins right after identification: the person counts as present."""
        s = self.state
        s.last_wall, s.last_media, s.last_seen = wall_s, media_s, Seen.present
        s.last_present_media = media_s

    def check(self, wall_s: float, media_s: float, seen: Seen) -> Decision:
        """One face check; returns what the player must do now."""
        s, seen = self.state, Seen(seen)
        if s.last_wall is None:
            self.start(wall_s, media_s)
        credit = 0.0
        if not s.paused and seen is Seen.present and s.last_seen is Seen.present:
            played = max(0.0, media_s - (s.last_media or 0.0))
            credit = min(played, max(0.0, wall_s - s.last_wall))
        if not s.paused:
            s.furthest_s = max(s.furthest_s, media_s)
        s.credited_s += credit
        s.history.append((wall_s, media_s, seen, credit))
        s.last_wall, s.last_media, s.last_seen = wall_s, media_s, seen
        if seen is Seen.present:
            s.misses = 0
            s.last_present_media = media_s
            if s.paused:
                s.paused, s.reason = False, None
                return Decision(Action.resume, credit, seek_to=media_s, total_s=s.credited_s)
            return Decision(Action.play, credit, total_s=s.credited_s)
        s.misses += 1
        if s.paused:
            s.reason = seen
            return Decision(Action.pause, 0.0, reason=seen, seek_to=media_s, total_s=s.credited_s)
        needed = (self.policy.other_checks_to_pause if seen is Seen.other
                  else self.policy.absent_checks_to_pause)
        if s.misses >= needed:
            s.paused, s.reason = True, seen
            back = s.last_present_media
            s.last_media = back
            return Decision(Action.pause, credit, reason=seen, seek_to=back, total_s=s.credited_s)
        return Decision(Action.play, credit, total_s=s.credited_s)

    def seek(self, target_s: float) -> float:
        """The no-skip rule applied to a seek the person asked for."""
        landed = allowed_seek(target_s, self.state.furthest_s)
        self.state.last_media = landed
        return landed


def credit_timeline(checks: list[tuple[float, float, Seen]],
                    policy: CreditPolicy | None = None) -> tuple[float, list[Decision]]:
    """Replay a whole timeline of (wall, media, seen) checks; returns (credited, decisions)."""
    rule = CreditRule(policy)
    decisions = [rule.check(wall, media, seen) for wall, media, seen in checks]
    return rule.state.credited_s, decisions
