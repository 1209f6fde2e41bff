#!/usr/bin/env bash
# Every test: the release build's suite, then the whole suite again built with
# AddressSanitizer + UndefinedBehaviorSanitizer. Installs what is missing first.
#   scripts/test.sh            # both builds
#   JOURNEY_TEST_BUILDS=release scripts/test.sh   # only one of them
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
