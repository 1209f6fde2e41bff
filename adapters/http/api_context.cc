// What the handlers of every resource share (api_routes.h): reading the hires
// a principal may see, and turning request parts into values and command
// outcomes into answers.
#include <algorithm>
#include <set>

#include "api_routes.h"

namespace journey::http {

// ---- values in and out -------------------------------------------------------

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

std::optional<std::uint64_t> whole_number(const std::string& v, std::size_t max_digits) {
  if (v.empty() || v.size() > max_digits || max_digits > 19 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char ch) { return ch >= '0' && ch <= '9'; }))
    return std::nullopt;
  return std::stoull(v);
}

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

std::string dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// ---- answers -----------------------------------------------------------------

Response json_response(int status, const json& j) {
  Response r;
  r.status = status;
  r.body = dump(j);
  return r;
}

Response forbidden(const Ctx& c, const std::string& why) { return c.fail(403, "forbidden", why); }

std::optional<std::string> body_error(const Ctx& c, const char* type) {
  auto it = c.req.headers.find("Content-Type");
  if (it == c.req.headers.end()) return std::string("missing");
  std::string ct = it->second.substr(0, it->second.find(';'));
  ct.erase(std::remove(ct.begin(), ct.end(), ' '), ct.end());
  std::transform(ct.begin(), ct.end(), ct.begin(), ::tolower);
  if (ct != type) return ct;
  return std::nullopt;
}

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
      return c.fail(
          400, "malformed_json",
          std::string(c.t("Ogiltig JSON: ", "Malformed JSON: ")) + e->text(c.lang == Language::sv),
          "field", "/");
    return field_error(c, *e);
  }
  return std::get<json>(parsed);
}

Response field_error(const Ctx& c, const FieldError& e) {
  return c.fail(422, "invalid_field", e.field + " " + e.text(c.lang == Language::sv), "field",
                e.field);
}

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
      if (code == "unknown_hire" || code == "unknown_token") return c.fail(404, code, msg);
      if (code.rfind("forbidden_", 0) == 0) return forbidden(c, msg);
      if (code.rfind("field_", 0) == 0) {
        std::string field;
        if (o.refusal && o.refusal->args.count("field")) field = "/" + o.refusal->args.at("field");
        return c.fail(422, code, msg, field.empty() ? "" : "field", field);
      }
      // Every refusal that concerns one field names it (the kind of
      // command itself, for a step the journey's state does not allow).
      std::string field;
      if (o.refusal && o.refusal->args.count("field")) field = "/" + o.refusal->args.at("field");
      const int status =
          code == "unknown_unit" || code == "unknown_municipality" || code == "unknown_programme" ||
                  code == "unknown_item" || code == "correction_unknown_event" ||
                  code == "correction_not_a_fact" || code == "correction_type_mismatch" ||
                  code == "correction_unchanged" || code == "correction_field_fixed" ||
                  code == "registration_cannot_be_retracted"
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

Response refusal_problem(const Ctx& c, const engine::Refusal& r) {
  return outcome_problem(c, engine::refused(r.code, r.args));
}

