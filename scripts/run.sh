#!/usr/bin/env bash
# The main job, from a fresh clone: install what is missing, build, create the
# embedded store (RocksDB under ./data) with the GR programme, and run journeyctl.
#   scripts/run.sh                 # build, init ./data, list hires and show help
#   scripts/run.sh status hire-…   # any journeyctl command after the build
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target journeyctl

ctl=build/tools/journeyctl/journeyctl
export JOURNEY_DATA="${JOURNEY_DATA:-$PWD/data}"
if [ ! -d "$JOURNEY_DATA/log" ]; then
  "$ctl" init
fi
if [ $# -gt 0 ]; then
  exec "$ctl" "$@"
fi
echo
echo "Journey is ready; data in $JOURNEY_DATA. Hires:"
"$ctl" hire list
echo
echo "Try: $ctl --help   (or scripts/run.sh <command> …; README.md walks through a session)"
