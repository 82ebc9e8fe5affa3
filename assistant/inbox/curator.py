"""The curator console: the week's unanswered and handed-over questions, thumbs-down answers to mark, the texts
by review status, a weekly report with charts, and CSV exports. Every page is audited; no page or export shows a
patient's contact details (assistant/inbox/curation.py masks them and reads no ticket)."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from assistant.inbox import curation, weekly_report
from assistant.inbox.auth import CURATION_ROLES, current_staff, role_required
from assistant.inbox.blueprint import as_utc, bp, db, site
from assistant.inbox.charts import column_chart, shares
from assistant.inbox.forms import VerdictForm
from assistant.inbox.spreadsheet import csv_download
from assistant.inbox.trail import record, record_conversation_read
from assistant.inbox.weeks import Week
from core.storage.models import Feedback, FeedbackReview
from knowledge.catalog import SECTION_LABELS

WEEKS_TO_PICK = 12
EXPORT_VIEWS = ("questions", "ratings", "report")


def _this_week() -> Week:
    return Week.containing(dt.datetime.now(dt.UTC), site().timezone)


def _chosen_week() -> Week:
    value = request.args.get("week", "").strip()
    if not value:
        return _this_week()
    try:
        week = Week.parse(value, site().timezone)
    except ValueError:
        abort(400, "'week' must be written like 2026-W49")
    if week.monday > _this_week().monday:
        abort(400, "that week has not started yet")
    return week


def _texts() -> list[curation.TextStatus]:
    return curation.texts_by_review(current_app.config["SETTINGS"].knowledge_dir, dt.datetime.now(dt.UTC).date())


def _page(template: str, view: str, week: Week | None, **context):
    return render_template(
        template,
        view=view,
        week=week,
        weeks=_this_week().run(WEEKS_TO_PICK)[::-1],
        **context,
    )


def _audit_view(session, what: str) -> None:
    record(session, current_staff().id, "view_curation", detail=what)


@bp.get("/curator/")
@role_required(*CURATION_ROLES)
def curator_questions():
    week = _chosen_week()
    titles = curation.titles_of(_texts())
    with db().session() as session:
        groups = curation.question_groups(session, week, titles)
        _audit_view(session, f"questions {week.key}")
    return _page("inbox/curator_questions.html", "questions", week, groups=groups, totals=curation.group_counts(groups))


@bp.get("/curator/ratings")
@role_required(*CURATION_ROLES)
def curator_ratings():
    week = _chosen_week()
    titles = curation.titles_of(_texts())
    with db().session() as session:
        rated = curation.thumbs_down(session, week, titles)
        _audit_view(session, f"ratings {week.key}")
    form = VerdictForm(formdata=None)
    return _page("inbox/curator_ratings.html", "ratings", week, rated=rated, verdicts=curation.VERDICTS, form=form)


@bp.post("/curator/ratings/<id:feedback_id>")
@role_required(*CURATION_ROLES)
def curator_mark(feedback_id: int):
    form = VerdictForm()
    form.verdict.choices = list(curation.VERDICTS.items())
    if not form.validate_on_submit():
        abort(400, "choose one of the verdicts")
    week = request.args.get("week", "")
    me = current_staff().id
    with db().session() as session:
        feedback = session.get(Feedback, feedback_id)
        if feedback is None or feedback.rating >= 0:
            abort(404)
        review = session.get(FeedbackReview, feedback_id)
        if review is None:
            session.add(FeedbackReview(feedback_id=feedback_id, verdict=form.verdict.data, staff_id=me))
        else:
            review.verdict, review.staff_id = form.verdict.data, me
        record(session, me, "triage_feedback", detail=f"rating {feedback_id}: {curation.VERDICTS[form.verdict.data]}")
    flash(f"Marked “{curation.VERDICTS[form.verdict.data]}”.", "success")
    target = url_for("inbox.curator_ratings", week=week or None)
    return redirect(f"{target}#rating-{feedback_id}", code=303)


@bp.get("/curator/texts")
@role_required(*CURATION_ROLES)
def curator_texts():
    texts = _texts()
    with db().session() as session:
        _audit_view(session, "texts")
    counts = {
        "overdue": sum(t.overdue for t in texts),
        "due soon": sum(t.due_soon for t in texts),
        "draft": sum(t.state == "draft" for t in texts),
        "changed since sign-off": sum(t.state == "changed since sign-off" for t in texts),
        "signed": sum(t.state == "signed" for t in texts),
    }
    return _page("inbox/curator_texts.html", "texts", None, texts=texts, counts=counts)


def _report(session, week: Week) -> weekly_report.WeeklyReport:
    titles = curation.titles_of(_texts())
    return weekly_report.weekly_report(
        session,
        week,
        lambda procedure: curation.procedure_label(procedure, titles),
        lambda topic: SECTION_LABELS.get(topic, (topic.replace("_", " ").capitalize(),))[0],
    )


@bp.get("/curator/report")
@role_required(*CURATION_ROLES)
def curator_report():
    week = _chosen_week()
    with db().session() as session:
        report = _report(session, week)
        _audit_view(session, f"report {week.key}")
    rows = report.weeks

    def chart(title, value, shown, **options):
        return column_chart(title, [(row.week.short, value(row), shown(row)) for row in rows], **options)

    charts = [
        chart("Questions from patients", lambda r: r.questions, lambda r: str(r.questions), whole=True),
        chart("Answers from the texts", lambda r: r.answers, lambda r: str(r.answers), whole=True),
        chart("Hand-overs to the secretariat", lambda r: r.hand_overs, lambda r: str(r.hand_overs), whole=True),
        chart("Emergencies", lambda r: r.emergencies, lambda r: str(r.emergencies), whole=True),
        chart(
            "Thumbs up, share of ratings",
            lambda r: r.thumbs_up_share,
            lambda r: weekly_report.share_label(r.thumbs_up_share),
            percent=True,
        ),
        chart(
            "Secretariat: median time to first reply (hours)",
            lambda r: None if r.first_reply_minutes is None else r.first_reply_minutes / 60,
            lambda r: "" if r.first_reply_minutes is None else f"{r.first_reply_minutes / 60:.1f} h",
        ),
    ]
    return _page(
        "inbox/curator_report.html",
        "report",
        week,
        report=report,
        charts=charts,
        procedures=shares(report.top_procedures),
        topics=shares(report.top_topics),
        minutes_label=weekly_report.minutes_label,
        share_label=weekly_report.share_label,
    )


@bp.get("/curator/conversations/<id:conversation_id>")
@role_required(*CURATION_ROLES)
def curator_conversation(conversation_id: int):
    with db().session() as session:
        transcript = curation.conversation_transcript(session, conversation_id)
        if transcript is None:
            abort(404)
        record_conversation_read(session, current_staff().id, conversation_id)
    return _page("inbox/curator_conversation.html", "conversation", None, transcript=transcript, conversation_id=conversation_id)


def _local(moment) -> str:
    return as_utc(moment).isoformat(timespec="seconds") if moment else ""


@bp.get("/curator/export.csv")
@role_required(*CURATION_ROLES)
def curator_export():
    view = request.args.get("view", "")
    if view not in EXPORT_VIEWS:
        abort(400, "'view' must be questions, ratings or report")
    week = _chosen_week()
    titles = curation.titles_of(_texts())
    with db().session() as session:
        if view == "questions":
            header = ("asked (UTC)", "outcome", "procedure", "topic", "question (contact details masked)")
            rows = []
            for question in curation.logged_questions(session, week):
                outcome, topic = curation.topic_of(question)
                procedure = curation.procedure_label(question.procedure, titles)
                rows.append((_local(question.created_at), outcome, procedure, topic, curation.masked(question.text)))
        elif view == "ratings":
            header = ("rated (UTC)", "procedure", "section given", "question (contact details masked)", "answer", "verdict")
            rows = [
                (_local(r.rated_at), r.procedure, r.section, r.question, r.answer, curation.VERDICTS.get(r.verdict or "", ""))
                for r in curation.thumbs_down(session, week, titles)
            ]
        else:
            header = (
                "week",
                "first day",
                "questions",
                "answers",
                "hand-overs",
                "emergencies",
                "thumbs up",
                "thumbs down",
                "thumbs-up share",
                "median minutes to first reply",
            )
            rows = [
                (
                    n.week.key,
                    n.week.monday.isoformat(),
                    n.questions,
                    n.answers,
                    n.hand_overs,
                    n.emergencies,
                    n.thumbs_up,
                    n.thumbs_down,
                    "" if n.thumbs_up_share is None else f"{n.thumbs_up_share:.3f}",
                    "" if n.first_reply_minutes is None else f"{n.first_reply_minutes:.0f}",
                )
                for n in _report(session, week).weeks
            ]
        record(session, current_staff().id, "export_curation", detail=f"{view} {week.key}: {len(rows)} rows")
    return csv_download(f"curation-{view}-{week.key}.csv", header, rows)
