// The Api's front door: matching a request to a route of the one table
// (api_routes.h), authentication and rate limits, problem details, metrics and
// the web application's static files. The handlers live one resource to a file
// (routes_<resource>.cc); what they share is in api_context.cc.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "api_routes.h"

#ifndef JOURNEY_OPENAPI_FILE
#error "JOURNEY_OPENAPI_FILE must name adapters/http/openapi.json"
#endif

namespace journey::http {

bool CaseLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
}

// ---- problems ----------------------------------------------------------------

namespace {

const char* title_sv(int status) {
  switch (status) {
    case 400:
      return "Felaktig begäran";
    case 401:
      return "Inloggning krävs";
    case 403:
      return "Åtkomst nekad";
    case 404:
      return "Finns inte";
    case 405:
      return "Metoden stöds inte";
    case 409:
      return "Konflikt";
    case 412:
      return "Versionen har ändrats";
    case 413:
      return "För stor begäran";
    case 415:
      return "Fel innehållstyp";
    case 422:
      return "Ogiltiga uppgifter";
    case 429:
      return "För många begäranden";
    case 503:
      return "Tjänsten är inte tillgänglig";
    case 507:
      return "Lagringsutrymmet är fullt";
    default:
      return "Internt fel";
  }
}
const char* title_en(int status) {
  switch (status) {
    case 400:
      return "Bad request";
    case 401:
      return "Authentication required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition failed";
    case 413:
      return "Content too large";
    case 415:
      return "Unsupported media type";
    case 422:
      return "Unprocessable content";
    case 429:
      return "Too many requests";
    case 503:
      return "Service unavailable";
    case 507:
      return "Insufficient storage";
    default:
      return "Internal server error";
  }
}

}  // namespace

Response problem_in(Language lang, int status, const std::string& code, const std::string& detail,
                    const std::string& where, const std::string& name) {
  json j{{"type", "https://journey.example/problems/" + code},
         {"title", lang == Language::en ? title_en(status) : title_sv(status)},
         {"status", status},
         {"code", code},
         {"detail", detail}};
  if (!where.empty()) j[where] = name;
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = dump(j);
  return r;
}

Response problem(int status, const std::string& code, const std::string& detail,
                 const std::string& where, const std::string& name) {
  return problem_in(Language::sv, status, code, detail, where, name);
}

// ---- metrics -----------------------------------------------------------------

void Metrics::observe(const std::string& route, const std::string& method, int status,
                      double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, method, status}];
  auto& h = latency_[route];
  std::size_t i = 0;
  while (i < std::size(kBuckets) && seconds > kBuckets[i]) ++i;
  ++h.counts[i];
  h.sum += seconds;
  ++h.n;
}

std::string Metrics::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream os;
  os << "# HELP journey_http_requests_total HTTP requests by route, method and status.\n"
     << "# TYPE journey_http_requests_total counter\n";
  for (const auto& [k, n] : requests_) {
    os << "journey_http_requests_total{route=\"" << std::get<0>(k) << "\",method=\""
       << std::get<1>(k) << "\",code=\"" << std::get<2>(k) << "\"} " << n << '\n';
  }
  os << "# HELP journey_http_request_duration_seconds Time to handle a request.\n"
     << "# TYPE journey_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::uint64_t cum = 0;
    for (std::size_t i = 0; i < std::size(kBuckets); ++i) {
      cum += h.counts[i];
      os << "journey_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
         << kBuckets[i] << "\"} " << cum << '\n';
    }
    cum += h.counts[std::size(kBuckets)];
    os << "journey_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} "
       << cum << '\n'
       << "journey_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum << '\n'
       << "journey_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.n << '\n';
  }
  return os.str();
}

// ---- routing -----------------------------------------------------------------

