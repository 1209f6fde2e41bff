#!/usr/bin/env bash
# Installs the Debian 12 packages Journey builds, tests and runs with, and only
# those that are missing (so a second run is quick and needs no network).
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libboost-dev libboost-test-dev
  librocksdb-dev libcereal-dev libspdlog-dev nlohmann-json3-dev libtomlplusplus-dev
  libcli11-dev libhowardhinnant-date-dev libssl-dev libcurl4-openssl-dev
  libpq-dev libjemalloc-dev tzdata
  python3 python3-aiosmtpd python3-jsonschema openssl
)
# Extra groups: "bench" adds the peer PostgreSQL server; "http-bench" wrk and
# the peer nginx (run by the script on loopback, never as a service); "web"
# Debian's chromium for the web application's end-to-end tests; "fuzz" adds clang, its
# libFuzzer/sanitizer runtimes (only a Recommends of clang-14) and llvm-symbolizer.
for extra in "$@"; do
  case "$extra" in
    bench) packages+=(postgresql-15) ;;
    http-bench) packages+=(wrk nginx-light) ;;
    web) packages+=(chromium) ;;
    fuzz) packages+=(clang libclang-rt-14-dev llvm-14) ;;
    *) echo "install-deps: unknown group '$extra' (known: bench, http-bench, fuzz, web)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
