#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "journey/adapters/http_api.h"
#include "journey/adapters/http_json.h"
#include "journey/adapters/webhook.h"
#include "journey/engine/csv_import.h"
#include "journey/engine/scheduler.h"
#include "journey/engine/simulation.h"
#include "journey/workflows/value_domain.h"

#ifndef JOURNEY_OPENAPI_FILE
#error "JOURNEY_OPENAPI_FILE must name adapters/http/openapi.json"
#endif

namespace journey::http {

using engine::AccessRole;
using engine::CommandOutcome;
using engine::Principal;
using workflows::Language;

bool CaseLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
}

// ---- problems ----------------------------------------------------------------

namespace {

// Pages of a list (GET /v1/hires): `limit` rows, 1..kMaxPage.
constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 500;

// A cursor: where the last page stopped, as hex of its sort key's fields
// joined by 0x00 (/v1/hires: unit, hire id; /v1/tasks: due, unit, hire id,
// item index). Opaque to clients; anything else is refused by name.
std::string encode_cursor(const std::vector<std::string>& fields) {
  static const char* digits = "0123456789abcdef";
  std::string raw;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) raw += '\0';
    raw += fields[i];
  }
  std::string out;
  for (unsigned char ch : raw) {
    out += digits[ch >> 4];
    out += digits[ch & 15];
  }
  return out;
}
// Exactly `n` fields, else std::nullopt.
std::optional<std::vector<std::string>> decode_cursor(const std::string& hex, std::size_t n) {
  if (hex.empty() || hex.size() % 2 || hex.size() > 2000) return std::nullopt;
  auto nibble = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
  };
  std::string raw;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    raw += static_cast<char>(hi * 16 + lo);
  }
  std::vector<std::string> fields;
  for (std::size_t from = 0;;) {
    const auto zero = raw.find('\0', from);
    fields.push_back(raw.substr(from, zero == std::string::npos ? std::string::npos : zero - from));
    if (zero == std::string::npos) break;
    from = zero + 1;
  }
  if (fields.size() != n) return std::nullopt;
  return fields;
}

// A decimal of 1..max_digits digits and nothing else (no sign, no space),
// for the headers and parameters that take a whole number.
std::optional<std::uint64_t> whole_number(const std::string& v, std::size_t max_digits) {
  if (v.empty() || v.size() > max_digits || max_digits > 19 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char ch) { return ch >= '0' && ch <= '9'; }))
    return std::nullopt;
  return std::stoull(v);
}

// A query value for a link this service hands out.
std::string url_encode(const std::string& v) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : v) {
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += digits[ch >> 4];
      out += digits[ch & 15];
    }
  }
  return out;
}

// Text that reaches an answer may come from bytes we did not check (a path,
// an old record): never let an invalid UTF-8 byte make dump() throw; it
// becomes U+FFFD (fuzz_http_request found the throw, which escaped handle()).
std::string dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

using workflows::valid_utf8;

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

Response problem_in(Language lang, int status, const std::string& code, const std::string& detail,
                    const std::string& where = "", const std::string& name = "") {
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

}  // namespace

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

struct Ctx {
  const Request& req;
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> query;
  std::optional<Principal> principal;
  Language lang = Language::sv;
  const char* t(const char* sv, const char* en) const { return lang == Language::sv ? sv : en; }
  Response fail(int status, const std::string& code, const std::string& detail,
                const std::string& where = "", const std::string& name = "") const {
    return problem_in(lang, status, code, detail, where, name);
  }
};

Response json_response(int status, const json& j) {
  Response r;
  r.status = status;
  r.body = dump(j);
  return r;
}

struct Route {
  std::string method;
  std::string path;  // OpenAPI template
  std::vector<std::string> segments;
  bool authenticated = true;
  std::function<Response(Ctx&)> handler;
};

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

}  // namespace

// ---- the API -----------------------------------------------------------------

struct Api::Impl {
  engine::JourneyEngine& engine;
  engine::TokenRegistry& tokens;
  ApiHooks hooks;
  ApiLimits limits;
  std::vector<Route> routes;
  Api* api = nullptr;

  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex buckets_mu;
  std::map<std::string, Bucket> buckets;
  // Webhook secrets are files beside the log: one change at a time, so two
  // rotations cannot lose a secret.
  std::mutex webhooks_mu;
  std::atomic<int> simulations_running{0};

  Impl(engine::JourneyEngine& e, engine::TokenRegistry& t, ApiHooks h, ApiLimits l)
      : engine(e), tokens(t), hooks(std::move(h)), limits(l) {
    install();
  }

  void add(const std::string& method, const std::string& path, std::function<Response(Ctx&)> h,
           bool authenticated = true) {
    routes.push_back(Route{method, path, split_path(path), authenticated, std::move(h)});
  }
  void install();

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

  // ---- helpers shared by handlers ----

  std::string municipality_of_unit(const std::string& unit) {
    auto u = engine.unit(unit);
    return u ? u->municipality : engine::kDefaultMunicipality;
  }

  // `seen`, if given, remembers each unit's municipality across the hires of
  // one list request (otherwise every hire re-reads its unit's stream).
  engine::HireScope scope_of(const workflows::HireRegistered& hire,
                             const std::string& introducer_email,
                             std::map<std::string, std::string>* seen) {
    engine::HireScope h;
    h.unit = hire.unit;
    if (!seen) {
      h.municipality = municipality_of_unit(hire.unit);
    } else {
      auto it = seen->find(hire.unit);
      if (it == seen->end()) it = seen->emplace(hire.unit, municipality_of_unit(hire.unit)).first;
      h.municipality = it->second;
    }
    h.introducer_email = introducer_email;
    return h;
  }
  engine::HireScope scope_of(const engine::HireStatus& s,
                             std::map<std::string, std::string>* seen = nullptr) {
    return scope_of(s.hire, s.introducer ? s.introducer->introducer.email : std::string(), seen);
  }
  engine::HireScope scope_of(const engine::HireSummary& s,
                             std::map<std::string, std::string>* seen) {
    return scope_of(s.hire, s.introducer_email, seen);
  }

  // The scope of a hire from its identity (the registration's unit, the
  // current introducer), read before anything is projected: authorisation
  // comes first, so no answer ever names or decodes a hire the caller may not read.
  engine::HireScope scope_of(const engine::HireIdentity& id,
                             std::map<std::string, std::string>* seen) {
    engine::HireScope h;
    h.unit = id.unit;
    h.introducer_email = id.introducer_email;
    if (id.unit.empty()) return h;  // unreadable: only all-municipality principals see it
    auto it = seen->find(id.unit);
    if (it == seen->end()) it = seen->emplace(id.unit, municipality_of_unit(id.unit)).first;
    h.municipality = it->second;
    return h;
  }

  // One hire of a list the principal may read: the summary of today's
  // status, or why the hire is damaged. std::nullopt: not the principal's (or gone).
  struct Listed {
    engine::HireIdentity id;
    std::optional<engine::HireSummary> summary;
    std::string damage;  // set when summary is not
  };
  std::optional<Listed> listed(const Principal& p, const std::string& hire_id, date::sys_days today,
                               std::map<std::string, std::string>& munis) {
    if (hooks.views) {
      auto v = hooks.views->get(hire_id, today);
      if (!v) return std::nullopt;
      return listed_view(p, std::move(*v), munis);
    }
    auto id = engine.identify(hire_id);
    if (!id || !engine::may_read_hire(p, scope_of(*id, &munis))) return std::nullopt;
    Listed out{*id, std::nullopt, {}};
    try {
      auto status = engine.status(hire_id, today);
      if (!status) return std::nullopt;
      out.summary = engine::summarize(*status);  // what the views store: one rule for both
      // The projected introducer may differ from the identity's only if the
      // scan and the replay raced a command; the projection is the truth.
      if (!engine::may_read_hire(p, scope_of(*out.summary, &munis))) return std::nullopt;
    } catch (const engine::HireDamaged& e) {
      out.damage = e.what();
    }
    return out;
  }

  std::optional<Listed> listed_view(const Principal& p, engine::HireView v,
                                    std::map<std::string, std::string>& munis) {
    if (!engine::may_read_hire(p, scope_of(v.id, &munis))) return std::nullopt;
    if (v.summary && !engine::may_read_hire(p, scope_of(*v.summary, &munis))) return std::nullopt;
    return Listed{std::move(v.id), std::move(v.summary), std::move(v.damage)};
  }

  // The hires `p` may read, in (unit, hire id) order, after `after` (a unit
  // and hire, both empty to start), until f returns false. With the views:
  // only the index entries of what p may read (its units, its municipality's,
  // the hires it introduces), each read from its view entry. Without: every
  // hire replayed, the reference.
  using After = std::pair<std::string, std::string>;
  static void sort_in_list_order(std::vector<Listed>& v) {
    std::sort(v.begin(), v.end(), [](const Listed& a, const Listed& b) {
      return std::tie(a.id.unit, a.id.hire_id) < std::tie(b.id.unit, b.id.hire_id);
    });
  }
  void visit_readable(const Principal& p, const std::string& unit_filter, const After& after,
                      date::sys_days today, const std::function<bool(Listed&)>& f) {
    std::map<std::string, std::string> munis;
    const auto past = [&](const std::string& unit, const std::string& hire) {
      return after.first.empty() && after.second.empty() ? true : After{unit, hire} > after;
    };
    bool indexed = hooks.views != nullptr;
    if (indexed) {
      try {
        hooks.views->apply();  // the index holds every hire committed before this read
      } catch (const std::exception&) {
        indexed = false;  // e.g. a full disk: the index may lack the newest; replay instead
      }
    }
    if (!indexed) {
      std::vector<Listed> all;
      for (const auto& id : engine.hires()) {
        auto l = listed(p, id, today, munis);
        if (l && (unit_filter.empty() || l->id.unit == unit_filter) &&
            past(l->id.unit, l->id.hire_id))
          all.push_back(std::move(*l));
      }
      sort_in_list_order(all);
      for (auto& l : all)
        if (!f(l)) return;
      return;
    }
    engine::HireViews& views = *hooks.views;
    bool go_on = true;
    // One index key: its view, if it is still of that unit (a key left by a
    // move is skipped; the hire is listed under its unit now) and readable.
    auto visit = [&](const std::string& unit, const std::string& hire) {
      auto v = views.get(hire, today);
      if (!v || v->id.unit != unit) return true;
      auto l = listed_view(p, std::move(*v), munis);
      if (l) go_on = f(*l);
      return go_on;
    };
    auto unit_after = [&](const std::string& unit) {
      return after.first == unit && !after.second.empty()
                 ? "u" + unit + std::string(1, '\0') + after.second
                 : std::string();
    };
    auto scan_unit = [&](const std::string& unit) {
      views.scan_unit(unit, unit_after(unit), [&](const std::string& hire, const std::string&) {
        return visit(unit, hire);
      });
    };
    if (!unit_filter.empty()) {
      if (unit_filter >= after.first) scan_unit(unit_filter);
      return;
    }
    switch (p.role) {
      case AccessRole::unit_head:
      case AccessRole::administrator: {
        std::vector<std::string> units = p.units;
        std::sort(units.begin(), units.end());
        units.erase(std::unique(units.begin(), units.end()), units.end());  // each once
        for (const auto& u : units)
          if (go_on && u >= after.first) scan_unit(u);
        return;
      }
      case AccessRole::introducer: {
        // Few hires each: gathered, then put in the lists' order.
        std::vector<Listed> mine;
        views.scan_introducer(p.email, "", [&](const std::string& hire, const std::string&) {
          auto v = views.get(hire, today);
          if (!v) return true;
          auto l = listed_view(p, std::move(*v), munis);
          if (l && past(l->id.unit, l->id.hire_id)) mine.push_back(std::move(*l));
          return true;
        });
        sort_in_list_order(mine);
        for (auto& l : mine)
          if (!f(l)) return;
        return;
      }
      default: {
        // admin, auditor: their municipality's units, another's passed over
        // whole. A hire whose unit cannot be read ("") only "*" sees.
        auto skip = [&](const std::string& unit) {
          if (p.all_municipalities()) return false;
          if (unit.empty()) return true;
          auto it = munis.find(unit);
          if (it == munis.end()) it = munis.emplace(unit, municipality_of_unit(unit)).first;
          return !engine::sees_municipality(p, it->second);
        };
        const std::string from = after.first.empty() && after.second.empty()
                                     ? std::string()
                                     : "u" + after.first + std::string(1, '\0') + after.second;
        views.scan_all(from, skip, [&](const std::string& hire, const std::string& key) {
          return visit(key.substr(1, key.size() - hire.size() - 2), hire);
        });
        return;
      }
    }
  }

