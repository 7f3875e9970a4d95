#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable whatever else the
# machine is doing, so it compares request paths where wall-clock figures are noise.
# Starts the release binary under callgrind (instrumentation off), warms each path, then
# counts N sequential keep-alive requests of each: GET /health, POST /api/v1/ping with a
# valid (cached) key, and with an unknown key (negative cache).
# Usage: scripts/bench-instructions.sh [BIN]   (N=2000 by default; needs valgrind, python3)
# Note: valgrind's virtual CPU lacks SHA-NI, so SHA-256 (the key fingerprint) runs in
# software here and counts several times what it costs natively.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/target/release/algogate}"
n="${N:-2000}"
port="${PORT:-5987}"
dir="$(mktemp -d)"
vpid=""
cleanup() {
  [ -n "$vpid" ] && kill "$vpid" 2>/dev/null && wait "$vpid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
export API_KEY_PEPPER="bench-instructions-pepper-0000000000000000000000000000000000000000"
export FERNET_SALT=abababababababababababababababab ALGOGATE_LOG=warn
export API_RATE_LIMIT="100000000 per second" ORDER_RATE_LIMIT="100000000 per second"
echo 'Zq-pass-1234!x' | "$bin" --data-dir "$dir" user create --username bench --password-stdin >/dev/null
key="$("$bin" --data-dir "$dir" apikey show --user bench | tail -1)"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dir/cg.out" \
  "$bin" --data-dir "$dir" serve --http-addr "127.0.0.1:$port" >"$dir/server.log" 2>"$dir/valgrind.log" &
vpid=$!
for _ in $(seq 1 600); do
  curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
  sleep 0.5
done
send() {
  python3 - "$1" "$key" "$n" "$port" <<'PY'
import http.client, sys
kind, key, n, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    if kind == "health":
        c.request("GET", "/health")
    else:
        k = key if kind == "valid" else "e" * 64
        c.request("POST", "/api/v1/ping", body='{"apikey":"%s"}' % k,
                  headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != (403 if kind == "unknown" else 200):
        sys.exit(f"{kind}: unexpected status {r.status}")
PY
}
declare -A per
for kind in health valid unknown; do
  send "$kind"
  callgrind_control -i on "$vpid" >/dev/null 2>&1
  send "$kind"
  callgrind_control -i off "$vpid" >/dev/null 2>&1
  callgrind_control -d "$kind" "$vpid" >/dev/null 2>&1
  file=""
  for _ in $(seq 1 100); do
    file="$(grep -l "^desc: Trigger: dump $kind\$" "$dir"/cg.out.* 2>/dev/null | head -1 || true)"
    [ -n "$file" ] && grep -q '^totals:' "$file" && break
    sleep 0.2
  done
  total="$(grep -m1 '^totals:' "$file" | awk '{print $2}')"
  per[$kind]=$((total / n))
done
echo "| request | instructions per request |"
echo "| --- | ---: |"
echo "| GET /health | ${per[health]} |"
echo "| POST /api/v1/ping, valid key (cached) | ${per[valid]} |"
echo "| POST /api/v1/ping, unknown key (negative cache) | ${per[unknown]} |"
python3 -c "import sys; h,v,u=map(int,sys.argv[1:]); print(f'\n- health / valid ping instructions: **{h/v:.2f}**; health / unknown ping: **{h/u:.2f}**')" "${per[health]}" "${per[valid]}" "${per[unknown]}"
