"""What the screens are given about a person: never more than they may show."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonView:
    id: int
    display_name: str
    case_type: str
