// Status projection: folds the machine's facts and the programme into what a
// unit head asks — how far along, what is due next, what is overdue.
#include "journey/engine/status.h"

#include <algorithm>

namespace journey::engine {

using namespace workflows;
using date::days;

date::sys_days shift_for_leave(date::sys_days nominal, const std::vector<LeavePeriod>& leaves,
                               date::sys_days as_of) {
  date::sys_days due = nominal;
  for (const auto& leave : leaves) {  // chronological: the machine refuses overlaps
    if (leave.from > due) break;
    const date::sys_days end =
        leave.back_on ? *leave.back_on : std::max(as_of + days(1), leave.from + days(1));
    due += end - leave.from;
  }
  return due;
}

namespace {

bool on_leave(date::sys_days d, const std::vector<LeavePeriod>& leaves) {
  for (const auto& l : leaves) {
    if (d >= l.from && (!l.back_on || d < *l.back_on)) return true;
  }
  return false;
}

int leave_days_before(date::sys_days d, const std::vector<LeavePeriod>& leaves) {
  int n = 0;
  for (const auto& l : leaves) {
    if (l.from >= d) break;
    const date::sys_days end = std::min(l.back_on ? *l.back_on : d, d);
    n += static_cast<int>((end - l.from).count());
  }
  return n;
}

bool part_started(Part p, const JourneyFacts& f) {
  switch (p) {
    case Part::course:
      return !f.modules.empty() || !f.bbic.empty() || f.course_waived;
    case Part::supervision:
      return !f.sessions.empty() || f.supervision_waived;
    case Part::internal_support:
      return f.introducer.has_value();
    default:
      return false;
  }
}

}  // namespace

HireStatus project_status(const std::string& hire_id, const JourneyMachine& machine,
                          date::sys_days as_of) {
  const Programme& p = machine.programme();
  const JourneyFacts& f = machine.facts();
  HireStatus s;
  s.hire_id = hire_id;
  s.hire = f.hire;
  s.as_of = as_of;
  s.regions = machine.regions();
  s.lifecycle = machine.state_of("lifecycle");
  s.introducer = f.introducer;
  s.mentor = f.mentor;
  s.mentor_replacement = f.mentor_replacement;
  s.leaves = f.leaves;
  s.modules = f.modules;
  s.bbic = f.bbic;
  s.sessions = f.sessions;
  s.started_on = f.started_on;
  s.left_on = f.left_on;
  s.completed_on = f.completed_on;
  s.leave_days = leave_days_before(as_of + days(1), f.leaves);
  const date::sys_days start = f.hire.start;
  const bool active = !f.left_on && !f.completed_on;

  // Checklist items, per part and per role.
  std::map<Part, PartProgress> parts;
  std::map<Role, RoleProgress> roles;
  for (const auto& cl : p.checklists) {
    auto& part = parts[cl.part];
    part.part = cl.part;
    for (const auto& item : cl.items) {
      const ItemState* state = f.items.find(item.id);
      ItemLine line{item.id,
                    item.text,
                    cl.id,
                    item.role,
                    shift_for_leave(item.due.from(start), f.leaves, as_of),
                    state ? *state : ItemState{},
                    false};
      auto& role = roles[item.role];
      role.role = item.role;
      if (line.state.status == ItemState::Status::waived) {
        ++role.waived;
        s.items.push_back(std::move(line));  // listed as EJ; neither owed nor done
        continue;
      }
      ++role.total;
      ++part.total;
      if (line.state.status == ItemState::Status::done) {
        ++role.done;
        ++part.done;
      } else if (active && as_of > line.due) {
        line.overdue = true;
        s.overdue_items.push_back(line);
      }
      s.items.push_back(std::move(line));
    }
  }
  std::stable_sort(s.overdue_items.begin(), s.overdue_items.end(),
                   [](const ItemLine& a, const ItemLine& b) { return a.due < b.due; });
  parts[Part::preparation].state = machine.state_of("preparation");
  parts[Part::preparation].finished = machine.state_of("preparation") == "PreparationReady";
  parts[Part::induction].state = machine.state_of("induction");
  parts[Part::induction].finished = machine.state_of("induction") == "InductionDone";
  auto& course = parts[Part::course];
  course.part = Part::course;
  course.state = machine.state_of("course");
  course.total = static_cast<int>(p.course.modules.size() + p.course.bbic_parts.size());
  course.done = static_cast<int>(f.modules.size() + f.bbic.size());
  course.finished = f.course_completed_on.has_value() || f.course_waived;
  auto& sup = parts[Part::supervision];
  sup.part = Part::supervision;
  sup.state = machine.state_of("supervision");
  sup.total = p.supervision.sessions;
  sup.done = static_cast<int>(f.sessions.size());
  sup.finished = f.supervision_completed_on.has_value() || f.supervision_waived;
  for (auto& [part, progress] : parts) s.parts.push_back(progress);
  for (auto& [role, progress] : roles) s.roles.push_back(progress);

  // Programme deadlines: ".start" ones are met once the part has begun, the
  // others once it is finished.
  for (const auto& d : p.deadlines) {
    DeadlineStatus ds{d.id, d.title, d.part, d.due.from(start), {}, false, false};
    ds.due = shift_for_leave(ds.nominal, f.leaves, as_of);
    const bool is_start = d.id.size() > 6 && d.id.compare(d.id.size() - 6, 6, ".start") == 0;
    const auto it = parts.find(d.part);
    const bool finished = it != parts.end() && it->second.finished;
    ds.met = finished || (is_start && part_started(d.part, f));
    ds.overdue = active && !ds.met && as_of > ds.due;
    s.deadlines.push_back(ds);
  }
  for (const auto& d : s.deadlines) {
    if (!d.met && active && (!s.next_deadline || d.due < s.next_deadline->due)) s.next_deadline = d;
  }
  for (const auto& item : s.items) {
    if (item.state.status == ItemState::Status::open && active &&
        (!s.next_deadline || item.due < s.next_deadline->due)) {
      s.next_deadline =
          DeadlineStatus{item.id, item.text,   p.checklist_of(item.id)->part, item.due, item.due,
                         false,   item.overdue};
    }
  }

  // Introducer hours: complete ISO weeks from the first day, pro rata for
  // working days present (not before the start, not on leave, not from the day
  // the hire left or the journey was completed: reminders stop then too).
  if (f.started_on) {
    const date::sys_days first_day = *f.started_on;
    std::optional<date::sys_days> ended = f.left_on;
    if (f.completed_on && (!ended || *f.completed_on < *ended)) ended = f.completed_on;
    date::sys_days monday = first_day - (date::weekday(first_day) - date::Monday);
    for (; monday + days(7) <= as_of + days(1); monday += days(7)) {
      if (ended && monday >= *ended) break;
      int present = 0;
      date::sys_days rate_day = monday;
      for (int i = 0; i < 5; ++i) {
        const date::sys_days d = monday + days(i);
        if (d < first_day || on_leave(d, f.leaves) || (ended && d >= *ended)) continue;
        if (present == 0) rate_day = d;
        ++present;
      }
      // Programme time stands still during leave: year one lasts longer.
      const date::sys_days programme_start =
          first_day + days(leave_days_before(rate_day, f.leaves));
      const double rate = present ? p.introducer_hours_for(programme_start, rate_day) : 0.0;
      WeekHours w{monday, rate * present / 5.0, 0.0};
      if (auto it = f.introducer_hours.find(monday); it != f.introducer_hours.end())
        w.logged = it->second;
      if (w.owed == 0 && w.logged == 0 && rate == 0 && present > 0)
        continue;  // after the support years
      s.hours_owed += w.owed;
      s.hours_logged += w.logged;
      s.weeks.push_back(w);
    }
    // After the end nothing is owed, but hours logged for a later week (the
    // completion may be backdated) still count as logged.
    for (auto it = f.introducer_hours.lower_bound(monday);
         it != f.introducer_hours.end() && it->first + days(7) <= as_of + days(1); ++it) {
      s.hours_logged += it->second;
      s.weeks.push_back(WeekHours{it->first, 0.0, it->second});
    }
  }
  return s;
}

HireSummary summarize(const HireStatus& s) {
  HireSummary out{s.hire,
                  s.lifecycle,
                  static_cast<int>(s.overdue_items.size()),
                  s.next_deadline,
                  s.parts,
                  s.hours_owed,
                  s.hours_logged,
                  s.introducer ? s.introducer->introducer.email : std::string(),
                  {}};
  for (const auto& d : s.deadlines) out.overdue += d.overdue ? 1 : 0;
  if (s.lifecycle == "Left" || s.lifecycle == "Completed") return out;
  for (std::size_t i = 0; i < s.items.size(); ++i) {
    const auto& item = s.items[i];
    if (item.state.status != ItemState::Status::open) continue;
    out.open_tasks.push_back(
        OpenTask{static_cast<std::uint32_t>(i), item.id, item.role, item.due, item.overdue});
  }
  return out;
}

}  // namespace journey::engine
