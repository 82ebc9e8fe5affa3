"""Custom actions for the Rasa action server (`python -m rasa_sdk --actions actions`).

Importing them checks and loads nothing: the action server's start (actions/startup.py, called by its plug-in
hook) refuses production mode with draft texts and loads the index, so a process that only imports the actions
(a test worker) does not validate every text.
"""

import logging

from core import log_privacy

logging.basicConfig(level=logging.INFO)
log_privacy.install()
