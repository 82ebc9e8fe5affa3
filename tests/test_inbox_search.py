"""Searching the queue: by reference, contact details and the words of the conversation, the same on SQLite (FTS5)
and PostgreSQL (full-text search); combined with the filters, counted like the queue, audited without the words,
and following every change to the tickets and messages, deletions included."""

from __future__ import annotations

import re
import shutil

from sqlalchemy import select, update

from assistant.inbox.retention import TrackerStore, forget
from core.storage import search
from core.storage.conversations import add_messages
from core.storage.database import Database
from core.storage.migrate import upgrade
from core.storage.models import AuditEntry, Ticket
from core.storage.tickets import create_ticket
from tests.support.inbox import raise_ticket, signed_in


def found(client, query: str, **filters) -> set[int]:
    response = client.get("/inbox/", query_string={"q": query, "status": "all", **filters})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return {int(i) for i in re.findall(r'data-ticket-id="(\d+)"', response.get_data(as_text=True))}


def reference_of(db, ticket_id: int) -> str:
    with db.session() as session:
        return session.get(Ticket, ticket_id).reference


def three_patients(db) -> dict[str, int]:
    add_messages(db, "web", "maria", [("patient", "Can I move my embolización appointment on Tuesday?", {})], language="es")
    add_messages(db, "sms", "+447700900123", [("patient", "I need a copy of the invoice for my insurance", {})])
    add_messages(db, "web", "jean", [("patient", "Puis-je conduire après la biopsie ?", {})], language="fr")
    return {
        "maria": raise_ticket(
            db,
            "maria",
            "booking",
            "Move the appointment to later in the week",
            contact={"name": "María López", "method": "maria.lopez@example.org", "preferred_times": "afternoons", "consent": True},
        ),
        "priya": raise_ticket(
            db, "+447700900123", "administrative", "Invoice", channel="sms", contact={"name": "Priya Shah", "method": "+447700900123"}
        ),
        "jean": raise_ticket(db, "jean", "clinical", "Conduite après biopsie", contact={"name": "Jean Dupont", "consent": True}),
    }


def test_search_finds_tickets_by_reference_contact_details_and_the_words_of_the_conversation(inbox_app):
    db = inbox_app.extensions["db"]
    t = three_patients(db)
    client, _ = signed_in(inbox_app, "anna")

    assert found(client, reference_of(db, t["priya"])) == {t["priya"]}  # "IR-XXXXXX", as staff read it out
    assert found(client, reference_of(db, t["priya"]).removeprefix("IR-").lower()) == {t["priya"]}
    assert found(client, "Lopez") == found(client, "lópez") == found(client, "LOP") == {t["maria"]}  # accents, case, start of a word
    assert found(client, "maria.lopez@example.org") == {t["maria"]}
    assert found(client, "07700 900123") == set()  # words must start as stored: the number is +447700900123
    assert found(client, "447700900") == {t["priya"]}
    assert found(client, "afternoons") == {t["maria"]}
    assert found(client, "invoice insurance") == {t["priya"]}  # every word, here both from the message
    assert found(client, "embolizacion tuesday") == {t["maria"]}  # the conversation's words, accents folded
    assert found(client, "dupont biopsie") == {t["jean"]}  # one word from the contact, one from the conversation
    assert found(client, "dupont invoice") == set()  # both words must be in the same ticket
    assert found(client, "nothing like this") == set()
    assert found(client, "***") == set()  # no word: nothing, not everything
    assert found(client, "consent") == set() and found(client, "true") == set()  # field names and flags are not text


def test_search_combines_with_the_filters_counts_like_the_queue_and_finds_resolved_tickets(inbox_app):
    db = inbox_app.extensions["db"]
    client, _ = signed_in(inbox_app, "anna")
    add_messages(db, "web", "a", [("patient", "Question about parking at the hospital", {})])
    add_messages(db, "sms", "b", [("patient", "Parking for my husband's car", {})])
    add_messages(db, "web", "c", [("patient", "Parking permit please", {})])
    web = raise_ticket(db, "a", "administrative")
    sms = raise_ticket(db, "b", "administrative", channel="sms")
    done = raise_ticket(db, "c", "booking")
    with db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == done).values(status="resolved"))

    assert found(client, "parking") == {web, sms, done}
    assert found(client, "parking", channel="sms") == {sms}
    assert found(client, "parking", status="active") == {web, sms}
    html = client.get("/inbox/", query_string={"q": "parking", "status": "all"}).get_data(as_text=True)
    counts = {kind: int(n) for kind, n in re.findall(r'id="count-([a-z]+)">(\d+)<', html)}
    assert counts == {"all": 3, "urgent": 0, "clinical": 0, "booking": 1, "administrative": 2}
    assert "3 tickets found for “parking” (any status)." in html
    # The type links, the filter form and the poll keep the search.
    assert 'href="/inbox/?status=all&amp;kind=booking&amp;q=parking"' in html
    assert '<input type="hidden" name="q" value="parking">' in html
    assert 'data-counts="status=all&amp;q=parking"' in html
    assert client.get("/inbox/api/urgent?after=0&counts=1&status=all&q=parking").json["counts"]["administrative"] == 2
    assert 'data-live-urgent="false"' in html  # a new urgent ticket may not match: it is announced, not listed


