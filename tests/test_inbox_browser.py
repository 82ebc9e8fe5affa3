"""The inbox in a real browser (Debian's headless Chromium): sign in, see an urgent ticket arrive
without reloading, open it, reply. Saves docs/screenshots/inbox-queue.png and inbox-ticket.png."""

from __future__ import annotations

import datetime as dt
import re
import time

from sqlalchemy import update

from core.config import ROOT
from core.storage.conversations import add_messages, history
from core.storage.models import Message, Ticket
from core.storage.tickets import create_ticket
from tests.support.inbox import PASSWORD, a_busy_queue, create_staff, raise_ticket

SCREENSHOTS = ROOT / "docs" / "screenshots"


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


def test_a_secretary_searches_a_queue_of_150_tickets(inbox_server, browser):
    app, base = inbox_server
    db = app.extensions["db"]
    create_staff(db, "anna", "secretariat", display_name="Anna Smith")
    by_name = a_busy_queue(db)
    add_messages(db, "web", "w-0042", [("patient", "Also, is there a quokka-friendly waiting room?", {})])
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
        rows = page.locator("#queue-rows tr")
        assert rows.count() == 150 and page.locator("#count-all").inner_text() == "150"

        # A name, accents and case aside: Chloé Martin is "chloe martin".
        search = page.get_by_role("searchbox", name="Search")
        search.fill("chloe martin")
        search.press("Enter")
        page.wait_for_url(re.compile(r"q=chloe\+martin"))
        wanted = by_name["Chloé Martin"]
        assert sorted(int(i) for i in rows.evaluate_all("rows => rows.map(r => r.dataset.ticketId)")) == sorted(wanted)
        assert page.locator("#count-all").inner_text() == str(len(wanted))
        assert page.locator("#search-result").inner_text() == f"{len(wanted)} tickets found for “chloe martin” (any status)."
        assert page.get_by_role("searchbox", name="Search").input_value() == "chloe martin"
        page.screenshot(path=str(SCREENSHOTS / "inbox-search.png"), full_page=True, animations="disabled")

        # Within the results, a type filter keeps the search.
        page.locator(".kind-count", has_text="Booking").click()
        page.wait_for_url(re.compile(r"kind=booking"))
        assert "q=chloe+martin" in page.url
        assert rows.count() == int(page.locator("#count-booking").inner_text())

        # A word the patient wrote, and a reference read out over the phone.
        search = page.get_by_role("searchbox", name="Search")
        search.fill("quokka")
        search.press("Enter")
        page.wait_for_url(re.compile(r"q=quokka"))
        assert rows.count() == 1 and rows.first.get_attribute("data-ticket-id") is not None
        reference = rows.first.get_attribute("data-reference")
        search = page.get_by_role("searchbox", name="Search")
        search.fill(reference.lower())
        search.press("Enter")
        page.wait_for_url(re.compile(r"q=ir-"))
        assert [rows.nth(i).get_attribute("data-reference") for i in range(rows.count())] == [reference]
        rows.first.get_by_role("link", name=reference).click()
        page.wait_for_url(re.compile(r"/inbox/tickets/\d+$"))
        assert "quokka" in page.locator("#transcript").inner_text()

        page.go_back()
        page.get_by_role("link", name="Clear the search").click()
        page.wait_for_url(re.compile(r"/inbox/\?status=active$"))
        assert rows.count() == 150
    finally:
        context.close()
    assert problems == [], f"errors in the browser console: {problems}"
