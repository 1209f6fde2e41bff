// journey_scheduler_bench: the durable reminder scheduler (engine/scheduler.cc)
// at scale, and the virtual-time simulation. A program that prints figures,
// not a test. Three parts, each selectable with --part (run them as separate
// processes when the peak-RSS figures matter: VmHWM is reset at the start of
// each part, ru_maxrss is not):
//
// timers      Enough hires registered through JourneyEngine::register_hire
//             (GR programme, with an introducer, units with contacts) that the
//             scheduler index holds >= --timers pending timers. The number of
//             timers one new hire gets is measured first (plan_reminders on
//             the first registered hire), and the number of hires derived from
//             it. Registration runs from --threads threads (setup, reported
//             but not a headline). The virtual clock stands at 07:00
//             Europe/Stockholm on a Monday, outside office hours, so a tick
//             folds the log and (re)plans every hire but decides nothing.
//               build    the first tick on an empty index: wall time,
//                        pending_timers(), RSS before/after and the tick's
//                        peak, the index's logical size (keys + values by
//                        prefix) and its size on disk after close and after
//                        a reopen (RocksDB replays and flushes its WAL).
//               restart  everything closed and reopened (log, engine, index,
//                        scheduler); a tick without rebuild (the index is
//                        kept: nothing to do); then rebuild() and the tick
//                        after it, which refolds the whole log and replans
//                        every hire: "time to rebuild the index after a
//                        restart"; then a tick one day later (the daily full
//                        replan that the first tick of every local day does).
//
// lateness    The real clock, shifted: OffsetClock is the system clock plus a
//             fixed offset, advancing at real speed. Setup (--late-hires hires
//             registered, one tick to plan them) runs with "now" at 07:00
//             local on a working day; then the offset is moved forward ONCE
//             so that now = 08:00 - (--preroll + U(0, interval)) (a random
//             phase of the tick grid against 08:00), and from then on it is
//             fixed. The tick loop (tick(); sleep(interval), as `journeyctl
//             scheduler run`) runs across 08:00 until everything due at 08:00
//             was decided and delivered. Each hire's task lists (the
//             reminders whose rung falls on registration day) are due at
//             08:00. Delivery goes to an EmlDirectoryTransport folder (files
//             fsynced, no network). Lateness is measured from the log
//             afterwards: recorded_at of each NotificationDecided (and of each
//             delivered DeliveryAttempted) minus the 08:00 send instant.
//             --rounds crossings per --intervals entry, each in a fresh
//             folder; figures per round and over all rounds.
//
// simulation  engine::simulate() for --sim-hires hires over --sim-days days,
//             the configuration of `journeyctl simulate --hires 10000 --days
//             730 --summary` (programme gr-forsta-aren, 3 units, seed 1, send
//             hour 08:00, first day the next Monday unless --sim-from).
//
// Data goes to --data (default: a new folder under $TMPDIR or /tmp), removed
// at the end unless --keep.
#include <sys/resource.h>
#include <sys/stat.h>
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
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "journey/adapters/eml_transport.h"
#include "journey/engine/journey_engine.h"
#include "journey/engine/scheduler.h"
#include "journey/engine/simulation.h"
#include "journey/storage/clock.h"
#include "journey/storage/kv_store.h"
#include "journey/storage/rocksdb_event_log.h"

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
  std::vector<std::string> parts{"timers", "lateness", "simulation"};
  std::string data_dir;
  bool keep = false;
  long timers = 1'000'000;
  int threads = 8;
  int units = 20;
  int late_hires = 1500;
  std::vector<int> intervals{50, 1000};
  double preroll = 2.0;
  int rounds = 3;
  double late_timeout = 900.0;
  int sim_hires = 10000;
  int sim_days = 730;
  std::string sim_from;
};

// ---------------------------------------------------------------------------
// Measurement helpers

double mib(double bytes) { return bytes / 1048576.0; }

// "VmHWM" / "VmRSS" from /proc/self/status, in KiB; -1 if unavailable.
long proc_status_kib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  }
  return -1;
}
double rss_mib() { return static_cast<double>(proc_status_kib("VmRSS")) / 1024.0; }
double hwm_mib() { return static_cast<double>(proc_status_kib("VmHWM")) / 1024.0; }
double ru_maxrss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}
// Resets VmHWM to the current RSS (Linux >= 4.0).
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

