// Synthetic journeys for the benchmarks; what they hold is in population.h.
#include "population.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace journey::bench {

namespace wf = workflows;
using date::days;

TimePoint to_time(date::sys_days d) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(d);
}
date::sys_days ymd(int y, unsigned m, unsigned d) { return date::sys_days(date::year(y) / m / d); }

std::string hire_id(int i) {
  const std::uint32_t v = static_cast<std::uint32_t>(i) * 0x9E3779B1u;
  char buf[16];
  std::snprintf(buf, sizeof buf, "hire-%08x", v);
  return buf;
}

namespace {

const char* const kFirst[] = {"Sara", "Ahmed", "Linnea", "Johan", "Fatima", "Erik", "Maja", "Omar"};
const char* const kLast[] = {"Lind", "Hassan", "Berg", "Nilsson", "Ali", "Ek", "Holm", "Sandberg"};

struct Dated {
  date::sys_days key;  // when it is recorded, for ordering
  wf::DomainEvent event;
};

}  // namespace

std::vector<wf::DomainEvent> journey_events(const wf::Programme& p, int i,
                                            const JourneyShape& shape) {
  using namespace wf;
  const date::sys_days start = shape.start;
  const int target = shape.target;
  const std::string first = kFirst[i % 8], last = kLast[(i / 8) % 8];
  const std::string name = first + " " + last + " " + std::to_string(i);
  std::string email = first + "." + last + "." + std::to_string(i) + "@example.se";
  std::transform(email.begin(), email.end(), email.begin(),
                 [](unsigned char c) { return std::tolower(c); });

  std::vector<DomainEvent> out;
  out.push_back(HireRegistered{name, email, shape.unit, start, false, p.id, p.version, {}});
  out.push_back(IntroducerAppointed{Person{"Karin Ek", "karin.ek@example.se"}, start});
  out.push_back(MentorAppointed{Person{"Per Holm", "per.holm@example.se"},
                                Person{"Eva Berg", "eva.berg@example.se"}});

  // Preparation before the first day, the rest after it, each group by date.
  std::vector<Dated> before, after;
  int n = 0;
  for (const auto& cl : p.checklists) {
    for (const auto& item : cl.items) {
      const bool prep = cl.part == Part::preparation;
      // On its due date; preparation at most a month ahead, the rest not before the first day.
      const date::sys_days done = std::max(item.due.from(start), prep ? start - days(30) : start);
      std::string comment = (n++ % 7 == 0) ? "Klart enligt plan." : "";
      (prep ? before : after).push_back({done, ChecklistItemCompleted{item.id, done, comment}});
    }
  }

  // Course: booked a month in, starts at the window's opening, a module every
  // two weeks with a BBIC part after every second module.
  const date::sys_days course_start = p.course.start.from.from(start);
  after.push_back(
      {start + days(30), CourseBooked{course_start, "HT-" + std::to_string(i % 4 + 1)}});
  date::sys_days d = course_start;
  std::size_t bbic = 0;
  for (const auto& m : p.course.modules) {
    after.push_back({d, CourseModuleAttended{m.number, d}});
    if (m.number % 2 == 0 && bbic < p.course.bbic_parts.size()) {
      after.push_back(
          {d + days(1), BbicPartCompleted{p.course.bbic_parts[bbic++].id, d + days(1)}});
    }
    d += days(14);
  }
  for (; bbic < p.course.bbic_parts.size(); ++bbic) {
    after.push_back({d, BbicPartCompleted{p.course.bbic_parts[bbic].id, d}});
    d += days(1);
  }
  after.push_back({d + days(7), CourseCompleted{d + days(7), "INTYG-" + std::to_string(i)}});

  // Supervision: joined a month ahead, a session every four weeks.
  const date::sys_days group_start = p.supervision.start.from.from(start);
  after.push_back(
      {group_start - days(30), SupervisionGroupJoined{"Grupp " + std::to_string(i % 40 + 1),
                                                      "Handledare Lund", group_start}});
  d = group_start;
  for (int s = 1; s <= p.supervision.sessions; ++s) {
    after.push_back({d, SupervisionSessionAttended{s, d, p.supervision.session_hours}});
    d += days(28);
  }
  const date::sys_days sup_done = d;
  after.push_back({sup_done, SupervisionCompleted{sup_done, "HANDL-" + std::to_string(i)}});

  // Introducer hours for the first weeks (Mondays from the first day).
  const int fixed =
      static_cast<int>(out.size() + before.size() + 1 /*started*/ + after.size() + 1 /*completed*/);
  const int weeks = std::max(0, target - fixed);
  for (int w = 0; w < weeks; ++w) {
    const date::sys_days monday = start + days(7 * w);
    double h = p.introducer_hours_for(start, monday);
    if (h <= 0) h = 2;
    after.push_back({monday, IntroducerHoursLogged{monday, h}});
  }

  auto by_date = [](const Dated& a, const Dated& b) { return a.key < b.key; };
  std::stable_sort(before.begin(), before.end(), by_date);
  std::stable_sort(after.begin(), after.end(), by_date);
  // The cut: up to the first event dated after `until`, so always a prefix.
  const auto happened = [&](date::sys_days d) { return !shape.until || d <= *shape.until; };
  for (auto& e : before) {
    if (!happened(e.key)) return out;
    out.push_back(std::move(e.event));
  }
  if (!happened(start)) return out;
  out.push_back(HireStarted{start});
  date::sys_days last_day = start;
  for (auto& e : after) {
    if (!happened(e.key)) return out;
    last_day = std::max(last_day, e.key);
    out.push_back(std::move(e.event));
  }
  const date::sys_days completed = std::max(last_day, sup_done) + days(1);
  if (happened(completed)) out.push_back(JourneyCompleted{completed});
  return out;
}

std::vector<wf::DomainEvent> journey_events(const wf::Programme& p, int i,
                                            const JourneyShape& shape, bool behind) {
  auto out = journey_events(p, i, shape);
  const bool completed = !out.empty() && std::holds_alternative<wf::JourneyCompleted>(out.back());
  if (!behind || completed) return out;
  // Every ninth item done after the first day left undone: overdue now.
  // Nothing later depends on one item (the induction only stays open
  // without it), so a journey that has not reached its completion stays valid.
  bool started = false;
  int n = 0;
  std::vector<wf::DomainEvent> kept;
  for (auto& e : out) {
    if (std::holds_alternative<wf::HireStarted>(e)) started = true;
    if (started && std::holds_alternative<wf::ChecklistItemCompleted>(e) && n++ % 9 == 4) continue;
    kept.push_back(std::move(e));
  }
  return kept;
}

storage::AppendRequest append_request(const std::string& id,
                                      const std::vector<wf::DomainEvent>& events, TimePoint now) {
  storage::AppendRequest req;
  req.stream = storage::StreamId(id);
  req.expected = storage::ExpectedVersion::no_stream();
  req.events.reserve(events.size());
  for (const auto& e : events) {
    auto enc = wf::encode(e);
    const date::sys_days eff = wf::effective_date(e);
    req.events.push_back(
        storage::NewEvent{std::move(enc.type), enc.schema_version, std::move(enc.payload),
                          eff == date::sys_days{} ? now : to_time(eff), "bench.setup"});
  }
  return req;
}

}  // namespace journey::bench
