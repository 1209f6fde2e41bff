// What api.cc and the route files (routes_*.cc) share: the request context,
// the one table of routes the Api serves, the state every handler reads
// (ApiContext) and the helpers that turn requests into values and outcomes
// into answers. Private to adapters/http; no Beast (server.cc alone has it).
//
// Thread safety: handlers run on many threads at once. The table is built in
// the Api's constructor and only read after; in ApiContext, the webhook
// service makes one change at a time, and the rest is set once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "journey/adapters/http_api.h"
#include "journey/adapters/http_json.h"
#include "journey/engine/admin.h"
#include "journey/workflows/value_domain.h"

namespace journey::http {

using engine::AccessRole;
using engine::CommandOutcome;
using engine::Principal;
using workflows::Language;
using workflows::valid_utf8;

// Pages of a list (GET /v1/hires): `limit` rows, 1..kMaxPage.
inline constexpr std::size_t kDefaultPage = 100;
inline constexpr std::size_t kMaxPage = 500;

// A cursor: where the last page stopped, as hex of its sort key's fields
// joined by 0x00 (/v1/hires: unit, hire id; /v1/tasks: due, unit, hire id,
// item index). Opaque to clients; anything else is refused by name.
std::string encode_cursor(const std::vector<std::string>& fields);
// Exactly `n` fields, else std::nullopt.
std::optional<std::vector<std::string>> decode_cursor(const std::string& hex, std::size_t n);

// A decimal of 1..max_digits digits and nothing else (no sign, no space),
// for the headers and parameters that take a whole number.
std::optional<std::uint64_t> whole_number(const std::string& v, std::size_t max_digits);

// A query value for a link this service hands out.
std::string url_encode(const std::string& v);

// Text that reaches an answer may come from bytes we did not check (a path,
// an old record): never let an invalid UTF-8 byte make dump() throw; it
// becomes U+FFFD (fuzz_http_request found the throw, which escaped handle()).
std::string dump(const json& j, int indent = -1);

// problem() in the request's language.
Response problem_in(Language lang, int status, const std::string& code, const std::string& detail,
                    const std::string& where = "", const std::string& name = "");

// One request as its handler sees it.
struct Ctx {
  const Request& req;
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> query;
  std::optional<Principal> principal;
  Language lang = Language::sv;
  // Set by a handler that answers later (a command waiting for its append):
  // Api::handle_async calls it instead of answering what the handler returned.
  // It must capture what it needs by value (a copy of this Ctx is fine: the
  // request outlives the answer).
  std::function<void(const std::function<void(std::function<void()>)>& post,
                     std::function<void(Response)> answer)>
      later;
  const char* t(const char* sv, const char* en) const { return lang == Language::sv ? sv : en; }
  Response fail(int status, const std::string& code, const std::string& detail,
                const std::string& where = "", const std::string& name = "") const {
    return problem_in(lang, status, code, detail, where, name);
  }
};

struct ApiContext;

// Answers what `make` builds, or 500 naming what it threw: a request answered
// later (Ctx::later) must be answered exactly once, whatever fails.
template <class Make>
void answer_with(const Ctx& c, const std::function<void(Response)>& answer, Make&& make) {
  Response r;
  try {
    r = make();
  } catch (const std::exception& e) {
    r = c.fail(500, "internal_error", e.what());
  } catch (...) {
    r = c.fail(500, "internal_error", "unknown exception");
  }
  answer(std::move(r));
}

// A route: what it matches and the function that answers it. Plain data: the
// handler is a function, not a closure, so the table says all a route is.
struct Route {
  using Handler = Response (*)(ApiContext&, Ctx&);
  std::string method;
  std::string path;  // OpenAPI template
  std::vector<std::string> segments;
  bool authenticated = true;
  Handler handler = nullptr;
};

// The routes the Api serves, in the order they are matched (and the methods
// of one path listed in Allow). Api::routes() reads the same table, so the
// OpenAPI test checks what is served.
struct RouteTable {
  std::vector<Route> routes;
  void add(const std::string& method, const std::string& path, Route::Handler handler,
           bool authenticated = true);
};

// Each resource's routes, one file each (routes_<resource>.cc).
void add_service_routes(RouteTable& t);       // health, readiness, metrics, OpenAPI, /v1/me
void add_municipality_routes(RouteTable& t);  // municipalities and units
void add_hire_routes(RouteTable& t);          // list, register, status
void add_record_routes(RouteTable& t);        // a hire's events and corrections
void add_audit_routes(RouteTable& t);         // history, export, backups, verify
void add_import_routes(RouteTable& t);        // CSV import
void add_task_routes(RouteTable& t);          // task inboxes
void add_notification_routes(RouteTable& t);  // notifications, redelivery
void add_webhook_routes(RouteTable& t);       // webhooks and their secrets
void add_simulation_routes(RouteTable& t);    // simulations
void add_programme_routes(RouteTable& t);     // programmes
void add_token_routes(RouteTable& t);         // tokens

// One hire of a list the principal may read: the summary of today's status
// (what the views keep), or why the hire is damaged.
struct Listed {
  engine::HireIdentity id;
  std::optional<engine::HireSummary> summary;
  std::string damage;  // set when summary is not
};
// Where a list resumes: a unit and hire, both empty to start.
using After = std::pair<std::string, std::string>;

// Serialised statuses of today (not as of a date), by hire: the bytes a
// status read answers while the hire's stream version and the day are those
// they were made for. A cache of what the log says, in memory, bounded in
// bytes, least recently used out first; the same for every reader (a status
// has nothing principal-specific), who is authorised before it is asked.
class StatusBytes {
 public:
  explicit StatusBytes(std::size_t limit_bytes) : limit_(limit_bytes) {}
  std::optional<std::string> get(const std::string& hire, std::uint64_t version, std::uint32_t day);
  void put(const std::string& hire, std::uint64_t version, std::uint32_t day, std::string body);

