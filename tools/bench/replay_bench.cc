// journey_replay_bench: how fast the engine rebuilds hires from the log, and how
// much memory that takes.
//
// Phase 1, setup (timed and reported, not the headline): a RocksDB log in a fresh
// folder, the GR programme published, then --hires hires written, each a VALID
// journey of --events domain events (default 150) that the journey machine
// accepts in order:
//
//   HireRegistered, IntroducerAppointed, MentorAppointed, the 22 preparation
//   items (ChecklistItemCompleted, dated before the first day), HireStarted, then
//   by date: the induction items, CourseBooked, 8 CourseModuleAttended and 4
//   BbicPartCompleted (on/after the course start), CourseCompleted,
//   SupervisionGroupJoined, 10 SupervisionSessionAttended (on/after the group's
//   start), SupervisionCompleted, IntroducerHoursLogged for as many weeks
//   (Mondays, from the first day) as make up --events, and JourneyCompleted.
//
// Nothing is dated after the virtual clock (2030-01-01). Each hire is ONE append
// (ExpectedVersion::no_stream()) straight through the EventLog, events encoded
// with workflows::encode() and effective_at from effective_date() (the record
// date for events without one, as the engine does), from --threads appender
// threads so that group commit shares the fsyncs. A few hires are then replayed
// through JourneyEngine::load() and checked (every part finished, lifecycle
// Completed) before anything is timed.
//
// Phase 2, replay (the headline): the log is closed and reopened (the process's
// caches - RocksDB block cache, the engine's programme cache - start cold; the
// OS page cache is warm), then, on ONE thread, in stream-name order, every hire:
//
//   read      EventLog::read_stream() only (RocksDB scan + envelope decode)
//   replay    JourneyEngine::replay(): the stream folded into the machine (commands, status)
//   load      JourneyEngine::load(): the same, keeping every record (history, audit views)
//   status    JourneyEngine::replay() + engine::project_status(today)
//   split     load()'s stages timed apart: read_stream, decode, machine replay
//
// Each figure reports hires, events, wall seconds, events/s and hires/s, plus the
// thread's CPU seconds. Memory: peak RSS from getrusage(RUSAGE_SELF).ru_maxrss
// after setup and after replay (a process-lifetime peak, so the figure after
// replay includes setup's peak), and the peak of the replay phase alone: VmHWM
// from /proc/self/status after resetting it (writing 5 to /proc/self/clear_refs)
// at the start of phase 2. --replay-only --data DIR runs phase 2 alone in a fresh
// process against a folder kept by an earlier --keep run, so that its ru_maxrss
// is the replay's own.
#include <sys/resource.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "journey/engine/journey_engine.h"
#include "journey/engine/status.h"
#include "journey/storage/clock.h"
#include "journey/storage/event_log.h"
#include "journey/storage/rocksdb_event_log.h"
#include "journey/workflows/events.h"
#include "journey/workflows/programme.h"
#include "population.h"

namespace fs = std::filesystem;
namespace st = journey::storage;
namespace wf = journey::workflows;
namespace en = journey::engine;
using date::days;
using journey::TimePoint;
using journey::VirtualClock;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Config {
  int hires = 10000;
  int events = 150;
  int threads = 8;
  int repeat = 1;
  std::string data_dir;
  bool keep = false;
  bool replay_only = false;
  bool shuffle = false;
  std::vector<std::string> figures{"read", "replay", "load", "status", "split"};
  int block_cache_mib = 0;  // 0: RocksDbOptions' default
};

// ---------------------------------------------------------------------------
// Measurement helpers

double mib_from_kib(long kib) { return static_cast<double>(kib) / 1024.0; }

double ru_maxrss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return mib_from_kib(ru.ru_maxrss);  // KiB on Linux
}

// "VmHWM" / "VmRSS" from /proc/self/status, in MiB; -1 if unavailable.
double proc_status_mib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return mib_from_kib(std::stol(line.substr(key.size())));
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0). ru_maxrss is not reset.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