  json damaged_json(const engine::HireIdentity& id, const std::string& why) {
    return json{
        {"hire", id.hire_id},     {"name", id.name}, {"unit", id.unit},        {"start", ""},
        {"lifecycle", "Damaged"}, {"overdue", 0},    {"parts", json::array()}, {"damaged", true},
        {"damage", why}};
  }

  static std::optional<std::string> body_error(const Ctx& c, const char* type) {
    auto it = c.req.headers.find("Content-Type");
    if (it == c.req.headers.end()) return std::string("missing");
    std::string ct = it->second.substr(0, it->second.find(';'));
    ct.erase(std::remove(ct.begin(), ct.end(), ' '), ct.end());
    std::transform(ct.begin(), ct.end(), ct.begin(), ::tolower);
    if (ct != type) return ct;
    return std::nullopt;
  }

  // Parses a JSON body or says why not.
  std::variant<json, Response> json_body(const Ctx& c) {
    if (auto ct = body_error(c, "application/json"))
      return c.fail(415, "unsupported_media_type",
                    std::string(c.t("Innehållet måste vara application/json, inte ",
                                    "The body must be application/json, not ")) +
                        *ct,
                    "header", "Content-Type");
    auto parsed = parse_json_strictly(c.req.body);
    if (auto* e = std::get_if<FieldError>(&parsed)) {
      // Syntax is 400 as before; a duplicate key or an unreadable number is a
      // field of a well-formed document that is wrong: 422, naming it.
      if (e->field == "/")
        return c.fail(400, "malformed_json",
                      std::string(c.t("Ogiltig JSON: ", "Malformed JSON: ")) +
                          e->text(c.lang == Language::sv),
                      "field", "/");
      return field_error(c, *e);
    }
    return std::get<json>(parsed);
  }

  Response field_error(const Ctx& c, const FieldError& e) {
    return c.fail(422, "invalid_field", e.field + " " + e.text(c.lang == Language::sv), "field",
                  e.field);
  }

  // Maps a refused/failed command outcome to a problem.
  Response outcome_problem(const Ctx& c, const CommandOutcome& o) {
    const std::string code = o.refusal ? o.refusal->code : "internal_error";
    const std::string msg = o.message(c.lang);
    switch (o.kind) {
      case CommandOutcome::Kind::conflict: {
        Response r = c.fail(412, "version_conflict", msg, "header", "If-Match");
        auto j = json::parse(r.body);
        j["current_version"] = o.version;
        r.body = dump(j);
        r.headers.push_back({"ETag", "\"" + std::to_string(o.version) + "\""});
        return r;
      }
      case CommandOutcome::Kind::refused: {
        if (code == "unknown_hire") return c.fail(404, code, msg);
        if (code.rfind("field_", 0) == 0) {
          std::string field;
          if (o.refusal && o.refusal->args.count("field"))
            field = "/" + o.refusal->args.at("field");
          return c.fail(422, code, msg, field.empty() ? "" : "field", field);
        }
        // Every refusal that concerns one field names it (the kind of
        // command itself, for a step the journey's state does not allow).
        std::string field;
        if (o.refusal && o.refusal->args.count("field")) field = "/" + o.refusal->args.at("field");
        const int status =
            code == "unknown_unit" || code == "unknown_municipality" ||
                    code == "unknown_programme" || code == "unknown_item" ||
                    code == "correction_unknown_event" || code == "correction_not_a_fact" ||
                    code == "correction_type_mismatch" || code == "correction_unchanged" ||
                    code == "correction_field_fixed" || code == "registration_cannot_be_retracted"
                ? 422
                : 409;
        Response r = c.fail(status, code, msg, field.empty() ? "" : "field", field);
        if (code == "correction_inconsistent" && o.refusal->args.count("event")) {
          // The later event that would no longer hold, for a page to point at.
          auto j = json::parse(r.body);
          j["event"] = std::stoull(o.refusal->args.at("event"));
          r.body = dump(j);
        }
        return r;
      }
      default:
        if (code == "storage_full") return c.fail(507, code, msg);
        if (code == "storage_closed") return c.fail(503, code, msg);
        return c.fail(500, code, msg);
    }
  }

  std::optional<std::string> idempotency_key(const Ctx& c, std::optional<Response>& error) {
    auto it = c.req.headers.find("Idempotency-Key");
    if (it == c.req.headers.end()) return std::string();
    const std::string& k = it->second;
    if (k.empty() || k.size() > 200) {
      error = c.fail(400, "bad_header",
                     c.t("Idempotency-Key ska vara 1–200 tecken",
                         "Idempotency-Key must be 1-200 "
                         "characters"),
                     "header", "Idempotency-Key");
      return std::nullopt;
    }
    return "http/" + c.principal->token_id + "/" + c.req.method + " " +
           c.req.target.substr(0, c.req.target.find('?')) + "/" + k;
  }

  // The hires the engine found damaged since start, and those the views
  // hold as damaged (lists served from the views load no one, so after a
  // restart the engine alone would count none). views_readable: false when
  // the views' store could not be read (the count is then the engine's).
  std::size_t damaged_hire_count(bool& views_readable) {
    std::set<std::string> ids;
    for (const auto& [id, why] : engine.damaged_hires()) ids.insert(id);
    views_readable = true;
    if (hooks.views) {
      try {
        for (auto& id : hooks.views->damaged()) ids.insert(std::move(id));
      } catch (const std::exception&) {
        views_readable = false;
      }
    }
    return ids.size();
  }

  // A page request: `limit` (1..kMaxPage, default kDefaultPage) and an
  // optional `cursor` of `fields` fields; a bad one sets error, naming it.
  struct Page {
    std::size_t limit = kDefaultPage;
    std::optional<std::vector<std::string>> after;
  };
  static Response bad_cursor(const Ctx& c) {
    return c.fail(400, "bad_parameter",
                  c.t("cursor är inte en markör som den här tjänsten har lämnat ut",
                      "cursor is not a cursor this service handed out"),
                  "parameter", "cursor");
  }
  static Page page_of(const Ctx& c, std::size_t fields, std::optional<Response>& error) {
    Page page;
    if (auto it = c.query.find("limit"); it != c.query.end()) {
      const auto n = whole_number(it->second, 3);
      if (!n || *n < 1 || *n > kMaxPage) {
        error = c.fail(400, "bad_parameter",
                       c.t("limit ska vara ett heltal 1–500", "limit must be a whole number 1–500"),
                       "parameter", "limit");
        return page;
      }
      page.limit = static_cast<std::size_t>(*n);
    }
    if (auto it = c.query.find("cursor"); it != c.query.end()) {
      page.after = decode_cursor(it->second, fields);
      if (!page.after) error = bad_cursor(c);
    }
    return page;
  }

  // A true/false query parameter; absent: std::nullopt; another value sets
  // error, naming it.
  static std::optional<bool> flag_param(const Ctx& c, const char* name,
                                        std::optional<Response>& error) {
    auto it = c.query.find(name);
    if (it == c.query.end()) return std::nullopt;
    if (it->second != "true" && it->second != "false") {
      error =
          c.fail(400, "bad_parameter",
                 std::string(name) + c.t(" ska vara true eller false", " must be true or false"),
                 "parameter", name);
      return std::nullopt;
    }
    return it->second == "true";
  }

  // A hire's status ETag: its stream version and the day the status is
  // computed for ("7-20261203", engine.today()), since overdue flags, leave and hours owed
  // change with the day. A strong tag: the body is the same bytes for the
  // same version and day (it has no language-dependent text).
  static std::string status_etag(std::uint64_t version, date::sys_days day) {
    return "\"" + std::to_string(version) + "-" + date::format("%Y%m%d", day) + "\"";
  }

  // If-None-Match (RFC 9110 13.1.2): "*" or a list of entity tags; weak
  // comparison, so W/"x" matches "x".
  static bool none_match(const Ctx& c, const std::string& etag) {
    auto it = c.req.headers.find("If-None-Match");
    if (it == c.req.headers.end()) return false;
    std::string_view rest = it->second;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view tag = rest.substr(0, comma);
      while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
      while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
      if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
      if (tag == "*" || tag == etag) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return false;
  }

