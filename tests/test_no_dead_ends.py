"""No dead ends: in every state a conversation can be in, a patient's message gets a reply at once.

The states are read off the code that changes them:
- assistant/turns.py: a new sender; the dialogue answering; a staff member holding the conversation; an
  emergency; Rasa down, failing, slow, answering nothing or something unreadable; the database down or
  locked, and writes still spooled when it is back;
- assistant/inbox/operations.py: take over (from the assistant or from a colleague), reply, hand back,
  resolve with and without handing back, reopen, assign;
- core/storage/: tickets open, assigned, resolved, reopened by the patient's message, removed under the
  retention rules while the conversation was still held; the holder's account deactivated or deleted;
- actions/contact_form.py and actions/fallback.py: inside the contact form, the form's action failing, after
  it (a ticket raised, or left with "stop"), after a message not understood. The fake Rasa answers as the
  dialogue does in that state, or fails as it can there (an action error leaves Rasa's answer empty).
Each state is reached with the functions the inbox and the dialogue use, on the web chat (through the chat
API) and on SMS (through the channel's inbound handler), and three messages are sent in it, each from a
fresh copy of the state: a question, a name as typed inside the form, and an emergency.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, select, update

from actions.contact_form import ROUTE_OF_KIND
from actions.fallback import suggestions
from assistant.channels import inbound
from assistant.channels.channel import Channel
from assistant.channels.formatting import sms_friendly, sms_messages, to_sms
from assistant.inbox import operations
from assistant.replies import Reply, from_rasa
from core.config import ROOT
from core.messages import Messages
from core.storage.database import Database
from core.storage.held import NOTE_REPEAT
from core.storage.models import Conversation, Message, StaffUser, Ticket
from core.storage.tickets import create_ticket
from tests.support.inbox import create_staff
from tests.support.web import web_headers

MESSAGES = Messages.load(ROOT / "messages")
ENGLISH = MESSAGES.catalogs["en"].messages
REPHRASE, OFFER_PERSON, SUGGESTIONS = ENGLISH["fallback_rephrase"], ENGLISH["fallback_offer_person"], suggestions(ENGLISH.get)

UNREACHABLE = "postgresql://postgres@127.0.0.1:9/nowhere"
WEB_SENDER = "w-0123456789abcdef0123456789abcdef"
PHONE = "+447700900123"

QUESTION, NAME, EMERGENCY = "how long does it take?", "Maria Lopez", "I can't breathe"

# What the dialogue answers, in the shapes Rasa's REST channel sends (a custom payload from an action;
# a domain response as its text, then its custom fields).
ANSWER = [
    {
        "custom": {
            "text": "It usually takes about an hour.",
            "route": "answer",
            "procedure": "embolization",
            "topic": "duration",
            "score": 0.7,
            "sources": [{"doc": "embolization", "section": "duration", "title": "Embolization"}],
        }
    }
]
FORM_STARTED = [
    {
        "custom": {
            "text": "I can't book, change or cancel appointments myself, but I can pass your request to the secretariat.",
            "route": "escalate_booking",
        }
    },
    {"text": "What name should the secretariat use?"},
    {"custom": {"route": "escalate_booking"}},
]
FORM_NEXT = [{"text": "Which phone number or e-mail address should they use to contact you?"}, {"custom": {"route": "escalate_booking"}}]
FORM_DONE = [{"custom": {"text": "Thank you. Your reference is IR-ABC234.", "route": "escalate_booking"}}]
FORM_LEFT = [{"custom": {"text": "OK, I've stopped and nothing has been sent.", "route": "escalate_booking"}}]
REPHRASED = [{"custom": {"text": REPHRASE, "route": "fallback", "buttons": SUGGESTIONS}}]
PERSON_OFFERED = [
    {"custom": {"text": OFFER_PERSON, "route": "fallback", "buttons": [{"title": "Talk to a person", "payload": "/request_human"}]}}
]

# What an ordinary message gets in a state.
DIALOGUE, STAFF_NOTE, RECEIPT, UNAVAILABLE = "the dialogue's reply", "staff will reply", "receipt", "unavailable"


class Walk:
    """One conversation on one channel, the staff around it, and the patient's side of it."""

    def __init__(self, app, fake_rasa, channel: str, database_url: str):
        self.app, self.fake_rasa, self.channel, self.database_url = app, fake_rasa, channel, database_url
        self.site = app.config["SETTINGS"].site
        self.sender = WEB_SENDER if channel == "web" else PHONE
        self.client = app.test_client()
        self.texted: list[str] = []
        self.sms = Channel(
            name="sms",
            label="SMS",
            configured=True,
            format_replies=to_sms,
            format_text=sms_messages,
            send=lambda phone, text: self.texted.append(text),
        )
        self.working_db = app.extensions["db"]
        self.undo: list[Callable[[], None]] = []
        self.anna = create_staff(self.working_db, "anna", display_name="Anna Smith")
        self.ben = create_staff(self.working_db, "ben", display_name="Ben Jones")
        self.ticket_id: int | None = None

    @property
    def db(self) -> Database:
        return self.working_db

    def say(self, text: str) -> list[str]:
        """The patient's message through the channel's own entry point; the texts the patient receives."""
        if self.channel == "web":
            response = self.client.post("/api/chat", json={"message": text}, headers=web_headers(self.client.application, self.sender))
            assert response.status_code == 200, response.get_data(as_text=True)
            return [message["text"] for message in response.json["messages"]]
        before = len(self.texted)
        services = inbound.Services(self.app.extensions["db"], self.app.extensions["turns"], self.site)
        inbound.answer(services, self.sms, self.sender, text)
        return self.texted[before:]

    def as_received(self, replies: list[Reply]) -> list[str]:
        return [r.text for r in replies] if self.channel == "web" else to_sms(replies)

    def received_start(self, text: str) -> str:
        return text if self.channel == "web" else sms_friendly(text)

    # The dialogue's side
    def rasa_answers(self, reply) -> None:
        self.fake_rasa.reply, self.fake_rasa.status, self.fake_rasa.delay = reply, 200, 0

    # The secretariat's side, through the inbox operations
    def raise_ticket(self, kind: str = "booking") -> int:
        self.ticket_id = create_ticket(self.db, self.channel, self.sender, kind, "move my appointment", route=ROUTE_OF_KIND[kind]).id
        return self.ticket_id

    def take_over(self, staff_id: int | None = None, expected: int | None = None) -> None:
        if self.ticket_id is None:
            self.raise_ticket()
        operations.take_over(self.db, self.ticket_id, staff_id or self.anna, expected)

    def conversation(self) -> Conversation:
        with self.db.session() as session:
            return session.scalar(select(Conversation).where(Conversation.channel == self.channel, Conversation.sender_key == self.sender))

    # Failures
    def database_down(self) -> None:
        broken = Database(UNREACHABLE)
        self.app.extensions["db"] = self.app.extensions["turns"].db = broken
        self.undo.append(self.database_up)

    def database_up(self) -> None:
        self.app.extensions["db"] = self.app.extensions["turns"].db = self.working_db

    def database_locked(self) -> None:
        locker = sqlite3.connect(self.database_url.removeprefix("sqlite:///"))
        locker.execute("BEGIN EXCLUSIVE")
        self.undo.append(lambda: (locker.rollback(), locker.close()))

    def rasa_down(self) -> None:
        rasa = self.app.extensions["rasa"]
        urls, rasa.base_urls = rasa.base_urls, ["http://127.0.0.1:9"]
        self.undo.append(lambda: setattr(rasa, "base_urls", urls))


