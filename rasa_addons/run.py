"""`python -m rasa_addons.run ARGS...`: Rasa's own command line (`rasa ARGS...`), with the project's fixes installed.

The Procfile starts the Rasa server this way. The fixes are installed here, in
one place, before Rasa reads its arguments: not as a side effect of Rasa
importing something named in a configuration file. Each is checked first: the
installed Rasa must be the version the fixes were written for, and what a fix
replaces must exist; otherwise this exits before Rasa starts, saying why.
"""

from __future__ import annotations

import sys

from rasa_addons import rasa_version


def install(argv: list[str] | None = None) -> None:
    """Check the Rasa version, then install every fix (safe to call twice); `argv` is Rasa's command line, whose
    endpoints file may ask for the internal token (rasa_addons/internal_auth.py)."""
    rasa_version.check_installed()
    from rasa_addons import action_validation, internal_auth, model_report, tracker_store_errors

    action_validation.install()
    model_report.install()
    tracker_store_errors.install()
    internal_auth.install(argv or [])


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    try:
        install(arguments)
    except (rasa_version.IncompatibleRasa, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *arguments]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
