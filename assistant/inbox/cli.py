"""`flask --app "assistant.gateway:create_app()" staff ...`: staff accounts for the inbox.

staff create USERNAME --role secretariat|clinician|supervisor|curator|admin [--name "Display Name"] [--password-stdin]
staff set-password USERNAME [--password-stdin]
staff deactivate USERNAME / staff activate USERNAME
staff list
"""

from __future__ import annotations

import re
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from assistant.inbox.auth import ROLES, check_password_rules, hash_password
from assistant.inbox.trail import record
from core.storage.models import StaffUser

staff_cli = AppGroup("staff", help="Staff accounts for the secretariat inbox.")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _db():
    return current_app.extensions["db"]


def _read_password(from_stdin: bool) -> str:
    password = sys.stdin.readline().rstrip("\r\n") if from_stdin else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = check_password_rules(password)
    if problem:
        raise click.ClickException(problem)
    return password


def _find(session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.lower()))
    if user is None:
        raise click.ClickException(f"no staff account named {username!r}")
    return user


@staff_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="what the account may do")
@click.option("--name", "display_name", default="", help='the name colleagues see, e.g. "Anna Smith"')
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of standard input")
def create(username: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Create a staff account; the password is asked for (typed twice) unless --password-stdin."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise click.ClickException("the user name must be 2 to 64 lower-case letters, digits or . _ - (starting with a letter or digit)")
    display_name = " ".join(display_name.split())[:128]
    with _db().session() as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
            raise click.ClickException(f"a staff account named {username!r} already exists")
    password = _read_password(password_stdin)
    with _db().session() as session:
        user = StaffUser(username=username, display_name=display_name, role=role, password_hash=hash_password(password), active=True)
        session.add(user)
        session.flush()
        record(session, None, "staff_create", detail=f"{username} ({role})")
    click.echo(f"created {role} account {username!r}")


@staff_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of standard input")
def set_password(username: str, password_stdin: bool) -> None:
    """Set a new password; the account's open sessions end."""
    with _db().session() as session:
        _find(session, username)
    password = _read_password(password_stdin)
    with _db().session() as session:
        user = _find(session, username)
        user.password_hash = hash_password(password)
        record(session, None, "staff_password", detail=user.username)
    click.echo(f"password changed for {username!r}; its open sessions have ended")


def _set_active(username: str, active: bool) -> None:
    with _db().session() as session:
        user = _find(session, username)
        user.active = active
        record(session, None, "staff_activate" if active else "staff_deactivate", detail=user.username)
    click.echo(f"{username!r} {'reactivated' if active else 'deactivated; its open sessions have ended'}")


@staff_cli.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Stop an account from signing in (kept so the audit log still names it)."""
    _set_active(username, False)


@staff_cli.command("activate")
@click.argument("username")
def activate(username: str) -> None:
    """Let a deactivated account sign in again."""
    _set_active(username, True)


@staff_cli.command("list")
def list_staff() -> None:
    """Every staff account, with role and whether it is active."""
    with _db().session() as session:
        users = list(session.scalars(select(StaffUser).order_by(StaffUser.username)))
    for user in users:
        click.echo(f"{user.username:24} {user.role:12} {'active' if user.active else 'deactivated':12} {user.display_name}")
    if not users:
        click.echo("no staff accounts yet: create one with `staff create USERNAME --role admin`")
