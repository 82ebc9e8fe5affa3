"""The curator console and the audit log in a real browser (Debian's headless Chromium): a curator sees the week's
unanswered questions and the charts and marks a thumbs-down answer; a supervisor filters the audit log by date and
staff member and exports it. Saves docs/screenshots/curator-console.png, curator-report.png and audit-log.png."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.config import ROOT
from core.storage.models import FeedbackReview
from tests.support.curation_data import a_busy_audit_trail, a_thumbs_down_this_week, eight_weeks
from tests.support.inbox import PASSWORD, create_staff

SCREENSHOTS = ROOT / "docs" / "screenshots"
ZONE = "Europe/London"


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/inbox/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_curator_sees_the_weeks_questions_and_charts_and_marks_a_thumbs_down(inbox_server, browser):
    app, base = inbox_server
    db = app.extensions["db"]
    anna = create_staff(db, "anna", "secretariat", display_name="Anna Smith")
    create_staff(db, "cora", "curator", display_name="Cora Bennett")
    eight_weeks(db, ZONE, [anna])
    rated = a_thumbs_down_this_week(db, ZONE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))

        sign_in(page, base, "cora")
        page.wait_for_url(f"{base}/inbox/curator/")
        rows = page.locator("table.curation tbody tr")
        first = rows.first
        assert "Nephrostomy" in first.inner_text() and first.locator(".count").inner_text() == "3"
        assert rows.count() >= 6
        body = page.locator("main").inner_text()
        assert "900123" not in body.replace(" ", "") and "j.carter@example.org" not in body
        assert page.get_by_role("link", name="Queue").count() == 0  # no queue for curators
        page.screenshot(path=str(SCREENSHOTS / "curator-console.png"), full_page=True, animations="disabled")

        first.get_by_role("link", name="conversation").first.click()
        assert "swim" in page.locator(".transcript").inner_text()
        page.go_back()

        page.get_by_role("link", name="Thumbs-down answers").click()
        card = page.locator(f"#rating-{rated}")
        assert "when can I drive after the fibroid embolisation?" in card.inner_text()
        card.get_by_role("button", name="Text needs work").click()
        page.wait_for_load_state()
        assert "Marked: Text needs work" in page.locator(f"#rating-{rated}").inner_text()
        with db.session() as session:
            assert session.get(FeedbackReview, rated).verdict == "text_needs_work"

        page.get_by_role("link", name="Weekly report").click()
        assert page.locator("figure.chart svg[role=img]").count() == 6
        assert page.locator("table.weekly tbody tr").count() == 8
        assert page.locator("#top-procedures + table tbody tr").count() == 5
        page.screenshot(path=str(SCREENSHOTS / "curator-report.png"), full_page=True, animations="disabled")
    finally:
        context.close()
    assert problems == []


def test_a_supervisor_filters_the_audit_log_by_date_and_staff_and_exports_it(inbox_server, browser):
    app, base = inbox_server
    db = app.extensions["db"]
    staff = {
        "anna": create_staff(db, "anna", "secretariat", display_name="Anna Smith"),
        "ben": create_staff(db, "ben", "secretariat", display_name="Ben Okafor"),
        "chloe": create_staff(db, "chloe", "clinician", display_name="Dr Chloe Martin"),
    }
    create_staff(db, "sue", "supervisor", display_name="Sue Patel")
    eight_weeks(db, ZONE, list(staff.values()))
    a_busy_audit_trail(db, ZONE, staff)
    today = dt.date.today()
    problems: list[str] = []

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB", accept_downloads=True)
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))

        sign_in(page, base, "sue")
        page.wait_for_url(f"{base}/inbox/")
        page.get_by_role("link", name="Audit log").click()
        page.get_by_label("From").fill((today - dt.timedelta(days=3)).isoformat())
        page.get_by_label("To (included)").fill(today.isoformat())
        page.get_by_label("Staff member").select_option(label="Anna Smith (anna)")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(f"**/inbox/audit?from=*&staff={staff['anna']}*")

        rows = page.locator("table.audit tbody tr")
        assert rows.count() > 3
        assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {"Anna Smith"}
        assert page.locator("table.audit .badge.repeat").count() >= 1  # repeats collapsed
        assert page.locator("table.audit td.ref a").first.inner_text().startswith("IR-")
        page.screenshot(path=str(SCREENSHOTS / "audit-log.png"), full_page=True, animations="disabled")

        with page.expect_download() as download_info:
            page.get_by_role("link", name="Export CSV").click()
        download = download_info.value
        content = download.path().read_text(encoding="utf-8")
        assert download.suggested_filename.startswith("audit-log-") and content.startswith("\ufeff")
        lines = content.splitlines()[1:]
        assert lines and all(",anna,Anna Smith," in line for line in lines)
    finally:
        context.close()
    assert problems == []
    with db.session() as session:
        from core.storage.models import AuditEntry

        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "export_audit")).one()
