// journey_append_bench: durable appends per second and per-append latency of the
// RocksDB event log with 1, 16 and 64 concurrent appenders, and, with --pg, the
// same workload against PostgreSQL at the same concurrency.
//
// Workload (identical for both backends): each appender thread owns a disjoint
// set of the hire streams (stream i belongs to thread i % concurrency), so, like
// real per-hire commands, appends never conflict. Each append is ONE event with a
// payload of --payload-bytes (default 200) to a random stream of the thread's set,
// with ExpectedVersion::exactly(the version the thread last saw for that stream).
// An append counts when it returned successfully, i.e. when it is durable:
//   RocksDB    - append() returned: the WAL was synced past the group's WriteBatch (SyncWAL).
//   rocks-async - the same log, the same appenders and the same loop (one append
//                in flight per appender, the next only once the last is durable),
//                but an appender is not a thread: its append_async() callback,
//                run by the log after the sync, submits its next append. It
//                measures the log without a thread sleep and wakeup per append.
//   PostgreSQL - one INSERT in its own (autocommit) transaction, synchronous_commit
//                as configured by the server (the script leaves the default, on),
//                the expected-version check being the UNIQUE (stream, version) index.
//
// Each run starts from an empty store (a new RocksDB folder; DROP + CREATE
// TABLE) on a quiet disk: right before every run, of either backend, the bench
// has PostgreSQL CHECKPOINT (with --pg), calls sync(2) and waits --settle
// seconds, so that no run pays for the writeback of an earlier one (deleting a
// run's folder or table, on a file system mounted with `discard`, sends the
// disk a TRIM at the next journal commit). It then runs --warmup seconds
// unmeasured, then --seconds measured. Throughput is the number of appends
// completed in the measured window divided by its length; latency percentiles
// are over those same appends (nearest rank). For RocksDB the table also gives
// the process's CPU time per append in the window (user + kernel, every
// thread: appenders, writer, syncer, RocksDB's own): with N cores the
// throughput can never pass N / that.
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "journey/storage/clock.h"
#include "journey/storage/event_log.h"
#include "journey/storage/rocksdb_event_log.h"

#ifdef JOURNEY_BENCH_HAVE_PG
#include <libpq-fe.h>
#endif

namespace fs = std::filesystem;
namespace st = journey::storage;
using SteadyClock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------------------
// Workload

struct Config {
  std::string data_dir;
  double seconds = 5;
  double warmup = 1;
  std::vector<int> concurrency{1, 16, 64};
  std::string pg_conninfo;
  int streams = 10000;
  int payload_bytes = 200;
  bool verify = true;
  bool keep_data = false;
  bool threads = true;          // RocksDB, one thread per appender calling append()
  bool async = true;            // RocksDB, appenders as append_async() chains
  bool zero_filled_wal = true;  // RocksDbOptions::zero_filled_wal
  double settle = 2;            // seconds of quiet after sync(2), before each run
};

std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// "hire-3f9a0c21": 32-bit ids, distinct for distinct i (odd multiplier mod 2^32).
std::string hire_stream(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "hire-%08" PRIx32,
                static_cast<std::uint32_t>(static_cast<std::uint32_t>(i) * 2654435761u));
  return buf;
}

const char* const kEventTypes[] = {
    "HireCreated",  "ChecklistItemCompleted", "DocumentRequested",  "DocumentReceived",
    "StepAdvanced", "EquipmentOrdered",       "AccountProvisioned", "ReminderSent",
};

// One appender's view: its streams, the versions it has seen, a PRNG.
struct Appender {
  std::vector<std::string> streams;
  std::vector<std::uint64_t> versions;
  std::uint64_t rng;
  std::string actor;

