// The reminder planner; see reminders.h.
#include "journey/engine/reminders.h"

#include <date/iso_week.h>

#include <cstdio>
#include <map>

namespace journey::engine {

using namespace workflows;
using date::days;

const char* audience_id(Audience a) {
  switch (a) {
    case Audience::unit_head:
      return "unit_head";
    case Audience::administrator:
      return "administrator";
    case Audience::introducer:
      return "introducer";
    case Audience::hire:
      return "hire";
    case Audience::escalation:
      return "escalation";
  }
  return "?";
}

const char* kind_id(PlannedReminder::Kind k) {
  switch (k) {
    case PlannedReminder::Kind::task_list:
      return "task_list";
    case PlannedReminder::Kind::before:
      return "before";
    case PlannedReminder::Kind::on_day:
      return "on_day";
    case PlannedReminder::Kind::overdue:
      return "overdue";
    case PlannedReminder::Kind::escalation:
      return "escalation";
    case PlannedReminder::Kind::hours_shortfall:
      return "hours_shortfall";
  }
  return "?";
}

std::optional<Audience> audience_for(Role role) {
  switch (role) {
    case Role::EC:
    case Role::FirstSocialWorker:
      return Audience::unit_head;
    case Role::AD:
      return Audience::administrator;
    case Role::FA:
      return Audience::introducer;
    case Role::SJ:
      return Audience::hire;
    case Role::EJ:
      return std::nullopt;
  }
  return std::nullopt;
}

namespace {

PlannedReminder::Kind kind_of(const Offset& rung, date::sys_days due) {
  const date::sys_days at = rung.from(due);
  return at < due    ? PlannedReminder::Kind::before
         : at == due ? PlannedReminder::Kind::on_day
                     : PlannedReminder::Kind::overdue;
}

std::string iso_week_label(date::sys_days monday) {
  const iso_week::year_weeknum_weekday w(monday);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-W%02u", static_cast<int>(w.year()),
                static_cast<unsigned>(w.weeknum()));
  return buf;
}

bool on_leave(const HireStatus& s) { return !s.leaves.empty() && !s.leaves.back().back_on; }

}  // namespace

std::vector<PlannedReminder> plan_reminders(const HireStatus& s, const Programme& p,
                                            date::sys_days registered_on) {
  std::vector<PlannedReminder> out;
  if (s.left_on || s.completed_on || s.lifecycle == "Left" || s.lifecycle == "Completed")
    return out;

  // At registration: each role's preparation tasks, with their due dates.
  std::map<Role, std::vector<const ItemLine*>> tasks;
  for (const auto& item : s.items) {
    const Checklist* cl = p.checklist_of(item.id);
    if (cl && cl->part == Part::preparation && item.state.status == ItemState::Status::open)
      tasks[item.role].push_back(&item);
  }
  for (const auto& [role, items] : tasks) {
    auto audience = audience_for(role);
    if (!audience) continue;
    PlannedReminder r;
    r.id = s.hire_id + "/tasks/" + role_code(role);
    r.hire_id = s.hire_id;
    r.kind = PlannedReminder::Kind::task_list;
    r.audience = *audience;
    r.obligation = std::string("tasks/") + role_code(role);
    r.title = "Förberedelser inför första arbetsdagen " + format_date(s.hire.start);
    r.due = items.front()->due;
    r.fire_on = registered_on;
    for (const auto* i : items) {
      r.items.push_back(format_date(i->due) + "  " + i->text);
      r.due = std::min(r.due, i->due);
    }
    out.push_back(std::move(r));
  }

  // Nothing else while on leave: the leave moves every deadline instead.
  if (on_leave(s)) return out;

  for (const auto& rule : p.reminders) {
    auto add_ladder = [&](PlannedReminder base) {
      for (const auto& rung : rule.ladder) {
        PlannedReminder r = base;
        r.kind = kind_of(rung, base.due);
        r.fire_on = rung.from(base.due);
        r.id = base.id + "/" + rung.str();
        out.push_back(std::move(r));
      }
      if (rule.escalate_after) {
        PlannedReminder r = base;
        r.kind = PlannedReminder::Kind::escalation;
        r.audience = Audience::escalation;
        r.fire_on = rule.escalate_after->from(base.due);
        r.id = base.id + "/escalation";
        out.push_back(std::move(r));
      }
    };
    if (rule.obligation == "checklist") {
      // One reminder per responsible role and due date, listing its open items.
      std::map<std::pair<Role, date::sys_days>, std::vector<const ItemLine*>> groups;
      for (const auto& item : s.items) {
        if (item.state.status == ItemState::Status::open)
          groups[{item.role, item.due}].push_back(&item);
      }
      for (const auto& [key, items] : groups) {
        auto audience = audience_for(key.first);
        if (!audience) continue;
        PlannedReminder base;
        base.hire_id = s.hire_id;
        base.audience = *audience;
        base.obligation = std::string("checklist/") + role_code(key.first);
        base.due = key.second;
        base.id = s.hire_id + "/" + base.obligation + "/" + format_date(key.second);
        base.title = items.size() == 1 ? items.front()->text
                                       : std::to_string(items.size()) + " moment i checklistan";
        for (const auto* i : items) base.items.push_back(i->text);
        add_ladder(std::move(base));
      }
      continue;
    }
    for (const auto& d : s.deadlines) {
      if (d.id != rule.obligation || d.met) continue;
      PlannedReminder base;
      base.hire_id = s.hire_id;
      base.audience = Audience::unit_head;
      base.obligation = d.id;
      base.title = d.title;
      base.due = d.due;
      base.id = s.hire_id + "/" + d.id;
      add_ladder(std::move(base));
    }
  }

  // Every Monday: last ISO week's introducer hours, if they fell short.
  double balance = 0;
  for (const auto& w : s.weeks) {
    balance += w.logged - w.owed;
    if (w.logged + 1e-9 >= w.owed) continue;
    for (Audience a : {Audience::unit_head, Audience::introducer}) {
      PlannedReminder r;
      r.hire_id = s.hire_id;
      r.kind = PlannedReminder::Kind::hours_shortfall;
      r.audience = a;
      r.obligation = "hours/" + iso_week_label(w.monday);
      r.id = s.hire_id + "/" + r.obligation + "/" + audience_id(a);
      r.title = "Introduktörstid vecka " + iso_week_label(w.monday);
      r.due = w.monday + days(6);
      r.fire_on = w.monday + days(7);
      r.hours_owed = w.owed;
      r.hours_logged = w.logged;
      r.hours_balance = balance;
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace journey::engine
