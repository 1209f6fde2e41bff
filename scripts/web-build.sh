#!/usr/bin/env bash
# Builds the web application (adapters/web) into adapters/web/dist, which
# journeyd serves (web.root). `npm ci` runs only when node_modules is missing or
# package-lock.json changed since the last install; the type check and vite
# build run only when a source file changed since the last build. A second run
# with nothing changed takes well under a second.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/adapters/web"
cd "$web"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web-build: node and npm are needed (Node >= 20.19)" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)||(a===20&&b>=19)?0:1)'; then
  echo "web-build: Node $(node --version) is too old for Vite 7 (needs ^20.19 or >= 22.12)" >&2
  exit 1
fi

lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -d node_modules || "$(cat node_modules/.journey-lock 2>/dev/null || true)" != "$lock_sum" ]]; then
  echo "web-build: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.journey-lock
fi

# Everything the build reads; the stamp lives beside node_modules, not in dist
# (which journeyd serves).
src_sum="$({ find src public -type f; printf '%s\n' index.html vite.config.ts tsconfig.json package.json package-lock.json; } \
  | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
if [[ -f dist/index.html && "$(cat node_modules/.journey-build 2>/dev/null || true)" == "$src_sum" ]]; then
  echo "web-build: adapters/web/dist is up to date"
  exit 0
fi
echo "web-build: type check and vite build"
./node_modules/.bin/tsc --noEmit
./node_modules/.bin/vite build --logLevel warn
echo "$src_sum" > node_modules/.journey-build
echo "web-build: built adapters/web/dist"