  Appender(int thread, int concurrency, int total_streams) : rng(0x5eed0000ULL + thread) {
    for (int i = thread; i < total_streams; i += concurrency) streams.push_back(hire_stream(i));
    versions.assign(streams.size(), 0);
    actor = "hr:user-" + std::to_string(thread);
  }
  std::size_t pick() { return static_cast<std::size_t>(splitmix64(rng) % streams.size()); }
  const char* type() {
    return kEventTypes[splitmix64(rng) % (sizeof kEventTypes / sizeof *kEventTypes)];
  }
  // Payload bytes that do not compress away (cereal binary of ids, strings, times).
  std::string payload(int n) {
    std::string p(static_cast<std::size_t>(n), '\0');
    for (int i = 0; i < n; i += 8) {
      std::uint64_t r = splitmix64(rng);
      std::memcpy(p.data() + i, &r, static_cast<std::size_t>(std::min(8, n - i)));
    }
    return p;
  }
};

struct ThreadOutcome {
  std::vector<std::uint32_t> latency_us;  // measured-window appends only
  std::uint64_t ok_total = 0;             // all successful appends (warmup included)
  std::uint64_t conflicts = 0;
  std::uint64_t errors = 0;
  std::string first_error;
};

struct RunResult {
  std::string backend;
  int concurrency = 0;
  double window_s = 0;
  std::uint64_t appends = 0;  // in the measured window
  double per_sec = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::optional<double> group;  // RocksDB only: appends per WAL sync in the window
  // RocksDB only (the whole cost is in this process): CPU microseconds per
  // append in the window, user and kernel, over all threads.
  std::optional<double> cpu_user_us, cpu_sys_us;
  std::uint64_t conflicts = 0, errors = 0;
  std::string first_error;
  std::string check;  // post-run consistency check, "ok" or a problem
};

// Phases shared by the driver and the appenders.
struct Phase {
  std::atomic<int> value{0};  // 0 warmup, 1 measuring, 2 stop
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
};

// Counts one finished append (0 ok, 1 conflict, 2 error) into `o`; its latency
// only inside the measured window. False once the backend keeps failing (over
// 100 errors): the appender stops rather than spin.
bool count(ThreadOutcome& o, int r, SteadyClock::time_point t0, SteadyClock::time_point t1,
           bool measuring) {
  if (r == 0) {
    ++o.ok_total;
    if (measuring) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
      o.latency_us.push_back(static_cast<std::uint32_t>(std::min<long long>(us, UINT32_MAX)));
    }
  } else if (r == 1) {
    ++o.conflicts;
  } else {
    ++o.errors;
  }
  return o.errors <= 100;
}

// The last step before a run, after its store is fresh: every dirty page of
// the machine written out (sync(2)), then --settle seconds for the disk.
void quiet_disk(const Config& cfg) {
  ::sync();
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.settle));
}

// Warm-up, then the measured window: `phase` goes to 1 and then 2 at its
// edges, where on_edge(0) and on_edge(1) are called. Returns its length in s.
template <class Hook>
double run_window(const Config& cfg, std::atomic<int>& phase, Hook on_edge) {
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.warmup));
  on_edge(0);
  auto m0 = SteadyClock::now();
  phase.store(1);
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.seconds));
  phase.store(2);
  auto m1 = SteadyClock::now();
  on_edge(1);
  return std::chrono::duration<double>(m1 - m0).count();
}

// Runs `concurrency` threads, each calling append_once(thread, appender) in a loop;
// returns the merged outcome and fills window_s. on_measure_start/end are called by
// the driver at the window's edges (RocksDB snapshots its stats there).
template <class AppendOnce, class Hook>
std::vector<ThreadOutcome> drive(const Config& cfg, int concurrency, AppendOnce append_once,
                                 Hook on_edge, double* window_s) {
  Phase phase;
  std::vector<ThreadOutcome> out(static_cast<std::size_t>(concurrency));
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      Appender a(t, concurrency, cfg.streams);
      ThreadOutcome& o = out[static_cast<std::size_t>(t)];
      o.latency_us.reserve(1 << 16);
      phase.ready.fetch_add(1);
      while (!phase.go.load()) std::this_thread::yield();
      while (phase.value.load(std::memory_order_relaxed) != 2) {
        auto t0 = SteadyClock::now();
        int r = append_once(t, a, o);  // 0 ok, 1 conflict, 2 error
        if (!count(o, r, t0, SteadyClock::now(), phase.value.load(std::memory_order_relaxed) == 1))
          break;
      }
    });
  }
  while (phase.ready.load() != concurrency) std::this_thread::yield();
  phase.go.store(true);
  *window_s = run_window(cfg, phase.value, on_edge);
  for (auto& th : threads) th.join();
  return out;
}

