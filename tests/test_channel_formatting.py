"""How replies look on SMS and WhatsApp: plain text, numbered choices, segment-aware sizes, emergency first."""

from __future__ import annotations

import pytest

from assistant.channels.formatting import (
    TEMPLATE_PARAMETER_MAX_CHARS,
    TWILIO_MAX_CHARS,
    WHATSAPP_MAX_CHARS,
    Labels,
    choice_list,
    is_gsm7,
    plain,
    segments,
    sms_messages,
    template_parameter,
    to_sms,
    to_whatsapp,
)
from assistant.replies import Reply

SOURCE = {"doc": "embolization", "section": "driving", "title": "Embolization", "reviewed": "2026-11-23"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),  # GSM-7: 160 alone, 153 per part
        ("€" * 80, 1),
        ("€" * 81, 2),  # extension characters count twice
        ("é" * 160, 1),  # é is in the GSM-7 basic set
        ("ж" * 70, 1),
        ("ж" * 71, 2),
        ("ж" * 134, 2),
        ("ж" * 135, 3),  # UCS-2: 70 alone, 67 per part
        ("a" * 69 + "ж", 1),
        ("a" * 70 + "ж", 2),  # one character outside GSM-7 switches the whole message
        ("😀" * 35, 1),
        ("😀" * 36, 2),  # an emoji is two UTF-16 units
    ],
)
def test_segments_follow_gsm7_and_ucs2_sizes(text, expected):
    assert segments(text) == expected


def test_an_escaped_gsm_character_is_never_split_across_two_parts():
    assert segments("a" * 152 + "€" + "a" * 10) == 2  # "€" moves whole to the second part (153 + 10 septets)
    assert segments("a" * 152 + "€" + "a" * 152) == 3


def test_markup_is_removed_and_links_keep_their_address():
    text = "# Driving\n**Do not drive** for *24 hours*. See [our page](https://example.org/ir) or `call us`.\n* rest"
    assert plain(text) == "Driving\nDo not drive for 24 hours. See our page (https://example.org/ir) or call us.\n- rest"


def test_text_without_markup_is_left_alone():
    text = "Take 2 * 500 mg only if told to; the file_name_here stays, and 3 < 4."
    assert plain(text) == text


def test_buttons_become_numbered_choices_across_the_replies_of_a_turn():
    replies = [
        Reply("Which procedure do you mean?", "clarify", buttons=[{"title": "Embolization", "payload": "/a"}]),
        Reply(
            "Or something else?", "clarify", buttons=[{"title": "Biopsy", "payload": "/b"}, {"title": "Talk to a person", "payload": "/c"}]
        ),
    ]
    assert to_whatsapp(replies) == [
        "Which procedure do you mean?\n\nReply with a number:\n1. Embolization",
        "Or something else?\n\nReply with a number:\n2. Biopsy\n3. Talk to a person",
    ]
    assert [c["payload"] for c in choice_list((r.route, r.buttons) for r in replies)] == ["/a", "/b", "/c"]


def test_the_source_shrinks_to_its_title():
    [message] = to_sms([Reply("Do not drive for 24 hours.", "answer", sources=[SOURCE, dict(SOURCE, section="aftercare")])])
    assert message == "Do not drive for 24 hours.\n\nSource: Embolization"


def test_the_emergency_reply_is_always_first():
    replies = [Reply("Here is some information.", "answer"), Reply("Call 112 now.", "urgent")]
    assert to_sms(replies)[0] == "Call 112 now."
    assert to_whatsapp(replies)[0] == "Call 112 now."
    turn = [("answer", [{"title": "More", "payload": "/more"}]), ("urgent", [{"title": "Call", "payload": "/call"}])]
    assert [c["payload"] for c in choice_list(turn)] == ["/call", "/more"]  # numbered as shown


def test_typographic_punctuation_is_replaced_so_an_sms_stays_gsm7():
    [message] = sms_messages("Don’t drive – rest… “Call us”")
    assert message == 'Don\'t drive - rest... "Call us"'
    assert is_gsm7(message)


def test_a_short_answer_stays_one_message():
    assert to_sms([Reply("Most people go home the same day.", "answer")]) == ["Most people go home the same day."]


def test_a_long_sms_splits_between_sentences_and_keeps_every_word():
    sentences = [f"This is sentence {i}, and it has a few more words in it." for i in range(40)]
    messages = sms_messages(" ".join(sentences))
    assert len(messages) > 1
    for message in messages:
        assert segments(message) <= 3 and len(message) <= TWILIO_MAX_CHARS
        assert message.startswith("This is sentence") and message.endswith(".")
    assert " ".join(messages) == " ".join(sentences)


def test_paragraphs_are_kept_inside_a_message():
    text = "First paragraph.\n\nSecond paragraph."
    assert sms_messages(text) == [text]


def test_a_sentence_longer_than_a_message_is_split_between_words():
    sentence = " ".join(["word"] * 200) + "."
    messages = sms_messages(sentence)
    assert all(segments(m) <= 3 for m in messages)
    assert " ".join(messages) == sentence


def test_a_word_longer_than_a_message_is_cut():
    messages = sms_messages("x" * 1000)
    assert "".join(messages) == "x" * 1000
    assert all(segments(m) <= 3 for m in messages)


def test_the_choices_go_to_a_message_of_their_own_when_the_last_part_is_full():
    body = "a" * 450 + "."
    buttons = [{"title": "How do I prepare?", "payload": "/p"}]
    messages = to_sms([Reply(body, "answer", buttons=buttons)])
    assert messages == [body, "Reply with a number:\n1. How do I prepare?"]


def test_whatsapp_messages_stay_within_4096_characters():
    sentences = [f"Sentence {i} about the procedure and what happens afterwards at home." for i in range(150)]
    messages = to_whatsapp([Reply(" ".join(sentences), "answer")])
    assert len(messages) == 3
    assert all(len(m) <= WHATSAPP_MAX_CHARS for m in messages)


def test_a_template_parameter_is_one_line_and_short_enough():
    assert template_parameter("Hello,\n\nyour   appointment\tis **confirmed**.") == "Hello, your appointment is confirmed."
    long = template_parameter("word " * 400)
    assert len(long) <= TEMPLATE_PARAMETER_MAX_CHARS and long.endswith("…")


def test_the_words_formatting_adds_come_in_the_labels_language():
    button = {"title": "¿Cómo me preparo?", "payload": "/ask_preparation"}
    reply = Reply(text="Se la explicamos.", route="answer", buttons=[button], sources=[{"title": "Biopsia"}])
    [message] = to_whatsapp([reply], Labels("Responda con un número:", "Fuente:"))
    assert message == "Se la explicamos.\n\nFuente: Biopsia\n\nResponda con un número:\n1. ¿Cómo me preparo?"
