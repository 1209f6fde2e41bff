// The introduction programme as data: what a municipality's TOML file says, after
// the loader has checked it. A hire keeps the programme version it was registered
// under, so a Programme is immutable once loaded and identified by (id, version).
//
// Thread safety: a loaded Programme is read-only and may be shared across threads.
#pragma once

#include <date/date.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace journey::workflows {

// Who carries out a checklist item (the GR checklist's columns).
enum class Role { EC, FirstSocialWorker, FA, AD, SJ, EJ };
const char* role_code(Role r);  // "EC", "1:e", "FA", "AD", "SJ", "EJ"
std::optional<Role> parse_role(const std::string& code);

// A signed calendar offset from the hire's first working day: "-14d", "2w", "4m", "1y".
// Months and years land on the same day of month, clamped to the month's last day
// (31 Oct + 4m = 28/29 Feb).
struct Offset {
  enum class Unit { days, weeks, months, years };
  int count = 0;
  Unit unit = Unit::days;
  date::sys_days from(date::sys_days start) const;
  std::string str() const;  // "4m"
  bool operator==(const Offset& o) const { return count == o.count && unit == o.unit; }
};
// Throws std::invalid_argument naming what is wrong.
Offset parse_offset(const std::string& text);

// Which part of the programme something belongs to. The four parts of the GR
// programme plus the pre-arrival preparation.
enum class Part { preparation, induction, course, supervision, internal_support };
const char* part_id(Part p);  // "preparation", "induction", ...

struct ChecklistItem {
  std::string id;                      // unique within the programme, e.g. "intro.valkomstbrev"
  std::string text;                    // Swedish, as the user reads it
  std::string comment;                 // optional hint from the source checklist
  Role role = Role::EC;                // who is responsible
  Offset due;                          // relative to the start date
  bool waived_if_experienced = false;  // marked EJ at registration for experienced hires
};

struct Checklist {
  std::string id;     // e.g. "ec-forbereda-ankomst"
  std::string title;  // e.g. "Checklista enhetschef förbereda ankomst"
  Part part = Part::induction;
  std::vector<ChecklistItem> items;
};

// A window "to start within from..to", or a plain deadline (from == to).
struct Window {
  Offset from;
  Offset to;
};

struct CourseModule {
  int number = 0;  // 1..N, consecutive
  std::string title;
};

struct BbicPart {
  std::string id;  // "A".."D"
  std::string title;
};

struct Course {
  std::string title;  // "Introduktionsprogram"
  Window start;       // to start within 4 months .. 1 year
  std::vector<CourseModule> modules;
  std::vector<BbicPart> bbic_parts;
};

struct Supervision {
  std::string title;  // "Yrkesinriktad handledning"
  Window start;       // to start within 1..2 years
  int sessions = 10;
  double session_hours = 2.0;
  Offset duration;  // over one year from the first session
  int group_min = 6;
  int group_max = 8;
};

struct IntroducerPeriod {
  Offset from;  // "0m"
  Offset to;    // "12m"
  double hours_per_week = 0;
};

struct InternalSupport {
  std::string title;                         // "Internt stöd"
  std::vector<IntroducerPeriod> introducer;  // 4 h/week year one, 2 h/week year two
};

// Deadlines that the scheduler and the status projection know by id, e.g.
// "induction.complete" (4m), "course.start" (12m), "supervision.start" (24m).
struct Deadline {
  std::string id;
  std::string title;  // Swedish
  Part part = Part::induction;
  Offset due;
};

// When to remind about an obligation: rungs relative to its due date ("-14d",
// "0d", "1d"), and an escalation to the unit's escalation contact when it is
// still open `escalate_after` the due date.
struct ReminderRule {
  std::string obligation;  // "checklist" (open items, per role and due date) or a deadline id
  std::vector<Offset> ladder;
  std::optional<Offset> escalate_after;
};

struct Programme {
  std::string id;      // e.g. "gr-forsta-aren"
  int version = 0;     // >= 1
  std::string name;    // Swedish title
  std::string source;  // where the content comes from
  std::vector<Checklist> checklists;
  Course course;
  Supervision supervision;
  InternalSupport support;
  std::vector<Deadline> deadlines;
  std::vector<ReminderRule> reminders;  // optional section; none means no reminders

  // Where an item is: its checklist, itself, and its ordinal among all items
  // of the programme (checklists in order, items in order).
  struct ItemLocation {
    const Checklist* checklist = nullptr;
    const ChecklistItem* item = nullptr;
    std::size_t ordinal = 0;
  };
  // Item id -> (checklist index, item index, ordinal); filled by the loader
  // (index_items), because replay looks an item up for every checklist event.
  // Indices, not pointers, so that a copied programme stays right. Call
  // index_items() again after changing `checklists` by hand.
  struct ItemSlot {
    std::size_t checklist = 0, item = 0, ordinal = 0;
  };
  std::unordered_map<std::string, ItemSlot> item_index;
  std::size_t item_count = 0;
  void index_items();

  // nullopt if the programme has no such item. Without an index (a programme
  // built by hand and never indexed) this scans the checklists.
  std::optional<ItemLocation> locate(const std::string& item_id) const;
  const ChecklistItem* find_item(const std::string& item_id) const;
  const Checklist* checklist_of(const std::string& item_id) const;
  const Deadline* find_deadline(const std::string& id) const;
  // Hours owed per week in the given programme week (0-based from the start).
  double introducer_hours_for(date::sys_days start, date::sys_days week_monday) const;
};

// A loader error names the file, the line (when known), the field and the problem:
//   "gr.toml:42: checklists[1].items[3].role: 'XY' is not one of EC, 1:e, FA, AD, SJ, EJ"
class ProgrammeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and checks a programme. `origin` names the source in error messages.
// Throws ProgrammeError on the first problem found.
Programme load_programme_text(const std::string& toml_text, const std::string& origin);
Programme load_programme_file(const std::string& path);

}  // namespace journey::workflows
