"""The Rasa version the extensions were written for.

`action_validation` replaces a private method of Rasa's `RemoteAction`,
`tracker_store` builds on private parts of Rasa's `SQLTrackerStore`, and
`lock_store` replaces `LockStore.lock`, relying on how Rasa's agent, processor
and server call it; another Rasa version may have changed any of them without
notice. So the entry point (rasa_addons/run.py), the tracker store and the lock
stores refuse to run on any other version.
After upgrading Rasa: run tests/test_rasa_addons.py and the system tests
against the new version, then change WRITTEN_FOR (the pin in
requirements/rasa-constraints.txt must say the same; a unit test checks it).
"""

from __future__ import annotations

WRITTEN_FOR = "3.6.21"


class IncompatibleRasa(RuntimeError):
    """The installed Rasa is not the one the extensions were written for."""


def check(installed: str) -> None:
    if installed != WRITTEN_FOR:
        raise IncompatibleRasa(
            f"rasa_addons was written for Rasa {WRITTEN_FOR} and replaces parts of Rasa's internals, but Rasa "
            f"{installed} is installed. Reinstall Rasa {WRITTEN_FOR} (requirements/rasa-constraints.txt), or check "
            f"rasa_addons against {installed} (tests/test_rasa_addons.py, the system tests) and update WRITTEN_FOR "
            "in rasa_addons/rasa_version.py."
        )


def check_installed() -> None:
    """Fail unless the Rasa this process imports is the version the extensions were written for."""
    from rasa.version import __version__

    check(__version__)
