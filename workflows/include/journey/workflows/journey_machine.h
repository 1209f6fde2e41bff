// A hire's journey as a state machine. The machine itself is a Boost.MSM
// back-end with orthogonal regions (lifecycle, preparation, induction, course,
// supervision, introducer, mentor) that lives only in journey_machine.cc, so the
// expensive MSM templates compile in one translation unit; this header is a pimpl.
//
// Use: construct with the programme the hire was registered under, feed every
// stored event through apply() (replay), then apply() a candidate event to
// decide a command. A refused event leaves the machine exactly as it was.
//
// Thread safety: none; one machine per thread. Copyable (a copy is a snapshot).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "journey/workflows/events.h"
#include "journey/workflows/programme.h"

namespace journey::workflows {

enum class Language { sv, en };
std::optional<Language> parse_language(const std::string& code);  // "sv", "en"

// Why a command was refused: a stable code for programs, arguments for the text.
struct Refusal {
  std::string code;  // e.g. "module_already_attended"
  std::map<std::string, std::string> args;
  std::string message(Language lang = Language::sv) const;
};

struct ItemState {
  enum class Status { open, done, waived } status = Status::open;
  std::optional<date::sys_days> done_on;
  std::string note;  // comment or waiver reason
};

// Every checklist item's state, one slot per item of the programme in its
// order (Programme::locate gives an item's slot). A flat vector, not a map
// keyed by item id: the machine is rebuilt from the log for every command and
// status read, and 80 string-keyed map nodes per hire were a tenth of replay.
class ItemStates {
 public:
  void reset(const Programme& programme);  // one open slot per item
  // The item's state, or nullptr if the programme has no such item.
  const ItemState* find(const std::string& item_id) const;
  // The item's state; std::out_of_range if the programme has no such item.
  const ItemState& at(const std::string& item_id) const;
  ItemState& at(const std::string& item_id);
  std::size_t count(const std::string& item_id) const { return find(item_id) ? 1 : 0; }
  std::size_t size() const { return states_.size(); }
  ItemState& at_ordinal(std::size_t ordinal) { return states_.at(ordinal); }
  const ItemState& at_ordinal(std::size_t ordinal) const { return states_.at(ordinal); }

 private:
  std::optional<std::size_t> ordinal_of(const std::string& item_id) const;
  const Programme* programme_ = nullptr;  // shared with the machine that owns these
  std::vector<ItemState> states_;
};

struct LeavePeriod {
  std::string kind;
  date::sys_days from;
  std::optional<date::sys_days> back_on;  // first day back; empty while on leave
};

// Everything the journey knows, folded from its events: what projections read.
struct JourneyFacts {
  bool registered = false;
  HireRegistered hire;
  std::optional<date::sys_days> started_on, left_on, completed_on;
  std::string left_reason;
  ItemStates items;                // every checklist item of the programme
  std::map<Part, int> open_items;  // per part: items neither done nor waived
  std::optional<CourseBooked> course_booking;
  std::map<int, date::sys_days> modules;
  std::map<std::string, date::sys_days> bbic;
  std::optional<date::sys_days> course_completed_on;
  bool course_waived = false;
  std::optional<SupervisionGroupJoined> supervision_group;
  std::map<int, SupervisionSessionAttended> sessions;
  std::optional<date::sys_days> supervision_completed_on;
  bool supervision_waived = false;
  std::optional<IntroducerAppointed> introducer;
  std::vector<IntroducerAppointed> introducer_history;
  std::optional<Person> mentor, mentor_replacement;
  std::vector<LeavePeriod> leaves;
  std::map<date::sys_days, double> introducer_hours;  // ISO week Monday -> hours
};

// The machine's regions and their current states, e.g. {"course", "CourseInProgress"}.
struct RegionState {
  std::string region;
  std::string state;
};

class JourneyMachine {
 public:
  // REQUIRES: programme outlives every copy of the machine.
  explicit JourneyMachine(std::shared_ptr<const Programme> programme);
  JourneyMachine(const JourneyMachine&);
  JourneyMachine& operator=(const JourneyMachine&);
  ~JourneyMachine();

  // Accepts the event (state advances) or returns why not (state unchanged).
  std::optional<Refusal> apply(const DomainEvent& event);

  const JourneyFacts& facts() const;
  std::vector<RegionState> regions() const;
  // The state of one region by name ("lifecycle", "course", ...).
  std::string state_of(const std::string& region) const;
  const Programme& programme() const;

  // Every (state, event) pair of the transition table, for table-driven tests and
  // documentation: {"CourseBooked", "CourseModuleAttended", "CourseInProgress"}.
  struct Transition {
    std::string from, event, to;  // `to` empty for an internal transition
  };
  static std::vector<Transition> transition_table();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Display names (Swedish or English) of parts, regions' states and event types.
std::string part_title(Part p, Language lang);
std::string state_title(const std::string& state, Language lang);
std::string event_title(const std::string& type, Language lang);

}  // namespace journey::workflows
