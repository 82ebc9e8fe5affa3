"""What the action server does once when it starts, before it serves (rasa_sdk_plugins/ calls `start`)."""

from __future__ import annotations

import datetime as dt
import logging

from actions import services
from knowledge import review

log = logging.getLogger(__name__)


def start() -> None:
    """Production mode: no start with draft or overdue texts, or the example site.yml (knowledge/review.py); it
    raises, and the action server stops. Then the index and the encoder load in the background, without
    delaying the start: otherwise the first patient's question waits for them and may run past the gateway's
    timeout."""
    review.enforce(services.settings(), dt.date.today(), log.warning)
    services.warm_up_in_background()
