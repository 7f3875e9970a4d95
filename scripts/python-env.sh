#!/usr/bin/env bash
# Creates (once) .venv with the pinned Python packages the tests use: argon2-cffi and
# cryptography for interop vectors, the official openalgo SDK for compatibility runs,
# openapi-spec-validator for the OpenAPI document.
# Prints the interpreter path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
req="$root/scripts/interop/requirements.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$stamp"
fi
echo "$venv/bin/python"
