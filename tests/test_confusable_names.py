"""The confusable names table (tests/data/confusable_names.yml) through the answering actions, on all the texts.

Each row is asked as a definition question, once with no entities and once with the entities an extractor
that knows only the texts' names would tag ("stent" in "heart stent"): either way the answer comes from the
row's text, or the patient is told there is no leaflet for what they named.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import services
from actions.answer import ActionAnswerQuestion
from actions.fallback import ActionHandleFallback
from core.config import ROOT
from core.messages import SAFE_LOADER
from core.storage.models import UnansweredQuestion
from knowledge.documents import load_and_validate
from knowledge.names import names_by_procedure

TEXTS = ROOT / "knowledge" / "texts"
CONFUSABLE = yaml.load((ROOT / "tests" / "data" / "confusable_names.yml").read_text(), Loader=SAFE_LOADER)
CONVERSATION = json.loads((ROOT / "tests" / "data" / "trackers" / "asked_what_is_embolization.json").read_text())


@pytest.fixture(autouse=True)
def action_services(point_actions_at, knowledge_index):
    point_actions_at(TEXTS, knowledge_index)


@pytest.fixture(scope="module")
def owners() -> dict[str, str]:
    """Each name of the texts, with its text's id (as the generated Rasa synonyms map it)."""
    docs, _ = load_and_validate(TEXTS)
    return {name: procedure for procedure, names in names_by_procedure(docs).items() for name in names}


@functools.cache
def whole_word(name: str) -> re.Pattern[str]:
    """`name` as a whole word, compiled once per run (the texts have more names than re's own cache keeps)."""
    return re.compile(rf"\b{re.escape(name)}\b")


def entities_of_the_texts_names(text: str, owners: dict[str, str]) -> list[dict]:
    """What an entity extractor that knows only the texts' names would tag: the longest name at each place."""
    found: list[dict] = []
    for name in sorted(owners, key=len, reverse=True):
        for match in whole_word(name).finditer(text.lower()):
            if all(match.end() <= e["start"] or match.start() >= e["end"] for e in found):
                found.append({"entity": "procedure", "value": owners[name], "start": match.start(), "end": match.end()})
    return found


def asked(text: str, intent: str, confidence: float, procedure: str | None, entities: list[dict]) -> Tracker:
    state = json.loads(json.dumps(CONVERSATION))
    state["latest_message"] = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities}
    state["slots"]["current_procedure"] = procedure
    return Tracker.from_dict(state)


def run(action, before: Tracker) -> tuple[dict, dict]:
    """The one message the action sends (its structured fields), and the slots after its events."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, before, {}))
    [message] = dispatcher.messages
    return message["custom"], {**before.slots, **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}


def assert_no_leaflet(reply: dict, slots: dict) -> None:
    assert reply["route"] == "fallback"
    assert reply["sources"] == [] and reply["procedure"] is None
    assert reply["text"].startswith("I don't have a leaflet about \"")
    assert services.site().department_phone in reply["text"] and services.site().emergency_number in reply["text"]
    assert reply["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert slots["current_procedure"] is None


@pytest.mark.parametrize("tagged", [False, True], ids=["names only", "with the texts' entities"])
@pytest.mark.parametrize("row", CONFUSABLE, ids=[row["says"] for row in CONFUSABLE])
def test_every_confusable_name_is_answered_from_the_right_text_or_from_none(database, owners, row, tagged):
    entities = entities_of_the_texts_names(row["says"], owners) if tagged else []
    reply, slots = run(ActionAnswerQuestion(), asked(row["says"], "ask_definition", 0.9, row.get("context"), entities))
    if row["expect"] == "none":
        assert_no_leaflet(reply, slots)
        with database.session() as session:
            assert [(q.text, q.reason) for q in session.scalars(select(UnansweredQuestion))] == [(row["says"], "no_text")]
    else:
        assert reply["route"] == "answer"
        assert reply["procedure"] in (row["expect"], "general_ir")
        assert slots["current_procedure"] == row["expect"]


def test_an_unclear_message_about_a_thing_without_a_text_gets_no_text():
    reply, slots = run(ActionHandleFallback(), asked("pulmonary embolism?", "nlu_fallback", 0.3, "embolization", []))
    assert_no_leaflet(reply, slots)
    assert '"pulmonary embolism"' in reply["text"]
