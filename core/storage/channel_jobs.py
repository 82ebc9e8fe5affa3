"""SMS and WhatsApp messages waiting to be answered: a durable queue in the database, shared by every gateway.

A webhook stores its messages as jobs, in the transaction that records their provider ids (so a provider's
retry of a stored message is a duplicate, and a retry of one never stored is not), before it answers the
provider. Workers in every gateway process then claim them:

- one conversation's jobs run strictly one after another, in arrival order: only a conversation's oldest job
  not yet done can be claimed, and only while no other job of that conversation is under a live lease;
- on PostgreSQL the candidates are read with `FOR UPDATE SKIP LOCKED` (a job another worker is claiming is
  skipped, not waited for), and a transaction-level advisory lock per conversation makes two workers that
  pick two jobs of one conversation at once decide one after the other; on SQLite (one process) a lock in
  the process does the same;
- a claim carries a lease: the job of a worker that was killed is claimed again once its lease has passed
  (after MAX_ATTEMPTS claims it is set aside as `abandoned`, so one poisonous message cannot hold up the
  conversation forever, and a ticket in the same transaction asks staff to reply to it from the inbox);
- a job is marked done by its holder only after the reply was sent; its text is then removed (the transcript
  has it), and retention deletes done jobs with the rest (assistant/inbox/retention.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import zlib
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from core.storage.database import Database
from core.storage.models import ChannelJob, InboundMessage
from core.storage.tickets import raise_unanswered

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
CANDIDATES = 8  # jobs read per claim; the first whose conversation is free is taken
ANSWERED, FAILED, ABANDONED = "answered", "failed", "abandoned"


@dataclass(frozen=True)
class NewJob:
    channel: str
    sender_key: str
    message_id: str
    payload: dict


@dataclass(frozen=True)
class Job:
    id: int
    channel: str
    sender_key: str
    payload: dict
    attempts: int


def enqueue(db: Database, provider: str, jobs: list[NewJob]) -> list[NewJob]:
    """Record the jobs' message ids and store the jobs, in one transaction; the jobs stored (a message id
    recorded before, or twice in `jobs`, is left out). An IntegrityError means another delivery recorded one
    of the ids meanwhile: the caller tries again and that id is then a duplicate."""
    first_of: dict[str, NewJob] = {}
    for job in jobs:
        first_of.setdefault(job.message_id, job)
    unique = list(first_of.values())
    if not unique:
        return []
    with db.session() as session:
        seen = set(
            session.scalars(
                select(InboundMessage.message_id).where(
                    InboundMessage.provider == provider, InboundMessage.message_id.in_([job.message_id for job in unique])
                )
            )
        )
        new = [job for job in unique if job.message_id not in seen]
        session.add_all(InboundMessage(provider=provider, message_id=job.message_id) for job in new)
        session.add_all(
            ChannelJob(channel=job.channel, sender_key=job.sender_key, provider=provider, message_id=job.message_id, payload=job.payload)
            for job in new
        )
    return new


_in_process = threading.Lock()  # SQLite: one process, so a lock here serialises the claims


def claim(db: Database, holder: str, lease_seconds: float) -> Job | None:
    """Take the next job whose conversation is free, under a lease of `lease_seconds`; None when there is none."""
    if db.engine.dialect.name == "postgresql":
        return _claim(db, holder, lease_seconds, skip_locked=True)
    with _in_process:
        return _claim(db, holder, lease_seconds, skip_locked=False)


def _claimable(now: dt.datetime):
    other = aliased(ChannelJob)
    blocked_by = (
        select(other.id)
        .where(
            other.channel == ChannelJob.channel,
            other.sender_key == ChannelJob.sender_key,
            other.done_at.is_(None),
            other.id != ChannelJob.id,
            or_(other.id < ChannelJob.id, other.lease_until >= now),
        )
        .exists()
    )
    return and_(ChannelJob.done_at.is_(None), or_(ChannelJob.lease_until.is_(None), ChannelJob.lease_until < now), ~blocked_by)


def _claim(db: Database, holder: str, lease_seconds: float, skip_locked: bool) -> Job | None:
    now = dt.datetime.now(dt.UTC)
    with db.session() as session:
        set_aside = True
        while set_aside:  # a job set aside lets its conversation's next one be claimed: read again
            set_aside = False
            query = select(ChannelJob).where(_claimable(now)).order_by(ChannelJob.id).limit(CANDIDATES)
            if skip_locked:
                query = query.with_for_update(skip_locked=True, of=ChannelJob)
            for job in session.scalars(query).all():
                if skip_locked and not _conversation_lock(session, job):
                    continue  # another worker is claiming a job of this conversation right now
                # Read again now that the conversation is ours: a claim committed since the first read shows here.
                if skip_locked and session.scalar(select(ChannelJob.id).where(ChannelJob.id == job.id, _claimable(now))) is None:
                    continue
                if job.attempts >= MAX_ATTEMPTS:
                    log.error("channel job %d set aside: its worker died on each of %d attempts", job.id, job.attempts)
                    job.done_at, job.outcome, job.lease_until = now, ABANDONED, None
                    raise_unanswered(session, job.channel, job.sender_key, _what(job.payload))
                    session.flush()
                    set_aside = True
                    continue
                job.holder, job.lease_until, job.attempts = holder, now + dt.timedelta(seconds=lease_seconds), job.attempts + 1
                return Job(job.id, job.channel, job.sender_key, dict(job.payload), job.attempts)
    return None


def _what(payload: dict) -> str:
    if "text" in payload:
        return f"The message: {payload['text']}"
    return f"The patient sent {payload.get('media', 'an attachment')}."


def _conversation_lock(session: Session, job: ChannelJob) -> bool:
    """PostgreSQL's advisory lock on the conversation until the transaction ends; False when another has it."""
    key = zlib.crc32(f"channel-job\0{job.channel}\0{job.sender_key}".encode())
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


def finish(db: Database, job: Job, holder: str, outcome: str = ANSWERED) -> bool:
    """Mark the job done; False when this holder no longer held it (its lease passed and another took it)."""
    with db.session() as session:
        done = session.execute(
            update(ChannelJob)
            .where(ChannelJob.id == job.id, ChannelJob.holder == holder, ChannelJob.done_at.is_(None))
            .values(done_at=dt.datetime.now(dt.UTC), outcome=outcome, lease_until=None, payload={})  # the text is in the transcript
            .returning(ChannelJob.id)
        )
        return done.first() is not None


def waiting(db: Database) -> int:
    """Jobs not done yet, whoever holds them."""
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ChannelJob).where(ChannelJob.done_at.is_(None))) or 0