void summarize(const std::vector<ThreadOutcome>& outs, RunResult& r) {
  std::vector<std::uint32_t> all;
  for (const auto& o : outs) {
    all.insert(all.end(), o.latency_us.begin(), o.latency_us.end());
    r.conflicts += o.conflicts;
    r.errors += o.errors;
    if (r.first_error.empty() && !o.first_error.empty()) r.first_error = o.first_error;
  }
  std::sort(all.begin(), all.end());
  r.appends = all.size();
  r.per_sec = r.window_s > 0 ? static_cast<double>(r.appends) / r.window_s : 0;
  auto pct = [&](double q) {
    if (all.empty()) return 0.0;
    std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(all.size())));
    rank = std::clamp<std::size_t>(rank, 1, all.size());
    return all[rank - 1] / 1000.0;
  };
  r.p50_ms = pct(0.50);
  r.p99_ms = pct(0.99);
  r.max_ms = all.empty() ? 0 : all.back() / 1000.0;
}

// ---------------------------------------------------------------------------
// RocksDB

// What both RocksDB modes share: a fresh log per run, the window's figures
// from stats() and getrusage at its edges, and the consistency check.
struct RocksRun {
  fs::path dir;
  journey::SystemClock clock;
  std::unique_ptr<st::EventLog> log;
  st::LogStats edge[2];
  rusage cpu[2]{};

  // A run of `backend` ("rocksdb", "rocks-async") at `concurrency`, in its own folder.
  bool open(const Config& cfg, const char* backend, int concurrency, RunResult& r) {
    r.backend = backend;
    r.concurrency = concurrency;
    dir = fs::path(cfg.data_dir) / (r.backend + "-c" + std::to_string(concurrency));
    fs::remove_all(dir);
    st::RocksDbOptions opts;
    opts.path = dir;
    opts.zero_filled_wal = cfg.zero_filled_wal;
    auto opened = st::open_rocksdb_event_log(opts, clock);
    if (!opened) {
      r.errors = 1;
      r.first_error = std::string("open: ") + st::to_string(opened.error().code) + ": " +
                      opened.error().message;
      r.check = "not run";
      return false;
    }
    log = std::move(opened.value());
    return true;
  }
  void on_edge(int k) {
    edge[k] = log->stats();
    getrusage(RUSAGE_SELF, &cpu[k]);
  }
  st::AppendRequest request(const Config& cfg, Appender& a, std::size_t i) {
    st::AppendRequest req;
    req.stream = st::StreamId(a.streams[i]);
    req.expected = st::ExpectedVersion::exactly(st::StreamVersion{a.versions[i]});
    st::NewEvent e;
    e.type = a.type();
    e.payload = a.payload(cfg.payload_bytes);
    e.effective_at = clock.now();
    e.actor = a.actor;
    req.events.push_back(std::move(e));
    return req;
  }
  // 0 ok, 1 conflict, 2 error (as drive() counts them).
  static int account(const st::Result<st::AppendResult>& res, Appender& a, std::size_t i,
                     ThreadOutcome& o) {
    if (res) {
      a.versions[i] = res->last_version.value;
      return 0;
    }
    if (res.error().code == st::ErrorCode::wrong_expected_version) {
      if (res.error().actual_version) a.versions[i] = *res.error().actual_version;
      if (o.first_error.empty()) o.first_error = res.error().message;
      return 1;
    }
    if (o.first_error.empty())
      o.first_error = std::string(st::to_string(res.error().code)) + ": " + res.error().message;
    return 2;
  }
  void finish(const Config& cfg, const std::vector<ThreadOutcome>& outs, RunResult& r) {
    summarize(outs, r);
    const std::uint64_t appended = edge[1].appends - edge[0].appends;
    std::uint64_t syncs = edge[1].wal_syncs - edge[0].wal_syncs;
    if (syncs > 0) r.group = static_cast<double>(appended) / static_cast<double>(syncs);
    if (appended > 0) {
      auto us = [](const timeval& a, const timeval& b) {
        return static_cast<double>(b.tv_sec - a.tv_sec) * 1e6 +
               static_cast<double>(b.tv_usec - a.tv_usec);
      };
      r.cpu_user_us = us(cpu[0].ru_utime, cpu[1].ru_utime) / static_cast<double>(appended);
      r.cpu_sys_us = us(cpu[0].ru_stime, cpu[1].ru_stime) / static_cast<double>(appended);
    }

    // Consistency: every acknowledged append is in the log, and the chain holds.
    std::uint64_t ok_total = 0;
    for (const auto& o : outs) ok_total += o.ok_total;
    std::string check;
    if (log->head().value != ok_total) {
      check = "head " + std::to_string(log->head().value) + " != acknowledged appends " +
              std::to_string(ok_total);
    } else if (log->stats().appends != ok_total) {
      check = "stats().appends " + std::to_string(log->stats().appends) + " != acknowledged " +
              std::to_string(ok_total);
    } else if (cfg.verify) {
      auto v = log->verify();
      if (!v) {
        check = std::string("verify failed: ") + v.error().message;
      } else if (!v->ok()) {
        check = "verify: " + v->problem;
      } else if (v->events_checked != ok_total) {
        check = "verify checked " + std::to_string(v->events_checked) + " events, expected " +
                std::to_string(ok_total);
      }
    }
    r.check = check.empty() ? "ok (" + std::to_string(ok_total) + " events" +
                                  (cfg.verify ? ", verified)" : ")")
                            : check;
    log.reset();
    if (!cfg.keep_data) fs::remove_all(dir);
  }
};

