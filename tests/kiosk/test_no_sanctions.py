"""No sanctions by machine (Community Correction Law Art 28): 训诫 and 警告 are decided by
the correction agency on the facts. Nothing the terminal or the server can do imposes,
proposes or records one: no event, command, status, table or column for it, no code path
named for it, and the only texts that mention one say that the system does not decide it.
"""
from __future__ import annotations

import ast
import re
from enum import Enum
from pathlib import Path

from kiosk.i18n import catalogue as kiosk_catalogue
from server_api import contract
from server_api.server.i18n import catalogue as server_catalogue

REPO = Path(__file__).resolve().parents[2]
CODE_FOLDERS = ("kiosk", "screens", "server_api", "devices", "content", "provisioning")
# Sanctions of Art 28 and the revocation measures that follow them, in Chinese, and the
# words code would use for them.
SANCTION_TEXT = re.compile(r"训诫|警告|处罚|治安管理处罚|撤销缓刑|撤销假释|收监")
SANCTION_WORD = re.compile(r"sanction|reprimand|penalt|punish|xunjie|jinggao|revoke_(probation|parole)"
                           r"|warning_(issue|notice)|impose", re.IGNORECASE)
# Catalogue texts allowed to name a sanction: each says the system does not decide one.
DISCLAIMERS = {"overdue.help"}


def _catalogue_texts():
    for name, load in (("kiosk", kiosk_catalogue), ("server", server_catalogue)):
        for language in ("zh_CN", "en"):
            for key, text in load(language).items():
                yield name, language, key, text


def test_texts_name_a_sanction_only_to_say_the_system_does_not_decide_it():
    """Art 28: a screen or console text never tells anyone they are warned or punished."""
    found = {(name, key) for name, _, key, text in _catalogue_texts()
             if SANCTION_TEXT.search(text) or SANCTION_WORD.search(text)}
    assert {key for _, key in found} <= DISCLAIMERS, sorted(found)
    for _, language, key, text in _catalogue_texts():
        if key in DISCLAIMERS and language == "zh_CN":
            assert "不" in text, (key, text)  # a negation: 不据此作出任何处理决定


def test_no_event_command_or_status_is_a_sanction():
    """Art 28: the API has no way to carry a sanction, in either direction."""
    enums = [v for v in vars(contract).values()
             if isinstance(v, type) and issubclass(v, Enum) and v is not Enum]
    assert contract.EventKind in enums and contract.CommandKind in enums
    values = [(e.__name__, m.name, str(m.value)) for e in enums for m in e]
    assert not [v for v in values if SANCTION_WORD.search(" ".join(v)[len(v[0]):])
                or SANCTION_TEXT.search(v[2])]


def test_no_table_or_column_records_a_sanction():
    """Art 28: neither database has anywhere to store a sanction decided by software."""
    from kiosk.store.models import Base as KioskBase
    from server_api.server.models import Base as ServerBase

    names = [f"{table.name}.{column.name}"
             for base in (KioskBase, ServerBase) for table in base.metadata.tables.values()
             for column in table.columns]
    assert len(names) > 20
    assert not [n for n in names if SANCTION_WORD.search(n)]


def _code_names(tree: ast.AST):
    """Identifiers and non-docstring string constants of a module."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:
            yield node.value


def test_no_code_path_is_named_for_imposing_a_sanction():
    """Art 28: no function, variable, route or stored string of the product is about
    imposing a sanction (docstrings and comments may explain that none is imposed)."""
    offending = []
    files = [p for folder in CODE_FOLDERS for p in (REPO / folder).rglob("*.py")]
    assert len(files) > 50
    for path in files:
        for name in _code_names(ast.parse(path.read_text(encoding="utf-8"))):
            if SANCTION_WORD.search(name) or SANCTION_TEXT.search(name):
                offending.append(f"{path.relative_to(REPO)}: {name[:60]}")
    assert not offending, offending