void print_memory(const char* when) {
  std::printf("  peak RSS (ru_maxrss) %-22s %8.1f MiB   (current RSS %.1f MiB)\n", when,
              ru_maxrss_mib(), proc_status_mib("VmRSS"));
}

// ---------------------------------------------------------------------------
// The synthetic journeys (population.h): first days are Mondays spread over a
// year from 2025-01-06, in five units, all completed by the clock's 2030.

using journey::bench::append_request;
using journey::bench::hire_id;
using journey::bench::to_time;
using journey::bench::ymd;

const char* const kUnits[] = {"Barn och unga Hisingen", "Barn och unga Centrum",
                              "Barn och unga Nordost", "Barn och unga Sydväst",
                              "Mottagning barn och unga"};

std::vector<wf::DomainEvent> journey_events(const wf::Programme& p, int i, int target) {
  return journey::bench::journey_events(
      p, i, {ymd(2025, 1, 6) + days(7 * (i % 52)), kUnits[i % 5], target, std::nullopt});
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::unique_ptr<st::EventLog> open_log(const Config& cfg, const fs::path& dir,
                                       const journey::Clock& clock, bool create) {
  st::RocksDbOptions o;
  o.path = dir;
  o.create_if_missing = create;
  if (cfg.block_cache_mib > 0)
    o.block_cache_bytes = static_cast<std::size_t>(cfg.block_cache_mib) << 20;
  auto opened = st::open_rocksdb_event_log(o, clock);
  if (!opened.ok())
    throw std::runtime_error("opening " + dir.string() + ": " + opened.error().message);
  return std::move(opened.value());
}

// ---------------------------------------------------------------------------
// Phase 1

struct SetupResult {
  std::uint64_t events = 0;
  double seconds = 0;
  st::LogStats stats;
};

SetupResult setup(const Config& cfg, const fs::path& dir, VirtualClock& clock) {
  auto log = open_log(cfg, dir, clock, true);
  en::JourneyEngine engine(*log, clock);
  const std::string toml = read_text(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
  auto published = engine.publish_programme(toml, "gr-forsta-aren.toml", "bench.setup");
  if (!published.ok()) throw std::runtime_error("publish: " + published.message(wf::Language::en));
  auto prog = engine.programme("gr-forsta-aren", std::nullopt);
  if (!prog) throw std::runtime_error("programme gr-forsta-aren not found after publishing");

  const auto sample = journey_events(*prog, 0, cfg.events);
  int items = 0;
  for (const auto& cl : prog->checklists) items += static_cast<int>(cl.items.size());
  std::printf(
      "setup: %d hires x %zu events (%d checklist items, %s v%d), %d appender threads, data %s\n",
      cfg.hires, sample.size(), items, prog->id.c_str(), prog->version, cfg.threads,
      dir.string().c_str());
  {
    std::map<std::string, int> by_type;
    for (const auto& e : sample) ++by_type[wf::event_type_name(e)];
    std::string mix;
    for (const auto& name : wf::event_type_names()) {
      if (auto it = by_type.find(name); it != by_type.end()) {
        mix += (mix.empty() ? "" : ", ") + name + " " + std::to_string(it->second);
      }
    }
    std::printf("  per hire: %s\n", mix.c_str());
  }

  std::atomic<int> next{0};
  std::atomic<std::uint64_t> events{0};
  std::mutex err_mu;
  std::string first_error;
  const TimePoint now = clock.now();
  const auto t0 = SteadyClock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < cfg.threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < cfg.hires; i = next++) {
        auto evs = journey_events(*prog, i, cfg.events);
        auto r = log->append(append_request(hire_id(i), evs, now));
        if (!r.ok()) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (first_error.empty()) first_error = hire_id(i) + ": " + r.error().message;
          next = cfg.hires;
          return;
        }
        events += evs.size();
      }
    });
  }
  for (auto& w : workers) w.join();
  SetupResult res;
  res.seconds = seconds_since(t0);
  res.events = events.load();
  res.stats = log->stats();
  if (!first_error.empty()) throw std::runtime_error("append failed: " + first_error);

  // Correctness before timing: the machine must accept every stored event.
  for (int i : {0, 1, cfg.hires / 2, cfg.hires - 1}) {
    if (i < 0 || i >= cfg.hires) continue;
    auto hire = engine.load(hire_id(i));  // throws if an event is refused
    if (!hire) throw std::runtime_error(hire_id(i) + " not found");
    const auto expected = journey_events(*prog, i, cfg.events).size();
    if (hire->entries.size() != expected) {
      throw std::runtime_error(hire_id(i) + ": " + std::to_string(hire->entries.size()) +
                               " events replayed, " + std::to_string(expected) + " written");
    }
    for (const auto& [region, want] :
         std::vector<std::pair<std::string, std::string>>{{"lifecycle", "Completed"},
                                                          {"preparation", "PreparationReady"},
                                                          {"induction", "InductionDone"},
                                                          {"course", "CourseDone"},
                                                          {"supervision", "SupervisionDone"},
                                                          {"introducer", "IntroducerAssigned"},
                                                          {"mentor", "MentorAssigned"}}) {
      const std::string got = hire->machine.state_of(region);
      if (got != want) {
        throw std::runtime_error(hire_id(i) + ": region " + region + " is " + got + ", expected " +
                                 want);
      }
    }
  }
  std::printf(
      "  validated: hires 0, 1, %d, %d replay through JourneyEngine::load() to lifecycle "
      "Completed\n",
      cfg.hires / 2, cfg.hires - 1);
  return res;
}

