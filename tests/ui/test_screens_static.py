"""Checks on the screens' source that need no window: texts come from the catalogues."""
import ast
import json
import re
from pathlib import Path

from kiosk.i18n import catalogue

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "screens"
LOCALE = ROOT / "kiosk" / "locale"
KEY_LITERAL = re.compile(r"""["']((?:ui|idle|staff|verify|identity)\.[a-z0-9_.]+)["']""")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
# keys the screens build at run time (f-strings)
BUILT_KEYS = ([f"ui.weekday.{n}" for n in range(7)]
              + [f"ui.leave.summary_{f}" for f in ("destination", "start", "end", "reason")]
              + ["ui.staff_pin.clear", "ui.staff_pin.delete"])
NOT_KEYS = {"idle.staff", "idle.retry", "idle.call_staff", "idle.guidance", "idle.id_number",
            "idle.hint", "idle.card_hint", "verify.instruction", "verify.status",
            "verify.cancel"}  # kiosk_id values


def _catalogue(lang):
    return catalogue(lang)


def _used_keys():
    keys = set(BUILT_KEYS)
    for path in SCREENS.glob("*.py"):
        keys |= set(KEY_LITERAL.findall(path.read_text("utf-8")))
    return keys - NOT_KEYS


def test_every_key_the_screens_use_is_in_both_catalogues():
    for lang in ("zh_CN", "en"):
        catalogue = _catalogue(lang)
        missing = sorted(k for k in _used_keys() if k not in catalogue)
        assert not missing, (lang, missing)


def test_every_key_the_fake_identity_check_shows_is_in_both_catalogues():
    from tests.ui.fake_identity import CHALLENGES

    source = (ROOT / "tests" / "ui" / "fake_identity.py").read_text("utf-8")
    keys = set(re.findall(r"""["']((?:idle|face|liveness|verify|voice)\.[a-z0-9_.]+)["']""", source))
    keys |= {f"liveness.prompt.{c}" for c in CHALLENGES}
    for lang in ("zh_CN", "en"):
        catalogue = _catalogue(lang)
        assert not sorted(k for k in keys if k not in catalogue), lang


def _string_constants(path):
    """String literals of a module, docstrings excepted."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_no_inline_chinese_in_screens_and_no_forbidden_word_in_texts():
    for path in SCREENS.glob("*.py"):
        if path.name == "cjkwrap.py":  # punctuation tables for line breaking, not text
            continue
        for number, value in _string_constants(path):
            assert not CJK.search(value), f"{path.name}:{number}: inline text {value!r}"
    for path in SCREENS.glob("*.kv"):
        assert not CJK.search(path.read_text("utf-8")), path.name
    for lang in ("zh_CN", "en"):
        assert not [k for k, v in _catalogue(lang).items() if "罪犯" in v]
