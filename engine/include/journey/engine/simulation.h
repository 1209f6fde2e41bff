// `journeyctl simulate`: the whole programme for N synthetic hires in virtual
// time, printing every notification that would go out, with its date,
// recipient and reason — the way a unit head checks what the system will do
// before trusting it.
//
// The simulation drives the same JourneyMachine, status projection, reminder
// planner, calendar and templates as the real service, but keeps the journeys
// in memory (no event log): it answers "what would be sent", not "what was".
// Hires behave by a seeded random model (most tasks on time, some late, some
// never; an occasional leave or departure), so a run is reproducible.
//
// Thread safety: a Simulation is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "journey/engine/calendar.h"
#include "journey/engine/notifications.h"

namespace journey::engine {

struct SimulationConfig {
  int hires = 10;
  int units = 3;
  date::sys_days first_day = date::sys_days(date::year(2027) / 1 / 4);  // first simulated day
  int days = 730;
  std::uint64_t seed = 1;
  double late_share = 0.2;    // share of tasks done late
  double never_share = 0.03;  // share of tasks never done
  double leave_share = 0.05;  // share of hires who take a long leave
  double left_share = 0.05;   // share of hires who leave during the period
};

struct SimulatedNotification {
  date::sys_days date;  // local date it is sent
  TimePoint send_at;    // the UTC instant
  Recipient to;
  std::vector<PlannedReminder> reminders;
  std::string subject;
  std::string message_id;
};

struct SimulationSummary {
  int hires = 0;
  long events = 0;     // domain events applied
  long reminders = 0;  // reminders decided
  long messages = 0;   // messages sent (after coalescing digests)
  std::map<std::string, long> by_kind;
  std::map<std::string, long> by_audience;
  long unresolved = 0;                // reminders with nobody to tell (missing contact data)
  long weekend_or_holiday_sends = 0;  // must stay 0
};

// Runs the simulation, calling `emit` for each message in date order.
SimulationSummary simulate(const workflows::Programme& programme, const Templates& templates,
                           const MunicipalTime& time, const SimulationConfig& config,
                           const std::function<void(const SimulatedNotification&)>& emit);

}  // namespace journey::engine
