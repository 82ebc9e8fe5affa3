"""Providers retry a webhook they think failed; each message id is handled once.

The ids are recorded in the transaction that stores their messages as jobs (core/storage/channel_jobs.py),
before the webhook is answered: a retry of a message whose job was stored is a duplicate, and a retry of a
message that was never stored (the gateway died before it could) is a new message.
"""

MAX_ID_CHARS = 128  # the column's size
