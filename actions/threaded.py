"""Actions whose work blocks (embedding, search, the database) run in a worker thread.

rasa-sdk awaits a synchronous `run()` on its one event loop, so while one
conversation's question was embedded every other conversation's action waited.
Run in a thread, the loop keeps accepting calls, and ONNX Runtime and FAISS, which
release the GIL, let two answers be computed on two cores at once.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ThreadedAction(Action, ABC):
    """Abstract, so rasa-sdk does not register the base class itself as an action."""

    @abstractmethod
    def run_blocking(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        """The action's work, blocking; subclasses implement this instead of `run`."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        return await asyncio.to_thread(self.run_blocking, dispatcher, tracker, domain)
