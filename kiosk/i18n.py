"""Translation catalogues: every text the kiosk shows or speaks comes from here.

Catalogues are JSON files in ``kiosk/locale/`` keyed by message id. Simplified Chinese
is the reference: a key missing in another language falls back to Chinese, and a key
missing everywhere shows the key itself (so a gap is visible, never an empty label).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")


@lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, str]:
    """``<language>.json`` plus every fragment ``<feature>.<language>.json`` beside it.

    A feature keeps its texts in a fragment of its own; a key defined twice is an error.
    """
    path = LOCALE_DIR / f"{language}.json"
    if not path.exists():
        raise ValueError(f"unknown language {language!r}")
    merged = json.loads(path.read_text(encoding="utf-8"))
    for fragment in sorted(LOCALE_DIR.glob(f"*.{language}.json")):
        texts = json.loads(fragment.read_text(encoding="utf-8"))
        twice = sorted(set(texts) & set(merged))
        if twice:
            raise ValueError(f"{fragment.name} defines keys already defined: {twice}")
        merged.update(texts)
    return merged


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    text = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


class Translator:
    """The current language of one kiosk, switchable on screen."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = DEFAULT_LANGUAGE
        self.set_language(language)

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language

    def __call__(self, key: str, **params: object) -> str:
        return translate(key, self.language, **params)
