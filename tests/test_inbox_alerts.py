"""The page's poll tells a staff member when a patient writes in a conversation they hold (for notifications):
only theirs, only patients' messages, with the ticket's reference and no patient text."""

from __future__ import annotations

from core.storage.conversations import add_messages
from tests.support.inbox import post_form, raise_ticket, signed_in


def test_a_patients_reply_in_a_conversation_i_hold_is_in_my_poll_and_not_in_a_colleagues(inbox_app):
    db = inbox_app.extensions["db"]
    mine = raise_ticket(db, "p1", "booking")
    raise_ticket(db, "p2", "booking")
    anna, _ = signed_in(inbox_app, "anna")
    ben, _ = signed_in(inbox_app, "ben")
    assert post_form(anna, f"/inbox/tickets/{mine}/take-over").status_code == 303
    start = anna.get("/inbox/api/urgent?after=0&replies_after=0").get_json()["latest_message"]

    add_messages(db, "web", "p1", [("patient", "Thank you, Thursday is fine", {}), ("assistant", "A member of staff will reply.", {})])
    add_messages(db, "web", "p2", [("patient", "Hello?", {})])

    body = anna.get(f"/inbox/api/urgent?after=0&replies_after={start}").get_json()
    assert [(r["ticket_id"], r["url"]) for r in body["patient_replies"]] == [(mine, f"/inbox/tickets/{mine}")]
    assert "Thursday" not in str(body["patient_replies"])
    assert body["latest_message"] > start
    assert anna.get(f"/inbox/api/urgent?after=0&replies_after={body['latest_message']}").get_json()["patient_replies"] == []
    assert ben.get(f"/inbox/api/urgent?after=0&replies_after={start}").get_json()["patient_replies"] == []
    assert anna.get("/inbox/api/urgent?after=0&replies_after=x").status_code == 400
