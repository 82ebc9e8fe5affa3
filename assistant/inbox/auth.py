"""Staff sign-in: argon2 password hashes, roles, and the decorators every inbox view uses.

The session cookie holds the staff id and a fingerprint of the password hash and the account's session
generation, so deactivating an account, changing its password or signing out ends its sessions at once,
on the server: a copy of the cookie saved before no longer works.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, flash, g, jsonify, make_response, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from sqlalchemy import select, update

from assistant import rate_limits
from assistant.inbox import throttle
from assistant.inbox.blueprint import bp, db, wants_json
from assistant.inbox.forms import ActionForm, LoginForm
from assistant.inbox.trail import record
from core.storage.models import StaffUser

ROLES = ("secretariat", "clinician", "supervisor", "curator", "admin")
ROLE_NAMES = {
    "secretariat": "Secretariat",
    "clinician": "Clinician",
    "supervisor": "Supervisor",
    "curator": "Curator",
    "admin": "Administrator",
}
# Who may read the queue and tickets (with the patients' contact details) and act on them.
WORK_ROLES = ("secretariat", "clinician", "supervisor", "admin")
# Who may read and export the audit log.
AUDIT_ROLES = ("supervisor", "admin")
# Who may use the curator console: the patients' questions with contact details masked, ratings, texts, reports.
CURATION_ROLES = ("curator", "clinician", "admin")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# argon2id with the RFC 9106 low-memory profile (64 MiB, 3 passes). Tests set
# INBOX_PASSWORD_HASHER to a cheaper one so hundreds of sign-ins stay fast.
DEFAULT_HASHER = PasswordHasher()


def _hasher() -> PasswordHasher:
    return current_app.config.get("INBOX_PASSWORD_HASHER") or DEFAULT_HASHER


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    return (hasher or _hasher()).hash(password)


def check_password_rules(password: str) -> str | None:
    """Why the password cannot be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must be at most {MAX_PASSWORD_LENGTH} characters long"
    return None


_unknown_user_hashes: dict[int, str] = {}


def _unknown_user_hash(hasher: PasswordHasher) -> str:
    key = id(hasher)
    if key not in _unknown_user_hashes:
        _unknown_user_hashes[key] = hasher.hash("no such user; hashed so an unknown name takes as long as a wrong password")
    return _unknown_user_hashes[key]


def authenticate(db_session, username: str, password: str) -> StaffUser | None:
    hasher = _hasher()
    user = db_session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))
    try:
        hasher.verify(user.password_hash if user else _unknown_user_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password, hasher)
    return user


def _fingerprint(user: StaffUser) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{user.id}:{user.session_generation}:{user.password_hash}".encode(), hashlib.sha256).hexdigest()[:32]


def _signed_in_this_shift() -> bool:
    # The pages poll every few seconds, which keeps the cookie fresh: the sign-in itself expires after one shift.
    signed_in_at = session.get("signed_in_at")
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    return isinstance(signed_in_at, int) and time.time() - signed_in_at < lifetime


def current_staff() -> StaffUser | None:
    if "staff" not in g:
        g.staff = None
        staff_id = session.get("staff_id")
        if isinstance(staff_id, int):
            with db().session() as db_session:
                user = db_session.get(StaffUser, staff_id)
            if _signed_in_this_shift() and user and user.active and hmac.compare_digest(session.get("fingerprint", ""), _fingerprint(user)):
                g.staff = user
            else:
                session.clear()
    return g.staff


def _not_signed_in():
    if wants_json():
        return jsonify({"error": "you are signed out; reload the page to sign in again"}), 401
    if request.method == "GET":
        return redirect(url_for("inbox.login", next=request.full_path.rstrip("?")))
    flash("You were signed out, so nothing was done. Sign in and try again.", "error")
    return redirect(url_for("inbox.login"))


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_staff() is None:
            return _not_signed_in()
        return view(*args, **kwargs)

    return wrapper


def role_required(*roles: str):
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return _not_signed_in()
            if staff.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


@bp.context_processor
def _staff_in_templates():
    # formdata=None: the buttons only need a fresh token, and reading the submitted form here would raise again
    # while the error page for a refused request (413: too large) is drawn.
    staff = current_staff()
    return {
        "staff": staff,
        "ROLE_NAMES": ROLE_NAMES,
        "action_form": ActionForm(formdata=None),
        "may_work_tickets": staff is not None and staff.role in WORK_ROLES,
        "may_read_audit": staff is not None and staff.role in AUDIT_ROLES,
        "may_curate": staff is not None and staff.role in CURATION_ROLES,
        "home_url": url_for(home_endpoint(staff.role)) if staff else url_for("inbox.login"),
    }


SAFE_NEXT = re.compile(r"/inbox/[^\\\x00-\x20\x7f]*")


def home_endpoint(role: str) -> str:
    """The first page of a role: the queue for those who work tickets, the curator console for curators."""
    return "inbox.queue" if role in WORK_ROLES else "inbox.curator_questions"


def _safe_next(target: str | None, role: str) -> str:
    # Only back into the inbox: never to another site ("//evil.example", "https://...").
    # No control characters either: a line break in a Location header would split the response.
    if target and SAFE_NEXT.fullmatch(target):
        return target
    return url_for(home_endpoint(role))


def limit_sign_in(app: Flask) -> None:
    """Sign-in attempts per address (once the inbox's blueprint is registered). A user name is not locked:
    inbox/throttle.py makes each wrong password from one address wait longer, so nobody can lock a real
    user out by guessing."""
    rate_limits.limit(app, "inbox.login", "5 per minute", methods=["POST"])


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET" and current_staff() is not None:
        return redirect(_safe_next(request.args.get("next"), current_staff().role))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        address = get_remote_address()
        wait = throttle.seconds_to_wait(current_app.extensions[rate_limits.EXTENSION].storage, form.username.data, address)
        if wait:
            error = f"Too many wrong passwords for this user name. Try again in {wait} seconds."
            response = make_response(render_template("inbox/login.html", form=form, error=error), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        with db().session() as db_session:
            user = authenticate(db_session, form.username.data, form.password.data)
            if user is None:
                known = db_session.scalar(select(StaffUser.id).where(StaffUser.username == form.username.data.strip().lower()))
                record(db_session, known, "login_failed", detail="wrong password or inactive account" if known else "unknown user name")
            else:
                record(db_session, user.id, "login")
        if user is None:
            throttle.failed(current_app.extensions[rate_limits.EXTENSION].storage, form.username.data, address)
            error = "That user name and password do not match an active account."
        else:
            throttle.succeeded(current_app.extensions[rate_limits.EXTENSION].storage, form.username.data, address)
            session.clear()  # a new session: nothing from before signing in carries over
            session.permanent = True
            session["staff_id"] = user.id
            session["fingerprint"] = _fingerprint(user)
            session["signed_in_at"] = int(time.time())
            return redirect(_safe_next(request.args.get("next"), user.role), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("inbox/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    staff = current_staff()
    if staff is not None:
        with db().session() as db_session:
            db_session.execute(
                update(StaffUser).where(StaffUser.id == staff.id).values(session_generation=StaffUser.session_generation + 1)
            )
            record(db_session, staff.id, "logout")
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("inbox.login"), code=303)
