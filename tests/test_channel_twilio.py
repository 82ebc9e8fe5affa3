"""SMS and WhatsApp through Twilio: the webhook as Twilio calls it, the replies as Twilio's REST API receives them.

The gateway runs in Flask's test client against a fake Rasa; Twilio's side is a
local server speaking the Messages API (tests/support/fake_twilio.py).
Requests are signed exactly as Twilio signs them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from assistant.channels import optout
from assistant.channels.formatting import segments
from assistant.delivery import Delivery, deliver
from core.config import Settings
from core.storage.conversations import add_messages, history
from core.storage.models import Conversation, InboundMessage, Message, Ticket
from tests.support.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.support.twilio_webhook import (
    ANSWER,
    OUR_NUMBER,
    OUR_WHATSAPP,
    PATIENT,
    PUBLIC_BASE_URL,
    WEBHOOK_URL,
    point_gateway_at,
    post,
    twilio_params,
)


@pytest.fixture
def app(database_url, fake_rasa, fake_twilio, monkeypatch, tmp_path):
    from assistant.gateway import create_app

    point_gateway_at(
        monkeypatch,
        fake_twilio,
        database_url=database_url,
        rasa_url=fake_rasa.url,
        var_dir=tmp_path,
    )
    app = create_app(Settings.from_env(), {"TESTING": True})
    yield app
    settle(app)
    app.extensions["channel_worker"].close()


SETTLE_SECONDS = 30  # generous: a turn through the real dialogue on a busy 2-core machine


def settle(app) -> None:
    """Wait until the replies of every acknowledged webhook have been sent."""
    assert app.extensions["channel_worker"].join(SETTLE_SECONDS), f"channel jobs still running after {SETTLE_SECONDS} s"


def text_message(client, app, body: str, sender: str = PATIENT):
    response = post(client, twilio_params(body, sender))
    assert response.status_code == 200, response.get_data(as_text=True)
    settle(app)
    return response


def count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_signed_sms_is_acknowledged_at_once_and_answered_through_twilios_rest_api(client, app, fake_rasa, fake_twilio, database):
    fake_rasa.reply = ANSWER
    response = post(client, twilio_params("what is embolization?"))

    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True).endswith("<Response/>")
    settle(app)
    [sent] = fake_twilio.messages
    assert (sent["To"], sent["From"]) == (PATIENT, OUR_NUMBER)
    assert sent["Body"].startswith("Embolization blocks a blood vessel on purpose.")
    assert "**" not in sent["Body"]
    assert "Source: Embolization" in sent["Body"]
    assert fake_rasa.received[0]["sender"] == f"sms:{PATIENT}"
    stored = history(database, "sms", PATIENT)
    assert [(m["role"], m["text"]) for m in stored][0] == ("patient", "what is embolization?")
    assert stored[1]["role"] == "assistant" and stored[1]["data"]["route"] == "answer"


@pytest.mark.parametrize("forgery", ["unsigned", "wrong_token", "signed_for_the_internal_url", "body_changed_after_signing"])
def test_a_forged_or_unsigned_request_gets_403_and_nothing_is_stored_or_sent(client, app, fake_rasa, fake_twilio, database, forgery):
    params = twilio_params("what is embolization?")
    if forgery == "unsigned":
        response = post(client, params, signature="")
    elif forgery == "wrong_token":
        response = post(client, params, token="not-the-auth-token")
    elif forgery == "signed_for_the_internal_url":  # behind a proxy only the public URL is valid
        response = post(client, params, signed_url="http://localhost/channels/twilio")
    else:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(WEBHOOK_URL, params)
        response = post(client, {**params, "Body": "I changed this"}, signature=signature)

    assert response.status_code == 403
    assert "signature" in response.json["error"]
    settle(app)
    assert fake_rasa.received == [] and fake_twilio.messages == []
    assert count(database, Conversation) == 0 and count(database, InboundMessage) == 0


def test_without_a_public_base_url_the_signature_is_checked_against_the_url_requested(app, monkeypatch, fake_rasa, fake_twilio):
    from assistant.gateway import create_app

    monkeypatch.delenv("PUBLIC_BASE_URL")
    direct = create_app(Settings.from_env(), {"TESTING": True})
    fake_rasa.reply = ANSWER
    params = twilio_params("what is embolization?")
    assert post(direct.test_client(), params).status_code == 403  # signed for the public URL
    assert post(direct.test_client(), params, signed_url="http://localhost/channels/twilio").status_code == 200
    settle(direct)
    assert len(fake_twilio.messages) == 1
    direct.extensions["channel_worker"].close()


@pytest.mark.parametrize("missing", ["Body", "From"])
def test_a_signed_request_without_body_or_from_gets_400(client, app, fake_rasa, database, missing):
    params = twilio_params("hello")
    del params[missing]
    response = post(client, params)
    assert response.status_code == 400
    assert "'From' and 'Body' are required" in response.json["error"]
    assert count(database, Conversation) == 0


def test_a_request_that_is_not_form_encoded_gets_415(client):
    response = client.post("/channels/twilio", json={"From": PATIENT, "Body": "hi"}, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 415


def test_a_message_twilio_retries_is_answered_once(client, app, fake_rasa, fake_twilio):
    fake_rasa.reply = ANSWER
    params = twilio_params("what is embolization?")
    assert post(client, params).status_code == 200
    assert post(client, params).status_code == 200
    settle(app)
    assert len(fake_rasa.received) == 1
    assert len(fake_twilio.messages) == 1


def test_buttons_become_numbered_choices_and_a_number_sends_the_payload(client, app, fake_rasa, fake_twilio):
    fake_rasa.reply = ANSWER
    text_message(client, app, "what is embolization?")
    assert fake_twilio.bodies()[-1].endswith("Reply with a number:\n1. How do I prepare?\n2. Talk to a person")

    fake_rasa.reply = [{"text": "A member of the secretariat will call you."}]
    text_message(client, app, "2")
    assert fake_rasa.received[-1]["message"] == "/request_human"
    text_message(client, app, "2")  # the last reply had no choices: "2" is now just text
    assert fake_rasa.received[-1]["message"] == "2"


def test_a_long_answer_is_split_between_sentences_into_messages_of_at_most_three_segments(client, app, fake_rasa, fake_twilio):
    sentences = [f"Sentence number {i} says something useful about the recovery after the procedure." for i in range(1, 21)]
    fake_rasa.reply = [{"text": " ".join(sentences)}]
    text_message(client, app, "tell me everything")

    bodies = fake_twilio.bodies()
    assert len(bodies) >= 4
    for body in bodies:
        assert len(body) <= 3 * 153  # GSM-7: three concatenated segments
        assert body.endswith(".")  # every message ends at a sentence's end
    assert " ".join(bodies) == " ".join(sentences)


def test_a_ucs2_answer_is_split_by_ucs2_segment_sizes(client, app, fake_rasa, fake_twilio):
    sentences = [f"Предложение {i}: после процедуры нужно отдыхать и пить много воды." for i in range(1, 16)]
    fake_rasa.reply = [{"text": " ".join(sentences)}]
    text_message(client, app, "расскажите")

    bodies = fake_twilio.bodies()
    assert len(bodies) >= 4
    for body in bodies:
        assert len(body.encode("utf-16-le")) // 2 <= 3 * 67  # UCS-2: three concatenated segments
        assert body.endswith(".")
    assert " ".join(bodies) == " ".join(sentences)


def test_whatsapp_through_twilio_is_answered_on_whatsapp_in_its_own_conversation(client, app, fake_rasa, fake_twilio, database):
    fake_rasa.reply = ANSWER
    text_message(client, app, "what is embolization?", sender=f"whatsapp:{PATIENT}")

    [sent] = fake_twilio.messages
    assert (sent["To"], sent["From"]) == (f"whatsapp:{PATIENT}", OUR_WHATSAPP)
    assert fake_rasa.received[0]["sender"] == f"whatsapp_twilio:{PATIENT}"
    assert [m["role"] for m in history(database, "whatsapp_twilio", PATIENT)] == ["patient", "assistant"]
    assert history(database, "sms", PATIENT) == []


def test_after_stop_nothing_is_sent_until_start(client, app, fake_rasa, fake_twilio, database):
    fake_rasa.reply = ANSWER
    text_message(client, app, "STOP")
    [confirmation] = fake_twilio.bodies()
    assert "no more messages" in confirmation and "START" in confirmation
    assert optout.is_opted_out(database, "sms", PATIENT)

    text_message(client, app, "what is embolization?")
    assert fake_twilio.bodies() == [confirmation]
    assert fake_rasa.received == []
    assert history(database, "sms", PATIENT)[-1]["data"]["not_answered"] == "not answered: the patient opted out"
    outcome = deliver(database, "sms", PATIENT, "Your appointment is on Monday at 9.", senders=app.extensions["senders"])
    assert outcome == Delivery(False, "not sent: the patient opted out")
    assert fake_twilio.bodies() == [confirmation]

    text_message(client, app, "start")
    assert "again" in fake_twilio.bodies()[-1]
    text_message(client, app, "what is embolization?")
    assert fake_twilio.bodies()[-1].startswith("Embolization blocks")


def test_an_emergency_from_an_opted_out_number_raises_an_urgent_ticket_without_sending(client, app, fake_twilio, database):
    text_message(client, app, "stop")
    text_message(client, app, "my leg is bleeding a lot")
    assert len(fake_twilio.messages) == 1  # only the STOP confirmation
    with database.session() as session:
        assert session.scalar(select(Ticket.kind)) == "urgent"


def test_with_the_database_down_an_sms_and_an_emergency_are_still_answered(client, app, fake_rasa, fake_twilio, monkeypatch):
    """Before, the webhook's duplicate check and the opt-out check failed first and the patient got nothing."""
    import dataclasses

    from assistant.channels.inbound import Services
    from core.storage.database import Database

    broken = Database("postgresql://postgres@127.0.0.1:9/nowhere")
    twilio = app.extensions["channels_twilio"]
    monkeypatch.setitem(
        app.extensions,
        "channels_twilio",
        dataclasses.replace(twilio, services=Services(broken, twilio.services.turns, twilio.services.site)),
    )
    monkeypatch.setattr(twilio.services.turns, "db", broken)
    fake_rasa.reply = ANSWER

    text_message(client, app, "what is embolization?")
    text_message(client, app, "my leg is bleeding a lot")

    bodies = fake_twilio.bodies()
    assert bodies[0].startswith("Embolization blocks")
    assert bodies[-1].startswith(f"This may be an emergency. Call {app.config['SETTINGS'].site.emergency_number} now.")
    assert app.extensions["spool"].backlog() == 5  # 2 x (message, reply) and the urgent ticket


