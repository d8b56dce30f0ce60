# Sourced by .ci/run: makes sure a real Postgres server answers for the test suite, and tells the
# tests (test/postgres-global-setup.ts) to require it, so a missing server fails CI instead of skipping.
#
# A server already listening on 127.0.0.1:$BATON_CI_POSTGRES_PORT (default 5432) is used as is, never
# restarted. Otherwise Debian's postgresql is installed if missing (root only; apt starts no service),
# and a private throwaway cluster (user postgres, trust auth, loopback only) is started, then stopped
# and removed when the script exits (an EXIT trap: a later trap in .ci/run must call ci_postgres_stop).
# BATON_TEST_POSTGRES_URL, when already set, skips all of this.

ci_postgres_port="${BATON_CI_POSTGRES_PORT:-5432}"
ci_postgres_bindir=""
ci_postgres_data=""

ci_postgres_listening() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p "$ci_postgres_port"
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$ci_postgres_port") 2>/dev/null
  fi
}

# Runs a server binary as user postgres when we are root (initdb and postgres refuse to run as root).
ci_as_postgres() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ci_postgres_find_bindir() {
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  if [[ -n "$dir" && -x "$dir/initdb" ]]; then
    ci_postgres_bindir="$dir"
  elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    ci_postgres_bindir="$(dirname "$(command -v initdb)")"
  fi
}

ci_postgres_stop() {
  if [[ -n "$ci_postgres_data" ]]; then
    ci_as_postgres "$ci_postgres_bindir/pg_ctl" -D "$ci_postgres_data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$ci_postgres_data"
    ci_postgres_data=""
  fi
}

ci_postgres_start() {
  ci_postgres_find_bindir
  if [[ -z "$ci_postgres_bindir" ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
      echo "!! no Postgres on 127.0.0.1:$ci_postgres_port and no server binaries; run as root to apt-get install postgresql, or set BATON_TEST_POSTGRES_URL" >&2
      return 1
    fi
    echo "== installing Debian postgresql"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    ci_postgres_find_bindir
  fi
  ci_postgres_data="$(mktemp -d /tmp/baton-ci-postgres.XXXXXX)"
  if [[ "$(id -u)" -eq 0 ]]; then chown postgres: "$ci_postgres_data"; fi
  trap ci_postgres_stop EXIT
  ci_as_postgres "$ci_postgres_bindir/initdb" -D "$ci_postgres_data" -U postgres -A trust -E UTF8 --locale=C \
    --no-sync >/dev/null
  # fsync off: a throwaway cluster; the tests that need durability kill processes, not the machine.
  if ! ci_as_postgres "$ci_postgres_bindir/pg_ctl" -D "$ci_postgres_data" -l "$ci_postgres_data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $ci_postgres_port -k $ci_postgres_data -c fsync=off -c max_connections=200" \
    start >/dev/null; then
    tail -n 20 "$ci_postgres_data/server.log" >&2 || true
    return 1
  fi
}

if [[ -z "${BATON_TEST_POSTGRES_URL:-}" ]]; then
  if ci_postgres_listening; then
    echo "== postgres: using the server already on 127.0.0.1:$ci_postgres_port"
  else
    echo "== postgres: none on 127.0.0.1:$ci_postgres_port, starting a private cluster"
    ci_postgres_start
  fi
  export BATON_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$ci_postgres_port/postgres"
fi
export BATON_REQUIRE_POSTGRES=1
if command -v psql >/dev/null 2>&1 && ! PGCONNECT_TIMEOUT=5 psql -w "$BATON_TEST_POSTGRES_URL" -Atqc 'select 1' >/dev/null; then
  echo "!! cannot log in to $BATON_TEST_POSTGRES_URL (the tests need user postgres with trust auth on 127.0.0.1)" >&2
  exit 1
fi
