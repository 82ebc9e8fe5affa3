"""The inbox blueprint: page helpers shared by every view (time formats, labels, errors)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

log = logging.getLogger(__name__)

bp = Blueprint("inbox", __name__, url_prefix="/inbox", template_folder="templates", static_folder="static", static_url_path="/static")
# Ids in query strings: ASCII digits only ("²".isdigit() is true), few enough to fit the database's integers.
WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")


class IdConverter(BaseConverter):
    """`<id:name>` in a route: 1 to 12 ASCII digits, anything else is a 404 (a 20-digit id overflows the database)."""

    regex = WHOLE_NUMBER.pattern

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


# Registered before the blueprint's routes, which use it.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("id", IdConverter))


def whole_number_arg(name: str, default: str | None = None) -> int | None:
    """The query argument `name` as a whole number; a 400 for anything else; `default` when it is absent."""
    value = request.args.get(name, default)
    if value is None:
        return None
    if not WHOLE_NUMBER.fullmatch(value):
        abort(400, f"'{name}' must be a whole number of at most 12 digits")
    return int(value)


KIND_LABELS = {"urgent": "Urgent", "clinical": "Clinical", "booking": "Booking", "administrative": "Administrative"}
PRIORITY_LABELS = {"high": "High", "normal": "Normal", "low": "Low"}
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "resolved": "Resolved"}
CHANNEL_LABELS = {"web": "web chat", "sms": "SMS", "whatsapp": "WhatsApp", "whatsapp_twilio": "WhatsApp"}
ROLE_LABELS = {"patient": "Patient", "assistant": "Assistant", "staff": "Staff"}
ROUTE_LABELS = {
    "answer": "answered from the department's texts",
    "clarify": "asked the patient to clarify",
    "fallback": "did not understand",
    "escalate_booking": "booking request",
    "escalate_admin": "administrative request",
    "escalate_symptom": "symptom or personal medical question",
    "urgent": "emergency",
    "out_of_scope": "outside what it answers",
    "smalltalk": "conversation",
}


def db():
    return current_app.extensions["db"]


def site():
    return current_app.config["SETTINGS"].site


def messages():
    """The message catalogs: what the patient is told, in their language."""
    return current_app.config["SETTINGS"].messages


def language_parts(code: str | None) -> tuple[str, str]:
    """A conversation's language as staff see it: ('FR', 'Français'), the name from that language's message
    catalog (its own spelling); ('', '') when none is known yet; a code without a catalog gives only the code."""
    if not code:
        return "", ""
    catalog = messages().catalogs.get(code)
    return code.upper(), catalog.name if catalog else ""


def language_label(code: str | None) -> str:
    """'FR Français', or '' when the conversation has no language yet."""
    return " ".join(part for part in language_parts(code) if part)


# What a patient typed as their phone number or e-mail address, checked before it becomes a link: anything else
# (a name, "call me after 5", "javascript:...") stays plain text.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
PHONE = re.compile(r"\+?[0-9(][0-9 ().-]{4,24}")


def contact_href(value) -> str:
    """A mailto: or tel: link for a phone number or e-mail address as the patient typed it; '' for anything else."""
    text = str(value or "").strip()
    if EMAIL.fullmatch(text):
        return "mailto:" + quote(text, safe="@.+-_")
    if PHONE.fullmatch(text) and 6 <= sum(c.isdigit() for c in text) <= 15:
        return "tel:" + ("+" if text.startswith("+") else "") + "".join(c for c in text if c.isdigit())
    return ""


def senders():
    """The channels' staff-reply senders (app.extensions, filled as the channels register)."""
    return current_app.extensions["senders"]


def as_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def local_time(moment: dt.datetime | None) -> str:
    """A time staff read at a glance, in the department's time zone: 'today 14:05', '23 Nov 2026 14:05'."""
    if moment is None:
        return ""
    zone = ZoneInfo(site().timezone)
    local = as_utc(moment).astimezone(zone)
    today = dt.datetime.now(zone).date()
    if local.date() == today:
        return f"today {local:%H:%M}"
    if local.date() == today - dt.timedelta(days=1):
        return f"yesterday {local:%H:%M}"
    return f"{local.day} {local:%b %Y %H:%M}"


def waiting_for(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long something has waited: '45 s', '12 min', '3 h 5 min', '4 days'."""
    if moment is None:
        return ""
    seconds = max(0, int(((now or dt.datetime.now(dt.UTC)) - as_utc(moment)).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days = seconds // 86400
    return "1 day" if days == 1 else f"{days} days"


def iso(moment: dt.datetime | None) -> str:
    return as_utc(moment).isoformat() if moment else ""


@bp.app_template_filter("local_time")
def _local_time_filter(moment):
    return local_time(moment)


@bp.app_template_filter("waiting_for")
def _waiting_filter(moment):
    return waiting_for(moment)


@bp.app_template_filter("language_parts")
def _language_parts_filter(code):
    return language_parts(code)


@bp.app_template_filter("contact_href")
def _contact_href_filter(value):
    return contact_href(value)


@bp.app_template_filter("iso")
def _iso_filter(moment):
    return iso(moment)


@bp.context_processor
def _labels():
    return {
        "KIND_LABELS": KIND_LABELS,
        "PRIORITY_LABELS": PRIORITY_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "CHANNEL_LABELS": CHANNEL_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "ROUTE_LABELS": ROUTE_LABELS,
        "site": site(),
    }


@bp.after_request
def _same_origin_referrer(response):
    # The CSRF check on HTTPS compares the Referer with the host; the gateway's
    # default "no-referrer" would make every inbox form fail behind TLS.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def wants_json() -> bool:
    return request.path.startswith("/inbox/api/")


def error_page(status: int, title: str, message: str):
    if wants_json():
        return jsonify({"error": message}), status
    return render_template("inbox/error.html", status=status, title=title, message=message), status


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    return error_page(
        400,
        "The form could not be sent",
        f"This form has expired or did not come from an inbox page. Go back, reload the page and try again. ({error.description})",
    )


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    titles = {
        400: "Something in the request is wrong",
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed here",
        413: "Too large",
        429: "Too many attempts",
    }
    messages = {
        403: "Your role does not give access to this page. Ask an administrator if you need it.",
        404: "There is nothing here. The ticket may have been deleted under the retention rules.",
        429: "Too many attempts in a short time. Wait a minute and try again.",
    }
    return error_page(error.code or 500, titles.get(error.code, error.name), messages.get(error.code, error.description or error.name))


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    log.exception("unexpected error in the inbox")
    return error_page(
        500,
        "Something went wrong",
        "Something went wrong on our side. Nothing was sent to the patient unless the page says so; "
        "reload the ticket and check before trying again.",
    )