// Thread per appender: each calls append() and sleeps until it is durable.
RunResult run_rocksdb(const Config& cfg, int concurrency) {
  RunResult r;
  RocksRun run;
  if (!run.open(cfg, "rocksdb", concurrency, r)) return r;
  auto append_once = [&](int, Appender& a, ThreadOutcome& o) -> int {
    std::size_t i = a.pick();
    return RocksRun::account(run.log->append(run.request(cfg, a, i)), a, i, o);
  };
  auto outs = drive(
      cfg, concurrency, append_once, [&](int k) { run.on_edge(k); }, &r.window_s);
  run.finish(cfg, outs, r);
  return r;
}

// The same appenders without a thread each: every appender keeps one append in
// flight through append_async(), and its callback (on the log's syncer, or
// its writer when that syncs alone) accounts for it and submits the appender's next append, until
// the window closes. Per appender the loop is the one above: one append at a
// time, the next only after the last is durable.
RunResult run_rocksdb_async(const Config& cfg, int concurrency) {
  RunResult r;
  RocksRun run;
  if (!run.open(cfg, "rocks-async", concurrency, r)) return r;
  struct Chain {
    Appender a;
    ThreadOutcome o;
    std::size_t i = 0;
    SteadyClock::time_point t0;
    Chain(int t, int concurrency, int streams) : a(t, concurrency, streams) {}
  };
  std::vector<std::unique_ptr<Chain>> chains;
  for (int t = 0; t < concurrency; ++t) {
    chains.push_back(std::make_unique<Chain>(t, concurrency, cfg.streams));
    chains.back()->o.latency_us.reserve(1 << 16);
  }
  std::atomic<int> phase{0};  // 0 warmup, 1 measuring, 2 stop
  std::atomic<int> running{concurrency};
  std::mutex idle_mu;
  std::condition_variable idle_cv;

  // A chain's state is touched by one callback at a time: its next append is
  // submitted only from the callback of the last one.
  std::function<void(Chain&)> submit = [&](Chain& c) {
    c.i = c.a.pick();
    c.t0 = SteadyClock::now();
    run.log->append_async(
        run.request(cfg, c.a, c.i), [&, chain = &c](st::Result<st::AppendResult> res) {
          Chain& c = *chain;
          const auto t1 = SteadyClock::now();
          const bool going = count(c.o, RocksRun::account(res, c.a, c.i, c.o), c.t0, t1,
                                   phase.load(std::memory_order_relaxed) == 1);
          if (phase.load(std::memory_order_relaxed) == 2 || !going) {
            std::lock_guard<std::mutex> lock(idle_mu);
            if (--running == 0) idle_cv.notify_all();
            return;
          }
          submit(c);
        });
  };
  for (auto& c : chains) submit(*c);
  r.window_s = run_window(cfg, phase, [&](int k) { run.on_edge(k); });
  {
    std::unique_lock<std::mutex> lock(idle_mu);
    idle_cv.wait(lock, [&] { return running.load() == 0; });
  }
  std::vector<ThreadOutcome> outs;
  for (auto& c : chains) outs.push_back(std::move(c->o));
  run.finish(cfg, outs, r);
  return r;
}

