#!/usr/bin/env bash
# The main job, from a fresh clone: install what is missing, build, and start
# journeyd — the engine, the reminder scheduler and the adapters in one process —
# on the embedded RocksDB under ./data, with the GR programme installed and
# e-mail going to .eml files in ./data/outbox, and the web application at /.
# It prints its address and an administrator token; stop it with Ctrl-C
# (SIGINT) or SIGTERM.
#   scripts/run.sh                    # build and run journeyd (tools/journeyd/journeyd.toml)
#   scripts/run.sh ctl status hire-…  # a journeyctl command instead (reads work beside a
#                                     # running journeyd; changes then go through its HTTP API)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target journeyd journeyctl
# The web application (adapters/web, Vite + Preact) that journeyd serves at /.
if command -v npm >/dev/null; then
  scripts/web-build.sh
else
  echo "run.sh: npm is missing; journeyd serves the API only (install Node.js >= 20.19 for the web pages)" >&2
fi

export JOURNEY_DATA="${JOURNEY_DATA:-$PWD/data}"
if [ "${1:-}" = ctl ]; then
  shift
  exec build/tools/journeyctl/journeyctl "$@"
fi
exec build/tools/journeyd/journeyd --config tools/journeyd/journeyd.toml --data "$JOURNEY_DATA" "$@"
