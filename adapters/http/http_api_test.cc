// The /v1 API in-process, over a real RocksDB log in a temporary folder:
// the route table matches the OpenAPI document both ways, a full disk answers
// 507 (a fault-injecting wrapper around the real log), and the command
// decoder names the field that is wrong, and the lists read from the
// maintained views answer exactly what a replay of every hire answers.
// Everything else is exercised over real sockets by tools/journeyd/api_test.py.
#define BOOST_TEST_MODULE http_api
#include "journey/adapters/http_api.h"

#include <rocksdb/db.h>

#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <sstream>

#include "journey/adapters/http_json.h"
#include "journey/engine/scheduler.h"
#include "journey/engine/views.h"
#include "journey/storage/kv_store.h"
#include "journey/storage/rocksdb_event_log.h"
#include "journey/test/forwarding_log.h"
#include "journey/workflows/value_domain.h"
#include "population.h"

namespace fs = std::filesystem;
using namespace journey;
using namespace journey::http;
using nlohmann::json;

namespace {

// The real log, except that appends fail with "no space" while `full` is set,
// and that asynchronous appends wait, unwritten, while `holding` is set, until
// release() hands them to the real log.
class DiskFullLog : public test::ForwardingEventLog {
 public:
  explicit DiskFullLog(storage::EventLog& real) : ForwardingEventLog(real) {}
  bool full = false;
  std::atomic<bool> holding{false};
  // Reads of a stream fail with an I/O error: the store's trouble, not
  // damage of the hire.
  std::atomic<bool> reads_fail{false};
  // Called before each read of a stream (set it while nothing reads).
  std::function<void()> on_visit;
  storage::Result<storage::AppendResult> append(storage::AppendRequest req) override {
    if (full)
      return storage::Error{storage::ErrorCode::no_space, "IO error: No space left on device",
                            std::nullopt};
    return real().append(std::move(req));
  }
  void append_async(storage::AppendRequest req, storage::AppendCallback done) override {
    if (full) return done(append(std::move(req)));
    std::lock_guard<std::mutex> lock(held_mu_);
    if (holding) {
      held_.emplace_back(std::move(req), std::move(done));
      return;
    }
    real().append_async(std::move(req), std::move(done));
  }
  std::size_t held() {
    std::lock_guard<std::mutex> lock(held_mu_);
    return held_.size();
  }
  std::vector<std::string> held_streams() {
    std::lock_guard<std::mutex> lock(held_mu_);
    std::vector<std::string> out;
    for (const auto& h : held_) out.push_back(h.first.stream.str());
    return out;
  }
  void release() {
    std::vector<std::pair<storage::AppendRequest, storage::AppendCallback>> go;
    {
      std::lock_guard<std::mutex> lock(held_mu_);
      go.swap(held_);
    }
    for (auto& [req, done] : go) real().append_async(std::move(req), std::move(done));
  }
  storage::Result<storage::Unit> visit_stream(
      const storage::StreamId& s, storage::StreamVersion from,
      const std::function<void(const storage::RecordedEvent&)>& f) override {
    if (reads_fail)
      return storage::Error{storage::ErrorCode::io_error, "IO error: read failed", std::nullopt};
    if (on_visit) on_visit();
    return real().visit_stream(s, from, f);
  }
  std::atomic<int> stream_lists{0};
  storage::Result<std::vector<storage::StreamId>> list_streams(const std::string& prefix) override {
    ++stream_lists;
    return real().list_streams(prefix);
  }

 private:
  std::mutex held_mu_;
  std::vector<std::pair<storage::AppendRequest, storage::AppendCallback>> held_;
};

// What a server's worker pool is to Api::handle_async, run by the test: what
// is posted waits here until run() (on the test's thread).
struct PostedWork {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  Api::Post post() {
    return [this](std::function<void()> f) {
      {
        std::lock_guard<std::mutex> lock(mu);
        queue.push_back(std::move(f));
      }
      cv.notify_all();
    };
  }
  // Runs what is posted until `until` holds, for at most 10 s.
  bool run(const std::function<bool()>& until) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::unique_lock<std::mutex> lock(mu);
    while (!until()) {
      if (!cv.wait_until(lock, deadline, [&] { return !queue.empty(); })) return until();
      auto f = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      f();
      lock.lock();
    }
    return true;
  }
};

// Requests handed to Api::handle_async() on another thread (a call that
// waited for its append would fail the test, not hang it), what follows the
// log's answers run by the test, and the answers in the order they came.
struct Submitted {
  PostedWork work;
  std::mutex mu;
  std::vector<Response> answers;  // GUARDED_BY(mu) until run_until() returns
  bool submit(Api& api, std::vector<Request>& reqs) {
    auto done = std::async(std::launch::async, [&] {
      for (auto& r : reqs)
        api.handle_async(r, work.post(), [this](Response a) {
          std::lock_guard<std::mutex> lock(mu);
          answers.push_back(std::move(a));
        });
    });
    return done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  }
  std::size_t answered() {
    std::lock_guard<std::mutex> lock(mu);
    return answers.size();
  }
  bool run_until(std::size_t n) {
    return work.run([&] { return answered() == n; });
  }
};

struct Fixture {
  fs::path dir;
  SystemClock clock;
  std::unique_ptr<storage::EventLog> real;
  std::unique_ptr<DiskFullLog> log;
  std::unique_ptr<engine::JourneyEngine> engine;
  std::unique_ptr<engine::TokenRegistry> tokens;
  std::unique_ptr<Api> api;
  std::string admin;
  Fixture() {
    dir = fs::temp_directory_path() /
          ("journey-http-api-test-" + std::to_string(std::random_device{}()));
    auto opened = storage::open_rocksdb_event_log({dir}, clock);
    BOOST_REQUIRE(opened.ok());
    real = std::move(opened.value());
    log = std::make_unique<DiskFullLog>(*real);
    engine = std::make_unique<engine::JourneyEngine>(*log, clock);
    std::ifstream f(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
    std::stringstream text;
    text << f.rdbuf();
    BOOST_REQUIRE(engine->publish_programme(text.str(), "gr.toml", "setup").ok());
    tokens = std::make_unique<engine::TokenRegistry>(*engine);
    engine::Principal p;
    p.role = engine::AccessRole::admin;
    p.name = "Admin";
    p.municipality = "*";
    auto issued = tokens->issue(p, {"setup", "", std::nullopt});
    BOOST_REQUIRE(issued.outcome.ok());
    admin = issued.token;
    api = std::make_unique<Api>(*engine, *tokens, ApiHooks{});
  }
  ~Fixture() {
    api.reset();
    tokens.reset();
    engine.reset();
    log.reset();
    real.reset();
    fs::remove_all(dir);
  }
  Response call(const std::string& method, const std::string& target, const json& body = nullptr,
                std::map<std::string, std::string> headers = {}) {
    Request r;
    r.method = method;
    r.target = target;
    r.headers["Authorization"] = "Bearer " + admin;
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers["Content-Type"] = "application/json";
    }
    for (auto& [k, v] : headers) r.headers[k] = v;
    return api->handle(r);
  }
  // An admin's JSON command, as handle_async() takes it.
  Request command(const std::string& target, const json& body) {
    Request r;
    r.method = "POST";
    r.target = target;
    r.headers = {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}};
    r.body = body.dump();
    return r;
  }
  // A unit in municipality "default" with a unit head and an administrator.
  void set_unit(const std::string& unit) {
    BOOST_REQUIRE(engine
                      ->set_unit({unit,
                                  {"Anna Berg", "anna@example.se"},
                                  {"Omar Ali", "omar@example.se"},
                                  std::nullopt,
                                  "default"},
                                 {"setup", "", std::nullopt})
                      .ok());
  }
  std::string token(engine::AccessRole role, const std::string& municipality,
                    std::vector<std::string> units) {
    engine::Principal p;
    p.role = role;
    p.name = "P";
    p.email = "p@example.se";
    p.municipality = municipality;
    p.units = std::move(units);
    auto issued = tokens->issue(p, {"setup", "", std::nullopt});
    BOOST_REQUIRE_MESSAGE(issued.outcome.ok(),
                          (issued.outcome.refusal ? issued.outcome.refusal->code : "?"));
    return issued.token;
  }
  std::string register_hire() {
    auto r = call("POST", "/v1/hires",
                  {{"name", "Sara Lind"},
                   {"email", "sara@example.se"},
                   {"unit", "Barn och unga Väster"},
                   {"start", "2026-03-02"}});
    BOOST_REQUIRE_EQUAL(r.status, 201);
    return json::parse(r.body)["hire"];
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(http_api, Fixture)

BOOST_AUTO_TEST_CASE(EveryRouteIsInTheOpenApiDocumentAndEveryDocumentedRouteExists) {
  const json doc = json::parse(Api::openapi_document());
  BOOST_TEST(doc["openapi"].get<std::string>() == "3.1.0");
  std::set<std::pair<std::string, std::string>> documented, served;
  for (auto& [path, ops] : doc["paths"].items())
    for (auto& [method, op] : ops.items()) {
      std::string m = method;
      std::transform(m.begin(), m.end(), m.begin(), ::toupper);
      documented.insert({m, path});
    }
  for (const auto& r : api->routes()) served.insert(r);
  for (const auto& r : served)
    BOOST_TEST(documented.count(r) == 1, r.first << " " << r.second << " is not documented");
  for (const auto& r : documented)
    BOOST_TEST(served.count(r) == 1, r.first << " " << r.second << " is documented, not served");
}

BOOST_AUTO_TEST_CASE(FullDiskAnswers507AndWritesNothing) {
  const std::string hire = register_hire();
  const auto before = real->head();
  log->full = true;
  auto r =
      call("POST", "/v1/hires/" + hire + "/events", {{"kind", "started"}, {"on", "2026-03-02"}});
  BOOST_TEST(r.status == 507);
  BOOST_TEST(r.content_type == "application/problem+json");
  BOOST_TEST(json::parse(r.body)["code"].get<std::string>() == "storage_full");
  // A correction goes through the same append: 507, nothing written.
  r = call("POST", "/v1/hires/" + hire + "/corrections",
           {{"action", "correct"},
            {"event", 1},
            {"reason", "stavfel"},
            {"replacement", {{"name", "Sara Lindh"}}}});
  BOOST_TEST(r.status == 507, r.body);
  BOOST_TEST(real->head().value == before.value);
  log->full = false;
  r = call("POST", "/v1/hires/" + hire + "/events", {{"kind", "started"}, {"on", "2026-03-02"}});
  BOOST_TEST(r.status == 201);
}

// journeyd's command path: a command hands its append to the log and
// returns; no thread waits for the sync. With every append held unwritten,
// handle_async() of eight commands on eight hires all return, and all eight
// appends are at the log at once; released, each is answered 201.
BOOST_AUTO_TEST_CASE(CommandsDoNotHoldAThreadWhileTheirAppendsWaitForTheLog) {
  set_unit("Barn och unga Väster");
  std::vector<std::string> hires;
  for (int i = 0; i < 8; ++i) hires.push_back(register_hire());
  std::vector<Request> reqs;
  for (const auto& h : hires)
    reqs.push_back(
        command("/v1/hires/" + h + "/events", {{"kind", "started"}, {"on", "2026-03-02"}}));
  Submitted sent;
  log->holding = true;
  BOOST_REQUIRE(sent.submit(*api, reqs));
  BOOST_TEST(log->held() == hires.size());
  BOOST_TEST(sent.answered() == 0u);  // nothing is answered before the log has it
  log->holding = false;
  log->release();
  BOOST_REQUIRE(sent.run_until(hires.size()));
  for (const auto& a : sent.answers) BOOST_TEST(a.status == 201, a.body);
  for (const auto& h : hires)
    BOOST_TEST(real->stream_version(storage::StreamId(h))->value == 2u, h);
}

// A correction waits for the hire's turn in the queue, not on a thread: with
// the hire's turn held by a command whose append the log holds, handle_async()
// of a correction returns at once; it is decided and answered after.
BOOST_AUTO_TEST_CASE(ACorrectionWaitingForTheHiresTurnHoldsNoThread) {
  set_unit("Barn och unga Väster");
  const std::string hire = register_hire();
  BOOST_REQUIRE_EQUAL(
      call("POST", "/v1/hires/" + hire + "/events", {{"kind", "started"}, {"on", "2026-03-02"}})
          .status,
      201);
  std::vector<Request> reqs{
      command("/v1/hires/" + hire + "/events", {{"kind", "item"}, {"item", "ec.utse-fadder"}}),
      command("/v1/hires/" + hire + "/corrections", {{"action", "correct"},
                                                     {"event", 2},
                                                     {"reason", "fel dag"},
                                                     {"replacement", {{"on", "2026-03-03"}}}})};
  Submitted sent;
  log->holding = true;
  BOOST_REQUIRE(sent.submit(*api, reqs));
  BOOST_TEST(log->held() == 1u);
  log->holding = false;
  log->release();
  BOOST_REQUIRE(sent.run_until(2));
  BOOST_TEST(sent.answers[0].status == 201, sent.answers[0].body);
  BOOST_TEST_REQUIRE(sent.answers[1].status == 201, sent.answers[1].body);
  BOOST_TEST(json::parse(sent.answers[1].body)["corrects"] == 2);
  BOOST_TEST(json::parse(sent.answers[1].body)["version"] == 4);
}

// A read that names the position its caller's command answered is answered
// with that write in it; a position the log does not have waits (bounded),
// then says so; one that is no number is refused by name.
BOOST_AUTO_TEST_CASE(AReadNamingAPositionIsAnsweredOnlyOnceTheLogHasIt) {
  set_unit("Barn och unga Väster");
  const std::string hire = register_hire();
  auto done =
      call("POST", "/v1/hires/" + hire + "/events", {{"kind", "started"}, {"on", "2026-03-02"}});
  BOOST_REQUIRE_EQUAL(done.status, 201);
  const auto position = json::parse(done.body)["position"].get<std::uint64_t>();
  BOOST_TEST(position == real->head().value);
  auto list = call(
      "GET", "/v1/hires?unit=Barn%20och%20unga%20V%C3%A4ster&position=" + std::to_string(position));
  BOOST_TEST_REQUIRE(list.status == 200, list.body);
  BOOST_TEST(list.body.find(hire) != std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  auto ahead = call("GET", "/v1/hires/" + hire + "?position=" + std::to_string(position + 1000));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 >= Api::kPositionWait));
  BOOST_TEST(ahead.status == 503);
  BOOST_TEST(json::parse(ahead.body)["code"] == "position_not_reached");
  bool retry_after = false;
  for (const auto& [k, v] : ahead.headers) retry_after |= k == "Retry-After";
  BOOST_TEST(retry_after);
  auto bad = call("GET", "/v1/tasks?position=soon");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(json::parse(bad.body)["parameter"] == "position");
}

