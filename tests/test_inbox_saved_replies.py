"""Saved replies: editors add, change and delete them (CSRF, audited, validated); everyone who works tickets reads
them, the conversation's language first, as text."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assistant.inbox.saved_replies import EDITOR_ROLES, Choice, in_reply_order
from core.storage.models import AuditEntry, SavedReply
from tests.support.inbox import post_form, raise_ticket, signed_in


def saved(db) -> list[tuple[str, str, str]]:
    with db.session() as session:
        return [(r.language, r.shortcut, r.body) for r in session.scalars(select(SavedReply).order_by(SavedReply.id))]


def audited(db, prefix: str) -> list[tuple[str, str]]:
    with db.session() as session:
        return [(a.action, a.detail) for a in session.scalars(select(AuditEntry).where(AuditEntry.action.startswith(prefix)))]


def add(client, language: str, shortcut: str, body: str):
    return post_form(
        client, "/inbox/saved-replies", {"language": language, "shortcut": shortcut, "body": body}, token_from="/inbox/saved-replies"
    )


def test_the_conversations_language_comes_first_then_the_others_by_language_and_shortcut():
    replies = [
        Choice(1, "parking", "en", "."),
        Choice(2, "parking", "fr", "."),
        Choice(3, "fasting", "fr", "."),
        Choice(4, "costs", "de", "."),
    ]
    assert [r.id for r in in_reply_order(replies, "fr")] == [3, 2, 4, 1]
    assert [r.id for r in in_reply_order(replies, None)] == [4, 1, 3, 2]


def test_an_admin_adds_changes_and_deletes_a_saved_reply_and_each_step_is_audited_without_the_text(inbox_app):
    db = inbox_app.extensions["db"]
    client, _ = signed_in(inbox_app, "root", "admin")

    response = add(client, "fr", " Parking ", "Le parking P2 est gratuit pour les patients.")
    assert response.status_code == 303
    assert saved(db) == [("fr", "parking", "Le parking P2 est gratuit pour les patients.")]
    page = client.get("/inbox/saved-replies").get_data(as_text=True)
    assert "/parking" in page and "Le parking P2" in page
    with db.session() as session:
        reply_id = session.scalar(select(SavedReply.id))

    response = post_form(
        client,
        f"/inbox/saved-replies/{reply_id}",
        {"language": "fr", "shortcut": "parking-p2", "body": "Parking P2, gratuit."},
        token_from=f"/inbox/saved-replies?edit={reply_id}",
    )
    assert response.status_code == 303
    assert saved(db) == [("fr", "parking-p2", "Parking P2, gratuit.")]

    response = post_form(client, f"/inbox/saved-replies/{reply_id}/delete", token_from="/inbox/saved-replies")
    assert response.status_code == 303
    assert saved(db) == []
    assert audited(db, "saved_reply") == [
        ("saved_reply_create", "/parking (fr)"),
        ("saved_reply_update", "/parking-p2 (fr)"),
        ("saved_reply_delete", "/parking-p2 (fr)"),
    ]


@pytest.mark.parametrize(
    ("language", "shortcut", "body", "message"),
    [
        ("en", "two words", "text", "lower-case letters and digits"),
        ("en", "x" * 41, "text", "at most 40 characters"),
        ("en", "ok", "", "Write the text"),
        ("en", "ok", "y" * 2001, "at most 2000 characters"),
        ("xx", "ok", "text", "Not a valid choice"),
    ],
)
def test_a_saved_reply_with_a_bad_shortcut_language_or_text_is_refused(inbox_app, language, shortcut, body, message):
    client, _ = signed_in(inbox_app, "root", "admin")
    response = add(client, language, shortcut, body)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert saved(inbox_app.extensions["db"]) == []


def test_a_shortcut_is_unique_per_language_only(inbox_app):
    db = inbox_app.extensions["db"]
    client, _ = signed_in(inbox_app, "root", "admin")
    assert add(client, "en", "parking", "Car park P2 is free.").status_code == 303
    assert add(client, "fr", "parking", "Le parking P2 est gratuit.").status_code == 303
    again = add(client, "en", "parking", "Another text")
    assert again.status_code == 409
    assert "/parking already exists in EN English" in again.get_data(as_text=True)
    assert [row[:2] for row in saved(db)] == [("en", "parking"), ("fr", "parking")]


def test_a_saved_reply_form_without_its_csrf_token_changes_nothing(inbox_app):
    client, _ = signed_in(inbox_app, "root", "admin")
    response = client.post("/inbox/saved-replies", data={"language": "en", "shortcut": "x", "body": "y"})
    assert response.status_code == 400
    assert saved(inbox_app.extensions["db"]) == []


@pytest.mark.parametrize("role", ["secretariat", "clinician"])
def test_only_editors_change_saved_replies_but_everyone_working_tickets_reads_them(inbox_app, role):
    assert role not in EDITOR_ROLES
    admin, _ = signed_in(inbox_app, "root", "admin")
    add(admin, "en", "parking", "Car park P2 is free.")
    client, _ = signed_in(inbox_app, f"user-{role}", role)

    assert client.get("/inbox/saved-replies").status_code == 403
    ticket = raise_ticket(inbox_app.extensions["db"], "p1", "booking")
    token_page = f"/inbox/tickets/{ticket}"
    assert (
        post_form(client, "/inbox/saved-replies", {"language": "en", "shortcut": "x", "body": "y"}, token_from=token_page).status_code
        == 403
    )
    assert "Saved replies" not in client.get("/inbox/").get_data(as_text=True)
    assert [r["shortcut"] for r in client.get("/inbox/api/saved-replies?language=en").get_json()["replies"]] == ["parking"]


def test_the_reply_box_gets_every_saved_reply_with_the_patients_language_first(inbox_app):
    client, _ = signed_in(inbox_app, "root", "admin")
    add(client, "en", "parking", "Car park P2 is free for patients.")
    add(client, "fr", "parking", "Le parking P2 est gratuit <b>pour</b> les patients.")
    add(client, "es", "ayuno", "No coma nada seis horas antes.")

    replies = client.get("/inbox/api/saved-replies?language=fr").get_json()["replies"]
    assert [(r["language"], r["shortcut"]) for r in replies] == [("fr", "parking"), ("en", "parking"), ("es", "ayuno")]
    assert replies[0]["body"] == "Le parking P2 est gratuit <b>pour</b> les patients."  # as written; the page inserts it as text
    assert replies[0]["language_label"] == "FR Français"
    assert client.get("/inbox/api/saved-replies?language=zz").status_code == 400


def test_the_ticket_page_points_the_reply_box_at_the_saved_replies_in_the_conversations_language(inbox_app):
    from core.storage.conversations import add_messages

    db = inbox_app.extensions["db"]
    add_messages(db, "web", "jean", [("patient", "Puis-je conduire ?", {})], language="fr")
    ticket = raise_ticket(db, "jean", "clinical")
    client, _ = signed_in(inbox_app, "anna")
    html = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)
    assert 'data-saved-replies-url="/inbox/api/saved-replies?language=fr"' in html
    assert 'aria-controls="saved-reply-list"' in html
