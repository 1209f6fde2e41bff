// Who hears what, when: units and their contacts (recorded as events, like
// everything else), and the pure planner that turns a hire's status and the
// programme's reminder ladders into reminders with stable identities.
//
// The planner decides nothing about time zones or delivery: it names the
// calendar date a rung falls on; the scheduler moves that date to the next
// working day at the municipality's send hour and records each reminder as an
// event (keyed by its id) before any delivery, so it is decided once.
//
// What is never planned: a reminder for something already done or waived,
// anything while the hire is on leave (deadlines move by the leave instead),
// and anything after the hire has left or completed the journey.
//
// Thread safety: pure functions over values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "journey/engine/status.h"

namespace journey::engine {

struct Contact {
  std::string name;
  std::string email;
  workflows::Language language = workflows::Language::sv;
  bool digest = false;  // one daily digest instead of separate messages
};

// A unit's people: the unit head, the administrator and the escalation contact
// (e.g. the IFO chief). Stream "unit-<12 hex of SHA-256(name)>", event UnitContactsSet.
// Every unit belongs to one municipality (tenant); units recorded before
// municipalities existed belong to "default".
constexpr const char* kDefaultMunicipality = "default";
struct UnitContacts {
  std::string unit;
  Contact unit_head;
  Contact administrator;
  std::optional<Contact> escalation;
  std::string municipality = kDefaultMunicipality;
};

enum class Audience { unit_head, administrator, introducer, hire, escalation };
const char* audience_id(Audience a);  // "unit_head", ...

struct PlannedReminder {
  enum class Kind { task_list, before, on_day, overdue, escalation, hours_shortfall };
  std::string id;  // stable identity, e.g. "hire-3f9a0c21/induction.complete/-14d"
  std::string hire_id;
  Kind kind = Kind::before;
  Audience audience = Audience::unit_head;
  std::string obligation;  // deadline id, "checklist/<role>", "tasks/<role>" or "hours/<ISO week>"
  std::string title;       // Swedish, from the programme
  date::sys_days due;      // the obligation's due date (moved by leave)
  date::sys_days fire_on;  // calendar date of the rung, before moving to a working day
  std::vector<std::string> items;  // checklist items concerned (texts), if any
  double hours_owed = 0, hours_logged = 0, hours_balance = 0;  // hours_shortfall only
};
const char* kind_id(PlannedReminder::Kind k);

// Every reminder the programme's ladders give for this hire as its status
// stands, whatever its date; the caller picks those whose time has come.
// `registered_on` dates the task lists sent at registration.
std::vector<PlannedReminder> plan_reminders(const HireStatus& status,
                                            const workflows::Programme& programme,
                                            date::sys_days registered_on);

// The audience a checklist role reports to: EC and 1:e -> unit head, AD ->
// administrator, FA -> introducer, SJ -> the hire; EJ -> nobody.
std::optional<Audience> audience_for(workflows::Role role);

}  // namespace journey::engine
