"""Blocking actions run in worker threads: one conversation's answer does not hold up another's."""

from __future__ import annotations

import asyncio
import threading

from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.threaded import ThreadedAction


class WaitsForTheOther(ThreadedAction):
    """Blocks until the other action has started: possible only if both run at once."""

    def __init__(self, started: threading.Event | None = None, other_started: threading.Event | None = None) -> None:
        # Defaults: the action server's registry instantiates every action class it finds, this one included.
        self.started, self.other_started = started or threading.Event(), other_started or threading.Event()

    def name(self) -> str:
        return "action_waits_for_the_other"

    def run_blocking(self, dispatcher, tracker, domain):
        self.started.set()
        met = self.other_started.wait(timeout=10)
        dispatcher.utter_message(text="met" if met else "alone")
        return []


def test_two_blocking_actions_run_at_the_same_time():
    first, second = threading.Event(), threading.Event()
    dispatchers = [CollectingDispatcher(), CollectingDispatcher()]
    tracker = Tracker.from_dict({"sender_id": "a", "slots": {}, "latest_message": {}, "events": []})

    async def both():
        await asyncio.gather(
            WaitsForTheOther(first, second).run(dispatchers[0], tracker, {}),
            WaitsForTheOther(second, first).run(dispatchers[1], tracker, {}),
        )

    asyncio.run(both())

    assert [d.messages[0]["text"] for d in dispatchers] == ["met", "met"]


def test_the_action_server_registers_the_threaded_actions_but_not_their_base():
    executor = ActionExecutor()
    executor.register_package("actions")  # raised for the base class before it was abstract

    assert {"action_answer_question", "action_handle_fallback"} <= set(executor.actions)