double cpu_seconds(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// Wall time, this thread's CPU and the process's CPU (RocksDB's background
// threads included) over a span: wall well above the thread's CPU on a
// CPU-bound span means the span waited (for the disk, or for a core).
struct Span {
  SteadyClock::time_point t0 = SteadyClock::now();
  double thread0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
  double proc0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
  double wall() const { return std::chrono::duration<double>(SteadyClock::now() - t0).count(); }
  double thread_cpu() const { return cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - thread0; }
  double proc_cpu() const { return cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - proc0; }
  std::string str() const {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%.3f s wall (thread cpu %.3f s, process cpu %.3f s)", wall(),
                  thread_cpu(), proc_cpu());
    return buf;
  }
};

struct DirSize {
  std::uintmax_t apparent = 0, allocated = 0, sst = 0, wal = 0, other = 0;
  int files = 0;
};
DirSize dir_size(const fs::path& dir) {
  DirSize d;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    struct stat sb {};
    if (::stat(e.path().c_str(), &sb) != 0) continue;
    ++d.files;
    d.apparent += static_cast<std::uintmax_t>(sb.st_size);
    d.allocated += static_cast<std::uintmax_t>(sb.st_blocks) * 512u;
    const auto ext = e.path().extension();
    (ext == ".sst"   ? d.sst
     : ext == ".log" ? d.wal
                     : d.other) += static_cast<std::uintmax_t>(sb.st_size);
  }
  return d;
}
void print_dir(const char* what, const DirSize& d, double timers) {
  std::printf(
      "  %-34s %8.1f MiB on disk (du), %8.1f MiB apparent: .sst %.1f MiB, WAL .log %.1f MiB, other "
      "%.1f MiB"
      " (%d files); %.1f bytes/timer (du)\n",
      what, mib(static_cast<double>(d.allocated)), mib(static_cast<double>(d.apparent)),
      mib(static_cast<double>(d.sst)), mib(static_cast<double>(d.wal)),
      mib(static_cast<double>(d.other)), d.files,
      timers > 0 ? static_cast<double>(d.allocated) / timers : 0.0);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100.0 * static_cast<double>(v.size());
  std::size_t i = rank <= 1 ? 0 : static_cast<std::size_t>(std::ceil(rank)) - 1;
  return v[std::min(i, v.size() - 1)];
}

template <class T>
T must(st::Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
  return std::move(r.value());
}

date::sys_days ymd(int y, unsigned m, unsigned d) { return date::sys_days(date::year(y) / m / d); }

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The real clock shifted by an offset; it advances at real speed. The offset
// is moved (forward only) between setup and measurement, never during it.
class OffsetClock final : public journey::Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now()) +
           std::chrono::microseconds(offset_us_.load());
  }
  // From now on, now() reads `t` at this instant.
  void set_now(TimePoint t) {
    const auto real =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    const std::int64_t off = (t - real).count();
    if (off < offset_us_.load()) throw std::logic_error("OffsetClock moved backwards");
    offset_us_.store(off);
  }

 private:
  std::atomic<std::int64_t> offset_us_{0};
};

const char* const kFirst[] = {"Sara", "Ahmed", "Linnéa", "Johan", "Fatima",
                              "Erik", "Maja",  "Omar",   "Åsa",   "Björn"};
const char* const kLast[] = {"Lind", "Hassan", "Berg",     "Nilsson", "Ali",
                             "Ek",   "Holm",   "Sandberg", "Öberg",   "Strömberg"};
const char* const kUnitBase[] = {"Barn och unga Hisingen", "Barn och unga Centrum",
                                 "Barn och unga Nordost", "Barn och unga Sydväst",
                                 "Mottagning barn och unga"};

std::string unit_name(int u) {
  return std::string(kUnitBase[u % 5]) + " " + std::to_string(u / 5 + 1);
}