def test_a_search_is_audited_without_its_words_and_what_was_typed_is_shown_as_text(inbox_app):
    db = inbox_app.extensions["db"]
    three_patients(db)
    client, me = signed_in(inbox_app, "anna")

    html = client.get("/inbox/", query_string={"q": 'López "><script>alert(1)</script>', "status": "all"}).get_data(as_text=True)

    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    with db.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "search")).all()
    assert (entry.staff_id, entry.detail) == (me, "4 word(s), 0 ticket(s) found")
    client.get("/inbox/?q=lopez&status=all")
    with db.session() as session:
        details = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "search").order_by(AuditEntry.id)).all()
    assert details[-1] == "1 word(s), 1 ticket(s) found" and "lopez" not in " ".join(details).lower()
    assert client.get("/inbox/", query_string={"q": "x" * 201}).status_code == 400


def test_the_search_follows_new_messages_changed_contact_details_and_deletions(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    t = three_patients(db)
    client, _ = signed_in(inbox_app, "anna")
    assert found(client, "thursday") == set()

    add_messages(db, "web", "maria", [("patient", "Thursday morning would suit me", {})])
    assert found(client, "thursday") == {t["maria"]}
    with db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == t["jean"]).values(contact={"name": "Jean Martin"}))
    assert found(client, "dupont") == set() and found(client, "martin") == {t["jean"]}

    forget(db, "web", "maria", TrackerStore("sqlite", str(tmp_path / "none.db")))
    for word in ("lopez", "thursday", "embolizacion", "afternoons"):  # every word of the deleted patient
        assert found(client, word) == set(), word
    assert found(client, "insurance") == {t["priya"]}


def test_an_urgent_ticket_kept_after_the_patients_delete_is_no_longer_found_by_their_details(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    add_messages(db, "web", "p1", [("patient", "I am bleeding a lot from the groin", {"red_flag": "bleeding"})])
    kept = create_ticket(db, "web", "p1", "urgent", "bleeding a lot", contact={"name": "Sam Jones"}).id
    client, _ = signed_in(inbox_app, "anna")
    assert found(client, "sam jones") == {kept}

    forget(db, "web", "p1", TrackerStore("sqlite", str(tmp_path / "none.db")), keep_open_urgent=True)

    assert found(client, "sam") == set() and found(client, "groin") == set()
    assert found(client, "bleeding") == {kept}  # the emergency's summary stays for staff


def test_tickets_raised_before_the_search_existed_are_found(tmp_path):
    """Migration 0007 indexes what is already there."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0006")
    db = Database(url)
    add_messages(db, "web", "old", [("patient", "An older question about angioplasty", {})])
    old = raise_ticket(db, "old", "booking", contact={"name": "Ada Lovelace"})
    upgrade(url, "head")
    with db.session() as session:
        assert session.scalars(select(Ticket.id).where(search.matching("angioplasty ada", session.get_bind().dialect))).all() == [old]
    db.engine.dispose()


def test_on_sqlite_a_deleted_patients_words_leave_the_search_index_itself(tmp_path, migrated_sqlite_template):
    path = tmp_path / "inbox.db"
    shutil.copy(migrated_sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    add_messages(db, "web", "p1", [("patient", "zanzibar quokka", {})])
    raise_ticket(db, "p1", "booking", contact={"name": "Xenophon"})
    forget(db, "web", "p1", TrackerStore("sqlite", str(tmp_path / "none.db")))
    with db.engine.begin() as connection:
        for table in ("message_search", "ticket_search"):
            connection.exec_driver_sql(f"CREATE VIRTUAL TABLE temp.{table}_words USING fts5vocab(main, {table}, 'row')")
            words = {row[0] for row in connection.exec_driver_sql(f"SELECT term FROM temp.{table}_words")}
            assert not words & {"zanzibar", "quokka", "xenophon"}, table
    assert path.read_bytes().count(b"quokka") == 0
    db.engine.dispose()


def test_words_are_folded_as_the_indexes_fold_them():
    assert search.words("María LÓPEZ, +44 7700-900123 / IR-AB12CD") == ["maria", "lopez", "44", "7700", "900123", "ir", "ab12cd"]
    assert search.words('"quoted" OR NEAR(a b) * ^') == ["quoted", "or", "near", "a", "b"]  # never FTS5 or tsquery syntax
    assert len(search.words(" ".join(f"w{i}" for i in range(20)))) == search.MAX_WORDS
