// The /v1 HTTP API as a plain function: Request in, Response out. No sockets
// and no Beast here (server.h carries the bytes), so the whole API — routing,
// authentication, authorisation, validation, problem details — can be tested
// and fuzzed in-process, and only one translation unit pays for Beast.
//
// Conventions:
//   - JSON bodies (application/json); POST /v1/programmes takes TOML
//     (application/toml), POST /v1/imports takes CSV (text/csv).
//   - Errors are RFC 9457 application/problem+json:
//       {"type": "https://journey.example/problems/<code>", "title", "status",
//        "detail", "instance", "code", and "field" (a JSON pointer into the
//        body), "parameter" (query) or "header" when one was wrong}
//     title/detail are Swedish unless Accept-Language prefers English.
//   - Commands take Idempotency-Key (scoped to the token: a repeat returns the
//     first response, with Idempotent-Replayed: true) and If-Match with the
//     hire's stream version as the ETag ("7"); a stale one gets 412 with the
//     current version in the ETag header and the body.
//   - Every command records the token's principal as the event's actor.
//   - Lists that grow with the system page: GET /v1/hires takes `limit`
//     (1..500, default 100) and an opaque `cursor`; the body stays an array, in
//     (unit, hire id) order, and a `Link: <...>; rel="next"` header names the
//     next page while there is one.
//
// Thread safety: handle() may be called from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "journey/engine/access.h"
#include "journey/engine/journey_engine.h"
#include "journey/engine/views.h"
#include "journey/engine/webhooks.h"

namespace journey::http {

struct CaseLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct Request {
  std::string method;  // "GET"
  std::string target;  // "/v1/hires?unit=x"
  std::map<std::string, std::string, CaseLess> headers;
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the API needs from the process around it.
struct ApiHooks {
  // Queues a dead-lettered message again (the scheduler owns the outbox): the
  // channels `may` allows.
  std::function<engine::CommandOutcome(const std::string& message_id, const std::string& actor,
                                       const std::function<bool(const std::string&)>& may)>
      redeliver;
  // Where webhook secrets live (outside the log: journeyd's files beside it);
  // null: creating or rotating a webhook answers 503 no_secret_store.
  engine::WebhookSecrets* webhook_secrets = nullptr;
  // Extra Prometheus text appended to /metrics (scheduler gauges).
  std::function<std::string()> extra_metrics;
  // What else /readyz should report as off, e.g. "scheduler: ..." (empty: nothing).
  std::function<std::string()> degraded;
  // Where POST /v1/backups puts its folders (journeyd: DATA/backups); empty: no backups.
  std::string backups_dir;
  // The maintained hire views (engine/views.h) the lists read; null: every
  // list replays every hire, the reference the views are tested against.
  engine::HireViews* views = nullptr;
};

struct ApiLimits {
  double requests_per_second = 200;  // per token; 0 = unlimited
  double burst = 400;
};

// Prometheus counters and a latency histogram per route.
class Metrics {
 public:
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  std::string text() const;

 private:
  static constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,   0.25,   0.5,   1,    2.5};
  struct Histogram {
    std::uint64_t counts[std::size(kBuckets) + 1] = {};
    double sum = 0;
    std::uint64_t n = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

struct Ctx;  // one request as a handler sees it (api_routes.h)

class Api {
 public:
  // How long a read naming ?position= waits for the log to have it.
  static constexpr std::chrono::milliseconds kPositionWait{2000};
  // REQUIRES: engine and tokens outlive the Api.
  Api(engine::JourneyEngine& engine, engine::TokenRegistry& tokens, ApiHooks hooks,
      ApiLimits limits = {});
  ~Api();

  // Answers `req` through `answer` (called exactly once, maybe later and on
  // another thread: a command answers when the log has its append, and what
  // follows the log's answer runs through `post`, on the caller's workers).
  // REQUIRES: req outlives the call to `answer`.
  using Post = engine::Post;
  void handle_async(const Request& req, const Post& post, std::function<void(Response)> answer);
  // The same, waited for: what follows the log's answer runs on this thread.
  Response handle(const Request& req);

  // Every route this Api serves as (method, OpenAPI path template), read
  // from the table that routes its requests: what the OpenAPI test checks.
  std::vector<std::pair<std::string, std::string>> routes() const;
  // True for requests that read one small thing (a hire's status, /v1/me,
  // health, metrics): cheap enough for a network thread.
  static bool answers_quickly(const Request& req);
  static const std::string& openapi_document();

  // Serves the web application's built files from `root` for GET requests
  // outside /v1 and the operations routes: "/" and unknown paths without a
  // file extension get index.html (the application routes in the browser).
  // Paths with ".." or a NUL are refused. Call before serving.
  void serve_files(std::filesystem::path root) { web_root_ = std::move(root); }

  // Not ready: /readyz says 503 and every /v1 request gets 503 (draining).
  void set_ready(bool ready) { ready_ = ready; }
  bool ready() const { return ready_; }
  Metrics& metrics() { return metrics_; }

 private:
  Response static_file(const std::string& path) const;
  Response respond(Ctx& c, std::string& route_name);
  std::optional<Response> wait_for_position(Ctx& c);
  void answer_measured(const std::string& route, const std::string& method,
                       std::chrono::steady_clock::time_point started, Response r,
                       const std::function<void(Response)>& answer);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path web_root_;
  std::atomic<bool> ready_{true};
  Metrics metrics_;
};

// A problem+json response (RFC 9457). `where` is "field", "parameter" or
// "header" (or empty) and `name` what was wrong.
Response problem(int status, const std::string& code, const std::string& detail,
                 const std::string& where = "", const std::string& name = "");

}  // namespace journey::http
