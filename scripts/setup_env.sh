#!/usr/bin/env bash
# Create or update one of the two virtual environments, idempotently.
# Usage: setup_env.sh rasa|app
# A stamp file records the hash of the requirement files the venv was built
# from; a second run with the same files does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
which_env="$1"

case "$which_env" in
  rasa) version=3.10; venv=.venv-rasa; reqs=(requirements/rasa.txt requirements/rasa-constraints.txt) ;;
  app)  version=3.11; venv=.venv;      reqs=(requirements/app.txt requirements/app-constraints.txt) ;;
  *) echo "usage: $0 rasa|app" >&2; exit 2 ;;
esac

stamp="$venv/.requirements.sha256"
want_hash=$(cat "${reqs[@]}" scripts/setup_env.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_hash" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi

python=$(scripts/find_python.sh "$version")
echo "setting up $venv with $python"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install -q --upgrade pip wheel

if [ "$which_env" = app ]; then
  # torch first and pinned: a looser requirement (sentence-transformers' own)
  # would otherwise pull the CUDA build and gigabytes of nvidia packages.
  "${pip[@]}" install -q "torch==2.13.0"
fi
"${pip[@]}" install -q -r "${reqs[0]}" -c "${reqs[1]}"

if [ "$which_env" = app ]; then
  if "${pip[@]}" list 2>/dev/null | grep -i -E '^(nvidia|cuda)' ; then
    echo "error: CUDA/nvidia packages were installed into $venv (see above); torch must be the CPU build 2.13.0" >&2
    exit 1
  fi
fi
echo "$want_hash" > "$stamp"
