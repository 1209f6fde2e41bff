#!/usr/bin/env bash
# Durable-append benchmark: the RocksDB event log against PostgreSQL 15, same
# workload, same concurrency (see tools/bench/append_bench.cc for the workload).
#
#   scripts/bench-append.sh [extra journey_append_bench options, e.g. --seconds 10]
#
# Builds journey_append_bench (Release) in $BUILD_DIR, starts a throwaway
# PostgreSQL 15 cluster listening only on a unix socket in a temporary folder
# (fsync and synchronous_commit left at their default, on), puts the RocksDB
# logs in the same temporary folder (same filesystem, so both pay the same
# fsync), runs the benchmark, then stops the cluster and removes the folder.
#
# Environment:
#   BUILD_DIR  build folder            (default: <repo>/build-bench)
#   JOBS       parallel compile jobs   (default: 1)
#   BENCH_TMP  where the temp folder goes (default: /tmp)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"
JOBS="${JOBS:-1}"
BENCH_TMP="${BENCH_TMP:-/tmp}"
PG_BIN=/usr/lib/postgresql/15/bin

log() { printf '== %s\n' "$*"; }

# --- build -------------------------------------------------------------------
log "building journey_append_bench in $BUILD_DIR (-j$JOBS)"
"$ROOT/scripts/install-deps.sh" >/dev/null  # what the build links (jemalloc, RocksDB, ...)
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target journey_append_bench -j "$JOBS"
BENCH="$BUILD_DIR/tools/bench/journey_append_bench"

# --- PostgreSQL 15 -----------------------------------------------------------
if [[ ! -x "$PG_BIN/postgres" ]]; then
  log "installing postgresql-15"
  if [[ "$(id -u)" == 0 ]]; then
    apt-get install -y postgresql-15
  else
    sudo apt-get install -y postgresql-15
  fi
fi

# PostgreSQL refuses to run as root: as root, run its programs as `postgres`.
if [[ "$(id -u)" == 0 ]]; then
  PG_USER=postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  PG_USER="$(id -un)"
  as_pg() { "$@"; }
fi

WORK="$(mktemp -d "$BENCH_TMP/journey-bench.XXXXXX")"
PGDATA="$WORK/pgdata"
SOCK="$WORK/sock"
ROCKS="$WORK/rocksdb"
PG_STARTED=0

cleanup() {
  local rc=$?
  if [[ "$PG_STARTED" == 1 ]]; then
    log "stopping PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
  fi
  if [[ $rc != 0 && -f "$WORK/postgres.log" ]]; then
    echo "-- last lines of the PostgreSQL log:" >&2
    tail -n 20 "$WORK/postgres.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

mkdir -p "$SOCK" "$ROCKS"
if [[ "$(id -u)" == 0 ]]; then
  chown -R postgres: "$WORK"   # root keeps access; postgres needs to own its folders
fi
chmod 700 "$WORK"

log "creating a throwaway cluster in $PGDATA"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_USER" --auth=trust -E UTF8 --no-instructions >/dev/null
cat >>"$PGDATA/postgresql.conf" <<EOF

# journey bench-append.sh: unix socket only; durability settings at their defaults
listen_addresses = ''
unix_socket_directories = '$SOCK'
max_connections = 200
fsync = on
synchronous_commit = on
EOF
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$WORK/postgres.log" -w start >/dev/null
PG_STARTED=1

# --- the run -----------------------------------------------------------------
log "machine: $(nproc) cores; $(uname -srm)"
cpu_idle_pct() {  # share of CPU time idle over 3 s: other work on the machine skews the figures
  local a b
  a=($(awk '/^cpu /{print $5+$6, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)); sleep 3
  b=($(awk '/^cpu /{print $5+$6, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat))
  echo $(( 100 * (b[0] - a[0]) / (b[1] - a[1]) ))
}
log "CPU idle over the 3 s before the run: $(cpu_idle_pct)% (other work on the machine skews the figures)"
free -h
log "data folders (same filesystem, so the fsync cost is comparable):"
df -hT "$ROCKS" "$PGDATA"
echo "   RocksDB logs: $ROCKS"
echo "   PostgreSQL  : $PGDATA (socket $SOCK)"
echo
echo "\$ $BENCH --data $ROCKS --pg \"host=$SOCK dbname=postgres user=$PG_USER\" $*"
set +e
"$BENCH" --data "$ROCKS" --pg "host=$SOCK dbname=postgres user=$PG_USER" "$@"
rc=$?
set -e
log "CPU idle over the 3 s after the run: $(cpu_idle_pct)%"
exit $rc
