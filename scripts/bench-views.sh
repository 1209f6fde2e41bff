#!/usr/bin/env bash
# Views benchmark (issue 13): populations of 1,000, 10,000 and 100,000 hires
# with full journeys (about 150 events each), kept between runs under
# $JOURNEY_BENCH_DIR (default /var/tmp/journey-bench: building 100,000 takes
# minutes, and about 1.2 GB on disk). For each, in one run:
#   - tools/bench/views_bench.cc: a unit's list (20 hires), its tasks, one
#     hire's status (and its 304), an admin's first pages, p50/p99 over 1,000
#     requests, a full views rebuild and the views' size on disk;
#   - journeyd started cold on that folder (views already built,
#     --no-scheduler: the reminder scheduler's own first start is
#     scripts/bench-scheduler.sh's business) until /readyz answers, and its
#     RSS then and after 200 list requests over HTTP;
# then the ratios of the largest population's figures to the smallest's.
#
#   scripts/bench-views.sh                          # 1,000, 10,000, 100,000
#   JOURNEY_BENCH_SIZES="1000 10000" scripts/bench-views.sh
#   scripts/bench-views.sh --reads 200              # options passed to the bench
#
# Builds with the release preset (build/), as scripts/test.sh does.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/install-deps.sh" >/dev/null  # what the build links (jemalloc, RocksDB, ...)
cmake --preset release >/dev/null
cmake --build build -j2 --target journey_views_bench journeyd journeyctl >/dev/null
BENCH="$ROOT/build/tools/bench/journey_views_bench"
JOURNEYD="$ROOT/build/tools/journeyd/journeyd"
JOURNEYCTL="$ROOT/build/tools/journeyctl/journeyctl"
DIR="${JOURNEY_BENCH_DIR:-/var/tmp/journey-bench}"
SIZES="${JOURNEY_BENCH_SIZES:-1000 10000 100000}"
mkdir -p "$DIR"
echo "== machine: $(nproc) cores, $(uname -sr), commit $(git -C "$ROOT" rev-parse --short HEAD), $(date -u +%FT%TZ)"

# A journeyd still running when the script stops (an error) is stopped too.
JPID=""
trap '[ -z "$JPID" ] || kill "$JPID" 2>/dev/null || true' EXIT

# Cold start of journeyd on a folder: seconds to the first 200 from /readyz,
# and its RSS (MiB) then and after 200 requests of a unit's list.
cold_start() {
  local data="$1" port=18431 pid t0 t1 ready=0
  # The bench issued tokens, so journeyd bootstraps none: one for the lists.
  if [ ! -s "$data/bench-admin-token" ]; then
    "$JOURNEYCTL" --data "$data" --json token create --role admin --municipality '*' \
      --name bench | sed -n 's/.*"token": "\(jt_[^"]*\)".*/\1/p' >"$data/bench-admin-token"
  fi
  t0=$(date +%s.%N)
  "$JOURNEYD" --data "$data" --listen "127.0.0.1:$port" --no-scheduler \
    >"$data/journeyd.out" 2>&1 &
  pid=$!
  JPID=$pid
  for _ in $(seq 1 6000); do
    if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  t1=$(date +%s.%N)
  if [ "$ready" != 1 ]; then
    echo "journeyd did not become ready; its output:" >&2
    tail -20 "$data/journeyd.out" >&2
    kill "$pid" 2>/dev/null || true
    JPID=""
    return 1
  fi
  local rss_ready rss_after token
  rss_ready=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  token=$(cat "$data/bench-admin-token")
  for _ in $(seq 1 200); do
    curl -fs -o /dev/null -H "Authorization: Bearer $token" \
      "http://127.0.0.1:$port/v1/hires?unit=Enhet%200"
  done
  rss_after=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid" || true
  JPID=""
  awk -v a="$t0" -v b="$t1" -v r="$rss_ready" -v s="$rss_after" 'BEGIN {
    printf "coldstart    journeyd %8.2f s to /readyz  RSS %s MiB ready, %s MiB after 200 lists\n",
      b - a, r, s }'
}

declare -A summary
for n in $SIZES; do
  echo
  echo "=== $n hires"
  out="$DIR/views-$n.out"
  "$BENCH" --hires "$n" --data "$DIR/views-$n" "$@" | tee "$out"
  summary[$n]=$(grep '^summary ' "$out")
  # Twice: the second start is the cold start of a journeyd whose views,
  # and anything else it derives at its first start, are already built.
  cold_start "$DIR/views-$n" >/dev/null
  cold_start "$DIR/views-$n"
done

# Ratios: the largest population against the smallest (aim: <= 1.5 for lists
# and tasks; p99 of a unit's list <= 10 ms at 100,000).
set -- $SIZES
small=$1
large=${*: -1}
if [ "$small" != "$large" ]; then
  echo
  echo "=== ratio $large / $small hires (p50)"
  for k in list tasks status 304 first admin-tasks write+read; do
    a=$(echo "${summary[$small]}" | tr ' ' '\n' | awk -F= -v k="${k}_p50" '$1 == k {print $2}')
    b=$(echo "${summary[$large]}" | tr ' ' '\n' | awk -F= -v k="${k}_p50" '$1 == k {print $2}')
    [ -n "$a" ] && [ -n "$b" ] && awk -v k="$k" -v a="$a" -v b="$b" \
      'BEGIN { printf "%-12s %9.3f ms -> %9.3f ms   %6.2fx\n", k, a, b, b / a }'
  done
fi