# The states. Each brings a fresh conversation into the state and says what an ordinary message gets there.


def new_conversation(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    return DIALOGUE


def assistant_answering(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    w.say("what is embolization?")
    return DIALOGUE


def not_understood_once(w: Walk) -> str:
    w.rasa_answers(REPHRASED)
    w.say("blorp")
    w.rasa_answers(PERSON_OFFERED)
    return DIALOGUE


def inside_the_contact_form(w: Walk) -> str:
    w.rasa_answers(FORM_STARTED)
    w.say("I want to change my appointment")
    w.rasa_answers(FORM_NEXT)
    return DIALOGUE


def contact_form_action_failing(w: Walk) -> str:
    inside_the_contact_form(w)
    w.rasa_answers([])  # Rasa's REST channel answers [] when an action raised
    return UNAVAILABLE


def ticket_raised_by_the_form(w: Walk) -> str:
    inside_the_contact_form(w)
    w.rasa_answers(FORM_DONE)
    w.say("yes")
    w.raise_ticket("booking")
    w.rasa_answers(ANSWER)
    return DIALOGUE


def contact_form_left_with_stop(w: Walk) -> str:
    inside_the_contact_form(w)
    w.rasa_answers(FORM_LEFT)
    w.say("stop" if w.channel == "web" else "never mind")  # "stop" by SMS opts the number out: see below
    w.rasa_answers(ANSWER)
    return DIALOGUE


def emergency_reported(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    w.say("I'm bleeding heavily from the groin")
    return DIALOGUE


def ticket_assigned_not_taken_over(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    operations.assign(w.db, w.raise_ticket(), w.anna, w.anna)
    return DIALOGUE


def held_by_staff(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    w.take_over()
    return STAFF_NOTE


def held_and_patient_already_told(w: Walk) -> str:
    held_by_staff(w)
    w.say("hello?")
    return RECEIPT


def held_and_staff_replied(w: Walk) -> str:
    held_and_patient_already_told(w)
    operations.reply(w.db, w.ticket_id, w.anna, "Hello, this is Anna from the secretariat.")
    return STAFF_NOTE


def held_and_patient_told_long_ago(w: Walk) -> str:
    held_and_patient_already_told(w)
    earlier = dt.datetime.now(dt.UTC) - NOTE_REPEAT - dt.timedelta(minutes=1)
    with w.db.session() as session:
        session.execute(update(Message).values(created_at=earlier))
        session.execute(update(Conversation).values(taken_over_at=earlier))
    return STAFF_NOTE


def held_by_a_colleague_who_took_it_over(w: Walk) -> str:
    held_by_staff(w)
    w.take_over(w.ben, expected=w.anna)
    return STAFF_NOTE


def held_with_an_urgent_ticket_open(w: Walk) -> str:
    held_by_staff(w)
    w.say("my leg is cold and blue and numb")
    return STAFF_NOTE


def resolved_while_held(w: Walk) -> str:
    held_and_staff_replied(w)
    operations.resolve(w.db, w.site, w.ticket_id, w.anna, also_hand_back=False)
    return STAFF_NOTE


def resolved_while_held_and_reopened_by_the_patient(w: Walk) -> str:
    resolved_while_held(w)
    w.say("thank you, one more thing")
    return RECEIPT


def held_after_its_tickets_were_removed(w: Walk) -> str:
    held_by_staff(w)
    with w.db.session() as session:
        session.execute(delete(Ticket))
    return STAFF_NOTE


def held_by_a_deactivated_account(w: Walk) -> str:
    held_by_staff(w)
    with w.db.session() as session:
        session.execute(update(StaffUser).where(StaffUser.id == w.anna).values(active=False))
    return STAFF_NOTE


def held_by_a_deleted_account(w: Walk) -> str:
    held_by_staff(w)
    with w.db.session() as session:
        session.execute(delete(StaffUser).where(StaffUser.id == w.anna))
    return DIALOGUE  # the hold went with the account


def resolved_with_hand_back(w: Walk) -> str:
    held_and_staff_replied(w)
    operations.resolve(w.db, w.site, w.ticket_id, w.anna, also_hand_back=True)
    return DIALOGUE


def handed_back(w: Walk) -> str:
    held_and_staff_replied(w)
    operations.hand_back(w.db, w.site, w.ticket_id, w.anna)
    return DIALOGUE


def reopened_by_staff_after_hand_back(w: Walk) -> str:
    resolved_with_hand_back(w)
    operations.reopen(w.db, w.ticket_id, w.anna)
    return DIALOGUE


def rasa_down(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    w.rasa_down()
    return UNAVAILABLE


def rasa_answering_an_error(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    w.fake_rasa.status = 500
    return UNAVAILABLE


def rasa_too_slow(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    rasa = w.app.extensions["rasa"]
    timeout, rasa.timeout, w.fake_rasa.delay = rasa.timeout, 0.2, 0.6
    w.undo.append(lambda: setattr(rasa, "timeout", timeout))
    return UNAVAILABLE


def rasa_answering_nonsense(w: Walk) -> str:
    w.rasa_answers({"error": "not a list of messages"})
    return UNAVAILABLE


def held_with_rasa_down(w: Walk) -> str:
    held_by_staff(w)
    w.rasa_down()
    return STAFF_NOTE


def database_down(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    w.database_down()
    return DIALOGUE


def database_locked(w: Walk) -> str:
    w.rasa_answers(ANSWER)
    w.database_locked()
    return DIALOGUE


def database_back_with_writes_spooled(w: Walk) -> str:
    database_down(w)
    w.say("what is embolization?")
    w.database_up()
    return DIALOGUE


def database_and_rasa_down(w: Walk) -> str:
    database_down(w)
    w.rasa_down()
    return UNAVAILABLE


def held_with_the_database_down(w: Walk) -> str:
    held_by_staff(w)
    w.database_down()
    return DIALOGUE  # the hold cannot be read: the assistant answers rather than say nothing


STATES = [
    new_conversation,
    assistant_answering,
    not_understood_once,
    inside_the_contact_form,
    contact_form_action_failing,
    ticket_raised_by_the_form,
    contact_form_left_with_stop,
    emergency_reported,
    ticket_assigned_not_taken_over,
    held_by_staff,
    held_and_patient_already_told,
    held_and_staff_replied,
    held_and_patient_told_long_ago,
    held_by_a_colleague_who_took_it_over,
    held_with_an_urgent_ticket_open,
    resolved_while_held,
    resolved_while_held_and_reopened_by_the_patient,
    held_after_its_tickets_were_removed,
    held_by_a_deactivated_account,
    held_by_a_deleted_account,
    resolved_with_hand_back,
    handed_back,
    reopened_by_staff_after_hand_back,
    rasa_down,
    rasa_answering_an_error,
    rasa_too_slow,
    rasa_answering_nonsense,
    held_with_rasa_down,
    database_down,
    database_locked,
    database_back_with_writes_spooled,
    database_and_rasa_down,
    held_with_the_database_down,
]


@pytest.fixture
def sqlite_busy_ms() -> int:
    """In the database_locked state each write waits this long and gives up (the lock is never released): the
    same path as after 300 ms, in a sixth of the time."""
    return 50


@dataclass(frozen=True)
class Case:
    state: Callable[[Walk], str]
    channel: str
    message: str


CASES = [Case(state, channel, message) for state in STATES for channel in ("web", "sms") for message in (QUESTION, NAME, EMERGENCY)]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.state.__name__}-{c.channel}-{c.message}" for c in CASES])
def test_every_state_answers_a_patient_message(case, app, fake_rasa, database_url):
    walk = Walk(app, fake_rasa, case.channel, database_url)
    try:
        expected = case.state(walk)
        rasa_calls = len(fake_rasa.received)
        received = walk.say(case.message)
    finally:
        for undo in reversed(walk.undo):
            undo()

    assert received and all(text.strip() for text in received), f"no reply in state {case.state.__name__}"
    site = walk.site
    if case.message == EMERGENCY:
        assert received[0].startswith(walk.received_start(MESSAGES.text("emergency", "en", site)))
        return
    if expected == DIALOGUE:
        assert received == walk.as_received(from_rasa(fake_rasa.reply, site))
    elif expected == UNAVAILABLE:
        assert received == walk.as_received([Reply(MESSAGES.text("unavailable", "en", site), "fallback")])
    else:
        assert len(fake_rasa.received) == rasa_calls, "the assistant answered a question while staff held it"
        if expected == STAFF_NOTE:
            assert received[0].startswith(walk.received_start(MESSAGES.text("staff_will_reply", "en", site)))
        else:
            assert received == walk.as_received([Reply(MESSAGES.text("staff_will_read", "en", site), "smalltalk")])
        with walk.db.session() as session:  # and the secretariat finds the message in its queue
            statuses = list(session.scalars(select(Ticket.status).where(Ticket.conversation_id == walk.conversation().id)))
        assert any(status != "resolved" for status in statuses), statuses


def test_an_sms_number_that_sent_stop_gets_nothing_until_start_and_start_is_answered(app, fake_rasa, database_url):
    """The one state where silence is required: carriers forbid messages after STOP. Its way out is START, which
    the STOP confirmation names; an emergency meanwhile raises an urgent ticket so that a person calls."""
    walk = Walk(app, fake_rasa, "sms", database_url)
    walk.rasa_answers(ANSWER)
    [confirmation] = walk.say("STOP")
    assert "Send START" in confirmation

    assert walk.say(QUESTION) == [] and walk.say(EMERGENCY) == []
    with walk.db.session() as session:
        assert session.scalar(select(Ticket.kind)) == "urgent"

    assert walk.say("START") and walk.say(QUESTION) == walk.as_received(from_rasa(ANSWER, walk.site))


def test_out_of_hours_the_note_says_when_the_secretariat_answers(app, fake_rasa, database_url):
    import dataclasses

    walk = Walk(app, fake_rasa, "web", database_url)
    closed = dataclasses.replace(walk.site, opening_hours={})
    app.extensions["turns"].site = closed
    held_by_staff(walk)

    [note] = walk.say(QUESTION)

    assert note == f"{MESSAGES.text('staff_will_reply', 'en', closed)} {MESSAGES.when_answered(closed, dt.datetime.now(dt.UTC), 'en')}"
