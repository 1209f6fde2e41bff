#!/usr/bin/env bash
# Views benchmark: one unit head's list and tasks, and an admin's first page,
# replayed from every hire in the system against the same answers read from
# the maintained views (tools/bench/views_bench.cc), in one process, with the
# ratio. With no options: 1,000 and then 10,000 hires over 50 units.
#
#   scripts/bench-views.sh                      # both sizes
#   scripts/bench-views.sh --hires 20000        # one run, options passed on
#
# Environment: BUILD_DIR (default <repo>/build), JOBS (default 2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-2}"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target journey_views_bench -j "$JOBS" >/dev/null
BENCH="$BUILD_DIR/tools/bench/journey_views_bench"
echo "== machine: $(nproc) cores, $(uname -sr), commit $(git -C "$ROOT" rev-parse --short HEAD)"
if [ $# -gt 0 ]; then
  "$BENCH" "$@"
else
  "$BENCH" --hires 1000 --units 5
  "$BENCH" --hires 10000 --units 50
fi