@pytest.mark.parametrize(
    ("keyword", "confirmation"), [("Arrêt", "Vous ne recevrez plus"), ("BAJA", "No recibirá"), ("unsubscribe", "no more messages")]
)
def test_stop_keywords_in_english_french_and_spanish(client, app, fake_twilio, database, keyword, confirmation):
    text_message(client, app, keyword)
    assert confirmation in fake_twilio.bodies()[-1]
    assert optout.is_opted_out(database, "sms", PATIENT)


def test_stop_inside_a_sentence_is_a_question_not_an_opt_out(client, app, fake_rasa, database):
    fake_rasa.reply = ANSWER
    text_message(client, app, "when do I stop my blood thinners?")
    assert fake_rasa.received[0]["message"] == "when do I stop my blood thinners?"
    assert not optout.is_opted_out(database, "sms", PATIENT)


def test_yes_is_an_answer_for_the_dialogue_unless_the_number_opted_out(client, app, fake_rasa, database):
    fake_rasa.reply = ANSWER
    text_message(client, app, "yes")
    assert fake_rasa.received[-1]["message"] == "yes"
    assert not optout.is_opted_out(database, "sms", PATIENT)


def test_help_returns_the_departments_contact_details(client, app, fake_twilio):
    site = app.config["SETTINGS"].site
    text_message(client, app, "HELP")
    [reply] = fake_twilio.bodies()
    for fact in (site.department_phone, site.department_email, site.emergency_number):
        assert fact in reply


