"""The inbox in a real browser (Debian's headless Chromium): sign in, see an urgent ticket arrive
without reloading, open it, reply. Saves docs/screenshots/inbox-queue.png and inbox-ticket.png."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import update
from werkzeug.serving import make_server

from assistant.config import ROOT
from assistant.storage.conversations import add_messages, history
from assistant.storage.models import Message, Ticket
from assistant.storage.tickets import create_ticket
from tests.support.inbox import PASSWORD, create_staff, make_app, raise_ticket
from tests.support.ports import free_port

SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture
def inbox_server(database_url, tmp_path, monkeypatch):
    app = make_app(database_url, tmp_path, monkeypatch)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)


def backdate(db, ticket_id: int, minutes: int) -> None:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    with db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(created_at=moment, updated_at=moment))
        session.execute(update(Message).where(Message.conversation_id == ticket.conversation_id).values(created_at=moment))


def a_realistic_morning(db) -> None:
    """What the secretariat finds when it opens: requests the assistant passed on overnight."""
    add_messages(
        db,
        "web",
        "w-81f2",
        [
            ("patient", "Can I change my embolization appointment next Tuesday?", {}),
            (
                "assistant",
                "I can't book, change or cancel appointments myself, but I can pass your request to the secretariat.",
                {"route": "escalate_booking", "procedure": "embolization"},
            ),
        ],
    )
    booking = raise_ticket(
        db,
        "w-81f2",
        "booking",
        "Move the embolization on Tuesday to later in the week",
        route="escalate_booking",
        contact={"name": "Maria Lopez", "method": "maria.lopez@example.org", "preferred_times": "afternoons", "consent": True},
    )
    backdate(db, booking, 14 * 60)
    add_messages(db, "sms", "+447700900456", [("patient", "The wound from my biopsy is red and warm, is that normal?", {})])
    clinical = raise_ticket(
        db,
        "+447700900456",
        "clinical",
        "The wound from my biopsy is red and warm",
        channel="sms",
        route="escalate_symptom",
        contact={"name": "John Carter", "method": "+447700900456", "consent": True},
    )
    backdate(db, clinical, 95)
    admin = raise_ticket(
        db,
        "w-77aa",
        "administrative",
        "Needs a copy of the invoice for insurance",
        contact={"name": "Priya Shah", "method": "+447700900789", "consent": True},
    )
    backdate(db, admin, 26 * 60)


def test_a_secretary_sees_an_urgent_ticket_arrive_opens_it_and_replies(inbox_server, browser):
    app, base = inbox_server
    db = app.extensions["db"]
    create_staff(db, "anna", "secretariat", display_name="Anna Smith")
    a_realistic_morning(db)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))

        page.goto(f"{base}/inbox/")
        page.get_by_label("User name").fill("anna")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/inbox/")
        assert page.title() == "Inbox"
        assert page.locator("#queue-rows tr").count() == 3

        # The gateway raises an urgent ticket while the queue is open.
        add_messages(
            db,
            "web",
            "w-c3d9",
            [
                ("patient", "I'm bleeding a lot from my groin where they went in", {"red_flag": "bleeding"}),
                ("assistant", "This could be an emergency. Call 112 now.", {"route": "urgent"}),
            ],
        )
        raised_at = time.monotonic()
        urgent = create_ticket(db, "web", "w-c3d9", "urgent", "I'm bleeding a lot from my groin where they went in", route="urgent")

        alert = page.locator("#urgent-alert .urgent-alert-item")
        alert.wait_for(state="visible", timeout=10_000)
        seen_after = time.monotonic() - raised_at
        assert urgent.reference in alert.inner_text()
        page.wait_for_function("document.title.startsWith('(1) URGENT')", timeout=5_000)
        assert page.title() == "(1) URGENT – Inbox"
        first_row = page.locator("#queue-rows tr").first
        assert first_row.get_attribute("data-reference") == urgent.reference
        assert page.locator("#count-urgent").inner_text() == "1"
        page.screenshot(path=str(SCREENSHOTS / "inbox-queue.png"), full_page=True, animations="disabled")

        alert.get_by_role("link", name="Open it now").click()
        page.wait_for_url(f"{base}/inbox/tickets/{urgent.id}")
        assert "bleeding a lot" in page.locator("#transcript").inner_text()
        page.get_by_label("Reply to the patient").fill(
            "Please call 112 now and press firmly on the spot. We have told the on-call radiologist."
        )
        page.get_by_role("button", name="Send reply").click()
        page.wait_for_url(f"{base}/inbox/tickets/{urgent.id}#reply")
        assert "Reply sent: shown in the web chat." in page.locator(".flash").inner_text()
        assert "You have taken over" in page.locator(".takeover-state").inner_text()
        assert page.locator(".msg-staff .msg-text").inner_text().startswith("Please call 112 now")

        # The patient answers; the open ticket shows it without reloading.
        add_messages(db, "web", "w-c3d9", [("patient", "OK, calling now", {})])
        page.locator(".msg-patient .msg-text", has_text="OK, calling now").wait_for(timeout=10_000)
        page.screenshot(path=str(SCREENSHOTS / "inbox-ticket.png"), full_page=True, animations="disabled")
    finally:
        context.close()

    assert history(db, "web", "w-c3d9")[2]["role"] == "staff"
    assert problems == [], f"errors in the browser console (CSP violations show up here): {problems}"
    assert seen_after < 6, f"the urgent ticket took {seen_after:.1f} s to appear"
    print(f"\nurgent ticket visible {seen_after:.1f} s after it was raised")