// Two commands on one hire take turns: the second does not reach the log
// until the first's append is answered, then decides on the stream the first
// wrote. Neither conflicts (no If-Match) and both are recorded, in order.
BOOST_AUTO_TEST_CASE(TwoCommandsOnOneHireTakeTurnsInsteadOfConflicting) {
  set_unit("Barn och unga Väster");
  const std::string hire = register_hire();
  BOOST_REQUIRE_EQUAL(
      call("POST", "/v1/hires/" + hire + "/events", {{"kind", "started"}, {"on", "2026-03-02"}})
          .status,
      201);
  std::vector<Request> reqs;
  for (const char* item : {"ec.utse-fadder", "ec.valkomstbrev"})
    reqs.push_back(command("/v1/hires/" + hire + "/events", {{"kind", "item"}, {"item", item}}));
  Submitted sent;
  log->holding = true;
  BOOST_REQUIRE(sent.submit(*api, reqs));
  BOOST_TEST(log->held() == 1u);  // the second waits for its turn, not in the log
  log->release();
  BOOST_REQUIRE(sent.work.run([&] { return log->held() == 1u; }));  // the second, decided now
  BOOST_REQUIRE_EQUAL(sent.answered(), 1u);
  BOOST_TEST(sent.answers[0].status == 201, sent.answers[0].body);
  BOOST_TEST(json::parse(sent.answers[0].body)["version"].get<int>() == 3);
  log->holding = false;
  log->release();
  BOOST_REQUIRE(sent.run_until(2));
  BOOST_TEST(sent.answers[1].status == 201, sent.answers[1].body);
  BOOST_TEST(json::parse(sent.answers[1].body)["version"].get<int>() == 4);
}

namespace {
// Appends an event straight to the real log, past every entrance: the
// test-only path for data an earlier version (or damage) left behind.
void plant(storage::EventLog& log, const std::string& stream, const std::string& type,
           const std::string& payload) {
  storage::NewEvent e{type, 1, payload, SystemClock().now(), "planted"};
  BOOST_REQUIRE(
      log.append({storage::StreamId(stream), storage::ExpectedVersion::any(), {e}, ""}).ok());
}
// hire-0badda7e, registered in "Barn och unga Väster" with a start past the
// value domain (4800-01-01): what the old parser let in.
void plant_4800_registration(storage::EventLog& log) {
  workflows::HireRegistered reg{"Märta Ek",
                                "marta@example.se",
                                "Barn och unga Väster",
                                date::sys_days(date::year(4800) / 1 / 1),
                                false,
                                "gr-forsta-aren",
                                1,
                                {}};
  const auto enc = workflows::encode(reg);
  plant(log, "hire-0badda7e", enc.type, enc.payload);
}
}  // namespace

// The issue's first finding: one hire registered with "4800-01-01" made every
// list 500 for every user of every municipality, and the 500 named the hire.
BOOST_AUTO_TEST_CASE(ADamagedHireNeverStopsListsForAnyoneElseNorShowsToOutsiders) {
  for (const char* unit : {"Barn och unga Väster", "Barn och unga Öster"}) set_unit(unit);
  const std::string good = register_hire();  // Väster
  // A registration whose start lies past the value domain (what the old parser let in) ...
  plant_4800_registration(*real);
  // ... and bytes that are no event at all, on a hire in another unit.
  auto other = call("POST", "/v1/hires",
                    {{"name", "Bo Ek"},
                     {"email", "bo@example.se"},
                     {"unit", "Barn och unga Öster"},
                     {"start", "2026-03-02"}});
  BOOST_REQUIRE_EQUAL(other.status, 201);
  const std::string broken = json::parse(other.body)["hire"];
  plant(*real, broken, "HireStarted", std::string("\x01\xff\xff", 3));

  const std::string vaster =
      token(engine::AccessRole::unit_head, "default", {"Barn och unga Väster"});
  const std::string oster =
      token(engine::AccessRole::unit_head, "default", {"Barn och unga Öster"});
  auto as = [&](const std::string& t, const std::string& target) {
    Request r;
    r.method = "GET";
    r.target = target;
    r.headers["Authorization"] = "Bearer " + t;
    return api->handle(r);
  };
  for (const char* route : {"/v1/hires", "/v1/tasks", "/v1/notifications"}) {
    BOOST_TEST_CONTEXT(route) {
      for (const auto& t : {admin, vaster, oster}) BOOST_TEST(as(t, route).status == 200);
    }
  }
  // Those who may read a damaged hire see it, marked, with the reason ...
  auto rows = json::parse(as(vaster, "/v1/hires").body);
  std::map<std::string, json> by_id;
  for (const auto& r : rows) by_id[r["hire"]] = r;
  BOOST_TEST(by_id.count(good) == 1);
  BOOST_REQUIRE(by_id.count("hire-0badda7e") == 1);
  BOOST_TEST(by_id["hire-0badda7e"]["damaged"].get<bool>());
  BOOST_TEST(by_id["hire-0badda7e"]["damage"].get<std::string>().find("start") !=
             std::string::npos);
  BOOST_TEST(by_id.count(broken) == 0);
  // ... and nobody else hears of it, not even by id.
  for (const char* route : {"/v1/hires", "/v1/tasks", "/v1/notifications"})
    BOOST_TEST(as(oster, route).body.find("0badda7e") == std::string::npos);
  BOOST_TEST(as(oster, "/v1/hires/hire-0badda7e").status == 404);
  auto own = as(oster, "/v1/hires/" + broken);
  BOOST_TEST(own.status == 409);
  BOOST_TEST(json::parse(own.body)["code"].get<std::string>() == "hire_damaged");
  auto admin_rows = json::parse(as(admin, "/v1/hires").body);
  int damaged = 0;
  for (const auto& r : admin_rows) damaged += r.value("damaged", false);
  BOOST_TEST(damaged == 2);
  // Nothing can be recorded on it; /metrics counts it.
  auto cmd = call("POST", "/v1/hires/" + broken + "/events", {{"kind", "started"}});
  BOOST_TEST(cmd.status == 409);
  Request m;
  m.method = "GET";
  m.target = "/metrics";
  BOOST_TEST(api->handle(m).body.find("journey_hires_damaged 2") != std::string::npos);
}

// Inputs that got through, or got a 500, before the value domain: each is
// refused naming its field, and the log's head does not move.
BOOST_AUTO_TEST_CASE(TheBadInputCorpusIsRefusedNamingTheFieldAndWritesNothing) {
  const std::string hire = register_hire();
  struct Case {
    std::string method, target, body;
    int status;
    std::string field;
  };
  const std::string reg =
      R"("name":"Sara Lind","email":"sara@example.se","unit":"Barn och unga Väster")";
  const std::vector<Case> corpus = {
      {"POST", "/v1/hires", "{" + reg + R"(,"start":"4800-01-01"})", 422, "/start"},
      {"POST", "/v1/hires", "{" + reg + R"(,"start":"2026- 1-05"})", 422, "/start"},
      {"POST", "/v1/hires", "{" + reg + R"(,"start":"+026-01-05"})", 422, "/start"},
      {"POST", "/v1/hires", "{" + reg + R"(,"start":"0000-01-01"})", 422, "/start"},
      {"POST", "/v1/hires", "{" + reg + R"(,"start":"1899-12-31"})", 422, "/start"},
      {"POST", "/v1/hires", "{" + reg + R"(,"start":"2026-03-02","start":"2027-03-02"})", 422,
       "/start"},
      {"POST", "/v1/hires",
       R"({"name":"Sara)"
       "\\u0000"
       R"(Lind","email":"sara@example.se","unit":"U","start":"2026-03-02"})",
       422, "/name"},
      {"POST", "/v1/hires", R"({"name":"Sara","email":"sara","unit":"U","start":"2026-03-02"})",
       422, "/email"},
      {"POST", "/v1/hires/" + hire + "/events", R"({"kind":"hours","hours":1e999})", 422, "/hours"},
      {"POST", "/v1/hires/" + hire + "/events", R"({"kind":"course-booked","starts":"9999-01-04"})",
       422, "/starts"},
      {"POST", "/v1/hires/" + hire + "/events",
       R"({"kind":"item","item":"ec.valkomstbrev","comment":"a)"
       "\\u0007"
       R"(b"})",
       422, "/comment"},
      {"POST", "/v1/hires/" + hire + "/events",
       R"({"kind":"mentor","name":"Per","replacement":{"name":"L","name":"M"}})", 422,
       "/replacement/name"},
      {"PUT", "/v1/units/a%00b",
       R"({"unit_head":{"name":"A","email":"a@example.se"},"administrator":{"name":"B","email":"b@example.se"}})",
       422, "/unit"},
      {"PUT", "/v1/units/" + std::string(8192, 'u'),
       R"({"unit_head":{"name":"A","email":"a@example.se"},"administrator":{"name":"B","email":"b@example.se"}})",
       422, "/unit"},
      {"PUT", "/v1/municipalities/goteborg",
       R"({"name":"G)"
       "\\u0000"
       R"("})",
       422, "/name"},
  };
  for (const auto& c : corpus) {
    BOOST_TEST_CONTEXT(c.method << " " << c.target.substr(0, 60) << " " << c.body) {
      const auto before = real->head();
      Request r;
      r.method = c.method;
      r.target = c.target;
      r.headers["Authorization"] = "Bearer " + admin;
      r.headers["Content-Type"] = "application/json";
      r.body = c.body;
      auto got = api->handle(r);
      BOOST_TEST(got.status == c.status);
      auto j = json::parse(got.body);
      BOOST_TEST(j.value("field", "") == c.field);
      BOOST_TEST(real->head().value == before.value);
    }
  }
}

BOOST_AUTO_TEST_CASE(EveryCommandTheDecoderAcceptsIsInsideTheValueDomain) {
  // The entrance's half of the round-trip property (the decoder's half is
  // workflows/value_domain_test): nothing decode_command accepts fails check_event.
  std::mt19937_64 rng(12);
  const std::vector<json> values = {"2026-03-02",
                                    "4800-01-01",
                                    "1900-01-01",
                                    "2200-12-31",
                                    "2201-01-01",
                                    "x",
                                    std::string("a\0b", 3),
                                    "M\u00e4rta",
                                    1,
                                    1e300,
                                    -1,
                                    24.5,
                                    168,
                                    169,
                                    true,
                                    nullptr,
                                    "a@b.se",
                                    std::string(300, 'n')};
  const std::map<std::string, std::vector<std::string>> fields = {
      {"started", {"on"}},
      {"item", {"item", "on", "comment"}},
      {"waive", {"item", "reason"}},
      {"introducer", {"name", "email", "from"}},
      {"mentor", {"name", "email"}},
      {"replacement", {"name", "email"}},
      {"mentor-dropout", {"on", "reason"}},
      {"course-booked", {"starts", "cohort"}},
      {"module", {"number", "on"}},
      {"bbic", {"part", "on"}},
      {"course-completed", {"on", "certificate"}},
      {"waive-part", {"part", "reason"}},
      {"supervision-group", {"group", "supervisor", "starts"}},
      {"session", {"number", "on", "hours"}},
      {"supervision-completed", {"on", "certificate"}},
      {"hours", {"hours", "week"}},
      {"leave-start", {"leave_kind", "from"}},
      {"leave-end", {"back"}},
      {"left", {"on", "reason"}},
      {"completed", {"on"}},
  };
  const auto today = date::sys_days(date::year(2026) / 3 / 2);
  int accepted = 0;
  for (int i = 0; i < 50'000; ++i) {
    const std::string kind = command_kinds()[rng() % command_kinds().size()];
    json body{{"kind", kind}};
    for (const auto& f : fields.at(kind))
      if (rng() % 4) body[f] = values[rng() % values.size()];
    auto e = decode_command(body, today);
    if (auto* ev = std::get_if<engine::DomainEvent>(&e)) {
      ++accepted;
      BOOST_REQUIRE_MESSAGE(!workflows::check_event(*ev), body.dump());
      const auto enc = workflows::encode(*ev);
      BOOST_REQUIRE_NO_THROW(workflows::decode(enc.type, enc.schema_version, enc.payload));
    }
  }
  BOOST_TEST(accepted > 1000);
}

