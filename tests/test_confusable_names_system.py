"""The confusable names table through the real assistant: Rasa's intent and entities, the actions, the gateway."""

from __future__ import annotations

import pytest
import yaml

from core.config import ROOT
from core.messages import SAFE_LOADER
from knowledge.catalog import GENERAL
from knowledge.documents import load_and_validate

CONFUSABLE = yaml.load((ROOT / "tests" / "data" / "confusable_names.yml").read_text(), Loader=SAFE_LOADER)
DOCS = load_and_validate(ROOT / "knowledge" / "texts")[0]
TITLES = {doc.procedure: doc.title for doc in DOCS}
GENERAL_DOCS = [doc.id for doc in DOCS if doc.procedure == GENERAL]


@pytest.mark.parametrize("number", range(len(CONFUSABLE)), ids=[row["says"] for row in CONFUSABLE])
def test_every_confusable_name_leads_to_the_right_text_or_to_none(system, number):
    row, sender = CONFUSABLE[number], f"confusable-{number}"
    if row.get("context"):
        [first] = system.chat(sender, f"what is {TITLES[row['context']]}?")["messages"]
        assert first["procedure"] == row["context"]
    messages = system.chat(sender, row["says"])["messages"]
    # Never another procedure's text. The dialogue may still answer from the general pages (a question about
    # the dye: the contrast page), refer a personal question, or give the emergency number.
    procedure_texts = {source["doc"] for message in messages for source in message["sources"]} - set(GENERAL_DOCS)
    assert procedure_texts <= ({row["expect"]} - {"none"}), messages
    if row["expect"] == "none":
        # Told there is no leaflet, or handed to a person: the emergency check or the dialogue may take the
        # question for a symptom first ("how is a blood clot in the lung treated").
        told = [m for m in messages if m["text"].startswith("I don't have a leaflet about")]
        handed_over = [m for m in messages if m["route"] == "urgent" or m["route"].startswith("escalate_")]
        assert told or handed_over, messages
