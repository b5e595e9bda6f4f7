"""The questionnaire engine and the published PHQ-9 / GAD-7 definitions (心理测评)."""
import json
import shutil

import pytest

from content.questionnaires import engine
from content.questionnaires.engine import DefinitionError, Library, parse, score

LIB = Library()
PHQ9 = LIB.get("phq9", 1).definition
GAD7 = LIB.get("gad7", 1).definition


def answers_summing(definition, total, last=None):
    """Answers (values 0-3) that add up to ``total``, the last item fixed when given."""
    n = len(definition.questions)
    values = [0] * n
    if last is not None:
        values[-1] = last
        total -= last
    for i in range(n - (1 if last is not None else 0)):
        values[i] = min(3, total)
        total -= values[i]
    assert total == 0
    return values


@pytest.mark.parametrize("total, band", [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
    (14, "moderate"), (15, "moderately_severe"), (19, "moderately_severe"),
    (20, "severe"), (27, "severe")])
def test_phq9_band_boundaries(total, band):
    result = score(PHQ9, answers_summing(PHQ9, total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize("total, band", [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
    (14, "moderate"), (15, "severe"), (21, "severe")])
def test_gad7_band_boundaries(total, band):
    result = score(GAD7, answers_summing(GAD7, total))
    assert (result.total, result.band) == (total, band)
    assert result.critical == ()  # GAD-7 has no critical item


def test_phq9_item9_is_critical_from_1():
    assert score(PHQ9, answers_summing(PHQ9, 0, last=0)).critical == ()
    for value in (1, 2, 3):
        assert score(PHQ9, answers_summing(PHQ9, value, last=value)).critical == (
            "self_harm_thoughts",)
    # answered on its own, while the questionnaire is still open
    assert PHQ9.critical_at(8, 0) == []
    assert [c.code for c in PHQ9.critical_at(8, 1)] == ["self_harm_thoughts"]
    assert PHQ9.critical_at(0, 3) == []  # item 1 at its maximum is not critical


def test_official_chinese_wording_and_ranges():
    assert len(PHQ9.questions) == 9 and len(GAD7.questions) == 7
    assert (PHQ9.scoring.min, PHQ9.scoring.max) == (0, 27)
    assert (GAD7.scoring.min, GAD7.scoring.max) == (0, 21)
    assert [c.text.zh_CN for c in PHQ9.choices] == ["完全不会", "好几天", "一半以上的天数", "几乎每天"]
    assert [c.value for c in PHQ9.choices] == [0, 1, 2, 3]
    assert PHQ9.questions[8].text.zh_CN == "有不如死掉或用某种方式伤害自己的念头"
    assert GAD7.questions[0].text.zh_CN == "感觉紧张、焦虑或急切"
    assert PHQ9.title.get("fr") == PHQ9.title.zh_CN  # unknown language: Chinese


@pytest.mark.parametrize("answers", [
    [0] * 8, [0] * 10, [0] * 8 + [4], [0] * 8 + [-1], [0] * 8 + [True], [0] * 8 + ["1"]])
def test_incomplete_or_out_of_range_answers_are_refused(answers):
    with pytest.raises(ValueError):
        score(PHQ9, answers)


def _broken(**change):
    data = json.loads(LIB.get("phq9", 1).data)
    data.update(change)
    return json.dumps(data)


@pytest.mark.parametrize("change", [
    {"bands": [{"code": "a", "min": 0, "max": 4, "label": {"zh_CN": "甲"}},
               {"code": "b", "min": 6, "max": 27, "label": {"zh_CN": "乙"}}]},  # a gap
    {"bands": [{"code": "a", "min": 0, "max": 20, "label": {"zh_CN": "甲"}}]},  # short
    {"scoring": {"method": "sum", "min": 0, "max": 30}},
    {"critical": [{"question": "phq9_10", "min_value": 1, "code": "x", "label": {"zh_CN": "x"}}]},
    {"choices": [{"value": 0, "text": {"zh_CN": "否"}}, {"value": 0, "text": {"zh_CN": "是"}}]},
])
def test_inconsistent_definitions_are_refused(change):
    with pytest.raises(DefinitionError):
        parse(_broken(**change))


def test_a_new_version_is_a_new_file_and_the_old_one_stays(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    data = json.loads(LIB.get("phq9", 1).data)
    data["version"] = 2
    data["bands"][0]["max"], data["bands"][1]["min"] = 5, 6  # a changed rule
    (extra / "phq9.v2.json").write_text(json.dumps(data), "utf-8")
    lib = Library([engine.BUILTIN_DIR, extra])
    assert lib.latest("phq9").definition.version == 2
    same = answers_summing(PHQ9, 5, last=0)
    assert score(lib.get("phq9", 1).definition, same).band == "mild"
    assert score(lib.get("phq9", 2).definition, same).band == "minimal"


def test_a_published_version_cannot_be_replaced_or_misnamed(tmp_path):
    shutil.copy(engine.BUILTIN_DIR / "phq9.v1.json", tmp_path / "phq9.v1.json")
    with pytest.raises(DefinitionError, match="already published"):
        Library([engine.BUILTIN_DIR, tmp_path])
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(engine.BUILTIN_DIR / "phq9.v1.json", other / "phq9.v3.json")
    with pytest.raises(DefinitionError, match="must be named"):
        Library([other])
