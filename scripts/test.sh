#!/usr/bin/env bash
# The test command (README): installs what a clean machine lacks, then runs every test.
# Unit tests need nothing; integration and end-to-end tests start their own servers on free
# ports (agents, BIND9 `named`, the moto AWS emulator) and use outside clients (`openssl s_client`,
# `dig`, `nsupdate`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"
ensure_node
ensure_deps
ensure_debian_packages openssl named named-checkconf tsig-keygen dig nsupdate python3
# moto (the AWS emulator) goes into .cache/moto-venv; test/support/moto.ts also calls this.
bash "$root/scripts/moto.sh" >/dev/null
cd "$root"
# Each file runs in its own process; two at a time fits a 2-core machine.
exec node --test --test-reporter=spec --test-concurrency=2 --test-timeout=300000 \
  'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/e2e/**/*.test.ts' "$@"
