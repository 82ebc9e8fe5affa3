"""Which Rasa server (and action server) a conversation goes to: rendezvous hashing of its sender id.

Every gateway computes the same order for a sender from the same list of servers, without talking to each
other, so all of one conversation's turns reach one Rasa server, which keeps its tracker and is the only one
taking the conversation's lock. When a server is removed from the list only its conversations move; when the
preferred server refuses connections the next one in the sender's order takes the turn (the Redis lock store
and the tracker store in PostgreSQL keep that correct).
"""

from __future__ import annotations

import hashlib


def preference(sender_id: str, count: int) -> list[int]:
    """Indexes 0..count-1, the sender's preferred server first (the same order in every process)."""

    def weight(index: int) -> bytes:
        return hashlib.blake2b(f"{index}\0{sender_id}".encode(), digest_size=8).digest()

    return sorted(range(count), key=weight, reverse=True)
