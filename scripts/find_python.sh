#!/usr/bin/env bash
# Print the path of a working Python interpreter of the given minor version.
# Usage: find_python.sh 3.10
# Order: $PYTHON310 / $PYTHON311, then pyenv's installed versions (without the
# shim, which fails when another version is the global one), then PATH.
set -euo pipefail
want="$1"
var="PYTHON${want/./}"
works() { [ -n "$1" ] && [ -x "$1" ] && "$1" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.')))" 2>/dev/null; }

if [ -n "${!var:-}" ]; then
  if works "${!var}"; then echo "${!var}"; exit 0; fi
  echo "error: $var=${!var} is not a working Python $want interpreter" >&2; exit 1
fi
if command -v pyenv >/dev/null 2>&1; then
  for candidate in $(ls -d "$(pyenv root)"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -V -r); do
    if works "$candidate"; then echo "$candidate"; exit 0; fi
  done
fi
for candidate in "python$want" "/usr/bin/python$want" "/usr/local/bin/python$want"; do
  path=$(command -v "$candidate" 2>/dev/null || true)
  if works "$path"; then echo "$path"; exit 0; fi
done
echo "error: Python $want not found; install it (e.g. 'pyenv install $want' or your system's python$want package) or set $var to its path" >&2
exit 1
