#!/usr/bin/env bash
# Crash soak: the crash test of the event log with thousands of SIGKILLs.
#
#   scripts/crash-soak.sh [KILLS=2000] [BUILD_DIR=/work/main/build]
#
# Runs storage/crash/crash_test from BUILD_DIR (build the crash_test target there
# first) with JOURNEY_CRASH_KILLS=KILLS. The environment passes through, so
# JOURNEY_CRASH_SEED, JOURNEY_CRASH_THREADS, JOURNEY_CRASH_MIN_MS/_MAX_MS and
# JOURNEY_CRASH_KEEP work as described in storage/crash/crash_test.cc. The test
# prints its seed first: rerun with that seed to chase a failure. The data folder
# is kept on failure and its path printed.
set -euo pipefail

kills="${1:-2000}"
build_dir="${2:-/work/main/build}"
test_bin="${build_dir}/storage/crash/crash_test"

if ! [[ "${kills}" =~ ^[0-9]+$ ]] || (( kills == 0 )); then
  echo "crash-soak: KILLS must be a positive number, got '${kills}'" >&2
  exit 2
fi
if [[ ! -x "${test_bin}" ]]; then
  echo "crash-soak: ${test_bin} not found; build it with" >&2
  echo "  cmake --build ${build_dir} --target crash_test journey_crash_child" >&2
  exit 2
fi

echo "crash-soak: ${kills} kills with ${test_bin}"
start=$(date +%s)
status=0
JOURNEY_CRASH_KILLS="${kills}" "${test_bin}" --log_level=message --report_level=short || status=$?
elapsed=$(( $(date +%s) - start ))
if (( status == 0 )); then
  echo "crash-soak: PASSED, ${kills} kills in ${elapsed} s"
else
  echo "crash-soak: FAILED (exit status ${status}) after ${elapsed} s" >&2
fi
exit "${status}"
