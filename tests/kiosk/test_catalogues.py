"""Every text the kiosk can show exists in Chinese and English."""
from __future__ import annotations

import json
import re
from pathlib import Path

from kiosk.i18n import Translator, catalogue

REPO = Path(__file__).resolve().parents[2]
KEY_IN_CODE = re.compile(r"""(?:FlowError|tr|speak|translate)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
MESSAGE_KEY = re.compile(r"""message_key\s*=\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


def _catalogue(lang: str) -> dict[str, str]:
    return catalogue(lang)


def test_both_languages_have_the_same_keys_and_no_empty_text():
    zh, en = _catalogue("zh_CN"), _catalogue("en")
    assert set(zh) == set(en), set(zh) ^ set(en)
    assert all(v.strip() for v in zh.values()) and all(v.strip() for v in en.values())


def test_every_key_used_in_code_is_in_the_catalogue():
    zh = _catalogue("zh_CN")
    used = set()
    for folder in ("kiosk", "screens"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            used |= set(KEY_IN_CODE.findall(text)) | set(MESSAGE_KEY.findall(text))
    missing = sorted(k for k in used if k not in zh)
    assert not missing, missing


def test_switching_language_changes_the_text():
    tr = Translator("zh_CN")
    assert tr("leave.status.approved") == "已批准"
    tr.set_language("en")
    assert tr("leave.status.approved") == "Approved"
    assert tr("leave.error.too_long", days=30) == "One leave cannot be longer than 30 days"
