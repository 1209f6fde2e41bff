#!/usr/bin/env bash
# Every test: the release build's suite, then the whole suite again built with
# AddressSanitizer + UndefinedBehaviorSanitizer, then the fuzzers for a bounded
# time. Installs what is missing first.
#   scripts/test.sh            # both builds
#   JOURNEY_TEST_BUILDS=release scripts/test.sh   # only one of them
#   JOURNEY_FUZZ_SECONDS=120 scripts/test.sh      # longer fuzzing (default 30 s a harness)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
builds="${JOURNEY_TEST_BUILDS:-release asan}"
for preset in $builds; do
  echo "=== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "=== $preset: ctest"
  ctest --preset "$preset"
done
# The libFuzzer harnesses (event and envelope decoders, raw bytes through a real
# RocksDB, the whole /v1 API) for a bounded time each, in their own clang build;
# a crashing input fails the run. JOURNEY_FUZZ_SECONDS=0 skips them.
fuzz_seconds="${JOURNEY_FUZZ_SECONDS:-30}"
if [ "$fuzz_seconds" != 0 ]; then
  echo "=== fuzz: ${fuzz_seconds} s per harness"
  scripts/fuzz.sh "$fuzz_seconds"
fi
