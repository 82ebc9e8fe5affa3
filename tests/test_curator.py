"""The curator console: the week's questions by procedure and topic, thumbs-down answers to mark, texts by review
status, the weekly report and its exports; and never a patient's contact details."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from assistant.inbox.charts import column_chart, nice_ceiling
from assistant.inbox.weeks import Week
from core.storage.conversations import add_messages
from core.storage.curation import log_unanswered
from core.storage.models import AuditEntry, Feedback, FeedbackReview, Message, UnansweredQuestion
from tests.support.inbox import csrf_from, raise_ticket, signed_in

SQLITE_ONLY = pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)
PHONE, EMAIL = "07700 900123", "maria.lopez@example.org"
ANSWER = {
    "route": "answer",
    "procedure": "embolization",
    "topic": "driving",
    "sources": [{"doc": "embolization", "section": "driving", "section_title": "Driving", "title": "Embolization"}],
}


def a_week_of_questions(db) -> None:
    add_messages(
        db,
        "web",
        "w1",
        [("patient", f"can I drive after embolisation? call me on {PHONE}", {}), ("assistant", "Not for 24 hours.", ANSWER)],
    )
    add_messages(db, "web", "w2", [("patient", f"how much does it cost? write to {EMAIL}", {})])
    log_unanswered(db, "web:w2", f"how much does it cost? write to {EMAIL}", "hand_over_cost", "embolization")
    log_unanswered(db, "web:w2", "how much will the embolization cost me", "hand_over_cost", "embolization")
    log_unanswered(db, "web:w1", f"what happens after the procedure? ring {PHONE}", "low_confidence", None)


def rate_last_answer(db, rating: int) -> int:
    with db.session() as session:
        message = session.scalars(select(Message).where(Message.role == "assistant").order_by(Message.id.desc())).first()
        feedback = Feedback(message_id=message.id, rating=rating)
        session.add(feedback)
        session.flush()
        return feedback.id


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.get_data().startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_weeks_questions_are_grouped_by_procedure_and_topic_with_examples(inbox_app):
    db = inbox_app.extensions["db"]
    a_week_of_questions(db)
    curator, _ = signed_in(inbox_app, "cora", "curator")

    page = curator.get("/inbox/curator/").get_data(as_text=True)
    body = page.split("<tbody>", 1)[1]

    rows = [row for row in body.split("<tr>")[1:]]
    assert "Embolization" in rows[0] and "Costs and insurance" in rows[0] and "Handed over" in rows[0]
    assert '<td class="number count">2</td>' in rows[0]
    assert "No procedure named" in rows[1] and "Afterwards" in rows[1] and "Unanswered" in rows[1]
    assert body.count("/inbox/curator/conversations/") == 3  # every example links to its conversation


def test_no_phone_number_or_email_reaches_the_curators_pages_or_exports(inbox_app):
    db = inbox_app.extensions["db"]
    a_week_of_questions(db)
    rate_last_answer(db, -1)
    curator, _ = signed_in(inbox_app, "cora", "curator")
    with db.session() as session:
        conversations = {q.sender_key for q in session.scalars(select(UnansweredQuestion))}
    assert conversations

    pages = [curator.get(path) for path in ("/inbox/curator/", "/inbox/curator/ratings", "/inbox/curator/report")]
    pages += [curator.get(f"/inbox/curator/export.csv?view={view}") for view in ("questions", "ratings", "report")]
    pages += [curator.get(f"/inbox/curator/conversations/{n}") for n in (1, 2)]

    for response in pages:
        text = response.get_data().decode("utf-8-sig")
        assert response.status_code == 200
        assert "900123" not in text.replace(" ", "") and EMAIL not in text and "lopez@" not in text
    assert "m***@***" in pages[0].get_data(as_text=True)  # masked, not dropped: the question is still readable


def test_replies_to_the_contact_form_and_staff_messages_are_withheld_from_curators(inbox_app):
    db = inbox_app.extensions["db"]
    add_messages(
        db,
        "web",
        "w3",
        [
            ("patient", "I need to move my appointment", {}),
            ("assistant", "What name should the secretariat use?", {"route": "escalate_booking"}),
            ("patient", "Maria Lopez", {}),
            ("staff", "Dear Maria, we have moved it to Friday.", {}),
            ("patient", "Thanks, Maria", {}),
        ],
    )
    curator, _ = signed_in(inbox_app, "cora", "curator")
    assert curator.get("/inbox/curator/conversations/1").status_code == 404  # nothing of it is for the curators
    log_unanswered(db, "web:w3", "I need to move my appointment", "hand_over_booking")

    page = curator.get("/inbox/curator/conversations/1").get_data(as_text=True)

    assert "I need to move my appointment" in page and "Maria" not in page
    assert page.count("not shown in the curator console") == 3


def test_a_curator_marks_a_thumbs_down_answer_and_it_is_audited(inbox_app):
    db = inbox_app.extensions["db"]
    a_week_of_questions(db)
    feedback = rate_last_answer(db, -1)
    curator, curator_id = signed_in(inbox_app, "cora", "curator")
    page = curator.get("/inbox/curator/ratings").get_data(as_text=True)
    assert "Embolization · Driving" in page and "can I drive after embolisation?" in page and "Not marked yet" in page

    response = curator.post(f"/inbox/curator/ratings/{feedback}", data={"csrf_token": csrf_from(page), "verdict": "text_needs_work"})

    assert response.status_code == 303
    assert "Marked: <strong>Text needs work</strong>" in curator.get("/inbox/curator/ratings").get_data(as_text=True)
    with db.session() as session:
        assert session.get(FeedbackReview, feedback).verdict == "text_needs_work"
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "triage_feedback")).one().staff_id == curator_id
    rows = csv_rows(curator.get("/inbox/curator/export.csv?view=ratings"))
    assert rows[1][1:3] == ["Embolization", "Driving"] and rows[1][-1] == "Text needs work"


@SQLITE_ONLY
def test_a_mark_without_the_form_token_or_with_an_unknown_verdict_changes_nothing(inbox_app):
    db = inbox_app.extensions["db"]
    a_week_of_questions(db)
    feedback = rate_last_answer(db, -1)
    thumbs_up = rate_last_answer(db, 1)
    curator, _ = signed_in(inbox_app, "cora", "curator")
    token = csrf_from(curator.get("/inbox/curator/ratings").get_data(as_text=True))

    assert curator.post(f"/inbox/curator/ratings/{feedback}", data={"verdict": "fine"}).status_code == 400
    assert curator.post(f"/inbox/curator/ratings/{feedback}", data={"csrf_token": token, "verdict": "delete"}).status_code == 400
    assert curator.post(f"/inbox/curator/ratings/{thumbs_up}", data={"csrf_token": token, "verdict": "fine"}).status_code == 404
    with db.session() as session:
        assert session.scalars(select(FeedbackReview)).all() == []


@SQLITE_ONLY
def test_the_weekly_report_counts_the_week_and_shows_each_chart_as_a_table(inbox_app):
    db = inbox_app.extensions["db"]
    a_week_of_questions(db)
    rate_last_answer(db, 1)
    raise_ticket(db, "w2", "administrative")
    raise_ticket(db, "w9", "urgent")
    curator, _ = signed_in(inbox_app, "cora", "curator")

    page = curator.get("/inbox/curator/report").get_data(as_text=True)

    assert page.count('<svg viewBox="0 0 340 190" role="img"') == 6
    assert "<script" not in page.split("</head>", 1)[1] and "style=" not in page
    current = page.split('<tr class="is-current">', 1)[1].split("</tr>", 1)[0]
    cells = [cell.split("<", 1)[0] for cell in current.split('<td class="number">')[1:]]
    assert cells[:5] == ["2", "1", "1", "1", "100% "]
    assert "Embolization" in page.split('id="top-procedures"', 1)[1] and "Driving" in page.split('id="top-topics"', 1)[1]
    rows = csv_rows(curator.get("/inbox/curator/export.csv?view=report"))
    assert rows[-1][2:8] == ["2", "1", "1", "1", "1", "0"]


@SQLITE_ONLY
def test_the_texts_page_lists_every_text_with_its_review_status(inbox_app):
    curator, _ = signed_in(inbox_app, "cora", "curator")
    page = curator.get("/inbox/curator/texts").get_data(as_text=True)
    assert "Embolization" in page and "Review due" in page
    assert page.count('<span class="badge review-') >= 10


@SQLITE_ONLY
@pytest.mark.parametrize("query", ["week=2026-W60", "week=last", "week=2999-W01"])
def test_a_malformed_or_future_week_is_refused(inbox_app, query):
    curator, _ = signed_in(inbox_app, "cora", "curator")
    assert curator.get(f"/inbox/curator/?{query}").status_code == 400
    assert curator.get(f"/inbox/curator/export.csv?view=questions&{query}").status_code == 400
    assert curator.get("/inbox/curator/export.csv?view=tickets").status_code == 400


@SQLITE_ONLY
def test_an_earlier_week_shows_only_its_own_questions(inbox_app):
    db = inbox_app.extensions["db"]
    a_week_of_questions(db)
    curator, _ = signed_in(inbox_app, "cora", "curator")
    last_week = Week.containing(dt.datetime.now(dt.UTC), "Europe/London").shifted(-1).key

    page = curator.get(f"/inbox/curator/?week={last_week}").get_data(as_text=True)

    assert "No unanswered or handed-over questions in this week." in page


@SQLITE_ONLY
def test_reading_a_conversation_is_audited_once_per_window(inbox_app):
    db = inbox_app.extensions["db"]
    a_week_of_questions(db)
    curator, curator_id = signed_in(inbox_app, "cora", "curator")

    for _ in range(3):
        assert curator.get("/inbox/curator/conversations/1").status_code == 200
    assert curator.get("/inbox/curator/conversations/999").status_code == 404

    with db.session() as session:
        reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "read_conversation")).all()
    assert [(r.staff_id, r.conversation_id) for r in reads] == [(curator_id, 1)]


def test_weeks_run_monday_to_sunday_in_the_departments_time_zone():
    week = Week.parse("2026-W49", "Europe/London")
    assert week.monday == dt.date(2026, 11, 30) and week.label == "Week 49: 30 Nov – 6 Dec 2026"
    assert week.start == dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert Week.containing(dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC), "Europe/Paris").key == "2026-W49"
    assert [w.key for w in week.run(3)] == ["2026-W47", "2026-W48", "2026-W49"]


def test_chart_axes_end_on_a_round_number_above_the_largest_value():
    assert nice_ceiling(7) == (8, 2) and nice_ceiling(130) == (150, 50) and nice_ceiling(0) == (1, 1)
    assert nice_ceiling(1) == (1, 0.2) and nice_ceiling(1, whole=True) == (1, 1) and nice_ceiling(3, whole=True) == (3, 1)
    chart = column_chart("Questions", [("23 Nov", 4, "4"), ("30 Nov", 8, "8"), ("7 Dec", None, "")])
    assert chart.columns[1].height == 2 * chart.columns[0].height and chart.columns[2].height == 0
    assert chart.columns[2].current and not chart.columns[0].current
    assert chart.gridlines[-1][1] == "8"