 private:
  struct Entry {
    std::string hire;
    std::uint64_t version;
    std::uint32_t day;
    std::string body;
  };
  std::mutex mu_;
  std::list<Entry> lru_;  // GUARDED_BY(mu_); most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_hire_;  // GUARDED_BY(mu_)
  std::size_t bytes_ = 0;                                                // GUARDED_BY(mu_)
  const std::size_t limit_;
};

// What every handler shares: the engine and tokens the API serves, the hooks
// of the process around it, and the reads that decide what a principal may see.
struct ApiContext {
  ApiContext(engine::JourneyEngine& e, engine::TokenRegistry& t, ApiHooks h)
      : engine(e),
        tokens(t),
        hooks(std::move(h)),
        admin(e, t, [this](const std::string& unit) { return unit_has_hires(unit); }) {
    if (hooks.webhook_secrets)
      webhooks = std::make_unique<engine::WebhookService>(engine, *hooks.webhook_secrets);
  }

  engine::JourneyEngine& engine;
  engine::TokenRegistry& tokens;
  ApiHooks hooks;
  Api* owner = nullptr;  // the Api serving: its readiness and metrics

  // Municipalities, units, tokens, programmes and imports, as journeyctl
  // changes them too (one engine service: who may do what is decided there).
  engine::AdminService admin;

  // Webhooks and their secrets, as journeyctl changes them too (one engine
  // service); null without a secret store.
  std::unique_ptr<engine::WebhookService> webhooks;
  std::atomic<int> simulations_running{0};
  StatusBytes statuses{64u << 20};

  std::string municipality_of_unit(const std::string& unit);
  // Whether any hire is registered in `unit`: one look at the views' unit
  // index (every hire in the system identified, without the views).
  bool unit_has_hires(const std::string& unit);

  // `seen`, if given, remembers each unit's municipality across the hires of
  // one list request (otherwise every hire re-reads its unit's stream).
  engine::HireScope scope_of(const engine::HireStatus& s,
                             std::map<std::string, std::string>* seen = nullptr);
  engine::HireScope scope_of(const engine::HireSummary& s,
                             std::map<std::string, std::string>* seen);
  engine::HireScope scope_of(const workflows::HireRegistered& hire,
                             const std::string& introducer_email,
                             std::map<std::string, std::string>* seen);

  // The scope of a hire from its identity (the registration's unit, the
  // current introducer), read before anything is projected: authorisation
  // comes first, so no answer ever names or decodes a hire the caller may not read.
  engine::HireScope scope_of(const engine::HireIdentity& id,
                             std::map<std::string, std::string>* seen);

  // std::nullopt: not the principal's (or gone).
  std::optional<Listed> listed(const Principal& p, const std::string& hire_id, date::sys_days today,
                               std::map<std::string, std::string>& munis);

  // The hires `p` may read, in (unit, hire id) order, after `after` (a unit
  // and hire, both empty to start), until f returns false. With the views:
  // only the index entries of what p may read (its units, its municipality's,
  // the hires it introduces), each read from its view entry. Without: every
  // hire replayed, the reference.
  // `state` (a lifecycle state, "Damaged" too) narrows the visit to the
  // hires in that state where an index says which (the caller still filters
  // what it is given: the replay and the introducer's visit are not narrowed).
  void visit_readable(const Principal& p, const std::string& unit_filter, const After& after,
                      date::sys_days today, const std::function<bool(Listed&)>& f,
                      const std::string& state = "");

  // The hires the engine found damaged since start, and those the views
  // hold as damaged (lists served from the views load no one, so after a
  // restart the engine alone would count none). views_readable: false when
  // the views' store could not be read (the count is then the engine's).
  std::size_t damaged_hire_count(bool& views_readable);

