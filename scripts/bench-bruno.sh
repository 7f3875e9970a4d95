#!/usr/bin/env bash
# Parse throughput of algogate-bruno vs Bruno's official parser (@usebruno/lang, node), side
# by side over the same files: Bruno's fixtures and the project's collection.
#
#   scripts/bench-bruno.sh                  # BENCH_SECONDS=5 per side by default
#   BRULANG_DIR=/tmp/brulang scripts/bench-bruno.sh
#
# Needs node and `npm install @usebruno/lang` in $BRULANG_DIR (installed there when
# missing). Not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

BRULANG_DIR=${BRULANG_DIR:-/tmp/brulang}
export BRULANG_DIR BENCH_SECONDS=${BENCH_SECONDS:-5}
if [ ! -d "$BRULANG_DIR/node_modules/@usebruno/lang" ]; then
  mkdir -p "$BRULANG_DIR"
  (cd "$BRULANG_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent @usebruno/lang)
fi

DIRS=(crates/bruno/tests/fixtures/v2 collections)
cargo build --quiet --release -p algogate-bruno --example parse_bench
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

ours=$("$target_dir/release/examples/parse_bench" "${DIRS[@]}")
theirs=$(node crates/bruno/bench/official.mjs "${DIRS[@]}")
echo "$ours"
echo "$theirs"

files_of() { sed -n 's/.*: \([0-9]*\) files ([0-9]* rejected), \([0-9]*\) bytes.*/\1 \2/p' <<<"$1"; }
median_of() { sed -n 's/.*median \([0-9.]*\) MB\/s.*/\1/p' <<<"$1"; }
if [ "$(files_of "$ours")" != "$(files_of "$theirs")" ]; then
  echo "warning: the two parsers did not accept the same files; the ratio compares different inputs" >&2
fi
awk -v a="$(median_of "$ours")" -v b="$(median_of "$theirs")" \
  'BEGIN { printf "ratio (median MB/s, algogate-bruno / official): %.1fx\n", a / b }'
