// The status projection of one hire: each part's state, checklist progress per
// responsible role, deadlines (moved by leave), what is overdue on a given date,
// and the introducer's hours owed vs logged per ISO week.
//
// Leave freezes the programme's clock: every deadline after a leave's start
// moves by the leave's length in days; an ongoing leave keeps moving it day by
// day, so nothing becomes overdue while the hire is away.
//
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "journey/workflows/journey_machine.h"

namespace journey::engine {

using workflows::Part;
using workflows::Role;

struct ItemLine {
  std::string id;
  std::string text;
  std::string checklist;
  Role role = Role::EC;
  date::sys_days due;
  workflows::ItemState state;
  bool overdue = false;
};

struct PartProgress {
  Part part = Part::preparation;
  std::string state;  // machine state of the part's region
  int done = 0;       // items done / modules attended / sessions attended
  int total = 0;
  bool finished = false;
};

struct RoleProgress {
  Role role = Role::EC;
  int done = 0;
  int waived = 0;
  int total = 0;
};

struct DeadlineStatus {
  std::string id;
  std::string title;
  Part part = Part::preparation;
  date::sys_days nominal;  // start + offset
  date::sys_days due;      // moved by leave
  bool met = false;
  bool overdue = false;
};

struct WeekHours {
  date::sys_days monday;
  double owed = 0;
  double logged = 0;
};

struct HireStatus {
  std::string hire_id;
  workflows::HireRegistered hire;
  date::sys_days as_of;
  std::string lifecycle;
  std::vector<workflows::RegionState> regions;
  std::vector<PartProgress> parts;
  std::vector<RoleProgress> roles;
  std::vector<DeadlineStatus> deadlines;
  std::optional<DeadlineStatus> next_deadline;  // earliest unmet
  std::vector<ItemLine> items;                  // every checklist item
  std::vector<ItemLine> overdue_items;
  std::vector<WeekHours> weeks;  // complete ISO weeks since the first day
  double hours_owed = 0;
  double hours_logged = 0;
  std::optional<workflows::IntroducerAppointed> introducer;
  std::optional<workflows::Person> mentor, mentor_replacement;
  std::vector<workflows::LeavePeriod> leaves;
  int leave_days = 0;  // up to as_of
  std::optional<date::sys_days> started_on, left_on, completed_on;
  // Attendance, as the machine folded it (corrections applied).
  std::map<int, date::sys_days> modules;                          // course module -> date
  std::map<std::string, date::sys_days> bbic;                     // BBIC part -> date
  std::map<int, workflows::SupervisionSessionAttended> sessions;  // session -> attendance
};

// One open checklist item of a hire, as a task list shows it. The item's
// text and checklist are the programme's (Programme::find_item), not copied
// into every hire's summary.
struct OpenTask {
  std::uint32_t index = 0;  // the item's place in HireStatus::items (programme order)
  std::string item;         // the item's id
  Role role = Role::EC;
  date::sys_days due;
  bool overdue = false;
};

// What the lists show of a hire, a few hundred bytes where its status is ten
// thousand: what the maintained views store for each hire (views.h), and
// what a list computed by replay reduces each status to, so that both answer
// from the same fields by construction.
struct HireSummary {
  workflows::HireRegistered hire;
  std::string lifecycle;
  int overdue = 0;  // overdue checklist items and overdue deadlines
  std::optional<DeadlineStatus> next_deadline;
  std::vector<PartProgress> parts;
  double hours_owed = 0;
  double hours_logged = 0;
  std::string introducer_email;  // the current introducer's; "" before one is appointed
  // Open items, in programme order; none once the hire has left or completed
  // (nobody is asked for anything then).
  std::vector<OpenTask> open_tasks;
};

HireSummary summarize(const HireStatus& s);

// Moves a deadline by every leave that began on or before it.
date::sys_days shift_for_leave(date::sys_days nominal,
                               const std::vector<workflows::LeavePeriod>& leaves,
                               date::sys_days as_of);

HireStatus project_status(const std::string& hire_id, const workflows::JourneyMachine& machine,
                          date::sys_days as_of);

}  // namespace journey::engine