// ---------------------------------------------------------------------------
// Phase 2

struct Figure {
  std::string name;
  std::uint64_t hires = 0;
  std::uint64_t events = 0;
  double seconds = 0;
  double cpu = 0;
};

void print_figure(const Figure& f) {
  std::printf(
      "  %-8s %7llu hires %10llu events %8.3f s (cpu %7.3f s) %12.0f events/s %10.0f hires/s\n",
      f.name.c_str(), static_cast<unsigned long long>(f.hires),
      static_cast<unsigned long long>(f.events), f.seconds, f.cpu,
      static_cast<double>(f.events) / f.seconds, static_cast<double>(f.hires) / f.seconds);
}

template <class F>
Figure timed(const std::string& name, const std::vector<std::string>& ids, F per_hire) {
  Figure f;
  f.name = name;
  const double c0 = thread_cpu_seconds();
  const auto t0 = SteadyClock::now();
  for (const auto& id : ids) {
    f.events += per_hire(id);
    ++f.hires;
  }
  f.seconds = seconds_since(t0);
  f.cpu = thread_cpu_seconds() - c0;
  return f;
}

// The stages of JourneyEngine::load() timed apart, per hire: read_stream,
// decode() of every payload, and a fresh JourneyMachine replaying the events.
// The same work as load() minus building the LoadedHire it returns.
void split(en::JourneyEngine& engine, const std::vector<std::string>& ids) {
  double t_read = 0, t_decode = 0, t_apply = 0;
  std::uint64_t events = 0;
  const auto t_all = SteadyClock::now();
  for (const auto& id : ids) {
    const auto t0 = SteadyClock::now();
    auto records = engine.log().read_stream(st::StreamId(id));
    if (!records.ok()) throw std::runtime_error(id + ": " + records.error().message);
    const auto t1 = SteadyClock::now();
    std::vector<wf::DomainEvent> evs;
    evs.reserve(records->size());
    for (const auto& r : *records) evs.push_back(wf::decode(r.type, r.schema_version, r.payload));
    const auto t2 = SteadyClock::now();
    const auto& reg = std::get<wf::HireRegistered>(evs.front());
    wf::JourneyMachine machine(engine.programme(reg.programme_id, reg.programme_version));
    for (const auto& e : evs) {
      if (auto refusal = machine.apply(e))
        throw std::runtime_error(id + ": " + refusal->message(wf::Language::en));
    }
    const auto t3 = SteadyClock::now();
    t_read += std::chrono::duration<double>(t1 - t0).count();
    t_decode += std::chrono::duration<double>(t2 - t1).count();
    t_apply += std::chrono::duration<double>(t3 - t2).count();
    events += evs.size();
  }
  const double total = seconds_since(t_all);
  auto line = [&](const char* what, double sec) {
    std::printf("    %-34s %8.3f s %6.0f ns/event %5.1f%%\n", what, sec,
                sec * 1e9 / static_cast<double>(events), 100.0 * sec / total);
  };
  std::printf("  split (load() by stage, %llu events, %.3f s = %.0f events/s):\n",
              static_cast<unsigned long long>(events), total, static_cast<double>(events) / total);
  line("read_stream (RocksDB + envelope)", t_read);
  line("decode (cereal)", t_decode);
  line("machine replay (MSM apply)", t_apply);
}

