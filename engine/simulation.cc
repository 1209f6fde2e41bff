// The virtual-time simulation; see simulation.h.
#include "journey/engine/simulation.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace journey::engine {

using namespace workflows;
using date::days;

namespace {

struct Scripted {
  date::sys_days on;
  DomainEvent event;
  int retries = 0;
};

struct SimHire {
  std::string id;
  std::unique_ptr<JourneyMachine> machine;
  std::vector<Scripted> script;  // sorted by date
  std::size_t next = 0;
  date::sys_days registered_on;
  int unit = 0;
  std::vector<PlannedReminder> plan;
  HireStatus status;
  std::uint32_t generation = 0;
  bool dirty = true;
};

struct Timer {
  std::uint32_t hire;
  std::uint32_t reminder;
  std::uint32_t generation;
};

class Model {
 public:
  Model(const Programme& p, const SimulationConfig& c, const SwedishCalendar& cal)
      : p_(p), c_(c), cal_(cal) {}

  SimHire make(int index, std::shared_ptr<const Programme> prog) {
    std::mt19937_64 rng(c_.seed * 1000003ULL + static_cast<std::uint64_t>(index));
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    SimHire h;
    char id[16];
    std::snprintf(id, sizeof id, "hire-%08x", static_cast<unsigned>(index));
    h.id = id;
    h.unit = index % std::max(1, c_.units);
    h.machine = std::make_unique<JourneyMachine>(prog);
    const date::sys_days start =
        cal_.next_working_day_on_or_after(c_.first_day + days(30 + uniform(0, 150)));
    h.registered_on = start - days(uniform(21, 45));
    auto add = [&](date::sys_days on, DomainEvent e) { h.script.push_back({on, std::move(e)}); };

    HireRegistered reg{"Nyanställd " + std::to_string(index + 1),
                       "ny" + std::to_string(index + 1) + "@kommun.example",
                       "Enhet " + std::to_string(h.unit + 1),
                       start,
                       chance(0.15),
                       p_.id,
                       p_.version,
                       {}};
    if (reg.experienced) {
      for (const auto& cl : p_.checklists)
        for (const auto& item : cl.items)
          if (item.waived_if_experienced) reg.waived_items.push_back(item.id);
    }
    add(h.registered_on, reg);
    add(h.registered_on,
        IntroducerAppointed{{"Introduktör " + std::to_string(index + 1),
                             "intro" + std::to_string(index + 1) + "@kommun.example"},
                            start});
    add(start, HireStarted{start});
    std::set<std::string> waived(reg.waived_items.begin(), reg.waived_items.end());
    for (const auto& cl : p_.checklists) {
      for (const auto& item : cl.items) {
        if (waived.count(item.id) || chance(c_.never_share)) continue;
        const date::sys_days due = item.due.from(start);
        date::sys_days done =
            chance(c_.late_share) ? due + days(uniform(1, 25)) : due - days(uniform(0, 4));
        done = std::max(done, h.registered_on);
        add(done, ChecklistItemCompleted{item.id, done, ""});
      }
    }
    add(start + days(uniform(10, 40)),
        MentorAppointed{{"Mentor " + std::to_string(index + 1), ""},
                        Person{"Ersättare " + std::to_string(index + 1), ""}});
    if (!chance(c_.never_share * 3)) {
      const date::sys_days course = start + days(uniform(120, 330));
      add(course - days(60), CourseBooked{course, "Kurs"});
      for (int m = 1; m <= static_cast<int>(p_.course.modules.size()); ++m) {
        add(course + days(21 * (m - 1)), CourseModuleAttended{m, course + days(21 * (m - 1))});
      }
      int k = 0;
      for (const auto& b : p_.course.bbic_parts)
        add(course + days(30 * ++k), BbicPartCompleted{b.id, course + days(30 * k)});
      const date::sys_days end =
          course + days(21 * static_cast<int>(p_.course.modules.size()) + 30 * k + 7);
      add(end, CourseCompleted{end, "Intyg"});
    }
    if (!chance(c_.never_share * 3)) {
      const date::sys_days group = start + days(uniform(365, 600));
      add(group - days(45), SupervisionGroupJoined{"Grupp", "Handledare", group});
      for (int s = 1; s <= p_.supervision.sessions; ++s) {
        add(group + days(35 * (s - 1)), SupervisionSessionAttended{s, group + days(35 * (s - 1)),
                                                                   p_.supervision.session_hours});
      }
      const date::sys_days end = group + days(35 * p_.supervision.sessions);
      add(end, SupervisionCompleted{end, "Intyg"});
    }
    // Introducer hours, logged the Monday after each week.
    date::sys_days monday = start - (date::weekday(start) - date::Monday);
    for (; monday < c_.first_day + days(c_.days); monday += days(7)) {
      const double owed = p_.introducer_hours_for(start, std::max(monday, start));
      if (owed <= 0 && monday > start + days(30)) continue;
      const double logged = chance(0.8) ? owed : (chance(0.5) ? owed / 2 : 0);
      if (logged > 0) add(monday + days(7), IntroducerHoursLogged{monday, logged});
    }
    if (chance(c_.leave_share)) {
      const date::sys_days from = start + days(uniform(60, 400));
      add(from, LeaveStarted{chance(0.5) ? "parental" : "sick", from});
      const date::sys_days back = from + days(uniform(30, 200));
      add(back, LeaveEnded{back});
    }
    if (chance(c_.left_share)) {
      const date::sys_days on = start + days(uniform(90, 600));
      add(on, HireLeft{on, "Ny tjänst"});
    }
    std::stable_sort(h.script.begin(), h.script.end(),
                     [](const Scripted& a, const Scripted& b) { return a.on < b.on; });
    return h;
  }

