// journey_views_bench: what a list costs when it replays every hire in the
// system, against the same list read from the maintained views
// (engine/views.h), side by side in one process over one real RocksDB log.
//
// Setup (timed, not the headline): a RocksDB log in a fresh folder, the GR
// programme, --units units in one municipality, then --hires hires registered
// through the API (POST /v1/hires, an admin token), spread round-robin over
// the units; every --started-th hire also gets its first day and an
// introducer. So with the defaults (10,000 hires, 50 units) one unit holds 200,
// the case measured in issue 13.
//
// Then, for each of the two APIs (replay: ApiHooks::views = nullptr, the
// reference; views: a HireViews over a KvStore in the same folder, as
// journeyd opens it), --reads times each (--replay-reads for the replay,
// which is slow), as a unit head of unit 0:
//   list      GET /v1/hires?unit=<unit 0>&limit=500   (her whole unit: one page)
//   tasks     GET /v1/tasks?unit=<unit 0>
//   first     GET /v1/hires?limit=100                 (an all-municipality admin's first page)
// and for the views alone:
//   build     HireViews constructed on an empty store (a rebuild from the log)
//   entries   unit 0's view entries alone (scan + get(), no JSON), against
//   status    JourneyEngine::status() of the same hires (the replay's cost)
//   write+read  one command on a hire of unit 0, then her list (the list
//             folds the new event before it answers)
// Prints p50, p99 and mean per request, answer bytes, and the ratio replay/views
// of the p50s. Every answer of the views is compared with the replay's answer
// first: a benchmark of a wrong answer is no benchmark.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "journey/adapters/http_api.h"
#include "journey/engine/journey_engine.h"
#include "journey/engine/views.h"
#include "journey/storage/kv_store.h"
#include "journey/storage/rocksdb_event_log.h"

namespace fs = std::filesystem;
using namespace journey;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

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

