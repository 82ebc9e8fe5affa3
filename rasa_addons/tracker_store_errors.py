"""A turn whose conversation cannot be read or saved fails, instead of running on an empty conversation.

Rasa 3.6 wraps every tracker store in a FailSafeTrackerStore: when the store fails to read a conversation it
logs an error and hands the turn a new, empty one, and when it fails to save, it keeps the turn's events in an
in-memory store nothing reads again. A question such as "what are the risks?" then gets an answer without the
procedure the patient named earlier (about whichever text scores best, another procedure's), and a save that
succeeds once the database is back appends a new session, so the conversation's later turns lose it too.

Here the store's error goes on up: the turn fails, Rasa's REST channel answers with no message, and the gateway
gives the patient its safe reply and keeps the message for the secretariat (assistant/rasa_client.py). Nothing is
ever kept in the in-memory fallback. Nothing of Rasa is imported until `install` runs.
"""

from __future__ import annotations

from typing import NoReturn


def fail_the_turn(error: Exception) -> NoReturn:
    """FailSafeTrackerStore's error callback: called inside its `except`, before the fallback is used."""
    raise error


def install() -> None:
    """Make the Agent's FailSafeTrackerStore raise its store's errors (safe to call twice)."""
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore

    from rasa_addons.rasa_version import IncompatibleRasa

    create = getattr(Agent, "_create_tracker_store", None)
    if not callable(create):
        raise IncompatibleRasa("rasa.core.agent.Agent no longer has the _create_tracker_store that tracker_store_errors wraps")
    if getattr(create, "fails_the_turn", False):
        return

    def create_tracker_store_failing_the_turn(store, domain):
        wrapped = create(store, domain)
        if not isinstance(wrapped, FailSafeTrackerStore):
            raise IncompatibleRasa("Agent._create_tracker_store no longer returns a FailSafeTrackerStore")
        wrapped._on_tracker_store_error = fail_the_turn
        return wrapped

    create_tracker_store_failing_the_turn.fails_the_turn = True  # type: ignore[attr-defined]
    Agent._create_tracker_store = staticmethod(create_tracker_store_failing_the_turn)  # type: ignore[method-assign]