// With one index entry deleted the CLI said "166 events are stored but 165 are
// indexed" and the API answered 200 ok: true, judging by first_bad alone.
// Both now answer through verify_json().
BOOST_AUTO_TEST_CASE(AVerifyProblemThatNamesNoEventIsNotOk) {
  storage::VerifyReport r;
  r.events_checked = 165;
  r.problem = "166 events are stored but 165 are indexed";
  const json j = verify_json(r);
  BOOST_TEST(!j["ok"].get<bool>());
  BOOST_TEST(j["problem"].get<std::string>() == r.problem);
  BOOST_TEST(!j.contains("first_bad_position"));
  r.problem.clear();
  BOOST_TEST(verify_json(r)["ok"].get<bool>());
  auto served = call("GET", "/v1/audit/verify");
  BOOST_TEST(served.status == 200);
  BOOST_TEST(json::parse(served.body)["ok"].get<bool>());
}

BOOST_AUTO_TEST_CASE(ABackupTakenWhileRunningOpensAndVerifiesWithEveryEvent) {
  set_unit("Barn och unga Väster");
  register_hire();
  Request r;
  r.method = "POST";
  r.target = "/v1/backups";
  r.headers["Authorization"] = "Bearer " + admin;
  BOOST_TEST(api->handle(r).status == 503);  // no folder configured
  ApiHooks hooks;
  hooks.backups_dir = (dir / "backups").string();
  api = std::make_unique<Api>(*engine, *tokens, hooks);
  const auto head = real->head().value;
  auto got = api->handle(r);
  BOOST_REQUIRE_MESSAGE(got.status == 201, got.body);
  const json b = json::parse(got.body);
  BOOST_TEST(b["position"].get<std::uint64_t>() == head);
  // A unit head may not.
  r.headers["Authorization"] =
      "Bearer " + token(engine::AccessRole::unit_head, "default", {"Barn och unga Väster"});
  BOOST_TEST(api->handle(r).status == 403);
  // Restored: the copy opens as a log of its own, verifies, and has every event.
  auto restored = storage::open_rocksdb_event_log({b["path"].get<std::string>()}, clock);
  BOOST_REQUIRE(restored.ok());
  auto v = (*restored)->verify();
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->ok());
  BOOST_TEST(v->events_checked == head);
  BOOST_TEST((*restored)->stats().writes_refused.empty());
}

BOOST_AUTO_TEST_CASE(StaleIfMatchGets412WithTheCurrentVersion) {
  const std::string hire = register_hire();
  auto s = call("GET", "/v1/hires/" + hire);
  BOOST_REQUIRE_EQUAL(s.status, 200);
  std::string etag;
  for (auto& [k, v] : s.headers)
    if (k == "ETag") etag = v;
  BOOST_REQUIRE(!etag.empty());
  auto ok = call("POST", "/v1/hires/" + hire + "/events",
                 {{"kind", "started"}, {"on", "2026-03-02"}}, {{"If-Match", etag}});
  BOOST_TEST(ok.status == 201);
  auto stale = call("POST", "/v1/hires/" + hire + "/events",
                    {{"kind", "item"}, {"item", "ec.valkomstbrev"}}, {{"If-Match", etag}});
  BOOST_TEST(stale.status == 412);
  auto body = json::parse(stale.body);
  BOOST_TEST(body["header"].get<std::string>() == "If-Match");
  BOOST_TEST(body["current_version"].get<int>() == json::parse(ok.body)["version"].get<int>());
}

BOOST_AUTO_TEST_CASE(CommandDecoderNamesTheWrongField) {
  const auto today = date::sys_days(date::year(2026) / 3 / 2);
  auto e = decode_command(json{{"kind", "module"}, {"number", "three"}}, today);
  BOOST_REQUIRE(std::holds_alternative<FieldError>(e));
  BOOST_TEST(std::get<FieldError>(e).field == "/number");
  e = decode_command(json{{"kind", "module"}, {"number", 3}, {"onn", "2026-03-02"}}, today);
  BOOST_REQUIRE(std::holds_alternative<FieldError>(e));
  BOOST_TEST(std::get<FieldError>(e).field == "/onn");
  e = decode_command(json{{"kind", "started"}, {"on", "2026-02-30"}}, today);
  BOOST_REQUIRE(std::holds_alternative<FieldError>(e));
  BOOST_TEST(std::get<FieldError>(e).field == "/on");
  e = decode_command(json{{"kind", "mentor"}, {"name", "A"}, {"replacement", {{"mail", "x"}}}},
                     today);
  BOOST_REQUIRE(std::holds_alternative<FieldError>(e));
  BOOST_TEST(std::get<FieldError>(e).field == "/replacement/name");
  e = decode_command(json::array(), today);
  BOOST_REQUIRE(std::holds_alternative<FieldError>(e));
  for (const auto& kind : command_kinds()) BOOST_TEST(!kind.empty());
}

BOOST_AUTO_TEST_CASE(AFieldErrorIsInSwedishUnlessTheClientAsksForEnglish) {
  const json bad = {{"name", "Sara Lind"},
                    {"email", "sara@example.se"},
                    {"unit", "Barn och unga Väster"},
                    {"start", "2026-02-30"}};
  auto sv = call("POST", "/v1/hires", bad);
  BOOST_TEST(sv.status == 422);
  BOOST_TEST(json::parse(sv.body)["field"].get<std::string>() == "/start");
  BOOST_TEST(json::parse(sv.body)["detail"].get<std::string>() ==
             "/start ska vara ett datum ÅÅÅÅ-MM-DD");
  auto en = call("POST", "/v1/hires", bad, {{"Accept-Language", "en"}});
  BOOST_TEST(en.status == 422);
  BOOST_TEST(json::parse(en.body)["detail"].get<std::string>() ==
             "/start must be a date YYYY-MM-DD");
  // The errors decided in the API itself, not in the decoder, too.
  auto unknown = call("POST", "/v1/webhooks", {{"url", "https://example.se/hook"}, {"urll", 1}});
  BOOST_TEST(unknown.status == 422);
  BOOST_TEST(json::parse(unknown.body)["detail"].get<std::string>() == "/urll är inget känt fält");
}

// The limit is in characters, as its message says: å, ä and ö are two bytes
// each in UTF-8 but one character, and must not count twice.
BOOST_AUTO_TEST_CASE(ALengthLimitCountsCharactersNotBytes) {
  auto hire = [&](const std::string& name) {
    return call("POST", "/v1/hires",
                {{"name", name},
                 {"email", "asa@example.se"},
                 {"unit", "Barn och unga Väster"},
                 {"start", "2026-03-02"}});
  };
  std::string at_limit;
  for (std::size_t i = 0; i < journey::workflows::kMaxNameChars; ++i)
    at_limit += "å";  // 200 characters, 400 bytes
  BOOST_TEST(hire(at_limit).status == 201);
  auto over = hire(at_limit + "a");
  BOOST_TEST(over.status == 422);
  BOOST_TEST(json::parse(over.body)["detail"].get<std::string>() ==
             "/name är längre än 200 tecken");
}

// A webhook's deliveries (its receiver's answers, its host in an error) are the
// business of the admins who manage that webhook: GET /v1/notifications shows
// the channel to them, and not to a unit head of the hire or another
// municipality's admin.
BOOST_AUTO_TEST_CASE(AWebhookChannelIsShownOnlyToTheAdminsWhoManageIt) {
  const std::string hire = register_hire();  // in municipality "default"
  const engine::CommandContext setup{"setup", "", std::nullopt};
  BOOST_REQUIRE(engine->set_municipality({"goteborg", "Göteborgs Stad"}, setup).ok());
  set_unit("Barn och unga Väster");
  const std::string local_admin = token(engine::AccessRole::admin, "default", {});
  const std::string other_admin = token(engine::AccessRole::admin, "goteborg", {});
  const std::string head =
      token(engine::AccessRole::unit_head, "default", {"Barn och unga Väster"});
  for (const auto& [id, municipality] : std::vector<std::pair<std::string, std::string>>{
           {"wh-000000aa", "*"}, {"wh-000000dd", "default"}, {"wh-000000bb", "goteborg"}})
    BOOST_REQUIRE(
        engine->set_webhook({id, "http://127.0.0.1:9/" + id, {"fp"}, true, "", municipality}, setup)
            .ok());
  engine::NotificationRecord n;
  n.message_id = "n-0123456789abcdef01234567";
  n.audience = "unit_head";
  n.to_email = "anna@example.se";
  n.subject = "Påminnelse";
  n.hire_ids = {hire};
  n.channels = {"email", "webhook:wh-000000aa", "webhook:wh-000000dd"};
  BOOST_REQUIRE(
      real->append({storage::StreamId(hire),
                    storage::ExpectedVersion::any(),
                    {storage::NewEvent{engine::kNotificationDecided, 1,
                                       engine::encode_notification(n), clock.now(), "scheduler"}},
                    ""})
          .ok());
  auto channels_seen_by = [&](const std::string& t) {
    Request r;
    r.method = "GET";
    r.target = "/v1/notifications?hire=" + hire;
    r.headers["Authorization"] = "Bearer " + t;
    auto res = api->handle(r);
    BOOST_REQUIRE_EQUAL(res.status, 200);
    std::set<std::string> seen;
    for (const auto& row : json::parse(res.body)) seen.insert(row["channel"].get<std::string>());
    return seen;
  };
  using Set = std::set<std::string>;
  BOOST_TEST(
      (channels_seen_by(admin) == Set{"email", "webhook:wh-000000aa", "webhook:wh-000000dd"}));
  BOOST_TEST((channels_seen_by(local_admin) == Set{"email", "webhook:wh-000000dd"}));
  BOOST_TEST((channels_seen_by(head) == Set{"email"}));
  BOOST_TEST(channels_seen_by(other_admin).empty());  // not its municipality's hire at all
}

BOOST_AUTO_TEST_CASE(UnknownTokenIs401AndNoTokenNamesTheHeader) {
  Request r;
  r.method = "GET";
  r.target = "/v1/hires";
  auto res = api->handle(r);
  BOOST_TEST(res.status == 401);
  BOOST_TEST(json::parse(res.body)["header"].get<std::string>() == "Authorization");
  r.headers["Authorization"] = "Bearer jt_00000000_" + std::string(64, '0');
  BOOST_TEST(api->handle(r).status == 401);
}

BOOST_AUTO_TEST_CASE(WebFilesAreServedButNothingOutsideTheirFolder) {
  const fs::path web = dir.string() + "-web";
  fs::create_directories(web / "assets");
  std::ofstream(web / "index.html") << "<!doctype html><title>Journey</title>";
  std::ofstream(web / "assets" / "app-1a2b.js") << "console.log(1)";
  std::ofstream(dir.string() + "-secret.txt") << "secret";
  api->serve_files(web);
  Request r;
  r.method = "GET";
  r.target = "/";
  auto res = api->handle(r);
  BOOST_TEST(res.status == 200);
  BOOST_TEST(res.content_type == "text/html; charset=utf-8");
  r.target = "/hires/hire-12345678";  // a browser route: the application
  BOOST_TEST(api->handle(r).body == "<!doctype html><title>Journey</title>");
  r.target = "/assets/app-1a2b.js";
  res = api->handle(r);
  BOOST_TEST(res.content_type == "text/javascript; charset=utf-8");
  BOOST_TEST(res.body == "console.log(1)");
  for (const char* evil : {"/../", "/assets/../../x", "/%2e%2e/secret.txt", "/a%00.js"}) {
    r.target = evil;
    BOOST_TEST(api->handle(r).status == 400, evil);
  }
  r.target = "/missing.js";
  BOOST_TEST(api->handle(r).status == 404);
  r.target = "/v1/nothing";  // the API's own 404, not the application
  res = api->handle(r);
  BOOST_TEST(res.status == 404);
  BOOST_TEST(res.content_type == "application/problem+json");
  fs::remove_all(web);
  fs::remove(dir.string() + "-secret.txt");
}

BOOST_AUTO_TEST_CASE(InvalidUtf8IsRefusedNotAnInternalError) {
  // Found by fuzz_http_request: nlohmann's dump() threw on the echoed bytes,
  // inside the handler that turns exceptions into 500s, and terminated.
  auto r = call("PUT", "/v1/units/Barn%FFunga",
                {{"unit_head", {{"name", "A"}, {"email", "a@x.se"}}},
                 {"administrator", {{"name", "B"}, {"email", "b@x.se"}}}});
  BOOST_TEST(r.status == 404);
  BOOST_TEST(json::accept(r.body));
  r = call("GET", "/v1/hires?unit=%C3");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(json::parse(r.body)["parameter"].get<std::string>() == "unit");
  Request csv;
  csv.method = "POST";
  csv.target = "/v1/imports";
  csv.headers["Authorization"] = "Bearer " + admin;
  csv.headers["Content-Type"] = "text/csv";
  csv.body = "name,email,unit,start\nA\xe5,a@x.se,E,2026-09-01\n";  // Latin-1 \xe5
  r = api->handle(csv);
  BOOST_TEST(r.status == 415);
  BOOST_TEST(json::accept(r.body));
}

