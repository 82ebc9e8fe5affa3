"""`make run-scaled` under faults: conversations of several turns (12 in `make test`, 50 in `make test-scaled`;
marker `faults`; README "Scaling past one machine") through HAProxy while one Rasa server, one action server and
one gateway are killed with SIGKILL and restarted by supervisord, and PostgreSQL, then Redis, are unreachable for
a few seconds (a proxy between every process and each server cuts them: tests/support/tcp_proxy.py). Each
guarantee is its own test, on the record of one run.

The patients' client does what the widget's "Try again" button does: a message that got no answer (the
connection broke, HAProxy's 502/503/504, a 429) is sent again, with the same text and client message id, until
it is answered.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests
from sqlalchemy import func, select, text
from twilio.request_validator import RequestValidator

from core.config import Settings
from core.storage.conversations import RESEND, history
from core.storage.database import Database
from core.storage.models import Conversation, Ticket, TicketEvent
from core.storage.tickets import REPEATED_RED_FLAG
from tests.support.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.support.inbox import PASSWORD, create_staff, csrf_from, postgres_database
from tests.support.scaled import ScaledSystem, answers, running_scaled
from tests.support.tcp_proxy import TcpProxy
from tests.support.web import integration_headers

pytestmark = [pytest.mark.system, pytest.mark.scaled, pytest.mark.faults]

TOKEN = "scaled-kill-token-" + "z" * 40
PUBLIC_BASE_URL = "https://ir.example.org"
OUR_NUMBER = "+441632960001"
SMS_PATIENT = "+447700900555"
URGENT_SHARE = 10  # one conversation in ten writes red-flag words: before, during the PostgreSQL cut and the Redis cut
OUTAGE_SECONDS = 5.0  # how long PostgreSQL, then Redis, stay unreachable
ATTEMPTS = 6  # sends of one message before the client gives up (the first and up to five "Try again")
SETTLE_TIMEOUT = 180
PROCEDURES = {
    "embolization": "what is embolization?",
    "angiography": "what is an angiography?",
    "gastrostomy": "what is a gastrostomy?",
    "nephrostomy": "what is a nephrostomy?",
    "image_guided_biopsy": "what is an image guided biopsy?",
}
SECOND = "how do I prepare?"
PAIR = ("what are the risks?", "how long does it take?")  # sent by one sender at the same instant
LAST = "when can I drive?"  # after every fault: the procedure must still be known
URGENT = ["I can't breathe", "I can't breathe and my chest hurts", "I'm bleeding heavily from the puncture site"]


@dataclass
class Sent:
    text: str
    replies: list[dict] | None = None  # the answer the client finally got
    client_message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class Chat:
    sender: str
    procedure: str | None  # None: an urgent conversation
    sent: list[Sent] = field(default_factory=list)
    pair: tuple[Sent, Sent] | None = None


class Patients:
    """The client side: sends through HAProxy as a keyed integration naming its senders, sending again what got
    no answer; counts answers so the test can time its faults to land while conversations are going on."""

    def __init__(self, public: str):
        self.public = public
        self.answered = 0
        self._answered_changed = threading.Condition()

    def send(self, conversation: Chat, message: str) -> Sent:
        sent = Sent(message)
        conversation.sent.append(sent)
        self.deliver(conversation.sender, sent)
        return sent

    def deliver(self, sender: str, sent: Sent) -> None:
        while sent.attempts < ATTEMPTS:
            sent.attempts += 1
            try:
                response = requests.post(
                    f"{self.public}/api/chat",
                    json={"sender": sender, "message": sent.text, "client_message_id": sent.client_message_id},
                    headers=integration_headers(),
                    timeout=90,
                )
            except requests.RequestException as exc:
                sent.failures.append(exc.__class__.__name__)
            else:
                if response.status_code == 200:
                    sent.replies = response.json()["messages"]
                    break
                sent.failures.append(str(response.status_code))
            self._wait_public()
        with self._answered_changed:
            self.answered += 1
            self._answered_changed.notify_all()

    def send_pair(self, conversation: Chat, pair: tuple[str, str]) -> None:
        """Both messages at the same instant, each on its own connection."""
        first, second = Sent(pair[0]), Sent(pair[1])
        conversation.pair = (first, second)
        conversation.sent += [first, second]
        together = threading.Barrier(2)

        def one(sent: Sent) -> None:
            together.wait()
            self.deliver(conversation.sender, sent)

        other = threading.Thread(target=one, args=(second,))
        other.start()
        one(first)
        other.join()

    def wait_answered(self, count: int, timeout: float) -> None:
        with self._answered_changed:
            assert self._answered_changed.wait_for(lambda: self.answered >= count, timeout), f"only {self.answered} answers"

    def _wait_public(self) -> None:
        """Before "Try again": until HAProxy's address answers at all (a patient would also wait a moment)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not answers(f"{self.public}/livez"):
            time.sleep(0.5)


