// journey_views_bench: what a page costs as the system grows. A population of
// --hires hires with full journeys (population.h: about 150 events each for a
// hire two years in, started over the last two and a half years, a third of
// the unfinished ones behind on their checklist) is written straight to a
// RocksDB log in --data, 20 hires to a unit, and kept there: a later run with
// the same --hires and --data reuses it (building 100,000 takes minutes).
//
// Then, in one process over that log, through the /v1 API as a function
// (http::Api::handle, no sockets), with the maintained views (engine/views.h)
// as journeyd opens them:
//   rebuild   HireViews::rebuild(): every view derived from the log again
//   list      GET /v1/hires?unit=<unit 0>          a unit head's list (20 hires)
//   tasks     GET /v1/tasks?unit=<unit 0>          her unit's open tasks
//   status    GET /v1/hires/<a hire of unit 0>     one hire's status (each in turn)
//   304       the same with If-None-Match: its ETag
//   first     GET /v1/hires?limit=100              an all-municipality admin's first page
//   admin-tasks GET /v1/tasks?limit=100            the admin's first page of tasks
//   write+read  a command on a hire, then its unit's list (the list folds the
//             new event first); a hire registered for it in a unit of its own
// --reads requests for the unit cases, --wide-reads for the admin's (whose cost
// grows with what they may read). p50, p99 and mean per request, answer bytes.
// The views' size on disk is printed after the rebuild.
//
// A benchmark of a wrong answer is no benchmark: with at most --compare-up-to
// hires, every case is first answered by a replay of every hire too
// (ApiHooks::views = nullptr, the reference) and must be byte for byte the
// same, and the replay's list is timed (--replay-reads) for the ratio; above
// that, unit 0's view entries are compared with summaries of fresh
// projections instead (a replay of 100,000 hires per request is what the
// views exist to avoid).
//
// The last line, "summary hires=N list_p50=... ...", is what
// scripts/bench-views.sh reads for the ratios between populations.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "journey/adapters/http_api.h"
#include "journey/engine/journey_engine.h"
#include "journey/engine/status.h"
#include "journey/engine/views.h"
#include "journey/storage/kv_store.h"
#include "journey/storage/rocksdb_event_log.h"
#include "population.h"

namespace fs = std::filesystem;
using namespace journey;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

constexpr int kHiresPerUnit = 20;
// Written beside the log once the population is complete; a folder without
// it (or with another line) is built again.
constexpr const char* kStamp = "population.txt";

double ms_since(Steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
}

struct Figures {
  double p50 = 0, p99 = 0, mean = 0;
  std::size_t bytes = 0;
};

Figures measure(int reads, const std::function<std::size_t()>& once) {
  std::vector<double> t;
  std::size_t bytes = 0;
  for (int i = 0; i < reads; ++i) {
    const auto t0 = Steady::now();
    bytes = once();
    t.push_back(ms_since(t0));
  }
  std::sort(t.begin(), t.end());
  Figures f;
  f.p50 = t[t.size() / 2];
  f.p99 = t[std::min(t.size() - 1, static_cast<std::size_t>(t.size() * 0.99))];
  for (double x : t) f.mean += x / t.size();
  f.bytes = bytes;
  return f;
}

void print(const char* what, const char* api, int reads, const Figures& f) {
  std::printf("%-12s %-7s p50 %9.3f ms  p99 %9.3f ms  mean %9.3f ms  %9zu bytes  (%d reads)\n",
              what, api, f.p50, f.p99, f.mean, f.bytes, reads);
}

std::uintmax_t folder_bytes(const fs::path& dir) {
  std::uintmax_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  return n;
}

std::string unit_name(int u) { return "Enhet " + std::to_string(u); }