BOOST_AUTO_TEST_CASE(DrainingAnswers503ButHealthStaysUp) {
  api->set_ready(false);
  auto r = call("GET", "/v1/me");
  BOOST_TEST(r.status == 503);
  BOOST_TEST(json::parse(r.body)["code"].get<std::string>() == "not_ready");
  BOOST_TEST(call("GET", "/readyz").status == 503);
  BOOST_TEST(call("GET", "/healthz").status == 200);
  api->set_ready(true);
  BOOST_TEST(call("GET", "/v1/me").status == 200);
}

// Finding 9: a mistake could not be corrected. The admin who has to clean
// up a hire registered with "4800-01-01" corrects the registration's start;
// the bytes no event at all are retracted. Both hires replay again.
BOOST_AUTO_TEST_CASE(ADamagedHireIsRepairedByCorrectingOrRetractingTheDamagedEvent) {
  set_unit("Barn och unga Väster");
  plant_4800_registration(*real);
  const std::string broken = register_hire();
  plant(*real, broken, "HireStarted", std::string("\x01\xff\xff", 3));
  BOOST_TEST(call("GET", "/v1/hires/hire-0badda7e").status == 409);
  BOOST_TEST(call("GET", "/v1/hires/" + broken).status == 409);

  // A unit head may correct a registration of her unit, but not strike bytes
  // nobody can read: that is an admin's.
  const std::string head =
      token(engine::AccessRole::unit_head, "default", {"Barn och unga Väster"});
  auto as_head = [&](const std::string& target, const json& body) {
    Request r;
    r.method = "POST";
    r.target = target;
    r.body = body.dump();
    r.headers["Authorization"] = "Bearer " + head;
    r.headers["Content-Type"] = "application/json";
    return api->handle(r);
  };
  // The damaged hire's history says which record is wrong and why.
  auto raw = call("GET", "/v1/hires/" + broken + "/history");
  BOOST_TEST_REQUIRE(raw.status == 200, raw.body);
  auto raw_rows = json::parse(raw.body);
  BOOST_REQUIRE(raw_rows.size() == 2u);
  BOOST_TEST(!raw_rows[0].contains("damage"));
  BOOST_TEST(raw_rows[1]["damage"].get<std::string>().find("does not decode") != std::string::npos);
  auto fixed = as_head("/v1/hires/hire-0badda7e/corrections",
                       {{"action", "correct"},
                        {"event", 1},
                        {"reason", "skrivfel: 4800 i stället för 2026"},
                        {"replacement", {{"start", "2026-09-01"}}}});
  BOOST_TEST_REQUIRE(fixed.status == 201, fixed.body);
  BOOST_TEST(json::parse(fixed.body)["corrects"] == 1);
  auto strike = json{{"action", "retract"}, {"event", 2}, {"reason", "oläsbar post"}};
  BOOST_TEST(as_head("/v1/hires/" + broken + "/corrections", strike).status == 403);
  auto struck = call("POST", "/v1/hires/" + broken + "/corrections", strike);
  BOOST_TEST_REQUIRE(struck.status == 201, struck.body);

  auto view = call("GET", "/v1/hires/hire-0badda7e");
  BOOST_TEST_REQUIRE(view.status == 200, view.body);
  BOOST_TEST(json::parse(view.body)["start"] == "2026-09-01");
  BOOST_TEST(call("GET", "/v1/hires/" + broken).status == 200);
  for (const auto& row : json::parse(call("GET", "/v1/hires").body))
    BOOST_TEST(!row.value("damaged", false));
  Request m;
  m.method = "GET";
  m.target = "/metrics";
  BOOST_TEST(api->handle(m).body.find("journey_hires_damaged 0") != std::string::npos);
  // History keeps the original, the correction, who and why.
  auto history = json::parse(call("GET", "/v1/hires/hire-0badda7e/history").body);
  BOOST_REQUIRE(history.size() == 2u);
  BOOST_TEST(history[0]["corrected_by"] == 2);
  BOOST_TEST(history[0]["details"].get<std::string>().find("4800-01-01") != std::string::npos);
  BOOST_TEST(history[1]["type"] == "EventCorrected");
  BOOST_TEST(history[1]["corrects"] == 1);
  BOOST_TEST(history[1]["reason"] == "skrivfel: 4800 i stället för 2026");
  BOOST_TEST(history[1]["replacement"]["start"] == "2026-09-01");
  BOOST_TEST(history[1]["actor"].get<std::string>().find("tok-") != std::string::npos);
  // Commands work on both again.
  BOOST_TEST(
      call("POST", "/v1/hires/" + broken + "/events", {{"kind", "started"}, {"on", "2026-03-02"}})
          .status == 201);
}

// Every refusal of a correction names its field, and the log's head does not move.
BOOST_AUTO_TEST_CASE(ABadCorrectionIsRefusedNamingTheFieldAndWritesNothing) {
  const std::string hire = register_hire();
  BOOST_REQUIRE(
      call("POST", "/v1/hires/" + hire + "/events", {{"kind", "started"}, {"on", "2026-03-02"}})
          .status == 201);
  const std::string target = "/v1/hires/" + hire + "/corrections";
  struct Case {
    json body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {json::object(), 422, "/action"},
      {{{"action", "fix"}, {"event", 2}, {"reason", "x"}}, 422, "/action"},
      {{{"action", "correct"}, {"event", 2}, {"reason", "x"}}, 422, "/replacement"},
      {{{"action", "retract"}, {"event", 2}}, 422, "/reason"},
      {{{"action", "retract"}, {"event", 2}, {"reason", "  "}}, 422, "/reason"},
      {{{"action", "retract"}, {"event", 2}, {"reason", "x"}, {"replacement", json::object()}},
       422,
       "/replacement"},
      {{{"action", "retract"}, {"event", 2}, {"reason", std::string(2001, 'x')}}, 422, "/reason"},
      {{{"action", "retract"}, {"event", "2"}, {"reason", "x"}}, 422, "/event"},
      {{{"action", "retract"}, {"event", 99}, {"reason", "x"}}, 422, "/event"},
      {{{"action", "retract"}, {"event", 1}, {"reason", "x"}}, 422, "/action"},
      {{{"action", "correct"},
        {"event", 2},
        {"reason", "x"},
        {"replacement", {{"on", "4800-01-01"}}}},
       422,
       "/replacement/on"},
      {{{"action", "correct"},
        {"event", 2},
        {"reason", "x"},
        {"replacement", {{"on", "2030-01-01"}}}},
       409,
       "/replacement/on"},
      {{{"action", "correct"}, {"event", 2}, {"reason", "x"}, {"replacement", {{"on", nullptr}}}},
       422,
       "/replacement/on"},
      {{{"action", "correct"}, {"event", 2}, {"reason", "x"}, {"replacement", {{"kind", "item"}}}},
       422,
       "/replacement/kind"},
      {{{"action", "correct"}, {"event", 2}, {"reason", "x"}, {"replacement", {{"bogus", 1}}}},
       422,
       "/replacement/bogus"},
      {{{"action", "correct"},
        {"event", 2},
        {"reason", "x"},
        {"replacement", {{"on", "2026-03-02"}}}},
       422,
       "/replacement"},
      {{{"action", "correct"}, {"event", 1}, {"reason", "x"}, {"replacement", {{"unit", "Annan"}}}},
       422,
       "/replacement/unit"},
  };
  const auto head = real->head();
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.body.dump()) {
      auto r = call("POST", target, c.body);
      BOOST_TEST(r.status == c.status, r.body);
      auto j = json::parse(r.body);
      BOOST_TEST(j.value("field", "") == c.field);
      BOOST_TEST(!j.value("detail", "").empty());
    }
  }
  BOOST_TEST(real->head().value == head.value);
}

// A retraction reopens the item in the status JSON the web pages read.
BOOST_AUTO_TEST_CASE(HistoryShowsTheSwedishDayARecordTookEffectNotTheUtcDay) {
  const std::string hire = register_hire();
  auto h = engine->records_of(hire);
  BOOST_REQUIRE(h && !h->records.empty());
  auto at = [](int y, unsigned m, unsigned d, int hh, int mm) {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
               date::sys_days(date::year(y) / m / d)) +
           std::chrono::hours(hh) + std::chrono::minutes(mm);
  };
  const std::vector<std::pair<TimePoint, std::string>> cases = {
      {at(2027, 1, 14, 23, 30), "2027-01-15"},  // 00:30 on the 15th in Sweden
      {at(2027, 1, 14, 22, 59), "2027-01-14"},  // 23:59 on the 14th
      {at(2027, 7, 1, 21, 59), "2027-07-01"},   // 23:59 on the 1st (summer time)
      {at(2027, 7, 1, 22, 0), "2027-07-02"},
  };
  for (const auto& [instant, day] : cases) {
    BOOST_TEST_CONTEXT(day) {
      h->records[0].effective_at = instant;
      BOOST_TEST(history_json(*h)[0]["effective_at"].get<std::string>() == day);
      const std::string csv = history_csv(*h);
      BOOST_CHECK_MESSAGE(csv.find("," + day + ",") != std::string::npos, csv);
    }
  }
}

// Status bytes are kept per version and day: a second read answers the same
// bytes, a command makes the next read show it, and a read as of a date is
// never answered from (nor stored in) them.
BOOST_AUTO_TEST_CASE(AKeptStatusIsNeverServedAfterTheHireChangedOrForAnotherDate) {
  const std::string hire = register_hire();
  auto first = call("GET", "/v1/hires/" + hire);
  BOOST_REQUIRE_EQUAL(first.status, 200);
  auto second = call("GET", "/v1/hires/" + hire);
  BOOST_TEST(second.body == first.body);
  BOOST_TEST(second.headers == first.headers);
  BOOST_REQUIRE_EQUAL(
      call("POST", "/v1/hires/" + hire + "/events", {{"kind", "item"}, {"item", "ec.utse-fadder"}})
          .status,
      201);
  auto after = call("GET", "/v1/hires/" + hire);
  BOOST_TEST(after.body != first.body);
  bool done = false;
  std::string seen;
  const json status = json::parse(after.body);
  for (const auto& i : status["items"])
    if (i["id"] == "ec.utse-fadder") {
      done = i["state"] == "done";
      seen += i.dump();
    }
  BOOST_TEST(done, seen);
  BOOST_TEST(seen.size() > 0u);
  // As of today: the same day, but another representation (the bare
  // version as its ETag), computed, not the kept bytes.
  const std::string today = date::format("%F", engine->today());
  auto as_of = call("GET", "/v1/hires/" + hire + "?as_of=" + today);
  BOOST_REQUIRE_EQUAL(as_of.status, 200);
  std::string etag;
  for (const auto& [k, v] : as_of.headers)
    if (k == "ETag") etag = v;
  std::string day_etag;  // "<version>-<yyyymmdd>"
  for (const auto& [k, v] : after.headers)
    if (k == "ETag") day_etag = v;
  BOOST_TEST(etag == day_etag.substr(0, day_etag.find('-')) + "\"");
  BOOST_TEST(call("GET", "/v1/hires/" + hire).body == after.body);
}

