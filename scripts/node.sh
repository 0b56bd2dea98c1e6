#!/usr/bin/env bash
# Runs Node >= 22.22 with the project's dependencies installed, whatever Node the machine has.
# The machine's node is used when new enough; otherwise Node 24 comes from the npm registry's
# `node` package into .cache/node (the only registry this project may assume).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"
ensure_node
ensure_deps
exec node "$@"