std::string read_text(const fs::path& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The population's line: what a kept folder must say to be reused.
std::string stamp_of(int hires, date::sys_days today) {
  return "hires=" + std::to_string(hires) + " per_unit=" + std::to_string(kHiresPerUnit) +
         " today=" + std::to_string(today.time_since_epoch().count()) + " v2\n";
}

// Writes the population: programme, units, hires (one append each, from
// several threads so that group commit shares the syncs). Throws on failure.
void build_population(storage::EventLog& log, engine::JourneyEngine& eng, int hires,
                      date::sys_days today) {
  const engine::CommandContext setup{"bench", "", std::nullopt};
  const std::string toml = read_text(fs::path(JOURNEY_PROGRAMMES_DIR) / "gr-forsta-aren.toml");
  if (!eng.publish_programme(toml, "gr.toml", "bench").ok())
    throw std::runtime_error("cannot publish the programme");
  const auto programme = eng.programme("gr-forsta-aren", std::nullopt);
  const int units = (hires + kHiresPerUnit - 1) / kHiresPerUnit;
  for (int u = 0; u < units; ++u)
    if (!eng.set_unit({unit_name(u),
                       {"Anna Berg", "anna" + std::to_string(u) + "@example.se"},
                       {"Omar Ali", "omar" + std::to_string(u) + "@example.se"},
                       std::nullopt,
                       "default"},
                      setup)
             .ok())
      throw std::runtime_error("cannot set unit " + unit_name(u));
  std::atomic<int> next{0};
  std::atomic<std::uint64_t> events{0};
  std::mutex err_mu;
  std::string error;
  const TimePoint now = SystemClock().now();
  auto work = [&] {
    for (int i = next++; i < hires; i = next++) {
      // First days are Mondays from about 900 days ago to a week ago, every
      // unit a mix.
      const date::sys_days day = today - date::days(7 + (i * 7919L) % 893);
      const date::sys_days start = day - (date::weekday(day) - date::Monday);
      const bench::JourneyShape shape{start, unit_name(i % units), 150, today};
      const auto evs = bench::journey_events(*programme, i, shape, /*behind=*/i % 3 == 0);
      auto r = log.append(bench::append_request(bench::hire_id(i), evs, now));
      if (!r.ok()) {
        std::lock_guard<std::mutex> lock(err_mu);
        if (error.empty()) error = bench::hire_id(i) + ": " + r.error().message;
        next = hires;
        return;
      }
      events += evs.size();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  if (!error.empty()) throw std::runtime_error("append failed: " + error);
  // Valid journeys or no benchmark: a sample replayed (the rebuild below
  // replays them all, and a damaged one fails the comparisons).
  for (int i = 0; i < hires; i += 97) {
    try {
      if (!eng.status(bench::hire_id(i), today)) throw std::runtime_error("not found");
    } catch (const std::exception& e) {
      throw std::runtime_error(bench::hire_id(i) + " of the population: " + e.what());
    }
  }
  std::printf("population: %d hires, %llu events (%.1f a hire), %d units\n", hires,
              static_cast<unsigned long long>(events.load()),
              static_cast<double>(events.load()) / hires, units);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"journey_views_bench: what a page costs as the system grows"};
  int hires = 1000, reads = 1000, wide_reads = 20, replay_reads = 20, compare_up_to = 10000;
  std::string data;
  app.add_option("--hires", hires, "hires in the system")->check(CLI::Range(20, 10000000));
  app.add_option("--data", data, "folder for the population (kept and reused)")->required();
  app.add_option("--reads", reads, "requests timed per unit case")->check(CLI::Range(1, 1000000));
  app.add_option("--wide-reads", wide_reads, "requests timed per admin case")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--replay-reads", replay_reads, "requests timed of the replay's list")
      ->check(CLI::Range(1, 100000));
  app.add_option("--compare-up-to", compare_up_to,
                 "compare every answer with a replay of every hire up to this many hires");
  CLI11_PARSE(app, argc, argv);

  const fs::path dir(data);
  SystemClock clock;
  const date::sys_days today = date::floor<date::days>(clock.now());
  const std::string stamp = stamp_of(hires, today);
  const bool reuse = read_text(dir / kStamp) == stamp;
  if (!reuse) fs::remove_all(dir);
  fs::create_directories(dir);
  auto opened = storage::open_rocksdb_event_log({dir / "log"}, clock);
  if (!opened.ok()) {
    std::fprintf(stderr, "cannot open the log: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto log = std::move(opened.value());
  engine::JourneyEngine eng(*log, clock);
  auto t0 = Steady::now();
  if (!reuse) {
    build_population(*log, eng, hires, today);
    std::ofstream(dir / kStamp) << stamp;
    std::printf("population built in %.1f s, log head %llu\n", ms_since(t0) / 1000,
                static_cast<unsigned long long>(log->head().value));
  } else {
    std::printf("population reused from %s: %d hires, log head %llu\n", dir.c_str(), hires,
                static_cast<unsigned long long>(log->head().value));
  }
  std::printf("log on disk: %.1f MiB\n", folder_bytes(dir / "log") / 1048576.0);

  const engine::CommandContext setup{"bench", "", std::nullopt};
  engine::TokenRegistry tokens(eng);
  auto issue = [&](engine::AccessRole role, std::vector<std::string> in) {
    engine::Principal p;
    p.role = role;
    p.name = "Bench";
    p.email = "anna0@example.se";
    p.municipality = role == engine::AccessRole::admin ? "*" : "default";
    p.units = std::move(in);
    return tokens.issue(p, setup).token;
  };
  const std::string admin = issue(engine::AccessRole::admin, {});
  const std::string head = issue(engine::AccessRole::unit_head, {unit_name(0)});

  auto kv = storage::open_rocksdb_kv(dir / "views");
  if (!kv.ok()) {
    std::fprintf(stderr, "cannot open the views: %s\n", kv.error().message.c_str());
    return 1;
  }
  t0 = Steady::now();
  engine::HireViews views(eng, std::move(kv.value()));
  std::printf("views opened in %.1f ms (applied %llu)\n", ms_since(t0),
              static_cast<unsigned long long>(views.applied()));
  t0 = Steady::now();
  const std::size_t rebuilt = views.rebuild();
  const double rebuild_s = ms_since(t0) / 1000;
  std::printf("rebuild      views   %9.2f s for %zu hires (%.0f hires/s)\n", rebuild_s, rebuilt,
              rebuilt / rebuild_s);
  std::printf("views on disk: %.1f MiB (%.0f bytes a hire)\n",
              folder_bytes(dir / "views") / 1048576.0,
              static_cast<double>(folder_bytes(dir / "views")) / hires);

  http::ApiLimits unlimited;
  unlimited.requests_per_second = 0;  // a benchmark, not a client to protect others from
  http::ApiHooks hooks;
  hooks.views = &views;
  http::Api api(eng, tokens, hooks, unlimited);
  http::Api replay(eng, tokens, http::ApiHooks{}, unlimited);
  auto call = [](http::Api& a, const std::string& token, const std::string& method,
                 const std::string& target, const json& body = nullptr,
                 const std::string& if_none_match = "") {
    http::Request r;
    r.method = method;
    r.target = target;
    r.headers["Authorization"] = "Bearer " + token;
    if (!if_none_match.empty()) r.headers["If-None-Match"] = if_none_match;
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers["Content-Type"] = "application/json";
    }
    return a.handle(r);
  };

  std::vector<std::string> unit0;
  views.scan_unit(unit_name(0), "", [&](const std::string& hire, const std::string&) {
    unit0.push_back(hire);
    return true;
  });
  if (unit0.size() != static_cast<std::size_t>(kHiresPerUnit)) {
    std::fprintf(stderr, "unit 0 lists %zu hires, not %d\n", unit0.size(), kHiresPerUnit);
    return 1;
  }
  struct Case {
    const char* name;
    std::string token, target;
    int reads;
  };
  const std::vector<Case> cases = {{"list", head, "/v1/hires?unit=Enhet%200", reads},
                                   {"tasks", head, "/v1/tasks?unit=Enhet%200", reads},
                                   {"first", admin, "/v1/hires?limit=100", wide_reads},
                                   {"admin-tasks", admin, "/v1/tasks?limit=100", wide_reads}};

  // Correctness first.
  if (hires <= compare_up_to) {
    for (const auto& c : cases) {
      auto a = call(replay, c.token, "GET", c.target);
      auto b = call(api, c.token, "GET", c.target);
      if (a.status != 200 || a.body != b.body) {
        std::fprintf(stderr, "%s: the views answer otherwise than a replay (%d, %zu/%zu bytes)\n",
                     c.name, a.status, a.body.size(), b.body.size());
        return 1;
      }
    }
    std::printf("answers compared with a replay of every hire: the same\n");
  }
  for (const auto& h : unit0) {
    auto v = views.get(h, eng.today());
    auto s = eng.status(h, eng.today());
    if (!v || !v->summary || !s) {
      std::fprintf(stderr, "%s: no view or status\n", h.c_str());
      return 1;
    }
    const auto want = engine::summarize(*s);
    if (v->summary->open_tasks.size() != want.open_tasks.size() ||
        v->summary->overdue != want.overdue || v->summary->lifecycle != want.lifecycle) {
      std::fprintf(stderr, "%s: its view entry differs from a fresh projection\n", h.c_str());
      return 1;
    }
  }
  std::printf("unit 0's view entries compared with fresh projections: the same\n\n");

  std::map<std::string, Figures> got;
  for (const auto& c : cases) {
    got[c.name] = measure(c.reads, [&] { return call(api, c.token, "GET", c.target).body.size(); });
    print(c.name, "views", c.reads, got[c.name]);
  }
  std::size_t turn = 0;
  got["status"] = measure(reads, [&] {
    return call(api, head, "GET", "/v1/hires/" + unit0[turn++ % unit0.size()]).body.size();
  });
  print("status", "views", reads, got["status"]);
  const auto first_status = call(api, head, "GET", "/v1/hires/" + unit0[0]);
  std::string etag;
  for (const auto& [k, v] : first_status.headers)
    if (k == "ETag") etag = v;
  if (call(api, head, "GET", "/v1/hires/" + unit0[0], nullptr, etag).status != 304) {
    std::fprintf(stderr, "an unchanged status with its ETag: 304 expected\n");
    return 1;
  }
  got["304"] = measure(reads, [&] {
    return call(api, head, "GET", "/v1/hires/" + unit0[0], nullptr, etag).body.size();
  });
  print("304", "views", reads, got["304"]);
  if (hires <= compare_up_to) {
    const Figures r = measure(
        replay_reads, [&] { return call(replay, head, "GET", cases[0].target).body.size(); });
    print("list", "replay", replay_reads, r);
    std::printf("list         ratio   replay/views p50 = %.1f\n", r.p50 / got["list"].p50);
  }
  // On a hire of its own in a unit of its own (one more each run), so that
  // the population measured above stays as it was built.
  const std::string scratch_unit = "Skrivning";
  if (!eng.unit(scratch_unit) && !eng.set_unit({scratch_unit,
                                                {"Anna Berg", "anna0@example.se"},
                                                {"Omar Ali", "omar0@example.se"},
                                                std::nullopt,
                                                "default"},
                                               setup)
                                      .ok())
    return 1;
  const auto registered = call(api, admin, "POST", "/v1/hires",
                               {{"name", "Skriv Test"},
                                {"email", "skriv@example.se"},
                                {"unit", scratch_unit},
                                {"start", date::format("%F", today - date::days(30))}});
  if (registered.status != 201) {
    std::fprintf(stderr, "register: %d %s\n", registered.status, registered.body.c_str());
    return 1;
  }
  const std::string scratch = json::parse(registered.body)["hire"];
  const std::string writer = issue(engine::AccessRole::unit_head, {scratch_unit});
  int week = 0;
  got["write+read"] = measure(reads, [&] {
    auto c = call(api, writer, "POST", "/v1/hires/" + scratch + "/events",
                  {{"kind", "introducer"},
                   {"name", "Byte " + std::to_string(week++)},
                   {"email", "byte@example.se"}});
    if (c.status != 201) std::fprintf(stderr, "command: %d %s\n", c.status, c.body.c_str());
    return call(api, writer, "GET", "/v1/hires?unit=Skrivning").body.size();
  });
  print("write+read", "views", reads, got["write+read"]);

  std::printf("summary hires=%d rebuild_s=%.2f views_mib=%.1f", hires, rebuild_s,
              folder_bytes(dir / "views") / 1048576.0);
  for (const auto& [name, f] : got)
    std::printf(" %s_p50=%.3f %s_p99=%.3f", name.c_str(), f.p50, name.c_str(), f.p99);
  std::printf("\n");
  return 0;
}
