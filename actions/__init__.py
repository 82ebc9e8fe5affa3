"""Custom actions for the Rasa action server (`python -m rasa_sdk --actions actions`)."""

import datetime as dt
import logging

from actions import services
from core import log_privacy
from knowledge import review

logging.basicConfig(level=logging.INFO)
log_privacy.install()
# Production mode: no start with draft or overdue texts, or the example site.yml (knowledge/review.py).
review.enforce(services.settings(), dt.date.today(), logging.getLogger(__name__).warning)

# Load the embedding model and the index in the background as soon as the
# action server imports its actions, without blocking its start: otherwise the
# first patient's question waits for the model and may run past the gateway's
# timeout.
services.warm_up_in_background()
