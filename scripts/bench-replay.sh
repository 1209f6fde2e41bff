#!/usr/bin/env bash
# Replay benchmark: events/s and hires/s that JourneyEngine::load() rebuilds on
# one core, and the peak memory (see tools/bench/replay_bench.cc for the workload).
#
#   scripts/bench-replay.sh [extra journey_replay_bench options, e.g. --hires 2000]
#
# Builds journey_replay_bench (Release) in $BUILD_DIR and runs it; with no extra
# options: 10,000 hires of 150 events each, in a temporary folder that the
# benchmark removes at the end.
#
# Environment:
#   BUILD_DIR  build folder            (default: <repo>/build-bench)
#   JOBS       parallel compile jobs   (default: 1)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"
JOBS="${JOBS:-1}"

log() { printf '== %s\n' "$*"; }

log "building journey_replay_bench in $BUILD_DIR (-j$JOBS)"
"$ROOT/scripts/install-deps.sh" >/dev/null  # what the build links (jemalloc, RocksDB, ...)
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target journey_replay_bench -j "$JOBS"
BENCH="$BUILD_DIR/tools/bench/journey_replay_bench"

log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
log "$BENCH $*"
"$BENCH" "$@"