// ---------------------------------------------------------------------------
// PostgreSQL

#ifdef JOURNEY_BENCH_HAVE_PG
struct PgConn {
  PGconn* c = nullptr;
  PgConn() = default;
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  ~PgConn() {
    if (c) PQfinish(c);
  }
};

std::string pg_exec(PGconn* c, const char* sql) {
  PGresult* res = PQexec(c, sql);
  std::string err;
  auto s = PQresultStatus(res);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) err = PQerrorMessage(c);
  PQclear(res);
  return err;
}

std::string pg_scalar(PGconn* c, const char* sql) {
  PGresult* res = PQexec(c, sql);
  std::string v;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
    v = PQgetvalue(res, 0, 0);
  else
    v = std::string("<error: ") + PQerrorMessage(c) + ">";
  PQclear(res);
  return v;
}

bool pg_connect(const std::string& conninfo, PgConn& pc, std::string& err) {
  pc.c = PQconnectdb(conninfo.c_str());
  if (PQstatus(pc.c) != CONNECTION_OK) {
    err = PQerrorMessage(pc.c);
    return false;
  }
  return true;
}

const char* kCreateTable =
    "CREATE TABLE events ("
    " position bigserial PRIMARY KEY,"
    " stream text NOT NULL,"
    " version bigint NOT NULL,"
    " type text,"
    " payload bytea,"
    " recorded_at timestamptz,"
    " UNIQUE (stream, version))";

