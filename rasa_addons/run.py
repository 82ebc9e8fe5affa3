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


def install() -> None:
    """Check the Rasa version, then install every fix (safe to call twice)."""
    rasa_version.check_installed()
    from rasa_addons import action_validation

    action_validation.install()


def main(argv: list[str] | None = None) -> int:
    try:
        install()
    except rasa_version.IncompatibleRasa as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
