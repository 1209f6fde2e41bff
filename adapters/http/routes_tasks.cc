// GET /v1/tasks: the task inboxes, the open items of the hires a principal
// may read, by role, unit, hire, person and due date, a page at a time.
#include <algorithm>
#include <tuple>

#include "api_routes.h"

namespace journey::http {

std::string responsible_for(workflows::Role role, const engine::HireSummary& s,
                            const std::optional<engine::UnitContacts>& u) {
  switch (role) {
    case workflows::Role::FA:
      return s.introducer_email;
    case workflows::Role::AD:
      return u ? u->administrator.email : "";
    case workflows::Role::EC:
    case workflows::Role::FirstSocialWorker:
      return u ? u->unit_head.email : "";
    case workflows::Role::SJ:
      return s.hire.email;
    default:
      return "";
  }
}

namespace {

// The order, and the cursor's fields: (due, unit, hire, the item's place
// in the hire's programme order).
using TaskKey = std::tuple<std::string, std::string, std::string, std::size_t>;
using TaskRows = std::vector<std::pair<TaskKey, json>>;

// What GET /v1/tasks asks for.
struct TaskQuery {
  std::optional<workflows::Role> role;
  std::string unit;
  std::string hire;
  std::string person;
  std::optional<date::sys_days> due_before, due_after;
  std::optional<bool> overdue;
  Page page;
  std::optional<TaskKey> after;
};

// "Mine": an introducer's FA tasks, an administrator's AD tasks, a unit
// head's EC tasks, unless a role is asked for.
std::optional<workflows::Role> role_of_mine(AccessRole role) {
  switch (role) {
    case AccessRole::introducer:
      return workflows::Role::FA;
    case AccessRole::administrator:
      return workflows::Role::AD;
    case AccessRole::unit_head:
      return workflows::Role::EC;
    default:
      return std::nullopt;
  }
}

// The key a cursor's fields name; std::nullopt if they are not one.
std::optional<TaskKey> task_after(const std::vector<std::string>& f) {
  const auto index = whole_number(f[3], 6);
  // The due day's form only: a due date may lie past the value domain
  // of dates a user enters (a start in 2200 and a "4m" item).
  const bool day_form = f[0].size() == 10 && f[0][4] == '-' && f[0][7] == '-' &&
                        std::all_of(f[0].begin(), f[0].end(), [](unsigned char ch) {
                          return ch == '-' || (ch >= '0' && ch <= '9');
                        });
  if (!day_form || !engine::is_hire_id(f[2]) || !index) return std::nullopt;
  return TaskKey{f[0], f[1], f[2], static_cast<std::size_t>(*index)};
}

std::variant<TaskQuery, Response> task_query(Ctx& c) {
  TaskQuery q;
  if (c.query.count("role")) {
    q.role = workflows::parse_role(c.query["role"]);
    if (!q.role)
      return c.fail(
          400, "bad_parameter",
          c.t("role ska vara EC, 1:e, FA, AD eller SJ", "role must be EC, 1:e, FA, AD or SJ"),
          "parameter", "role");
  }
  q.unit = c.query.count("unit") ? c.query["unit"] : "";
  q.hire = c.query.count("hire") ? c.query["hire"] : "";
  q.person = c.query.count("person") ? c.query["person"] : "";
  if (c.query.count("mine")) q.person = c.principal->email;
  if (!q.role && c.query.count("mine")) q.role = role_of_mine(c.principal->role);
  // due_before / due_after: strictly before / after the date; overdue.
  for (auto [name, into] : {std::pair{"due_before", &q.due_before}, {"due_after", &q.due_after}}) {
    if (!c.query.count(name)) continue;
    *into = workflows::parse_date(c.query[name]);
    if (!*into)
      return c.fail(
          400, "bad_parameter",
          std::string(name) + c.t(" ska vara ett datum ÅÅÅÅ-MM-DD", " must be a date YYYY-MM-DD"),
          "parameter", name);
  }
  std::optional<Response> err;
  q.overdue = flag_param(c, "overdue", err);
  if (err) return *err;
  q.page = page_of(c, 4, err);
  if (err) return *err;
  if (q.page.after) {
    q.after = task_after(*q.page.after);
    if (!q.after) return bad_cursor(c);
  }
  return q;
}

// One hire's open tasks as rows: the unit's contacts (who answers for AD and
// EC items) and the programme (the items' texts) of the hire.
struct TaskSource {
  const std::string& hire;
  const engine::HireSummary& summary;
  const std::optional<engine::UnitContacts>& unit;
  const workflows::Programme* programme;
};

// The row of one open task, if the query asks for it.
std::optional<std::pair<TaskKey, json>> task_row(const TaskQuery& q, const TaskSource& h,
                                                 const engine::OpenTask& item) {
  const engine::HireSummary& s = h.summary;
  if (q.role && item.role != *q.role) return std::nullopt;
  if (q.due_before && !(item.due < *q.due_before)) return std::nullopt;
  if (q.due_after && !(item.due > *q.due_after)) return std::nullopt;
  if (q.overdue && item.overdue != *q.overdue) return std::nullopt;
  TaskKey key{iso_day(item.due), s.hire.unit, h.hire, item.index};
  if (q.after && !(key > *q.after)) return std::nullopt;
  const std::string responsible = responsible_for(item.role, s, h.unit);
  if (!q.person.empty() &&
      engine::email_match_key(q.person) != engine::email_match_key(responsible))
    return std::nullopt;
  const auto* def = h.programme ? h.programme->find_item(item.item) : nullptr;
  const auto* checklist = h.programme ? h.programme->checklist_of(item.item) : nullptr;
  return std::pair{std::move(key), json{{"hire", h.hire},
                                        {"hire_name", s.hire.name},
                                        {"unit", s.hire.unit},
                                        {"item", item.item},
                                        {"text", def ? def->text : std::string()},
                                        {"checklist", checklist ? checklist->id : std::string()},
                                        {"role", workflows::role_code(item.role)},
                                        {"responsible", responsible},
                                        {"due", iso_day(item.due)},
                                        {"overdue", item.overdue}}};
}

// What a request remembers of the units and programmes its rows name.
struct TaskLookups {
  ApiContext& api;
  std::map<std::string, std::optional<engine::UnitContacts>> units;
  std::map<std::string, std::string> munis;  // unit -> municipality
  const std::optional<engine::UnitContacts>& unit(const std::string& name) {
    auto it = units.find(name);
    if (it == units.end()) it = units.emplace(name, api.engine.unit(name)).first;
    return it->second;
  }
  std::shared_ptr<const workflows::Programme> programme(const engine::HireSummary& s) {
    return api.engine.programme(s.hire.programme_id, s.hire.programme_version);
  }
};

// The tasks of an all-municipality admin or auditor, whose lists span every
// unit: read in due order from the views' due index, a page and one row,
// instead of every hire. false: not for this request, and the caller visits
// the hires the principal may read (one by one, another municipality's units
// passed over whole). Not for a municipality's own admin or auditor, whose
// tasks are a share of the index (a page would walk the others'), nor for a
// person's tasks (`mine`, `person`: few, so a walk of the index would read
// most of it), nor without views or before the day's pass is through.
bool tasks_by_due(const Ctx& c, const TaskQuery& q, date::sys_days today, TaskLookups& look,
                  TaskRows& rows) {
  engine::HireViews* views = look.api.hooks.views;
  const auto role = c.principal->role;
  if (!views || !q.hire.empty() || !q.unit.empty() || !q.person.empty() ||
      !c.principal->all_municipalities() ||
      (role != AccessRole::admin && role != AccessRole::auditor))
    return false;
  std::optional<engine::TaskRef> after;
  if (q.after) {
    const auto due = workflows::parse_date(std::get<0>(*q.after));
    if (!due) return false;  // a due day past the dates users enter: the slow way
    after = engine::TaskRef{*due, std::get<1>(*q.after), std::get<2>(*q.after),
                            static_cast<std::uint32_t>(std::get<3>(*q.after))};
  }
  try {
    views->apply();  // the index holds every hire committed before this read
  } catch (const std::exception&) {
    return false;
  }
  if (!views->all_of_day(today)) return false;
  const date::sys_days from = q.due_after ? *q.due_after + date::days(1) : date::sys_days::min();
  views->scan_tasks(after, from, [&](const engine::TaskRef& t) {
    if (q.due_before && !(t.due < *q.due_before)) return false;  // due order: nothing later
    const auto l = look.api.listed(*c.principal, t.hire, today, look.munis);
    if (!l || !l->summary || l->id.unit != t.unit) return true;  // not readable, or moved
    const auto& open = l->summary->open_tasks;
    auto it = std::find_if(open.begin(), open.end(), [&](const engine::OpenTask& o) {
      return o.index == t.index && o.due == t.due;
    });
    if (it == open.end()) return true;  // a key the hire's entry no longer puts
    const auto programme = look.programme(*l->summary);
    if (auto row = task_row(q, {t.hire, *l->summary, look.unit(t.unit), programme.get()}, *it))
      rows.push_back(std::move(*row));
    return rows.size() <= q.page.limit;  // one past the page: there is a next
  });
  return true;
}

// Only the page is sorted out of the rest (partial_sort); the keys are
// unique, so the order is total and a cursor resumes exactly after it.
Response task_page(const Ctx& c, std::size_t limit, TaskRows& rows) {
  const std::size_t shown = std::min(rows.size(), limit);
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(shown), rows.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  json j = json::array();
  for (std::size_t i = 0; i < shown; ++i) j.push_back(std::move(rows[i].second));
  Response r = json_response(200, j);
  if (rows.size() > shown) {
    const auto& [due, unit_of, hire, index] = rows[shown - 1].first;
    r.headers.push_back(
        {"Link", next_link(c, "/v1/tasks", limit, {due, unit_of, hire, std::to_string(index)},
                           {"role", "unit", "hire", "person", "mine", "due_before", "due_after",
                            "overdue"})});
  }
  return r;
}

Response list_tasks(ApiContext& api, Ctx& c) {
  auto decoded = task_query(c);
  if (auto* r = std::get_if<Response>(&decoded)) return *r;
  const TaskQuery& q = std::get<TaskQuery>(decoded);
  TaskRows rows;
  const auto today = api.engine.today();
  TaskLookups look{api, {}, {}};
  if (tasks_by_due(c, q, today, look, rows)) return task_page(c, q.page.limit, rows);
  // Only the hires the caller may read are visited (with the views, only
  // those are read at all); one hire alone when asked for.
  auto each = [&](const Listed& l) {
    if (!l.summary) return;  // damaged: its tasks cannot be known; /v1/hires says why
    const engine::HireSummary& s = *l.summary;  // no open tasks once left or completed
    if (!q.unit.empty() && s.hire.unit != q.unit) return;
    const auto programme = look.programme(s);
    const TaskSource source{l.id.hire_id, s, look.unit(s.hire.unit), programme.get()};
    for (const auto& item : s.open_tasks)
      if (auto row = task_row(q, source, item)) rows.push_back(std::move(*row));
  };
  if (!q.hire.empty()) {
    if (auto l = api.listed(*c.principal, q.hire, today, look.munis)) each(*l);
  } else {
    api.visit_readable(*c.principal, q.unit, {}, today, [&](Listed& l) {
      each(l);
      return true;
    });
  }
  return task_page(c, q.page.limit, rows);
}

}  // namespace

void add_task_routes(RouteTable& t) { t.add("GET", "/v1/tasks", list_tasks); }

}  // namespace journey::http
