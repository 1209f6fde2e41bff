// Hires: the paged list a principal may read, registration, and one hire's
// status with its day-stamped ETag.
#include <algorithm>

#include "api_routes.h"

namespace journey::http {

namespace {

// What GET /v1/hires leaves out.
struct HireFilter {
  std::string state;
  // q: a name search (engine::name_matches), or the start of a hire id
  // ("hire-3f9a").
  std::string q;
  bool overdue_only = false;
};

json damaged_json(const engine::HireIdentity& id, const std::string& why) {
  return json{
      {"hire", id.hire_id},     {"name", id.name}, {"unit", id.unit},        {"start", ""},
      {"lifecycle", "Damaged"}, {"overdue", 0},    {"parts", json::array()}, {"damaged", true},
      {"damage", why}};
}

// The next thing to do and who answers for it: the open task due first
// (programme order among those due the same day); null when none is open.
json next_task(const engine::HireSummary& s, const std::optional<engine::UnitContacts>& unit) {
  const engine::OpenTask* first = nullptr;
  for (const auto& t : s.open_tasks)
    if (!first || t.due < first->due) first = &t;
  if (!first) return nullptr;
  return json{{"item", first->item},
              {"role", workflows::role_code(first->role)},
              {"responsible", responsible_for(first->role, s, unit)},
              {"due", iso_day(first->due)},
              {"overdue", first->overdue}};
}

// The row of one hire, or null when the filters leave it out. `unit`: the
// contacts of the hire's unit (who answers for its next task).
json hire_row(const Listed& l, const HireFilter& f,
              const std::function<const std::optional<engine::UnitContacts>&()>& unit) {
  if (!f.q.empty() && !(f.q.rfind("hire-", 0) == 0 && l.id.hire_id.rfind(f.q, 0) == 0) &&
      !engine::name_matches(l.summary ? l.summary->hire.name : l.id.name, f.q)) {
    return nullptr;
  }
  if (!l.summary) {
    // Damaged: shown (it needs someone's attention) unless a filter it
    // cannot be matched against asks for something else.
    if (f.state.empty() || f.state == "Damaged") return damaged_json(l.id, l.damage);
    return nullptr;
  }
  const engine::HireSummary* s = &*l.summary;
  if (!f.state.empty() && s->lifecycle != f.state) return nullptr;
  const int overdue = s->overdue;
  if (f.overdue_only && overdue == 0) return nullptr;
  json row{{"hire", l.id.hire_id},      {"name", s->hire.name},
           {"unit", s->hire.unit},      {"start", iso_day(s->hire.start)},
           {"lifecycle", s->lifecycle}, {"overdue", overdue}};
  if (s->next_deadline)
    row["next_deadline"] = {{"id", s->next_deadline->id},
                            {"title", s->next_deadline->title},
                            {"due", iso_day(s->next_deadline->due)}};
  if (json next = next_task(*s, unit()); !next.is_null()) row["next_task"] = std::move(next);
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
}

Response list_hires(ApiContext& api, Ctx& c) {
  const std::string unit = c.query.count("unit") ? c.query["unit"] : "";
  HireFilter filter;
  filter.state = c.query.count("state") ? c.query["state"] : "";
  static const std::vector<std::string> states = {"",          "Preboarding", "Active", "OnLeave",
                                                  "Completed", "Left",        "Damaged"};
  if (std::find(states.begin(), states.end(), filter.state) == states.end())
    return c.fail(400, "bad_parameter",
                  c.t("state ska vara Preboarding, Active, OnLeave, Completed, Left eller Damaged",
                      "state must be Preboarding, Active, OnLeave, Completed, Left or Damaged"),
                  "parameter", "state");
  filter.q = c.query.count("q") ? c.query["q"] : "";
  if (auto bad = workflows::check_name(filter.q, false)) {
    return c.fail(400, "bad_parameter", "q " + bad->text(c.lang), "parameter", "q");
  }
  std::optional<Response> err;
  filter.overdue_only = flag_param(c, "overdue", err).value_or(false);
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
  std::map<std::string, std::optional<engine::UnitContacts>> contacts;  // by unit, once a request
  std::optional<After> next;  // set when the page is full and more may follow
  After last;                 // the sort key of the last row: (identity's unit, hire)
  api.visit_readable(
      *c.principal, unit, after, api.engine.today(),
      [&](Listed& l) {
        json row = hire_row(l, filter, [&]() -> const std::optional<engine::UnitContacts>& {
          auto it = contacts.find(l.id.unit);
          if (it == contacts.end())
            it = contacts.emplace(l.id.unit, api.engine.unit(l.id.unit)).first;
          return it->second;
        });
        if (row.is_null()) return true;
        if (j.size() == limit) {
          next = last;  // a row beyond this page exists
          return false;
        }
        j.push_back(std::move(row));
        last = After{l.id.unit, l.id.hire_id};
        return true;
      },
      filter.state);
  Response r = json_response(200, j);
  if (next)
    r.headers.push_back({"Link", next_link(c, "/v1/hires", limit, {next->first, next->second},
                                           {"unit", "state", "overdue", "q"})});
  return r;
}

Response register_hire(ApiContext& api, Ctx& c) {
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  auto reg = decode_register(std::get<json>(body));
  if (auto* e = std::get_if<FieldError>(&reg)) return field_error(c, *e);
  auto& cmd = std::get<engine::RegisterHire>(reg);
  const std::string muni = api.municipality_of_unit(cmd.unit);
  if (!engine::may_register_hire(*c.principal, cmd.unit, muni))
    return forbidden(c, std::string(c.t("Du får inte registrera nyanställda i enheten ",
                                        "You may not register hires in the unit ")) +
                            cmd.unit);
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  // Answered when the log has the registration (no worker waits for it).
  c.later = [&api, c, cmd = std::move(cmd), actor = c.principal->actor(), key = *key](
                const auto& post, std::function<void(Response)> answer) {
    api.engine.register_hire_async(
        cmd, {actor, key, std::nullopt}, post,
        [c, answer = std::move(answer)](const CommandOutcome& o) {
          answer_with(c, answer, [&] {
            Response r = command_response(c, 201, o, {{"hire", o.hire_id}});
            if (o.ok()) r.headers.push_back({"Location", "/v1/hires/" + o.hire_id});
            return r;
          });
        });
  };
  return {};
}

// A hire's status ETag: its stream version and the day the status is
// computed for ("7-20261203", engine.today()), since overdue flags, leave and hours owed
// change with the day. A strong tag: the body is the same bytes for the
// same version and day (it has no language-dependent text).
std::string status_etag(std::uint64_t version, date::sys_days day) {
  return "\"" + std::to_string(version) + "-" + date::format("%Y%m%d", day) + "\"";
}

// If-None-Match (RFC 9110 13.1.2): "*" or a list of entity tags; weak
// comparison, so W/"x" matches "x".
bool none_match(const Ctx& c, const std::string& etag) {
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

Response hire_status(ApiContext& api, Ctx& c) {
  // The ETag is read before the view is built. If a command lands in between,
  // the view is newer than its ETag and an If-Match with it gets 412; the
  // other order could hand out an ETag for an event the view does not show.
  // So is the day: a status computed for a later day than its label is
  // served at most once more than needed, never a stale one as fresh.
  auto version = api.engine.log().stream_version(storage::StreamId(c.params["hire"]));
  const date::sys_days day = api.engine.today();
  if (auto r = api.unreadable_hire(c)) return *r;
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
  // Authorised by the summary above; the whole status is projected only now,
  // so that an unchanged one costs no replay, and serialised once per
  // version and day (StatusBytes) for everyone who reads it.
  const auto day_no = static_cast<std::uint32_t>(day.time_since_epoch().count());
  if (!a && version)
    if (auto bytes = api.statuses.get(c.params["hire"], version->value, day_no)) {
      Response r;
      r.body = std::move(*bytes);
      r.headers.push_back({"ETag", etag});
      return r;
    }
  std::optional<engine::HireStatus> view;
  if (a) {
    view = api.engine.status(c.params["hire"], api.engine.today(), a);
    if (!view)
      return c.fail(404, "not_yet_registered",
                    c.t("Den nyanställda var inte registrerad per det datumet",
                        "The hire was not registered as of that date"),
                    "parameter", "as_of");
  } else {
    auto s = api.project_readable(c);  // authorised above
    if (auto* r = std::get_if<Response>(&s)) return *r;
    view = std::move(std::get<engine::HireStatus>(s));
  }
  Response r = json_response(200, status_json(*view));
  if (!a && version) api.statuses.put(c.params["hire"], version->value, day_no, r.body);
  if (!etag.empty()) r.headers.push_back({"ETag", etag});
  return r;
}

}  // namespace

void add_hire_routes(RouteTable& t) {
  t.add("GET", "/v1/hires", list_hires);
  t.add("POST", "/v1/hires", register_hire);
  t.add("GET", "/v1/hires/{hire}", hire_status);
}

}  // namespace journey::http