int replay(const Config& cfg, const fs::path& dir, VirtualClock& clock) {
  const bool hwm_reset = reset_peak_rss();
  const auto t_open = SteadyClock::now();
  auto log = open_log(cfg, dir, clock, false);
  en::JourneyEngine engine(*log, clock);
  const double open_s = seconds_since(t_open);
  const auto t_list = SteadyClock::now();
  std::vector<std::string> ids = engine.hires();
  const double list_s = seconds_since(t_list);
  if (cfg.shuffle) {
    std::mt19937_64 rng(42);
    std::shuffle(ids.begin(), ids.end(), rng);
  }
  std::printf(
      "replay: log reopened in %.3f s, %zu hire streams listed in %.3f s, one thread, %s order\n",
      open_s, ids.size(), list_s, cfg.shuffle ? "shuffled" : "stream-name");
  const date::sys_days today = engine.today();

  std::uint64_t sink = 0;  // keeps the projections from being optimised away
  for (int pass = 1; pass <= cfg.repeat; ++pass) {
    if (cfg.repeat > 1) std::printf(" pass %d\n", pass);
    auto want = [&](const char* f) {
      return std::find(cfg.figures.begin(), cfg.figures.end(), f) != cfg.figures.end();
    };
    std::optional<Figure> read, rep, status, loaded;
    if (want("read")) {
      read = timed("read", ids, [&](const std::string& id) -> std::uint64_t {
        auto r = log->read_stream(st::StreamId(id));
        if (!r.ok()) throw std::runtime_error(id + ": " + r.error().message);
        return r->size();
      });
      print_figure(*read);
    }
    if (want("replay")) {
      // The path every command and today's status take: the stream folded
      // straight into the machine (JourneyEngine::replay()).
      rep = timed("replay", ids, [&](const std::string& id) -> std::uint64_t {
        auto hire = engine.replay(id);
        if (!hire) throw std::runtime_error(id + " not found");
        return hire->version;
      });
      print_figure(*rep);
    }
    if (want("load")) {
      // The audit path: the same replay keeping every record and decoded event.
      loaded = timed("load", ids, [&](const std::string& id) -> std::uint64_t {
        auto hire = engine.load(id);
        if (!hire) throw std::runtime_error(id + " not found");
        return hire->entries.size();
      });
      print_figure(*loaded);
    }
    if (want("status")) {
      status = timed("status", ids, [&](const std::string& id) -> std::uint64_t {
        auto hire = engine.replay(id);
        if (!hire) throw std::runtime_error(id + " not found");
        auto s = en::project_status(id, *hire->machine, today);
        sink += s.weeks.size() + s.items.size();
        return hire->version;
      });
      print_figure(*status);
    }
    if (want("split")) split(engine, ids);
    std::uint64_t counts[3] = {read ? read->events : 0, rep ? rep->events : 0,
                               status ? status->events : 0};
    std::uint64_t seen = 0;
    for (auto c : counts) {
      if (c == 0) continue;
      if (seen != 0 && c != seen) {
        std::printf("  MISMATCH: read %llu events, replay %llu, status %llu\n",
                    static_cast<unsigned long long>(counts[0]),
                    static_cast<unsigned long long>(counts[1]),
                    static_cast<unsigned long long>(counts[2]));
        return 1;
      }
      seen = c;
    }
    if (!rep) continue;
    const double eps = static_cast<double>(rep->events) / rep->seconds;
    std::printf("  headline: replay %.0f events/s on one core (aim 1000000: %s)\n", eps,
                eps >= 1e6 ? "met" : "NOT met");
  }
  print_memory("after replay");
  if (hwm_reset) {
    std::printf("  peak RSS of the replay phase alone (VmHWM reset at its start): %.1f MiB\n",
                proc_status_mib("VmHWM"));
  }
  if (sink == 42) std::printf(" \n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app{"journey_replay_bench: replay throughput and peak memory of JourneyEngine::load()"};
  app.add_option("--hires", cfg.hires, "hires to write and replay")->check(CLI::PositiveNumber);
  app.add_option("--events", cfg.events,
                 "events per hire (about; at least the fixed part of a journey)")
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", cfg.threads, "appender threads during setup")
      ->check(CLI::PositiveNumber);
  app.add_option("--repeat", cfg.repeat, "timed replay passes")->check(CLI::PositiveNumber);
  app.add_option("--data", cfg.data_dir, "log folder (default: a new temporary folder)");
  app.add_flag("--keep", cfg.keep, "keep the log folder at the end");
  app.add_option("--block-cache-mib", cfg.block_cache_mib,
                 "RocksDB block cache capacity (default: the log's default, "
                 "RocksDbOptions::block_cache_bytes)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--replay-only", cfg.replay_only, "skip setup: replay the log already in --data");
  app.add_flag("--shuffle", cfg.shuffle,
               "replay hires in a random order instead of stream-name order");
  app.add_option("--figures", cfg.figures, "which timed figures to run (e.g. for a profiler)")
      ->delimiter(',')
      ->check(CLI::IsMember({"read", "replay", "load", "status", "split"}));
  CLI11_PARSE(app, argc, argv);

  if (cfg.replay_only && cfg.data_dir.empty()) {
    std::fprintf(stderr, "--replay-only needs --data\n");
    return 2;
  }
  fs::path dir;
  bool created = false;
  if (cfg.data_dir.empty()) {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("journey-replay-bench-" + std::to_string(rd()));
  } else {
    dir = cfg.data_dir;
  }
  if (!cfg.replay_only) {
    if (fs::exists(dir) && !fs::is_empty(dir)) {
      std::fprintf(stderr, "%s exists and is not empty; setup needs a fresh folder\n",
                   dir.string().c_str());
      return 2;
    }
    created = true;
  }

  VirtualClock clock(to_time(ymd(2030, 1, 1)) + std::chrono::hours(9));
  int rc = 0;
  try {
    if (!cfg.replay_only) {
      auto s = setup(cfg, dir, clock);
      std::printf(
          "  wrote %llu events in %.3f s: %.0f events/s, %.0f hires/s (%llu appends, %llu WAL "
          "syncs)\n",
          static_cast<unsigned long long>(s.events), s.seconds,
          static_cast<double>(s.events) / s.seconds, cfg.hires / s.seconds,
          static_cast<unsigned long long>(s.stats.appends),
          static_cast<unsigned long long>(s.stats.wal_syncs));
      print_memory("after setup");
    }
    rc = replay(cfg, dir, clock);
    std::error_code ec;
    std::printf("  log folder: %.1f MiB on disk\n", [&] {
      std::uintmax_t bytes = 0;
      for (auto& e : fs::recursive_directory_iterator(dir, ec))
        if (e.is_regular_file(ec)) bytes += e.file_size(ec);
      return static_cast<double>(bytes) / (1024.0 * 1024.0);
    }());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    rc = 1;
  }
  if (created && !cfg.keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  } else {
    std::printf("  log kept in %s\n", dir.string().c_str());
  }
  return rc;
}
