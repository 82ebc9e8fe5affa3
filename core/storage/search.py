"""Searching tickets: by reference, contact details (name, phone, e-mail, ...), summary and the words of their
conversation, with one interface over SQLite's FTS5 and PostgreSQL's full-text search (the indexes: migration 0007).

A query is cut into words (letters and digits; case and Latin accents do not matter, as in the indexes); each word
matches the start of a word ("lop" finds "Lopez", "4477009" finds "+447700900123"), and a ticket matches when every
word is found in it: in its reference, contact details (name, phone or e-mail, about, preferred times) or summary,
or in any message of its conversation.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, text
from sqlalchemy.engine import Dialect

from core.storage.models import Ticket

MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+")


def words(query: str) -> list[str]:
    """The query's words, folded as the indexes fold them: lower case, Latin accents removed."""
    decomposed = unicodedata.normalize("NFKD", query.lower())
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return list(dict.fromkeys(_WORD.findall(plain)))[:MAX_WORDS]


def _sqlite(index: int, word: str) -> tuple:
    name = f"search_word_{index}"
    tickets = text(f"SELECT rowid FROM ticket_search WHERE ticket_search MATCH :{name}")
    conversations = text(
        "SELECT messages.conversation_id FROM message_search JOIN messages ON messages.id = message_search.rowid "
        f"WHERE message_search MATCH :{name}"
    )
    value = '"' + word + '"*'  # a word of letters and digits, quoted: never FTS5 syntax
    return tickets.bindparams(bindparam(name, value)), conversations.bindparams(bindparam(name, value))


def _postgresql(index: int, word: str) -> tuple:
    name = f"search_word_{index}"
    query = f"to_tsquery('simple', :{name})"
    tickets = text(f"SELECT id FROM tickets WHERE to_tsvector('simple', ir_ticket_search_text(reference, summary, contact)) @@ {query}")
    conversations = text(f"SELECT conversation_id FROM messages WHERE to_tsvector('simple', ir_search_text(text)) @@ {query}")
    value = word + ":*"  # letters and digits only: never tsquery syntax
    return tickets.bindparams(bindparam(name, value)), conversations.bindparams(bindparam(name, value))


_DIALECTS = {"sqlite": _sqlite, "postgresql": _postgresql}


def matching(query: str, dialect: Dialect) -> ColumnElement[bool]:
    """A condition on Ticket: the tickets the query finds. A query without a letter or digit finds none."""
    found = words(query)
    if not found:
        return false()
    if dialect.name not in _DIALECTS:
        raise NotImplementedError(f"ticket search supports SQLite and PostgreSQL, not {dialect.name}")
    conditions = []
    for index, word in enumerate(found):
        tickets, conversations = _DIALECTS[dialect.name](index, word)
        conditions.append(or_(Ticket.id.in_(tickets), Ticket.conversation_id.in_(conversations)))
    return and_(*conditions)


def drop_deleted_words(connection) -> None:
    """On SQLite, merge the search indexes' segments, so the words of deleted messages and tickets are gone from
    them too and not only marked deleted (after a patient's data is deleted). PostgreSQL's indexes need nothing."""
    if connection.dialect.name == "sqlite":
        for table in ("message_search", "ticket_search"):
            connection.exec_driver_sql(f"INSERT INTO {table}({table}) VALUES ('optimize')")
