#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages.txt.
#
#   bash scripts/install-debian-packages.sh            # apt-get update + install -y (what CI does)
#   bash scripts/install-debian-packages.sh --if-missing
#                                                      # do nothing when all are installed already
#   bash scripts/install-debian-packages.sh --list     # print the package names, one a line
#
# Runs apt-get as root, or through sudo when not root. Never reads stdin.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list_file="$here/debian-packages.txt"

mode=always
case "${1:-}" in
  "") ;;
  --if-missing) mode=if-missing ;;
  --list) mode=list ;;
  *) echo "usage: $0 [--if-missing|--list]" >&2; exit 2 ;;
esac

# Package names: strip comments and blanks.
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list_file" | grep -v '^$')
if [ "${#packages[@]}" -eq 0 ]; then
  echo "install-debian-packages: no package in $list_file" >&2
  exit 1
fi

if [ "$mode" = list ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

if [ "$mode" = if-missing ]; then
  missing=()
  for p in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
    [ "$status" = installed ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-debian-packages: all ${#packages[@]} packages already installed"
    exit 0
  fi
  echo "install-debian-packages: missing: ${missing[*]}"
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo -n)   # -n: fail rather than prompt (no stdin in CI)
  else
    echo "install-debian-packages: not root and no sudo: install as root: ${packages[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-debian-packages: apt-get update"
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
echo "install-debian-packages: apt-get install -y ${packages[*]}"
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-upgrade "${packages[@]}" </dev/null
echo "install-debian-packages: done (${#packages[@]} packages)"
