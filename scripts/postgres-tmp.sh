#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests: a temporary data directory, 127.0.0.1 on a free
# port, run as an unprivileged user (initdb refuses root: as root it runs as the
# `postgres` system user Debian's package creates, or a dedicated `algogate-pg` user).
# Clients on the loopback and the server's own socket are trusted; nothing else listens.
# Durability is off (fsync, synchronous_commit): the data dies with the directory anyway.
#
#   postgres-tmp.sh run CMD ARGS...  starts a server, runs CMD with ALGOGATE_TEST_DATABASE
#                                    set to its base URL, stops the server, removes its
#                                    directory and exits with CMD's status.
#   postgres-tmp.sh serve            starts a server, prints its base URL on one line, and
#                                    stops it (and removes its directory) when its stdin
#                                    closes: a test process holds the pipe, so the server
#                                    ends with it, even if it panics or is killed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$("$root/scripts/ensure-postgres.sh")"

as_user=()
if [[ $(id -u) -eq 0 ]]; then
  user=postgres
  if ! id -u "$user" >/dev/null 2>&1; then
    user=algogate-pg
    id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  fi
  as_user=(runuser -u "$user" --)
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/algogate-pg.XXXXXX")"
[[ ${#as_user[@]} -eq 0 ]] || chown "$user" "$dir"
data="$dir/data"
started=

stop() {
  if [[ -n $started ]]; then
    "${as_user[@]}" "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

"${as_user[@]}" "$bin/initdb" --no-sync -D "$data" -U algogate --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
port=
for _ in 1 2 3 4 5; do
  port="$(free_port)"
  if "${as_user[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >/dev/null 2>&1; then
    started=1
    break
  fi
done
[[ -n $started ]] || { echo "postgres-tmp.sh: the server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }
url="postgres://algogate@127.0.0.1:$port"

case "${1:-}" in
  run)
    shift
    [[ $# -gt 0 ]] || { echo "usage: $0 run CMD ARGS..." >&2; exit 2; }
    status=0
    ALGOGATE_TEST_DATABASE="$url" "$@" || status=$?
    exit "$status"
    ;;
  serve)
    echo "$url"
    # Until the parent closes our stdin (or dies).
    cat >/dev/null || true
    ;;
  *)
    echo "usage: $0 run CMD ARGS... | serve" >&2
    exit 2
    ;;
esac
