#!/usr/bin/env bash
# Installs Debian's pebble (a small ACME CA for tests) when it is missing: the ACME tests
# (crates/server/tests/api/acme.rs) run it on 127.0.0.1 with their own configuration.
set -euo pipefail
command -v pebble >/dev/null && exit 0
echo "== installing pebble (apt-get)" >&2
if [[ $(id -u) -eq 0 ]]; then
  apt-get update -qq && apt-get install -y -qq pebble >&2
else
  sudo apt-get update -qq && sudo apt-get install -y -qq pebble >&2
fi