def test_the_emergency_reply_is_the_first_message_sent(client, app, fake_rasa, fake_twilio):
    site = app.config["SETTINGS"].site
    text_message(client, app, "I am bleeding heavily from the groin")
    assert site.emergency_number in fake_twilio.bodies()[0]

    # What only the dialogue takes for an emergency gets the emergency number first too, whatever order it came in.
    fake_rasa.reply = [
        {"custom": {"text": "Here is what to expect after the procedure.", "route": "answer"}},
        {"custom": {"text": "If you feel faint, call {emergency_number} now.", "route": "urgent"}},
    ]
    text_message(client, app, "I feel a bit strange after the procedure")
    first, second = fake_twilio.bodies()[-2:]
    assert first.startswith("I can't tell from here how serious this is") and site.emergency_number in first
    assert second == "Here is what to expect after the procedure."


def test_a_picture_without_text_gets_a_request_to_write(client, app, fake_rasa, fake_twilio, database):
    response = post(client, twilio_params("", NumMedia="1", MediaContentType0="image/jpeg", MediaUrl0="https://api.twilio.com/media/1"))
    assert response.status_code == 200
    settle(app)
    assert "only read written messages" in fake_twilio.bodies()[0]
    assert fake_rasa.received == []
    assert history(database, "sms", PATIENT)[0]["text"] == "[image]"


