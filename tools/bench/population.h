// Synthetic hires for the benchmarks: valid journeys of a programme, written
// straight to the log as one append per hire (the API would take hours for
// 100,000 hires of 150 events). Shared by journey_replay_bench and
// journey_views_bench so that both measure the same kind of hire.
//
// A journey is what the journey machine accepts in order: HireRegistered,
// IntroducerAppointed, MentorAppointed, the preparation items (before the first
// day), HireStarted, then by date the induction items, CourseBooked, 8
// CourseModuleAttended and 4 BbicPartCompleted, CourseCompleted,
// SupervisionGroupJoined, 10 SupervisionSessionAttended, SupervisionCompleted,
// IntroducerHoursLogged for as many weeks (Mondays from the first day) as make
// up `target` events, and JourneyCompleted. Cut at a day, it is the prefix of
// what had happened by then: still valid, with the rest open.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "journey/storage/clock.h"
#include "journey/storage/event_log.h"
#include "journey/workflows/events.h"
#include "journey/workflows/programme.h"

namespace journey::bench {

TimePoint to_time(date::sys_days d);
date::sys_days ymd(int y, unsigned m, unsigned d);

// "hire-3f9a0c21": distinct for distinct i (odd multiplier mod 2^32), spread
// over the key space like the engine's random ids.
std::string hire_id(int i);

struct JourneyShape {
  date::sys_days start;  // the first working day: a Monday (hours are logged per ISO week)
  std::string unit;
  int target = 150;  // events of the whole journey
  // Only what happened by this day (every event dated after it is left out,
  // and so is everything after the first such event). REQUIRES: >= start.
  std::optional<date::sys_days> until;
};

// Hire i's journey (its name and e-mail come from i).
std::vector<workflows::DomainEvent> journey_events(const workflows::Programme& p, int i,
                                                   const JourneyShape& shape);
// The same, and if `behind` and the journey is not completed, with every
// ninth checklist item due after the first day left undone (overdue tasks).
std::vector<workflows::DomainEvent> journey_events(const workflows::Programme& p, int i,
                                                   const JourneyShape& shape, bool behind);

// The append that writes a whole journey as a new stream, each event's
// effective time its own date (the record time `now` where it has none).
storage::AppendRequest append_request(const std::string& id,
                                      const std::vector<workflows::DomainEvent>& events,
                                      TimePoint now);

}  // namespace journey::bench
