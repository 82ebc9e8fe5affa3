"""How `make eval` scores a reply against a real question's labels (tooling/evaluate_dialogue.py)."""

from __future__ import annotations

from tooling.evaluate_dialogue import Table, score, turn_route


def item(route="answer", procedure="embolization", topic="driving", lang="en", text="when can I drive?"):
    return {"text": text, "lang": lang, "route": route, "procedure": procedure, "topic": topic}


def answer(procedure="embolization", topic="driving", text="Most people do not drive for 24 hours."):
    return {"text": text, "route": "answer", "procedure": procedure, "topic": topic, "sources": [{"doc": procedure, "section": topic}]}


def test_the_deciding_reply_is_the_most_serious_one():
    assert turn_route([{"route": "smalltalk"}, {"route": "answer"}]) == "answer"
    assert turn_route([{"route": "answer"}, {"route": "urgent"}]) == "urgent"
    assert turn_route([]) == "none"


def test_a_right_answer_scores_route_procedure_and_section():
    scored = score(item(), [answer()])
    assert scored.route_ok and scored.answer_target and scored.has_source
    summary = Table([scored]).summary()
    assert summary["procedure+section"].startswith("100.0 %")


def test_the_wrong_section_of_the_right_leaflet_counts_against_section_only():
    summary = Table([score(item(), [answer(topic="aftercare")])]).summary()
    assert summary["route"].startswith("100.0 %")
    assert summary["procedure"].startswith("100.0 %") and summary["section"].startswith("0.0 %")


def test_any_hand_over_desk_is_a_right_route_for_an_escalation():
    assert score(item(route="escalate_symptom"), [{"text": "x", "route": "escalate_admin"}]).route_ok
    assert not score(item(route="escalate_symptom"), [answer()]).route_ok


def test_a_question_about_a_procedure_without_a_text_must_not_get_another_leaflet():
    other = item(procedure="other:tips", topic="definition")
    assert score(other, [{"text": "x", "route": "fallback"}]).route_ok
    assert not score(other, [answer(procedure="embolization", topic="definition")]).route_ok
    assert not score(other, [answer()]).answer_target


def test_emergency_recall_and_false_alarms_are_counted_apart():
    rows = [
        score(item(route="urgent"), [{"text": "Call 112", "route": "urgent"}]),
        score(item(route="urgent"), [answer()]),
        score(item(), [{"text": "Call 112", "route": "urgent"}]),
        score(item(), [answer()]),
    ]
    summary = Table(rows).summary()
    assert summary["emergency recall"] == "50.0 % (1/2)"
    assert summary["false alarms"] == "50.0 % (1/2)"


def test_a_french_question_answered_in_english_is_not_in_the_patients_language():
    french = item(lang="fr", text="quand puis-je conduire ?")
    summary = Table([score(french, [answer(text="Most people are advised not to drive for at least 24 hours.")])]).summary()
    assert summary["reply in the patient's language"].startswith("0.0 %")


def test_a_question_naming_no_procedure_may_be_answered_by_asking_which_one():
    heading = {**item(text="Are there any risks?", topic="risks"), "needs_context": True}
    scored = score(heading, [{"text": "Which procedure do you mean?", "route": "clarify"}])
    assert scored.route_ok and not scored.answer_target
