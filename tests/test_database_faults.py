"""The database down or locked: the patient still gets answers, nothing is lost, /healthz says what is wrong."""

from __future__ import annotations

import sqlite3

import pytest

from core.storage.conversations import history
from core.storage.database import Database
from tests.support.web import RASA_ANSWER
from tests.support.web import post_chat as post

UNREACHABLE = "postgresql://postgres@127.0.0.1:9/nowhere"


@pytest.fixture
def broken_database(app):
    """Point the gateway at a database that refuses connections; give back the working one."""
    working = app.extensions["db"]
    broken = Database(UNREACHABLE)
    app.extensions["db"] = app.extensions["turns"].db = broken
    yield working
    app.extensions["db"] = app.extensions["turns"].db = working


def test_with_the_database_down_the_patient_is_answered_and_health_says_why(client, fake_rasa, broken_database, app):
    fake_rasa.reply = RASA_ANSWER
    response = post(client, {"sender": "p1", "message": "what is embolization?"})
    assert response.status_code == 200
    assert response.json["messages"][0]["route"] == "answer"
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["checks"]["database"].startswith("unreachable")
    assert "Traceback" not in health.get_data(as_text=True)
    assert app.extensions["spool"].backlog() == 2  # the patient's message, then the reply


def test_spooled_messages_and_urgent_tickets_reach_the_database_when_it_is_back(client, fake_rasa, broken_database, app):
    from sqlalchemy import select

    from core.storage.models import Ticket

    fake_rasa.reply = RASA_ANSWER
    post(client, {"sender": "p2", "message": "what is embolization?"})
    post(client, {"sender": "p2", "message": "my leg is cold and blue and numb"})
    assert app.extensions["spool"].backlog() == 5  # 2 x (message, reply) and the urgent ticket

    app.extensions["db"] = app.extensions["turns"].db = broken_database
    post(client, {"sender": "p2", "message": "thanks"})

    assert app.extensions["spool"].backlog() == 0
    texts = [m["text"] for m in history(broken_database, "web", "p2") if m["role"] == "patient"]
    assert texts == ["what is embolization?", "my leg is cold and blue and numb", "thanks"]
    with broken_database.session() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert ticket.kind == "urgent" and "cold and blue" in ticket.summary
    assert client.get("/healthz").json["checks"]["database"] == "ok"


def test_a_locked_sqlite_database_does_not_lose_the_message(client, fake_rasa, app, database_url):
    fake_rasa.reply = RASA_ANSWER
    locker = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    locker.execute("BEGIN EXCLUSIVE")
    try:
        response = post(client, {"sender": "p3", "message": "how long does it take?"})
        assert response.status_code == 200 and response.json["messages"]
        assert app.extensions["spool"].backlog() == 2
    finally:
        locker.rollback()
        locker.close()
    post(client, {"sender": "p3", "message": "thanks"})
    patient = [m["text"] for m in history(app.extensions["db"], "web", "p3") if m["role"] == "patient"]
    assert patient == ["how long does it take?", "thanks"]
