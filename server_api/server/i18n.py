"""Catalogues of the staff console: every text a page shows comes from ``locale/*.json``.

Simplified Chinese is the reference. A key missing in English falls back to Chinese; a
key missing everywhere shows the key itself, so a gap is visible, never an empty label.
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
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    merged = json.loads((LOCALE_DIR / f"{language}.json").read_text(encoding="utf-8"))
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


def translator(language: str):
    """A ``t(key, **params)`` function for one language (unknown ones give Chinese)."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def t(key: str, **params: object) -> str:
        return translate(key, lang, **params)

    return t