def test_a_staff_reply_by_sms_is_sent_and_recorded(client, app, fake_rasa, fake_twilio, database):
    fake_rasa.reply = ANSWER
    text_message(client, app, "what is embolization?")
    outcome = deliver(
        database, "sms", PATIENT, "Hello, this is the secretariat. Your appointment is on Monday.", senders=app.extensions["senders"]
    )
    assert outcome == Delivery(True, "sent by SMS")
    assert fake_twilio.messages[-1] == {
        "To": PATIENT,
        "From": OUR_NUMBER,
        "Body": "Hello, this is the secretariat. Your appointment is on Monday.",
    }
    last = history(database, "sms", PATIENT)[-1]
    assert (last["role"], last["data"]["delivery"]) == ("staff", "sent by SMS")

    text_message(client, app, "1")  # after a staff message, "1" answers the staff member, not the old choices
    assert fake_rasa.received[-1]["message"] == "1"


def test_a_staff_reply_to_a_number_blocked_at_twilio_is_not_sent_and_the_opt_out_is_recorded(app, fake_twilio, database):
    fake_twilio.blocked.add(PATIENT)
    assert deliver(database, "sms", PATIENT, "Your results are ready.", senders=app.extensions["senders"]) == Delivery(
        False, "not sent: the patient opted out"
    )
    assert fake_twilio.messages == []
    assert optout.is_opted_out(database, "sms", PATIENT)


def test_a_staff_reply_on_twilio_whatsapp_needs_the_24_hour_window(client, app, fake_rasa, fake_twilio, database):
    fake_rasa.reply = ANSWER
    text_message(client, app, "what is embolization?", sender=f"whatsapp:{PATIENT}")
    assert deliver(database, "whatsapp_twilio", PATIENT, "Inside the window.", senders=app.extensions["senders"]).delivered
    assert fake_twilio.messages[-1]["Body"] == "Inside the window."

    with database.session() as session:
        session.execute(update(Message).values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)))
    outcome = deliver(database, "whatsapp_twilio", PATIENT, "Outside the window.", senders=app.extensions["senders"])
    assert not outcome.delivered and "24 hours" in outcome.detail
    assert fake_twilio.bodies()[-1] == "Inside the window."


@pytest.mark.system
def test_with_the_real_dialogue_a_numbered_choice_gets_the_answer_for_that_procedure(system, fake_twilio, monkeypatch, tmp_path):
    """The real Rasa and action server: real answers fit the SMS sizes, and "1" carries a real payload through."""
    from assistant.gateway import create_app

    for name, value in {
        "ASSISTANT_DATABASE_URL": system.database_url,
        "RASA_URL": system.rasa,
        "ASSISTANT_RASA_TIMEOUT": "30",
        "ASSISTANT_VAR_DIR": str(tmp_path),
        "TWILIO_API_BASE": fake_twilio.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": OUR_NUMBER,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app(Settings.from_env(), {"TESTING": True})
    client, patient = app.test_client(), "+447700900999"
    database = app.extensions["db"]

    text_message(client, app, "how do I prepare?", sender=patient)
    offered = history(database, "sms", patient)[-1]["data"]
    assert offered["topic"] == "preparation" and offered["buttons"]
    assert all(segments(body) <= 3 for body in fake_twilio.bodies(patient))
    assert f"1. {offered['buttons'][0]['title']}" in fake_twilio.bodies(patient)[-1]

    text_message(client, app, "1", sender=patient)
    answered = history(database, "sms", patient)[-1]["data"]
    chosen = offered["buttons"][0]["payload"]
    assert (answered["route"], answered["topic"]) == ("answer", "preparation")
    assert f'"procedure": "{answered["procedure"]}"' in chosen


def test_in_a_spanish_conversation_stop_is_confirmed_in_spanish(client, app, fake_twilio, database):
    add_messages(database, "sms", PATIENT, [("patient", "hola", {})], language="es")
    text_message(client, app, "STOP")
    assert fake_twilio.bodies()[-1].startswith("No recibirá más mensajes")
