"""Validate action server replies with validators built once, one per event type.

Rasa 3.6 checks every action server reply with `jsonschema.validate(reply, schema)`.
That costs twice over:

- `validate` checks the schema against the meta-schema on every call (the
  2020-12 one, with dynamic references: more CPU than the answer action's own
  work). Rasa's schema never changes, so it is checked once.
- Each event is checked against a `oneOf` of 23 event schemas, so every
  `SlotSet` is validated 23 times. Every branch pins
  `event` to its own constant, so an event whose `event` names a branch can
  match only that branch: it is checked against the event schema's common part
  and that branch alone, which accepts and refuses exactly what the `oneOf` does.

Anything the fast path does not accept (an unknown event type, a missing
`event`, a reply that is not an object) is checked again by the full schema,
so an invalid reply is refused with the same error and Rasa's own message.
What each costs: docs/BENCHMARKS.md, "Measurements behind design choices".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from rasa_addons.rasa_version import IncompatibleRasa


@dataclass(frozen=True)
class ReplyValidators:
    full: Any  # the whole reply schema, as Rasa checks it
    outline: Any  # the reply schema without the per-event checks
    by_event: dict[str, Any]  # event type -> the event schema's common part and that type's branch

    def is_valid(self, reply: Any) -> bool:
        if not self.outline.is_valid(reply):
            return False
        for event in reply.get("events") or []:
            event_type = event.get("event") if isinstance(event, dict) else None
            checker = self.by_event.get(event_type) if isinstance(event_type, str) else None
            if checker is None or not checker.is_valid(event):
                return False
        return True


def event_branches(schema: dict) -> tuple[dict, list[dict]]:
    """The event schema's common part, and its `oneOf` branches."""
    items = schema["properties"]["events"]["items"]
    return {key: value for key, value in items.items() if key != "oneOf"}, items["oneOf"]


@lru_cache(maxsize=1)
def reply_validators() -> ReplyValidators:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    common, branches = event_branches(schema)
    types = [branch.get("properties", {}).get("event", {}).get("const") for branch in branches]
    # The shortcut is exact only while each branch pins an event type of its own; if a Rasa upgrade broke that,
    # every event would go to the full schema instead.
    exact = all(isinstance(t, str) for t in types) and len(set(types)) == len(types)
    outline = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
    return ReplyValidators(
        full=validator_class(schema),
        outline=validator_class(outline),
        by_event={event_type: validator_class({"allOf": [common, branch]}) for event_type, branch in zip(types, branches, strict=True)}
        if exact
        else {},
    )


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """What RemoteAction._validate_action_result does, with validators built once."""
    validators = reply_validators()
    if validators.is_valid(result):
        return True
    try:
        validators.full.validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


def install() -> None:
    """Replace RemoteAction._validate_action_result (rasa_addons/run.py calls this once Rasa's version is checked)."""
    if not callable(getattr(RemoteAction, "_validate_action_result", None)) or not callable(
        getattr(RemoteAction, "action_response_format_spec", None)
    ):
        raise IncompatibleRasa(
            "Rasa's RemoteAction no longer has the _validate_action_result and "
            "action_response_format_spec methods that rasa_addons/action_validation.py replaces and reads"
        )
    RemoteAction._validate_action_result = validate_action_result