RunResult run_postgres(const Config& cfg, int concurrency) {
  RunResult r;
  r.backend = "postgres";
  r.concurrency = concurrency;
  PgConn admin;
  std::string err;
  auto fail = [&](std::string what) {
    r.errors = 1;
    r.first_error = std::move(what);
    r.check = "not run";
    return r;
  };
  if (!pg_connect(cfg.pg_conninfo, admin, err)) return fail("connect: " + err);
  pg_exec(admin.c, "SET client_min_messages = warning");  // no NOTICE for DROP IF EXISTS
  if (!(err = pg_exec(admin.c, "DROP TABLE IF EXISTS events")).empty()) return fail("drop: " + err);
  if (!(err = pg_exec(admin.c, kCreateTable)).empty()) return fail("create: " + err);
  // Start from a clean WAL state, as the RocksDB run starts from an empty
  // folder; the checkpoint also unlinks the dropped table's files.
  if (!(err = pg_exec(admin.c, "CHECKPOINT")).empty()) return fail("checkpoint: " + err);
  quiet_disk(cfg);

  // One connection per appender, opened before the clock starts.
  std::vector<PgConn> conns(static_cast<std::size_t>(concurrency));
  for (auto& pc : conns) {
    if (!pg_connect(cfg.pg_conninfo, pc, err)) return fail("connect: " + err);
    PGresult* res = PQprepare(pc.c, "append",
                              "INSERT INTO events (stream, version, type, payload, recorded_at) "
                              "VALUES ($1, $2, $3, $4, now())",
                              4, nullptr);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) err = PQerrorMessage(pc.c);
    PQclear(res);
    if (!ok) return fail("prepare: " + err);
  }

  auto append_once = [&](int t, Appender& a, ThreadOutcome& o) -> int {
    PGconn* c = conns[static_cast<std::size_t>(t)].c;
    std::size_t i = a.pick();
    std::string version = std::to_string(a.versions[i] + 1);
    const char* type = a.type();
    std::string payload = a.payload(cfg.payload_bytes);
    const char* values[4] = {a.streams[i].c_str(), version.c_str(), type, payload.data()};
    int lengths[4] = {0, 0, 0, static_cast<int>(payload.size())};
    int formats[4] = {0, 0, 0, 1};  // payload as binary bytea
    PGresult* res = PQexecPrepared(c, "append", 4, values, lengths, formats, 0);
    int outcome = 0;
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
      a.versions[i] += 1;
    } else {
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      outcome = (state && std::strcmp(state, "23505") == 0) ? 1 : 2;  // unique_violation
      if (o.first_error.empty()) o.first_error = PQerrorMessage(c);
      if (outcome == 2 && PQstatus(c) != CONNECTION_OK) o.errors = 1000;  // connection lost: stop
    }
    PQclear(res);
    return outcome;
  };
  auto on_edge = [](int) {};
  auto outs = drive(cfg, concurrency, append_once, on_edge, &r.window_s);
  summarize(outs, r);

  std::uint64_t ok_total = 0;
  for (const auto& o : outs) ok_total += o.ok_total;
  std::string rows = pg_scalar(admin.c, "SELECT count(*) FROM events");
  r.check = rows == std::to_string(ok_total)
                ? "ok (" + rows + " rows)"
                : "rows " + rows + " != acknowledged inserts " + std::to_string(ok_total);
  conns.clear();
  if (!cfg.keep_data) pg_exec(admin.c, "DROP TABLE IF EXISTS events");
  return r;
}
#endif

// ---------------------------------------------------------------------------
// Reporting

std::string fs_type(const std::string& path) {
  struct statfs s {};
  if (statfs(path.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4 (ext2/3/4)";
    case 0x01021994:
      return "tmpfs (NOT durable storage)";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794c7630:
      return "overlayfs";
    case 0x6969:
      return "nfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(s.f_type));
      return buf;
    }
  }
}

void print_header() {
  std::printf("%-11s %5s %10s %11s %8s %8s %8s %7s %13s %9s %7s  %s\n", "backend", "conc",
              "appends", "appends/s", "p50 ms", "p99 ms", "max ms", "group", "cpu us u+s",
              "conflicts", "errors", "check");
  std::fflush(stdout);
}

