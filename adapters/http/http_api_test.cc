// The /v1 API in-process, over a real RocksDB log in a temporary folder:
// the route table matches the OpenAPI document both ways, a full disk answers
// 507 (a fault-injecting wrapper around the real log), and the command
// decoder names the field that is wrong. Everything else is exercised over
// real sockets by tools/journeyd/api_test.py.
#define BOOST_TEST_MODULE http_api
#include "journey/adapters/http_api.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "journey/adapters/http_json.h"
#include "journey/engine/scheduler.h"
#include "journey/storage/rocksdb_event_log.h"

namespace fs = std::filesystem;
using namespace journey;
using namespace journey::http;
using nlohmann::json;

namespace {

// The real log, except that appends fail with "no space" while `full` is set.
class DiskFullLog : public storage::EventLog {
 public:
  explicit DiskFullLog(storage::EventLog& real) : real_(real) {}
  bool full = false;
  storage::Result<storage::AppendResult> append(storage::AppendRequest req) override {
    if (full)
      return storage::Error{storage::ErrorCode::no_space, "IO error: No space left on device",
                            std::nullopt};
    return real_.append(std::move(req));
  }
  storage::Result<std::vector<storage::RecordedEvent>> read_stream(const storage::StreamId& s,
                                                                   storage::StreamVersion from,
                                                                   std::size_t n) override {
    return real_.read_stream(s, from, n);
  }
  storage::Result<storage::Unit> visit_stream(
      const storage::StreamId& s, storage::StreamVersion from,
      const std::function<void(const storage::RecordedEvent&)>& f) override {
    return real_.visit_stream(s, from, f);
  }
  storage::Result<std::vector<storage::RecordedEvent>> read_all(storage::GlobalPosition from,
                                                                std::size_t n) override {
    return real_.read_all(from, n);
  }
  storage::Result<storage::StreamVersion> stream_version(const storage::StreamId& s) override {
    return real_.stream_version(s);
  }
  storage::Result<std::optional<storage::AppendResult>> find_idempotency_key(
      const std::string& key) override {
    return real_.find_idempotency_key(key);
  }
  storage::Result<std::vector<storage::StreamId>> list_streams(const std::string& p) override {
    return real_.list_streams(p);
  }
  storage::GlobalPosition head() const override { return real_.head(); }
  std::unique_ptr<storage::Subscription> subscribe(storage::GlobalPosition from,
                                                   storage::EventHandler h) override {
    return real_.subscribe(from, std::move(h));
  }
  storage::Result<storage::VerifyReport> verify() override { return real_.verify(); }
  storage::LogStats stats() const override { return real_.stats(); }

 private:
  storage::EventLog& real_;
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
  for (const auto& r : Api::routes()) served.insert(r);
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
  BOOST_TEST(real->head().value == before.value);
  log->full = false;
  r = call("POST", "/v1/hires/" + hire + "/events", {{"kind", "started"}, {"on", "2026-03-02"}});
  BOOST_TEST(r.status == 201);
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
  for (int i = 0; i < 500; ++i) at_limit += "å";  // 500 characters, 1,000 bytes
  BOOST_TEST(hire(at_limit).status == 201);
  auto over = hire(at_limit + "a");
  BOOST_TEST(over.status == 422);
  BOOST_TEST(json::parse(over.body)["detail"].get<std::string>() ==
             "/name är längre än 500 tecken");
}

// A webhook's deliveries (its receiver's answers, its host in an error) are the
// business of the admins who manage that webhook: GET /v1/notifications shows
// the channel to them, and not to a unit head of the hire or another
// municipality's admin.
BOOST_AUTO_TEST_CASE(AWebhookChannelIsShownOnlyToTheAdminsWhoManageIt) {
  const std::string hire = register_hire();  // in municipality "default"
  const engine::CommandContext setup{"setup", "", std::nullopt};
  BOOST_REQUIRE(engine->set_municipality({"goteborg", "Göteborgs Stad"}, setup).ok());
  BOOST_REQUIRE(engine
                    ->set_unit({"Barn och unga Väster",
                                {"Anna Berg", "anna@example.se"},
                                {"Omar Ali", "omar@example.se"},
                                std::nullopt,
                                "default"},
                               setup)
                    .ok());
  auto token = [&](engine::AccessRole role, const std::string& municipality,
                   std::vector<std::string> units) {
    engine::Principal p;
    p.role = role;
    p.name = "P";
    p.email = "p@example.se";
    p.municipality = municipality;
    p.units = std::move(units);
    auto issued = tokens->issue(p, setup);
    BOOST_REQUIRE_MESSAGE(issued.outcome.ok(),
                          (issued.outcome.refusal ? issued.outcome.refusal->code : "?"));
    return issued.token;
  };
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

BOOST_AUTO_TEST_SUITE_END()