 private:
  const Programme& p_;
  const SimulationConfig& c_;
  const SwedishCalendar& cal_;
};

}  // namespace

SimulationSummary simulate(const Programme& programme, const Templates& templates,
                           const MunicipalTime& time, const SimulationConfig& config,
                           const std::function<void(const SimulatedNotification&)>& emit) {
  SimulationSummary sum;
  sum.hires = config.hires;
  auto prog = std::make_shared<const Programme>(programme);
  const SwedishCalendar& cal = time.calendar();
  Model model(programme, config, cal);

  std::vector<UnitContacts> units;
  for (int u = 0; u < std::max(1, config.units); ++u) {
    const std::string n = std::to_string(u + 1);
    units.push_back(
        UnitContacts{"Enhet " + n,
                     {"Enhetschef " + n, "ec" + n + "@kommun.example"},
                     {"Administratör " + n, "ad" + n + "@kommun.example", Language::sv, u % 2 == 1},
                     Contact{"IFO-chef", "ifo-chef@kommun.example", Language::sv, true}});
  }
  std::vector<SimHire> hires;
  hires.reserve(config.hires);
  for (int i = 0; i < config.hires; ++i) hires.push_back(model.make(i, prog));

  std::map<date::sys_days, std::vector<Timer>> timers;  // by local send date
  std::unordered_map<std::int64_t, date::sys_days> send_date_cache;
  auto send_date = [&](date::sys_days fire_on) {
    auto [it, fresh] = send_date_cache.try_emplace(fire_on.time_since_epoch().count());
    if (fresh) it->second = time.local_date(time.send_time(fire_on));
    return it->second;
  };
  std::unordered_set<std::string> decided;

  const date::sys_days last = config.first_day + days(config.days);
  for (date::sys_days today = config.first_day; today < last; today += days(1)) {
    const bool monday = date::weekday(today) == date::Monday;
    for (std::uint32_t hi = 0; hi < hires.size(); ++hi) {
      SimHire& h = hires[hi];
      std::vector<Scripted> postponed;
      while (h.next < h.script.size() && h.script[h.next].on <= today) {
        Scripted s = std::move(h.script[h.next++]);
        if (auto refusal = h.machine->apply(s.event)) {
          // Attendance during leave happens after it instead; anything else the
          // machine refuses (after leaving, say) does not happen.
          if (refusal->code == "on_leave" && s.retries < 60) {
            s.on = today + days(7);
            ++s.retries;
            postponed.push_back(std::move(s));
          }
          continue;
        }
        ++sum.events;
        h.dirty = true;
      }
      for (auto& s : postponed) {
        auto at =
            std::upper_bound(h.script.begin() + static_cast<long>(h.next), h.script.end(), s.on,
                             [](date::sys_days d, const Scripted& x) { return d < x.on; });
        h.script.insert(at, std::move(s));
      }
      if (!h.machine->facts().registered) continue;
      if (!(h.dirty || (monday && !h.status.weeks.empty()) ||
            (monday && h.machine->facts().started_on)))
        continue;
      h.dirty = false;
      h.status = project_status(h.id, *h.machine, today);
      h.plan = plan_reminders(h.status, programme, h.registered_on);
      ++h.generation;
      for (std::uint32_t ri = 0; ri < h.plan.size(); ++ri) {
        const date::sys_days d = send_date(h.plan[ri].fire_on);
        // Whether it was decided already is checked when it fires, not for every rung here.
        if (d < today || d < h.registered_on) continue;
        timers[d].push_back({hi, ri, h.generation});
      }
    }

    // Fire what is due today, per recipient: one message each, or one digest.
    auto bucket = timers.find(today);
    if (bucket == timers.end()) continue;
    if (!cal.is_working_day(today)) ++sum.weekend_or_holiday_sends;
    std::map<std::string, std::pair<Recipient, std::vector<ReminderForMessage>>> by_recipient;
    for (const Timer& t : bucket->second) {
      SimHire& h = hires[t.hire];
      if (t.generation != h.generation) continue;  // the plan changed since: superseded
      const PlannedReminder& r = h.plan[t.reminder];
      if (!decided.insert(r.id).second) continue;
      ++sum.reminders;
      ++sum.by_kind[kind_id(r.kind)];
      ++sum.by_audience[audience_id(r.audience)];
      auto to = resolve_recipient(r, h.status, units[static_cast<std::size_t>(h.unit)]);
      if (!to) {
        ++sum.unresolved;
        continue;
      }
      auto& slot = by_recipient[to->email];
      slot.first = *to;
      slot.second.push_back({r, &h.status});
    }
    timers.erase(bucket);
    for (auto& [email, entry] : by_recipient) {
      std::vector<std::vector<ReminderForMessage>> messages;
      if (entry.first.digest) {
        messages.push_back(entry.second);
      } else {
        for (auto& rm : entry.second) messages.push_back({rm});
      }
      for (auto& batch : messages) {
        OutgoingMessage m = compose(templates, entry.first, batch, today);
        SimulatedNotification n{today, time.send_time(today), entry.first, {}, m.subject, m.id};
        for (const auto& rm : batch) n.reminders.push_back(rm.reminder);
        ++sum.messages;
        emit(n);
      }
    }
  }
  return sum;
}

}  // namespace journey::engine
