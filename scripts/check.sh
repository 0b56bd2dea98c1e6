#!/usr/bin/env bash
# Static checks: type-check (tsc, strict), type-checked lint (eslint), formatting (prettier).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"
ensure_node
ensure_deps
cd "$root"
echo "== tsc" && npx --no-install tsc --noEmit -p .
echo "== eslint" && npx --no-install eslint --max-warnings=0 .
echo "== prettier" && npx --no-install prettier --check . --log-level=warn
echo "checks passed"
