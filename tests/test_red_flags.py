"""Tests for the emergency detector, assistant/safety/red_flags.py.

The phrasings live in tests/data/red_flag_phrases.yml (labels decided before
the detector was written). Every urgent phrasing must fire (recall 100 %);
every non-urgent one is asserted too, and the overall false-alarm rate must
stay at or below 10 %.
"""

import pytest
import yaml

from assistant.safety.red_flags import RedFlag, detect_red_flag, normalise
from core.config import ROOT
from core.messages import SAFE_LOADER

PHRASES = yaml.load((ROOT / "tests" / "data" / "red_flag_phrases.yml").read_text(encoding="utf-8"), Loader=SAFE_LOADER)
URGENT = [p for p in PHRASES if p["urgent"]]
NOT_URGENT = [p for p in PHRASES if not p["urgent"]]
MAX_FALSE_ALARM_RATE = 0.10


def test_dataset_shape():
    assert len(PHRASES) >= 170
    assert len(NOT_URGENT) >= 60
    for lang in ("fr", "es"):
        items = [p for p in PHRASES if p["lang"] == lang]
        assert len(items) >= 20
        assert {p["urgent"] for p in items} == {True, False}
    for lang in ("de", "nl", "tr", "mixed"):
        assert {p["urgent"] for p in PHRASES if p["lang"] == lang} == {True, False} or lang == "mixed"
    for p in PHRASES:
        assert {"text", "urgent", "lang", "note"} <= set(p) <= {"text", "urgent", "lang", "note", "source"}, p
        assert p["lang"] in {"en", "fr", "es", "de", "nl", "tr", "mixed"}
        assert p.get("source", "https://").startswith("https://")


@pytest.mark.parametrize("phrase", PHRASES, ids=[f"{p['lang']}-{p['text'][:50]}" for p in PHRASES])
def test_phrase_label(phrase):
    flag = detect_red_flag(phrase["text"])
    if phrase["urgent"]:
        assert flag is not None, f"missed emergency: {phrase['text']!r} ({phrase['note']})"
    else:
        assert flag is None, f"false alarm {flag}: {phrase['text']!r} ({phrase['note']})"


def test_recall_is_total():
    missed = [p["text"] for p in URGENT if detect_red_flag(p["text"]) is None]
    print(f"\nrecall: {len(URGENT) - len(missed)}/{len(URGENT)}")
    assert missed == []


def test_false_alarm_rate():
    alarms = [p["text"] for p in NOT_URGENT if detect_red_flag(p["text"]) is not None]
    rate = len(alarms) / len(NOT_URGENT)
    print(f"\nfalse alarms: {len(alarms)}/{len(NOT_URGENT)} = {rate:.1%}")
    assert rate <= MAX_FALSE_ALARM_RATE, alarms


def test_result_type():
    flag = detect_red_flag("I can't breathe")
    assert isinstance(flag, RedFlag)
    assert flag.category == "breathing"
    assert flag.matched
    assert detect_red_flag("") is None
    assert detect_red_flag("   ") is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my groin is bleeding", "bleeding"),
        ("crushing chest pain", "chest_pain"),
        ("he's not breathing", "breathing"),
        ("her face is drooping", "stroke"),
        ("my leg is cold and white", "limb_ischaemia"),
        ("fever and rigors", "sepsis"),
        ("he collapsed", "collapse"),
        ("I want to kill myself", "self_harm"),
        ("my lips are swelling", "allergy"),
        ("she is having a seizure", "seizure"),
        ("excruciating stomach pain", "abdominal"),
        ("call an ambulance", "general_emergency"),
    ],
)
def test_categories(text, category):
    flag = detect_red_flag(text)
    assert flag is not None and flag.category == category


# --- normalisation ---------------------------------------------------------


def test_zero_width_and_bidi_characters_are_removed():
    assert normalise("ble\u200beding") == normalise("bleeding")
    assert normalise("\u202ebleed\u200ding\ufeff") == normalise("bleeding")
    assert normalise("ble\u00adeding") == normalise("bleeding")  # soft hyphen
    assert detect_red_flag("I'm ble\u200beding a lot") is not None
    assert detect_red_flag("c\u200bant b\u200dreathe") is not None


def test_repeated_letters_collapse():
    assert normalise("bleeeeeding") == normalise("bleeding") == normalise("bleding")
    assert detect_red_flag("I'm bleeeeeeding") is not None
    assert detect_red_flag("cant breeeeathe") is not None
    assert detect_red_flag("my leg is cooooold and whiiiite") is not None


def test_accents_case_and_width():
    assert normalise("FIÈVRE") == normalise("fievre")
    assert normalise("Douleur THORACIQUE") == normalise("douleur thoracique")
    assert normalise("ｃｈｅｓｔ ｐａｉｎ") == "chest pain"  # full-width, NFKC
    assert normalise("cœur") == "coeur"
    assert detect_red_flag("NO PUEDO RESPIRAR") is not None
    assert detect_red_flag("me quiero morír") is not None
    assert detect_red_flag("Je n’arrive pas à respirer") is not None  # typographic apostrophe


def test_sms_spellings():
    assert normalise("cnt breath") == normalise("can't breath")
    assert normalise("u r") == "you are"
    assert detect_red_flag("pls call ambulance im bleedin alot") is not None


# --- negation and question handling -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "no fever but I can't breathe",
        "no fever. I can't breathe",
        "there's no bleeding, but my chest hurts",
        "no swelling and my leg is cold",
        "pas de fièvre mais je saigne beaucoup",
        "sin fiebre pero no puedo respirar",
    ],
)
def test_negation_is_scoped_to_its_clause(text):
    assert detect_red_flag(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Is it normal that I'm bleeding this much?",
        "what are the risks, I'm bleeding a lot",
        "is it normal he can't breathe?",
        "is chest pain normal? I have it right now",
    ],
)
def test_present_statements_survive_question_form(text):
    assert detect_red_flag(text) is not None
