"""Fixes the Rasa server loads at start (Python 3.10, the Rasa environment only).

endpoints.yml names `rasa_addons.tracker_store.TunedSQLTrackerStore` as the
tracker store, so Rasa imports this package when it starts, and the fix below
is applied before the first conversation:

- `action_validation`: Rasa 3.6 checks every action server reply against its
  schema with `jsonschema.validate`, which first re-checks the schema itself
  against the JSON Schema meta-schema: about 20 ms of CPU per custom action,
  more than the answer action's own work; then each event against all 23
  event schemas (about 0.3 ms an event). The reply is now checked with
  validators built once, each event against its own type's schema (the same
  verdicts and errors).
"""

from rasa_addons import action_validation

action_validation.install()