void print_row(const RunResult& r) {
  char group[16] = "-";
  if (r.group) std::snprintf(group, sizeof group, "%.1f", *r.group);
  char cpu[32] = "-";
  if (r.cpu_user_us && r.cpu_sys_us)
    std::snprintf(cpu, sizeof cpu, "%.1f+%.1f", *r.cpu_user_us, *r.cpu_sys_us);
  std::printf("%-11s %5d %10" PRIu64 " %11.0f %8.3f %8.3f %8.3f %7s %13s %9" PRIu64 " %7" PRIu64
              "  %s\n",
              r.backend.c_str(), r.concurrency, r.appends, r.per_sec, r.p50_ms, r.p99_ms, r.max_ms,
              group, cpu, r.conflicts, r.errors, r.check.c_str());
  if (!r.first_error.empty()) std::printf("          first error: %s\n", r.first_error.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app{
      "journey_append_bench: durable appends/s and latency, RocksDB event log vs PostgreSQL"};
  app.add_option("--data", cfg.data_dir, "folder for the RocksDB logs (one sub-folder per run)")
      ->required();
  app.add_option("--seconds", cfg.seconds, "measured seconds per run")->capture_default_str();
  app.add_option("--warmup", cfg.warmup, "unmeasured seconds before each run")
      ->capture_default_str();
  app.add_option("--settle", cfg.settle, "seconds of quiet after sync(2) before each run")
      ->capture_default_str();
  app.add_option("--concurrency", cfg.concurrency, "appender counts, comma separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--pg", cfg.pg_conninfo,
                 "libpq conninfo; when given, run the same workload against PostgreSQL");
  app.add_option("--streams", cfg.streams, "number of hire streams")->capture_default_str();
  app.add_option("--payload-bytes", cfg.payload_bytes, "payload bytes per event")
      ->capture_default_str();
  bool no_verify = false;
  app.add_flag("--no-verify", no_verify, "skip verify() of the RocksDB log after each run");
  app.add_flag("--keep-data", cfg.keep_data, "keep each run's RocksDB folder / PostgreSQL table");
  std::vector<std::string> modes{"threads", "async"};
  app.add_option("--modes", modes,
                 "RocksDB appenders: threads (one thread each, append()), async (one "
                 "append_async() in flight each, no thread); comma separated")
      ->delimiter(',')
      ->check(CLI::IsMember({"threads", "async"}))
      ->capture_default_str();
  std::string wal = "zero-filled";
  app.add_option("--wal", wal,
                 "RocksDB WAL files: zero-filled (ahead of the writer, the default) or growing "
                 "(RocksDB's own preallocated file)")
      ->check(CLI::IsMember({"zero-filled", "growing"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  cfg.verify = !no_verify;
  cfg.zero_filled_wal = wal == "zero-filled";
  cfg.threads = std::find(modes.begin(), modes.end(), "threads") != modes.end();
  cfg.async = std::find(modes.begin(), modes.end(), "async") != modes.end();
  for (int c : cfg.concurrency) {
    if (c < 1 || c > cfg.streams) {
      std::fprintf(stderr, "concurrency %d out of range 1..%d\n", c, cfg.streams);
      return 2;
    }
  }
  if (cfg.streams < 1 || cfg.payload_bytes < 0 || cfg.seconds <= 0 || cfg.warmup < 0 ||
      cfg.settle < 0) {
    std::fprintf(stderr, "bad --streams/--payload-bytes/--seconds/--warmup/--settle\n");
    return 2;
  }
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", cfg.data_dir.c_str(), ec.message().c_str());
    return 2;
  }

  bool with_pg = !cfg.pg_conninfo.empty();
#ifndef JOURNEY_BENCH_HAVE_PG
  if (with_pg) {
    std::fprintf(stderr,
                 "--pg given but this build has no libpq (PostgreSQL not found at configure)\n");
    return 2;
  }
#endif

  std::printf("journey_append_bench\n");
  std::printf(
      "workload: 1 event/append, %d-byte payload, %d hire streams split disjointly between "
      "appenders,\n"
      "          ExpectedVersion::exactly(current), %.1f s warmup + %.1f s measured per run, fresh "
      "store per run,\n"
      "          sync(2) and %.1f s quiet before each run\n",
      cfg.payload_bytes, cfg.streams, cfg.warmup, cfg.seconds, cfg.settle);
  std::printf(
      "rocksdb : %s (filesystem: %s), writer + syncer pipeline, one SyncWAL per group (group "
      "commit),\n"
      "          WAL %s\n",
      fs::absolute(cfg.data_dir).c_str(), fs_type(cfg.data_dir).c_str(),
      cfg.zero_filled_wal ? "zero-filled ahead of the writer" : "growing (RocksDB's own)");
#ifdef JOURNEY_BENCH_HAVE_PG
  if (with_pg) {
    PgConn pc;
    std::string err;
    if (!pg_connect(cfg.pg_conninfo, pc, err)) {
      std::fprintf(stderr, "cannot connect to PostgreSQL (%s): %s\n", cfg.pg_conninfo.c_str(),
                   err.c_str());
      return 2;
    }
    std::printf(
        "postgres: %s; data_directory=%s; fsync=%s synchronous_commit=%s wal_sync_method=%s "
        "full_page_writes=%s commit_delay=%s\n",
        pg_scalar(pc.c, "SELECT split_part(version(), ' on ', 1)").c_str(),
        pg_scalar(pc.c, "SHOW data_directory").c_str(), pg_scalar(pc.c, "SHOW fsync").c_str(),
        pg_scalar(pc.c, "SHOW synchronous_commit").c_str(),
        pg_scalar(pc.c, "SHOW wal_sync_method").c_str(),
        pg_scalar(pc.c, "SHOW full_page_writes").c_str(),
        pg_scalar(pc.c, "SHOW commit_delay").c_str());
    std::string dd = pg_scalar(pc.c, "SHOW data_directory");
    std::printf(
        "          data directory filesystem: %s; one connection per appender, one INSERT per "
        "autocommit "
        "transaction, UNIQUE (stream, version)\n",
        fs_type(dd).c_str());
  }
#endif
  std::printf("\n");
  print_header();

  // Before a RocksDB run: PostgreSQL's dirty buffers from its last run written
  // out too. (run_postgres() quiets the disk itself, after its DROP + CREATE.)
  auto settle = [&] {
#ifdef JOURNEY_BENCH_HAVE_PG
    if (with_pg) {
      PgConn pc;
      std::string err;
      if (pg_connect(cfg.pg_conninfo, pc, err)) err = pg_exec(pc.c, "CHECKPOINT");
      if (!err.empty()) std::printf("          (no CHECKPOINT before this run: %s)\n", err.c_str());
    }
#endif
    quiet_disk(cfg);
  };

  // rocks[c] thread per appender, async[c] append_async() chains, pg[c] PostgreSQL.
  std::map<int, RunResult> rocks, async, pg;
  for (int c : cfg.concurrency) {
    if (cfg.threads) {
      settle();
      rocks[c] = run_rocksdb(cfg, c);
      print_row(rocks[c]);
    }
    if (cfg.async) {
      settle();
      async[c] = run_rocksdb_async(cfg, c);
      print_row(async[c]);
    }
#ifdef JOURNEY_BENCH_HAVE_PG
    if (with_pg) {
      pg[c] = run_postgres(cfg, c);
      print_row(pg[c]);
    }
#endif
  }

  bool failed = false;
  for (const auto* runs : {&rocks, &async, &pg})
    for (const auto& [c, r] : *runs)
      failed |= r.errors > 0 || r.conflicts > 0 || r.check.rfind("ok", 0) != 0;

  std::printf("\n");
  auto ratio_to_pg = [&](const RunResult& r) {
    return pg.count(r.concurrency) && pg[r.concurrency].per_sec > 0
               ? r.per_sec / pg[r.concurrency].per_sec
               : 0.0;
  };
  for (int c : cfg.concurrency) {
    for (const auto* runs : {&rocks, &async}) {
      if (!runs->count(c)) continue;
      const RunResult& r = runs->at(c);
      std::printf("RESULT concurrency=%d %s=%.0f/s (p50 %.3f ms, p99 %.3f ms)", c,
                  r.backend.c_str(), r.per_sec, r.p50_ms, r.p99_ms);
      if (with_pg) {
        const RunResult& p = pg[c];
        std::printf(" postgres=%.0f/s (p50 %.3f ms, p99 %.3f ms) ratio=%.2fx", p.per_sec, p.p50_ms,
                    p.p99_ms, ratio_to_pg(r));
      }
      std::printf("\n");
    }
  }
  if (with_pg && pg.count(64)) {
    for (const auto* runs : {&rocks, &async}) {
      if (!runs->count(64)) continue;
      const RunResult& r = runs->at(64);
      const double ratio = ratio_to_pg(r);
      std::printf("AIM >= 10x PostgreSQL at 64 appenders, %s: %s (%.2fx)\n",
                  runs == &rocks ? "one thread per appender (append)"
                                 : "one append in flight per appender (append_async)",
                  ratio >= 10 ? "MET" : "NOT MET", ratio);
    }
    if (async.count(64))
      std::printf(
          "          (PostgreSQL: a blocking INSERT per connection, no pipelining; journeyd's "
          "command path uses append_async())\n");
  }
  if (failed)
    std::printf(
        "WARNING: some run had errors, conflicts or a failed consistency check (see table)\n");
  return failed ? 1 : 0;
}
