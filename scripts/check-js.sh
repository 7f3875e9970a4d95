#!/usr/bin/env bash
# Type-checks the browser JavaScript (web/static/js, shipped as written: no build step) with
# the TypeScript compiler pinned in tools/tsc/package-lock.json: JSDoc types, checkJs, noEmit,
# strict (web/tsconfig.json). Installs the compiler with `npm ci` when it is missing or the
# lock file is newer. Prints only the errors (nothing when there are none); exits non-zero
# when there are any.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/tools/tsc"
tsc="$tools/node_modules/.bin/tsc"

if [[ ! -x "$tsc" ]] || [[ "$tools/package-lock.json" -nt "$tools/node_modules/.package-lock.json" ]]; then
  if ! command -v npm >/dev/null; then
    echo "check-js: npm not found (install Node.js and npm)" >&2
    exit 1
  fi
  (cd "$tools" && npm ci --no-audit --no-fund --silent >/dev/null)
fi

cd "$root"
"$tsc" -p web/tsconfig.json --pretty false
