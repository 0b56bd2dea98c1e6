#!/usr/bin/env bash
# Installs moto's AWS API emulator (PyPI `moto[server]`) into .cache/moto-venv, once, and prints the
# path of its `moto_server` command on stdout (progress goes to stderr). Quick when already
# installed: nothing is fetched then. The tests (test/support/moto.ts) run this, then start
# `moto_server -H 127.0.0.1 -p <free port>`. Safe to run from several test processes at once.
# ESON_MOTO_SPEC overrides what pip installs (default: moto[server] 5.x).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/moto-venv"
spec="${ESON_MOTO_SPEC:-moto[server]>=5.1,<6}"
server="$venv/bin/moto_server"
stamp="$venv/.eson-installed"

installed() {
  [ -x "$server" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$spec" ] &&
    "$venv/bin/python" -c 'import moto.server' 2>/dev/null
}

if installed; then
  echo "$server"
  exit 0
fi

mkdir -p "$root/.cache"
# One installer at a time; the others wait, then find it installed.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/.cache/moto-venv.lock"
  flock 9
  if installed; then
    echo "$server"
    exit 0
  fi
fi

# Debian's python3 needs python3-venv (ensurepip) to make a venv: install it when it is missing.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "eson: installing Debian packages: $*" >&2
  $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

find_python() {
  local candidate
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

python="$(find_python)" || { apt_install python3 python3-venv && python="$(find_python)"; } || {
  echo "eson: moto needs Python >= 3.9 with the venv module (Debian: apt-get install -y python3 python3-venv)" >&2
  exit 1
}

echo "eson: installing $spec from PyPI into .cache/moto-venv" >&2
# A venv half made by an earlier, interrupted run is made anew.
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >&2; then
    rm -rf "$venv"
    apt_install python3-venv || true
    "$python" -m venv "$venv" >&2 || {
      echo "eson: could not make a Python venv (Debian: apt-get install -y python3-venv)" >&2
      exit 1
    }
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$spec" >&2
[ -x "$server" ] || { echo "eson: pip installed moto but $server is missing" >&2; exit 1; }
printf '%s' "$spec" >"$stamp"
echo "$server"
