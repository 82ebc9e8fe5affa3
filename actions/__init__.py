"""Custom actions for the Rasa action server (`python -m rasa_sdk --actions actions`)."""

import logging

from actions import services
from assistant import log_privacy

logging.basicConfig(level=logging.INFO)
log_privacy.install()

# Load the embedding model and the index in the background as soon as the
# action server imports its actions, without blocking its start: otherwise the
# first patient's question waits for the model and may run past the gateway's
# timeout.
services.warm_up_in_background()
