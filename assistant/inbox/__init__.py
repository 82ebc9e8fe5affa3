"""The secretariat inbox: staff sign in, work the ticket queue, answer patients, read the audit log; curators
read the patients' questions and ratings (curator console).

register(app) adds the blueprint, CSRF protection for every form (the JSON
patient APIs under /api/ and the provider webhooks under /channels/ are
exempt: they use no cookie session), the staff session cookie settings and
the `flask staff ...` and `flask retention ...` commands.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFProtect

# The view modules attach their routes to the blueprint when imported.
from assistant.inbox import audit, auth, bulk, curator, export, queue, saved_replies, saved_views, tickets  # noqa: F401
from assistant.inbox.blueprint import bp
from assistant.inbox.cli import staff_cli
from assistant.inbox.retention import retention_cli
from assistant.inbox.secret_key import secret_key

__all__ = ["bp", "register"]

csrf = CSRFProtect()
CSRF_EXEMPT_PREFIXES = ("/api/", "/channels/")
STAFF_SESSION_HOURS = 8  # one working shift


def _protect_forms() -> None:
    if not current_app.config["WTF_CSRF_ENABLED"] or request.endpoint is None:
        return
    if request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return
    csrf.protect()


def register(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(settings)
    app.config.update(
        SESSION_COOKIE_NAME="ir_inbox_session",
        # Only the inbox reads the staff session; patient APIs never receive the cookie.
        SESSION_COOKIE_PATH="/inbox",
        # ASSISTANT_INSECURE_COOKIES=1 only for plain http on 127.0.0.1 (tests, `make run`).
        SESSION_COOKIE_SECURE=not settings.insecure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=STAFF_SESSION_HOURS),
        # Checked by _protect_forms (every path but the exempt prefixes), not by Flask-WTF's own hook.
        WTF_CSRF_CHECK_DEFAULT=False,
        # Valid as long as the staff session: a reply typed slowly is not lost to an expired token.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    app.before_request(_protect_forms)
    app.register_blueprint(bp)
    auth.limit_sign_in(app)
    app.cli.add_command(staff_cli)
    app.cli.add_command(retention_cli)
