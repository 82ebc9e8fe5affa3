"""What patients type inside the contact form, read from the words (actions/form_input.py), never the classifier."""

from __future__ import annotations

import pytest

from actions.form_input import answer_at_summary, contact_in, name_in, wants_to_leave


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Maria Lopez", "Maria Lopez"),
        ("John Smith", "John Smith"),
        ("Jean Dupont", "Jean Dupont"),
        ("José García", "José García"),
        ("  maria   lopez ", "maria lopez"),
        ("Seán O'Brien", "Seán O'Brien"),
        ("Anne-Marie Le Floc'h", "Anne-Marie Le Floc'h"),
        ("María de los Ángeles Pérez", "María de los Ángeles Pérez"),
        ("Dr. Smith", "Dr. Smith"),
        ("my name is Maria Lopez", "Maria Lopez"),
        ("I'm John Smith", "John Smith"),
        ("je m'appelle Jean Dupont", "Jean Dupont"),
        ("me llamo José García", "José García"),
    ],
)
def test_a_name_is_taken_as_typed(typed, name):
    assert name_in(typed) == name


@pytest.mark.parametrize(
    "typed",
    [
        "I want to change my appointment",
        "can you tell me when my appointment is?",
        "je veux changer mon rendez-vous",
        "quiero cambiar mi cita",
        "1234",
        "07700 900123",
        "x" * 81,
        "one two three four five six seven",
        "/affirm",
        "",
    ],
)
def test_a_sentence_number_or_payload_is_not_a_name(typed):
    assert name_in(typed) is None


@pytest.mark.parametrize(
    ("typed", "contact"),
    [
        ("07700 900123", "07700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("06 12 34 56 78", "0612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+34 612 345 678", "+34612345678"),
        ("612 34 56 78", "612345678"),
        ("(555) 123-4567", "5551234567"),
        ("555.123.4567", "5551234567"),
        ("+44 (0)20 7946-0000", "+4402079460000"),
        ("my number is 07700 900123, after 5pm please", "07700900123"),
        ("Sam@Example.org", "sam@example.org"),
        ("maria.lopez+ir@correo.example.es", "maria.lopez+ir@correo.example.es"),
        ("e-mail me at jean.dupont@example.fr.", "jean.dupont@example.fr"),
    ],
)
def test_phone_numbers_in_national_and_international_formats_and_emails_are_taken(typed, contact):
    assert contact_in(typed) == contact


@pytest.mark.parametrize("typed", ["12", "call me", "sam@", "1" * 20, "mornings", "Maria Lopez", "@example.org"])
def test_anything_else_is_not_a_contact(typed):
    assert contact_in(typed) is None


@pytest.mark.parametrize("typed", ["stop", "Stop.", "CANCEL", "cancel!", "never mind", "annuler", "arrêter", "cancelar", "/stop"])
def test_a_leave_word_alone_or_the_cancel_button_leaves(typed):
    assert wants_to_leave(typed)


@pytest.mark.parametrize(
    "typed", ["Maria Lopez", "stop the bleeding", "I want to cancel my appointment", "cancel my biopsy on Monday", "yes", "07700 900123"]
)
def test_nothing_else_leaves(typed):
    assert not wants_to_leave(typed)


@pytest.mark.parametrize(
    ("typed", "intent", "answer"),
    [
        ("/affirm", "affirm", "send"),
        ("yes", None, "send"),
        ("oui", None, "send"),
        ("sí", None, "send"),
        ("yes, that's all correct", "affirm", "send"),
        ("/deny", "deny", "dont_send"),
        ("no", None, "dont_send"),
        ("change my phone number", "stop", "change:contact_method"),
        ("the name is wrong", None, "change:contact_name"),
        ("no, the e-mail is wrong", "deny", "change:contact_method"),
        ("le numéro est faux", None, "change:contact_method"),
        ("cambiar el nombre", None, "change:contact_name"),
        ("change:contact_about", None, "change:contact_about"),
        ("that's wrong", "deny", "which"),
        ("c'est faux", None, "which"),
        ("stop", "stop", "leave"),
        ("/stop", "stop", "leave"),
        ("what happens next?", "out_of_scope", None),
    ],
)
def test_the_summary_is_answered_by_buttons_or_words(typed, intent, answer):
    assert answer_at_summary(typed, intent) == answer
