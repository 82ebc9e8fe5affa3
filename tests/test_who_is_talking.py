"""Who is talking (issue #22, item 4): while staff hold a conversation the widget's history names them as the
department chose (site.yml `staff_shown_as`: first name or role), never by full name or user name; the hand-back
is marked; the inbox transcript shows a patient's button press as the button's title, never its payload."""

from __future__ import annotations

import pytest

from assistant.inbox import operations
from core.config import ROOT
from core.site import load_site
from core.storage.conversations import add_messages
from tests.support.inbox import client_for, create_staff, make_app, raise_ticket, signed_in
from tests.support.web import web_headers

SITE_YML = (ROOT / "site.yml").read_text(encoding="utf-8")


def test_the_shipped_site_shows_staff_by_first_name_and_the_setting_is_checked(tmp_path):
    site = load_site(ROOT / "site.yml")
    assert site.staff_shown_as == "first_name"
    assert site.staff_shown("Anna Smith", "secretariat") == {"name": "Anna"}
    assert site.staff_shown("", "clinician") == {"role": "clinician"}  # no display name: never the user name
    by_role = tmp_path / "site.yml"
    by_role.write_text(SITE_YML.replace("staff_shown_as: first_name", "staff_shown_as: role"), encoding="utf-8")
    assert load_site(by_role).staff_shown("Anna Smith", "clinician") == {"role": "clinician"}
    wrong = tmp_path / "wrong.yml"
    wrong.write_text(SITE_YML.replace("staff_shown_as: first_name", "staff_shown_as: full_name"), encoding="utf-8")
    with pytest.raises(ValueError, match="staff_shown_as must be one of first_name, role"):
        load_site(wrong)


def _held_conversation(app, sender: str, *, display_name: str, role: str) -> tuple[int, int]:
    db = app.extensions["db"]
    add_messages(db, "web", sender, [("patient", "can a nurse call me about my wound?", {})])
    ticket = raise_ticket(db, sender, "clinical", "wound")
    staff = create_staff(db, f"user-{sender}", role, display_name=display_name)
    operations.reply(db, ticket, staff, "Hello, this is Anna. We will call you on 07700 900123 this afternoon.")
    return ticket, staff


def _history(app, sender: str) -> dict:
    response = client_for(app).get("/api/chat/history", headers=web_headers(app, sender))
    assert response.status_code == 200
    return response.get_json()


def test_the_history_names_the_member_of_staff_by_first_name_only(inbox_app):
    _held_conversation(inbox_app, "w-first", display_name="Anna Smith", role="secretariat")
    body = _history(inbox_app, "w-first")
    assert body["taken_over"] is True and body["held_by"] == {"name": "Anna"}
    [staff] = [m for m in body["messages"] if m["role"] == "staff"]
    assert staff["staff"] == {"name": "Anna"}
    assert "Smith" not in str(body) and "user-w-first" not in str(body) and "staff_id" not in str(body)


def test_the_department_can_show_the_role_instead(storage_url, tmp_path, monkeypatch):
    by_role = tmp_path / "site.yml"
    by_role.write_text(SITE_YML.replace("staff_shown_as: first_name", "staff_shown_as: role"), encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_SITE_CONFIG", str(by_role))
    app = make_app(storage_url, tmp_path, monkeypatch)
    try:
        ticket, staff = _held_conversation(app, "w-role", display_name="Anna Smith", role="clinician")
        body = _history(app, "w-role")
        assert body["held_by"] == {"role": "clinician"}
        assert [m["staff"] for m in body["messages"] if m["role"] == "staff"] == [{"role": "clinician"}]
        assert "Anna" not in str({k: v for k, v in body.items() if k != "messages"})

        operations.hand_back(app.extensions["db"], app.config["SETTINGS"].site, ticket, staff)
        body = _history(app, "w-role")
        assert body["taken_over"] is False and body["held_by"] is None
        assert body["messages"][-1]["handed_back"] is True
        assert body["messages"][-1]["text"].startswith("You are back with the automated assistant")
    finally:
        app.extensions["db"].engine.dispose()


def test_the_inbox_shows_a_button_press_as_the_buttons_title_never_the_payload(inbox_app):
    db = inbox_app.extensions["db"]
    add_messages(
        db,
        "web",
        "w-buttons",
        [
            ("patient", "/request_human", {}),  # the widget's own "Talk to a person" button
            (
                "assistant",
                "May the department contact you about this at the number or address you gave?",
                {"buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]},
            ),
            ("patient", "/affirm", {}),
            ("patient", '/ask_definition{"procedure": "interventional radiology"}', {}),  # offered by no message here
            (
                "assistant",
                "Here is what I will send to the secretariat so that they can contact you. Shall I send it?",
                {"buttons": [{"title": "Change the phone or e-mail", "payload": "change:contact_method"}]},
            ),
            ("patient", "change:contact_method", {}),  # the contact form's Change button: a payload without "/"
        ],
    )
    ticket = raise_ticket(db, "w-buttons", "booking", "move my appointment")
    client, _ = signed_in(inbox_app, "anna")
    page = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)
    transcript = page[page.index('id="transcript"') : page.index("</ol>", page.index('id="transcript"'))]
    assert "/request_human" not in transcript and "/affirm" not in transcript and "/ask_definition" not in transcript
    assert "change:contact_method" not in transcript and '<p class="msg-text">Change the phone or e-mail</p>' in transcript
    assert '<p class="msg-text">Talk to a person</p>' in transcript
    assert '<p class="msg-text">Yes</p>' in transcript
    assert '<p class="msg-text">Ask definition</p>' in transcript
    assert transcript.count("Pressed a button") == 4

    polled = client.get(f"/inbox/api/tickets/{ticket}/messages?after=2").get_json()["messages"]
    assert [(m["text"], m["button"]) for m in polled if m["role"] == "patient"] == [
        ("Yes", True),
        ("Ask definition", True),
        ("Change the phone or e-mail", True),
    ]