void print(const char* what, const char* api, const Figures& f) {
  std::printf("%-12s %-7s p50 %9.3f ms  p99 %9.3f ms  mean %9.3f ms  %9zu\n", what, api, f.p50,
              f.p99, f.mean, f.bytes);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"journey_views_bench: lists replayed against lists from the views"};
  int hires = 10000, units = 50, reads = 30, replay_reads = 20, started_every = 4;
  std::string data;
  app.add_option("--hires", hires, "hires in the system")->check(CLI::Range(1, 10000000));
  app.add_option("--units", units, "units they are spread over")->check(CLI::Range(1, 100000));
  app.add_option("--reads", reads, "requests timed per figure of the views")
      ->check(CLI::Range(1, 100000));
  app.add_option("--replay-reads", replay_reads,
                 "requests timed per figure of the replay (at most --reads; each replays "
                 "every hire)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--started-every", started_every,
                 "every Nth hire also gets its first day and an introducer (0: none)");
  app.add_option("--data", data,
                 "folder for the log and views (default: a temporary one, removed)");
  CLI11_PARSE(app, argc, argv);

  const bool temporary = data.empty();
  const fs::path dir = temporary
                           ? fs::temp_directory_path() /
                                 ("journey-views-bench-" + std::to_string(std::random_device{}()))
                           : fs::path(data);
  SystemClock clock;
  // Removed after everything below is closed (the log writes ACKNOWLEDGED
  // as it closes; removed before, it logged "cannot record" errors).
  struct RemoveAtExit {
    fs::path dir;
    bool remove;
    ~RemoveAtExit() {
      std::error_code ec;
      if (remove) fs::remove_all(dir, ec);
    }
  } remove_at_exit{dir, temporary};
  auto opened = storage::open_rocksdb_event_log({dir / "log"}, clock);
  if (!opened.ok()) {
    std::fprintf(stderr, "cannot open the log: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto log = std::move(opened.value());
  engine::JourneyEngine eng(*log, clock);
  const engine::CommandContext setup{"bench", "", std::nullopt};
  {
    std::ifstream f(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
    std::stringstream text;
    text << f.rdbuf();
    if (!eng.publish_programme(text.str(), "gr.toml", "bench").ok()) return 1;
  }
  auto unit_name = [](int u) { return "Enhet " + std::to_string(u); };
  for (int u = 0; u < units; ++u)
    if (!eng.set_unit({unit_name(u),
                       {"Anna Berg", "anna" + std::to_string(u) + "@example.se"},
                       {"Omar Ali", "omar" + std::to_string(u) + "@example.se"},
                       std::nullopt,
                       "default"},
                      setup)
             .ok())
      return 1;
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

  http::ApiLimits unlimited;
  unlimited.requests_per_second = 0;  // a benchmark, not a client to protect others from
  http::Api replay(eng, tokens, http::ApiHooks{}, unlimited);
  auto call = [](http::Api& api, const std::string& token, const std::string& method,
                 const std::string& target, const json& body = nullptr) {
    http::Request r;
    r.method = method;
    r.target = target;
    r.headers["Authorization"] = "Bearer " + token;
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers["Content-Type"] = "application/json";
    }
    return api.handle(r);
  };

  std::printf("== setup: %d hires over %d units (%d in unit 0), every %d-th started\n", hires,
              units, (hires + units - 1) / units, started_every);
  auto t0 = Steady::now();
  std::string a_hire_of_unit_0;
  for (int n = 0; n < hires; ++n) {
    const std::string unit = unit_name(n % units);
    auto r = call(replay, admin, "POST", "/v1/hires",
                  {{"name", "Ny " + std::to_string(n)},
                   {"email", "ny" + std::to_string(n) + "@example.se"},
                   {"unit", unit},
                   {"start", "2026-03-02"}});
    if (r.status != 201) {
      std::fprintf(stderr, "register %d: %d %s\n", n, r.status, r.body.c_str());
      return 1;
    }
    const std::string hire = json::parse(r.body)["hire"];
    if (n % units == 0) a_hire_of_unit_0 = hire;
    if (started_every > 0 && n % started_every == 0) {
      for (const json& e :
           {json{{"kind", "started"}, {"on", "2026-03-02"}}, json{{"kind", "introducer"},
                                                                  {"name", "Karin"},
                                                                  {"email", "karin@example.se"},
                                                                  {"from", "2026-03-02"}}}) {
        auto c = call(replay, admin, "POST", "/v1/hires/" + hire + "/events", e);
        if (c.status != 201) {
          std::fprintf(stderr, "event on %s: %d %s\n", hire.c_str(), c.status, c.body.c_str());
          return 1;
        }
      }
    }
  }
  std::printf("setup: %.1f s, log head %llu\n", ms_since(t0) / 1000,
              static_cast<unsigned long long>(log->head().value));

  fs::remove_all(dir / "views");
  auto kv = storage::open_rocksdb_kv(dir / "views");
  if (!kv.ok()) {
    std::fprintf(stderr, "cannot open the views: %s\n", kv.error().message.c_str());
    return 1;
  }
  t0 = Steady::now();
  engine::HireViews views(eng, std::move(kv.value()));
  const double build_ms = ms_since(t0);
  http::ApiHooks hooks;
  hooks.views = &views;
  http::Api indexed(eng, tokens, hooks, unlimited);

  const std::string unit0 = "/v1/hires?limit=500&unit=Enhet%200";
  const std::string tasks0 = "/v1/tasks?unit=Enhet%200";
  const std::string first = "/v1/hires?limit=100";
  struct Case {
    const char* name;
    std::string token, target;
  };
  const std::vector<Case> cases = {
      {"list", head, unit0}, {"tasks", head, tasks0}, {"first", admin, first}};
  for (const auto& c : cases) {
    auto a = call(replay, c.token, "GET", c.target);
    auto b = call(indexed, c.token, "GET", c.target);
    if (a.status != 200 || a.body != b.body) {
      std::fprintf(stderr, "%s: the views answer otherwise than a replay (%d, %zu/%zu bytes)\n",
                   c.name, a.status, a.body.size(), b.body.size());
      return 1;
    }
  }

  std::printf("\n== %d reads of the views, %d of the replay, each\n", reads,
              std::min(reads, replay_reads));
  std::printf("%-12s %-7s %9.1f ms (a rebuild of %d hires from the log)\n", "build", "views",
              build_ms, hires);
  for (const auto& c : cases) {
    const Figures r = measure(std::min(reads, replay_reads),
                              [&] { return call(replay, c.token, "GET", c.target).body.size(); });
    const Figures v =
        measure(reads, [&] { return call(indexed, c.token, "GET", c.target).body.size(); });
    print(c.name, "replay", r);
    print(c.name, "views", v);
    std::printf("%-12s ratio   replay/views p50 = %.1f\n", c.name, r.p50 / v.p50);
  }
  // Where a list's time goes: the entries alone (one index scan and a
  // get() each: a version lookup in the log and the entry decoded).
  std::vector<std::string> unit0_hires;
  views.scan_unit(unit_name(0), "", [&](const std::string& hire, const std::string&) {
    unit0_hires.push_back(hire);
    return true;
  });
  const auto today = eng.today();
  print("entries", "views", measure(reads, [&] {
          std::size_t n = 0;
          for (const auto& h : unit0_hires) n += views.get(h, today) ? 1 : 0;
          return n;
        }));
  print("status", "replay", measure(std::min(reads, replay_reads), [&] {
          std::size_t n = 0;
          for (const auto& h : unit0_hires) n += eng.status(h, today) ? 1 : 0;
          return n;
        }));
  int week = 0;
  const Figures wr = measure(reads, [&] {
    auto c = call(indexed, admin, "POST", "/v1/hires/" + a_hire_of_unit_0 + "/events",
                  {{"kind", "introducer"},
                   {"name", "Byte " + std::to_string(week++)},
                   {"email", "byte@example.se"},
                   {"from", "2026-03-02"}});
    if (c.status != 201) std::fprintf(stderr, "command: %d %s\n", c.status, c.body.c_str());
    return call(indexed, head, "GET", unit0).body.size();
  });
  print("write+read", "views", wr);

  return 0;
}