Response command_response(const Ctx& c, int status, const CommandOutcome& o, json extra) {
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

// ---- lists -------------------------------------------------------------------

Response bad_cursor(const Ctx& c) {
  return c.fail(400, "bad_parameter",
                c.t("cursor är inte en markör som den här tjänsten har lämnat ut",
                    "cursor is not a cursor this service handed out"),
                "parameter", "cursor");
}

Page page_of(const Ctx& c, std::size_t fields, std::optional<Response>& error,
             std::size_t default_limit) {
  Page page;
  page.limit = default_limit;
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

std::string next_link(const Ctx& c, const std::string& path, std::size_t limit,
                      const std::vector<std::string>& cursor,
                      std::initializer_list<const char*> keep) {
  std::string link = path + "?limit=" + std::to_string(limit) + "&cursor=" + encode_cursor(cursor);
  for (const char* k : keep)
    if (auto it = c.query.find(k); it != c.query.end())
      link += std::string("&") + k + "=" + url_encode(it->second);
  return "<" + link + ">; rel=\"next\"";
}

std::optional<bool> flag_param(const Ctx& c, const char* name, std::optional<Response>& error) {
  auto it = c.query.find(name);
  if (it == c.query.end()) return std::nullopt;
  if (it->second != "true" && it->second != "false") {
    error = c.fail(400, "bad_parameter",
                   std::string(name) + c.t(" ska vara true eller false", " must be true or false"),
                   "parameter", name);
    return std::nullopt;
  }
  return it->second == "true";
}

// ---- the hires a principal may read ------------------------------------------

namespace {

bool past(const After& after, const std::string& unit, const std::string& hire) {
  return after.first.empty() && after.second.empty() ? true : After{unit, hire} > after;
}

void sort_in_list_order(std::vector<Listed>& v) {
  std::sort(v.begin(), v.end(), [](const Listed& a, const Listed& b) {
    return std::tie(a.id.unit, a.id.hire_id) < std::tie(b.id.unit, b.id.hire_id);
  });
}

}  // namespace

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

bool ApiContext::unit_has_hires(const std::string& unit) {
  if (hooks.views) {
    try {
      hooks.views->apply();  // a hire registered just before is in the index
      bool any = false;
      hooks.views->scan_unit(unit, "", [&](const std::string&, const std::string&) {
        any = true;
        return false;
      });
      return any;
    } catch (const std::exception&) {
      // The views cannot be read or written (a full disk): ask the log.
    }
  }
  return engine::any_hire_in_unit(engine, unit);
}

std::string ApiContext::municipality_of_unit(const std::string& unit) {
  auto u = engine.unit(unit);
  return u ? u->municipality : engine::kDefaultMunicipality;
}

engine::HireScope ApiContext::scope_of(const workflows::HireRegistered& hire,
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

engine::HireScope ApiContext::scope_of(const engine::HireStatus& s,
                                       std::map<std::string, std::string>* seen) {
  return scope_of(s.hire, s.introducer ? s.introducer->introducer.email : std::string(), seen);
}

engine::HireScope ApiContext::scope_of(const engine::HireSummary& s,
                                       std::map<std::string, std::string>* seen) {
  return scope_of(s.hire, s.introducer_email, seen);
}

engine::HireScope ApiContext::scope_of(const engine::HireIdentity& id,
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

std::optional<Listed> ApiContext::listed(const Principal& p, const std::string& hire_id,
                                         date::sys_days today,
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

std::optional<Listed> ApiContext::listed_view(const Principal& p, engine::HireView v,
                                              std::map<std::string, std::string>& munis) {
  if (!engine::may_read_hire(p, scope_of(v.id, &munis))) return std::nullopt;
  if (v.summary && !engine::may_read_hire(p, scope_of(*v.summary, &munis))) return std::nullopt;
  return Listed{std::move(v.id), std::move(v.summary), std::move(v.damage)};
}

void ApiContext::visit_readable(const Principal& p, const std::string& unit_filter,
                                const After& after, date::sys_days today,
                                const std::function<bool(Listed&)>& f, const std::string& state) {
  bool indexed = hooks.views != nullptr;
  if (indexed) {
    try {
      hooks.views->apply();  // the index holds every hire committed before this read
    } catch (const std::exception&) {
      indexed = false;  // e.g. a full disk: the index may lack the newest; replay instead
    }
  }
  if (indexed)
    visit_indexed(p, unit_filter, after, today, f, state);
  else
    visit_replayed(p, unit_filter, after, today, f);
}

void ApiContext::visit_replayed(const Principal& p, const std::string& unit_filter,
                                const After& after, date::sys_days today,
                                const std::function<bool(Listed&)>& f) {
  std::map<std::string, std::string> munis;
  std::vector<Listed> all;
  for (const auto& id : engine.hires()) {
    auto l = listed(p, id, today, munis);
    if (l && (unit_filter.empty() || l->id.unit == unit_filter) &&
        past(after, l->id.unit, l->id.hire_id))
      all.push_back(std::move(*l));
  }
  sort_in_list_order(all);
  for (auto& l : all)
    if (!f(l)) return;
}

void ApiContext::visit_indexed(const Principal& p, const std::string& unit_filter,
                               const After& after, date::sys_days today,
                               const std::function<bool(Listed&)>& f, const std::string& state) {
  engine::HireViews& views = *hooks.views;
  std::map<std::string, std::string> munis;
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
               ? engine::HireViews::list_key(state, unit, after.second)
               : std::string();
  };
  auto scan_unit = [&](const std::string& unit) {
    views.scan_unit(
        unit, unit_after(unit),
        [&](const std::string& hire, const std::string&) { return visit(unit, hire); }, state);
  };
  if (!unit_filter.empty()) {
    if (unit_filter >= after.first) scan_unit(unit_filter);
    return;
  }
  auto walk = unit_walk(p, munis);
  if (!walk) {
    visit_introduced(p, after, today, munis, f);
    return;
  }
  if (walk->units) {
    for (const auto& u : *walk->units)
      if (go_on && u >= after.first) scan_unit(u);
    return;
  }
  const std::string from = after.first.empty() && after.second.empty()
                               ? std::string()
                               : engine::HireViews::list_key(state, after.first, after.second);
  views.scan_all(
      from, walk->skip,
      [&](const std::string& hire, const std::string&, const std::string& unit) {
        return visit(unit, hire);
      },
      state);
}

std::optional<ApiContext::UnitWalk> ApiContext::unit_walk(
    const Principal& p, std::map<std::string, std::string>& munis) {
  switch (p.role) {
    case AccessRole::unit_head:
    case AccessRole::administrator: {
      std::vector<std::string> units = p.units;
      std::sort(units.begin(), units.end());
      units.erase(std::unique(units.begin(), units.end()), units.end());  // each once
      return UnitWalk{std::move(units), nullptr};
    }
    case AccessRole::introducer:
      return std::nullopt;
    default:
      // admin, auditor: their municipality's units, another's passed over
      // whole. A hire whose unit cannot be read ("") only "*" sees.
      return UnitWalk{std::nullopt, [this, &p, &munis](const std::string& unit) {
                        if (p.all_municipalities()) return false;
                        if (unit.empty()) return true;
                        auto it = munis.find(unit);
                        if (it == munis.end())
                          it = munis.emplace(unit, municipality_of_unit(unit)).first;
                        return !engine::sees_municipality(p, it->second);
                      }};
  }
}

std::optional<std::vector<engine::NotificationRow>> ApiContext::notification_rows(
    const std::string& hire, date::sys_days today) {
  if (hooks.views) {
    try {
      auto notes = hooks.views->notifications(hire, today);
      if (!notes) return std::nullopt;
      return std::move(notes->rows);
    } catch (const engine::HireDamaged&) {
      return std::nullopt;
    } catch (const std::exception&) {
      // The views cannot be read (a full disk, a damaged store): the log's answer.
    }
  }
  std::optional<engine::LoadedHire> loaded;
  try {
    loaded = engine.load(hire);
  } catch (const engine::HireDamaged&) {
    return std::nullopt;
  }
  if (!loaded) return std::nullopt;
  std::string damage;  // rows of what decodes; a record that does not is passed over
  return engine::notification_rows(loaded->notifications, damage);
}

// Few hires each: gathered, then put in the lists' order.
void ApiContext::visit_introduced(const Principal& p, const After& after, date::sys_days today,
                                  std::map<std::string, std::string>& munis,
                                  const std::function<bool(Listed&)>& f) {
  engine::HireViews& views = *hooks.views;
  std::vector<Listed> mine;
  views.scan_introducer(p.email, "", [&](const std::string& hire, const std::string&) {
    auto v = views.get(hire, today);
    if (!v) return true;
    auto l = listed_view(p, std::move(*v), munis);
    if (l && past(after, l->id.unit, l->id.hire_id)) mine.push_back(std::move(*l));
    return true;
  });
  sort_in_list_order(mine);
  for (auto& l : mine)
    if (!f(l)) return;
}

std::size_t ApiContext::damaged_hire_count(bool& views_readable) {
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

Response unknown_hire(const Ctx& c, const std::string& id) {
  return c.fail(404, "unknown_hire",
                std::string(c.t("Ingen nyanställd med id ", "No hire with id ")) + id);
}

std::variant<engine::HireSummary, Response> ApiContext::readable_summary(Ctx& c) {
  const std::string& id = c.params["hire"];
  std::map<std::string, std::string> munis;
  auto l = listed(*c.principal, id, engine.today(), munis);
  if (!l) return unknown_hire(c, id);
  if (!l->summary) return damaged_problem(c, id, l->damage);
  return std::move(*l->summary);
}

std::optional<Response> ApiContext::unreadable_hire(Ctx& c) {
  auto s = readable_summary(c);
  if (auto* r = std::get_if<Response>(&s)) return std::move(*r);
  return std::nullopt;
}

std::variant<engine::HireStatus, Response> ApiContext::readable_hire(Ctx& c) {
  if (auto r = unreadable_hire(c)) return *r;
  return project_readable(c);
}

std::variant<engine::HireStatus, Response> ApiContext::project_readable(Ctx& c) {
  const std::string& id = c.params["hire"];
  std::map<std::string, std::string> munis;
  try {
    auto s = engine.status(id, engine.today());
    // Asked again of the whole status, in case a command moved the hire since.
    if (s && engine::may_read_hire(*c.principal, scope_of(*s, &munis))) return std::move(*s);
  } catch (const engine::HireDamaged& e) {
    return damaged_problem(c, id, e.what());
  }
  return unknown_hire(c, id);
}

bool ApiContext::may_see_message(const Principal& p, const std::vector<std::string>& hire_ids) {
  std::map<std::string, std::string> munis;
  for (const auto& h : hire_ids)
    if (listed(p, h, engine.today(), munis)) return true;
  return false;
}

std::optional<std::string> StatusBytes::get(const std::string& hire, std::uint64_t version,
                                            std::uint32_t day) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_hire_.find(hire);
  if (it == by_hire_.end() || it->second->version != version || it->second->day != day)
    return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->body;
}

void StatusBytes::put(const std::string& hire, std::uint64_t version, std::uint32_t day,
                      std::string body) {
  if (body.size() > limit_ / 4) return;  // one hire never crowds out the rest
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_hire_.find(hire); it != by_hire_.end()) {
    // Only ever forward: a slow reader's older bytes do not replace newer ones.
    if (it->second->version > version || it->second->day > day) return;
    bytes_ -= it->second->body.size();
    lru_.erase(it->second);
    by_hire_.erase(it);
  }
  bytes_ += body.size();
  lru_.push_front(Entry{hire, version, day, std::move(body)});
  by_hire_[hire] = lru_.begin();
  while (bytes_ > limit_ && !lru_.empty()) {
    bytes_ -= lru_.back().body.size();
    by_hire_.erase(lru_.back().hire);
    lru_.pop_back();
  }
}

}  // namespace journey::http
