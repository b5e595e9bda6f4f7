"""Names and ID numbers of supervised persons: one rule for the kiosk and the console."""
from __future__ import annotations

import re

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_NUMBER_SHAPE = re.compile(r"[1-9]\d{16}[\dX]")


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三: enough for the person to recognise, not to identify."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """110101198001010011 → 110101********0011: the region and the last digits, as on screen."""
    return number[:6] + "********" + number[-4:] if len(number) == 18 else number


def id_check_char(first17: str) -> str:
    """The check character of a resident ID number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def id_number_checksum_ok(number: str) -> bool:
    """True for 18 characters of the right shape whose check character matches."""
    return bool(ID_NUMBER_SHAPE.fullmatch(number)) and id_check_char(number[:17]) == number[17]