BOOST_AUTO_TEST_CASE(ARetractedItemIsOpenAgainInTheStatusAndMarkedInHistory) {
  const std::string hire = register_hire();
  auto done = call("POST", "/v1/hires/" + hire + "/events",
                   {{"kind", "item"}, {"item", "ad.dator"}, {"on", "2026-02-20"}});
  BOOST_REQUIRE_EQUAL(done.status, 201);
  const int version = json::parse(done.body)["version"];
  auto state = [&] {
    const json view = json::parse(call("GET", "/v1/hires/" + hire).body);
    for (const auto& i : view["items"])
      if (i["id"] == "ad.dator") return i["state"].get<std::string>();
    return std::string();
  };
  BOOST_TEST(state() == "done");
  auto r = call("POST", "/v1/hires/" + hire + "/corrections",
                {{"action", "retract"}, {"event", version}, {"reason", "fel person"}},
                {{"Accept-Language", "en"}});
  BOOST_TEST_REQUIRE(r.status == 201, r.body);
  BOOST_TEST(state() == "open");
  auto history = json::parse(call("GET", "/v1/hires/" + hire + "/history").body);
  BOOST_TEST(history[version - 1]["retracted_by"] == version + 1);
  BOOST_TEST(history[version]["retracts"] == version);
  // A correction of what is struck is refused, in the caller's language.
  auto again = call("POST", "/v1/hires/" + hire + "/corrections",
                    {{"action", "correct"},
                     {"event", version},
                     {"reason", "x"},
                     {"replacement", {{"on", "2026-02-21"}}}},
                    {{"Accept-Language", "en"}});
  BOOST_TEST(again.status == 409);
  const std::string detail = json::parse(again.body)["detail"];
  BOOST_TEST(detail.find("record it anew") != std::string::npos);
  BOOST_TEST(detail.find("by event " + std::to_string(version + 1)) != std::string::npos, detail);
  BOOST_TEST(detail.find('{') == std::string::npos, detail);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the maintained views (engine/views.h) ----------------------------------

namespace {
Response get_as(Api& api, const std::string& token, const std::string& target,
                const std::string& method = "GET") {
  Request r;
  r.method = method;
  r.target = target;
  r.headers["Authorization"] = "Bearer " + token;
  return api.handle(r);
}
// The target of a page's Link rel="next", "" on the last page.
std::string next_link(const Response& res) {
  for (const auto& [k, v] : res.headers)
    if (k == "Link") return v.substr(1, v.find('>') - 1);
  return "";
}
// GET `target` as `token`, every page: the rows of all pages, following
// Link rel="next", and how many pages there were.
std::pair<json, int> all_pages(Api& api, const std::string& token, std::string target) {
  json rows = json::array();
  int pages = 0;
  for (;;) {
    const Response res = get_as(api, token, target);
    BOOST_REQUIRE_MESSAGE(res.status == 200, target << ": " << res.status << " " << res.body);
    ++pages;
    for (const auto& row : json::parse(res.body)) rows.push_back(row);
    const std::string next = next_link(res);
    if (next.empty()) return {rows, pages};
    BOOST_REQUIRE_MESSAGE(pages < 1000, target << " pages on for ever");
    target = next;
  }
}

struct ViewsFixture : Fixture {
  fs::path views_dir = dir.string() + "-views";
  std::unique_ptr<engine::HireViews> views;
  std::unique_ptr<Api> indexed;                   // the same API, lists from the views
  std::map<std::string, std::string> principals;  // what -> token
  const engine::CommandContext setup{"setup", "", std::nullopt};

  ViewsFixture() {
    BOOST_REQUIRE(engine->set_municipality({"boras", "Borås"}, setup).ok());
    set_unit("Barn och unga Väster");
    set_unit("Barn och unga Öster");
    BOOST_REQUIRE(engine
                      ->set_unit({"Familj Borås",
                                  {"Bea Holm", "bea@boras.se"},
                                  {"Bo Holm", "bo@boras.se"},
                                  std::nullopt,
                                  "boras"},
                                 setup)
                      .ok());
    const char* units[] = {"Barn och unga Väster", "Barn och unga Öster", "Familj Borås"};
    for (int n = 0; n < 21; ++n) {
      json body{{"name", "Ny " + std::to_string(n)},
                {"email", "ny" + std::to_string(n) + "@example.se"},
                {"unit", units[n % 3]},
                {"start", n % 2 ? "2026-03-02" : "2026-11-02"}};
      if (n % 4 == 0) body["introducer"] = {{"name", "Karin"}, {"email", "karin@example.se"}};
      if (n % 4 == 1) body["introducer"] = {{"name", "Olle"}, {"email", "Olle@Example.se"}};
      auto r = call("POST", "/v1/hires", body);
      BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
      const std::string hire = json::parse(r.body)["hire"];
      hires.push_back(hire);
      auto event = [&](const json& e) {
        auto res = call("POST", "/v1/hires/" + hire + "/events", e);
        BOOST_REQUIRE_MESSAGE(res.status == 201, e.dump() << ": " << res.body);
      };
      if (n % 2) event({{"kind", "started"}, {"on", "2026-03-02"}});
      if (n % 2 && n % 5 == 1)
        event({{"kind", "leave-start"}, {"leave_kind", "parental"}, {"from", "2026-06-01"}});
      if (n == 9) event({{"kind", "left"}, {"on", "2026-05-04"}});
    }
    // A corrected registration, a damaged hire of Väster (start past the
    // domain), bytes no event at all on a hire of Öster, and a hire whose
    // registration cannot be read at all (its unit unknown: "*" alone sees it).
    auto fixed = call("POST", "/v1/hires/" + hires[4] + "/corrections",
                      {{"action", "correct"},
                       {"event", 1},
                       {"reason", "stavfel"},
                       {"replacement", {{"name", "Ny Fyra"}}}});
    BOOST_REQUIRE_MESSAGE(fixed.status == 201, fixed.body);
    http_api::plant_4800_registration(*real);
    http_api::plant(*real, hires[1], "HireStarted", std::string("\x01\xff\xff", 3));
    http_api::plant(*real, "hire-0000dead", "HireRegistered", std::string("\x02\xfe", 2));

    principals["admin *"] = admin;
    principals["admin default"] = token(engine::AccessRole::admin, "default", {});
    principals["auditor default"] = token(engine::AccessRole::auditor, "default", {});
    principals["auditor boras"] = token(engine::AccessRole::auditor, "boras", {});
    principals["unit head Väster"] =
        token(engine::AccessRole::unit_head, "default", {"Barn och unga Väster"});
    principals["unit head of two"] = token(engine::AccessRole::unit_head, "default",
                                           {"Barn och unga Öster", "Barn och unga Väster"});
    // A token may name a unit twice: its hires are still listed once.
    principals["unit head, a unit twice"] = token(engine::AccessRole::unit_head, "default",
                                                  {"Barn och unga Väster", "Barn och unga Väster"});
    principals["administrator Öster"] =
        token(engine::AccessRole::administrator, "default", {"Barn och unga Öster"});
    principals["unit head Borås"] = token(engine::AccessRole::unit_head, "boras", {"Familj Borås"});
    principals["introducer Karin"] = introducer("karin@example.se");
    principals["introducer Olle"] = introducer("olle@example.se");

    open_views();
  }
  ~ViewsFixture() {
    indexed.reset();
    views.reset();
    fs::remove_all(views_dir);
  }
  std::vector<std::string> hires;

  std::string introducer(const std::string& email) {
    engine::Principal p;
    p.role = engine::AccessRole::introducer;
    p.name = email;
    p.email = email;
    p.municipality = "default";
    auto issued = tokens->issue(p, setup);
    BOOST_REQUIRE(issued.outcome.ok());
    return issued.token;
  }
  // defer_rebuild: as journeyd opens them (a rebuild left to its thread).
  void open_views(bool defer_rebuild = false) {
    indexed.reset();
    views.reset();
    auto kv = storage::open_rocksdb_kv(views_dir);
    BOOST_REQUIRE_MESSAGE(kv.ok(), (kv.ok() ? "" : kv.error().message));
    views = std::make_unique<engine::HireViews>(*engine, std::move(kv.value()), defer_rebuild);
    ApiHooks hooks;
    hooks.views = views.get();
    indexed = std::make_unique<Api>(*engine, *tokens, hooks);
  }
  // Closes everything, lets `edit` change the log's folder as someone with
  // disk access would (a plain rocksdb::DB over its column families), and
  // opens it all again.
  void reopen_log(
      const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle& events)>& edit) {
    indexed.reset();
    views.reset();
    api.reset();
    tokens.reset();
    engine.reset();
    log.reset();
    real.reset();
    {
      std::vector<std::string> names;
      BOOST_REQUIRE(rocksdb::DB::ListColumnFamilies({}, dir.string(), &names).ok());
      std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
      for (const auto& n : names) cfs.push_back({n, {}});
      std::vector<rocksdb::ColumnFamilyHandle*> handles;
      rocksdb::DB* db = nullptr;
      auto s = rocksdb::DB::Open({}, dir.string(), cfs, &handles, &db);
      BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
      for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == "events") edit(*db, *handles[i]);
      for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
      delete db;
    }
    auto opened = storage::open_rocksdb_event_log({dir}, clock);
    BOOST_REQUIRE(opened.ok());
    real = std::move(opened.value());
    log = std::make_unique<DiskFullLog>(*real);
    engine = std::make_unique<engine::JourneyEngine>(*log, clock);
    tokens = std::make_unique<engine::TokenRegistry>(*engine);
    api = std::make_unique<Api>(*engine, *tokens, ApiHooks{});
    open_views();
  }
  // The views' store itself, with the views closed (RocksDB locks it).
  template <class F>
  void with_store(F f) {
    indexed.reset();
    views.reset();
    auto kv = storage::open_rocksdb_kv(views_dir);
    BOOST_REQUIRE(kv.ok());
    f(*kv.value());
  }
  // Every list, for every principal, the same from the views as from a replay.
  void lists_agree() {
    const std::vector<std::string> targets = {
        "/v1/hires", "/v1/hires?limit=2", "/v1/hires?limit=1&unit=Barn%20och%20unga%20V%C3%A4ster",
        "/v1/hires?overdue=true&limit=3", "/v1/hires?state=Damaged", "/v1/hires?q=NY%201&limit=2",
        "/v1/hires?state=Active&limit=2", "/v1/hires?state=OnLeave", "/v1/hires?state=Left",
        "/v1/hires?state=Preboarding&limit=1&unit=Barn%20och%20unga%20V%C3%A4ster",
        "/v1/hires?state=Damaged&limit=1&overdue=false",
        // A task page of most principals computes every hire they may read
        // (only an all-municipality admin's or auditor's reads the due
        // index), so here the pages are the largest; paging by small pages
        // is TasksPageEveryRowOnceInDueOrder's.
        "/v1/tasks?limit=500", "/v1/tasks?mine&limit=500",
        "/v1/tasks?unit=Barn%20och%20unga%20%C3%96ster&limit=500",
        "/v1/tasks?role=AD&limit=500&overdue=true&due_after=2026-01-01", "/v1/notifications",
        "/v1/notifications?outcome=failed&limit=3", "/v1/notifications?outcome=delivered&limit=2",
        "/v1/notifications?webhook=wh-000000aa&limit=4"};
    for (const auto& [who, t] : principals)
      for (const auto& target : targets) {
        BOOST_TEST_CONTEXT(who << " " << target) {
          const auto replayed = all_pages(*api, t, target);
          const auto viewed = all_pages(*indexed, t, target);
          BOOST_TEST(viewed.first == replayed.first);
          BOOST_TEST(viewed.second == replayed.second);
        }
      }
  }
};

std::set<std::string> ids_of(const json& rows) {
  std::set<std::string> out;
  for (const auto& r : rows) out.insert(r["hire"].get<std::string>());
  return out;
}

// A reminder about `hire` decided as the scheduler records it, number `n`
// (its message id), to e-mail and the webhook `hook`.
engine::NotificationRecord reminder(const std::string& hire, int n, const std::string& hook) {
  engine::NotificationRecord r;
  r.message_id = "n-" + std::to_string(100000 + n) + "0123456789abcdef01";
  r.audience = n % 2 ? "introducer" : "unit_head";
  r.to_email = "anna@example.se";
  r.subject = "Påminnelse " + std::to_string(n);
  r.hire_ids = {hire};
  r.channels = {"email", "webhook:" + hook};
  return r;
}
// How one delivery attempt of `r` on `channel` went.
engine::DeliveryRecord attempt_of(const engine::NotificationRecord& r, const std::string& channel,
                                  int number, const std::string& outcome) {
  engine::DeliveryRecord d;
  d.message_id = r.message_id;
  d.channel = channel;
  d.attempt = number;
  d.outcome = outcome;
  d.code = 500;
  d.detail = "svar";
  return d;
}
}  // namespace

// With the views a list reads only what its caller may see; without them
// every hire is replayed. The two must answer alike, page by page, for every
// kind of principal, damaged and corrected hires included.
BOOST_FIXTURE_TEST_SUITE(http_api_views, ViewsFixture)

BOOST_AUTO_TEST_CASE(ListsFromTheViewsAnswerWhatAReplayAnswersForEveryPrincipal) {
  lists_agree();
  // And the lists are what each may see: a unit head her unit (the damaged
  // 4800 hire marked), an introducer the hires she introduces, whatever the
  // case of the address she was given with; Borås nothing of the others.
  const auto vaster = all_pages(*indexed, principals["unit head Väster"], "/v1/hires").first;
  BOOST_TEST(vaster.size() == 8u);  // 7 registered + hire-0badda7e
  BOOST_TEST(ids_of(vaster).count("hire-0badda7e") == 1);
  const auto olle = all_pages(*indexed, principals["introducer Olle"], "/v1/hires").first;
  // n = 1, 9, 13 (1 damaged, but his); 5 and 17 are Borås's, another municipality.
  BOOST_TEST(olle.size() == 3u);
  const auto boras = all_pages(*indexed, principals["unit head Borås"], "/v1/hires").first;
  BOOST_TEST(boras.size() == 7u);
  for (const auto& row : boras) BOOST_TEST(row["unit"] == "Familj Borås");
  const auto everyone = all_pages(*indexed, admin, "/v1/hires").first;
  BOOST_TEST(everyone.size() == 23u);  // 21 + the two planted registrations
  BOOST_TEST(ids_of(all_pages(*indexed, principals["admin default"], "/v1/hires").first)
                 .count("hire-0000dead") == 0);
}

