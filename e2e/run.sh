#!/usr/bin/env bash
# The unit tests of the playground's Bruno semantics (unit/), then the browser tests:
# builds the server, installs playwright-core (npm ci) and runs the tests with Debian's
# Chromium. Screenshots go to e2e/artifacts/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "e2e: $chromium not found; install it with: apt-get install -y chromium" >&2
  exit 1
fi
cargo build --quiet --bin algogate
cd "$here"
if [[ ! -d node_modules/playwright-core ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --silent
fi
# The unit tests of the playground's Bruno semantics check against Bruno's own runtime,
# from the CLI pinned in tools/bru (the one scripts/bru-run.sh uses).
if [[ ! -d "$root/tools/bru/node_modules/@usebruno/js" ]] || [[ "$root/tools/bru/package-lock.json" -nt "$root/tools/bru/node_modules/.package-lock.json" ]]; then
  (cd "$root/tools/bru" && npm ci --no-audit --no-fund --silent)
fi
node --test unit/
rm -rf artifacts
ALGOGATE_BIN="$root/target/debug/algogate" CHROMIUM_PATH="$chromium" \
  node --test --test-concurrency=1 tests/
