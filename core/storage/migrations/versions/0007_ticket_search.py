"""ticket search: full-text indexes over a ticket's reference, contact details and summary, and over message text

SQLite: two FTS5 tables with external content (they index, they keep no copy of the text): `message_search` over
messages.text and `ticket_search` over a view of each ticket's reference, summary and contact details (the
values of CONTACT_KEYS). Triggers keep both in step with every insert, update and delete, the cascades of a deleted
conversation included. A later migration that rebuilds `messages` or `tickets` in batch mode (a table copy) drops
these triggers with the old table and must create them again (TRIGGERS below).

PostgreSQL: GIN indexes on to_tsvector('simple', ...) of the same text, through two immutable functions that
fold case and the accents of Latin letters and split on anything but letters and digits, as SQLite's
`unicode61 remove_diacritics 2` tokenizer does; core/storage/search.py queries both the same way.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 07:00:00
"""

import unicodedata

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TOKENIZER = "unicode61 remove_diacritics 2"
# The contact details searched: what the contact form asks (actions/contact_form.py) and what older tickets hold.
CONTACT_KEYS = ("name", "method", "phone", "email", "about", "preferred_times")
# (json_each would list every value, but FTS5 cannot read a view that uses it: "SQL logic error" on rebuild.)
CONTACT_TEXT = " || ' ' || ".join(f"coalesce(json_extract({{row}}.contact, '$.{key}'), '')" for key in CONTACT_KEYS)

SQLITE_TABLES = [
    f"CREATE VIRTUAL TABLE message_search USING fts5(text, content='messages', content_rowid='id', tokenize='{TOKENIZER}')",
    f"CREATE VIEW ticket_search_source AS SELECT id, reference, summary, ({CONTACT_TEXT.format(row='tickets')}) AS contact FROM tickets",
    "CREATE VIRTUAL TABLE ticket_search USING fts5(reference, summary, contact, "
    f"content='ticket_search_source', content_rowid='id', tokenize='{TOKENIZER}')",
]


def _ticket_row(row: str) -> str:
    return f"{row}.id, {row}.reference, {row}.summary, ({CONTACT_TEXT.format(row=row)})"


TRIGGERS = [
    """CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
         INSERT INTO message_search(rowid, text) VALUES (new.id, new.text);
       END""",
    """CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
         INSERT INTO message_search(message_search, rowid, text) VALUES ('delete', old.id, old.text);
       END""",
    """CREATE TRIGGER message_search_update AFTER UPDATE OF text ON messages BEGIN
         INSERT INTO message_search(message_search, rowid, text) VALUES ('delete', old.id, old.text);
         INSERT INTO message_search(rowid, text) VALUES (new.id, new.text);
       END""",
    f"""CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
         INSERT INTO ticket_search(rowid, reference, summary, contact) VALUES ({_ticket_row("new")});
       END""",
    f"""CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
         INSERT INTO ticket_search(ticket_search, rowid, reference, summary, contact) VALUES ('delete', {_ticket_row("old")});
       END""",
    f"""CREATE TRIGGER ticket_search_update AFTER UPDATE OF reference, summary, contact ON tickets BEGIN
         INSERT INTO ticket_search(ticket_search, rowid, reference, summary, contact) VALUES ('delete', {_ticket_row("old")});
         INSERT INTO ticket_search(rowid, reference, summary, contact) VALUES ({_ticket_row("new")});
       END""",
]

# Latin letters with accents and their plain forms (French, Spanish, Portuguese, Italian, German, Dutch, Turkish):
# those Unicode decomposes into a plain letter and marks, which SQLite's tokenizer folds too.
ACCENTED = "àáâãäåāăąçćčďèéêëēėęěğìíîïīįñńňòóôõöōőŕřśšşťùúûüūůűųýÿźżž"
PLAIN = "".join(unicodedata.normalize("NFKD", letter)[0] for letter in ACCENTED)

SEARCH_TEXT = f"regexp_replace(translate(lower(coalesce({{value}}, '')), '{ACCENTED}', '{PLAIN}'), '[^[:alnum:]]+', ' ', 'g')"
CONTACT_VALUES = ", ".join(f"contact ->> '{key}'" for key in CONTACT_KEYS)
TICKET_TEXT = SEARCH_TEXT.format(value=f"concat_ws(' ', reference, summary, {CONTACT_VALUES})")
POSTGRES = [
    "CREATE FUNCTION ir_search_text(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    f"RETURN {SEARCH_TEXT.format(value='value')}",
    "CREATE FUNCTION ir_ticket_search_text(reference text, summary text, contact json) RETURNS text "
    f"LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN {TICKET_TEXT}",
    "CREATE INDEX ix_messages_search ON messages USING gin (to_tsvector('simple', ir_search_text(text)))",
    "CREATE INDEX ix_tickets_search ON tickets USING gin (to_tsvector('simple', ir_ticket_search_text(reference, summary, contact)))",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TABLES + TRIGGERS:
            op.execute(statement)
        op.execute("INSERT INTO message_search(message_search) VALUES ('rebuild')")
        op.execute("INSERT INTO ticket_search(ticket_search) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        for statement in POSTGRES:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("message_search_insert", "message_search_delete", "message_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name in ("ticket_search_insert", "ticket_search_delete", "ticket_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS ticket_search")
        op.execute("DROP VIEW IF EXISTS ticket_search_source")
        op.execute("DROP TABLE IF EXISTS message_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tickets_search")
        op.execute("DROP INDEX IF EXISTS ix_messages_search")
        op.execute("DROP FUNCTION IF EXISTS ir_ticket_search_text(text, text, json)")
        op.execute("DROP FUNCTION IF EXISTS ir_search_text(text)")