std::string ascii_lower(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

// A data folder with the GR programme published and `units` units with contacts
// (no digests, so that every reminder that is due on time is its own message).
struct Store {
  fs::path dir;
  const journey::Clock& clock;
  std::unique_ptr<st::EventLog> log;
  std::unique_ptr<en::JourneyEngine> engine;

  Store(fs::path d, const journey::Clock& c) : dir(std::move(d)), clock(c) { open(); }
  void open() {
    log = must(st::open_rocksdb_event_log({dir / "log"}, clock), "opening the log");
    engine = std::make_unique<en::JourneyEngine>(*log, clock);
  }
  void close() {
    engine.reset();
    log.reset();
  }
  void setup(int units) {
    const std::string toml =
        read_text(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
    if (!engine->publish_programme(toml, "gr-forsta-aren.toml", "bench").ok())
      throw std::runtime_error("publish");
    for (int u = 0; u < units; ++u) {
      const std::string n = std::to_string(u + 1);
      en::UnitContacts c{
          unit_name(u),
          {"Anna Berg " + n, "enhetschef" + n + "@kommun.example", wf::Language::sv, false},
          {"Omar Ali " + n, "administrator" + n + "@kommun.example", wf::Language::sv, false},
          en::Contact{"Ingrid Ek " + n, "ifo-chef" + n + "@kommun.example", wf::Language::sv,
                      false}};
      if (!engine->set_unit(c, {"bench", "", std::nullopt}).ok())
        throw std::runtime_error("set_unit");
    }
  }
};

en::RegisterHire hire_command(int i, date::sys_days start, int units) {
  const std::string first = kFirst[i % 10], last = kLast[(i / 10) % 10];
  en::RegisterHire cmd;
  cmd.name = first + " " + last;
  cmd.email =
      ascii_lower(first) + "." + ascii_lower(last) + "." + std::to_string(i) + "@kommun.example";
  cmd.unit = unit_name(i % units);
  cmd.start = wf::format_date(start);
  cmd.experienced = false;
  cmd.introducer = wf::Person{"Karin Ek " + std::to_string(i % 97),
                              "introduktor" + std::to_string(i % 97) + "@kommun.example"};
  return cmd;
}

// Registers hires [from, to) from `threads` threads; start dates from start_of(i).
// Returns the hire ids. A (rare) random id collision is a conflict: retried.
std::vector<std::string> register_hires(en::JourneyEngine& engine, int from, int to, int threads,
                                        int units,
                                        const std::function<date::sys_days(int)>& start_of) {
  std::vector<std::string> ids(static_cast<std::size_t>(to - from));
  std::atomic<int> next{from};
  std::atomic<int> conflicts{0};
  std::mutex err_mu;
  std::string error;
  auto work = [&] {
    for (;;) {
      const int i = next.fetch_add(1);
      if (i >= to) return;
      for (int attempt = 0;; ++attempt) {
        auto o =
            engine.register_hire(hire_command(i, start_of(i), units), {"bench", "", std::nullopt});
        if (o.ok()) {
          ids[static_cast<std::size_t>(i - from)] = o.hire_id;
          break;
        }
        if (o.kind == en::CommandOutcome::Kind::conflict && attempt < 5) {
          ++conflicts;
          continue;
        }
        std::lock_guard<std::mutex> lock(err_mu);
        error = o.message(wf::Language::en);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (!error.empty()) throw std::runtime_error("register_hire: " + error);
  if (conflicts) std::printf("  (%d hire-id collisions retried)\n", conflicts.load());
  return ids;
}

// Timers replan() would put in the index for this hire now: what plan_reminders
// gives, minus rungs before registration day and those older than catch-up.
std::size_t planned_timers(en::JourneyEngine& engine, const std::string& hire,
                           date::sys_days today) {
  auto h = engine.load(hire);
  if (!h) throw std::runtime_error("cannot load " + hire);
  const auto status = en::project_status(hire, h->machine, today);
  std::size_t n = 0;
  for (const auto& r : en::plan_reminders(status, *h->programme, h->registered_on))
    n += r.fire_on >= h->registered_on;
  return n;
}

std::unique_ptr<en::ReminderScheduler> open_scheduler(
    en::JourneyEngine& engine, const en::MunicipalTime& time, const en::Templates& templates,
    journey::adapters::MailTransport& mail, const journey::Clock& clock, const fs::path& index) {
  en::SchedulerConfig cfg;
  cfg.index_path = index;
  cfg.sender = {"Journey", "journey@kommun.example"};
  auto kv = must(st::open_rocksdb_kv(index), "opening the scheduler index");
  return std::make_unique<en::ReminderScheduler>(engine, time, templates, mail, clock, cfg,
                                                 std::move(kv));
}

// Keys and bytes of the index by the first byte of the key.
void print_logical_index(const fs::path& index, double timers) {
  auto kv = must(st::open_rocksdb_kv(index), "opening the scheduler index");
  std::map<char, std::pair<std::uint64_t, std::uint64_t>> by;  // prefix -> keys, bytes
  Span s;
  must(kv->scan(std::string(1, '\0'), std::string(1, '\x7f'),
                [&](const std::string& k, const std::string& v) {
                  auto& e = by[k.empty() ? '?' : k[0]];
                  ++e.first;
                  e.second += k.size() + v.size();
                  return true;
                }),
       "scanning the index");
  std::uint64_t total = 0;
  std::printf("  logical index content (full scan %.3f s):\n", s.wall());
  for (const auto& [p, e] : by) {
    std::printf("    '%c' %10llu keys %9.1f MiB (keys + values), %.1f bytes/key\n", p,
                static_cast<unsigned long long>(e.first), mib(static_cast<double>(e.second)),
                e.first ? static_cast<double>(e.second) / static_cast<double>(e.first) : 0.0);
    total += e.second;
  }
  std::printf("    total %.1f MiB, %.1f bytes/timer\n", mib(static_cast<double>(total)),
              timers > 0 ? static_cast<double>(total) / timers : 0.0);
}

void print_tick(const char* what, const Span& s, const en::TickReport& r) {
  std::printf("  %-34s %s; hires replanned %d, decided %d, delivered %d%s\n", what, s.str().c_str(),
              r.hires_replanned, r.reminders_decided, r.delivered,
              r.outside_office_hours ? " [outside office hours]" : "");
}

// ---------------------------------------------------------------------------
// Part 1: a million pending timers

void part_timers(const Config& c, const fs::path& base) {
  std::printf("\n== timers: >= %ld pending timers (load average %s)\n", c.timers,
              loadavg().c_str());
  reset_peak_rss();
  const fs::path dir = base / "timers";
  const en::MunicipalTime municipal{std::chrono::hours(8)};
  const en::Templates templates = en::Templates::load(JOURNEY_TEMPLATES_DIR);
  const date::sys_days monday = ymd(2027, 2, 1);  // a working Monday
  VirtualClock clock(
      municipal.to_utc(date::local_days(monday.time_since_epoch()) + std::chrono::hours(7)));
  journey::adapters::EmlDirectoryTransport mail(dir / "outbox");
  // First days: Mondays 4 to 15 weeks ahead (all timers in the future).
  auto start_of = [&](int i) { return monday + days(7 * (4 + i % 12)); };

  auto store = std::make_unique<Store>(dir, clock);
  store->setup(c.units);
  auto first = register_hires(*store->engine, 0, 1, 1, c.units, start_of);
  const std::size_t per_hire = planned_timers(*store->engine, first.front(), monday);
  const int hires =
      static_cast<int>((c.timers + static_cast<long>(per_hire) - 1) / static_cast<long>(per_hire));
  std::printf("  one new GR hire plans %zu timers -> %d hires for %ld timers\n", per_hire, hires,
              c.timers);
  {
    Span s;
    register_hires(*store->engine, 1, hires, c.threads, c.units, start_of);
    std::printf("  setup: registered %d hires from %d threads in %s, %.0f hires/s\n", hires - 1,
                c.threads, s.str().c_str(), (hires - 1) / s.wall());
  }
  const std::size_t streams = store->engine->hires().size();
  std::printf("  hire streams in the log: %zu\n", streams);

  const double rss_before = rss_mib();
  reset_peak_rss();
  std::printf("  RSS before the scheduler: VmRSS %.1f MiB\n", rss_before);
  auto sched = open_scheduler(*store->engine, municipal, templates, mail, clock, dir / "scheduler");
  en::TickReport r;
  Span build;
  r = sched->tick();
  print_tick("first tick (builds the index):", build, r);
  const double build_wall = build.wall();
  const double rss_after = rss_mib(), hwm_build = hwm_mib();
  Span count_span;
  const std::size_t timers = sched->pending_timers();
  std::printf("  pending_timers() = %zu (%.1f per hire; counting scan %.3f s)\n", timers,
              static_cast<double>(timers) / static_cast<double>(streams), count_span.wall());
  std::printf("  index build rate: %.0f timers/s, %.0f hires/s\n",
              static_cast<double>(timers) / build_wall, static_cast<double>(streams) / build_wall);
  std::printf("  RSS after the first tick: VmRSS %.1f MiB, peak during it (VmHWM) %.1f MiB\n",
              rss_after, hwm_build);
  std::printf(
      "  memory per timer in the process: (VmRSS after - before) / timers = %.1f bytes; "
      "(peak - before) / timers = %.1f bytes\n",
      (rss_after - rss_before) * 1048576.0 / static_cast<double>(timers),
      (hwm_build - rss_before) * 1048576.0 / static_cast<double>(timers));
  sched.reset();  // closes the index
  print_dir("index folder after close:", dir_size(dir / "scheduler"), static_cast<double>(timers));
  print_logical_index(dir / "scheduler", static_cast<double>(timers));  // opens and closes it again
  print_dir("index folder after reopen + close:", dir_size(dir / "scheduler"),
            static_cast<double>(timers));
  print_dir("event log folder:", dir_size(dir / "log"), 0);

  std::printf("\n== restart: everything closed, reopened; rebuild() (load average %s)\n",
              loadavg().c_str());
  store->close();
  reset_peak_rss();
  const double rss_closed = rss_mib();
  {
    Span s;
    store->open();
    std::printf("  reopen the event log:              %s\n", s.str().c_str());
  }
  {
    Span s;
    sched = open_scheduler(*store->engine, municipal, templates, mail, clock, dir / "scheduler");
    std::printf("  reopen the index + scheduler:      %s\n", s.str().c_str());
  }
  {
    Span s;
    r = sched->tick();
    print_tick("tick, index kept (no rebuild):", s, r);
  }
  {
    Span s;
    sched->rebuild();
    std::printf("  rebuild() (clears the index):      %s; VmHWM %.1f MiB (RSS before %.1f MiB)\n",
                s.str().c_str(), hwm_mib(), rss_closed);
  }
  Span rebuilt;
  r = sched->tick();
  print_tick("tick after rebuild() (REBUILD):", rebuilt, r);
  {
    Span s;
    const std::size_t again = sched->pending_timers();
    std::printf(
        "  pending_timers() = %zu (%s the build; counting scan %.3f s, over the tombstones of the "
        "clear)\n",
        again, again == timers ? "same as" : "DIFFERENT FROM", s.wall());
  }
  std::printf("  RSS now %.1f MiB; peak since the close (VmHWM) %.1f MiB\n", rss_mib(), hwm_mib());
  {
    clock.advance(std::chrono::hours(24));
    Span s;
    r = sched->tick();
    print_tick("next day's first tick (replan):", s, r);
    std::printf("  pending_timers() = %zu\n", sched->pending_timers());
  }
  sched.reset();
  print_dir("index folder after all that:", dir_size(dir / "scheduler"),
            static_cast<double>(timers));
  store->close();
  std::printf("  ru_maxrss of the process: %.1f MiB (load average %s)\n", ru_maxrss_mib(),
              loadavg().c_str());
}

// ---------------------------------------------------------------------------
// Part 2: firing lateness with the real clock

struct Lateness {
  std::vector<double> decided, delivered;  // ms after 08:00
  double tick_start_ms = 0;                // start of the first tick at or after 08:00
};

void print_lateness_line(const char* what, const std::vector<double>& v) {
  if (v.empty()) return;
  std::printf("  %-44s n %5zu  min %8.1f  p50 %8.1f  p99 %8.1f  max %8.1f ms\n", what, v.size(),
              *std::min_element(v.begin(), v.end()), percentile(v, 50), percentile(v, 99),
              *std::max_element(v.begin(), v.end()));
}

// One crossing of 08:00 in a fresh folder; the tick loop starts preroll_s
// seconds before 08:00.
Lateness lateness_round(const Config& c, const fs::path& dir, int interval_ms, double preroll_s) {
  const en::MunicipalTime municipal{std::chrono::hours(8)};
  const en::Templates templates = en::Templates::load(JOURNEY_TEMPLATES_DIR);
  const date::sys_days day = ymd(2027, 2, 2);  // a working Tuesday
  const TimePoint eight = municipal.send_instant_on(day);
  OffsetClock clock;
  clock.set_now(eight - std::chrono::hours(1));
  journey::adapters::EmlDirectoryTransport mail(dir / "outbox");
  Store store(dir, clock);
  store.setup(c.units);
  {
    Span s;
    register_hires(*store.engine, 0, c.late_hires, c.threads, c.units, [&](int i) {
      return day + days(6 + 7 * (4 + i % 12));
    });  // Mondays 5-16 weeks ahead
    std::printf("  setup: registered %d hires in %s\n", c.late_hires, s.str().c_str());
  }
  const std::uint64_t first_position =
      must(store.log->read_all(st::GlobalPosition{1}, SIZE_MAX), "log").back().position.value + 1;
  auto sched = open_scheduler(*store.engine, municipal, templates, mail, clock, dir / "scheduler");
  {
    Span s;
    auto r = sched->tick();
    print_tick("planning tick at 07:00:", s, r);
  }
  // What is due at 08:00, counted through the planner (as replan() does).
  std::size_t due = 0;
  for (const auto& h : store.engine->hires()) {
    auto l = store.engine->load(h);
    const auto status = en::project_status(h, l->machine, day);
    for (const auto& p : en::plan_reminders(status, *l->programme, l->registered_on)) {
      if (p.fire_on >= l->registered_on && municipal.send_time(p.fire_on) <= eight) ++due;
    }
  }
  std::printf("  pending timers %zu, of which due at 08:00: %zu\n", sched->pending_timers(), due);

  const auto preroll = std::chrono::microseconds(static_cast<std::int64_t>(preroll_s * 1e6));
  clock.set_now(eight - preroll);
  std::printf("  clock moved to 08:00 - %.3f s; from here on it runs at real speed, offset fixed\n",
              preroll_s);
  struct TickLine {
    double start_ms, dur_ms;
    en::TickReport r;
  };
  std::vector<TickLine> busy;
  Lateness out;
  int ticks = 0, ticks_after = 0;
  const auto deadline = SteadyClock::now() + std::chrono::duration<double>(c.late_timeout);
  Span loop;
  bool done = false;
  while (!done) {
    const TimePoint t0 = clock.now();
    const auto s0 = SteadyClock::now();
    const auto r = sched->tick();
    const double dur = std::chrono::duration<double, std::milli>(SteadyClock::now() - s0).count();
    const double start_ms = std::chrono::duration<double, std::milli>(t0 - eight).count();
    ++ticks;
    if (t0 >= eight && ticks_after++ == 0) out.tick_start_ms = start_ms;
    if (r.reminders_decided || r.delivered || r.retried || r.failed || r.unresolved)
      busy.push_back({start_ms, dur, r});
    const bool quiet = !r.reminders_decided && !r.delivered && !r.retried;
    if (t0 >= eight && quiet && ticks_after > 1) {
      const auto next = sched->next_due();
      done = !next || *next > eight;
    }
    if (SteadyClock::now() > deadline) {
      std::printf("  TIMEOUT after %.0f s\n", c.late_timeout);
      break;
    }
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  std::printf(
      "  tick loop: %d ticks (%d at/after 08:00) over %.1f s wall, process cpu %.1f s; ticks that "
      "did work:\n",
      ticks, ticks_after, loop.wall(), loop.proc_cpu());
  for (const auto& b : busy) {
    std::printf(
        "    started 08:00 %+9.1f ms, took %9.1f ms: decided %d in %d messages, delivered %d, "
        "retried %d, "
        "failed %d, unresolved %d\n",
        b.start_ms, b.dur_ms, b.r.reminders_decided, b.r.messages_decided, b.r.delivered,
        b.r.retried, b.r.failed, b.r.unresolved);
  }

  // Lateness from the log: recorded_at - 08:00.
  std::size_t reminders = 0, catch_up = 0;
  std::set<std::string> messages;
  for (std::uint64_t pos = first_position;;) {
    auto batch = must(store.log->read_all(st::GlobalPosition{pos}, 5000), "reading the log");
    if (batch.empty()) break;
    for (const auto& e : batch) {
      pos = e.position.value + 1;
      const double late = std::chrono::duration<double, std::milli>(e.recorded_at - eight).count();
      if (e.type == en::kNotificationDecided) {
        const auto n = en::decode_notification(e.payload);
        out.decided.push_back(late);
        // Once per message: its owner's record (the first) names every reminder.
        if (messages.insert(n.message_id).second) {
          reminders += n.reminder_ids.size();
          catch_up += n.catch_up;
        }
      } else if (e.type == en::kDeliveryAttempted) {
        if (en::decode_delivery(e.payload).outcome == "delivered") out.delivered.push_back(late);
      }
    }
  }
  std::size_t eml = 0;
  for (const auto& e : fs::directory_iterator(dir / "outbox"))
    eml += e.path().extension() == ".eml";
  std::printf(
      "  NotificationDecided %zu (%zu reminders, %zu catch-up), delivered %zu, .eml files %zu, due "
      "%zu%s\n",
      out.decided.size(), reminders, catch_up, out.delivered.size(), eml, due,
      reminders == due && out.delivered.size() == out.decided.size() ? "" : "  MISMATCH");
  print_lateness_line("lateness, decided (NotificationDecided):", out.decided);
  print_lateness_line("lateness, delivered (DeliveryAttempted):", out.delivered);
  auto rate = [](const char* what, std::vector<double> v) {
    if (v.size() < 2) return;
    std::sort(v.begin(), v.end());
    const double span = v.back() - v.front();
    std::printf("  %s rate: %.0f messages/s over %.2f s (first to last)\n", what,
                static_cast<double>(v.size() - 1) / (span / 1000.0), span / 1000.0);
  };
  rate("deciding", out.decided);
  rate("delivering", out.delivered);
  sched.reset();
  return out;
}

void part_lateness(const Config& c, const fs::path& base, int interval_ms) {
  std::printf(
      "\n== lateness: %d hires, tick every %d ms, real clock across 08:00, %d round%s (load "
      "average %s)\n",
      c.late_hires, interval_ms, c.rounds, c.rounds == 1 ? "" : "s", loadavg().c_str());
  // Where the tick grid falls relative to 08:00 is drawn at random in each
  // round: preroll = --preroll + U(0, interval).
  std::mt19937_64 rng{std::random_device{}()};
  Lateness all;
  std::vector<double> starts;
  for (int round = 1; round <= c.rounds; ++round) {
    const double preroll =
        c.preroll + std::uniform_real_distribution<double>(0, interval_ms / 1000.0)(rng);
    std::printf(" -- round %d (load average %s)\n", round, loadavg().c_str());
    auto r = lateness_round(
        c, base / ("lateness-" + std::to_string(interval_ms) + "-" + std::to_string(round)),
        interval_ms, preroll);
    all.decided.insert(all.decided.end(), r.decided.begin(), r.decided.end());
    all.delivered.insert(all.delivered.end(), r.delivered.begin(), r.delivered.end());
    starts.push_back(r.tick_start_ms);
  }
  std::printf(" -- all %d rounds, tick every %d ms; first tick at/after 08:00 started at +",
              c.rounds, interval_ms);
  for (std::size_t i = 0; i < starts.size(); ++i) std::printf("%s%.1f", i ? ", +" : "", starts[i]);
  std::printf(" ms\n");
  print_lateness_line("ALL lateness, decided:", all.decided);
  print_lateness_line("ALL lateness, delivered:", all.delivered);
  std::printf("  (load average %s)\n", loadavg().c_str());
}

// ---------------------------------------------------------------------------
// Part 3: the simulation

void part_simulation(const Config& c) {
  std::printf("\n== simulation: %d hires over %d days (load average %s)\n", c.sim_hires, c.sim_days,
              loadavg().c_str());
  reset_peak_rss();
  const double rss0 = rss_mib();
  en::SimulationConfig sim;
  sim.hires = c.sim_hires;
  sim.days = c.sim_days;
  if (c.sim_from.empty()) {  // as journeyctl: the next Monday (today if it is one)
    const date::sys_days today = date::floor<date::days>(std::chrono::system_clock::now());
    sim.first_day = today + (date::Monday - date::weekday(today));
  } else {
    auto d = wf::parse_date(c.sim_from);
    if (!d) throw std::runtime_error("--sim-from: not a date");
    sim.first_day = *d;
  }
  const wf::Programme programme =
      wf::load_programme_file(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
  const en::Templates templates = en::Templates::load(JOURNEY_TEMPLATES_DIR);
  const en::MunicipalTime municipal{std::chrono::hours(8)};
  long emitted = 0;
  Span s;
  const auto summary = en::simulate(programme, templates, municipal, sim,
                                    [&](const en::SimulatedNotification&) { ++emitted; });
  std::printf("  from %s, units %d, seed %llu: %s\n", wf::format_date(sim.first_day).c_str(),
              sim.units, static_cast<unsigned long long>(sim.seed), s.str().c_str());
  std::printf(
      "  hires %d, events %ld, reminders %ld, messages %ld (emitted %ld), unresolved %ld, "
      "weekend/holiday sends %ld\n",
      summary.hires, summary.events, summary.reminders, summary.messages, emitted,
      summary.unresolved, summary.weekend_or_holiday_sends);
  for (const auto& [k, n] : summary.by_kind) std::printf("    %-16s %ld\n", k.c_str(), n);
  for (const auto& [a, n] : summary.by_audience) std::printf("    -> %-13s %ld\n", a.c_str(), n);
  std::printf("  throughput: %.0f events/s, %.0f messages/s, %.0f hire-days/s\n",
              summary.events / s.wall(), summary.messages / s.wall(),
              static_cast<double>(summary.hires) * sim.days / s.wall());
  std::printf(
      "  RSS before %.1f MiB, after %.1f MiB, peak during the simulation (VmHWM) %.1f MiB, "
      "ru_maxrss %.1f MiB\n",
      rss0, rss_mib(), hwm_mib(), ru_maxrss_mib());
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"journey_scheduler_bench: a million timers, rebuild, firing lateness, simulation"};
  app.add_option("--part", c.parts, "timers, lateness, simulation (repeatable; default all)")
      ->check(CLI::IsMember({"timers", "lateness", "simulation"}))
      ->delimiter(',');
  app.add_option("--data", c.data_dir, "Folder for the data (default: a new one under /tmp)");
  app.add_flag("--keep", c.keep, "Keep the data folder");
  app.add_option("--timers", c.timers, "Pending timers to reach (timers part)")
      ->capture_default_str();
  app.add_option("--threads", c.threads, "Registration threads (setup)")->capture_default_str();
  app.add_option("--units", c.units, "Units (with contacts)")->capture_default_str();
  app.add_option("--late-hires", c.late_hires,
                 "Hires whose reminders fall due at 08:00 (lateness part)")
      ->capture_default_str();
  app.add_option("--intervals", c.intervals, "Tick intervals in ms (lateness part)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--preroll", c.preroll,
                 "Seconds of ticking before 08:00 (plus a random part of an interval)")
      ->capture_default_str();
  app.add_option("--rounds", c.rounds,
                 "Crossings of 08:00 per interval, each in a fresh folder (lateness part)")
      ->capture_default_str();
  app.add_option("--late-timeout", c.late_timeout, "Give up the tick loop after this many seconds")
      ->capture_default_str();
  app.add_option("--sim-hires", c.sim_hires, "Simulated hires")->capture_default_str();
  app.add_option("--sim-days", c.sim_days, "Simulated days")->capture_default_str();
  app.add_option("--sim-from", c.sim_from,
                 "First simulated day (default: the next Monday, as journeyctl)");
  CLI11_PARSE(app, argc, argv);

  fs::path base;
  if (c.data_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/journey-scheduler-bench.XXXXXX";
    if (!mkdtemp(templ.data())) {
      std::perror("mkdtemp");
      return 4;
    }
    base = templ;
  } else {
    base = c.data_dir;
    if (fs::exists(base) && !fs::is_empty(base)) {
      std::fprintf(stderr, "--data %s is not empty\n", base.c_str());
      return 2;
    }
    fs::create_directories(base);
  }
  std::printf("journey_scheduler_bench: data in %s; %u hardware threads; load average %s\n",
              base.c_str(), std::thread::hardware_concurrency(), loadavg().c_str());
  int rc = 0;
  try {
    for (const auto& p : c.parts) {
      if (p == "timers") part_timers(c, base);
      if (p == "lateness")
        for (int ms : c.intervals) part_lateness(c, base, ms);
      if (p == "simulation") part_simulation(c);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    rc = 4;
  }
  if (!c.keep) {
    std::error_code ec;
    fs::remove_all(base, ec);
  } else {
    std::printf("kept %s\n", base.c_str());
  }
  return rc;
}
