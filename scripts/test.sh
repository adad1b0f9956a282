#!/usr/bin/env bash
# Runs the whole suite on SQLite and PostgreSQL, with the browser tests in Chromium.
# As root with apt it installs PostgreSQL and Chromium itself; otherwise those tests are
# skipped with a loud reason, and with TSUIDE_STRICT=1 any skip fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

have_pg() { ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  want=()
  have_pg || want+=(postgresql)
  command -v chromium >/dev/null || want+=(chromium chromium-driver)
  if [ ${#want[@]} -gt 0 ]; then
    echo "tsuide: installing ${want[*]} for the tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null
  fi
fi

PGTMP=""
cleanup() {
  if [ -n "$PGTMP" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PGTMP"
  fi
}
trap cleanup EXIT

if [ -z "${TSUIDE_TEST_POSTGRES_URL:-}" ] && have_pg && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGPORT=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  PGTMP=$(mktemp -d /tmp/tsuide-pg.XXXXXX)
  chown postgres:postgres "$PGTMP"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null
  runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres tsuide_test
  export TSUIDE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/tsuide_test"
  echo "tsuide: PostgreSQL for the tests on port $PGPORT"
fi

if [ -z "${TSUIDE_TEST_CHROMIUM:-}" ] && command -v chromium >/dev/null; then
  export TSUIDE_TEST_CHROMIUM=$(command -v chromium)
fi

# Two workers (pytest-xdist), a file each at a time so a module's demo shop and browser are made once: much of
# a test's time is spent waiting on PostgreSQL, Chromium or a served page. TSUIDE_TEST_WORKERS=0 runs in one
# process.
WORKERS=${TSUIDE_TEST_WORKERS:-2}
if [ "$WORKERS" != 0 ]; then
  set -- -n "$WORKERS" --dist loadfile "$@"
fi
"$BIN/python" -m pytest "$@"
