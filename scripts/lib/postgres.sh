# A throwaway Postgres server on loopback for the test run: its own data folder and port, removed
# on exit. Prints nothing on success; sets DATABASE_URL_TEST.
start_test_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$bin" ] || { echo "Postgres server binaries not found: run scripts/setup.sh --test" >&2; return 1; }
  PG_TEST_DIR="$(mktemp -d /tmp/triton-cv-postgres.XXXXXX)"
  PG_TEST_PORT="${PG_TEST_PORT:-55432}"
  local as=()
  # initdb refuses to run as root; the Debian package creates the postgres user for this.
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PG_TEST_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -w -l "$PG_TEST_DIR/log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DIR -c fsync=off" start >/dev/null
  export DATABASE_URL_TEST="postgres://postgres@127.0.0.1:$PG_TEST_PORT/postgres"
  PG_TEST_BIN="$bin"
  PG_TEST_AS=("${as[@]}")
}

stop_test_postgres() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  "${PG_TEST_AS[@]}" "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
}
