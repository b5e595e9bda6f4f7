"""Checks of what staff type into the console; a failure names a catalogue message key."""
from __future__ import annotations

import datetime as dt
import re

from server_api.contract import CaseType
from server_api.names import id_check_char

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,50}$")
MIN_PASSWORD_LENGTH = 8
ROLES = ("admin", "staff", "editor")  # editor: the lesson library only


class FormError(Exception):
    """Bad input; ``key`` is a message in the console catalogue."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# NUL and the other C0 controls but tab, line feed and carriage return; and DEL.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    """True for NUL and other control characters (tabs and line breaks are fine)."""
    return _CONTROL_CHARACTERS.search(text) is not None


def check_id_number(value: str, today: dt.date | None = None) -> str:
    """A valid 18-character resident ID number, normalised (upper-case X), or FormError."""
    number = value.strip().upper()
    if not number:
        raise FormError("error.id_number_required")
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", number):
        raise FormError("error.id_number_format")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise FormError("error.id_number_birthdate") from None
    if born.year < 1900 or born > (today or dt.date.today()):
        raise FormError("error.id_number_birthdate")
    if id_check_char(number[:17]) != number[17]:
        raise FormError("error.id_number_checksum")
    return number


def required_text(value: str | None, key: str, max_length: int) -> str:
    """Stripped text, not empty and not longer than ``max_length``."""
    text = (value or "").strip()
    if not text:
        raise FormError(key)
    return optional_text(text, max_length)


def optional_text(value: str | None, max_length: int) -> str:
    """Stripped text, possibly empty, without control characters."""
    text = (value or "").strip()
    if len(text) > max_length:
        raise FormError("error.too_long", max=max_length)
    if has_control_characters(text):
        raise FormError("error.invalid_characters")
    return text


def check_case_type(value: str) -> CaseType:
    try:
        return CaseType(value)
    except ValueError:
        raise FormError("error.case_type") from None


def check_username(value: str) -> str:
    username = (value or "").strip()
    if not username:
        raise FormError("error.username_required")
    if not USERNAME_RE.fullmatch(username):
        raise FormError("error.username_format")
    return username


def check_password(value: str) -> str:
    if len(value or "") < MIN_PASSWORD_LENGTH:
        raise FormError("error.password_short", min=MIN_PASSWORD_LENGTH)
    return value


def check_role(value: str) -> str:
    if value not in ROLES:
        raise FormError("error.role")
    return value


def parse_id(value: str | None, key: str) -> int:
    """A positive integer id from a form field."""
    try:
        number = int((value or "").strip())
    except ValueError:
        raise FormError(key) from None
    if not 0 < number <= 2**31 - 1:  # beyond PostgreSQL's INTEGER no row can match
        raise FormError(key)
    return number
