#!/usr/bin/env bash
# Makes (once) the venv of scripts/requirements-test.txt and prints its python.
#   python="$(bash scripts/test-venv.sh)"
# The venv lives under TEST_VENV (default ~/.cache/swift-multiurisrc/test-venv-<hash of
# the requirements>): a changed pin makes a new one, an unchanged one is reused.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$repo/scripts/requirements-test.txt"
hash="$(sha256sum "$req" | cut -c1-12)"
venv="${TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-multiurisrc/test-venv-$hash}"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2
  timeout -k 10 300 "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
