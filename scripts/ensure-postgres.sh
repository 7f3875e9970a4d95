#!/usr/bin/env bash
# Installs Debian's PostgreSQL server when it is missing: the store's tests and the api
# suite's PostgreSQL run (scripts/postgres-tmp.sh) start their own server from it.
# Prints the directory that holds initdb, pg_ctl and postgres.
set -euo pipefail
find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] && { echo "$d"; return 0; }
  done
  d="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
  [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] && { echo "$d"; return 0; }
  return 1
}
find_bin && exit 0
echo "== installing postgresql (apt-get)" >&2
if [[ $(id -u) -eq 0 ]]; then
  apt-get update -qq && apt-get install -y -qq postgresql >&2
else
  sudo apt-get update -qq && sudo apt-get install -y -qq postgresql >&2
fi
find_bin
