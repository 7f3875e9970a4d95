#!/usr/bin/env bash
# Fails if any secret listed in MANIFEST (one per line: keys, passwords, peppers the tests
# used) appears in any of the captured LOG files. Reports the log and line numbers, never
# the secret itself.
set -euo pipefail
manifest="$1"; shift
patterns="$(mktemp)"
trap 'rm -f "$patterns"' EXIT
sort -u "$manifest" | grep -v '^$' >"$patterns" || true
count=$(wc -l <"$patterns")
[ "$count" -gt 0 ] || { echo "check-secrets: the manifest is empty: nothing was recorded" >&2; exit 2; }
found=0
for log in "$@"; do
  lines=$(grep -n -F -f "$patterns" "$log" | cut -d: -f1 | head -n 20 | tr '\n' ' ' || true)
  if [ -n "$lines" ]; then
    echo "check-secrets: a recorded secret appears in $log at line(s) $lines" >&2
    found=1
  fi
done
[ "$found" = 0 ] || exit 1
echo "check-secrets: none of the $count recorded secrets appears in: $*"
