"""A patient's language in a turn: emergencies in their language and English, and no false alarm or English
guesswork for a language the department has no reviewed texts in."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from core.storage.conversations import find_conversation, history
from core.storage.models import Ticket
from tests.support.web import integration_headers, web_headers

ENGLISH_ANSWER = [{"recipient_id": "web:x", "text": "Embolization blocks a blood vessel on purpose.", "custom": {"route": "answer"}}]


def chat(client, sender, message):
    response = client.post("/api/chat", json={"message": message}, headers=web_headers(client.application, sender))
    assert response.status_code == 200
    return response.json["messages"]


def tickets_of(database, sender):
    with database.session() as session:
        conversation = find_conversation(session, "web", sender)
        return [(t.kind, t.route, t.summary) for t in session.scalars(select(Ticket).where(Ticket.conversation_id == conversation.id))]


def test_a_turkish_emergency_gets_the_number_in_turkish_and_in_english(client, fake_rasa, app, database):
    [reply] = chat(client, "tr-1", "Göğsümde çok kötü ağrı var ve nefes alamıyorum")
    number = app.config["SETTINGS"].site.emergency_number
    assert reply["route"] == "urgent"
    turkish, english = reply["text"].split("\n\n")
    assert "acil" in turkish and number in turkish
    assert english.startswith("This may be an emergency") and number in english
    assert fake_rasa.received == []  # the dialogue is not asked
    assert [kind for kind, _, _ in tickets_of(database, "tr-1")] == ["urgent"]


def test_an_english_emergency_is_said_once_in_english(client, app):
    [reply] = chat(client, "en-1", "I can't breathe")
    assert reply["route"] == "urgent" and "\n\n" not in reply["text"]


def test_a_german_question_gets_a_german_reply_with_the_secretariat_and_never_an_english_guess(client, fake_rasa, app, database):
    [reply] = chat(client, "de-1", "Muss ich vor der Embolisation nüchtern sein?")
    site = app.config["SETTINGS"].site
    assert reply["route"] == "escalate_admin"
    german, english = reply["text"].split("\n\n")
    assert "Sekretariat" in german and site.department_phone in german and site.emergency_number in german
    assert "Montag" in german  # the opening hours in German day names
    assert "Englisch, Französisch und Spanisch" in german and "English, French and Spanish" in english
    assert fake_rasa.received == []  # no false emergency alarm from a classifier not trained on German
    # One ticket per conversation asks staff to call back in German.
    chat(client, "de-1", "Und wie lange dauert die Untersuchung?")
    [(kind, route, summary)] = tickets_of(database, "de-1")
    assert (kind, route) == ("administrative", "language") and "Deutsch (de)" in summary
    assert history(database, "web", "de-1")[0]["data"] == {"language": "de"}


def test_a_french_question_goes_to_the_dialogue_with_the_conversations_language(client, fake_rasa, database):
    fake_rasa.reply = [{"recipient_id": "web:fr-1", "text": "Une réponse.", "custom": {"route": "answer"}}]
    [reply] = chat(client, "fr-1", "Faut-il être à jeun avant l'embolisation ?")
    assert reply["route"] == "answer"
    [sent] = fake_rasa.received
    assert sent["metadata"]["language"] == "fr"
    assert tickets_of(database, "fr-1") == []  # nobody needs to call back: the texts answer in French


def test_the_dialogues_own_responses_are_said_in_the_conversations_language(client, fake_rasa, app):
    settings = app.config["SETTINGS"]
    greeting = settings.messages.text("utter_greet", "en", settings.site)
    fake_rasa.reply = [
        {"recipient_id": "web:es-1", "text": greeting, "buttons": [{"title": "Talk to a person", "payload": "/request_human"}]}
    ]
    [reply] = chat(client, "es-1", "Hola, buenos días, tengo una pregunta sobre la biopsia")
    assert reply["text"] == settings.messages.text("utter_greet", "es", settings.site)
    assert reply["buttons"] == [
        {"title": settings.messages.text("button_talk_to_person", "es", settings.site), "payload": "/request_human"}
    ]


def test_a_short_greeting_does_not_decide_the_language(client, fake_rasa):
    fake_rasa.reply = ENGLISH_ANSWER
    [reply] = chat(client, "short-1", "hola")
    assert reply["route"] == "answer" and fake_rasa.received


def test_a_name_typed_into_an_english_conversation_does_not_switch_it(client, fake_rasa):
    fake_rasa.reply = ENGLISH_ANSWER
    chat(client, "form-1", "I would like to change my appointment please")
    [reply] = chat(client, "form-1", "Jean-Pierre Dubois")
    assert reply["route"] == "answer" and len(fake_rasa.received) == 2


def test_a_patient_who_switches_language_gets_the_new_one_from_the_next_reply(client, fake_rasa):
    fake_rasa.reply = ENGLISH_ANSWER
    chat(client, "switch-1", "what is an embolization exactly?")
    [reply] = chat(client, "switch-1", "Hoeveel dagen moet ik thuisblijven na de embolisatie?")
    assert reply["route"] == "escalate_admin" and reply["text"].startswith("Ik beantwoord")
    [back] = chat(client, "switch-1", "sorry, can I ask in English instead?")
    assert back["route"] == "answer"


def test_the_widgets_page_language_starts_the_conversation_in_it(client, fake_rasa):
    response = client.post("/api/chat", json={"message": "ok", "language": "nl-BE"}, headers=web_headers(client.application, "page-nl"))
    [reply] = response.json["messages"]
    assert reply["route"] == "escalate_admin" and reply["text"].startswith("Ik beantwoord")
    assert fake_rasa.received == []
    fake_rasa.reply = ENGLISH_ANSWER
    client.post("/api/chat", json={"message": "ok", "language": "fr-BE"}, headers=web_headers(client.application, "page-fr"))
    assert fake_rasa.received[-1]["metadata"]["language"] == "fr"


def test_an_english_page_keeps_short_messages_in_the_dialogue(client, fake_rasa):
    fake_rasa.reply = ENGLISH_ANSWER
    response = client.post("/api/chat", json={"message": "PICC?", "language": "en-GB"}, headers=web_headers(client.application, "page-en"))
    assert response.json["messages"][0]["route"] == "answer"


def test_a_malformed_page_language_is_refused_and_nothing_is_stored(client, database):
    for bad in ("français", "f", 12, "en_GB", "en-GB\n"):
        response = client.post("/api/chat", json={"message": "hello", "language": bad}, headers=web_headers(client.application, "page-bad"))
        assert response.status_code == 400 and "language" in response.json["error"]
    assert history(database, "web", "page-bad") == []


def test_a_sender_with_a_trailing_newline_is_refused(client):
    response = client.post("/api/chat", json={"sender": "demo\n", "message": "hello"}, headers=integration_headers())
    assert response.status_code == 400


def test_a_patient_handed_back_by_staff_is_told_so_in_their_language(app, database):
    from sqlalchemy import update

    from assistant.inbox import operations
    from core.storage.conversations import add_messages
    from core.storage.models import Conversation
    from core.storage.tickets import create_ticket
    from tests.support.inbox import create_staff

    settings = app.config["SETTINGS"]
    add_messages(database, "web", "fr-back", [("patient", "Bonjour, j'ai une question sur la biopsie", {})], "fr")
    ticket = create_ticket(database, "web", "fr-back", "clinical", "question")
    staff_id = create_staff(database, "anna")
    with database.session() as session:
        session.execute(update(Conversation).values(taken_over_by_id=staff_id))
    operations.hand_back(database, settings.site, ticket.id, staff_id, messages=settings.messages)
    told = history(database, "web", "fr-back")[-1]
    assert told["role"] == "assistant" and told["text"].startswith("Vous êtes de nouveau avec l'assistant")


def test_a_french_conversation_names_the_department_in_french(client, fake_rasa, app):
    settings = app.config["SETTINGS"]
    site = settings.site
    french_name = site.in_languages["fr"]["department_name"]  # the shipped site.yml's example value
    # Rasa sends the dialogue's English response, filled with the English name.
    fake_rasa.reply = [{"recipient_id": "web:fr-2", "text": settings.messages.text("utter_bot_challenge", "en", site)}]
    [reply] = chat(client, "fr-2", "Est-ce que je parle à une vraie personne ou à un robot ?")
    assert f"vérifiées par le {french_name}." in reply["text"]
    assert site.department_name not in reply["text"]


def held_out_of_hours(app, database, sender):
    """The conversation taken over by a member of staff, with a secretariat that has no opening hours."""
    from core.storage.conversations import find_conversation
    from core.storage.models import StaffUser

    turns = app.extensions["turns"]
    turns.site = dataclasses.replace(turns.site, opening_hours={})
    with database.session() as session:
        staff = StaffUser(username=f"staff-{sender}", password_hash="x", role="secretariat")
        session.add(staff)
        session.flush()
        find_conversation(session, "web", sender).taken_over_by_id = staff.id
    return turns.site


def test_out_of_hours_a_french_patient_is_told_in_french_when_the_secretariat_answers(client, fake_rasa, app, database):
    fake_rasa.reply = ENGLISH_ANSWER
    chat(client, "fr-3", "Bonjour, j'ai une question sur l'embolisation de demain")
    site = held_out_of_hours(app, database, "fr-3")
    [note] = chat(client, "fr-3", "Est-ce que quelqu'un peut me rappeler aujourd'hui ?")
    messages = app.config["SETTINGS"].messages
    assert note["text"] == f"{messages.text('staff_will_reply', 'fr', site)} Le secrétariat vous recontactera sous un jour ouvré."


def test_out_of_hours_a_note_in_a_language_without_its_response_time_stays_in_that_language(client, fake_rasa, app, database):
    """site.yml gives no German response time: the German note without the sentence, rather than half in English."""
    chat(client, "de-2", "Muss ich vor der Embolisation nüchtern sein?")
    site = held_out_of_hours(app, database, "de-2")
    turns = app.extensions["turns"]
    turns.site = site = dataclasses.replace(site, in_languages={k: v for k, v in site.in_languages.items() if k != "de"})
    [note] = chat(client, "de-2", "Kann mich heute noch jemand zurückrufen bitte?")
    assert note["text"] == app.config["SETTINGS"].messages.text("staff_will_reply", "de", site)


def test_out_of_hours_a_note_in_a_language_without_texts_says_when_in_that_language(client, fake_rasa, app, database):
    chat(client, "de-3", "Muss ich vor der Embolisation nüchtern sein?")
    site = held_out_of_hours(app, database, "de-3")
    [note] = chat(client, "de-3", "Kann mich heute noch jemand zurückrufen bitte?")
    messages = app.config["SETTINGS"].messages
    assert (
        note["text"] == f"{messages.text('staff_will_reply', 'de', site)} Das Sekretariat meldet sich innerhalb eines Werktags bei Ihnen."
    )
