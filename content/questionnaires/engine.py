"""The questionnaire engine: validate a definition, score answers, find critical answers.

A definition (``<id>.v<version>.json``) holds the questions in order, the choices with
their values, the scoring rule (``sum`` of the chosen values), the severity bands that
cover the whole score range without a gap, and the critical items (a question whose
answer at or above ``min_value`` needs staff at once, e.g. PHQ-9 item 9). Texts carry
one entry per language (``zh_CN`` first). Answers are the chosen values, one per
question, in the definition's order.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUILTIN_DIR = Path(__file__).resolve().parent
FILE_RE = re.compile(r"^([a-z][a-z0-9_]{0,39})\.v([1-9][0-9]{0,5})\.json$")
ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
LANGUAGES = ("zh_CN", "en")


class DefinitionError(ValueError):
    """A definition file that cannot be used (shape, bands, or file name)."""


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh_CN: str = Field(min_length=1, max_length=500)
    en: str = Field(default="", max_length=500)

    def get(self, language: str) -> str:
        """The text in ``language``, Chinese when that language has none."""
        return (getattr(self, language, "") if language in LANGUAGES else "") or self.zh_CN


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: int = Field(ge=0, le=100)
    text: Text


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    text: Text
    choices: list[Choice] | None = None  # None: the definition's shared choices


class Scoring(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(pattern=r"^sum$")
    min: int
    max: int


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=ID_PATTERN)
    min: int
    max: int
    label: Text


class Critical(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    min_value: int = Field(ge=0)
    code: str = Field(pattern=ID_PATTERN)
    label: Text


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1, le=999_999)
    title: Text
    source: str = ""
    instructions: Text
    choices: list[Choice] = Field(min_length=2, max_length=10)
    questions: list[Question] = Field(min_length=1, max_length=100)
    scoring: Scoring
    bands: list[Band] = Field(min_length=1)
    critical: list[Critical] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self):
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        low = high = 0
        for q in self.questions:
            values = [c.value for c in self.choices_of(q)]
            if len(set(values)) != len(values):
                raise ValueError(f"question {q.id}: choice values must be unique")
            low, high = low + min(values), high + max(values)
        if (low, high) != (self.scoring.min, self.scoring.max):
            raise ValueError(f"scoring range must be {low}-{high}, the sums the choices allow")
        expected = self.scoring.min
        for band in self.bands:  # in order, touching, covering the whole range
            if band.min != expected or band.max < band.min:
                raise ValueError(f"band {band.code} must start at {expected}")
            expected = band.max + 1
        if expected != self.scoring.max + 1:
            raise ValueError(f"the last band must end at {self.scoring.max}")
        for item in self.critical:
            if item.question not in ids:
                raise ValueError(f"critical item names an unknown question {item.question}")
        return self

    def choices_of(self, question: Question) -> list[Choice]:
        return question.choices or self.choices

    @property
    def key(self) -> tuple[str, int]:
        return self.id, self.version

    def band(self, total: int) -> Band:
        return next(b for b in self.bands if b.min <= total <= b.max)

    def critical_at(self, index: int, value: int) -> list[Critical]:
        """The critical items an answer ``value`` to question ``index`` (0-based) raises."""
        qid = self.questions[index].id
        return [c for c in self.critical if c.question == qid and value >= c.min_value]


@dataclass(frozen=True)
class Score:
    """What staff see of a completed questionnaire; never shown at the terminal."""

    questionnaire_id: str
    version: int
    total: int
    band: str
    critical: tuple[str, ...]  # codes of the critical items raised


def check_answers(definition: Definition, answers: list[int]) -> None:
    """Raise ``ValueError`` unless ``answers`` holds one allowed value per question."""
    if len(answers) != len(definition.questions):
        raise ValueError(f"{definition.id} v{definition.version} has "
                         f"{len(definition.questions)} questions, {len(answers)} answers given")
    for question, value in zip(definition.questions, answers):
        allowed = {c.value for c in definition.choices_of(question)}
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            raise ValueError(f"question {question.id}: {value!r} is not one of {sorted(allowed)}")


def score(definition: Definition, answers: list[int]) -> Score:
    """Score complete answers by the definition's own rule and bands."""
    check_answers(definition, answers)
    total = sum(answers)
    critical = tuple(dict.fromkeys(c.code for i, v in enumerate(answers)
                                   for c in definition.critical_at(i, v)))
    return Score(definition.id, definition.version, total, definition.band(total).code, critical)


def parse(data: bytes | str, file_name: str | None = None) -> Definition:
    """A definition from its JSON text; the file name, when given, must match id and version."""
    try:
        definition = Definition.model_validate(json.loads(data))
    except (ValueError, ValidationError) as exc:
        raise DefinitionError(f"{file_name or 'definition'}: {exc}") from None
    if file_name is not None and file_name != file_name_of(*definition.key):
        raise DefinitionError(f"{file_name}: must be named {file_name_of(*definition.key)}")
    return definition


def file_name_of(questionnaire_id: str, version: int) -> str:
    return f"{questionnaire_id}.v{version}.json"


@dataclass(frozen=True)
class Published:
    """A definition file as published: its bytes (served as is) and their sha256."""

    definition: Definition
    data: bytes
    sha256: str


class Library:
    """Every definition of one or more folders, by (id, version); later folders may add
    versions but never replace one (a published version never changes)."""

    def __init__(self, folders: list[Path] | None = None) -> None:
        self._items: dict[tuple[str, int], Published] = {}
        for folder in folders or [BUILTIN_DIR]:
            for path in sorted(Path(folder).glob("*.json")):
                if not FILE_RE.match(path.name):
                    raise DefinitionError(f"{path.name}: not named <id>.v<version>.json")
                data = path.read_bytes()
                definition = parse(data, path.name)
                if definition.key in self._items:
                    raise DefinitionError(f"{path}: {definition.id} v{definition.version} "
                                          "is already published")
                self._items[definition.key] = Published(definition, data,
                                                        hashlib.sha256(data).hexdigest())

    def get(self, questionnaire_id: str, version: int) -> Published | None:
        return self._items.get((questionnaire_id, version))

    def latest(self, questionnaire_id: str) -> Published | None:
        versions = [k[1] for k in self._items if k[0] == questionnaire_id]
        return self._items[(questionnaire_id, max(versions))] if versions else None

    def latest_all(self) -> list[Published]:
        """The newest version of each questionnaire, by id."""
        ids = sorted({k[0] for k in self._items})
        return [self.latest(i) for i in ids]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        """Every published definition, by id and version."""
        return iter([self._items[k] for k in sorted(self._items)])
