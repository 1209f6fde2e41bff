#!/usr/bin/env bash
# Runs the libFuzzer harnesses (tools/fuzz) for a bounded time each, in a clang
# build of their own (build-fuzz/; the normal presets build with g++).
#
#   scripts/fuzz.sh [SECONDS_PER_HARNESS]     # default 60
#
# Seeds are written fresh each run by journey_fuzz_seeds (the project's own
# encoders over one hire's history). The corpus grows in build-fuzz/corpus/<harness>
# and is kept between runs. A harness that crashes is started again on the
# corpus with the time it has left, so one bug does not end its run. If it
# crashes again on an input it had already saved (the corpus or a seed itself
# crashes, so it cannot get past loading it), the rest of its time runs in
# libFuzzer's fork mode with crashes ignored (about half the speed). Every
# crashing input is kept under build-fuzz/runs/<time>/<harness>/, replayed once
# with full stacks, and grouped by what it hit.
# Exits 1 if any harness found a crashing input, after printing where it is.
#
# Environment:
#   FUZZ_HARNESSES  which harnesses to run (default: all of them, in the order below)
#   JOBS            parallel compile jobs (default: 2)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build-fuzz"
SECONDS_PER="${1:-60}"
JOBS="${JOBS:-2}"
read -r -a HARNESSES <<<"${FUZZ_HARNESSES:-fuzz_event_decode fuzz_envelope_decode fuzz_event_log_read fuzz_http_request}"
if ! [[ "$SECONDS_PER" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_HARNESS]" >&2
  exit 2
fi

log() { printf '== %s\n' "$*"; }

# --- build ---------------------------------------------------------------------
"$ROOT/scripts/install-deps.sh" fuzz
# The top-level CMakeLists.txt compiles through ccache when it is installed.
log "configuring $BUILD_DIR (clang++, JOURNEY_FUZZ=ON)"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++ -DJOURNEY_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
log "building the fuzz targets (-j$JOBS)"
cmake --build "$BUILD_DIR" --target journey_fuzzers -j "$JOBS"
BIN="$BUILD_DIR/tools/fuzz"

# --- seeds ---------------------------------------------------------------------
rm -rf "$BUILD_DIR/seeds"
"$BIN/journey_fuzz_seeds" "$BUILD_DIR/seeds"

# --- run -----------------------------------------------------------------------
symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
sym_opt=""
if [[ -x "$symbolizer" ]]; then sym_opt=":external_symbolizer_path=$symbolizer"; fi
export ASAN_OPTIONS="detect_leaks=1${sym_opt}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${sym_opt}"

count_artifacts() {
  local n=0 f
  for f in "$1"/crash-* "$1"/oom-* "$1"/timeout-* "$1"/leak-*; do
    [[ -e "$f" && "$f" != *.txt ]] && n=$((n + 1))
  done
  echo "$n"
}

# fuzz HARNESS OUT: runs it until SECONDS_PER have passed; one log per start
# (OUT/fuzz-N.log). Prints "STARTS WALL_SECONDS MODE".
fuzz() {
  local h="$1" out="$2" corpus="$BUILD_DIR/corpus/$1"
  local common=(-max_len=4096 -rss_limit_mb=2048 -timeout=30 -artifact_prefix="$out/")
  local start deadline left starts=0 before rc mode=plain
  mkdir -p "$corpus" "$out"
  start=$(date +%s)
  deadline=$((start + SECONDS_PER))
  while left=$((deadline - $(date +%s))) && [[ $left -gt 0 ]]; do
    starts=$((starts + 1))
    before=$(count_artifacts "$out")
    rc=0
    if [[ $mode == plain ]]; then
      (cd "$out" && "$BIN/$h" -max_total_time="$left" -print_final_stats=1 "${common[@]}" \
        "$corpus" "$BUILD_DIR/seeds/$h" >"$out/fuzz-$starts.log" 2>&1) || rc=$?
      [[ $rc -eq 0 ]] && break
      # Crashed on an input it had saved before: go on in fork mode.
      [[ $(count_artifacts "$out") -eq $before ]] && mode=fork
    else
      (cd "$out" && "$BIN/$h" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
        -max_total_time="$left" "${common[@]}" \
        "$corpus" "$BUILD_DIR/seeds/$h" >"$out/fuzz-$starts.log" 2>&1) || true
      break
    fi
  done
  echo "$starts $(($(date +%s) - start)) $mode"
}

# Inputs run over a harness's starts: plain starts print stat::number_of_executed_units,
# fork mode prints "#RUNS: cov: ..." status lines.
count_runs() {
  local f total=0 n
  for f in "$1"/fuzz-*.log; do
    n="$(grep -E '^#[0-9]+: cov:' "$f" | tail -1 | sed -E 's/^#([0-9]+):.*/\1/' || true)"
    if [[ -z "$n" ]]; then
      n=$(awk '/^stat::number_of_executed_units:/ {s += $NF} END {print s + 0}' "$f")
    fi
    total=$((total + n))
  done
  echo "$total"
}

RUN_DIR="$BUILD_DIR/runs/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"
summary=()
crashed=0
for h in "${HARNESSES[@]}"; do
  out="$RUN_DIR/$h"
  log "$h: ${SECONDS_PER}s (logs: $out/fuzz-*.log)"
  read -r starts wall mode <<<"$(fuzz "$h" "$out")"
  runs=$(count_runs "$out")
  # Coverage as the last start saw it (its corpus holds what the earlier ones found).
  last_log="$out/fuzz-$starts.log"
  last="$(grep -E 'cov: [0-9]+ ft: [0-9]+' "$last_log" | tail -1 || true)"
  cov="$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")"
  ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")"
  corp=$(find "$BUILD_DIR/corpus/$h" -type f | wc -l)
  summary+=("$(printf '%-21s %8s runs in %3ss = %6s exec/s  cov %-5s ft %-5s corpus %-4s %s start(s), last %s' \
    "$h" "$runs" "$wall" "$((runs / (wall > 0 ? wall : 1)))" "${cov:-?}" "${ft:-?}" "$corp" \
    "$starts" "$mode")")

  shopt -s nullglob
  found=()
  for f in "$out"/crash-* "$out"/oom-* "$out"/timeout-* "$out"/leak-*; do
    [[ "$f" != *.txt ]] && found+=("$f")
  done
  shopt -u nullglob
  if [[ ${#found[@]} -eq 0 ]]; then
    summary+=("    no crashing input")
    continue
  fi
  crashed=1
  # Replay each (at most 200) once with full stacks, and group them by what they hit.
  : >"$out/crashes.txt"
  n=0
  for f in "${found[@]}"; do
    if [[ $n -ge 200 ]]; then
      echo "(not replayed) $f" >>"$out/crashes.txt"
      continue
    fi
    n=$((n + 1))
    ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" timeout 120 \
      "$BIN/$h" -rss_limit_mb=2048 -timeout=30 "$f" >"$f.txt" 2>&1 || true
    kind="$(grep -m1 -E '^[a-z_]+: |runtime error:|^SUMMARY: ' "$f.txt" || true)"
    if grep -q 'terminate called' "$f.txt"; then
      kind="$(grep -m1 'terminate called' "$f.txt") ($(grep -m1 'what():' "$f.txt" | sed 's/^ *//'))"
    fi
    kind="$(sed -E 's/0x[0-9a-f]+/0x…/g; s/ \(BuildId: [0-9a-f]+\)//g; s/[0-9]{5,}/N/g' <<<"$kind")"
    [[ -n "$kind" ]] || kind="does not crash when replayed alone ($(stat -c %s "$f")-byte input)"
    printf '%s\t%s\n' "$kind" "$f" >>"$out/crashes.txt"
  done
  summary+=("    ${#found[@]} crashing inputs (all in $out/crashes.txt; replay output beside each as <file>.txt):")
  while IFS=$'\t' read -r count kind example; do
    summary+=("    $count x $kind")
    summary+=("        e.g. $example")
  done < <(grep -v '^(not replayed)' "$out/crashes.txt" |
    awk -F'\t' '{c[$1]++; if (!($1 in e)) e[$1]=$2} END {for (k in c) print c[k] "\t" k "\t" e[k]}' |
    sort -rn)
done

echo
log "summary (run folder $RUN_DIR)"
printf '%s\n' "${summary[@]}"
if [[ $crashed -ne 0 ]]; then
  echo "fuzz: crashing inputs found (see above)" >&2
  exit 1
fi
echo "fuzz: no crashing input"
