"""One rule, said the same way everywhere (knowledge/department_rules.py): the hours of driving, an adult staying
and fasting come from site.yml, every preparation asks about diabetes medicines and thyroid disease, drinking
plenty carries the fluid limit, embolization fevers have a limit, TACE and SIRT give their breastfeeding advice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from core.config import ROOT
from core.site import KNOWN_PLACEHOLDERS, PLACEHOLDER, load_site
from knowledge.catalog import PROCEDURES
from knowledge.department_rules import OWN_BREASTFEEDING_ADVICE, POST_EMBOLIZATION, WORDING
from knowledge.documents import load_and_validate
from knowledge.languages import texts_dir

TEXTS = ROOT / "knowledge" / "texts"
TODAY = dt.date(2026, 11, 23)
LANGUAGES = sorted(WORDING)
# The department's rule with the hours written out, as texts used to say it.
NUMBERED = {
    "en": "Do not drive for at least 24 hours after sedation.",
    "fr": "Ne conduisez pas pendant au moins 24 heures après une sédation.",
    "es": "No conduzca durante al menos 24 horas después de una sedación.",
}
DRINK_PLENTY = {"en": "Drink plenty of fluids.", "fr": "Buvez beaucoup.", "es": "Beba bastante líquido."}


@pytest.fixture
def texts(tmp_path) -> Path:
    """A copy of the real texts to break one thing at a time."""
    copy = tmp_path / "texts"
    shutil.copytree(TEXTS, copy)
    return copy


def problems_in(directory: Path) -> list[str]:
    return [str(p) for p in load_and_validate(directory, TODAY, complete=directory.name == "texts")[1]]


def section_of(path: Path, section: str) -> str:
    text = path.read_text()
    return text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_keeps_the_department_rules(language):
    docs, problems = load_and_validate(texts_dir(TEXTS, language), TODAY, complete=language == "en")
    assert [str(p) for p in problems if p.level == "error"] == []
    wording = WORDING[language]
    procedures = [d for d in docs if d.procedure in PROCEDURES]
    assert len(procedures) == len(PROCEDURES)
    for doc in procedures:
        sections = {s.id: " ".join(s.text.split()) for s in doc.sections}
        assert wording.driving in sections["driving"], doc.path
        assert wording.diabetes in sections["preparation"] and wording.thyroid in sections["preparation"], doc.path


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_fixed_sentences_use_only_known_placeholders_and_a_convertible_temperature(language):
    wording = WORDING[language]
    for sentence in (wording.driving, wording.diabetes, wording.thyroid, wording.fever, wording.fever_sign):
        assert set(PLACEHOLDER.findall(sentence)) <= KNOWN_PLACEHOLDERS
    site = dataclasses.replace(load_site(ROOT / "site.yml"), driving_after_sedation_hours=48, temperature_unit="F")
    assert "48" in site.fill(wording.driving) and "{" not in site.fill(wording.driving)
    assert "100.4 °F" in site.fill(wording.fever) and "100.4 °F" in site.fill(wording.fever_sign)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_general_pages_state_each_rule_with_its_placeholder(language):
    general = "".join(path.read_text() for path in texts_dir(TEXTS, language).glob("general_*.md"))
    for placeholder in ("driving_after_sedation_hours", "adult_stays_hours", "fasting_food_hours", "fasting_clear_fluids_hours"):
        assert f"{{{placeholder}}}" in general, placeholder


@pytest.mark.parametrize("language", LANGUAGES)
def test_driving_hours_written_as_a_number_are_reported_on_their_line(texts, language):
    directory = texts_dir(texts, language)
    path = directory / "embolization.md"
    replace_in(path, WORDING[language].driving, NUMBERED[language])
    found = problems_in(directory)
    line = line_of(path, NUMBERED[language])
    assert any(p.startswith(f"{path}:{line}: error: driving, fasting and an adult staying are the department's rules") for p in found)
    assert any(p.startswith(f"{path}:") and "driving must give the department's rule" in p for p in found)


def test_a_general_page_may_not_write_the_hours_either(texts):
    path = texts / "general_sedation.md"
    replace_in(path, "{driving_after_sedation_hours} hours", "24 hours")
    assert any(p.startswith(f"{path}:{line_of(path, '24 hours afterwards')}: error: driving, fasting") for p in problems_in(texts))


def test_fasting_and_an_adult_staying_are_rules_too(texts):
    path = texts / "tumor_ablation.md"
    replace_in(
        path, "Bring a list of your medicines and an overnight bag.", "Do not eat for 6 hours. An adult stays with you for 24 hours."
    )
    found = [p for p in problems_in(texts) if p.startswith(f"{path}:") and "department's rules" in p]
    assert len(found) == 2


def test_hours_that_are_not_a_rule_are_allowed(texts):
    path = texts / "embolization.md"
    replace_in(path, "## duration\n", "## duration\nYou may rest for one to six hours. Keep the dressing on for 24 hours.\n")
    assert not [p for p in problems_in(texts) if "department's rules" in p]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["diabetes", "thyroid"])
def test_a_preparation_without_the_diabetes_or_thyroid_sentence_is_reported(texts, language, kind):
    directory = texts_dir(texts, language)
    path = directory / "angiography.md"
    sentence = getattr(WORDING[language], kind)
    replace_in(path, sentence, "")
    assert f"{path}:{line_of(path, '## preparation')}: error: preparation must say: '{sentence}'" in problems_in(directory)


@pytest.mark.parametrize("language", LANGUAGES)
def test_drinking_plenty_without_the_fluid_limit_is_reported(texts, language):
    directory = texts_dir(texts, language)
    path = directory / "nerve_block.md"
    replace_in(path, "## aftercare\n", f"## aftercare\n{DRINK_PLENTY[language]}\n")
    message = f"{path}:{line_of(path, DRINK_PLENTY[language])}: error: advice to drink plenty must add '{WORDING[language].fluid_limit}'"
    assert message in problems_in(directory)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("procedure", OWN_BREASTFEEDING_ADVICE)
def test_tace_and_sirt_without_their_breastfeeding_advice_are_reported(texts, language, procedure):
    directory = texts_dir(texts, language)
    path = directory / f"{procedure}.md"
    header, body = path.read_text().split("\n---\n", 1)
    assert WORDING[language].breastfeeding.search(body)
    path.write_text(header + "\n---\n" + WORDING[language].breastfeeding.sub("", body))
    assert any(p.startswith(f"{path}:1: error: this treatment needs its own breastfeeding advice") for p in problems_in(directory))


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_embolization_fever_without_its_limit_or_with_another_warning_sign_is_reported(texts, language):
    directory = texts_dir(texts, language)
    path = directory / "uterine_fibroid_embolization.md"
    wording = WORDING[language]
    replace_in(path, wording.fever, "")
    replace_in(path, wording.fever_sign, "- " + wording.fever_sign.split(",")[0].removeprefix("- "))
    found = problems_in(directory)
    assert any(p.startswith(f"{path}:{line_of(path, '## aftercare')}: error: aftercare must say when a fever") for p in found)
    assert any(p.startswith(f"{path}:{line_of(path, '## when_to_call')}: error: when_to_call must list the same fever") for p in found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_embolization_gives_the_same_fever_limit_in_its_aftercare_and_warning_signs(language):
    for procedure in POST_EMBOLIZATION:
        path = texts_dir(TEXTS, language) / f"{procedure}.md"
        aftercare, when_to_call = (" ".join(section_of(path, s).split()) for s in ("aftercare", "when_to_call"))
        assert WORDING[language].fever in aftercare, path
        assert re.search(rf"^{re.escape(WORDING[language].fever_sign)}$", section_of(path, "when_to_call"), re.M), path