  // Loads today's status of the hire in the path and checks that the
  // principal may read it. 404 for both "no such hire" and "not yours", so an
  // outsider cannot probe which hires exist.
  // A damaged hire the principal may read answers 409 hire_damaged with the reason.
  // The summary said who may read it; the whole status is projected anew
  // (the views keep only summaries) and asked the same again.
  std::variant<engine::HireStatus, Response> readable_hire(Ctx& c);
  // Its second half, after unreadable_hire() let the principal in.
  std::variant<engine::HireStatus, Response> project_readable(Ctx& c);
  // The same from the hire's summary alone (the views' entry, or a replay
  // without them), for what needs no more than its unit, introducer and
  // programme: no projection of the whole status.
  std::variant<engine::HireSummary, Response> readable_summary(Ctx& c);
  // std::nullopt if the principal may read the hire in the path, else the
  // 404 or 409 readable_hire() would answer (from the summary).
  std::optional<Response> unreadable_hire(Ctx& c);

  bool may_see_message(const Principal& p, const std::vector<std::string>& hire_ids);

  // How an index in (unit, …) order is walked for `p`: a unit-scoped
  // principal's own units (sorted, each once), or for a municipality-wide one
  // a skip(unit) that passes over the units it may not see (every unit's
  // municipality remembered in `munis`). std::nullopt for an introducer,
  // whose hires are found by person, not by unit.
  struct UnitWalk {
    std::optional<std::vector<std::string>> units;
    std::function<bool(const std::string&)> skip;
  };
  std::optional<UnitWalk> unit_walk(const Principal& p, std::map<std::string, std::string>& munis);

  // A hire's notification rows (engine::notification_rows), from the views
  // when there are views, else from its records; std::nullopt when the hire
  // does not exist or is damaged (its rows are not listed).
  std::optional<std::vector<engine::NotificationRow>> notification_rows(const std::string& hire,
                                                                        date::sys_days today);

 private:
  std::optional<Listed> listed_view(const Principal& p, engine::HireView v,
                                    std::map<std::string, std::string>& munis);
  void visit_replayed(const Principal& p, const std::string& unit_filter, const After& after,
                      date::sys_days today, const std::function<bool(Listed&)>& f);
  void visit_indexed(const Principal& p, const std::string& unit_filter, const After& after,
                     date::sys_days today, const std::function<bool(Listed&)>& f,
                     const std::string& state);
  void visit_introduced(const Principal& p, const After& after, date::sys_days today,
                        std::map<std::string, std::string>& munis,
                        const std::function<bool(Listed&)>& f);
};

// Who answers for an item of the hire's: the introducer, the unit's
// administrator or head, or the hire; "" when nobody is on record.
std::string responsible_for(workflows::Role role, const engine::HireSummary& s,
                            const std::optional<engine::UnitContacts>& unit);

// ---- answers every resource gives --------------------------------------------

Response json_response(int status, const json& j);
Response forbidden(const Ctx& c, const std::string& why);
// 404 unknown_hire: no such hire, or not one the principal may see.
Response unknown_hire(const Ctx& c, const std::string& id);
// 409 hire_damaged, naming the hire and why (the "hire" and "damage" fields).
Response damaged_problem(const Ctx& c, const std::string& id, const std::string& why);

// The Content-Type's media type if it is not `type` ("missing" without one).
std::optional<std::string> body_error(const Ctx& c, const char* type);
// Parses a JSON body or says why not.
std::variant<json, Response> json_body(const Ctx& c);
Response field_error(const Ctx& c, const FieldError& e);
// Maps a refused/failed command outcome to a problem.
Response outcome_problem(const Ctx& c, const CommandOutcome& o);
// The same for a refusal asked before a command (the caller's rights).
Response refusal_problem(const Ctx& c, const engine::Refusal& r);
// The Idempotency-Key, scoped to the token and route ("" without one).
std::optional<std::string> idempotency_key(const Ctx& c, std::optional<Response>& error);
Response command_response(const Ctx& c, int status, const CommandOutcome& o, json extra = {});
std::optional<engine::AsOf> as_of(const Ctx& c, std::optional<Response>& error);

// A page request: `limit` (1..kMaxPage, default kDefaultPage) and an
// optional `cursor` of `fields` fields; a bad one sets error, naming it.
struct Page {
  std::size_t limit = kDefaultPage;
  std::optional<std::vector<std::string>> after;
};
Response bad_cursor(const Ctx& c);
Page page_of(const Ctx& c, std::size_t fields, std::optional<Response>& error,
             std::size_t default_limit = kDefaultPage);
// The Link header of a list's next page: `path` with the page's limit, the
// cursor, and the query parameters `keep` the request gave.
std::string next_link(const Ctx& c, const std::string& path, std::size_t limit,
                      const std::vector<std::string>& cursor,
                      std::initializer_list<const char*> keep);

// A true/false query parameter; absent: std::nullopt; another value sets
// error, naming it.
std::optional<bool> flag_param(const Ctx& c, const char* name, std::optional<Response>& error);

}  // namespace journey::http
