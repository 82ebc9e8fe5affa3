"""WhatsApp through Meta's Cloud API: the webhook as Meta calls it, the replies as the Graph API receives them.

The gateway runs in Flask's test client against a fake Rasa; Meta's side is a
local server speaking the Graph API's messages endpoint (tests/support/fake_graph.py).
Notifications are signed as Meta signs them: HMAC-SHA256 of the raw body with the app secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets

import pytest
from sqlalchemy import func, select, update

from assistant.channels import optout
from assistant.channels.formatting import WHATSAPP_MAX_CHARS
from assistant.delivery import Delivery, deliver
from core.config import Settings
from core.storage.conversations import history
from core.storage.models import Conversation, InboundMessage, Message
from tests.support.fake_graph import PHONE_NUMBER_ID, TOKEN, FakeGraph

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
TEMPLATE = "staff_reply"
PATIENT = "+447700900123"
WA_ID = PATIENT.removeprefix("+")

ANSWER = [
    {
        "custom": {
            "text": "Most people are advised not to drive for at least 24 hours.",
            "route": "answer",
            "procedure": "embolization",
            "topic": "driving",
            "score": 0.8,
            "sources": [{"doc": "embolization", "section": "driving", "title": "Embolization", "reviewed": "2026-11-23"}],
            "buttons": [{"title": "How do I prepare?", "payload": "/ask_preparation"}],
        }
    }
]


@pytest.fixture
def fake_graph():
    with FakeGraph() as server:
        yield server


@pytest.fixture
def app(database_url, fake_rasa, fake_graph, monkeypatch, tmp_path):
    from assistant.gateway import create_app

    for name, value in {
        "ASSISTANT_DATABASE_URL": database_url,
        "RASA_URL": fake_rasa.url,
        "ASSISTANT_RASA_TIMEOUT": "2",
        "ASSISTANT_VAR_DIR": str(tmp_path),
        "WHATSAPP_API_BASE": fake_graph.url,
        "WHATSAPP_TOKEN": TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_TEMPLATE_NAME": TEMPLATE,
        "WHATSAPP_TEMPLATE_LANGUAGE": "en_GB",
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app(Settings.from_env(), {"TESTING": True})
    yield app
    settle(app)
    app.extensions["channel_worker"].close()


def settle(app) -> None:
    """Wait (at most 10 s) until the replies of every acknowledged notification have been sent."""
    assert app.extensions["channel_worker"].join(10), "channel jobs still running after 10 s"


def notification(*messages: dict, statuses: list[dict] | None = None, phone_number_id: str = PHONE_NUMBER_ID) -> dict:
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id}}
    if messages:
        value["contacts"] = [{"profile": {"name": "Pat"}, "wa_id": WA_ID}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}


def text(body: str, message_id: str | None = None) -> dict:
    return {
        "from": WA_ID,
        "id": message_id or f"wamid.{secrets.token_hex(12)}",
        "timestamp": "1790000000",
        "type": "text",
        "text": {"body": body},
    }


def post(client, payload: dict, *, secret: str | None = APP_SECRET, raw: bytes | None = None):
    raw = raw if raw is not None else json.dumps(payload).encode()
    headers = {}
    if secret is not None:
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/channels/whatsapp", data=raw, headers=headers, content_type="application/json")


def whatsapp(client, app, body: str):
    response = post(client, notification(text(body)))
    assert response.status_code == 200, response.get_data(as_text=True)
    settle(app)


def count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_verification_handshake_echoes_the_challenge_for_the_right_token(client):
    response = client.get(
        "/channels/whatsapp", query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "1158201444"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}, 403),
        ({"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}, 403),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, 400),
        ({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "<script>"}, 400),
    ],
)
def test_the_verification_handshake_refuses_a_wrong_or_incomplete_request(client, query, status):
    response = client.get("/channels/whatsapp", query_string=query)
    assert response.status_code == status
    assert "error" in response.json


def test_a_signed_message_is_acknowledged_and_answered_through_the_graph_api(client, app, fake_rasa, fake_graph, database):
    fake_rasa.reply = ANSWER
    response = post(client, notification(text("when can I drive?")))
    assert response.status_code == 200
    settle(app)

    [sent] = fake_graph.messages
    assert (sent["messaging_product"], sent["to"], sent["type"]) == ("whatsapp", WA_ID, "text")
    assert sent["text"]["body"] == (
        "Most people are advised not to drive for at least 24 hours.\n\nSource: Embolization\n\nReply with a number:\n1. How do I prepare?"
    )
    assert fake_rasa.received[0]["sender"] == f"whatsapp:{PATIENT}"
    assert [m["role"] for m in history(database, "whatsapp", PATIENT)] == ["patient", "assistant"]


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("not-the-app-secret", 403)])
def test_an_unsigned_or_forged_notification_is_refused_and_nothing_is_stored(client, app, fake_rasa, fake_graph, database, secret, status):
    response = post(client, notification(text("when can I drive?")), secret=secret)
    assert response.status_code == status
    settle(app)
    assert fake_rasa.received == [] and fake_graph.messages == []
    assert count(database, Conversation) == 0 and count(database, InboundMessage) == 0


def test_a_body_changed_after_signing_is_refused(client, database):
    raw = json.dumps(notification(text("when can I drive?"))).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = client.post(
        "/channels/whatsapp",
        data=raw.replace(b"drive", b"fly"),
        headers={"X-Hub-Signature-256": signature},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert count(database, Conversation) == 0


def test_status_updates_are_acknowledged_and_ignored(client, app, fake_rasa, fake_graph, database):
    status = {"id": "wamid.abc", "status": "delivered", "timestamp": "1790000000", "recipient_id": WA_ID}
    response = post(client, notification(statuses=[status]))
    assert response.status_code == 200
    settle(app)
    assert fake_rasa.received == [] and fake_graph.messages == []
    assert count(database, Conversation) == 0


def test_a_redelivered_message_is_answered_once(client, app, fake_rasa, fake_graph):
    fake_rasa.reply = ANSWER
    message = text("when can I drive?", "wamid.HBgLNDQ3NzAwOTAwMTIzFQIAEhgg")
    assert post(client, notification(message)).status_code == 200
    assert post(client, notification(message)).status_code == 200
    settle(app)
    assert len(fake_rasa.received) == 1 and len(fake_graph.messages) == 1


def test_a_notification_for_another_phone_number_is_ignored(client, app, fake_rasa, fake_graph):
    assert post(client, notification(text("hello"), phone_number_id="999")).status_code == 200
    settle(app)
    assert fake_rasa.received == [] and fake_graph.messages == []


def test_a_numbered_choice_sends_the_payload(client, app, fake_rasa):
    fake_rasa.reply = ANSWER
    whatsapp(client, app, "when can I drive?")
    whatsapp(client, app, "1")
    assert fake_rasa.received[-1]["message"] == "/ask_preparation"


def test_an_answer_over_4096_characters_is_split_between_sentences(client, app, fake_rasa, fake_graph):
    sentences = [f"Paragraph sentence {i} explains one more thing about looking after the wound at home." for i in range(80)]
    fake_rasa.reply = [{"text": " ".join(sentences)}]
    whatsapp(client, app, "tell me everything about aftercare")
    bodies = fake_graph.texts()
    assert len(bodies) == 2
    assert all(len(body) <= WHATSAPP_MAX_CHARS and body.endswith(".") for body in bodies)
    assert " ".join(bodies) == " ".join(sentences)


def test_the_emergency_reply_is_the_first_message_sent(client, app, fake_graph):
    whatsapp(client, app, "I have chest pain")
    assert app.config["SETTINGS"].site.emergency_number in fake_graph.texts()[0]


def test_after_arret_nothing_is_sent_and_staff_replies_are_refused(client, app, fake_rasa, fake_graph, database):
    whatsapp(client, app, "ARRÊT")
    [confirmation] = fake_graph.texts()
    assert confirmation.startswith("Vous ne recevrez plus de messages")
    whatsapp(client, app, "when can I drive?")
    assert fake_rasa.received == [] and len(fake_graph.messages) == 1
    assert deliver(database, "whatsapp", PATIENT, "We tried to call you.", senders=app.extensions["senders"]) == Delivery(
        False, "not sent: the patient opted out"
    )
    assert len(fake_graph.messages) == 1
    assert optout.is_opted_out(database, "whatsapp", PATIENT)


def test_a_picture_gets_a_request_to_write(client, app, fake_rasa, fake_graph):
    picture = {
        "from": WA_ID,
        "id": "wamid.picture1",
        "timestamp": "1790000000",
        "type": "image",
        "image": {"mime_type": "image/jpeg", "sha256": "abc", "id": "1234"},
    }
    assert post(client, notification(picture)).status_code == 200
    settle(app)
    assert "only read written messages" in fake_graph.texts()[0]
    assert fake_rasa.received == []


def make_last_patient_message_older(database, hours: float) -> None:
    with database.session() as session:
        session.execute(update(Message).values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)))


def test_a_staff_reply_inside_the_24_hour_window_is_sent_as_text(client, app, fake_rasa, fake_graph, database):
    fake_rasa.reply = ANSWER
    whatsapp(client, app, "when can I drive?")
    make_last_patient_message_older(database, 23)
    outcome = deliver(
        database, "whatsapp", PATIENT, "Hello, the secretariat here: yes, you can drive on Friday.", senders=app.extensions["senders"]
    )
    assert outcome == Delivery(True, "sent by WhatsApp")
    assert fake_graph.messages[-1]["text"]["body"] == "Hello, the secretariat here: yes, you can drive on Friday."


def test_a_staff_reply_outside_the_24_hour_window_is_sent_as_the_approved_template(client, app, fake_rasa, fake_graph, database):
    fake_rasa.reply = ANSWER
    whatsapp(client, app, "when can I drive?")
    make_last_patient_message_older(database, 25)
    outcome = deliver(database, "whatsapp", PATIENT, "Hello,\nyour appointment is confirmed.", senders=app.extensions["senders"])

    assert outcome == Delivery(True, "sent as the approved template (outside WhatsApp's 24-hour window)")
    sent = fake_graph.messages[-1]
    assert sent["type"] == "template"
    assert sent["template"]["name"] == TEMPLATE and sent["template"]["language"] == {"code": "en_GB"}
    assert sent["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Hello, your appointment is confirmed."}]}
    ]
    last = history(database, "whatsapp", PATIENT)[-1]
    assert (last["role"], last["data"]["delivery"]) == ("staff", outcome.detail)  # the inbox says so


def test_when_the_graph_api_says_the_window_is_closed_the_template_is_used(client, app, fake_rasa, fake_graph, database):
    fake_rasa.reply = ANSWER
    whatsapp(client, app, "when can I drive?")
    fake_graph.window_closed.add(WA_ID)
    outcome = deliver(database, "whatsapp", PATIENT, "Your results are ready.", senders=app.extensions["senders"])
    assert outcome.delivered and "template" in outcome.detail
    assert fake_graph.messages[-1]["type"] == "template"


# --- acknowledged first, processed in bulk (issue #23, item 7) ---


def test_a_notifications_messages_are_stored_in_one_transaction_before_it_is_acknowledged(
    client, app, fake_rasa, fake_graph, database, monkeypatch
):
    from core.storage import channel_jobs
    from core.storage.models import ChannelJob

    fake_rasa.reply = ANSWER
    stored, calls = channel_jobs.enqueue, []

    def counted(*args):
        calls.append(args[1])
        return stored(*args)

    monkeypatch.setattr(channel_jobs, "enqueue", counted)
    response = post(client, notification(text("when can I drive?", "wamid.one"), text("and the wound?", "wamid.two")))
    assert response.status_code == 200 and calls == ["whatsapp"]
    with database.session() as session:
        assert list(session.scalars(select(ChannelJob.message_id).order_by(ChannelJob.id))) == ["wamid.one", "wamid.two"]
    settle(app)
    assert len(fake_graph.messages) == 2


def test_a_batch_of_4000_reactions_is_acknowledged_at_once_and_read_in_one_transaction(client, app, fake_rasa, fake_graph, database):
    import time

    fake_rasa.reply = ANSWER
    reactions = [
        {"from": WA_ID, "id": f"wamid.reaction-{n}", "timestamp": "1790000000", "type": "reaction", "reaction": {"emoji": "👍"}}
        for n in range(4000)
    ]
    started = time.monotonic()
    response = post(client, notification(*reactions, text("when can I drive?", "wamid.question"), text("and the wound?")))
    assert response.status_code == 200 and time.monotonic() - started < 1
    settle(app)
    assert [m["message"] for m in fake_rasa.received] == ["when can I drive?", "and the wound?"]
    assert count(database, InboundMessage) == 2  # reactions are not recorded: nothing to answer twice
    # Meta's retry of the whole batch is answered once.
    assert post(client, notification(*reactions[:10], text("when can I drive?", "wamid.question"))).status_code == 200
    settle(app)
    assert len(fake_rasa.received) == 2


def test_a_message_repeated_inside_one_batch_is_answered_once(client, app, fake_rasa, fake_graph):
    fake_rasa.reply = ANSWER
    message = text("when can I drive?", "wamid.twice")
    assert post(client, notification(message, message)).status_code == 200
    settle(app)
    assert len(fake_rasa.received) == 1
