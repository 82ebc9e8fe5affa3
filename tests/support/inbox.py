"""Helpers for the inbox tests: staff accounts, signing in, tickets, and the PostgreSQL database of a run.

The fixtures built on these live in tests/conftest.py: `storage_url` runs a storage test twice, on a fresh
migrated SQLite file and on a PostgreSQL database created for this test run (CREATE DATABASE ir_test_<random>
on 127.0.0.1:5432, migrated with Alembic, emptied between tests, dropped at the end). When no PostgreSQL
server answers, the PostgreSQL half is skipped and the reason is printed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import secrets

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import update

from core.config import Settings
from core.storage.conversations import add_messages
from core.storage.database import Database
from core.storage.migrate import upgrade
from core.storage.models import Base, Conversation, StaffUser, Ticket
from core.storage.tickets import create_ticket
from tests.support.templates import sharing_templates

PASSWORD = "correct horse battery staple"
POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
_addresses = itertools.count(1)


def postgres_database(migrate: bool = True):
    """Yield the URL of a new PostgreSQL database (migrated unless `migrate` is false) and drop it afterwards; skip
    when no server answers."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL run SKIPPED: no server answered on 127.0.0.1:5432 ({str(exc).strip().splitlines()[0]})")
    name = f"ir_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def empty_postgres(url: str) -> None:
    """Every table of the assistant's schema emptied and its ids counting from 1 again, as in a new database (other
    tables in the database, such as Rasa's that some tests make, are left alone). DELETE, not TRUNCATE: on tables of
    a few rows TRUNCATE costs several times more (it replaces each table's files)."""
    import psycopg

    tables = [table.name for table in Base.metadata.sorted_tables]
    # The sequences the tables' serial or identity columns own.
    owned = (
        "SELECT s.oid::regclass FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
        " JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND t.relname = ANY(%s)"
    )
    with psycopg.connect(url, autocommit=False) as connection:
        for table in reversed(tables):
            connection.execute(f'DELETE FROM "{table}"')
        connection.execute(f"SELECT setval(sequence, 1, false) FROM ({owned}) AS found(sequence)", (tables,))


# Real argon2id, at its cheapest: sign-in runs hundreds of times in the tests (the default costs ~0.3 s a hash).
CHEAP_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


def make_app(
    database_url: str,
    var_dir,
    monkeypatch,
    *,
    rasa_url: str = "http://127.0.0.1:9",
    insecure_cookies: bool = True,
    production_hashing: bool = False,
):
    from assistant.gateway import create_app

    monkeypatch.setenv("ASSISTANT_DATABASE_URL", database_url)
    monkeypatch.setenv("RASA_URL", rasa_url)
    monkeypatch.setenv("ASSISTANT_RASA_TIMEOUT", "2")
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(var_dir))
    # `make test` exports the real var/rasa_tracker.db; the retention commands must never reach it from a test.
    monkeypatch.setenv("TRACKER_DIALECT", "sqlite")
    monkeypatch.setenv("TRACKER_DB", str(var_dir / "rasa_tracker.db"))
    monkeypatch.delenv("ASSISTANT_SECRET_KEY", raising=False)
    if insecure_cookies:
        monkeypatch.setenv("ASSISTANT_INSECURE_COOKIES", "1")
    else:
        monkeypatch.delenv("ASSISTANT_INSECURE_COOKIES", raising=False)
    return sharing_templates(
        create_app(Settings.from_env(), {"TESTING": True, "INBOX_PASSWORD_HASHER": None if production_hashing else CHEAP_HASHER})
    )


def client_for(app, base_url: str = "http://localhost"):
    """A test client from its own address, so the per-address sign-in limit of one test does not reach another."""
    client = app.test_client()
    number = next(_addresses)
    client.environ_base["REMOTE_ADDR"] = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
    client.environ_base["wsgi.url_scheme"] = base_url.split(":")[0]
    return client


def create_staff(
    db: Database, username: str, role: str = "secretariat", *, display_name: str = "", password: str = PASSWORD, active: bool = True
) -> int:
    with db.session() as session:
        user = StaffUser(
            username=username,
            display_name=display_name or username.capitalize(),
            role=role,
            password_hash=CHEAP_HASHER.hash(password),
            active=active,
        )
        session.add(user)
        session.flush()
        return user.id


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def page_token(client, path: str = "/inbox/login") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return csrf_from(response.get_data(as_text=True))


def login(client, username: str, password: str = PASSWORD):
    token = page_token(client, "/inbox/login")
    return client.post("/inbox/login", data={"csrf_token": token, "username": username, "password": password})


def signed_in(app, username: str, role: str = "secretariat", **staff) -> tuple:
    """A client signed in as a new staff member; returns (client, staff id)."""
    staff_id = create_staff(app.extensions["db"], username, role, **staff)
    client = client_for(app)
    response = login(client, username)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client, staff_id


def post_form(client, path: str, data: dict | None = None, *, token_from: str | None = None):
    """Submit a form the way the browser does: with the CSRF token of the page it came from."""
    token = page_token(client, token_from or path.rsplit("/", 1)[0])
    return client.post(path, data={"csrf_token": token, **(data or {})})


def raise_ticket(
    db: Database,
    sender: str,
    kind: str,
    summary: str = "",
    *,
    channel: str = "web",
    age: dt.timedelta | None = None,
    contact: dict | None = None,
    route: str | None = None,
) -> int:
    """A ticket as the assistant raises it; `age` backdates it."""
    created = create_ticket(
        db,
        channel,
        sender,
        kind,
        summary or f"{kind} request from {sender}",
        contact=contact,
        route=route or {"urgent": "urgent", "clinical": "escalate_symptom", "booking": "escalate_booking"}.get(kind, "escalate_admin"),
    )
    if age is not None:
        moment = dt.datetime.now(dt.UTC) - age
        with db.session() as session:
            session.execute(update(Ticket).where(Ticket.id == created.id).values(created_at=moment, updated_at=moment))
    return created.id


def conversation_of(db: Database, ticket_id: int) -> Conversation:
    with db.session() as session:
        return session.get(Ticket, ticket_id).conversation


FIRST_NAMES = ["Maria", "John", "Priya", "Ahmed", "Chloé", "Luis", "Grace", "Tomasz", "Aisha", "Pierre"]
LAST_NAMES = ["Lopez", "Carter", "Shah", "Haddad", "Martin", "García", "Okafor", "Nowak", "Khan", "Dubois", "Evans", "Rossi", "Silva"]
QUESTIONS = [
    ("booking", "Can I move my appointment to next week?"),
    ("administrative", "Where can I park when I come for the procedure?"),
    ("clinical", "My wound is a little red, is that normal?"),
    ("booking", "I have to cancel the angiogram on Friday"),
    ("administrative", "I need a sick note for my employer"),
]


def a_busy_queue(db, count: int = 150) -> dict[str, list[int]]:
    """`count` tickets from as many patients, a few of them French or Spanish; returns the ids by who wrote them."""
    by_name: dict[str, list[int]] = {}
    for number in range(count):
        name = f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {LAST_NAMES[number % len(LAST_NAMES)]}"
        kind, question = QUESTIONS[number % len(QUESTIONS)]
        sender = f"w-{number:04d}"
        add_messages(db, "web", sender, [("patient", question, {})], language="fr" if number % 17 == 0 else None)
        ticket = raise_ticket(
            db,
            sender,
            kind,
            question,
            contact={"name": name, "method": f"+4477009{number:05d}", "consent": True},
            age=dt.timedelta(minutes=10 * number + 5),
        )
        by_name.setdefault(name, []).append(ticket)
    return by_name
