#!/usr/bin/env bash
# Run the test suite; pytest's exit code 5 ("no tests collected") is a failure
# here too, since it means the suite was not found.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
