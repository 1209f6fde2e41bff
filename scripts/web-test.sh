#!/usr/bin/env bash
# End-to-end tests of the web application: headless Chromium (Debian's
# package, driven by playwright-core) against a real journeyd on loopback that
# the tests start themselves. Usage: scripts/web-test.sh [JOURNEYD]
# (default build/tools/journeyd/journeyd). Screenshots go to
# adapters/web/screenshots/ (or $JOURNEY_WEB_SCREENSHOTS). Exits non-zero when
# a test fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
journeyd="${1:-${JOURNEYD:-$root/build/tools/journeyd/journeyd}}"
if [[ ! -x "$journeyd" ]]; then
  echo "web-test: no journeyd at $journeyd (build it first: cmake --build --preset release)" >&2
  exit 1
fi
journeyd="$(cd "$(dirname "$journeyd")" && pwd)/$(basename "$journeyd")"

"$root/scripts/install-deps.sh" web

"$root/scripts/web-build.sh"

cd "$root/adapters/web"
JOURNEYD="$journeyd" CHROMIUM=/usr/bin/chromium \
  node --test --test-concurrency=1 --test-timeout=300000 test/e2e.test.mjs
