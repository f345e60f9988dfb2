#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests that need a real server (the sync
# storage contract suite, scale-out tests). PostgreSQL refuses to run as root,
# so the cluster belongs to the `postgres` user, in its own directory, on a
# free loopback port, with password authentication.
#
#   scripts/test-postgres.sh start   # installs Debian's postgresql when missing, starts, prints the URL
#   scripts/test-postgres.sh url     # prints the URL of the running one
#   scripts/test-postgres.sh stop    # stops it and removes its directory
#
# Tests read the URL from KALPHITE_TEST_POSTGRES_URL (a superuser; each test
# creates and drops its own database).
set -euo pipefail
DIR="${KALPHITE_PG_DIR:-/tmp/kalphite-test-postgres}"
PASSWORD=kalphite

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

case "${1:-}" in
  start)
    if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
      echo "test-postgres: installing Debian's postgresql…" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    fi
    BIN="$(pg_bin)"
    if [ -f "$DIR/url" ] && su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DIR/data status" >/dev/null 2>&1; then
      cat "$DIR/url"; exit 0
    fi
    rm -rf "$DIR"; mkdir -p "$DIR"; chown postgres "$DIR"; chmod 700 "$DIR"
    PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
    printf '%s\n' "$PASSWORD" > "$DIR/pw"; chown postgres "$DIR/pw"
    su postgres -s /bin/sh -c "$BIN/initdb -D $DIR/data -U postgres -A scram-sha-256 --pwfile=$DIR/pw" >/dev/null
    su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DIR/data -l $DIR/log -w -o \"-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off\" start" >/dev/null
    echo "postgres://postgres:$PASSWORD@127.0.0.1:$PORT/postgres" > "$DIR/url"
    cat "$DIR/url"
    ;;
  url)
    cat "$DIR/url"
    ;;
  stop)
    BIN="$(pg_bin)"
    if [ -n "$BIN" ] && [ -d "$DIR/data" ]; then
      su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DIR/data -m fast -w stop" >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|url|stop" >&2; exit 2 ;;
esac
