"""The validator tells a curator what is wrong, with the file and the line."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from core.config import ROOT
from knowledge.build import main as build_main
from knowledge.catalog import GENERAL, PROCEDURES, SECTIONS, TOPICS
from knowledge.documents import load_and_validate

TEXTS = ROOT / "knowledge" / "texts"
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def texts(tmp_path) -> Path:
    """A copy of the real texts to break one thing at a time."""
    copy = tmp_path / "texts"
    shutil.copytree(TEXTS, copy)
    return copy


def problems_in(directory: Path, today=TODAY) -> list[str]:
    _, problems = load_and_validate(directory, today)
    return [str(p) for p in problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


def test_the_curated_texts_are_valid_and_complete():
    docs, problems = load_and_validate(TEXTS, TODAY)
    assert [str(p) for p in problems] == []
    assert {d.procedure for d in docs} == set(PROCEDURES) | {GENERAL}
    for doc in docs:
        if doc.procedure != GENERAL:
            assert [s.id for s in doc.sections] == list(SECTIONS), doc.path.name
    general_sections = [s.id for d in docs if d.procedure == GENERAL for s in d.sections]
    assert sorted(general_sections) == sorted(TOPICS)


def test_a_missing_section_is_reported(texts):
    path = texts / "embolization.md"
    edit(path, "## driving", "## drivng")
    found = problems_in(texts)
    assert f"{path}:{line_of(path, '## drivng')}: error: unknown section 'drivng'" in "\n".join(found)
    assert any(p.startswith(f"{path}:1: error: missing section 'driving'") for p in found)


def test_an_unknown_placeholder_is_reported_on_its_line(texts):
    path = texts / "angiography.md"
    edit(path, "{department_phone}", "{phone_number}")
    found = problems_in(texts)
    assert f"{path}:{line_of(path, '{phone_number}')}: error: unknown placeholder {{phone_number}}" in found


def test_missing_metadata_is_reported(texts):
    path = texts / "nephrostomy.md"
    lines = [line for line in path.read_text().splitlines() if not line.startswith(("sign_off:", "review_due:"))]
    path.write_text("\n".join(lines) + "\n")
    found = problems_in(texts)
    assert f"{path}:1: error: missing metadata 'review_due'" in found
    assert f"{path}:1: error: missing metadata 'sign_off' (null for a draft)" in found


def test_a_name_used_by_two_texts_is_reported(texts):
    edit(texts / "gastrostomy.md", "names:\n", "names:\n  - Kidney Tube\n")
    path = texts / "nephrostomy.md"
    found = problems_in(texts)
    assert f"{path}:{line_of(path, '- kidney tube')}: error: name 'kidney tube' is also used by gastrostomy.md" in found


def test_an_overdue_review_is_a_warning_not_an_error(texts):
    found = problems_in(texts, today=dt.date(2028, 1, 1))
    path = texts / "embolization.md"
    assert f"{path}:{line_of(path, 'review_due:')}: warning: review overdue since 2027-11-23" in found
    assert not [p for p in found if ": error: " in p]


def test_a_broken_header_is_reported_with_its_line(texts):
    path = texts / "ivc_filter.md"
    edit(path, "title:", "title: [unclosed")
    found = problems_in(texts)
    assert any(p.startswith(f"{path}:") and "YAML header does not parse" in p for p in found)


def test_the_build_command_refuses_invalid_texts(texts, tmp_path, capsys):
    edit(texts / "embolization.md", "## risks", "## risk")
    assert build_main(["--texts", str(texts), "--index", str(tmp_path / "index")]) == 1
    assert "unknown section 'risk'" in capsys.readouterr().err
    assert not (tmp_path / "index").exists()


def test_questions_for_a_section_the_text_lacks_are_reported_on_their_line(texts):
    path = texts / "embolization.md"
    edit(path, "\n  driving:\n", "\n  drivin:\n")
    found = problems_in(texts)
    assert f"{path}:{line_of(path, '  drivin:')}: error: questions for section 'drivin', which this text does not have" in found


def test_questions_must_be_lists_of_text(texts):
    path = texts / "embolization.md"
    edit(path, "questions:\n  definition:\n", "questions:\n  definition: what is it\n  unused:\n")
    found = problems_in(texts)
    line = line_of(path, "  definition: what is it")
    assert f"{path}:{line}: error: questions for 'definition' must be a list of non-empty strings" in found


def test_a_not_name_that_is_also_the_texts_own_name_is_reported_on_its_line(texts):
    path = texts / "angioplasty_stenting.md"
    edit(path, "  - tevar\n", "  - stent\n")
    found = problems_in(texts)
    assert f"{path}:{line_of(path, 'not_names:') + 1}: error: 'stent' is in both names and not_names" in found


def test_a_not_name_listed_by_two_texts_is_reported(texts):
    path = texts / "nephrostomy.md"
    edit(path, "names:\n", "not_names:\n  - heart stent\nnames:\n")
    found = problems_in(texts)
    assert f"{path}:{line_of(path, '- heart stent')}: error: not_names 'heart stent' is also listed by angioplasty_stenting.md" in found


def test_not_names_must_be_a_list(texts):
    path = texts / "embolization.md"
    edit(path, "not_names:\n", "not_names: pulmonary embolism\nunused:\n")
    found = problems_in(texts)
    assert f"{path}:{line_of(path, 'not_names:')}: error: not_names must be a list" in found


@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_languages_texts_are_valid_with_the_english_ids_and_sections(language):
    english = {doc.id: [s.id for s in doc.sections] for doc in load_and_validate(TEXTS, TODAY)[0]}
    docs, problems = load_and_validate(TEXTS / language, TODAY, complete=False)
    assert [str(p) for p in problems if p.level == "error"] == []
    assert docs and all(doc.meta.get("language") == language for doc in docs)
    assert {doc.id: [s.id for s in doc.sections] for doc in docs}.items() <= english.items()


def test_a_text_missing_in_one_language_is_reported_and_an_error_in_it_fails_the_check(texts, capsys):
    (texts / "fr" / "angiography.md").unlink()
    assert build_main(["--texts", str(texts), "--check"]) == 0
    assert "knowledge [fr]: 1 texts only in English (patients are told so): angiography" in capsys.readouterr().out
    edit(texts / "es" / "embolization.md", "## driving", "## conducir")
    assert build_main(["--texts", str(texts), "--check"]) == 1
    assert "unknown section 'conducir'" in capsys.readouterr().err


def test_a_when_to_call_without_its_two_lists_is_reported_on_its_line(texts):
    path = texts / "angiography.md"
    edit(path, "Contact us today if you have:", "Contact us today if you have a worry such as:")
    found = problems_in(texts)
    line = line_of(path, "Contact us today if you have a worry such as:")
    assert f"{path}:{line}: error: when_to_call: the second list's intro must read 'Contact us today if you have:'" in found
    edit(path, "Call {emergency_number} now if you have:\n", "Call {emergency_number} now if you have any of these.\n")
    assert any(p.startswith(f"{path}:") and "when_to_call needs the emergency list" in p for p in problems_in(texts))


def test_a_when_to_call_without_the_out_of_hours_number_is_reported(texts):
    path = texts / "embolization.md"
    edit(path, "; when we are closed, call {out_of_hours_phone}.", ". If we are closed, contact your GP.")
    found = "\n".join(problems_in(texts))
    assert "when_to_call: after the second list, a line must give the out-of-hours number" in found
    assert f"{path}:{line_of(path, 'contact your GP')}: error: 'GP' is one country's wording" in found


def test_the_two_lists_are_checked_in_the_texts_language():
    from knowledge.documents import WHEN_TO_CALL, warning_lists

    emergency, urgent, closing = WHEN_TO_CALL["fr"]
    french = f"{emergency}\n- une douleur à la poitrine\n\n{urgent}\n- de la fièvre\n{closing}"
    assert warning_lists(french, "fr")[1] == []
    # French typography: a no-break space before the colon, a typographic apostrophe.
    assert warning_lists(french.replace(" :", "\u00a0:").replace("'", "\u2019"), "fr")[1] == []
    english_intro = french.replace(emergency, WHEN_TO_CALL["en"][0])
    assert warning_lists(english_intro, "fr")[1] == [(1, f"when_to_call: the emergency list's intro must read '{emergency}'")]
    bold = french.replace("- de la fièvre", "- **de la fièvre**")
    assert warning_lists(bold, "fr")[1] == [(5, "when_to_call is plain text a phone shows as it is: no Markdown bold")]


def test_a_text_read_twice_gives_each_reader_its_own_header_and_an_edit_is_read_anew(texts):
    from knowledge.documents import parse

    path = texts / "embolization.md"
    first, _ = parse(path)
    first.meta["names"].append("changed by one reader")
    second, _ = parse(path)
    assert "changed by one reader" not in second.meta["names"]
    edit(path, "title: ", "title: Edited ")
    third, _ = parse(path)
    assert third.meta["title"].startswith("Edited ")
