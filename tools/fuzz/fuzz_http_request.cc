// Fuzzes the /v1 API as a function: request target and query parsing,
// routing, authentication, the JSON command decoders (http_json.cc) and the
// handlers, over a real engine on a real RocksDB log in a temporary folder.
//
// Input: "METHOD TARGET\n" then "Name: value" header lines, a blank line, and
// the body. If the first byte is odd, the admin's Authorization header is
// added (so the fuzzer reaches past 401 without guessing a token).
//
// The contract checked: handle() never throws and never answers 500 (a 500
// means an exception escaped a handler: a bug); an error is problem+json that
// parses; a JSON answer parses.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "journey/adapters/http_api.h"
#include "journey/storage/rocksdb_event_log.h"

namespace {

struct World {
  std::filesystem::path dir;
  journey::SystemClock clock;
  std::unique_ptr<journey::storage::EventLog> log;
  std::unique_ptr<journey::engine::JourneyEngine> engine;
  std::unique_ptr<journey::engine::TokenRegistry> tokens;
  std::unique_ptr<journey::http::Api> api;
  std::string admin;
  World() {
    dir = std::filesystem::temp_directory_path() /
          ("journey-fuzz-http-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    auto opened = journey::storage::open_rocksdb_event_log({dir}, clock);
    if (!opened) std::abort();
    log = std::move(opened.value());
    engine = std::make_unique<journey::engine::JourneyEngine>(*log, clock);
    std::ifstream f(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
    std::stringstream text;
    text << f.rdbuf();
    if (!engine->publish_programme(text.str(), "gr.toml", "fuzz").ok()) std::abort();
    tokens = std::make_unique<journey::engine::TokenRegistry>(*engine);
    journey::engine::Principal p;
    p.role = journey::engine::AccessRole::admin;
    p.name = "fuzz";
    p.municipality = "*";
    admin = tokens->issue(p, {"fuzz", "", std::nullopt}).token;
    api = std::make_unique<journey::http::Api>(*engine, *tokens, journey::http::ApiHooks{},
                                               journey::http::ApiLimits{0, 0});
    journey::engine::RegisterHire r;
    r.name = "Fuzz";
    r.email = "fuzz@example.se";
    r.unit = "Enhet";
    r.start = "2026-09-01";
    engine->register_hire(r, {"fuzz", "", std::nullopt});
  }
  ~World() { std::filesystem::remove_all(dir); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  if (size == 0) return 0;
  const bool authorised = data[0] & 1;
  std::string in(reinterpret_cast<const char*>(data + 1), size - 1);
  journey::http::Request req;
  std::size_t pos = in.find('\n');
  std::string first = in.substr(0, pos);
  const std::size_t sp = first.find(' ');
  req.method = first.substr(0, sp);
  req.target = sp == std::string::npos ? "/" : first.substr(sp + 1);
  while (pos != std::string::npos) {
    const std::size_t next = in.find('\n', pos + 1);
    std::string line =
        in.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    pos = next;
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    req.headers[line.substr(0, colon)] = value;
  }
  if (pos != std::string::npos) req.body = in.substr(pos + 1);
  if (authorised) req.headers["Authorization"] = "Bearer " + world.admin;

  const journey::http::Response res = world.api->handle(req);
  if (res.status == 500) {
    std::fprintf(stderr, "fuzz_http_request: 500 for %s %s: %s\n", req.method.c_str(),
                 req.target.c_str(), res.body.c_str());
    std::abort();
  }
  if (res.content_type.find("json") != std::string::npos && !res.body.empty() &&
      !nlohmann::json::accept(res.body)) {
    std::fprintf(stderr, "fuzz_http_request: unparseable JSON answer\n");
    std::abort();
  }
  return 0;
}