  // If-Match takes the version alone ("7", what commands and history answer)
  // or a status ETag ("7-20261203": its day says nothing about the version).
  std::optional<std::uint64_t> if_match(const Ctx& c, std::optional<Response>& error) {
    auto it = c.req.headers.find("If-Match");
    if (it == c.req.headers.end()) return std::nullopt;
    std::string v = it->second;
    if (v.rfind("W/", 0) == 0) v = v.substr(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (const auto dash = v.find('-');
        dash != std::string::npos && v.size() - dash - 1 == 8 &&
        v.find_first_not_of("0123456789", dash + 1) == std::string::npos)
      v.resize(dash);
    const auto version = whole_number(v, 19);
    if (!version) {
      error = c.fail(400, "bad_header",
                     c.t("If-Match ska vara journeyns version, t.ex. \"7\"",
                         "If-Match must be the journey's version, e.g. \"7\""),
                     "header", "If-Match");
      return std::nullopt;
    }
    return *version;
  }

  Response command_response(const Ctx& c, int status, const CommandOutcome& o, json extra = {}) {
    if (!o.ok()) return outcome_problem(c, o);
    json j{{"id", o.hire_id}, {"version", o.version}, {"position", o.position}};
    if (extra.is_object())
      for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    Response r = json_response(status, j);
    r.headers.push_back({"ETag", "\"" + std::to_string(o.version) + "\""});
    if (o.kind == CommandOutcome::Kind::duplicate)
      r.headers.push_back({"Idempotent-Replayed", "true"});
    return r;
  }

  std::optional<engine::AsOf> as_of(const Ctx& c, std::optional<Response>& error) {
    auto it = c.query.find("as_of");
    if (it == c.query.end()) return std::nullopt;
    auto d = workflows::parse_date(it->second);
    if (!d) {
      error = c.fail(400, "bad_parameter",
                     c.t("as_of ska vara ett datum ÅÅÅÅ-MM-DD", "as_of must be a date YYYY-MM-DD"),
                     "parameter", "as_of");
      return std::nullopt;
    }
    engine::AsOf a{*d};
    auto b = c.query.find("basis");
    if (b != c.query.end()) {
      if (b->second == "effective") {
        a.basis = engine::AsOf::Basis::effective;
      } else if (b->second != "recorded") {
        error = c.fail(
            400, "bad_parameter",
            c.t("basis ska vara recorded eller effective", "basis must be recorded or effective"),
            "parameter", "basis");
        return std::nullopt;
      }
    }
    return a;
  }

  // Loads today's status of the hire in the path and checks that the
  // principal may read it. 404 for both "no such hire" and "not yours", so an
  // outsider cannot probe which hires exist.
  // A damaged hire the principal may read answers 409 hire_damaged with the reason.
  std::variant<engine::HireStatus, Response> readable_hire(Ctx& c) {
    if (auto r = unreadable_hire(c)) return *r;
    const std::string& id = c.params["hire"];
    std::map<std::string, std::string> munis;
    try {
      // The summary said who may read it; the whole status is projected
      // anew (the views keep only summaries) and asked the same again, in
      // case a command moved the hire in between.
      auto s = engine.status(id, engine.today());
      if (s && engine::may_read_hire(*c.principal, scope_of(*s, &munis))) return std::move(*s);
    } catch (const engine::HireDamaged& e) {
      return damaged_problem(c, id, e.what());
    }
    return unknown_hire(c, id);
  }
  // Whether the principal may read the hire in the path, from its summary
  // alone (the views' entry, or a replay without them): std::nullopt if so.
  std::optional<Response> unreadable_hire(Ctx& c) {
    const std::string& id = c.params["hire"];
    std::map<std::string, std::string> munis;
    auto l = listed(*c.principal, id, engine.today(), munis);
    if (!l) return unknown_hire(c, id);
    if (!l->summary) return damaged_problem(c, id, l->damage);
    return std::nullopt;
  }
  Response unknown_hire(const Ctx& c, const std::string& id) {
    return c.fail(404, "unknown_hire",
                  std::string(c.t("Ingen nyanställd med id ", "No hire with id ")) + id);
  }

  Response damaged_problem(const Ctx& c, const std::string& id, const std::string& why) {
    Response r =
        c.fail(409, "hire_damaged",
               workflows::Refusal{"hire_damaged", {{"hire", id}, {"reason", why}}}.message(c.lang));
    auto j = json::parse(r.body);
    j["hire"] = id;
    j["damage"] = why;
    r.body = dump(j);
    return r;
  }

  bool may_see_message(const Principal& p, const std::vector<std::string>& hire_ids) {
    std::map<std::string, std::string> munis;
    for (const auto& h : hire_ids)
      if (listed(p, h, engine.today(), munis)) return true;
    return false;
  }
};

Api::Api(engine::JourneyEngine& engine, engine::TokenRegistry& tokens, ApiHooks hooks,
         ApiLimits limits)
    : impl_(std::make_unique<Impl>(engine, tokens, std::move(hooks), limits)) {
  impl_->api = this;
}
Api::~Api() = default;

std::vector<std::pair<std::string, std::string>> Api::routes() {
  // A throwaway Impl would need an engine; the table is static in shape, so
  // build it from a prototype list kept beside install().
  static const std::vector<std::pair<std::string, std::string>> table = {
      {"GET", "/healthz"},
      {"GET", "/readyz"},
      {"GET", "/metrics"},
      {"GET", "/v1/openapi.json"},
      {"GET", "/v1/me"},
      {"GET", "/v1/municipalities"},
      {"PUT", "/v1/municipalities/{municipality}"},
      {"GET", "/v1/units"},
      {"GET", "/v1/units/{unit}"},
      {"PUT", "/v1/units/{unit}"},
      {"GET", "/v1/hires"},
      {"POST", "/v1/hires"},
      {"GET", "/v1/hires/{hire}"},
      {"POST", "/v1/hires/{hire}/events"},
      {"POST", "/v1/hires/{hire}/corrections"},
      {"GET", "/v1/hires/{hire}/history"},
      {"GET", "/v1/hires/{hire}/export"},
      {"POST", "/v1/imports"},
      {"GET", "/v1/tasks"},
      {"GET", "/v1/notifications"},
      {"POST", "/v1/notifications/{message}/redeliver"},
      {"GET", "/v1/webhooks"},
      {"POST", "/v1/webhooks"},
      {"POST", "/v1/webhooks/{webhook}/rotate"},
      {"POST", "/v1/webhooks/{webhook}/retire-old"},
      {"POST", "/v1/webhooks/{webhook}/disable"},
      {"POST", "/v1/simulations"},
      {"GET", "/v1/programmes"},
      {"POST", "/v1/programmes"},
      {"GET", "/v1/programmes/{programme}/versions/{version}"},
      {"GET", "/v1/tokens"},
      {"POST", "/v1/tokens"},
      {"DELETE", "/v1/tokens/{token}"},
      {"GET", "/v1/audit/verify"},
      {"POST", "/v1/backups"},
  };
  return table;
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
  return segs.size() == 3 && segs[0] == "v1" && segs[1] == "hires";  // one hire's status
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
  const auto started = std::chrono::steady_clock::now();
  Ctx c{req, {}, {}, {}, Language::sv};
  auto al = req.headers.find("Accept-Language");
  if (al != req.headers.end() && al->second.rfind("en", 0) == 0) c.lang = Language::en;

  std::string route_name = "unmatched";
  auto finish = [&](Response r) {
    metrics_.observe(
        route_name, req.method, r.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return r;
  };

  // Split target into path and query.
  const std::size_t q = req.target.find('?');
  const std::string raw_path = req.target.substr(0, q);
  if (raw_path.empty() || raw_path[0] != '/')
    return finish(c.fail(400, "bad_target", c.t("Ogiltig sökväg", "Invalid request target")));
  if (q != std::string::npos) {
    std::string qs = req.target.substr(q + 1);
    std::size_t i = 0;
    while (i <= qs.size()) {
      std::size_t j = qs.find('&', i);
      if (j == std::string::npos) j = qs.size();
      std::string pair = qs.substr(i, j - i);
      if (!pair.empty()) {
        const std::size_t eq = pair.find('=');
        bool ok1 = true, ok2 = true;
        std::string k = percent_decode(pair.substr(0, eq), true, ok1);
        std::string v =
            eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1), true, ok2);
        if (!ok1 || !ok2 || !valid_utf8(k) || !valid_utf8(v))
          return finish(c.fail(400, "bad_parameter",
                               c.t("Felaktig procentkodning eller inte UTF-8 i frågan",
                                   "Bad percent-encoding or not UTF-8 in the query"),
                               "parameter", k));
        c.query[k] = v;
      }
      i = j + 1;
    }
  }
  const auto segs = split_path(raw_path);
  const Route* match = nullptr;
  std::vector<std::string> allowed;
  for (const auto& r : impl_->routes) {
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
    if (r.method != req.method) {
      allowed.push_back(r.method);
      continue;
    }
    match = &r;
    c.params = std::move(params);
    break;
  }
  if (!match && !web_root_.empty() && req.method == "GET" && raw_path.rfind("/v1/", 0) != 0 &&
      allowed.empty()) {
    route_name = "static";
    return finish(static_file(raw_path));
  }
  if (!match) {
    if (!allowed.empty()) {
      std::string allow;
      for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      Response r = c.fail(
          405, "method_not_allowed",
          req.method + c.t(" stöds inte här; tillåtna: ", " is not supported here; allowed: ") +
              allow);
      r.headers.push_back({"Allow", allow});
      return finish(r);
    }
    return finish(
        c.fail(404, "no_route",
               std::string(c.t("Ingen sådan resurs: ", "No such resource: ")) + raw_path));
  }
  route_name = match->path;
  if (match->authenticated) {
    if (!ready_)
      return finish(c.fail(503, "not_ready",
                           c.t("Tjänsten stänger ner eller startar",
                               "The service is draining "
                               "or starting")));
    auto it = req.headers.find("Authorization");
    if (it == req.headers.end() || it->second.rfind("Bearer ", 0) != 0) {
      Response r = c.fail(401, "unauthenticated",
                          c.t("Ange en token: Authorization: Bearer <token>",
                              "Send a token: Authorization: Bearer <token>"),
                          "header", "Authorization");
      r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"journey\""});
      return finish(r);
    }
    c.principal = impl_->tokens.authenticate(it->second.substr(7));
    if (!c.principal) {
      Response r = c.fail(401, "invalid_token",
                          c.t("Okänd eller återkallad token", "Unknown or revoked token"), "header",
                          "Authorization");
      r.headers.push_back(
          {"WWW-Authenticate", "Bearer realm=\"journey\", error=\"invalid_token\""});
      return finish(r);
    }
    if (!impl_->take_token(c.principal->token_id)) {
      Response r = c.fail(429, "rate_limited",
                          c.t("För många begäranden; försök igen om en sekund",
                              "Too many requests; try again in a second"));
      r.headers.push_back({"Retry-After", "1"});
      return finish(r);
    }
  }
  try {
    return finish(match->handler(c));
  } catch (const engine::HireDamaged&) {
    // Every handler reads a hire only after readable_hire() let the principal
    // see it, but this catch names nothing, in case one does not.
    return finish(c.fail(409, "hire_damaged",
                         c.t("Den nyanställdas historik är skadad och kan inte visas så här; "
                             "en administratör ser orsaken",
                             "The hire's history is damaged and cannot be shown like this; an "
                             "admin sees the reason")));
  } catch (const std::exception& e) {
    return finish(c.fail(500, "internal_error", e.what()));
  }
}

// ---- handlers ----------------------------------------------------------------

namespace {
std::string record_refusal(const Ctx& c, const std::string& why) {
  if (why == "read_only_role")
    return c.t("Din roll får bara läsa, inte registrera.", "Your role may read, not record.");
  if (why == "not_your_unit")
    return c.t("Den nyanställda hör inte till dina enheter.",
               "The hire does not belong to your units.");
  if (why == "not_your_hire")
    return c.t("Du är inte introduktör för den nyanställda.", "You are not the hire's introducer.");
  if (why == "not_your_record")
    return c.t("Du får bara rätta det du själv har registrerat; enhetschefen rättar resten.",
               "You may only correct what you recorded yourself; the unit head corrects the "
               "rest.");
  if (why == "not_your_task")
    return c.t(
        "Det här är inte din roll att registrera (administratören registrerar AD-moment i "
        "förberedelsen, introduktören FA-moment och timmar).",
        "This is not your role's to record (the administrator records AD preparation "
        "items, the introducer FA items and hours).");
  return c.t("Du får inte registrera detta.", "You may not record this.");
}
}  // namespace

