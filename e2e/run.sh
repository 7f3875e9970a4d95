#!/usr/bin/env bash
# Browser tests: builds the server, installs playwright-core (npm ci) and runs the tests
# with Debian's Chromium. Screenshots go to e2e/artifacts/.
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
rm -rf artifacts
ALGOGATE_BIN="$root/target/debug/algogate" CHROMIUM_PATH="$chromium" \
  node --test --test-concurrency=1 tests/