// The same agreement over a population that has lived: 60 hires of the
// benchmarks' two-year journeys (tools/bench/population.h), started over two
// years and cut at today, every third behind, plus leave (some back), a
// corrected registration, a struck item and experienced hires.
BOOST_AUTO_TEST_CASE(ATwoYearPopulationListsAlikeFromTheViewsAndByReplay) {
  auto programme = engine->programme("gr-forsta-aren", std::nullopt);
  BOOST_REQUIRE(programme);
  const char* units[] = {"Barn och unga Väster", "Barn och unga Öster", "Familj Borås"};
  const date::sys_days today = engine->today();
  const date::sys_days first = bench::ymd(2024, 9, 2);  // a Monday
  const int weeks = static_cast<int>((today - first).count() / 7);
  BOOST_REQUIRE(
      engine->set_webhook({"wh-000000aa", "http://127.0.0.1:9/a", {"fp"}, true, "", "*"}, setup)
          .ok());
  int leaves = 0, returns = 0, corrected = 0, struck = 0, attempts = 0;
  for (int i = 0; i < 60; ++i) {
    bench::JourneyShape shape{first + date::days(7 * ((i * 37) % weeks)), units[i % 3], 150, today};
    const auto events = bench::journey_events(*programme, 1000 + i, shape, i % 3 == 0);
    const std::string id = bench::hire_id(1000 + i);
    BOOST_REQUIRE(real->append(bench::append_request(id, events, clock.now())).ok());
    const date::sys_days leave_from = shape.start + date::days(119);  // a Friday
    if (i % 5 == 2 && leave_from < today) {
      leaves += engine->execute(id, workflows::LeaveStarted{"parental", leave_from}, setup).ok();
      const date::sys_days back = leave_from + date::days(94);  // a Monday
      if (i % 10 == 2 && back < today)
        returns += engine->execute(id, workflows::LeaveEnded{back}, setup).ok();
    }
    if (i % 7 == 3) {
      auto reg = std::get<workflows::HireRegistered>(events.front());
      reg.name += " Rättad";
      corrected += engine->correct(id, {1, reg, "stavfel", 0}, setup).ok();
    }
    if (i % 7 == 5) struck += engine->correct(id, {4, std::nullopt, "fel moment", 0}, setup).ok();
    // Reminders decided for two of every three, delivered, retried, dead or
    // not yet tried, to e-mail and a webhook.
    for (int k = 0; i % 3 != 1 && k < 4; ++k) {
      const auto n = reminder(id, 2000 + 10 * i + k, "wh-000000aa");
      http_api::plant(*real, id, engine::kNotificationDecided, engine::encode_notification(n));
      for (int a = 1; a <= (i + k) % 4; ++a) {
        const char* outcome = a == 3 ? "dead_letter" : (a == 2 ? "delivered" : "retry");
        http_api::plant(
            *real, id, engine::kDeliveryAttempted,
            engine::encode_delivery(attempt_of(n, n.channels[(i + a) % 2], a, outcome)));
        ++attempts;
      }
    }
  }
  BOOST_TEST(leaves >= 5);
  BOOST_TEST(returns >= 2);
  BOOST_TEST(corrected >= 5);
  BOOST_TEST(struck >= 5);
  BOOST_TEST(attempts >= 100);
  principals["introducer Karin Ek"] = introducer("karin.ek@example.se");
  lists_agree();
  // What was compared is not empty.
  for (const char* outcome : {"dead_letter", "delivered", "retry", "pending"})
    BOOST_TEST(all_pages(*indexed, admin, std::string("/v1/notifications?outcome=") + outcome)
                       .first.size() >= 10u,
               outcome);
}

