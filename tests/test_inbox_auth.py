"""Who may use the inbox: sign-in, roles, CSRF, sessions, cookies, the secret key and staff accounts."""

from __future__ import annotations

import os
import re
import stat
import time

import pytest
from sqlalchemy import select, update

from core.storage.models import AuditEntry, Conversation, Message, StaffUser
from tests.support.inbox import (
    CHEAP_HASHER,
    PASSWORD,
    client_for,
    create_staff,
    csrf_from,
    login,
    make_app,
    page_token,
    post_form,
    raise_ticket,
    signed_in,
)
from tests.support.web import web_headers

SQLITE_ONLY = pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)


def audit_actions(db) -> list[tuple[int | None, str]]:
    with db.session() as session:
        return [(e.staff_id, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_anonymous_visitors_are_sent_to_sign_in_and_see_no_patient_data(inbox_app):
    ticket = raise_ticket(inbox_app.extensions["db"], "p1", "urgent", "bleeding from the groin")
    client = client_for(inbox_app)

    for path in ("/inbox/", f"/inbox/tickets/{ticket}", "/inbox/audit"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/inbox/login?next=")
    poll = client.get("/inbox/api/urgent?after=0")
    assert poll.status_code == 401
    assert "signed out" in poll.json["error"]
    assert b"bleeding" not in client.get(f"/inbox/api/tickets/{ticket}/messages").data


def test_an_anonymous_form_post_with_a_valid_token_still_changes_nothing(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client = client_for(inbox_app)
    token = page_token(client, "/inbox/login")  # a real token, but nobody signed in

    response = client.post(f"/inbox/tickets/{ticket}/take-over", data={"csrf_token": token, "expected": ""})

    assert response.status_code == 302 and response.headers["Location"] == "/inbox/login"
    with db.session() as session:
        assert session.scalar(select(Conversation.taken_over_by_id)) is None


def test_the_right_password_opens_the_queue_and_a_wrong_one_does_not(inbox_app):
    db = inbox_app.extensions["db"]
    staff_id = create_staff(db, "anna", "secretariat")
    client = client_for(inbox_app)

    wrong = login(client, "anna", "not the password at all")
    assert wrong.status_code == 400
    assert "do not match an active account" in wrong.get_data(as_text=True)
    assert client.get("/inbox/").status_code == 302

    right = login(client, "Anna", PASSWORD)  # user names are not case-sensitive
    assert right.status_code == 303 and right.headers["Location"] == "/inbox/"
    assert client.get("/inbox/").status_code == 200
    assert audit_actions(db) == [(staff_id, "login_failed"), (staff_id, "login")]


def test_an_unknown_user_and_a_deactivated_account_cannot_sign_in(inbox_app):
    db = inbox_app.extensions["db"]
    create_staff(db, "gone", "secretariat", active=False)
    client = client_for(inbox_app)
    assert login(client, "gone").status_code == 400
    assert login(client, "nobody").status_code == 400
    assert client.get("/inbox/").status_code == 302


@pytest.mark.parametrize(("role", "audit_status"), [("secretariat", 403), ("clinician", 403), ("admin", 200)])
def test_each_role_reaches_what_it_may(inbox_app, role, audit_status):
    ticket = raise_ticket(inbox_app.extensions["db"], "p1", "clinical", "my wound is red")
    client, _ = signed_in(inbox_app, f"user-{role}", role)

    assert client.get("/inbox/").status_code == 200
    assert client.get(f"/inbox/tickets/{ticket}").status_code == 200
    assert client.get("/inbox/api/urgent?after=0").status_code == 200
    audit = client.get("/inbox/audit")
    assert audit.status_code == audit_status
    if audit_status == 403:
        assert "Your role does not give access" in audit.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client, _ = signed_in(inbox_app, "anna")

    reply = client.post(f"/inbox/tickets/{ticket}/reply", data={"text": "We have booked you for Monday."})
    take_over = client.post(f"/inbox/tickets/{ticket}/take-over", data={"expected": ""})

    for response in (reply, take_over):
        assert response.status_code == 400
        assert "reload the page and try again" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(Message)).all() == []
        assert session.scalar(select(Conversation.taken_over_by_id)) is None


def test_a_csrf_token_from_another_staff_members_session_is_refused(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    anna, _ = signed_in(inbox_app, "anna")
    ben, _ = signed_in(inbox_app, "ben")
    bens_token = page_token(ben, f"/inbox/tickets/{ticket}")

    response = anna.post(f"/inbox/tickets/{ticket}/reply", data={"csrf_token": bens_token, "text": "Hello"})

    assert response.status_code == 400
    with db.session() as session:
        assert session.scalars(select(Message)).all() == []


def test_a_session_ends_when_its_account_is_deactivated_or_its_password_changes(inbox_app):
    db = inbox_app.extensions["db"]
    anna, anna_id = signed_in(inbox_app, "anna")
    ben, ben_id = signed_in(inbox_app, "ben")
    assert anna.get("/inbox/").status_code == 200 and ben.get("/inbox/").status_code == 200

    with db.session() as session:
        session.execute(update(StaffUser).where(StaffUser.id == anna_id).values(active=False))
        new_hash = CHEAP_HASHER.hash("a brand new password")
        session.execute(update(StaffUser).where(StaffUser.id == ben_id).values(password_hash=new_hash))

    assert anna.get("/inbox/").status_code == 302
    assert ben.get("/inbox/").status_code == 302


@SQLITE_ONLY
def test_a_sign_in_expires_after_one_shift_even_while_the_page_keeps_polling(inbox_app):
    client, _ = signed_in(inbox_app, "anna")
    with client.session_transaction("/inbox/") as session:
        session["signed_in_at"] -= 8 * 3600 - 60
    assert client.get("/inbox/api/urgent?after=0").status_code == 200
    with client.session_transaction("/inbox/") as session:
        session["signed_in_at"] -= 120
    assert client.get("/inbox/api/urgent?after=0").status_code == 401
    assert client.get("/inbox/").status_code == 302


def test_signing_out_ends_the_session(inbox_app):
    client, _ = signed_in(inbox_app, "anna")
    response = post_form(client, "/inbox/logout", token_from="/inbox/")
    assert response.status_code == 303
    assert client.get("/inbox/").status_code == 302


def test_a_cookie_saved_before_signing_out_no_longer_works(inbox_app):
    client, _ = signed_in(inbox_app, "anna")
    saved = client.get_cookie("ir_inbox_session", path="/inbox").value
    assert post_form(client, "/inbox/logout", token_from="/inbox/").status_code == 303

    replay = client_for(inbox_app)
    replay.set_cookie("ir_inbox_session", saved, path="/inbox")
    assert replay.get("/inbox/").status_code == 302
    assert replay.get("/inbox/api/urgent?after=0").status_code == 401
    again = client_for(inbox_app)
    assert login(again, "anna").status_code == 303 and again.get("/inbox/").status_code == 200  # signing in again works


@SQLITE_ONLY
def test_wrong_passwords_from_many_addresses_never_lock_the_real_user_out(inbox_app):
    create_staff(inbox_app.extensions["db"], "anna")
    for _ in range(12):  # 48 wrong passwords from 12 addresses, under each address's per-minute limit
        attacker = client_for(inbox_app)
        assert [login(attacker, "anna", f"guess {n}").status_code for n in range(4)] == [400] * 4
    assert login(client_for(inbox_app), "anna", PASSWORD).status_code == 303


@SQLITE_ONLY
def test_repeated_wrong_passwords_for_one_user_from_one_address_wait_longer_each_time(inbox_app, monkeypatch):
    from assistant import rate_limits

    # The per-address limit of 5 a minute is tested above.
    monkeypatch.setattr(inbox_app.extensions[rate_limits.EXTENSION], "enabled", False)
    create_staff(inbox_app.extensions["db"], "anna")
    create_staff(inbox_app.extensions["db"], "ben")
    client = client_for(inbox_app)
    # The waits pass on the clock the throttle and the limiter's storage read (time.time), not in real time.
    skipped = [0.0]
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + skipped[0])
    assert [login(client, "anna", f"guess {n}").status_code for n in range(5)] == [400] * 5

    waits = []
    for n in range(2):
        refused = login(client, "anna", PASSWORD)  # straight after: even the right password waits, unchecked
        assert refused.status_code == 429 and "Try again in" in refused.get_data(as_text=True)
        waits.append(int(refused.headers["Retry-After"]))
        assert login(client, "anna", f"another guess {n}").status_code == 429  # a moment later it still waits
        skipped[0] += waits[-1] + 0.1
        assert login(client, "anna", f"another guess {n}").status_code == 400
    refused = login(client, "anna", PASSWORD)
    waits.append(int(refused.headers["Retry-After"]))
    assert waits == [1, 2, 4]

    assert login(client, "ben", PASSWORD).status_code == 303  # another account from the same address is not slowed
    assert login(client_for(inbox_app), "anna", PASSWORD).status_code == 303  # nor the same account elsewhere


@SQLITE_ONLY
def test_sign_in_attempts_are_rate_limited_per_address(inbox_app):
    create_staff(inbox_app.extensions["db"], "anna")
    client = client_for(inbox_app)
    statuses = [login(client, "anna", f"guess number {n}").status_code for n in range(6)]
    assert statuses == [400] * 5 + [429]
    assert login(client, "anna", PASSWORD).status_code == 429  # even the right password waits
    other_address = client_for(inbox_app)
    assert login(other_address, "anna", PASSWORD).status_code == 303


@SQLITE_ONLY
def test_after_sign_in_only_addresses_inside_the_inbox_are_followed(inbox_app):
    create_staff(inbox_app.extensions["db"], "anna")
    for target, expected in [
        ("/inbox/audit", "/inbox/audit"),
        ("//evil.example/inbox/", "/inbox/"),
        ("https://evil.example/", "/inbox/"),
        ("/api/chat", "/inbox/"),
    ]:
        client = client_for(inbox_app)
        token = page_token(client, "/inbox/login")
        response = client.post(f"/inbox/login?next={target}", data={"csrf_token": token, "username": "anna", "password": PASSWORD})
        assert response.headers["Location"] == expected


def test_the_session_cookie_is_secure_httponly_samesite_and_only_for_the_inbox(storage_url, tmp_path, monkeypatch):
    app = make_app(storage_url, tmp_path, monkeypatch, insecure_cookies=False)
    create_staff(app.extensions["db"], "anna")
    client = client_for(app, base_url="https://localhost")
    response = client.get("/inbox/login", base_url="https://localhost")
    token = csrf_from(response.get_data(as_text=True))
    response = client.post(
        "/inbox/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/inbox/login"},
        data={"csrf_token": token, "username": "anna", "password": PASSWORD},
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ir_inbox_session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/inbox"):
        assert attribute in cookie
    app.extensions["db"].engine.dispose()


@SQLITE_ONLY
def test_pages_have_a_content_security_policy_and_no_inline_script_or_style(inbox_app):
    ticket = raise_ticket(inbox_app.extensions["db"], "p1", "urgent", "help")
    client, _ = signed_in(inbox_app, "root", "admin")
    for path in ("/inbox/login", "/inbox/", f"/inbox/tickets/{ticket}", "/inbox/audit"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["Referrer-Policy"] == "same-origin"
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"inline script on {path}"
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), f"inline style or handler on {path}"


@SQLITE_ONLY
def test_the_patient_api_and_provider_webhooks_need_no_csrf_token(inbox_app):
    client = client_for(inbox_app)
    chat = client.post("/api/chat", json={"message": "what is embolization?"}, headers=web_headers(client.application, "p1"))
    assert chat.status_code == 200  # Rasa is not running here: the safe reply, but not a CSRF refusal
    webhook = client.post("/channels/twilio", data={"From": "+447700900123", "Body": "hello"})
    assert "CSRF" not in webhook.get_data(as_text=True)
    assert webhook.status_code != 400 or "token" not in webhook.get_data(as_text=True)


def test_a_secret_key_is_generated_once_kept_private_and_reused(database_url, tmp_path, monkeypatch):
    first = make_app(database_url, tmp_path, monkeypatch)
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    second = make_app(database_url, tmp_path, monkeypatch)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32


def test_the_secret_key_from_the_environment_wins_and_a_short_one_is_refused(database_url, tmp_path, monkeypatch):
    from assistant.gateway import create_app
    from core.config import Settings

    make_app(database_url, tmp_path, monkeypatch)  # sets the other variables
    monkeypatch.setenv("ASSISTANT_SECRET_KEY", "k" * 40)
    assert create_app(Settings.from_env()).config["SECRET_KEY"] == "k" * 40
    monkeypatch.setenv("ASSISTANT_SECRET_KEY", "too-short")
    with pytest.raises(RuntimeError, match="too short"):
        create_app(Settings.from_env())


def test_staff_create_makes_an_account_that_can_sign_in(database_url, tmp_path, monkeypatch):
    inbox_app = make_app(database_url, tmp_path, monkeypatch, production_hashing=True)
    runner = inbox_app.test_cli_runner()
    result = runner.invoke(
        args=["staff", "create", "Anna.Smith", "--role", "clinician", "--name", "Anna Smith", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created clinician account 'anna.smith'" in result.output
    with inbox_app.extensions["db"].session() as session:
        user = session.scalar(select(StaffUser))
        assert (user.username, user.display_name, user.role) == ("anna.smith", "Anna Smith", "clinician")
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106 low-memory profile
    client = client_for(inbox_app)
    assert login(client, "anna.smith", "a long enough password").status_code == 303


@SQLITE_ONLY
def test_staff_create_asks_for_the_password_twice(inbox_app):
    runner = inbox_app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", "ben", "--role", "secretariat"], input="typed carefully twice\ntyped carefully twice\n")
    assert result.exit_code == 0, result.output
    assert login(client_for(inbox_app), "ben", "typed carefully twice").status_code == 303


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["staff", "create", "anna", "--role", "secretariat", "--password-stdin"], "short", "at least 12 characters"),
        (["staff", "create", "anna", "--role", "janitor", "--password-stdin"], "a long enough password", "Invalid value for '--role'"),
        (["staff", "create", "Anna Smith!", "--role", "admin", "--password-stdin"], "a long enough password", "lower-case letters"),
        (["staff", "create", "existing", "--role", "admin", "--password-stdin"], "a long enough password", "already exists"),
    ],
)
def test_staff_create_refuses_bad_input(inbox_app, args, password, message):
    create_staff(inbox_app.extensions["db"], "existing")
    result = inbox_app.test_cli_runner().invoke(args=args, input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output
    with inbox_app.extensions["db"].session() as session:
        assert session.scalars(select(StaffUser.username)).all() == ["existing"]


@SQLITE_ONLY
def test_deactivating_an_account_and_setting_a_password_from_the_command_line(inbox_app):
    db = inbox_app.extensions["db"]
    create_staff(db, "anna")
    runner = inbox_app.test_cli_runner()
    assert runner.invoke(args=["staff", "set-password", "anna", "--password-stdin"], input="the new password 123\n").exit_code == 0
    assert login(client_for(inbox_app), "anna", PASSWORD).status_code == 400
    assert login(client_for(inbox_app), "anna", "the new password 123").status_code == 303
    assert runner.invoke(args=["staff", "deactivate", "anna"]).exit_code == 0
    assert login(client_for(inbox_app), "anna", "the new password 123").status_code == 400
    listing = runner.invoke(args=["staff", "list"]).output
    assert re.search(r"anna\s+secretariat\s+deactivated", listing)
