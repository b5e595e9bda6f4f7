"""The configuration form: parse what staff typed (empty = inherit), checked against
``contract.TerminalConfig``; a bad value names the field in the staff member's language."""
from __future__ import annotations

from pydantic import ValidationError

from server_api import contract
from server_api.server.fleet import CONFIG_KEYS, DEFAULTS
from server_api.server.validation import FormError

# The choices of the languages field (the first is the idle screen's).
LANGUAGE_CHOICES = ("zh_CN,en", "en,zh_CN", "zh_CN", "en")
# Whole-number keys (every key whose default is an int, e.g. the leave rules' numbers).
INT_KEYS = tuple(k for k in CONFIG_KEYS if type(getattr(DEFAULTS, k)) is int)


def form_values(values: dict) -> dict[str, str]:
    """Stored keys as the form shows them (languages as "zh_CN,en")."""
    shown = {}
    for key, value in values.items():
        shown[key] = ",".join(value) if key == "languages" else str(value)
    return shown


def parse_config_form(form: dict[str, str]) -> dict:
    """The keys staff set (non-empty fields), validated one by one, or FormError."""
    values: dict = {}
    for key in CONFIG_KEYS:
        raw = (form.get(key) or "").strip()
        if not raw:
            continue
        if key in INT_KEYS:
            try:
                value = int(raw)
            except ValueError:
                raise FormError("error.config_value", field_key=f"config.{key}",
                                hint_key=f"config.hint.{key}") from None
        elif key == "languages":
            if raw not in LANGUAGE_CHOICES:
                raise FormError("error.config_value", field_key=f"config.{key}",
                                hint_key=f"config.hint.{key}")
            value = raw.split(",")
        else:
            value = raw
        try:
            contract.TerminalConfig.model_validate({key: value})
        except ValidationError:
            raise FormError("error.config_value", field_key=f"config.{key}",
                            hint_key=f"config.hint.{key}") from None
        values[key] = value
    return values
