#!/usr/bin/env bash
# Shared set-up steps for the project's scripts: a new enough Node, and node_modules.
root="${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
ESON_MIN_NODE_MAJOR=22
ESON_MIN_NODE_MINOR=22
ESON_NODE_PACKAGE="node@24"

node_is_new_enough() {
  command -v node >/dev/null 2>&1 || return 1
  local v major minor
  v="$(node -p 'process.versions.node' 2>/dev/null)" || return 1
  major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
  [ "$major" -gt "$ESON_MIN_NODE_MAJOR" ] || { [ "$major" -eq "$ESON_MIN_NODE_MAJOR" ] && [ "$minor" -ge "$ESON_MIN_NODE_MINOR" ]; }
}

ensure_node() {
  if [ -x "$root/.cache/node/node_modules/.bin/node" ]; then
    export PATH="$root/.cache/node/node_modules/.bin:$PATH"
  fi
  node_is_new_enough && return 0
  echo "eson: installing $ESON_NODE_PACKAGE from the npm registry into .cache/node" >&2
  mkdir -p "$root/.cache/node"
  (cd "$root/.cache/node" && [ -f package.json ] || echo '{"private":true}' > package.json)
  (cd "$root/.cache/node" && npm install --no-audit --no-fund --loglevel=error "$ESON_NODE_PACKAGE" >&2)
  export PATH="$root/.cache/node/node_modules/.bin:$PATH"
  node_is_new_enough || { echo "eson: could not get Node >= $ESON_MIN_NODE_MAJOR.$ESON_MIN_NODE_MINOR" >&2; exit 1; }
}

ensure_deps() {
  if [ ! -d "$root/node_modules" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    echo "eson: installing npm dependencies" >&2
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

# Installs Debian packages whose commands are missing (CI machines start without them).
# Arguments are command names; debian_package_of maps each to its package.
ensure_debian_packages() {
  local missing=() cmd pkg
  for cmd in "$@"; do
    # named and tsig-keygen live in /usr/sbin, which is not on every user's PATH.
    { command -v "$cmd" || [ -x "/usr/sbin/$cmd" ]; } >/dev/null 2>&1 && continue
    pkg="$(debian_package_of "$cmd")"
    missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "eson: installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

debian_package_of() {
  case "$1" in
    dig|nsupdate) echo bind9-dnsutils ;;
    named|named-checkconf|tsig-keygen) echo bind9 ;;
    *) echo "$1" ;;
  esac
}
