#!/usr/bin/env bash
# Scheduler and e-mail benchmarks (see tools/bench/scheduler_bench.cc and
# tools/bench/smtp_bench.cc for the workloads):
#
#   1. a million pending timers: index build, size on disk, memory per timer,
#      time to rebuild the index after a restart;
#   2. firing lateness p50/p99 with the real clock, ticking every 50 ms and 1 s:
#      3,000 reminders due at 08:00 (1,500 hires, 3 rounds per interval), and a
#      small backlog (100 reminders, 5 rounds) where the tick interval shows;
#   3. `journeyctl simulate --hires 10000 --days 730 --summary` in-process: wall time;
#   4. e-mails/s to the local aiosmtpd test server (127.0.0.1 only), 1 and 4
#      threads, with the server's spool on the disk and on a tmpfs (/dev/shm).
#
#   scripts/bench-scheduler.sh
#
# Each part runs as its own process, so that its peak RSS is its own. Data goes
# to temporary folders that the benchmarks remove. Before each part a probe
# times 4 KiB synchronous writes (dd oflag=dsync) in the temporary folder: most
# of these figures are bounded by fsync, whose cost on a shared VM varies.
#
# Environment:
#   BUILD_DIR  build folder             (default: <repo>/build-bench)
#   JOBS       parallel compile jobs    (default: 1)
#   SCHED_ARGS extra options for every journey_scheduler_bench run (e.g. --timers 100000)
#   SMTP_ARGS  extra options for journey_smtp_bench (e.g. --messages 500)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"
JOBS="${JOBS:-1}"
read -r -a SCHED <<<"${SCHED_ARGS:-}"
read -r -a SMTP <<<"${SMTP_ARGS:-}"

log() { printf '\n== %s\n' "$*"; }

log "building journey_scheduler_bench and journey_smtp_bench in $BUILD_DIR (Release, -j$JOBS)"
"$ROOT/scripts/install-deps.sh" >/dev/null  # what the build links (jemalloc, RocksDB, ...)
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target journey_scheduler_bench journey_smtp_bench -j "$JOBS"
BIN="$BUILD_DIR/tools/bench"

log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
log "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') ($(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l) paths changed or untracked)"

run() {
  printf '\n$ %s\n' "$*"
  /usr/bin/time -f '   [%e s wall, %U s user, %S s sys, max RSS %M KiB]' "$@"
}

fsync_probe() {
  local f
  f="$(mktemp "${TMPDIR:-/tmp}/journey-fsync-probe.XXXXXX")"
  local out
  out="$(dd if=/dev/zero of="$f" bs=4k count=250 oflag=dsync 2>&1 | tail -n 1)"
  rm -f "$f"
  awk -v line="$out" 'BEGIN { split(line, a, " "); for (i = 1; i <= length(a); ++i) if (a[i] == "s,") s = a[i - 1];
        printf "== fsync probe: 250 x 4 KiB dsync writes in %s s = %.2f ms each; load average %s\n", s, s * 4, "'"$(cut -d' ' -f1-3 /proc/loadavg)"'" }'
}

fsync_probe
run "$BIN/journey_scheduler_bench" --part timers "${SCHED[@]}"
fsync_probe
run "$BIN/journey_scheduler_bench" --part lateness "${SCHED[@]}"
fsync_probe
run "$BIN/journey_scheduler_bench" --part lateness --late-hires 50 --rounds 5 "${SCHED[@]}"
fsync_probe
run "$BIN/journey_scheduler_bench" --part simulation "${SCHED[@]}"
fsync_probe
run "$BIN/journey_smtp_bench" "${SMTP[@]}"
fsync_probe
run "$BIN/journey_smtp_bench" --spool-in /dev/shm "${SMTP[@]}"
fsync_probe
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
