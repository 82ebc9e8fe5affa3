"""Names of the texts for drains, lines, fistulas, stents, shunts, spine and neuro procedures.

Each new text must be found by the names patients use, and must not capture
everyday words that only look like one of its names (the matcher also accepts
near spellings, so "this procedure" is close to "tips procedure").
"""

from __future__ import annotations

import pytest

from core.config import ROOT
from knowledge.documents import load_and_validate
from knowledge.names import ProcedureMatcher


@pytest.fixture(scope="module")
def matcher() -> ProcedureMatcher:
    docs, _ = load_and_validate(ROOT / "knowledge" / "texts")
    return ProcedureMatcher.from_entries(docs)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("what is a paracentesis", "paracentesis"),
        ("how long does an ascitic drain take", "paracentesis"),
        ("can i eat before my pleural tap", "thoracentesis"),
        ("how long will the chest drain stay in", "thoracentesis"),
        ("how often do i drain my pleurx", "tunnelled_pleural_catheter"),
        ("does an indwelling pleural catheter hurt", "tunnelled_pleural_catheter"),
        ("when can i swim after my port removal", "line_removal_exchange"),
        ("how is a picc line removed", "line_removal_exchange"),
        ("does a fistulaplasty hurt", "fistula_angioplasty"),
        ("they need to declot my graft", "fistula_angioplasty"),
        ("can angioplasty be done on my dialysis fistula", "fistula_angioplasty"),
        ("how often does my nephrostomy exchange happen", "nephrostomy_exchange_ureteric_stent"),
        ("is blood in my wee normal with a ureteric stent", "nephrostomy_exchange_ureteric_stent"),
        ("i have a kidney stent", "nephrostomy_exchange_ureteric_stent"),
        ("when is my peg removal", "gastrostomy_change"),
        ("how long can a feeding tube stay in before it needs replacing", "gastrostomy_change"),
        ("my son has a varicocele", "varicocele_embolization"),
        ("what is a transjugular intrahepatic portosystemic shunt", "tips_portosystemic_shunt"),
        ("when is my TIPSS", "tips_portosystemic_shunt"),
        ("what is a stent graft", "evar"),
        ("how long does evar take", "evar"),
        ("can i drive after an epidural steroid injection", "spinal_injection"),
        ("how long does a facet joint injection last", "spinal_injection"),
        ("will a lumbar puncture give me a headache", "lumbar_puncture"),
        ("what is a spinal tap", "lumbar_puncture"),
        ("my mum has a brain aneurysm coiling next week", "brain_aneurysm_coiling"),
        ("my dad had a stroke thrombectomy", "stroke_thrombectomy"),
        ("is this the same as clot removal for a stroke", "stroke_thrombectomy"),
    ],
)
def test_a_new_text_is_found_by_the_names_patients_use(matcher, message, expected):
    assert matcher.procedures(message)[:1] == [expected]


@pytest.mark.parametrize(
    "message",
    [
        "any tips for the recovery",
        "tips for the procedure please",
        "give me some tips",
        "top tips for looking after my drain",
        "TIPS",
        "is this procedure safe",
        "does this operation hurt",
        "this shunt is sore",
    ],
)
def test_plain_english_tips_and_look_alikes_never_name_the_tips_text(matcher, message):
    assert "tips_portosystemic_shunt" not in matcher.procedures(message)


@pytest.mark.parametrize(
    ("message", "not_expected"),
    [
        ("my mum has an aneurysm, why does she need an arteriogram", "brain_aneurysm_coiling"),
        ("how long is recovery from a knee replacement", "line_removal_exchange"),
        ("can a steroid injection help my arthritis", "spinal_injection"),
        ("i have a back infection", "spinal_injection"),
        ("i have fluid on my legs", "thoracentesis"),
        ("it was a big change for us", "gastrostomy_change"),
        ("can i stop my anti-clotting medicines after the stent", "fistula_angioplasty"),
        ("can i fly after a thrombectomy in my leg", "stroke_thrombectomy"),
    ],
)
def test_words_that_only_look_like_a_new_name_do_not_name_its_text(matcher, message, not_expected):
    assert not_expected not in matcher.procedures(message)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("my drain fell out", ["abscess_drainage"]),
        ("how is the drain taken out, does it hurt", ["abscess_drainage"]),
        ("how do i look after my drain at home", ["abscess_drainage"]),
        ("the kidney drain has fallen out", ["nephrostomy"]),
        ("how long does it take to put a port in", ["central_venous_access"]),
        ("my feeding tube fell out", ["gastrostomy"]),
        ("how long will the coiling procedure for my bleeding artery take", ["embolization"]),
        ("can i drive after a thrombectomy for my dvt", ["thrombolysis_thrombectomy"]),
    ],
)
def test_the_older_texts_keep_their_family_names(matcher, message, expected):
    assert matcher.procedures(message) == expected


def test_a_family_name_stays_with_a_new_text_during_its_conversation(matcher):
    assert matcher.procedures("can the drain block?", "tunnelled_pleural_catheter") == ["tunnelled_pleural_catheter"]
    assert matcher.procedures("can the drain block?", "paracentesis") == ["paracentesis"]
    assert matcher.procedures("when does the stent come out?", "nephrostomy_exchange_ureteric_stent") == [
        "nephrostomy_exchange_ureteric_stent"
    ]
    assert matcher.procedures("how long does the thrombectomy take", "stroke_thrombectomy") == ["stroke_thrombectomy"]