namespace {

std::string percent_decode(const std::string& s, bool plus_is_space, bool& ok) {
  std::string out;
  ok = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        ok = false;
        return {};
      }
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 1;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// The query string into c.query, or the answer to a bad one.
std::optional<Response> read_query(Ctx& c, const std::string& qs) {
  std::size_t i = 0;
  while (i <= qs.size()) {
    std::size_t j = qs.find('&', i);
    if (j == std::string::npos) j = qs.size();
    std::string pair = qs.substr(i, j - i);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      bool ok1 = true, ok2 = true;
      std::string k = percent_decode(pair.substr(0, eq), true, ok1);
      std::string v = eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1), true, ok2);
      if (!ok1 || !ok2 || !valid_utf8(k) || !valid_utf8(v))
        return c.fail(400, "bad_parameter",
                      c.t("Felaktig procentkodning eller inte UTF-8 i frågan",
                          "Bad percent-encoding or not UTF-8 in the query"),
                      "parameter", k);
      c.query[k] = v;
    }
    i = j + 1;
  }
  return std::nullopt;
}

// No route has the path (404), or none has it with the request's method (405).
Response unmatched(const Ctx& c, const std::string& raw_path,
                   const std::vector<std::string>& allowed) {
  if (!allowed.empty()) {
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    Response r =
        c.fail(405, "method_not_allowed",
               c.req.method +
                   c.t(" stöds inte här; tillåtna: ", " is not supported here; allowed: ") + allow);
    r.headers.push_back({"Allow", allow});
    return r;
  }
  return c.fail(404, "no_route",
                std::string(c.t("Ingen sådan resurs: ", "No such resource: ")) + raw_path);
}

}  // namespace

void RouteTable::add(const std::string& method, const std::string& path, Route::Handler handler,
                     bool authenticated) {
  routes.push_back(Route{method, path, split_path(path), authenticated, handler});
}

// ---- the API -----------------------------------------------------------------

// What the Api holds: the state its handlers share, the one table that routes
// to them, and each token's budget of requests.
struct Api::Impl {
  ApiContext context;
  ApiLimits limits;
  RouteTable table;

  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex buckets_mu;
  std::map<std::string, Bucket> buckets;

  Impl(Api& api, engine::JourneyEngine& e, engine::TokenRegistry& t, ApiHooks h, ApiLimits l)
      : context(e, t, std::move(h)), limits(l) {
    context.owner = &api;
    add_service_routes(table);
    add_municipality_routes(table);
    add_hire_routes(table);
    add_record_routes(table);
    add_audit_routes(table);
    add_import_routes(table);
    add_task_routes(table);
    add_notification_routes(table);
    add_webhook_routes(table);
    add_simulation_routes(table);
    add_programme_routes(table);
    add_token_routes(table);
  }

  // True if the token may make another request now.
  bool take_token(const std::string& id) {
    if (limits.requests_per_second <= 0) return true;
    std::lock_guard<std::mutex> lock(buckets_mu);
    auto now = std::chrono::steady_clock::now();
    auto [it, fresh] = buckets.try_emplace(id, Bucket{limits.burst, now});
    auto& b = it->second;
    if (!fresh) {
      const double dt = std::chrono::duration<double>(now - b.at).count();
      b.tokens = std::min(limits.burst, b.tokens + dt * limits.requests_per_second);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  // The route for the path's segments and the request's method, its
  // parameters put in c.params; null if none, with the methods the path
  // has in `allowed`.
  const Route* match(Ctx& c, const std::vector<std::string>& segs,
                     std::vector<std::string>& allowed) const {
    for (const auto& r : table.routes) {
      if (r.segments.size() != segs.size()) continue;
      std::map<std::string, std::string> params;
      bool ok = true;
      for (std::size_t i = 0; i < segs.size() && ok; ++i) {
        const auto& t = r.segments[i];
        if (t.size() > 2 && t.front() == '{') {
          bool dec_ok = true;
          std::string v = percent_decode(segs[i], false, dec_ok);
          if (!dec_ok || v.empty() || !valid_utf8(v)) ok = false;
          params[t.substr(1, t.size() - 2)] = v;
        } else if (t != segs[i]) {
          ok = false;
        }
      }
      if (!ok) continue;
      if (r.method != c.req.method) {
        allowed.push_back(r.method);
        continue;
      }
      c.params = std::move(params);
      return &r;
    }
    return nullptr;
  }

  // Lets an authenticated route's request through, the token's principal in
  // c.principal, or answers why not: draining, no or an unknown token, or
  // the token's budget spent.
  std::optional<Response> admit(Ctx& c, bool ready) {
    if (!ready)
      return c.fail(503, "not_ready",
                    c.t("Tjänsten stänger ner eller startar",
                        "The service is draining "
                        "or starting"));
    auto it = c.req.headers.find("Authorization");
    if (it == c.req.headers.end() || it->second.rfind("Bearer ", 0) != 0) {
      Response r = c.fail(401, "unauthenticated",
                          c.t("Ange en token: Authorization: Bearer <token>",
                              "Send a token: Authorization: Bearer <token>"),
                          "header", "Authorization");
      r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"journey\""});
      return r;
    }
    c.principal = context.tokens.authenticate(it->second.substr(7));
    if (!c.principal) {
      Response r = c.fail(401, "invalid_token",
                          c.t("Okänd eller återkallad token", "Unknown or revoked token"), "header",
                          "Authorization");
      r.headers.push_back(
          {"WWW-Authenticate", "Bearer realm=\"journey\", error=\"invalid_token\""});
      return r;
    }
    if (!take_token(c.principal->token_id)) {
      Response r = c.fail(429, "rate_limited",
                          c.t("För många begäranden; försök igen om en sekund",
                              "Too many requests; try again in a second"));
      r.headers.push_back({"Retry-After", "1"});
      return r;
    }
    return std::nullopt;
  }
};