BOOST_AUTO_TEST_CASE(PagesWalkEveryHireOnceInUnitOrderAndRefuseABadLimitOrCursorByName) {
  const auto whole = all_pages(*indexed, admin, "/v1/hires");
  BOOST_TEST(whole.second == 1);
  const auto one_by_one = all_pages(*indexed, admin, "/v1/hires?limit=1");
  BOOST_TEST(one_by_one.second == 23);
  BOOST_TEST(one_by_one.first == whole.first);
  for (std::size_t i = 1; i < whole.first.size(); ++i) {
    const auto& a = whole.first[i - 1];
    const auto& b = whole.first[i];
    BOOST_TEST((std::tie(a["unit"], a["hire"]) < std::tie(b["unit"], b["hire"])));
  }
  // A hire registered between two pages shows on a later page when it sorts
  // after the cursor ("Familj Borås" comes after the first page's units);
  // nothing is listed twice.
  const Response page = get_as(*indexed, admin, "/v1/hires?limit=3");
  BOOST_REQUIRE(page.status == 200);
  const std::string next = next_link(page);
  BOOST_REQUIRE(!next.empty());
  auto added = call("POST", "/v1/hires",
                    {{"name", "Mellan Sidor"},
                     {"email", "mellan@example.se"},
                     {"unit", "Familj Borås"},
                     {"start", "2026-03-02"}});
  BOOST_REQUIRE(added.status == 201);
  const auto rest = all_pages(*indexed, admin, next).first;
  auto seen = ids_of(json::parse(page.body));
  BOOST_TEST(seen.size() == 3u);
  for (const auto& id : ids_of(rest)) BOOST_TEST(seen.insert(id).second, id << " listed twice");
  BOOST_TEST(seen.size() == 24u);
  BOOST_TEST(seen.count(json::parse(added.body)["hire"].get<std::string>()) == 1);
  for (const char* bad : {"limit=0", "limit=501", "limit=abc", "limit=", "limit=-1", "cursor=zz",
                          "cursor=00", "cursor=6869", "cursor=41006869"}) {
    BOOST_TEST_CONTEXT(bad) {
      for (Api* a : {api.get(), indexed.get()}) {
        const Response res = get_as(*a, admin, std::string("/v1/hires?") + bad);
        BOOST_TEST(res.status == 400);
        const std::string name = std::string(bad).substr(0, std::string(bad).find('='));
        BOOST_TEST(json::parse(res.body)["parameter"].get<std::string>() == name);
        BOOST_TEST(json::parse(res.body)["code"].get<std::string>() == "bad_parameter");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(ACommandIsSeenByTheNextListWithoutWaitingForTheBackground) {
  // Nothing folds the views in the background here: the list must fold them.
  auto r = call("POST", "/v1/hires",
                {{"name", "Helt Ny"},
                 {"email", "helt.ny@example.se"},
                 {"unit", "Barn och unga Öster"},
                 {"start", "2026-03-02"}});
  BOOST_REQUIRE(r.status == 201);
  const std::string hire = json::parse(r.body)["hire"];
  BOOST_TEST(ids_of(all_pages(*indexed, admin, "/v1/hires").first).count(hire) == 1);
  BOOST_REQUIRE(
      call("POST", "/v1/hires/" + hire + "/events", {{"kind", "started"}, {"on", "2026-03-02"}})
          .status == 201);
  BOOST_TEST(all_pages(*indexed, admin, "/v1/hires").first ==
             all_pages(*api, admin, "/v1/hires").first);
  // An introducer appointed later finds the hire in her list at once.
  BOOST_REQUIRE(call("POST", "/v1/hires/" + hire + "/events",
                     {{"kind", "introducer"}, {"name", "Karin"}, {"email", "karin@example.se"}})
                    .status == 201);
  BOOST_TEST(
      ids_of(all_pages(*indexed, principals["introducer Karin"], "/v1/hires").first).count(hire) ==
      1);
  lists_agree();
  // A leave moves the hire from the Active list to the OnLeave list at once
  // (the lifecycle index), and its end moves it back.
  auto in_state = [&](const char* state) {
    const std::string target = std::string("/v1/hires?limit=2&state=") + state;
    const auto viewed = all_pages(*indexed, admin, target).first;
    BOOST_TEST(viewed == all_pages(*api, admin, target).first, target);
    return ids_of(viewed).count(hire) == 1;
  };
  BOOST_TEST(in_state("Active"));
  BOOST_TEST(!in_state("OnLeave"));
  BOOST_REQUIRE(call("POST", "/v1/hires/" + hire + "/events",
                     {{"kind", "leave-start"}, {"leave_kind", "parental"}, {"from", "2026-06-01"}})
                    .status == 201);
  BOOST_TEST(!in_state("Active"));
  BOOST_TEST(in_state("OnLeave"));
  BOOST_REQUIRE(
      call("POST", "/v1/hires/" + hire + "/events", {{"kind", "leave-end"}, {"back", "2026-09-01"}})
          .status == 201);
  BOOST_TEST(in_state("Active"));
  BOOST_TEST(!in_state("OnLeave"));
  // A state that is none is refused by name, not answered with an empty list.
  for (const char* bad : {"active", "Aktiv", "NotRegistered", "Active%00"}) {
    const auto res = get_as(*indexed, admin, std::string("/v1/hires?state=") + bad);
    BOOST_TEST(res.status == 400, bad);
    BOOST_TEST(json::parse(res.body)["parameter"] == "state", bad);
  }
}

// A hire reminded for two years has hundreds of notifications: the list
// pages, every row once, in (unit, hire, record, channel) order, the same
// from the views as from a replay, and the filters hold across pages.
BOOST_AUTO_TEST_CASE(NotificationsPageEveryRowOnceInOrderWithTheFiltersKept) {
  BOOST_REQUIRE(
      engine->set_webhook({"wh-000000aa", "http://127.0.0.1:9/a", {"fp"}, true, "", "*"}, setup)
          .ok());
  int planted = 0;
  for (const std::size_t h : {0u, 2u, 3u, 5u}) {
    for (int i = 0; i < 4 + static_cast<int>(h); ++i) {
      http_api::plant(*real, hires[h], engine::kNotificationDecided,
                      engine::encode_notification(reminder(hires[h], planted, "wh-000000aa")));
      ++planted;
    }
  }
  const auto whole = all_pages(*api, admin, "/v1/notifications?limit=500");
  BOOST_TEST(whole.second == 1);
  BOOST_TEST(whole.first.size() == static_cast<std::size_t>(2 * planted));  // two channels each
  for (const char* target :
       {"/v1/notifications?limit=1", "/v1/notifications?limit=3", "/v1/notifications?limit=7"}) {
    BOOST_TEST_CONTEXT(target) {
      const auto replayed = all_pages(*api, admin, target);
      const auto viewed = all_pages(*indexed, admin, target);
      BOOST_TEST(replayed.first == whole.first);
      BOOST_TEST(viewed.first == whole.first);
      BOOST_TEST(viewed.second == replayed.second);
    }
  }
  BOOST_TEST(all_pages(*api, admin, "/v1/notifications?limit=1").second == 2 * planted);
  // One hire's, paged, keeps to that hire; an outcome filter keeps to it.
  const auto one = all_pages(*indexed, admin, "/v1/notifications?limit=2&hire=" + hires[5]);
  BOOST_TEST(one.first.size() == 18u);
  for (const auto& row : one.first) BOOST_TEST(row["hire"] == hires[5]);
  const auto pending = all_pages(*indexed, admin, "/v1/notifications?limit=4&outcome=pending");
  BOOST_TEST(pending.first == whole.first);  // none was attempted
  BOOST_TEST(all_pages(*indexed, admin, "/v1/notifications?limit=4&outcome=delivered").first ==
             json::array());
  // A unit head sees her units' e-mail rows only, paged alike.
  const std::string& head = principals["unit head Väster"];
  BOOST_TEST(all_pages(*indexed, head, "/v1/notifications?limit=2").first.size() ==
             4u + 7u);  // hires 0 and 3, e-mail only
  BOOST_TEST(all_pages(*indexed, head, "/v1/notifications?limit=2").first ==
             all_pages(*api, head, "/v1/notifications?limit=500").first);
  // A cursor of another list is no cursor here.
  const auto hires_page = get_as(*indexed, admin, "/v1/hires?limit=1");
  const std::string link = next_link(hires_page);
  const std::string cursor = link.substr(link.find("cursor=") + 7);
  const auto bad = get_as(*indexed, admin, "/v1/notifications?cursor=" + cursor);
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(json::parse(bad.body)["parameter"] == "cursor");
}

// The outcome and webhook filters read the views' indexes: only matching
// rows are visited, and the answer is the replay's, row for row, page by
// page, for every principal. A notification record whose bytes do not
// decode hides no other row (it stopped the whole list with a 500), and a
// redelivery finds its message by the index.
BOOST_AUTO_TEST_CASE(FilteredNotificationsFromTheIndexesAreTheReplaysAndABadRecordHidesNone) {
  for (const char* id : {"wh-000000aa", "wh-000000bb"})
    BOOST_REQUIRE(
        engine->set_webhook({id, "http://127.0.0.1:9/a", {"fp"}, true, "", "*"}, setup).ok());
  auto append = [&](const std::string& hire, const char* type, const std::string& payload) {
    http_api::plant(*real, hire, type, payload);
  };
  // Outcomes by the last attempt of each channel: delivered, retry, dead
  // letter, gone, and none yet.
  std::map<std::string, std::string> dead;  // hire -> a dead-lettered message
  int planted = 0;
  for (const std::size_t h : {0u, 2u, 3u, 5u, 7u}) {
    for (int i = 0; i < 3; ++i) {
      const auto n = reminder(hires[h], 1000 + planted, i == 1 ? "wh-000000bb" : "wh-000000aa");
      append(hires[h], engine::kNotificationDecided, engine::encode_notification(n));
      auto attempt = [&](const std::string& channel, int number, const char* outcome) {
        append(hires[h], engine::kDeliveryAttempted,
               engine::encode_delivery(attempt_of(n, channel, number, outcome)));
      };
      if ((planted % 3) == 0) attempt("email", 1, "delivered");
      if ((planted % 3) == 1) attempt("email", 1, "retry");
      if ((planted % 4) == 1) {
        attempt(n.channels[1], 1, "retry");
        attempt(n.channels[1], 8, "dead_letter");
        dead[hires[h]] = n.message_id;
      }
      if ((planted % 5) == 2) attempt(n.channels[1], 1, "gone");
      ++planted;
    }
  }
  // Bytes that are no notification at all, between two good ones of hire 3.
  append(hires[3], engine::kNotificationDecided, std::string("\x01\xff", 2));
  append(hires[3], engine::kDeliveryAttempted, std::string("\x02", 1));
  for (Api* a : {api.get(), indexed.get()}) {
    const auto whole = all_pages(*a, admin, "/v1/notifications?limit=500");
    BOOST_TEST(whole.first.size() == static_cast<std::size_t>(2 * planted));
  }
  const auto whole = all_pages(*api, admin, "/v1/notifications?limit=500").first;
  auto kept = [&](const std::function<bool(const json&)>& keep) {
    json out = json::array();
    for (const auto& row : whole)
      if (keep(row)) out.push_back(row);
    return out;
  };
  const std::map<std::string, std::function<bool(const json&)>> filters = {
      {"outcome=delivered", [](const json& r) { return r["outcome"] == "delivered"; }},
      {"outcome=retry", [](const json& r) { return r["outcome"] == "retry"; }},
      {"outcome=pending", [](const json& r) { return r["outcome"] == "pending"; }},
      {"outcome=dead_letter", [](const json& r) { return r["outcome"] == "dead_letter"; }},
      {"outcome=failed",
       [](const json& r) { return r["outcome"] == "dead_letter" || r["outcome"] == "gone"; }},
      {"webhook=wh-000000bb", [](const json& r) { return r["channel"] == "webhook:wh-000000bb"; }},
      {"webhook=wh-000000aa&outcome=pending",
       [](const json& r) {
         return r["channel"] == "webhook:wh-000000aa" && r["outcome"] == "pending";
       }},
  };
  for (const auto& [query, keep] : filters) {
    const json expected = kept(keep);
    BOOST_TEST(!expected.empty(), query);
    for (const char* limit : {"1", "2", "500"}) {
      const std::string target = "/v1/notifications?" + query + "&limit=" + limit;
      BOOST_TEST_CONTEXT(target) {
        BOOST_TEST(all_pages(*indexed, admin, target).first == expected);
        BOOST_TEST(all_pages(*api, admin, target).first == expected);
      }
    }
    // Every principal sees from the index what a replay shows it.
    for (const auto& [who, t] : principals) {
      const std::string target = "/v1/notifications?" + query + "&limit=2";
      BOOST_TEST_CONTEXT(who << " " << target) {
        const auto viewed = all_pages(*indexed, t, target);
        const auto replayed = all_pages(*api, t, target);
        BOOST_TEST(viewed.first == replayed.first);
        BOOST_TEST(viewed.second == replayed.second);
      }
    }
  }
  // A unit head's failed rows are none: the failures are webhooks', not hers to see.
  BOOST_TEST(all_pages(*indexed, principals["unit head Väster"], "/v1/notifications?outcome=failed")
                 .first == json::array());
  // A delivery moves a row from one outcome's index to another's at once.
  const std::string moved = whole[0]["message_id"];
  const std::string moved_hire = whole[0]["hire"];
  const std::string moved_channel = whole[0]["channel"];
  BOOST_REQUIRE(whole[0]["outcome"] != "gone");
  engine::NotificationRecord moved_record;
  moved_record.message_id = moved;
  append(moved_hire, engine::kDeliveryAttempted,
         engine::encode_delivery(attempt_of(moved_record, moved_channel, 3, "gone")));
  const auto failed = all_pages(*indexed, admin, "/v1/notifications?outcome=failed").first;
  BOOST_TEST(failed == all_pages(*api, admin, "/v1/notifications?outcome=failed").first);
  BOOST_TEST(failed[0]["message_id"] == moved);
  // A bad filter is refused by name.
  for (const char* bad : {"webhook=x", "webhook=wh-", "webhook=WH-00", "outcome=lost"}) {
    const auto res = get_as(*indexed, admin, std::string("/v1/notifications?") + bad);
    BOOST_TEST(res.status == 400, bad);
    const std::string name(bad, std::strchr(bad, '='));
    BOOST_TEST(json::parse(res.body)["parameter"] == name);
  }
  // Redelivery finds a message by the index as by a replay: known, and the
  // admin's to see, it gets as far as the scheduler (none runs here: 503);
  // another municipality's, or none at all, is 404.
  BOOST_REQUIRE(dead.count(hires[5]));  // hire 5 is of Familj Borås
  for (Api* a : {api.get(), indexed.get()}) {
    const std::string path = "/v1/notifications/" + dead[hires[5]] + "/redeliver";
    BOOST_TEST(get_as(*a, admin, path, "POST").status == 503);
    BOOST_TEST(get_as(*a, principals["admin default"], path, "POST").status == 404);
    BOOST_TEST(get_as(*a, admin, "/v1/notifications/n-000000000000000000000000/redeliver", "POST")
                   .status == 404);
  }
}

// After an upgrade changes the views' format, journeyd opens them without
// rebuilding (its views thread does that): until then apply() refuses, and
// every list answers what a replay answers; after it, from the views.
BOOST_AUTO_TEST_CASE(AStartAfterAFormatChangeAnswersByReplayUntilTheRebuildIsThrough) {
  with_store([](storage::KvStore& kv) {
    BOOST_REQUIRE(kv.write(storage::KvWrite{{{"f", storage::be64(1)}}, {}}).ok());
  });
  open_views(true);
  BOOST_TEST(views->rebuild_pending());
  BOOST_CHECK_THROW(views->apply(), std::runtime_error);
  lists_agree();
  BOOST_TEST(views->rebuild_if_pending());
  BOOST_TEST(!views->rebuild_pending());
  BOOST_TEST(!views->rebuild_if_pending());
  BOOST_CHECK_NO_THROW(views->apply());
  lists_agree();
}

// journeyd stops its views before it joins their thread: a rebuild in the
// background ends after the hires in hand instead of holding the stop up,
// and leaves the views pending, so the next start rebuilds them whole.
BOOST_AUTO_TEST_CASE(AStopDuringTheRebuildEndsItAndTheNextStartRebuildsAgain) {
  with_store([](storage::KvStore& kv) {
    BOOST_REQUIRE(kv.write(storage::KvWrite{{{"f", storage::be64(1)}}, {}}).ok());
  });
  open_views(true);
  BOOST_REQUIRE(views->rebuild_pending());
  std::atomic<int> reads{0};
  log->on_visit = [&] {
    if (++reads == 5) views->stop();
  };
  BOOST_TEST(!views->rebuild_if_pending());
  log->on_visit = nullptr;
  BOOST_TEST_MESSAGE("reads before the rebuild ended: " << reads.load());
  BOOST_TEST(reads.load() < static_cast<int>(hires.size()));  // fewer reads than hires
  BOOST_TEST(views->rebuild_pending());
  BOOST_TEST(!views->rebuild_if_pending());  // stopped: none starts
  BOOST_TEST(views->refresh_day() == 0u);
  lists_agree();  // by replay

  open_views(true);  // the next start: the format was never written
  BOOST_TEST(views->rebuild_pending());
  BOOST_TEST(views->rebuild_if_pending());
  BOOST_CHECK_NO_THROW(views->apply());
  lists_agree();
}

// A read of the log that fails for the store's reasons (an I/O error) says
// nothing about the hire: the views keep its notification rows and do not
// move past what they could not fold, so the next list still finds them.
BOOST_AUTO_TEST_CASE(AFailedReadOfTheLogDoesNotEmptyAHiresNotifications) {
  BOOST_REQUIRE(
      engine->set_webhook({"wh-000000aa", "http://127.0.0.1:9/a", {"fp"}, true, "", "*"}, setup)
          .ok());
  const std::string& hire = hires[5];  // started, with an introducer: hours may be logged
  for (int i = 0; i < 3; ++i)
    http_api::plant(*real, hire, engine::kNotificationDecided,
                    engine::encode_notification(reminder(hire, 3000 + i, "wh-000000aa")));
  const std::string pending = "/v1/notifications?outcome=pending";
  const auto before = all_pages(*indexed, admin, pending).first;
  BOOST_TEST(before.size() == 6u);
  BOOST_REQUIRE(call("POST", "/v1/hires/" + hire + "/events",
                     {{"kind", "hours"}, {"week", "2026-03-02"}, {"hours", 2}})
                    .status == 201);
  log->reads_fail = true;
  BOOST_CHECK_THROW(views->apply(), std::exception);
  log->reads_fail = false;
  BOOST_TEST(all_pages(*indexed, admin, pending).first == before);
}

// A task list pages in (due, unit, hire, item) order: small pages are the
// whole list, every row once, the same from the views as from a replay, and
// the filters hold across pages.
BOOST_AUTO_TEST_CASE(TasksPageEveryRowOnceInDueOrderWithTheFiltersKept) {
  for (const char* who : {"admin", "unit head Väster", "introducer Olle"}) {
    const std::string& t = std::string(who) == "admin" ? admin : principals[who];
    for (const std::string filter :
         {"", "&role=AD&overdue=true&due_after=2026-01-01", "&mine", "&due_before=2026-06-01"}) {
      BOOST_TEST_CONTEXT(who << " " << filter) {
        const auto whole = all_pages(*api, t, "/v1/tasks?limit=500" + filter);
        BOOST_TEST(static_cast<std::size_t>(whole.second) ==
                   std::max<std::size_t>(1, (whole.first.size() + 499) / 500));
        for (std::size_t i = 1; i < whole.first.size(); ++i) {
          const auto& a = whole.first[i - 1];
          const auto& b = whole.first[i];
          BOOST_TEST((std::tie(a["due"], a["unit"], a["hire"]) <=
                      std::tie(b["due"], b["unit"], b["hire"])));
        }
        const std::size_t limit = std::max<std::size_t>(1, whole.first.size() / 4);
        const std::string target = "/v1/tasks?limit=" + std::to_string(limit) + filter;
        const auto replayed = all_pages(*api, t, target);
        const auto viewed = all_pages(*indexed, t, target);
        BOOST_TEST(replayed.first == whole.first);
        BOOST_TEST(viewed.first == whole.first);
        BOOST_TEST(viewed.second == replayed.second);
        BOOST_TEST(static_cast<std::size_t>(viewed.second) ==
                   std::max<std::size_t>(1, (whole.first.size() + limit - 1) / limit));
      }
    }
  }
  // The default page is the first 100 of the whole list.
  const auto whole = all_pages(*indexed, admin, "/v1/tasks?limit=500").first;
  BOOST_REQUIRE(whole.size() > 100u);
  const auto first = get_as(*indexed, admin, "/v1/tasks");
  BOOST_REQUIRE(first.status == 200);
  const json page = json::parse(first.body);
  BOOST_TEST(page.size() == 100u);
  BOOST_TEST(page == json(std::vector<json>(whole.begin(), whole.begin() + 100)));
  BOOST_TEST(!next_link(first).empty());
}

// Lists served from the views load no one, so after a restart the engine
// had found no hire damaged and /metrics said journey_hires_damaged 0 while
// the lists showed three. The views' own index of damaged hires counts them.
BOOST_AUTO_TEST_CASE(AfterARestartMetricsCountTheDamagedHiresTheListsShow) {
  auto metric = [](Api& a) {
    Request m;
    m.method = "GET";
    m.target = "/metrics";
    const std::string body = a.handle(m).body;
    const auto at = body.find("\njourney_hires_damaged ");
    BOOST_REQUIRE(at != std::string::npos);
    return std::stoi(body.substr(at + 23));
  };
  int shown = 0;
  for (const auto& row : all_pages(*indexed, admin, "/v1/hires").first)
    shown += row.value("damaged", false);
  BOOST_TEST(shown == 3);
  BOOST_TEST(metric(*indexed) == shown);
  // A restart: a new engine and views over the same log and views store.
  indexed.reset();
  views.reset();
  engine::JourneyEngine fresh(*log, clock);
  engine::TokenRegistry fresh_tokens(fresh);
  auto kv = storage::open_rocksdb_kv(views_dir);
  BOOST_REQUIRE(kv.ok());
  engine::HireViews reopened(fresh, std::move(kv.value()));
  BOOST_TEST(fresh.damaged_hires().empty());
  ApiHooks hooks;
  hooks.views = &reopened;
  Api restarted(fresh, fresh_tokens, hooks);
  BOOST_TEST(metric(restarted) == shown);
  BOOST_TEST(reopened.damaged().size() == 3u);
}

BOOST_AUTO_TEST_CASE(ViewsOfAnotherFormatOrAheadOfARestoredLogAreRebuiltFromTheLog) {
  views->apply();
  const auto head = real->head().value;
  // Another format version, and a stray entry: both gone after the open.
  with_store([&](storage::KvStore& kv) {
    storage::KvWrite w;
    w.puts.push_back({"f", storage::be64(engine::HireViews::kFormat + 1)});
    w.puts.push_back({std::string("uBarn och unga Väster") + '\0' + "hire-5ca1ab1e", ""});
    BOOST_REQUIRE(kv.write(w, true).ok());
  });
  open_views();
  BOOST_TEST(views->applied() == head);
  with_store([&](storage::KvStore& kv) {
    BOOST_TEST(storage::from_be64(kv.get("f").value().value()) == engine::HireViews::kFormat);
    BOOST_TEST(
        !kv.get(std::string("uBarn och unga Väster") + '\0' + "hire-5ca1ab1e").value().has_value());
    // Views that say they applied more than the log holds (a log restored
    // from an older backup under them): rebuilt too.
    storage::KvWrite w;
    w.puts.push_back({"c", storage::be64(head + 100)});
    w.puts.push_back({std::string("uBarn och unga Väster") + '\0' + "hire-5ca1ab1e", ""});
    BOOST_REQUIRE(kv.write(w, true).ok());
  });
  open_views();
  BOOST_TEST(views->applied() == head);
  with_store([&](storage::KvStore& kv) {
    BOOST_TEST(
        !kv.get(std::string("uBarn och unga Väster") + '\0' + "hire-5ca1ab1e").value().has_value());
  });
  open_views();
  lists_agree();
}

// An event whose stored envelope is no event of this log (here: a time past
// the calendar, which the append path refuses) is one hire's damage: the
// views fold past it, every list still answers, and only that hire is marked.
BOOST_AUTO_TEST_CASE(AnUndecodableEnvelopeDamagesOneHireAndNoListStops) {
  const std::string victim = hires[3];  // Väster, registered then started
  views->apply();
  const auto head = real->head().value;
  reopen_log([&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle& events) {
    std::string key = victim;
    key.push_back('\0');
    for (int i = 7; i >= 0; --i) key.push_back(static_cast<char>((2ull >> (i * 8)) & 0xff));
    std::string value;
    BOOST_REQUIRE(db.Get({}, &events, key, &value).ok());
    auto e = storage::envelope::decode(value);
    BOOST_REQUIRE(e.ok());
    e->effective_at = storage::kEndOfInstants + std::chrono::hours(48);
    BOOST_REQUIRE(db.Put({}, &events, key, storage::envelope::encode(*e)).ok());
  });
  // Views that applied less than the log holds fold the rest from the log
  // at open: from the start, so the fold reads the damaged event.
  with_store([&](storage::KvStore& kv) {
    BOOST_REQUIRE(kv.write(storage::KvWrite{{{"c", storage::be64(0)}}, {}}, true).ok());
  });
  BOOST_REQUIRE_NO_THROW(open_views());
  BOOST_TEST(views->applied() == head);
  lists_agree();
  // What the unreadable record said is unknown (it may have moved the hire):
  // only "*" sees the hire, marked with why; the unit head keeps her list.
  const auto rows = all_pages(*indexed, admin, "/v1/hires").first;
  bool seen = false;
  for (const auto& r : rows) {
    if (r["hire"] != victim) continue;
    seen = true;
    BOOST_TEST(r.value("damaged", false));
    BOOST_CHECK_MESSAGE(r.value("damage", std::string()).find("effective_at") != std::string::npos,
                        r.dump());
  }
  BOOST_TEST(seen);
  BOOST_TEST(get_as(*indexed, admin, "/v1/hires/" + victim).status == 409);
  const std::string vaster = principals["unit head Väster"];
  BOOST_TEST(get_as(*indexed, vaster, "/v1/hires").status == 200);
  BOOST_TEST(get_as(*indexed, vaster, "/v1/tasks").status == 200);
  BOOST_TEST(get_as(*indexed, vaster, "/v1/hires/" + hires[0]).status == 200);
}

BOOST_AUTO_TEST_CASE(ANameSearchFindsOnlyReadableHiresOnEveryPageAndRefusesBadText) {
  auto r = call("POST", "/v1/hires",
                {{"name",
                  "\xc3\x85sa \xc3\x96"
                  "berg-\xc3\x86r\xc3\xb8"},  // Åsa Öberg-Ærø
                 {"email", "asa@example.se"},
                 {"unit", "Barn och unga V\xc3\xa4ster"},
                 {"start", "2026-03-02"}});
  BOOST_REQUIRE_EQUAL(r.status, 201);
  const std::string asa = json::parse(r.body)["hire"];
  const std::string vaster = principals["unit head Väster"];
  for (Api* a : {api.get(), indexed.get()}) {
    auto ids = [&](const std::string& token, const std::string& target) {
      std::set<std::string> out;
      for (const auto& row : all_pages(*a, token, target).first) out.insert(row["hire"]);
      return out;
    };
    // Case folded for Swedish letters; every word must occur.
    BOOST_TEST((ids(vaster, "/v1/hires?q=%C3%A5SA%20%C3%B6b") == std::set<std::string>{asa}));
    BOOST_TEST((ids(vaster, "/v1/hires?q=%C3%A6R%C3%98") == std::set<std::string>{asa}));
    BOOST_TEST(ids(vaster, "/v1/hires?q=%C3%A5sa%20lind").empty());
    // The corrected name counts, and only readable hires are found.
    BOOST_TEST((ids(admin, "/v1/hires?q=fyra") == std::set<std::string>{hires[4]}));
    BOOST_TEST(ids(vaster, "/v1/hires?q=fyra").empty());  // hires[4] is Öster's
    BOOST_TEST((ids(principals["unit head of two"], "/v1/hires?q=fyra") ==
                std::set<std::string>{hires[4]}));
    BOOST_TEST((ids(vaster, "/v1/hires?q=" + asa.substr(0, 11)) == std::set<std::string>{asa}));
    BOOST_TEST(ids(vaster, "/v1/hires?q=" + asa.substr(5, 4)).empty());  // ids only from "hire-
    // Page by page, the search is kept: every row of every page matches.
    const auto rows = all_pages(*a, admin, "/v1/hires?q=ny%201&limit=2");
    BOOST_TEST(rows.second > 2);
    for (const auto& row : rows.first)
      BOOST_CHECK_MESSAGE(engine::name_matches(row.value("name", std::string()), "ny 1"),
                          row.dump());
    std::size_t expected = 0;
    for (const auto& row : all_pages(*a, admin, "/v1/hires?limit=500").first)
      expected += engine::name_matches(row.value("name", std::string()), "ny 1") ? 1 : 0;
    BOOST_TEST(rows.first.size() == expected);
    // Text that is no name is refused naming the parameter.
    for (const std::string& bad :
         {std::string("/v1/hires?q=") + std::string(201, 'a'), std::string("/v1/hires?q=a%01b"),
          std::string("/v1/hires?q=%FF")}) {
      const auto res = get_as(*a, admin, bad);
      BOOST_TEST(res.status == 400);
      BOOST_CHECK_MESSAGE(json::parse(res.body).value("parameter", "") == "q", res.body);
    }
  }
}

BOOST_AUTO_TEST_CASE(HistoryAndTokensPageEveryRowOnceInOrderWithTheirFiltersKept) {
  // A hire's history by 3 (as of a date and not) is its whole history, in
  // stream order, each page naming the next; the default page is all of it.
  // The hire with the longest history (corrections and notifications too).
  std::string hire;
  std::size_t longest = 0;
  for (const auto& h : hires) {
    if (get_as(*indexed, admin, "/v1/hires/" + h).status != 200) continue;  // a damaged one
    const auto res = get_as(*indexed, admin, "/v1/hires/" + h + "/history");
    const auto n = json::parse(res.body).size();
    if (n > longest) std::tie(hire, longest) = std::pair{h, n};
  }
  const std::string today = date::format("%F", engine->today());
  for (const std::string& query : {std::string(), "&as_of=" + today + "&basis=effective"}) {
    BOOST_TEST_CONTEXT(query) {
      const auto whole = all_pages(*indexed, admin, "/v1/hires/" + hire + "/history?x" + query);
      BOOST_TEST(whole.second == 1);
      BOOST_REQUIRE_MESSAGE(whole.first.size() > 3u, hire << ": " << whole.first.size());
      const auto by3 = all_pages(*indexed, admin, "/v1/hires/" + hire + "/history?limit=3" + query);
      BOOST_TEST(by3.first == whole.first);
      BOOST_TEST(static_cast<std::size_t>(by3.second) == (whole.first.size() + 2) / 3);
      for (std::size_t i = 1; i < whole.first.size(); ++i)
        BOOST_TEST(whole.first[i - 1]["version"].get<int>() < whole.first[i]["version"].get<int>());
    }
  }
  // Tokens by 1: every token the admin may see once, in id order; a
  // municipality's admin sees its own on every page.
  for (const char* who : {"admin *", "admin default"}) {
    BOOST_TEST_CONTEXT(who) {
      const auto whole = all_pages(*indexed, principals[who], "/v1/tokens");
      const auto by1 = all_pages(*indexed, principals[who], "/v1/tokens?limit=1");
      BOOST_TEST(by1.first == whole.first);
      BOOST_TEST(static_cast<std::size_t>(by1.second) == whole.first.size());
      BOOST_TEST(whole.first.size() > 1u);
      for (std::size_t i = 1; i < whole.first.size(); ++i)
        BOOST_TEST(whole.first[i - 1]["token_id"].get<std::string>() <
                   whole.first[i]["token_id"].get<std::string>());
      if (std::string(who) == "admin default")
        for (const auto& t : whole.first) BOOST_TEST(t["municipality"] == "default");
    }
  }
  const std::vector<std::string> bad_targets = {"/v1/tokens?limit=0", "/v1/tokens?cursor=zz",
                                                "/v1/hires/" + hire + "/history?limit=501",
                                                "/v1/hires/" + hire + "/history?cursor=" + hire};
  for (const auto& bad : bad_targets) {
    BOOST_TEST_CONTEXT(bad) {
      const auto res = get_as(*indexed, admin, bad);
      BOOST_TEST(res.status == 400);
    }
  }
}

BOOST_AUTO_TEST_CASE(AViewOfAnotherDayIsRecomputedNotServedStale) {
  views->apply();
  const auto today = engine->today();
  for (const auto& hire : hires) {
    if (hire == hires[1]) continue;  // damaged
    for (auto day : {today, today + date::days(40), today + date::days(400)}) {
      auto v = views->get(hire, day);
      auto s = engine->status(hire, day);
      BOOST_REQUIRE(v && v->summary && s);
      const auto want = engine::summarize(*s);
      BOOST_TEST(v->summary->lifecycle == want.lifecycle);
      BOOST_TEST(v->summary->overdue == want.overdue);
      BOOST_TEST(v->summary->hours_owed == want.hours_owed);
      BOOST_TEST(v->summary->introducer_email == want.introducer_email);
      BOOST_TEST(v->summary->next_deadline.has_value() == want.next_deadline.has_value());
      if (want.next_deadline)
        BOOST_CHECK(v->summary->next_deadline->due == want.next_deadline->due);
      BOOST_REQUIRE(v->summary->open_tasks.size() == want.open_tasks.size());
      for (std::size_t i = 0; i < want.open_tasks.size(); ++i) {
        BOOST_TEST(v->summary->open_tasks[i].item == want.open_tasks[i].item);
        BOOST_CHECK(v->summary->open_tasks[i].due == want.open_tasks[i].due);
        BOOST_TEST(v->summary->open_tasks[i].overdue == want.open_tasks[i].overdue);
      }
    }
  }
  BOOST_TEST(views->refresh_day() > 0u);  // entries of day+400 are not of today
  lists_agree();
  // The day's pass is through: another (journeyd's first, after a restart
  // the same day) lists no streams (at 100k hires that read the whole log).
  log->stream_lists = 0;
  BOOST_TEST(views->refresh_day() == 0u);
  BOOST_TEST(log->stream_lists.load() == 0);
  BOOST_TEST(views->all_of_day(today));
  // An entry of another day stored while a pass runs (a read begun before
  // midnight) keeps the pass from marking the day; the next one does.
  BOOST_REQUIRE(views->get(hires[2], today + date::days(2)));
  BOOST_TEST(!views->all_of_day(today));
  std::atomic<int> reads{0};
  log->on_visit = [&] {
    if (++reads == 1) BOOST_CHECK(views->get(hires[3], today + date::days(3)));
  };
  BOOST_TEST(views->refresh_day() >= 1u);  // hires[2], brought back to today
  log->on_visit = nullptr;
  BOOST_TEST(reads.load() >= 1);
  // Whether the pass came to hires[3] before or after the read stored it,
  // the pass saw a write of another day and leaves the day unmarked.
  BOOST_TEST(!views->all_of_day(today));
  views->refresh_day();
  BOOST_TEST(views->all_of_day(today));
  // A read of another day after the pass breaks "every entry is of today".
  BOOST_REQUIRE(views->get(hires[0], today + date::days(1)));
  BOOST_TEST(!views->all_of_day(today));
  BOOST_TEST(views->refresh_day() == 1u);
  BOOST_TEST(views->all_of_day(today));
}

BOOST_AUTO_TEST_SUITE_END()