@dataclass
class Run:
    """What happened in the one run every test below reads."""

    system: ScaledSystem
    conversations: list[Chat]
    urgent_during: dict[str, list[dict]]  # "postgresql"/"redis" -> the replies to red-flag messages sent meanwhile
    sms_acknowledged: int
    sms_bodies: list[str]
    staff_on_other_gateway: int
    restarted_in: dict[str, float]
    trackers: dict[str, dict[str, list[dict]]]  # Rasa server -> conversation -> events of the tracker it keeps
    rebuilt: dict[str, list[dict]]  # conversation -> events of its latest session in the database
    transcripts: dict[str, list[dict]]  # conversation -> its messages as stored (core/storage/conversations.history)
    database: Database
    timings: dict[str, float]


def sign_sms(body: str) -> tuple[dict, dict]:
    params = {
        "MessageSid": "SM" + "5" * 32,
        "AccountSid": ACCOUNT_SID,
        "To": OUR_NUMBER,
        "From": SMS_PATIENT,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    return params, {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC_BASE_URL}/channels/twilio", params)}


def staff_session_works_on_the_other_gateway(system: ScaledSystem, database: Database) -> int:
    """Sign in on gateway 1; the status of the inbox's ticket list asked of gateway 2 with that cookie."""
    create_staff(database, "kill-secretary")
    browser = requests.Session()
    page = browser.get(f"{system.gateway(1)}/inbox/login", timeout=30)
    signed = browser.post(
        f"{system.gateway(1)}/inbox/login",
        data={"csrf_token": csrf_from(page.text), "username": "kill-secretary", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert signed.status_code == 303, signed.text[:500]
    return browser.get(f"{system.gateway(2)}/inbox/", allow_redirects=False, timeout=30).status_code


def urgent_while(cut: Callable, patients: Patients, conversations: list[Chat], message: str) -> list[dict]:
    """Red-flag messages from the urgent conversations while `cut` holds a server unreachable."""
    with cut():
        started = time.monotonic()
        with ThreadPoolExecutor(len(conversations)) as pool:
            sent = list(pool.map(lambda c: patients.send(c, message), conversations))
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))  # the outage's length, not a wait for an event
    return [s.replies[0] if s.replies else {} for s in sent]


def tracker_events(system: ScaledSystem, server: int, sender_id: str) -> list[dict]:
    """The events of the tracker the Rasa server would continue the conversation from: its /predict retrieves the
    tracker through the tracker store (the kept one when still current) and returns it, without a turn."""
    response = requests.post(f"{system.rasa(server)}/conversations/{sender_id}/predict", headers={"X-Assistant-Token": TOKEN}, timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.json()["tracker"]["events"]


def rebuilt_events(database: Database, sender_id: str) -> list[dict]:
    """What Rasa's SQL store rebuilds a tracker from: the events of the latest session, in id order."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT data FROM events WHERE sender_id = :s AND timestamp >= COALESCE("
                "(SELECT max(timestamp) FROM events WHERE sender_id = :s AND type_name = 'session_started'), 0) ORDER BY id"
            ),
            {"s": sender_id},
        )
        return [json.loads(row.data) for row in rows]


@pytest.fixture(scope="module")
def run(tmp_path_factory, request):
    database_gen = postgres_database()
    database_url = next(database_gen)
    host_port = database_url.split("@", 1)[1].split("/", 1)[0]
    try:
        with (
            TcpProxy("127.0.0.1", int(host_port.split(":")[1])) as postgresql,
            TcpProxy("127.0.0.1", 6379) as redis,
            FakeTwilio() as twilio,
        ):
            through_proxy = database_url.replace(host_port, f"127.0.0.1:{postgresql.port}")
            env = {
                "ASSISTANT_INTERNAL_TOKEN": TOKEN,
                "ASSISTANT_DATABASE_URL": through_proxy,
                "ASSISTANT_RATELIMIT_STORAGE": f"redis://127.0.0.1:{redis.port}/2",
                "REDIS_PORT": str(redis.port),
                # A pair's second message waits for the first turn instead of a 429, whatever the machine's load.
                "ASSISTANT_TURN_WAIT_SECONDS": "60",
                "ASSISTANT_RASA_TIMEOUT": "30",
                # Every patient here comes from one address (this machine's), which real patients do not share.
                "ASSISTANT_RATE_LIMIT_PER_ADDRESS": "100000 per minute",
                "TWILIO_API_BASE": twilio.url,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": OUR_NUMBER,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            }
            with running_scaled(tmp_path_factory.mktemp("scaled-kill"), through_proxy, env, rasa_api=True) as system:
                yield exercise(system, postgresql, redis, twilio, database_url, request.config.getoption("--scaled-conversations"))
    finally:
        next(database_gen, None)


def exercise(system: ScaledSystem, postgresql: TcpProxy, redis: TcpProxy, twilio: FakeTwilio, database_url: str, count: int) -> Run:
    started = time.monotonic()
    timings: dict[str, float] = {"ready_s": system.ready_s}
    tag = f"kill{int(time.time()) % 100000}"
    names = list(PROCEDURES)
    urgent_count = max(2, count // URGENT_SHARE)
    conversations = [Chat(f"{tag}-{i}", None if i < urgent_count else names[i % len(names)]) for i in range(count)]
    ordinary = [c for c in conversations if c.procedure]
    urgent = [c for c in conversations if not c.procedure]
    patients = Patients(system.public)
    database = Database(database_url)

    # Before any fault: every conversation's first message, at once.
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda c: patients.send(c, PROCEDURES[c.procedure] if c.procedure else URGENT[0]), conversations))
    timings["first_turns_s"] = time.monotonic() - started

    def storm(conversation: Chat) -> None:
        patients.send(conversation, SECOND)
        patients.send_pair(conversation, PAIR)

    pids = {program: system.pid(program) for program in ("gateway1", "rasa1", "actions2")}
    sms_params, sms_headers = sign_sms("what is embolization?")
    restarted_in: dict[str, float] = {}
    with ThreadPoolExecutor(len(ordinary)) as pool:
        storming = [pool.submit(storm, c) for c in ordinary]
        patients.wait_answered(count + len(ordinary) // 2, SETTLE_TIMEOUT)  # faults land mid-storm
        # An SMS acknowledged by gateway 1, which is killed at once.
        acknowledged = requests.post(f"{system.gateway(1)}/channels/twilio", data=sms_params, headers=sms_headers, timeout=30)
        system.kill("gateway1", pids["gateway1"])
        system.kill("rasa1", pids["rasa1"])
        system.kill("actions2", pids["actions2"])
        urgent_during = {"postgresql": urgent_while(postgresql.cut, patients, urgent, URGENT[1])}
        urgent_during["redis"] = urgent_while(redis.cut, patients, urgent, URGENT[2])
        for future in storming:
            future.result()
    timings["storm_s"] = time.monotonic() - started - timings["first_turns_s"]
    for program, pid in pids.items():
        restarted_in[program] = system.wait_restarted(program, pid)

    staff = staff_session_works_on_the_other_gateway(system, database)
    # After every fault: the last question, which needs the conversation's procedure.
    with ThreadPoolExecutor(len(ordinary)) as pool:
        list(pool.map(lambda c: patients.send(c, LAST), ordinary))
    deadline = time.monotonic() + 60
    while not twilio.bodies(SMS_PATIENT) and time.monotonic() < deadline:
        time.sleep(0.5)

    # Red-flag messages never reach Rasa: only the ordinary conversations have trackers.
    trackers = {f"rasa{server}": {c.sender: tracker_events(system, server, f"web:{c.sender}") for c in ordinary} for server in (1, 2)}
    rebuilt = {c.sender: rebuilt_events(database, f"web:{c.sender}") for c in ordinary}
    transcripts = {c.sender: history(database, "web", c.sender) for c in conversations}
    timings["total_s"] = time.monotonic() - started
    # Answers to a message sent again during the PostgreSQL cut, stored when the queued writes were replayed.
    resends = sum(bool(m["data"].get(RESEND)) for messages in transcripts.values() for m in messages)
    print(
        f"\nscaled kill run: {timings}, restarts {restarted_in}, proxy resets pg={postgresql.refused} "
        f"redis={redis.refused}, replies stored as a resend's answer: {resends}"
    )
    return Run(
        system,
        conversations,
        urgent_during,
        acknowledged.status_code,
        twilio.bodies(SMS_PATIENT),
        staff,
        restarted_in,
        trackers,
        rebuilt,
        transcripts,
        database,
        timings,
    )


@dataclass
class StoredTurn:
    message: str  # the patient's words
    replies: list[tuple[str, bool, dt.datetime]] = field(default_factory=list)  # (text, marked as a resend's answer, time)

    def answers(self) -> dict[tuple[bool, dt.datetime], list[str]]:
        """The replies by the turn that gave them: one write stores a turn's replies with one time."""
        turns: dict[tuple[bool, dt.datetime], list[str]] = {}
        for words, resend, at in self.replies:
            turns.setdefault((resend, at), []).append(words)
        return turns


def turns_stored(run: Run, conversation: Chat) -> list[StoredTurn]:
    """The conversation as stored: each patient message with the assistant messages that answer it (a reply
    names the client message id it answers; one without follows the message it was stored after). Two messages
    sent at the same instant while the turn lock could not be read are answered side by side and stored as
    both messages, then both replies."""
    turns: list[StoredTurn] = []
    by_id: dict[str, StoredTurn] = {}
    for message in run.transcripts[conversation.sender]:
        reply = (message["text"], bool(message["data"].get(RESEND)), dt.datetime.fromisoformat(message["at"]))
        if message["role"] == "patient":
            turns.append(StoredTurn(message["text"]))
            if message["data"].get("client_message_id"):
                by_id[message["data"]["client_message_id"]] = turns[-1]
        elif message["data"].get("reply_to") in by_id:
            by_id[message["data"]["reply_to"]].replies.append(reply)
        elif turns:
            turns[-1].replies.append(reply)
        else:
            turns.append(StoredTurn("", [reply]))  # an answer stored before any message
    return turns


def sent_order_allowed(conversation: Chat, stored: list[str]) -> bool:
    """The stored patient messages are the sent ones, each once, in order (a pair's two in either order)."""
    expected = [s.text for s in conversation.sent]
    if stored == expected:
        return True
    if conversation.pair:
        a, b = conversation.pair
        i = expected.index(a.text)
        swapped = expected[:i] + [b.text, a.text] + expected[i + 2 :]
        return stored == swapped
    return False


def test_every_message_got_an_answer_on_the_client(run):
    unanswered = [(c.sender, s.text, s.failures) for c in run.conversations for s in c.sent if s.replies is None]
    assert not unanswered, f"{len(unanswered)} messages never answered after {ATTEMPTS} sends: {unanswered[:5]}"


def test_every_message_is_stored_exactly_once_and_in_order(run):
    wrong = {}
    for conversation in run.conversations:
        stored = [turn.message for turn in turns_stored(run, conversation)]
        if not sent_order_allowed(conversation, stored):
            wrong[conversation.sender] = {"sent": [s.text for s in conversation.sent], "stored": stored}
    assert not wrong, f"{len(wrong)} of {len(run.conversations)} conversations stored otherwise: {list(wrong.items())[:3]}"


def test_every_message_is_answered_exactly_once_with_the_answer_the_patient_got(run):
    """One turn's answer per message, and the last reply stored is the one the client got. A message answered
    before a fault and sent again during a database outage is answered anew (the first answer cannot be
    looked up then): that later answer is stored too, marked as a resend's, because the patient read it."""
    wrong = {}
    for conversation in run.conversations:
        got = {s.text: [r["text"] for r in s.replies or []] for s in conversation.sent}
        for turn in turns_stored(run, conversation):
            answers = turn.answers()
            answered = [texts for (resend, _), texts in answers.items() if not resend]
            last = answers[max(answers, key=lambda turn_key: turn_key[1])] if answers else []
            if len(answered) != 1 or last != got.get(turn.message):
                wrong.setdefault(conversation.sender, []).append({"message": turn.message, "stored": answers, "got": got.get(turn.message)})
    assert not wrong, f"{len(wrong)} conversations with a message answered otherwise than once: {list(wrong.items())[:3]}"


def test_the_procedure_is_still_known_after_every_fault(run):
    lost = {}
    for conversation in run.conversations:
        if conversation.procedure is None:
            continue
        first, last = conversation.sent[0].replies or [{}], conversation.sent[-1].replies or [{}]
        assert (first[-1].get("route"), first[-1].get("procedure")) == ("answer", conversation.procedure), (
            f"{conversation.sender}: the first question, before any fault, was not answered: {first}"
        )
        if (last[-1].get("route"), last[-1].get("procedure"), last[-1].get("topic")) != ("answer", conversation.procedure, "driving"):
            lost[conversation.sender] = {k: last[-1].get(k) for k in ("route", "procedure", "topic")}
    assert not lost, f"{len(lost)} conversations lost their procedure: {list(lost.items())[:5]}"


def test_no_answer_is_about_another_procedure_than_the_conversations(run):
    """During the faults too: an answer without the conversation's context would be about whatever text scores
    best, another procedure's."""
    strays = [
        (c.sender, c.procedure, s.text, r.get("procedure"))
        for c in run.conversations
        if c.procedure
        for s in c.sent
        for r in s.replies or []
        if r.get("route") == "answer" and r.get("procedure") != c.procedure
    ]
    assert not strays, f"{len(strays)} answers about another procedure (sender, procedure, message, answered about): {strays[:5]}"


@pytest.mark.parametrize("server", ["rasa1", "rasa2"])
def test_every_rasa_servers_tracker_equals_a_rebuild_from_the_database(run, server):
    differ = [sender for sender, events in run.trackers[server].items() if events != run.rebuilt[sender]]
    assert not differ, f"{server}: {len(differ)} trackers differ from the database, e.g. {differ[:3]}"


def test_each_urgent_conversation_has_exactly_one_urgent_ticket_holding_every_red_flag_message(run):
    with run.database.session() as session:
        rows = session.execute(
            select(Conversation.sender_key, Ticket.id, Ticket.kind).join(Ticket, Ticket.conversation_id == Conversation.id)
        ).all()
        again = (TicketEvent.action == REPEATED_RED_FLAG,)
        repeated = {
            ticket: session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket, *again))
            for _, ticket, _ in rows
        }
    by_sender: dict[str, list[tuple[int, str]]] = {}
    for sender, ticket, kind in rows:
        by_sender.setdefault(sender, []).append((ticket, kind))
    for conversation in run.conversations:
        tickets = by_sender.get(conversation.sender, [])
        if conversation.procedure:
            assert not tickets, f"{conversation.sender} asked ordinary questions and has tickets {tickets}"
            continue
        assert [kind for _, kind in tickets] == ["urgent"], f"{conversation.sender}: tickets {tickets} (lost or duplicated)"
        red_flags = sum(1 for s in conversation.sent if s.text in URGENT)
        assert repeated[tickets[0][0]] == red_flags - 1, f"{conversation.sender}: {red_flags} red-flag messages, ticket holds other"


@pytest.mark.parametrize("outage", ["postgresql", "redis"])
def test_an_urgent_message_gets_the_emergency_number_while_a_server_is_unreachable(run, outage):
    emergency = Settings.from_env().site.emergency_number
    replies = run.urgent_during[outage]
    assert all(r.get("route") == "urgent" and emergency in r.get("text", "") for r in replies), replies


def test_an_sms_acknowledged_before_its_gateway_is_killed_is_still_answered(run):
    assert run.sms_acknowledged == 200
    assert len(run.sms_bodies) == 1, f"answers sent to the SMS patient: {run.sms_bodies}"


def test_a_staff_session_made_on_one_gateway_works_on_the_other(run):
    assert run.staff_on_other_gateway == 200


def test_every_killed_program_came_back(run):
    assert set(run.restarted_in) == {"gateway1", "rasa1", "actions2"}
    assert all(answers(url) for url in run.system.every_probe())