Api::Api(engine::JourneyEngine& engine, engine::TokenRegistry& tokens, ApiHooks hooks,
         ApiLimits limits)
    : impl_(std::make_unique<Impl>(*this, engine, tokens, std::move(hooks), limits)) {}
Api::~Api() = default;

std::vector<std::pair<std::string, std::string>> Api::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : impl_->table.routes) out.emplace_back(r.method, r.path);
  return out;
}

Response Api::static_file(const std::string& raw) const {
  bool ok = true;
  std::string path = percent_decode(raw, false, ok);
  if (!ok || path.find('\0') != std::string::npos || path.find("..") != std::string::npos ||
      path.find('\\') != std::string::npos)
    return problem(400, "bad_target", "Ogiltig sökväg");
  std::filesystem::path file = web_root_ / path.substr(1);
  std::error_code ec;
  const bool has_extension = std::filesystem::path(path).has_extension();
  if (path == "/" || std::filesystem::is_directory(file, ec) ||
      (!has_extension && !std::filesystem::exists(file, ec)))
    file = web_root_ / "index.html";
  std::ifstream in(file, std::ios::binary);
  if (!in) return problem(404, "no_route", "Ingen sådan sida: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Response r;
  r.body = ss.str();
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".woff2", "font/woff2"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"}};
  auto t = types.find(file.extension().string());
  r.content_type = t == types.end() ? "application/octet-stream" : t->second;
  const bool hashed = path.rfind("/assets/", 0) == 0;
  r.headers = {{"Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache"},
               {"X-Content-Type-Options", "nosniff"},
               {"X-Frame-Options", "DENY"},
               {"Referrer-Policy", "no-referrer"},
               {"Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "frame-ancestors 'none'"}};
  return r;
}

bool Api::answers_quickly(const Request& req) {
  if (req.method != "GET") return false;
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/v1/me" ||
      path == "/v1/openapi.json")
    return true;
  const auto segs = split_path(path);
  // One hire's status without parameters: a read as of a date projects,
  // and one naming a log position may wait (however its name is encoded).
  return segs.size() == 3 && segs[0] == "v1" && segs[1] == "hires" &&
         req.target.find('?') == std::string::npos;
}

const std::string& Api::openapi_document() {
  static const std::string doc = [] {
    std::ifstream in(JOURNEY_OPENAPI_FILE);
    if (!in) throw std::runtime_error(std::string("cannot read ") + JOURNEY_OPENAPI_FILE);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return doc;
}
Response Api::handle(const Request& req) {
  return engine::run_here<Response>([&](const Post& post, std::function<void(Response)> answer) {
    handle_async(req, post, std::move(answer));
  });
}

void Api::handle_async(const Request& req, const Post& post, std::function<void(Response)> answer) {
  Ctx c{req, {}, {}, {}, Language::sv, {}};
  const auto started = std::chrono::steady_clock::now();
  std::string route_name = "unmatched";
  // Measured when answered, however late.
  auto answered = [this, &req, started, &route_name, &answer](Response r) {
    answer_measured(route_name, req.method, started, std::move(r), answer);
  };
  Response r = respond(c, route_name);
  if (!c.later) return answered(std::move(r));
  auto later = std::move(c.later);
  try {
    later(post,
          [this, route = route_name, method = req.method, started, answer](Response done) mutable {
            answer_measured(route, method, started, std::move(done), answer);
          });
  } catch (const std::exception& e) {
    answered(c.fail(500, "internal_error", e.what()));
  }
}

void Api::answer_measured(const std::string& route, const std::string& method,
                          std::chrono::steady_clock::time_point started, Response r,
                          const std::function<void(Response)>& answer) {
  metrics_.observe(
      route, method, r.status,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  answer(std::move(r));
}

// A read that names a log position (what a command answered as "position")
// is answered only once the log has it: the caller's own write is then in
// every answer, lists included, since every read folds the log up to its
// head first (views.h). Bounded: past kPositionWait the answer is 503 with
// Retry-After, and the position is not there (a position no command of this
// log answered, or, with a replica, one it has not received yet).
std::optional<Response> Api::wait_for_position(Ctx& c) {
  const auto p = whole_number(c.query["position"], 19);
  if (!p)
    return c.fail(400, "bad_parameter",
                  c.t("position ska vara en position i loggen, ett heltal",
                      "position must be a position in the log, a whole number"),
                  "parameter", "position");
  auto& log = impl_->context.engine.log();
  const auto deadline = std::chrono::steady_clock::now() + kPositionWait;
  while (log.head().value < *p) {
    if (std::chrono::steady_clock::now() >= deadline) {
      Response r = c.fail(
          503, "position_not_reached",
          std::string(c.t("Loggen har ännu inte position ", "The log does not have position ")) +
              std::to_string(*p) + c.t(" (den har ", " yet (it has ") +
              std::to_string(log.head().value) + ")",
          "parameter", "position");
      r.headers.push_back({"Retry-After", "1"});
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

Response Api::respond(Ctx& c, std::string& route_name) {
  const Request& req = c.req;
  auto al = req.headers.find("Accept-Language");
  if (al != req.headers.end() && al->second.rfind("en", 0) == 0) c.lang = Language::en;

  // Split target into path and query.
  const std::size_t q = req.target.find('?');
  const std::string raw_path = req.target.substr(0, q);
  if (raw_path.empty() || raw_path[0] != '/')
    return c.fail(400, "bad_target", c.t("Ogiltig sökväg", "Invalid request target"));
  if (q != std::string::npos)
    if (auto bad = read_query(c, req.target.substr(q + 1))) return *bad;
  std::vector<std::string> allowed;
  const Route* match = impl_->match(c, split_path(raw_path), allowed);
  if (!match && !web_root_.empty() && req.method == "GET" && raw_path.rfind("/v1/", 0) != 0 &&
      allowed.empty()) {
    route_name = "static";
    return static_file(raw_path);
  }
  if (!match) return unmatched(c, raw_path, allowed);
  route_name = match->path;
  if (match->authenticated)
    if (auto refused = impl_->admit(c, ready_)) return *refused;
  // Only the reads that document it (never an unauthenticated route: a
  // wait holds a worker, up to kPositionWait).
  if (c.query.count("position") && req.method == "GET" &&
      (match->path == "/v1/hires" || match->path == "/v1/hires/{hire}" ||
       match->path == "/v1/tasks" || match->path == "/v1/notifications"))
    if (auto behind = wait_for_position(c)) return *behind;
  try {
    return match->handler(impl_->context, c);
  } catch (const engine::HireDamaged&) {
    // Every handler reads a hire only after readable_hire() let the principal
    // see it, but this catch names nothing, in case one does not.
    return c.fail(409, "hire_damaged",
                  c.t("Den nyanställdas historik är skadad och kan inte visas så här; "
                      "en administratör ser orsaken",
                      "The hire's history is damaged and cannot be shown like this; an "
                      "admin sees the reason"));
  } catch (const std::exception& e) {
    return c.fail(500, "internal_error", e.what());
  }
}

}  // namespace journey::http
