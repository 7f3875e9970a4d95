#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, integration, black-box binary tests), the
# Python interop checks, the OpenAPI document's validation, the compatibility run against a
# live server with real clients, and the browser tests (e2e/run.sh: Playwright driving
# Debian's Chromium). The ACME tests run Debian's pebble (scripts/ensure-pebble.sh installs it).
# The store's tests and a second run of the api suite use a real PostgreSQL server, started
# on a temporary directory and a free port and stopped again (scripts/postgres-tmp.sh;
# scripts/ensure-postgres.sh installs Debian's postgresql when missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python="$(scripts/python-env.sh)"
scripts/ensure-chromium.sh
scripts/ensure-pebble.sh
scripts/ensure-postgres.sh >/dev/null

echo "== cargo test --workspace"
cargo test --workspace

echo "== the api suite again, on PostgreSQL (a database per app on a throwaway server)"
scripts/postgres-tmp.sh run cargo test -p algogate-server --test api

echo "== Python accepts algogate's hashes and tokens"
cargo run --quiet -p algogate-keys --example emit_vectors | "$python" scripts/interop/check_rust_vectors.py

echo "== the OpenAPI document validates (openapi-spec-validator)"
openapi_doc="$(mktemp)"
trap 'rm -f "$openapi_doc"' EXIT
cargo run --quiet --bin algogate -- openapi >"$openapi_doc"
"$python" -m openapi_spec_validator "$openapi_doc"

echo "== compatibility run against a live server"
cargo build --quiet --bin algogate
scripts/compat.sh

echo "== browser tests (e2e/run.sh)"
e2e/run.sh

echo "== all tests passed"
