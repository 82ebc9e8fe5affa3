"""Retrieval: filters, fusion, abstention, and the index's link to the texts it was built from."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pytest

from core.config import ROOT
from knowledge import retriever as retriever_module
from knowledge.build import is_current
from knowledge.catalog import GENERAL_TOPICS
from knowledge.retriever import IndexUnavailable, Retriever

TEXTS = ROOT / "knowledge" / "texts"


@pytest.fixture
def retriever(knowledge_slice) -> Retriever:
    return Retriever(*knowledge_slice)


@pytest.mark.parametrize(
    ("question", "procedures", "expected"),
    [
        ("what is embolization?", None, ("embolization", "definition")),
        ("wen can i drive aftr my biopsy", ["image_guided_biopsy"], ("image_guided_biopsy", "driving")),
        ("how long does the dye test take", ["angiography"], ("angiography", "duration")),
        ("will it hurt, will i be asleep?", ["embolization"], ("embolization", "sedation")),
        ("what are the risks", ["angiography"], ("angiography", "risks")),
    ],
)
def test_questions_land_on_the_right_section(retriever, question, procedures, expected):
    result = retriever.search(question, procedures)
    assert not result.abstained
    assert (result.best.procedure, result.best.section) == expected


def test_a_procedure_filter_keeps_that_procedure_and_the_general_only_topics(retriever):
    result = retriever.search("when can I drive?", ["angiography"], k=100)
    assert {h.procedure for h in result.hits} == {"angiography", "general_ir"}
    assert {h.section for h in result.hits if h.procedure == "general_ir"} == set(GENERAL_TOPICS)
    only_topic = retriever.search("when can I drive?", topic="driving", k=100)
    assert {h.section for h in only_topic.hits} == {"driving"}


def test_a_general_topic_is_found_during_a_procedure_conversation(retriever):
    result = retriever.search("I'm on rivaroxaban, do I have to stop it?", ["image_guided_biopsy"])
    assert (result.best.procedure, result.best.section) == ("general_ir", "anticoagulants")
    # Asked with the procedure's name, whose own preparation section speaks of medicines too.
    named = retriever.search("can I still take my xarelto before the angioplasty", ["angioplasty_stenting"])
    assert (named.best.procedure, named.best.section) == ("general_ir", "anticoagulants")
    dye = retriever.search("I had hives from ct dye once, I'm booked for an angiogram", ["angiography"])
    assert (dye.best.procedure, dye.best.section) == ("general_ir", "contrast_allergy")


def test_without_a_procedure_the_general_page_is_preferred(retriever):
    result = retriever.search("how do I prepare?", prefer_general=True)
    assert (result.best.procedure, result.best.section) == ("general_ir", "preparation")


@pytest.mark.parametrize("question", ["how much does parking cost?", "who won the football last night", "zzzz qqqq"])
def test_unrelated_questions_are_abstained_from(retriever, question):
    result = retriever.search(question)
    assert result.abstained and result.best is None


def test_an_index_built_from_other_texts_is_refused(knowledge_slice, tmp_path):
    texts, index = knowledge_slice
    changed = tmp_path / "texts"
    shutil.copytree(texts, changed)
    path = changed / "embolization.md"
    path.write_text(path.read_text().replace("## risks\n", "## risks\nAn edit after the build.\n", 1))
    with pytest.raises(IndexUnavailable, match="other texts"):
        Retriever(changed, index).search("what is embolization?")


def test_an_index_built_with_another_encoder_export_is_rebuilt(knowledge_slice, tmp_path):
    texts, index = knowledge_slice
    copy = tmp_path / "index"
    shutil.copytree(index, copy)
    assert is_current(texts, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    # As an index from before the int8 export: its vectors no longer match the questions' vectors.
    manifest["encoder"] = manifest["encoder"] | {"exporter": 1, "weights": "float32"}
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert not is_current(texts, copy)


def test_a_missing_index_is_refused_with_the_command_to_run(tmp_path):
    with pytest.raises(IndexUnavailable, match="make knowledge"):
        Retriever(TEXTS, tmp_path / "no-index").search("what is embolization?")


def test_a_rebuilt_index_is_picked_up_without_a_restart(knowledge_slice, build_index, tmp_path, monkeypatch):
    texts, index = shutil.copytree(knowledge_slice[0], tmp_path / "texts"), shutil.copytree(knowledge_slice[1], tmp_path / "index")
    # The recheck window passes on the clock the retriever reads (time.monotonic), not in real time.
    now = [1000.0]
    monkeypatch.setattr(retriever_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    retriever = Retriever(texts, index, recheck_seconds=0.5)
    assert "Blue Giraffe Protocol" not in retriever.lookup("embolization", "definition")["text"]

    path = texts / "embolization.md"
    path.write_text(path.read_text().replace("## definition\n", "## definition\nThe Blue Giraffe Protocol applies.\n", 1))
    # Within the recheck window the files are not looked at again; after it, the edit is noticed.
    assert "Blue Giraffe Protocol" not in retriever.lookup("embolization", "definition")["text"]
    now[0] += 0.4
    assert "Blue Giraffe Protocol" not in retriever.lookup("embolization", "definition")["text"]
    now[0] += 0.2
    with pytest.raises(IndexUnavailable):
        retriever.lookup("embolization", "definition")

    build_index(texts, index)
    with pytest.raises(IndexUnavailable):  # still within the window that began with the refusal
        retriever.lookup("embolization", "definition")
    now[0] += 0.6
    assert "Blue Giraffe Protocol" in retriever.lookup("embolization", "definition")["text"]


def test_the_patient_questions_a_section_lists_point_at_that_section(retriever):
    loaded = retriever.index()
    position = loaded.by_key[("angiography", "driving")]
    listed = loaded.chunks[position]["questions"]
    assert listed, "the angiography text lists the questions its driving section answers"
    raw = retriever.raw_scores(listed[0])
    assert raw.asked[position] == pytest.approx(1.0, abs=1e-3)
    assert int(raw.asked.argmax()) == position or raw.asked.max() == pytest.approx(raw.asked[position])


def test_a_phrasing_cue_adds_its_weight_to_the_section_it_points_at_and_no_other(retriever):
    from dataclasses import replace

    from knowledge.retriever import DEFAULT_FUSION

    raw = retriever.raw_scores("what is an embolisation exactly?")
    assert raw.cues.sections == ("definition",)
    with_cue = {h.section: h.score for h in retriever.rank(raw, ["embolization"], k=100).hits if h.procedure == "embolization"}
    without = {
        h.section: h.score
        for h in retriever.rank(raw, ["embolization"], k=100, fusion=replace(DEFAULT_FUSION, cue_weight=0.0)).hits
        if h.procedure == "embolization"
    }
    assert DEFAULT_FUSION.cue_weight > 0
    assert with_cue["definition"] - without["definition"] == pytest.approx(DEFAULT_FUSION.cue_weight, abs=1e-5)
    assert all(with_cue[s] == pytest.approx(without[s], abs=1e-6) for s in with_cue if s != "definition")


def test_my_procedure_without_a_name_leans_to_the_general_pages(retriever):
    result = retriever.search("do i need to arrange for somebody to pick me up after my procedure", prefer_general=True)
    assert result.best.procedure == "general_ir"
