#!/usr/bin/env bash
# A private PostgreSQL for DrLlm.Cluster: its own data directory, port and socket directory, trust auth on localhost.
#   deploy/postgres.sh start  [DIR]   initdb DIR if needed, start the server, print the connection string
#   deploy/postgres.sh stop   [DIR]   fast shutdown
#   deploy/postgres.sh status [DIR]   "running PORT" or "stopped" (exit 0 / 3)
#   deploy/postgres.sh url    [DIR]   the connection string of DIR's server
# DIR defaults to .cache/pg under the repository. The port is chosen when DIR is first initialised and kept in
# DIR/drllm.port, so a second start reuses it: $PGPORT if set, else the first free one from 55432 up. It never touches
# the system cluster.
# PostgreSQL refuses to run as root: as root, the server runs as the 'postgres' user (or 'nobody') through runuser.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:-}"; dir="${2:-$repo/.cache/pg}"
port="${PGPORT:-55432}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "error: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (run deploy/install-deps.sh)" >&2; exit 1
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    local u=postgres; id "$u" >/dev/null 2>&1 || u=nobody
    runuser -u "$u" -- "$@"
  else "$@"; fi
}
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p="$1"
  while in_use "$p"; do p=$((p + 1)); [ "$p" -lt "$(( $1 + 200 ))" ] || { echo "error: no free port in $1..$p" >&2; exit 1; }; done
  echo "$p"
}
url() {
  local p; p="$(cat "$dir/drllm.port" 2>/dev/null || echo "$port")"
  echo "Host=127.0.0.1;Port=$p;Username=drllm;Database=drllm"
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ "$(id -u)" -eq 0 ]; then
      u=postgres; id "$u" >/dev/null 2>&1 || u=nobody
      chown "$u" "$dir"
      # the owner must reach its data directory through every parent
      d="$dir"; while [ "$d" != "/" ]; do d="$(dirname "$d")"; chmod o+x "$d" 2>/dev/null || true; done
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U drllm --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { echo "error: initdb failed, see $dir/initdb.log" >&2; exit 1; }
      if [ -n "${PGPORT:-}" ]; then echo "$PGPORT" >"$dir/drllm.port"; else free_port "$port" >"$dir/drllm.port"; fi
    fi
    p="$(cat "$dir/drllm.port")"
    if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then url; exit 0; fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-p $p -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off" start >/dev/null \
      || { echo "error: PostgreSQL did not start, see $dir/server.log" >&2; exit 1; }
    # the database the connection string names
    "$bin/psql" -h 127.0.0.1 -p "$p" -U drllm -d postgres -tAc "select 1 from pg_database where datname='drllm'" | grep -q 1 \
      || "$bin/createdb" -h 127.0.0.1 -p "$p" -U drllm drllm
    url ;;
  stop)
    [ -f "$dir/data/PG_VERSION" ] || exit 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true ;;
  status)
    if [ -f "$dir/data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      echo "running $(cat "$dir/drllm.port")"; else echo stopped; exit 3; fi ;;
  url) url ;;
  *) echo "usage: deploy/postgres.sh start|stop|status|url [DIR]" >&2; exit 2 ;;
esac
