"""Ticket work in a real browser (Debian's headless Chromium): saved replies with "/", the keyboard shortcuts and
their help, notifications, the contact panel, and a morning's work on a 150-ticket queue (search, bulk resolve, a
saved reply, a saved view and a bulk assignment, an export). Saves docs/screenshots/inbox-saved-replies.png, inbox-saved-replies-page.png,
inbox-shortcuts.png and inbox-contact-panel.png."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.config import ROOT
from core.storage.conversations import add_messages, history
from core.storage.models import AuditEntry, SavedReply, Ticket
from tests.support.inbox import PASSWORD, a_busy_queue, create_staff, raise_ticket

SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "en-GB"}

# Records the notifications the page shows, as a browser that granted (or refused) the permission would.
FAKE_NOTIFICATIONS = """(permission => {
  window.shown = [];
  class FakeNotification extends EventTarget {
    constructor(title, options) { super(); window.shown.push({title, body: options && options.body}); }
    close() {}
    static get permission() { return window.fakePermission; }
    static requestPermission() {
      window.fakePermission = permission;
      sessionStorage.setItem("fakePermission", permission);
      window.asked = (window.asked || 0) + 1;
      return Promise.resolve(permission);
    }
  }
  window.fakePermission = sessionStorage.getItem("fakePermission") || "default";
  window.Notification = FakeNotification;
})"""


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/inbox/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/inbox/")


def watch_for_errors(page: Page, problems: list[str]) -> None:
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))


def saved_replies(db) -> None:
    with db.session() as session:
        session.add_all(
            [
                SavedReply(language="en", shortcut="parking", body="Car park P2, next to the main entrance, is free for patients."),
                SavedReply(
                    language="fr",
                    shortcut="parking",
                    body="Le parking P2, à côté de l'entrée principale, est gratuit pour les patients. <b>Badge</b> à l'accueil.",
                ),
                SavedReply(language="fr", shortcut="jeune", body="Ne mangez rien pendant les 6 heures avant l'examen."),
                SavedReply(language="en", shortcut="fasting", body="Please do not eat for 6 hours before the procedure."),
            ]
        )


def a_returning_patient(db) -> int:
    """A French-speaking patient who wrote before by SMS and WhatsApp and typed the same number in the web chat."""
    earlier = raise_ticket(
        db, "+33612345678", "clinical", "Douleur au point de ponction après l'embolisation", channel="sms", age=dt.timedelta(days=12)
    )
    with db.session() as session:
        session.get(Ticket, earlier).status = "resolved"
    raise_ticket(db, "+33612345678", "booking", "Changer le rendez-vous de contrôle", channel="whatsapp", age=dt.timedelta(days=3))
    add_messages(
        db,
        "web",
        "w-5be1",
        [("patient", "Bonjour, où puis-je me garer le jour de l'embolisation ?", {}), ("assistant", "Je transmets au secrétariat.", {})],
        language="fr",
    )
    return raise_ticket(
        db,
        "w-5be1",
        "administrative",
        "Où se garer le jour de l'embolisation",
        contact={"name": "Chloé Martin", "method": "+33 6 12 34 56 78", "consent": True},
    )


def test_a_saved_reply_is_chosen_with_slash_and_inserted_as_text_beside_the_patients_other_tickets(inbox_server, browser):
    app, base = inbox_server
    db = app.extensions["db"]
    create_staff(db, "anna", "secretariat", display_name="Anna Smith")
    saved_replies(db)
    ticket = a_returning_patient(db)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    context = browser.new_context(**DESKTOP)
    try:
        page = context.new_page()
        watch_for_errors(page, problems)
        sign_in(page, base, "anna")
        page.goto(f"{base}/inbox/tickets/{ticket}")

        panel = page.locator("#contact-history")
        expect(panel.locator("#earlier-typed li")).to_have_count(2)
        assert "Not verified" in panel.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "inbox-contact-panel.png"), full_page=True, animations="disabled")

        box = page.get_by_role("textbox", name="Reply to the patient")
        box.click()
        box.press_sequentially("Bonjour Madame Martin, /")
        listbox = page.get_by_role("listbox", name="Saved replies")
        expect(listbox).to_be_visible()
        # French first (the conversation's language), then the others.
        expect(listbox.get_by_role("option")).to_have_count(4)
        shortcuts = listbox.locator(".saved-option-shortcut").all_inner_texts()
        languages = listbox.locator(".lang-code").all_inner_texts()
        assert list(zip(shortcuts, languages, strict=True)) == [
            ("/jeune", "FR"),
            ("/parking", "FR"),
            ("/fasting", "EN"),
            ("/parking", "EN"),
        ]
        box.press_sequentially("par")
        expect(listbox.get_by_role("option")).to_have_count(2)
        assert box.get_attribute("aria-expanded") == "true"
        expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
        box.evaluate("box => box.scrollIntoView({block: 'center'})")
        page.screenshot(path=str(SCREENSHOTS / "inbox-saved-replies.png"), full_page=False, animations="disabled")

        # The keyboard: down to the English one, back up to the French one, Enter inserts it in place of "/par".
        box.press("ArrowDown")
        expect(listbox.get_by_role("option").nth(1)).to_have_attribute("aria-selected", "true")
        box.press("ArrowUp")
        box.press("Enter")
        expect(listbox).to_be_hidden()
        french = "Le parking P2, à côté de l'entrée principale, est gratuit pour les patients. <b>Badge</b> à l'accueil."
        assert box.input_value() == "Bonjour Madame Martin, " + french  # the markup as text, not as HTML

        # The mouse, and Escape, on a second line.
        box.press("Enter")
        box.press_sequentially("/fast")
        listbox.get_by_role("option", name=re.compile("fasting")).click()
        assert box.input_value().endswith("\nPlease do not eat for 6 hours before the procedure.")
        box.press_sequentially(" /")
        expect(listbox).to_be_visible()
        box.press("Escape")
        expect(listbox).to_be_hidden()
        assert box.input_value().endswith("procedure. /")
        box.press("Backspace")

        box.press("Control+Enter")
        page.wait_for_url(f"{base}/inbox/tickets/{ticket}#reply")
        assert "Reply sent" in page.locator(".flash").inner_text()
    finally:
        context.close()

    sent = history(db, "web", "w-5be1")[-1]
    assert sent["role"] == "staff" and sent["text"].startswith("Bonjour Madame Martin, Le parking P2") and "<b>Badge</b>" in sent["text"]
    assert problems == [], f"errors in the browser console: {problems}"


def test_the_keyboard_shortcuts_are_listed_in_a_dialog_and_work(inbox_server, browser):
    app, base = inbox_server
    db = app.extensions["db"]
    create_staff(db, "anna", "secretariat", display_name="Anna Smith")
    a_busy_queue(db, 12)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    context = browser.new_context(**DESKTOP)
    try:
        page = context.new_page()
        watch_for_errors(page, problems)
        sign_in(page, base, "anna")

        page.keyboard.press("?")
        dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("button", name=re.compile("Close"))).to_be_focused()
        for _ in range(3):  # the page behind is inert: Tab never leaves the dialog for it
            page.keyboard.press("Tab")
            assert page.evaluate(
                "document.getElementById('shortcuts-help').contains(document.activeElement) || document.activeElement === document.body"
            )
        page.screenshot(path=str(SCREENSHOTS / "inbox-shortcuts.png"), full_page=False, animations="disabled")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()

        rows = page.locator("#queue-rows tr")
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("k")
        expect(rows.nth(1)).to_have_class(re.compile("is-chosen"))
        expect(rows.nth(1).locator(".ref a")).to_be_focused()
        page.keyboard.press("x")
        expect(rows.nth(1).locator("input[type=checkbox]")).to_be_checked()
        expect(page.locator("#bulk-count")).to_have_text("1 ticket selected")
        page.keyboard.press("x")
        expect(page.locator("#bulk-count")).to_have_text("No ticket selected")

        page.keyboard.press("/")
        expect(page.get_by_role("searchbox", name="Search")).to_be_focused()
        page.keyboard.type("j")  # typed into the search, not a shortcut
        assert page.get_by_role("searchbox", name="Search").input_value() == "j"
        page.get_by_role("searchbox", name="Search").fill("")

        rows.nth(1).locator(".ref a").focus()
        reference = rows.nth(1).get_attribute("data-reference")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/inbox/tickets/\d+$"))
        assert page.locator("h1").inner_text() == reference

        page.keyboard.press("n")
        expect(page.get_by_label("New internal note")).to_be_focused()
        page.keyboard.type("Called, no answer")
        page.keyboard.press("Control+Enter")
        page.wait_for_url(re.compile(r"#notes$"))
        assert "Called, no answer" in page.locator(".notes").inner_text()

        page.keyboard.press("r")
        expect(page.get_by_role("textbox", name="Reply to the patient")).to_be_focused()
        page.keyboard.type("We will call you this afternoon.")
        page.keyboard.press("Control+Enter")
        page.wait_for_url(re.compile(r"#reply$"))
        assert page.locator(".msg-staff .msg-text").last.inner_text() == "We will call you this afternoon."

        page.keyboard.press("g")
        page.wait_for_url(f"{base}/inbox/")
    finally:
        context.close()
    assert problems == [], f"errors in the browser console: {problems}"


def test_notifications_are_asked_for_on_click_and_tell_of_urgent_tickets_and_replies_in_my_conversations(inbox_server, browser):
    app, base = inbox_server
    db = app.extensions["db"]
    create_staff(db, "anna", "secretariat", display_name="Anna Smith")
    mine = raise_ticket(db, "w-1", "booking", "Move my appointment")
    problems: list[str] = []

    context = browser.new_context(**DESKTOP)
    context.add_init_script(f"({FAKE_NOTIFICATIONS})('granted')")
    try:
        page = context.new_page()
        watch_for_errors(page, problems)
        sign_in(page, base, "anna")
        toggle = page.get_by_role("button", name=re.compile("^Notifications"))
        expect(toggle).to_have_attribute("aria-pressed", "false")
        assert page.evaluate("window.asked") is None  # nothing asked before the click
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("window.asked") == 1
        page.get_by_role("button", name=re.compile("^Sound")).click()
        assert page.evaluate("[localStorage.getItem('irInbox.v1.notifications'), localStorage.getItem('irInbox.v1.sound')]") == ["on", "on"]

        # A conversation I hold: the patient's reply is announced while I am on the queue.
        page.goto(f"{base}/inbox/tickets/{mine}")
        page.get_by_role("button", name="Take over").click()
        page.wait_for_url(re.compile(r"#reply$"))
        page.goto(f"{base}/inbox/")
        expect(page.get_by_role("button", name=re.compile("^Notifications"))).to_have_attribute("aria-pressed", "true")  # kept
        add_messages(db, "web", "w-1", [("patient", "Thursday works for me", {})])
        urgent = raise_ticket(db, "w-2", "urgent", "I'm bleeding from the groin")
        deadline = time.monotonic() + 15
        while len(page.evaluate("window.shown")) < 2 and time.monotonic() < deadline:  # the page polls every 3 s
            page.wait_for_timeout(250)
        shown = page.evaluate("window.shown")
        with db.session() as session:
            mine_reference, urgent_reference = session.get(Ticket, mine).reference, session.get(Ticket, urgent).reference
        assert sorted(n["title"] for n in shown) == [f"New urgent ticket {urgent_reference}", f"The patient replied on {mine_reference}"]
        assert all("bleeding" not in str(n) and "Thursday" not in str(n) for n in shown)  # no patient text on the screen
    finally:
        context.close()

    # A browser that refuses: the page says the alerts stay on the page.
    context = browser.new_context(**DESKTOP)
    context.add_init_script(f"({FAKE_NOTIFICATIONS})('denied')")
    try:
        page = context.new_page()
        watch_for_errors(page, problems)
        sign_in(page, base, "anna")
        page.get_by_role("button", name=re.compile("^Notifications")).click()
        expect(page.locator("#notify-note")).to_contain_text("blocks notifications from the inbox")
    finally:
        context.close()
    assert problems == [], f"errors in the browser console: {problems}"


def test_a_morning_on_a_queue_of_150_tickets_search_bulk_resolve_a_saved_reply_and_an_export(inbox_server, browser):
    app, base = inbox_server
    db = app.extensions["db"]
    create_staff(db, "anna", "admin", display_name="Anna Smith")
    create_staff(db, "ben", display_name="Ben Okafor")
    by_name = a_busy_queue(db)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    context = browser.new_context(accept_downloads=True, **DESKTOP)
    try:
        page = context.new_page()
        watch_for_errors(page, problems)
        sign_in(page, base, "anna")
        rows = page.locator("#queue-rows tr")
        expect(rows).to_have_count(150)

        # The department's saved reply, written on its page.
        page.get_by_role("link", name="Saved replies").click()
        page.get_by_label("Language").select_option("en")
        page.get_by_role("textbox", name=re.compile("^Shortcut")).fill("parking")
        page.get_by_label("Text sent to the patient").fill("Car park P2, next to the main entrance, is free for patients.")
        page.get_by_role("button", name="Add saved reply").click()
        expect(page.locator(".flash-success")).to_have_text("Saved reply /parking added.")
        expect(page.locator("#saved-replies-table tbody tr")).to_have_count(1)
        page.screenshot(path=str(SCREENSHOTS / "inbox-saved-replies-page.png"), full_page=True, animations="disabled")
        page.get_by_role("link", name="Queue").click()

        # Search, select every ticket found, resolve them in one go.
        search = page.get_by_role("searchbox", name="Search")
        search.fill("chloe martin")
        search.press("Enter")
        page.wait_for_url(re.compile(r"q=chloe\+martin"))
        wanted = by_name["Chloé Martin"]
        expect(rows).to_have_count(len(wanted))
        page.get_by_label("Select every ticket shown that is not resolved").check()
        expect(page.locator("#bulk-count")).to_have_text(f"{len(wanted)} tickets selected")
        page.get_by_role("button", name="Resolve selected").click()
        page.wait_for_url(re.compile(r"q=chloe\+martin"))
        expect(page.locator(".flash-success")).to_have_text(f"{len(wanted)} tickets resolved.")
        expect(rows.locator(".status-resolved")).to_have_count(len(wanted))
        page.get_by_role("link", name="Clear the search").click()
        expect(rows).to_have_count(150 - len(wanted))

        # The clinical tickets, kept as a view of her own; three of them given to a colleague in one go.
        page.locator("#filter-kind").select_option("clinical")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r"kind=clinical"))
        page.get_by_role("textbox", name="Save these filters as").fill("Clinical to share out")
        page.get_by_role("button", name="Save view").click()
        expect(page.get_by_role("link", name="Clinical to share out")).to_be_visible()
        for row in range(3):
            rows.nth(row).get_by_role("checkbox").check()
        page.get_by_label("or assign them to").select_option(label="Ben Okafor")
        page.get_by_role("button", name="Assign selected").click()
        expect(page.locator(".flash-success")).to_have_text("3 tickets assigned to Ben Okafor.")
        expect(rows.get_by_role("cell", name="Ben Okafor", exact=True)).to_have_count(3)
        page.screenshot(path=str(SCREENSHOTS / "inbox-saved-views.png"), full_page=False, animations="disabled")
        page.get_by_role("link", name="Queue", exact=True).click()
        expect(rows).to_have_count(150 - len(wanted))

        # A saved reply on the first ticket left.
        first = rows.first.get_attribute("data-reference")
        rows.first.get_by_role("link", name=first).click()
        box = page.get_by_role("textbox", name="Reply to the patient")
        box.click()
        box.press_sequentially("/parking")
        page.get_by_role("listbox", name="Saved replies").get_by_role("option", name=re.compile("Car park P2")).click()
        assert box.input_value() == "Car park P2, next to the main entrance, is free for patients."
        page.get_by_role("button", name="Send reply").click()
        page.wait_for_url(re.compile(r"#reply$"))
        expect(page.locator(".msg-staff .msg-text")).to_have_text("Car park P2, next to the main entrance, is free for patients.")

        # The export of the last three days: every ticket, the resolved ones marked so.
        page.get_by_role("link", name="Export").click()
        today = dt.datetime.now(ZoneInfo(app.config["SETTINGS"].site.timezone)).date()
        page.get_by_label("From", exact=True).fill((today - dt.timedelta(days=2)).isoformat())
        page.get_by_label("To", exact=True).fill(today.isoformat())
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        text = download.value.path().read_bytes().decode("utf-8-sig")
    finally:
        context.close()

    exported = list(csv.DictReader(io.StringIO(text)))
    assert len(exported) == 150
    with db.session() as session:
        references = {session.get(Ticket, i).reference for i in wanted}
        assert session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "export_tickets")).endswith("150 ticket(s)")
    assert {row["Reference"] for row in exported if row["Status"] == "Resolved"} == references
    assert problems == [], f"errors in the browser console: {problems}"
