#!/usr/bin/env bash
# Views benchmark: one unit head's list and tasks, and an admin's first page,
# replayed from every hire in the system against the same answers read from
# the maintained views (tools/bench/views_bench.cc), in one process, with the
# ratio. With no options: 1,000 and then 10,000 hires, 20 to a unit (the
# issue's unit list), 500 reads of the views and 20 of the replay per figure.
#
#   scripts/bench-views.sh                      # both sizes
#   scripts/bench-views.sh --hires 20000        # one run, options passed on
#
# Builds with the release preset (build/), as scripts/test.sh does.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cmake --preset release >/dev/null
cmake --build build -j2 --target journey_views_bench >/dev/null
BENCH="$ROOT/build/tools/bench/journey_views_bench"
echo "== machine: $(nproc) cores, $(uname -sr), commit $(git -C "$ROOT" rev-parse --short HEAD)"
if [ $# -gt 0 ]; then
  "$BENCH" "$@"
else
  "$BENCH" --hires 1000 --units 50 --reads 500 --replay-reads 20
  "$BENCH" --hires 10000 --units 500 --reads 500 --replay-reads 20
fi
