#!/usr/bin/env bash
# Compatibility run against a real server: starts `algogate serve` on a free loopback port
# with a throwaway data directory, creates a user from the CLI, then drives it with real
# clients (Bruno's CLI over collections/, the Python suite under tests/compat/), and finally
# checks that nothing the server printed contains the key or the password.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${ALGOGATE_BIN:-$root/target/debug/algogate}"
[ -x "$bin" ] || { echo "compat: $bin not built (cargo build --bin algogate)" >&2; exit 2; }
python="$("$root/scripts/python-env.sh")"

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

ag() { "$bin" --data-dir "$work/data" "$@"; }

# Exists before the server starts, or the polling below could read it before the
# background job has opened it.
: >"$work/server.log"
# The clients run their requests back to back from one IP; the limiter has its own tests.
export API_RATE_LIMIT="1000 per second" ORDER_RATE_LIMIT="1000 per second" SMART_ORDER_RATE_LIMIT="1000 per second"
# The binary itself, not the function: `ag … &` would fork a subshell, `$!` would be
# that subshell, and killing it would leave the server running.
ALGOGATE_LOG=debug "$bin" --data-dir "$work/data" serve --http-addr 127.0.0.1:0 --ws-addr 127.0.0.1:0 \
  >"$work/server.log" 2>&1 &
pid=$!
base=""
ws_url=""
for _ in $(seq 1 300); do
  base="$(sed -n 's/^algogate is listening on //p' "$work/server.log" | head -n1)"
  ws_url="$(sed -n 's/^WebSocket feed on \(ws:[^ ]*\).*/\1/p' "$work/server.log" | head -n1)"
  [ -n "$base" ] && [ -n "$ws_url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$base" ] && [ -n "$ws_url" ] || { echo "compat: server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
echo "compat: server at $base, WebSocket feed at $ws_url"

password="Gate-Pw-9x-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$password" | ag user create --username compat --admin --password-stdin
key="$(ag apikey show --user compat)"
if [ -n "${ALGOGATE_SECRETS_MANIFEST:-}" ]; then
  printf '%s\n%s\n' "$key" "$password" >>"$ALGOGATE_SECRETS_MANIFEST"
fi

status=0
"$root/scripts/bru-run.sh" --host "$base" --apikey "$key" || status=1
# Again with the key only in an X-API-KEY header: a copy of the collection with every
# body/query `apikey` moved there (crates/bruno/examples/header_auth.rs).
echo "compat: bru run with the key in an X-API-KEY header"
if (cd "$root" && cargo run --quiet -p algogate-bruno --example header_auth -- collections "$work/header-collection"); then
  "$root/scripts/bru-run.sh" --host "$base" --apikey "$key" --collection "$work/header-collection" || status=1
else
  status=1
fi
for t in "$root"/tests/compat/test_*.py; do
  [ -e "$t" ] || continue
  echo "compat: $(basename "$t")"
  ALGOGATE_HOST="$base" ALGOGATE_WS_URL="$ws_url" ALGOGATE_APIKEY="$key" ALGOGATE_USERNAME=compat \
    ALGOGATE_PASSWORD="$password" "$python" "$t" || status=1
done

kill -TERM "$pid"; wait "$pid" || true; pid=""
if [ -n "${ALGOGATE_CAPTURE_DIR:-}" ]; then
  cp "$work/server.log" "$ALGOGATE_CAPTURE_DIR/compat-server.log"
fi
if grep -qF -e "$key" -e "$password" "$work/server.log"; then
  echo "compat: a secret appeared in the server log" >&2
  status=1
fi
exit "$status"