void Api::Impl::install() {
  auto forbidden = [](const Ctx& c, const std::string& why) {
    return c.fail(403, "forbidden", why);
  };

  add(
      "GET", "/healthz",
      [](Ctx&) {
        return json_response(200, json{{"status", "ok"}});
      },
      false);
  add(
      "GET", "/readyz",
      [this](Ctx& c) {
        if (!api->ready()) return c.fail(503, "not_ready", c.t("stänger ner", "draining"));
        // Reads go on while writing is off (a full disk, a damaged log), so
        // the service stays ready; the answer says what is off and why.
        const std::string writes = engine.log().stats().writes_refused;
        const std::string other = hooks.degraded ? hooks.degraded() : "";
        if (writes.empty() && other.empty())
          return json_response(200, json{{"status", "ready"}, {"writing", true}});
        json j{{"status", "degraded"}, {"writing", writes.empty()}};
        if (!writes.empty()) j["writes_refused"] = writes;
        if (!other.empty()) j["degraded"] = other;
        return json_response(200, j);
      },
      false);
  add(
      "GET", "/metrics",
      [this](Ctx&) {
        Response r;
        r.content_type = "text/plain; version=0.0.4";
        const auto st = engine.log().stats();
        std::ostringstream os;
        bool views_readable = true;
        os << api->metrics().text()
           << "# HELP journey_log_appends_total Appends written to the event log.\n"
           << "# TYPE journey_log_appends_total counter\n"
           << "journey_log_appends_total " << st.appends << '\n'
           << "# HELP journey_log_events_total Events written to the event log.\n"
           << "# TYPE journey_log_events_total counter\n"
           << "journey_log_events_total " << st.events << '\n'
           << "# HELP journey_log_wal_syncs_total Synced batch writes.\n"
           << "# TYPE journey_log_wal_syncs_total counter\n"
           << "journey_log_wal_syncs_total " << st.wal_syncs << '\n'
           << "# HELP journey_hires_damaged Hires whose stream could not be read, decoded or "
              "replayed when last read (each is logged with its reason).\n"
           << "# TYPE journey_hires_damaged gauge\n"
           << "journey_hires_damaged " << damaged_hire_count(views_readable) << '\n'
           << "# HELP journey_views_readable 0 when the hire views' store could not be read.\n"
           << "# TYPE journey_views_readable gauge\n"
           << "journey_views_readable " << (views_readable ? 1 : 0) << '\n';
        if (hooks.extra_metrics) os << hooks.extra_metrics();
        r.body = os.str();
        return r;
      },
      false);
  add(
      "GET", "/v1/openapi.json",
      [](Ctx&) {
        Response r;
        r.body = openapi_document();
        return r;
      },
      false);

  add("GET", "/v1/me", [](Ctx& c) {
    const auto& p = *c.principal;
    return json_response(200, json{{"token_id", p.token_id},
                                   {"role", engine::access_role_id(p.role)},
                                   {"name", p.name},
                                   {"email", p.email},
                                   {"municipality", p.municipality},
                                   {"units", p.units},
                                   {"actor", p.actor()}});
  });

  // -- municipalities and units --
  add("GET", "/v1/municipalities", [this](Ctx& c) {
    json j = json::array();
    for (const auto& m : engine.municipalities())
      if (engine::sees_municipality(*c.principal, m.id))
        j.push_back({{"id", m.id}, {"name", m.name}});
    return json_response(200, j);
  });
  add("PUT", "/v1/municipalities/{municipality}", [this, forbidden](Ctx& c) {
    if (!(c.principal->role == AccessRole::admin && c.principal->all_municipalities()))
      return forbidden(c, c.t("Bara en administratör för alla kommuner får ändra kommuner",
                              "Only an all-municipality admin may change municipalities"));
    auto body = json_body(c);
    if (auto* r = std::get_if<Response>(&body)) return *r;
    const json& j = std::get<json>(body);
    if (!j.is_object()) return field_error(c, FieldError::not_object("/"));
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "name") return field_error(c, FieldError::unknown("/" + it.key()));
    if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
      return field_error(
          c, {"/name", "must be a non-empty string", "ska vara en text som inte är tom"});
    std::optional<Response> err;
    auto key = idempotency_key(c, err);
    if (err) return *err;
    auto o = engine.set_municipality({c.params["municipality"], j["name"].get<std::string>()},
                                     {c.principal->actor(), *key, std::nullopt});
    return command_response(c, 200, o, {{"municipality", c.params["municipality"]}});
  });
  add("GET", "/v1/units", [this](Ctx& c) {
    json j = json::array();
    for (const auto& u : engine.units())
      if (engine::sees_municipality(*c.principal, u.municipality)) j.push_back(unit_json(u));
    return json_response(200, j);
  });
  add("GET", "/v1/units/{unit}", [this](Ctx& c) {
    auto u = engine.unit(c.params["unit"]);
    if (!u || !engine::sees_municipality(*c.principal, u->municipality))
      return c.fail(
          404, "unknown_unit",
          std::string(c.t("Ingen enhet som heter ", "No unit named ")) + c.params["unit"]);
    return json_response(200, unit_json(*u));
  });
  add("PUT", "/v1/units/{unit}", [this, forbidden](Ctx& c) {
    auto body = json_body(c);
    if (auto* r = std::get_if<Response>(&body)) return *r;
    auto u = decode_unit(std::get<json>(body), c.params["unit"]);
    if (auto* e = std::get_if<FieldError>(&u)) return field_error(c, *e);
    auto& unit = std::get<engine::UnitContacts>(u);
    if (!engine::is_admin_of(*c.principal, unit.municipality))
      return forbidden(c, c.t("Bara kommunens administratör får ändra enheter",
                              "Only the municipality's admin may change units"));
    if (auto existing = engine.unit(unit.unit);
        existing && !engine::is_admin_of(*c.principal, existing->municipality))
      return forbidden(
          c, c.t("Enheten tillhör en annan kommun", "The unit belongs to another municipality"));
    if (!engine.unit(unit.unit) && !c.principal->all_municipalities()) {
      // Hires registered in a unit nobody has described yet belong to
      // "default"; a municipality's admin must not claim them by creating the
      // unit under their own municipality.
      for (const auto& id : engine.hires()) {
        auto h = engine.identify(id);
        if (h && h->unit == unit.unit)
          return c.fail(409, "unit_has_hires",
                        c.t("Det finns redan nyanställda i en enhet med det namnet; bara "
                            "administratören för alla kommuner kan ge den en kommun",
                            "Hires are already registered in a unit of that name; only the "
                            "all-municipality admin can give it a municipality"));
      }
    }
    std::optional<Response> err;
    auto key = idempotency_key(c, err);
    if (err) return *err;
    auto o = engine.set_unit(unit, {c.principal->actor(), *key, std::nullopt});
    return command_response(c, 200, o, {{"unit", unit.unit}});
  });

  // -- hires --
  add("GET", "/v1/hires", [this](Ctx& c) {
    const std::string unit = c.query.count("unit") ? c.query["unit"] : "";
    const std::string state = c.query.count("state") ? c.query["state"] : "";
    // q: a name search (engine::name_matches), or the start of a hire id
    // ("hire-3f9a").
    const std::string q = c.query.count("q") ? c.query["q"] : "";
    if (auto bad = workflows::check_name(q, false)) {
      return c.fail(400, "bad_parameter", "q " + bad->text(c.lang), "parameter", "q");
    }
    std::optional<Response> err;
    const bool overdue_only = flag_param(c, "overdue", err).value_or(false);
    if (err) return *err;
    auto page = page_of(c, 2, err);
    if (err) return *err;
    const std::size_t limit = page.limit;
    After after;
    if (page.after) {
      if (!engine::is_hire_id((*page.after)[1])) return bad_cursor(c);
      after = After{(*page.after)[0], (*page.after)[1]};
    }
    json j = json::array();
    const auto today = engine.today();
    std::optional<After> next;  // set when the page is full and more may follow
    After last;                 // the sort key of the last row: (identity's unit, hire)
    // The row of one hire, or null when the filters leave it out.
    auto row_of = [&](const Listed& l) -> json {
      if (!q.empty() && !(q.rfind("hire-", 0) == 0 && l.id.hire_id.rfind(q, 0) == 0) &&
          !engine::name_matches(l.summary ? l.summary->hire.name : l.id.name, q)) {
        return nullptr;
      }
      if (!l.summary) {
        // Damaged: shown (it needs someone's attention) unless a filter it
        // cannot be matched against asks for something else.
        if (state.empty() || state == "Damaged") return damaged_json(l.id, l.damage);
        return nullptr;
      }
      const engine::HireSummary* s = &*l.summary;
      if (!state.empty() && s->lifecycle != state) return nullptr;
      const int overdue = s->overdue;
      if (overdue_only && overdue == 0) return nullptr;
      json row{{"hire", l.id.hire_id},      {"name", s->hire.name},
               {"unit", s->hire.unit},      {"start", iso_day(s->hire.start)},
               {"lifecycle", s->lifecycle}, {"overdue", overdue}};
      if (s->next_deadline)
        row["next_deadline"] = {{"id", s->next_deadline->id},
                                {"title", s->next_deadline->title},
                                {"due", iso_day(s->next_deadline->due)}};
      row["hours"] = {{"owed", s->hours_owed},
                      {"logged", s->hours_logged},
                      {"balance", s->hours_logged - s->hours_owed}};
      row["parts"] = json::array();
      for (const auto& p : s->parts)
        row["parts"].push_back({{"part", workflows::part_id(p.part)},
                                {"state", p.state},
                                {"done", p.done},
                                {"total", p.total},
                                {"finished", p.finished}});
      return row;
    };
    visit_readable(*c.principal, unit, after, today, [&](Listed& l) {
      json row = row_of(l);
      if (row.is_null()) return true;
      if (j.size() == limit) {
        next = last;  // a row beyond this page exists
        return false;
      }
      j.push_back(std::move(row));
      last = After{l.id.unit, l.id.hire_id};
      return true;
    });
    Response r = json_response(200, j);
    if (next) {
      std::string link = "/v1/hires?limit=" + std::to_string(limit) +
                         "&cursor=" + encode_cursor({next->first, next->second});
      for (const char* k : {"unit", "state", "overdue", "q"})
        if (c.query.count(k)) link += std::string("&") + k + "=" + url_encode(c.query[k]);
      r.headers.push_back({"Link", "<" + link + ">; rel=\"next\""});
    }
    return r;
  });
  add("POST", "/v1/hires", [this, forbidden](Ctx& c) {
    auto body = json_body(c);
    if (auto* r = std::get_if<Response>(&body)) return *r;
    auto reg = decode_register(std::get<json>(body));
    if (auto* e = std::get_if<FieldError>(&reg)) return field_error(c, *e);
    auto& cmd = std::get<engine::RegisterHire>(reg);
    const std::string muni = municipality_of_unit(cmd.unit);
    if (!engine::may_register_hire(*c.principal, cmd.unit, muni))
      return forbidden(c, std::string(c.t("Du får inte registrera nyanställda i enheten ",
                                          "You may not register hires in the unit ")) +
                              cmd.unit);
    std::optional<Response> err;
    auto key = idempotency_key(c, err);
    if (err) return *err;
    auto o = engine.register_hire(cmd, {c.principal->actor(), *key, std::nullopt});
    Response r = command_response(c, 201, o, {{"hire", o.hire_id}});
    if (o.ok()) r.headers.push_back({"Location", "/v1/hires/" + o.hire_id});
    return r;
  });
  add("GET", "/v1/hires/{hire}", [this](Ctx& c) {
    // The ETag is read before the view is built. If a command lands in between,
    // the view is newer than its ETag and an If-Match with it gets 412; the
    // other order could hand out an ETag for an event the view does not show.
    // So is the day: a status computed for a later day than its label is
    // served at most once more than needed, never a stale one as fresh.
    auto version = engine.log().stream_version(storage::StreamId(c.params["hire"]));
    const date::sys_days day = engine.today();
    if (auto r = unreadable_hire(c)) return *r;
    std::optional<Response> err;
    auto a = as_of(c, err);
    if (err) return *err;
    // The same version and day are the same bytes: 304, nothing serialised.
    // (Authorised above: a 304 tells no one what a 404 would hide.)
    // As of a date the answer is another representation: no 304, and the
    // bare version (what If-Match takes) as its ETag, as before.
    const std::string etag = !version ? std::string()
                             : a      ? "\"" + std::to_string(version->value) + "\""
                                      : status_etag(version->value, day);
    if (!a && !etag.empty() && none_match(c, etag)) {
      Response r;
      r.status = 304;
      r.content_type.clear();
      r.headers.push_back({"ETag", etag});
      return r;
    }
    std::optional<engine::HireStatus> view;
    if (a) {
      view = engine.status(c.params["hire"], engine.today(), a);
      if (!view)
        return c.fail(404, "not_yet_registered",
                      c.t("Den nyanställda var inte registrerad per det datumet",
                          "The hire was not registered as of that date"),
                      "parameter", "as_of");
    } else {
      auto s = readable_hire(c);
      if (auto* r = std::get_if<Response>(&s)) return *r;
      view = std::move(std::get<engine::HireStatus>(s));
    }
    Response r = json_response(200, status_json(*view));
    if (!etag.empty()) r.headers.push_back({"ETag", etag});
    return r;
  });
  add("POST", "/v1/hires/{hire}/events", [this, forbidden](Ctx& c) {
    auto s = readable_hire(c);
    if (auto* r = std::get_if<Response>(&s)) return *r;
    auto body = json_body(c);
    if (auto* r = std::get_if<Response>(&body)) return *r;
    auto ev = decode_command(std::get<json>(body), engine.today());
    if (auto* e = std::get_if<FieldError>(&ev)) return field_error(c, *e);
    auto& status = std::get<engine::HireStatus>(s);
    auto programme = engine.programme(status.hire.programme_id, status.hire.programme_version);
    if (!programme)
      return c.fail(500, "internal_error", c.t("programmet saknas", "programme missing"));
    if (auto why = engine::may_record(*c.principal, scope_of(status),
                                      std::get<engine::DomainEvent>(ev), *programme))
      return forbidden(c, record_refusal(c, *why));
    std::optional<Response> err;
    auto key = idempotency_key(c, err);
    if (err) return *err;
    auto expected = if_match(c, err);
    if (err) return *err;
    auto o = engine.execute(c.params["hire"], std::get<engine::DomainEvent>(ev),
                            {c.principal->actor(), *key, expected});
    if (o.ok() && o.hire_id != c.params["hire"])
      return c.fail(409, "idempotency_key_reused",
                    c.t("Idempotency-Key användes redan för en annan nyanställd",
                        "The Idempotency-Key was already used for another hire"),
                    "header", "Idempotency-Key");
    return command_response(c, 201, o, {{"hire", o.hire_id}});
  });
  add("POST", "/v1/hires/{hire}/corrections", [this, forbidden](Ctx& c) {
    // Authorised by the hire's identity, not its projection: correcting the
    // damaged fact is how a damaged hire is repaired.
    const std::string hire = c.params["hire"];
    std::map<std::string, std::string> munis;
    auto id = engine.identify(hire);
    if (!id || !engine::may_read_hire(*c.principal, scope_of(*id, &munis)))
      return c.fail(404, "unknown_hire",
                    std::string(c.t("Ingen nyanställd med id ", "No hire with id ")) + hire);
    const engine::HireScope scope = scope_of(*id, &munis);
    auto body = json_body(c);
    if (auto* r = std::get_if<Response>(&body)) return *r;
    auto decoded = http::decode_correction_body(std::get<json>(body));
    if (auto* e = std::get_if<FieldError>(&decoded)) return field_error(c, *e);
    const auto& cb = std::get<http::CorrectionBody>(decoded);
    std::optional<Response> err;
    auto key = idempotency_key(c, err);
    if (err) return *err;
    auto expected = if_match(c, err);
    if (err) return *err;
    // A repeat gets the first outcome before any check: the fact may have
    // been corrected or struck by someone else since.
    if (!key->empty()) {
      auto seen = engine.log().find_idempotency_key(*key);
      if (seen && seen->has_value()) {
        CommandOutcome o;
        o.kind = CommandOutcome::Kind::duplicate;
        o.hire_id = (*seen)->stream.str();
        o.version = (*seen)->last_version.value;
        o.position = (*seen)->last_position.value;
        return command_response(c, 201, o, {{"hire", o.hire_id}});
      }
    }
    auto refuse = [&](const std::string& code, std::map<std::string, std::string> args) {
      CommandOutcome o;
      o.kind = CommandOutcome::Kind::refused;
      o.refusal = workflows::Refusal{code, std::move(args)};
      return outcome_problem(c, o);
    };
    auto target = engine.correction_target(hire, cb.event);
    const std::string event = std::to_string(cb.event);
    if (!target) return refuse("correction_unknown_event", {{"event", event}, {"field", "event"}});
    if (!target->fact)
      return refuse("correction_not_a_fact",
                    {{"event", event},
                     {"type", target->type},
                     {"title_sv", workflows::event_title(target->type, Language::sv)},
                     {"title_en", workflows::event_title(target->type, Language::en)},
                     {"field", "event"}});
    if (target->retracted && !cb.retract)
      return refuse(
          "correction_target_retracted",
          {{"event", event}, {"by", std::to_string(target->superseded_by)}, {"field", "event"}});
    // Decided on the fact as it stands now; the engine refuses if another
    // correction lands before this one is written.
    engine::Correction corr{cb.event, std::nullopt, cb.reason, target->superseded_by};
    if (!cb.retract && target->current) {
      auto merged = http::merge_replacement(*target->current, cb.replacement, engine.today());
      if (auto* e = std::get_if<FieldError>(&merged)) return field_error(c, *e);
      corr.replacement = std::get<engine::DomainEvent>(merged);
    } else if (!cb.retract) {
      return refuse(
          "hire_damaged",
          {{"hire", hire},
           {"reason", cb.event == 1
                          ? c.t("registreringen kan inte läsas", "the registration cannot be read")
                          : c.t("händelsen kan inte läsas; stryk den i stället",
                                "the event cannot be read; retract it instead")}});
    }
    // Who may record the fact may correct it (admins may correct anything of
    // theirs); the fact as it will stand must be theirs to record too. An
    // unreadable fact is only an admin's to strike.
    const auto& prog = target->programme;
    std::optional<std::string> why;
    if (!prog || !target->current) {
      if (!engine::is_admin_of(*c.principal, scope.municipality)) why = "not_your_task";
    } else {
      why = engine::may_record(*c.principal, scope, *target->current, *prog);
      if (!why && corr.replacement)
        why = engine::may_record(*c.principal, scope, *corr.replacement, *prog);
      // An introducer or administrator corrects what they recorded themselves
      // (hours a previous introducer logged are the unit head's to correct).
      if (!why && !engine::recorded_by(*c.principal, target->actor)) why = "not_your_record";
    }
    if (why) return forbidden(c, record_refusal(c, *why));
    auto o = engine.correct(hire, corr, {c.principal->actor(), *key, expected});
    if (o.ok() && o.hire_id != hire)
      return c.fail(409, "idempotency_key_reused",
                    c.t("Idempotency-Key användes redan för en annan nyanställd",
                        "The Idempotency-Key was already used for another hire"),
                    "header", "Idempotency-Key");
    return command_response(
        c, 201, o, {{"hire", o.hire_id}, {cb.retract ? "retracts" : "corrects", cb.event}});
  });
  auto audit_load = [this](Ctx& c,
                           std::optional<engine::LoadedHire>& out) -> std::optional<Response> {
    auto s = readable_hire(c);
    if (auto* r = std::get_if<Response>(&s)) {
      // A damaged hire's history is what shows where it is damaged (each
      // unreadable record carries `damage`), and what to correct or retract.
      if (r->status != 409 || c.query.count("as_of")) return *r;
      out = engine.records_of(c.params["hire"]);
      if (!out) return *r;
      return std::nullopt;
    }
    std::optional<Response> err;
    auto a = as_of(c, err);
    if (err) return err;
    out = engine.load(c.params["hire"], a);
    if (!out)
      return c.fail(404, "not_yet_registered",
                    c.t("Den nyanställda var inte registrerad per det datumet",
                        "The hire was not registered as of that date"),
                    "parameter", "as_of");
    return std::nullopt;
  };
  add("GET", "/v1/hires/{hire}/history", [audit_load](Ctx& c) {
    std::optional<engine::LoadedHire> h;
    if (auto r = audit_load(c, h)) return *r;
    Response r = json_response(200, history_json(*h));
    // The whole stream's version (what If-Match takes), also for a damaged
    // hire, whose status route answers 409.
    r.headers.push_back({"ETag", "\"" + std::to_string(h->version) + "\""});
    return r;
  });
  add("GET", "/v1/hires/{hire}/export", [this, audit_load](Ctx& c) {
    const std::string format = c.query.count("format") ? c.query["format"] : "json";
    if (format != "json" && format != "csv")
      return c.fail(400, "bad_parameter",
                    c.t("format ska vara json eller csv", "format must be json or csv"),
                    "parameter", "format");
    std::optional<engine::LoadedHire> h;
    if (auto r = audit_load(c, h)) return *r;
    Response r;
    const std::string name = c.params["hire"] + "-" + iso_day(engine.today());
    if (format == "csv") {
      r.content_type = "text/csv; charset=utf-8";
      r.body = history_csv(*h);
      r.headers.push_back({"Content-Disposition", "attachment; filename=\"" + name + ".csv\""});
    } else {
      std::optional<engine::HireStatus> status;
      try {
        status = engine.status(c.params["hire"], engine.today(), engine::AsOf{engine.today()});
      } catch (const engine::HireDamaged&) {
        // A damaged hire exports its records (each unreadable one says why), no status.
      }
      json j{{"hire", c.params["hire"]},
             {"exported_at", iso_time(engine.clock().now())},
             {"exported_by", c.principal->actor()},
             {"stream_version", h->version},
             {"status", status ? status_json(*status) : json()},
             {"events", history_json(*h)}};
      if (!h->records.empty()) j["head_hash"] = storage::to_hex(h->records.back().hash);
      r.body = dump(j, 2);
      r.headers.push_back({"Content-Disposition", "attachment; filename=\"" + name + ".json\""});
    }
    return r;
  });
  add("POST", "/v1/imports", [this, forbidden](Ctx& c) {
    if (c.principal->role != AccessRole::admin)
      return forbidden(
          c, c.t("Bara en administratör får importera", "Only an admin may import hires"));
    if (auto ct = body_error(c, "text/csv"))
      return c.fail(415, "unsupported_media_type",
                    std::string(c.t("Innehållet måste vara text/csv, inte ",
                                    "The body must be text/csv, not ")) +
                        *ct,
                    "header", "Content-Type");
    if (!valid_utf8(c.req.body))
      return c.fail(415, "unsupported_media_type",
                    c.t("CSV-filen måste vara UTF-8 (spara som \"CSV UTF-8\")",
                        "The CSV file must be UTF-8 (save as \"CSV UTF-8\")"),
                    "header", "Content-Type");
    // Every row's unit must be the admin's municipality's.
    std::istringstream in(c.req.body);
    auto rep = engine::import_hires_csv(
        engine, in, c.principal->actor(), c.lang, [&](const std::string& unit) {
          return engine::is_admin_of(*c.principal, municipality_of_unit(unit));
        });
    if (!rep.file_error.empty()) return c.fail(422, "bad_csv", rep.file_error, "field", "/");
    json rows = json::array();
    for (const auto& r : rep.rows) {
      rows.push_back(
          {{"line", r.line},
           {"outcome", r.outcome == engine::ImportRow::Outcome::registered  ? "registered"
                       : r.outcome == engine::ImportRow::Outcome::duplicate ? "duplicate"
                                                                            : "rejected"},
           {"hire", r.hire_id},
           {"name", r.name},
           {"message", r.message}});
    }
    return json_response(200, json{{"registered", rep.registered},
                                   {"duplicates", rep.duplicates},
                                   {"rejected", rep.rejected},
                                   {"rows", rows}});
  });

  // -- task inboxes --
  add("GET", "/v1/tasks", [this](Ctx& c) {
    std::optional<workflows::Role> role;
    if (c.query.count("role")) {
      role = workflows::parse_role(c.query["role"]);
      if (!role)
        return c.fail(
            400, "bad_parameter",
            c.t("role ska vara EC, 1:e, FA, AD eller SJ", "role must be EC, 1:e, FA, AD or SJ"),
            "parameter", "role");
    }
    const std::string unit = c.query.count("unit") ? c.query["unit"] : "";
    const std::string hire_filter = c.query.count("hire") ? c.query["hire"] : "";
    std::string person = c.query.count("person") ? c.query["person"] : "";
    if (c.query.count("mine")) person = c.principal->email;
    // "Mine": an introducer's FA tasks, an administrator's AD tasks, a unit
    // head's EC tasks, unless a role is asked for.
    if (!role && c.query.count("mine")) {
      switch (c.principal->role) {
        case AccessRole::introducer:
          role = workflows::Role::FA;
          break;
        case AccessRole::administrator:
          role = workflows::Role::AD;
          break;
        case AccessRole::unit_head:
          role = workflows::Role::EC;
          break;
        default:
          break;
      }
    }
    // due_before / due_after: strictly before / after the date; overdue.
    std::optional<date::sys_days> due_before, due_after;
    for (auto [name, into] : {std::pair{"due_before", &due_before}, {"due_after", &due_after}}) {
      if (!c.query.count(name)) continue;
      *into = workflows::parse_date(c.query[name]);
      if (!*into)
        return c.fail(
            400, "bad_parameter",
            std::string(name) + c.t(" ska vara ett datum ÅÅÅÅ-MM-DD", " must be a date YYYY-MM-DD"),
            "parameter", name);
    }
    std::optional<Response> err;
    const std::optional<bool> overdue = flag_param(c, "overdue", err);
    if (err) return *err;
    const auto page = page_of(c, 4, err);
    if (err) return *err;
    // The order, and the cursor's fields: (due, unit, hire, the item's place
    // in the hire's programme order).
    using TaskKey = std::tuple<std::string, std::string, std::string, std::size_t>;
    std::optional<TaskKey> after;
    if (page.after) {
      const auto& f = *page.after;
      const auto index = whole_number(f[3], 6);
      // The due day's form only: a due date may lie past the value domain
      // of dates a user enters (a start in 2200 and a "4m" item).
      const bool day_form = f[0].size() == 10 && f[0][4] == '-' && f[0][7] == '-' &&
                            std::all_of(f[0].begin(), f[0].end(), [](unsigned char ch) {
                              return ch == '-' || (ch >= '0' && ch <= '9');
                            });
      if (!day_form || !engine::is_hire_id(f[2]) || !index) return bad_cursor(c);
      after = TaskKey{f[0], f[1], f[2], static_cast<std::size_t>(*index)};
    }
    std::vector<std::pair<TaskKey, json>> rows;
    const auto today = engine.today();
    std::map<std::string, std::optional<engine::UnitContacts>> units;
    std::map<std::string, std::string> munis;  // unit -> municipality
    // Only the hires the caller may read are visited (with the views, only
    // those are read at all); one hire alone when asked for.
    auto each = [&](const Listed& l) {
      if (!l.summary) return;  // damaged: its tasks cannot be known; /v1/hires says why
      const std::string& id = l.id.hire_id;
      const engine::HireSummary* s = &*l.summary;
      if (s->open_tasks.empty()) return;  // none, or left or completed
      if (!unit.empty() && s->hire.unit != unit) return;
      if (!units.count(s->hire.unit)) units[s->hire.unit] = engine.unit(s->hire.unit);
      const auto& u = units[s->hire.unit];
      // The items' texts are the programme's, not copied into each summary.
      const auto programme = engine.programme(s->hire.programme_id, s->hire.programme_version);
      for (const auto& item : s->open_tasks) {
        const std::size_t index = item.index;
        if (role && item.role != *role) continue;
        if (due_before && !(item.due < *due_before)) continue;
        if (due_after && !(item.due > *due_after)) continue;
        if (overdue && item.overdue != *overdue) continue;
        TaskKey key{iso_day(item.due), s->hire.unit, id, index};
        if (after && !(key > *after)) continue;
        std::string responsible;
        switch (item.role) {
          case workflows::Role::FA:
            responsible = s->introducer_email;
            break;
          case workflows::Role::AD:
            responsible = u ? u->administrator.email : "";
            break;
          case workflows::Role::EC:
          case workflows::Role::FirstSocialWorker:
            responsible = u ? u->unit_head.email : "";
            break;
          case workflows::Role::SJ:
            responsible = s->hire.email;
            break;
          default:
            break;
        }
        if (!person.empty()) {
          std::string a = person, b = responsible;
          std::transform(a.begin(), a.end(), a.begin(), ::tolower);
          std::transform(b.begin(), b.end(), b.begin(), ::tolower);
          if (a != b) continue;
        }
        const auto* def = programme ? programme->find_item(item.item) : nullptr;
        const auto* checklist = programme ? programme->checklist_of(item.item) : nullptr;
        rows.emplace_back(std::move(key),
                          json{{"hire", id},
                               {"hire_name", s->hire.name},
                               {"unit", s->hire.unit},
                               {"item", item.item},
                               {"text", def ? def->text : std::string()},
                               {"checklist", checklist ? checklist->id : std::string()},
                               {"role", workflows::role_code(item.role)},
                               {"responsible", responsible},
                               {"due", iso_day(item.due)},
                               {"overdue", item.overdue}});
      }
    };
    if (!hire_filter.empty()) {
      if (auto l = listed(*c.principal, hire_filter, today, munis)) each(*l);
    } else {
      visit_readable(*c.principal, unit, {}, today, [&](Listed& l) {
        each(l);
        return true;
      });
    }
    // Only the page is sorted out of the rest (partial_sort); the keys are
    // unique, so the order is total and a cursor resumes exactly after it.
    const std::size_t shown = std::min(rows.size(), page.limit);
    std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(shown), rows.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
    json j = json::array();
    for (std::size_t i = 0; i < shown; ++i) j.push_back(std::move(rows[i].second));
    Response r = json_response(200, j);
    if (rows.size() > shown) {
      const auto& [due, unit_of, hire, index] = rows[shown - 1].first;
      std::string link = "/v1/tasks?limit=" + std::to_string(page.limit) +
                         "&cursor=" + encode_cursor({due, unit_of, hire, std::to_string(index)});
      for (const char* k :
           {"role", "unit", "hire", "person", "mine", "due_before", "due_after", "overdue"})
        if (c.query.count(k)) link += std::string("&") + k + "=" + url_encode(c.query[k]);
      r.headers.push_back({"Link", "<" + link + ">; rel=\"next\""});
    }
    return r;
  });

  // -- notifications --
  // Which delivery channels a principal may see (and redeliver): e-mail with
  // the hire; a webhook only as an admin of the webhook's municipality, the
  // one who may manage it (its URL host and its answers are that admin's
  // business, not a unit head's or another municipality's). "*" webhooks are
  // the all-municipality admin's: is_admin_of(p, "*") holds for it alone.
  struct ChannelView {
    const Ctx& c;
    engine::JourneyEngine& engine;
    std::optional<std::map<std::string, std::string>> hook_municipality;  // id -> municipality
    bool operator()(const std::string& channel) {
      if (channel.rfind("webhook:", 0) != 0) return true;
      if (!hook_municipality) {
        hook_municipality.emplace();
        for (const auto& w : engine.webhooks()) (*hook_municipality)[w.id] = w.municipality;
      }
      auto it = hook_municipality->find(channel.substr(8));
      return it != hook_municipality->end() && engine::is_admin_of(*c.principal, it->second);
    }
  };
  add("GET", "/v1/notifications", [this](Ctx& c) {
    std::string outcome_filter = c.query.count("outcome") ? c.query["outcome"] : "";
    static const std::vector<std::string> known = {"",       "pending",     "delivered", "retry",
                                                   "failed", "dead_letter", "redeliver"};
    if (std::find(known.begin(), known.end(), outcome_filter) == known.end())
      return c.fail(400, "bad_parameter",
                    c.t("outcome ska vara pending, delivered, retry, failed, dead_letter eller "
                        "redeliver",
                        "outcome must be pending, delivered, retry, failed, dead_letter or "
                        "redeliver"),
                    "parameter", "outcome");
    std::optional<Response> err;
    const auto page = page_of(c, 4, err);
    if (err) return *err;
    // The order, and the cursor's fields: (unit, hire, the decision's stream
    // version, the channel's place in it); the visit order of the hires, then
    // their records' order, so rows come sorted and nothing is held back.
    using NoteKey = std::tuple<std::string, std::string, std::uint64_t, std::size_t>;
    std::optional<NoteKey> after;
    if (page.after) {
      const auto& f = *page.after;
      const auto version = whole_number(f[2], 19);
      const auto index = whole_number(f[3], 6);
      if (!engine::is_hire_id(f[1]) || !version || !index) return bad_cursor(c);
      after = NoteKey{f[0], f[1], *version, static_cast<std::size_t>(*index)};
    }
    const auto today = engine.today();
    json j = json::array();
    std::optional<NoteKey> next;  // set when the page is full and another row exists
    ChannelView shows{c, engine, std::nullopt};
    std::map<std::string, std::string> munis;  // unit -> municipality
    // The hires the caller may read, in the lists' order (unit, hire id);
    // one alone when asked for.
    auto each = [&](const Listed& l) {
      if (!l.summary) return true;
      const std::string& h = l.id.hire_id;
      if (after && std::tie(l.id.unit, h) < std::tie(std::get<0>(*after), std::get<1>(*after)))
        return true;
      std::optional<engine::LoadedHire> loaded;
      try {
        loaded = engine.load(h);
      } catch (const engine::HireDamaged&) {
        return true;
      }
      if (!loaded) return true;
      std::map<std::string, engine::DeliveryRecord> last;
      for (const auto& r : loaded->notifications)
        if (r.type == engine::kDeliveryAttempted) {
          auto d = engine::decode_delivery(r.payload);
          last[d.message_id + "\x1f" + d.channel] = d;
        }
      for (const auto& r : loaded->notifications) {
        if (r.type != engine::kNotificationDecided) continue;
        auto n = engine::decode_notification(r.payload);
        std::vector<std::string> channels = n.channels;
        if (channels.empty()) channels.push_back(n.channel);
        for (std::size_t index = 0; index < channels.size(); ++index) {
          const std::string& ch = channels[index];
          if (!shows(ch)) continue;
          NoteKey key{l.id.unit, h, r.version.value, index};
          if (after && !(key > *after)) continue;
          auto it = last.find(n.message_id + "\x1f" + ch);
          std::string outcome = it == last.end() ? "pending" : it->second.outcome;
          const bool failed =
              outcome == "rejected" || outcome == "gone" || outcome == "dead_letter";
          if (!outcome_filter.empty() &&
              !(outcome_filter == outcome || (outcome_filter == "failed" && failed)))
            continue;
          j.push_back({{"message_id", n.message_id},
                       {"channel", ch},
                       {"hire", h},
                       {"decided_at", iso_time(r.recorded_at)},
                       {"audience", n.audience},
                       {"to", n.to_email},
                       {"subject", n.subject},
                       {"outcome", outcome},
                       {"attempts", it == last.end() ? 0 : it->second.attempt},
                       {"code", it == last.end() ? 0 : it->second.code},
                       {"detail", it == last.end() ? "" : it->second.detail},
                       {"catch_up", n.catch_up}});
          if (j.size() > page.limit) {  // one row past the page: there is a next
            j.erase(j.size() - 1);
            return false;
          }
          next = std::move(key);
        }
      }
      return true;
    };
    bool full = false;  // each() found a row past the page
    if (c.query.count("hire")) {
      if (auto l = listed(*c.principal, c.query["hire"], today, munis)) full = !each(*l);
    } else {
      // From the cursor's hire on: (unit, its id less its last character) is
      // just before it in the visit order; each() skips what lies between.
      After from;
      if (after) {
        const std::string& hire = std::get<1>(*after);
        from = After{std::get<0>(*after), hire.substr(0, hire.size() - 1)};
      }
      visit_readable(*c.principal, "", from, today, [&](Listed& l) {
        full = !each(l);
        return !full;
      });
    }
    Response r = json_response(200, j);
    if (full && next) {
      const auto& [unit, hire, version, index] = *next;
      std::string link =
          "/v1/notifications?limit=" + std::to_string(page.limit) +
          "&cursor=" + encode_cursor({unit, hire, std::to_string(version), std::to_string(index)});
      for (const char* k : {"hire", "outcome"})
        if (c.query.count(k)) link += std::string("&") + k + "=" + url_encode(c.query[k]);
      r.headers.push_back({"Link", "<" + link + ">; rel=\"next\""});
    }
    return r;
  });
  add("POST", "/v1/notifications/{message}/redeliver", [this, forbidden](Ctx& c) {
    if (c.principal->role != AccessRole::admin)
      return forbidden(c,
                       c.t("Bara en administratör får skicka om", "Only an admin may redeliver"));
    // The admin must see one of the message's hires.
    bool seen = false, exists = false;
    for (const auto& h : engine.hires()) {
      std::optional<engine::LoadedHire> loaded;
      try {
        loaded = engine.load(h);
      } catch (const engine::HireDamaged&) {
        continue;  // one damaged hire must not stop redelivery for the others
      }
      if (!loaded) continue;
      for (const auto& r : loaded->notifications) {
        if (r.type != engine::kNotificationDecided) continue;
        auto n = engine::decode_notification(r.payload);
        if (n.message_id != c.params["message"]) continue;
        exists = true;
        if (may_see_message(*c.principal,
                            n.hire_ids.empty() ? std::vector<std::string>{h} : n.hire_ids))
          seen = true;
      }
      if (seen) break;  // a copy names only its own hire: look on until one may be seen
    }
    if (!exists || !seen)
      return c.fail(404, "unknown_message",
                    std::string(c.t("Inget meddelande med id ", "No message with id ")) +
                        c.params["message"]);
    if (!hooks.redeliver)
      return c.fail(503, "no_scheduler",
                    c.t("schemaläggaren körs inte", "the scheduler is not running"));
    ChannelView may{c, engine, std::nullopt};
    auto o = hooks.redeliver(c.params["message"], c.principal->actor(),
                             [&may](const std::string& ch) { return may(ch); });
    if (!o.ok())
      return c.fail(409, "not_dead_letter",
                    std::string(c.t("Meddelandet är inte en död försändelse: ",
                                    "The message is not a dead letter: ")) +
                        c.params["message"]);
    return json_response(202, json{{"message_id", c.params["message"]}, {"queued", true}});
  });

  // -- webhooks: an admin's, for their municipality's notifications; the
  //    all-municipality admin's may hear every municipality ("*") --
  auto webhook_admin = [forbidden](const Ctx& c) -> std::optional<Response> {
    if (c.principal->role == AccessRole::admin) return std::nullopt;
    return forbidden(c,
                     c.t("Webhooks hanteras av administratörer", "Webhooks are managed by admins"));
  };
  // A municipality's admin sees (and may change) their municipality's
  // endpoints only; "*" endpoints are the all-municipality admin's.
  auto sees_webhook = [](const Ctx& c, const engine::WebhookSubscription& w) {
    return engine::is_admin_of(*c.principal, w.municipality);
  };
  auto webhook_json = [](const engine::WebhookSubscription& w) {
    return json{{"id", w.id},
                {"url", w.url},
                {"municipality", w.municipality},
                {"enabled", w.enabled},
                {"fingerprints", w.secret_fingerprints},
                {"reason", w.disabled_reason}};
  };
  add("GET", "/v1/webhooks", [this, webhook_admin, sees_webhook, webhook_json](Ctx& c) {
    if (auto r = webhook_admin(c)) return *r;
    json j = json::array();
    for (const auto& w : engine.webhooks())
      if (sees_webhook(c, w)) j.push_back(webhook_json(w));
    return json_response(200, j);
  });
  auto find_webhook = [this, sees_webhook](
                          const Ctx& c,
                          const std::string& id) -> std::optional<engine::WebhookSubscription> {
    for (auto& w : engine.webhooks())
      if (w.id == id && sees_webhook(c, w)) return w;
    return std::nullopt;
  };
  add("POST", "/v1/webhooks", [this, webhook_admin, forbidden, webhook_json](Ctx& c) {
    if (auto r = webhook_admin(c)) return *r;
    auto body = json_body(c);
    if (auto* r = std::get_if<Response>(&body)) return *r;
    const json& j = std::get<json>(body);
    if (!j.is_object()) return field_error(c, FieldError::not_object("/"));
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "url" && it.key() != "municipality")
        return field_error(c, FieldError::unknown("/" + it.key()));
    if (!j.contains("url") || !j["url"].is_string())
      return field_error(c, {"/url", "is required (a string)", "måste anges (som text)"});
    const std::string url = j["url"];
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
      return field_error(c, {"/url", "must be an http:// or https:// URL",
                             "ska vara en http://- eller https://-adress"});
    // Whose notifications: by default the admin's own municipality ("*" for
    // the all-municipality admin).
    std::string municipality = c.principal->municipality;
    if (j.contains("municipality")) {
      if (!j["municipality"].is_string())
        return field_error(c, FieldError::not_string("/municipality"));
      municipality = j["municipality"];
      if (municipality != "*" && !engine::is_municipality_id(municipality))
        return field_error(c, {"/municipality", "must be a municipality id or \"*\"",
                               "ska vara en kommuns id eller \"*\""});
      if (!engine::is_admin_of(*c.principal, municipality))
        return forbidden(c, c.t("Du får bara skapa webhooks för din kommun",
                                "You may only create webhooks for your municipality"));
    }
    if (!hooks.write_secrets)
      return c.fail(503, "no_secret_store", c.t("inget hemlighetslager", "no secret store"));
    std::optional<Response> err;
    auto key = idempotency_key(c, err);
    if (err) return *err;
    if (!key->empty()) {
      auto seen = engine.log().find_idempotency_key(*key);
      if (seen && *seen)
        return c.fail(409, "webhook_already_created",
                      c.t("En webhook skapades redan med den nyckeln; hemligheten visas bara en "
                          "gång (rotera för en ny)",
                          "A webhook was already created with that key; its secret is shown only "
                          "once (rotate for a new one)"),
                      "header", "Idempotency-Key");
    }
    std::lock_guard<std::mutex> lock(webhooks_mu);
    engine::WebhookSubscription w;
    w.id = engine.fresh_webhook_id();
    w.url = url;
    w.municipality = municipality;
    const std::string secret = adapters::generate_secret();
    w.secret_fingerprints = {adapters::secret_fingerprint(secret)};
    // The secret file first: a subscription in the log always has its secret.
    hooks.write_secrets(w.id, {secret});
    auto o = engine.set_webhook(w, {c.principal->actor(), *key, std::nullopt});
    if (!o.ok()) hooks.write_secrets(w.id, {});
    auto extra = webhook_json(w);
    extra["secret"] = secret;
    return command_response(c, 201, o, extra);
  });
  auto webhook_change = [this, webhook_admin, webhook_json, find_webhook](Ctx& c,
                                                                          const std::string& op) {
    if (auto r = webhook_admin(c)) return *r;
    std::lock_guard<std::mutex> lock(webhooks_mu);
    auto w = find_webhook(c, c.params["webhook"]);
    if (!w)
      return c.fail(
          404, "unknown_webhook",
          std::string(c.t("Ingen webhook med id ", "No webhook with id ")) + c.params["webhook"]);
    json extra;
    if (op == "rotate") {
      const std::string secret = adapters::generate_secret();
      auto secrets = hooks.read_secrets ? hooks.read_secrets(w->id) : std::vector<std::string>{};
      secrets.insert(secrets.begin(), secret);
      hooks.write_secrets(w->id, secrets);
      w->secret_fingerprints.insert(w->secret_fingerprints.begin(),
                                    adapters::secret_fingerprint(secret));
      extra["secret"] = secret;
    } else if (op == "retire-old") {
      auto secrets = hooks.read_secrets ? hooks.read_secrets(w->id) : std::vector<std::string>{};
      if (secrets.size() > 1) secrets.resize(1);
      hooks.write_secrets(w->id, secrets);
      if (w->secret_fingerprints.size() > 1) w->secret_fingerprints.resize(1);
    } else {
      w->enabled = false;
      w->disabled_reason = "disabled by " + c.principal->actor();
    }
    auto o = engine.set_webhook(*w, {c.principal->actor(), "", std::nullopt});
    json j = webhook_json(*w);
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    return command_response(c, 200, o, j);
  };
  add("POST", "/v1/webhooks/{webhook}/rotate",
      [webhook_change](Ctx& c) { return webhook_change(c, "rotate"); });
  add("POST", "/v1/webhooks/{webhook}/retire-old",
      [webhook_change](Ctx& c) { return webhook_change(c, "retire-old"); });
  add("POST", "/v1/webhooks/{webhook}/disable",
      [webhook_change](Ctx& c) { return webhook_change(c, "disable"); });

  // -- simulation: what the scheduler would send, in virtual time (no data touched) --
  add("POST", "/v1/simulations", [this](Ctx& c) {
    // CPU for seconds: for those who plan (admins, unit heads), two at a time.
    if (c.principal->role != AccessRole::admin && c.principal->role != AccessRole::unit_head)
      return c.fail(403, "forbidden",
                    c.t("Simuleringen är till för administratörer och enhetschefer",
                        "Simulations are for admins and unit heads"));
    struct Slot {
      std::atomic<int>& n;
      bool ok;
      explicit Slot(std::atomic<int>& c) : n(c), ok(++c <= 2) {}
      ~Slot() { --n; }
    } slot(simulations_running);
    if (!slot.ok) {
      Response r = c.fail(429, "rate_limited",
                          c.t("Två simuleringar körs redan; försök igen strax",
                              "Two simulations are already running; try again shortly"));
      r.headers.push_back({"Retry-After", "5"});
      return r;
    }
    auto body = json_body(c);
    if (auto* r = std::get_if<Response>(&body)) return *r;
    const json& j = std::get<json>(body);
    if (!j.is_object()) return field_error(c, FieldError::not_object("/"));
    engine::SimulationConfig cfg;
    cfg.hires = 10;
    cfg.days = 365;
    cfg.first_day = engine.today() + (date::Monday - date::weekday(engine.today()));
    int send_hour = 8;
    bool summary_only = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const std::string ptr = "/" + k;
      auto integer = [&](int lo, int hi) -> std::optional<int> {
        if (!it->is_number_integer() || it->get<std::int64_t>() < lo ||
            it->get<std::int64_t>() > hi)
          return std::nullopt;
        return it->get<int>();
      };
      auto share = [&]() -> std::optional<double> {
        if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1) return std::nullopt;
        return it->get<double>();
      };
      if (k == "hires") {
        auto v = integer(1, 200);
        if (!v)
          return field_error(
              c, {ptr, "must be an integer from 1 to 200", "ska vara ett heltal från 1 till 200"});
        cfg.hires = *v;
      } else if (k == "units") {
        auto v = integer(1, 100);
        if (!v)
          return field_error(
              c, {ptr, "must be an integer from 1 to 100", "ska vara ett heltal från 1 till 100"});
        cfg.units = *v;
      } else if (k == "days") {
        auto v = integer(1, 1095);
        if (!v)
          return field_error(c, {ptr, "must be an integer from 1 to 1095",
                                 "ska vara ett heltal från 1 till 1095"});
        cfg.days = *v;
      } else if (k == "seed") {
        auto v = integer(0, 1 << 30);
        if (!v)
          return field_error(c, {ptr, "must be a non-negative integer",
                                 "ska vara ett heltal som inte är negativt"});
        cfg.seed = static_cast<std::uint64_t>(*v);
      } else if (k == "send_hour") {
        auto v = integer(0, 16);
        if (!v)
          return field_error(
              c, {ptr, "must be an hour from 0 to 16", "ska vara en timme från 0 till 16"});
        send_hour = *v;
      } else if (k == "late" || k == "never") {
        auto v = share();
        if (!v)
          return field_error(
              c, {ptr, "must be a number from 0 to 1", "ska vara ett tal från 0 till 1"});
        (k == "late" ? cfg.late_share : cfg.never_share) = *v;
      } else if (k == "from") {
        auto d = it->is_string() ? workflows::parse_date(it->get<std::string>()) : std::nullopt;
        if (!d) return field_error(c, FieldError::not_date(ptr));
        cfg.first_day = *d;
      } else if (k == "summary") {
        if (!it->is_boolean()) return field_error(c, FieldError::not_boolean(ptr));
        summary_only = it->get<bool>();
      } else {
        return field_error(c, FieldError::unknown(ptr));
      }
    }
    auto programme = engine.programme("gr-forsta-aren", std::nullopt);
    if (!programme)
      return c.fail(503, "no_programme",
                    c.t("gr-forsta-aren är inte publicerat", "gr-forsta-aren is not published"));
    static const engine::Templates templates = engine::Templates::load(JOURNEY_TEMPLATES_DIR);
    const engine::MunicipalTime municipal{std::chrono::minutes(std::chrono::hours(send_hour))};
    json messages = json::array();
    auto summary = engine::simulate(
        *programme, templates, municipal, cfg, [&](const engine::SimulatedNotification& n) {
          if (summary_only || messages.size() >= 5000) return;
          messages.push_back({{"date", iso_day(n.date)},
                              {"send_at", iso_time(n.send_at)},
                              {"to", n.to.email},
                              {"audience", engine::audience_id(n.to.audience)},
                              {"subject", n.subject},
                              {"message_id", n.message_id},
                              {"reminders", n.reminders.size()}});
        });
    json out{{"hires", summary.hires},
             {"events", summary.events},
             {"reminders", summary.reminders},
             {"messages", summary.messages},
             {"by_kind", summary.by_kind},
             {"by_audience", summary.by_audience},
             {"unresolved", summary.unresolved},
             {"weekend_or_holiday_sends", summary.weekend_or_holiday_sends}};
    if (!summary_only) out["sent"] = messages;
    return json_response(200, out);
  });

  // -- programmes --
  add("GET", "/v1/programmes", [this](Ctx&) {
    json j = json::array();
    for (const auto& p : engine.programmes())
      j.push_back({{"id", p.id}, {"version", p.version}, {"name", p.name}, {"sha256", p.sha256}});
    return json_response(200, j);
  });
  add("POST", "/v1/programmes", [this, forbidden](Ctx& c) {
    if (!(c.principal->role == AccessRole::admin && c.principal->all_municipalities()))
      return forbidden(c, c.t("Bara administratören för alla kommuner får publicera program",
                              "Only the all-municipality admin may publish programmes"));
    if (auto ct = body_error(c, "application/toml"))
      return c.fail(415, "unsupported_media_type",
                    std::string(c.t("Innehållet måste vara application/toml, inte ",
                                    "The body must be application/toml, not ")) +
                        *ct,
                    "header", "Content-Type");
    auto o = engine.publish_programme(c.req.body, "http", c.principal->actor());
    if (!o.ok() && o.refusal && o.refusal->code == "programme_invalid")
      return c.fail(422, "programme_invalid", o.message(c.lang), "field", "/");
    return command_response(c, 201, o);
  });
  add("GET", "/v1/programmes/{programme}/versions/{version}", [this](Ctx& c) {
    const std::string& v = c.params["version"];
    const auto parsed = whole_number(v, 6);
    if (!parsed)
      return c.fail(400, "bad_parameter",
                    c.t("version ska vara ett heltal", "version must be an integer"), "parameter",
                    "version");
    const int version = static_cast<int>(*parsed);
    auto p = engine.programme(c.params["programme"], version);
    if (!p)
      return c.fail(
          404, "unknown_programme",
          std::string(c.t("Inget program ", "No programme ")) + c.params["programme"] + " v" + v);
    json items = json::array();
    for (const auto& cl : p->checklists)
      for (const auto& i : cl.items)
        items.push_back({{"id", i.id},
                         {"text", i.text},
                         {"checklist", cl.id},
                         {"part", workflows::part_id(cl.part)},
                         {"role", workflows::role_code(i.role)},
                         {"due", i.due.str()},
                         {"waived_if_experienced", i.waived_if_experienced}});
    json deadlines = json::array();
    for (const auto& d : p->deadlines)
      deadlines.push_back({{"id", d.id},
                           {"title", d.title},
                           {"part", workflows::part_id(d.part)},
                           {"due", d.due.str()}});
    return json_response(200, json{{"id", p->id},
                                   {"version", p->version},
                                   {"name", p->name},
                                   {"source", p->source},
                                   {"items", items},
                                   {"deadlines", deadlines}});
  });

  // -- tokens --
  auto principal_json = [](const Principal& p) {
    return json{
        {"token_id", p.token_id}, {"role", engine::access_role_id(p.role)}, {"name", p.name},
        {"email", p.email},       {"municipality", p.municipality},         {"units", p.units},
        {"revoked", p.revoked}};
  };
  add("GET", "/v1/tokens", [this, forbidden, principal_json](Ctx& c) {
    if (c.principal->role != AccessRole::admin)
      return forbidden(c, c.t("Bara en administratör ser tokens", "Only an admin sees tokens"));
    json j = json::array();
    for (const auto& p : tokens.list())
      if (c.principal->all_municipalities() || p.municipality == c.principal->municipality)
        j.push_back(principal_json(p));
    return json_response(200, j);
  });
  add("POST", "/v1/tokens", [this, forbidden, principal_json](Ctx& c) {
    if (c.principal->role != AccessRole::admin)
      return forbidden(c,
                       c.t("Bara en administratör skapar tokens", "Only an admin creates tokens"));
    auto body = json_body(c);
    if (auto* r = std::get_if<Response>(&body)) return *r;
    const json& j = std::get<json>(body);
    if (!j.is_object()) return field_error(c, FieldError::not_object("/"));
    Principal spec;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if (k == "units") {
        if (!it->is_array())
          return field_error(
              c, {"/units", "must be an array of strings", "ska vara en lista med textsträngar"});
        for (const auto& u : *it) {
          if (!u.is_string())
            return field_error(
                c, {"/units", "must be an array of strings", "ska vara en lista med textsträngar"});
          spec.units.push_back(u.get<std::string>());
        }
      } else if (k == "role" || k == "name" || k == "email" || k == "municipality") {
        if (!it->is_string()) return field_error(c, FieldError::not_string("/" + k));
        const std::string v = *it;
        if (k == "role") {
          auto r = engine::parse_access_role(v);
          if (!r)
            return field_error(
                c, {"/role", "must be admin, unit_head, administrator, introducer or auditor",
                    "ska vara admin, unit_head, administrator, introducer eller auditor"});
          spec.role = *r;
        } else if (k == "name") {
          spec.name = v;
        } else if (k == "email") {
          spec.email = v;
        } else {
          spec.municipality = v;
        }
      } else {
        return field_error(c, FieldError::unknown("/" + k));
      }
    }
    if (!j.contains("role")) return field_error(c, FieldError::required("/role"));
    if (spec.municipality.empty()) spec.municipality = c.principal->municipality;
    if (!engine::is_admin_of(*c.principal, spec.municipality) ||
        (spec.municipality == "*" && !c.principal->all_municipalities()))
      return forbidden(c, c.t("Du får bara skapa tokens i din egen kommun",
                              "You may only create tokens in your own municipality"));
    std::optional<Response> err;
    auto key = idempotency_key(c, err);
    if (err) return *err;
    auto issued = tokens.issue(spec, {c.principal->actor(), *key, std::nullopt});
    if (!issued.outcome.ok()) return outcome_problem(c, issued.outcome);
    json out = principal_json(issued.principal);
    out["token"] = issued.token;
    return json_response(201, out);
  });
  add("DELETE", "/v1/tokens/{token}", [this, forbidden](Ctx& c) {
    if (c.principal->role != AccessRole::admin)
      return forbidden(
          c, c.t("Bara en administratör återkallar tokens", "Only an admin revokes tokens"));
    std::optional<Principal> target;
    for (const auto& p : tokens.list())
      if (p.token_id == c.params["token"]) target = p;
    if (!target ||
        !engine::is_admin_of(
            *c.principal, target->municipality == "*" ? std::string("*") : target->municipality) ||
        (target->municipality == "*" && !c.principal->all_municipalities()))
      return c.fail(
          404, "unknown_token",
          std::string(c.t("Ingen token med id ", "No token with id ")) + c.params["token"]);
    auto o = tokens.revoke(target->token_id, {c.principal->actor(), "", std::nullopt});
    if (!o.ok()) return outcome_problem(c, o);
    return json_response(200, json{{"token_id", target->token_id}, {"revoked", true}});
  });

  // -- audit --
  // A consistent backup of the log while journeyd runs, into a new folder
  // under the configured backups folder (never a path from the request).
  add("POST", "/v1/backups", [this, forbidden](Ctx& c) {
    if (!(c.principal->role == AccessRole::admin && c.principal->all_municipalities()))
      return forbidden(c, c.t("Bara en administratör för alla kommuner tar säkerhetskopior",
                              "Only an all-municipality admin takes backups"));
    if (hooks.backups_dir.empty())
      return c.fail(
          503, "no_backups",
          c.t("Ingen mapp för säkerhetskopior är inställd", "No backups folder is configured"));
    const auto now = engine.clock().now();
    const std::string name =
        date::format("%Y%m%dT%H%M%SZ", std::chrono::time_point_cast<std::chrono::seconds>(now)) +
        "-" + std::to_string(engine.log().head().value);
    std::error_code ec;
    std::filesystem::create_directories(hooks.backups_dir, ec);
    auto r = engine.log().backup(std::filesystem::path(hooks.backups_dir) / name);
    if (!r) {
      const int status = r.error().code == storage::ErrorCode::no_space ? 507 : 500;
      return c.fail(status, status == 507 ? "storage_full" : "storage_error", r.error().message);
    }
    return json_response(
        201, json{{"backup", name}, {"path", r->dir.string()}, {"position", r->position.value}});
  });
  add("GET", "/v1/audit/verify", [this, forbidden](Ctx& c) {
    if (c.principal->role != AccessRole::admin && c.principal->role != AccessRole::auditor)
      return forbidden(c, c.t("Bara revisorer och administratörer verifierar loggen",
                              "Only auditors and admins verify the log"));
    auto r = engine.log().verify();
    if (!r) return c.fail(500, "storage_error", r.error().message);
    return json_response(r->ok() ? 200 : 409, verify_json(*r));
  });
}

}  // namespace journey::http
