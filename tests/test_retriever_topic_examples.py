"""The example questions per topic that the retriever compares a question with."""

from __future__ import annotations

from knowledge import topic_examples
from knowledge.catalog import TOPICS


def test_every_topic_has_examples_with_the_procedure_names_masked():
    pairs = topic_examples.load()
    assert {topic for topic, _ in pairs} == set(TOPICS)
    assert all("](" not in text and "]{" not in text for _, text in pairs)


def test_symptom_reports_count_for_when_to_call():
    assert topic_examples.topic_of("report_symptom") == "when_to_call"
    assert topic_examples.topic_of("ask_driving") == "driving"
    assert topic_examples.topic_of("request_booking") is None
    assert topic_examples.topic_of("ask_personal_medical") is None
