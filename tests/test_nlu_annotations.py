"""The dialogue's training examples and the texts agree on what each procedure name means: a name annotated
with another procedure than the text that owns it would teach the classifier to send patients to the wrong
leaflet (Rasa keeps one synonym per name and silently overwrites the other)."""

from __future__ import annotations

import functools
import re

import pytest
import yaml

from core.config import ROOT
from knowledge.documents import load_and_validate
from knowledge.languages import texts_dir, with_texts
from knowledge.names import normalise

TEXTS = ROOT / "knowledge" / "texts"
NLU = sorted((ROOT / "data" / "nlu").glob("*.yml"))
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ANNOTATED = re.compile(r"\[([^\]]+)\]\{([^}]*)\}|\[([^\]]+)\]\((procedure)\)")


@functools.cache
def name_owners() -> dict[str, str]:
    owners = {}
    for language in with_texts(TEXTS):
        for doc in load_and_validate(texts_dir(TEXTS, language), complete=False)[0]:
            for name in doc.names:
                owners.setdefault(normalise(name), doc.procedure)
    return owners


def annotations(path) -> list[tuple[str, str]]:
    """(name, annotated procedure id) for every entity written with an explicit value."""
    found = []
    for block in (yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}).get("nlu", []):
        for match in ANNOTATED.finditer(str(block.get("examples", ""))):
            if match.group(2):
                data = yaml.load("{" + match.group(2) + "}", Loader=LOADER)
                if data.get("entity") == "procedure" and data.get("value"):
                    found.append((match.group(1), str(data["value"])))
    return found


@pytest.mark.parametrize("path", NLU, ids=[p.name for p in NLU])
def test_an_annotated_name_means_the_procedure_of_the_text_that_owns_it(path):
    owners = name_owners()
    wrong = [
        (name, value, owners[normalise(name)])
        for name, value in annotations(path)
        if normalise(name) in owners and owners[normalise(name)] != value
    ]
    assert wrong == []


def test_the_check_sees_french_and_spanish_annotations():
    assert len(annotations(ROOT / "data" / "nlu" / "fr.yml")) > 200
    assert len(annotations(ROOT / "data" / "nlu" / "es.yml")) > 200
