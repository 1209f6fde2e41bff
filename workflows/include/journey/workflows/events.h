// The domain events of a hire's journey: what the log stores (as cereal binary
// payloads, encoded in events.cc) and what the journey machine consumes.
//
// Each event's type name and schema version go into the log envelope; decode()
// refuses a type or schema version it does not know, naming both. Dates are
// calendar dates (date::sys_days) because the programme counts days, not instants.
//
// Thread safety: plain values.
#pragma once

#include <date/date.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace journey::workflows {

struct Person {
  std::string name;
  std::string email;
};

// First event of every hire stream.
struct HireRegistered {
  std::string name;
  std::string email;
  std::string unit;
  date::sys_days start;      // first working day
  bool experienced = false;  // new to the workplace, not to the profession
  std::string programme_id;
  int programme_version = 0;
  std::vector<std::string> waived_items;  // marked EJ at registration
};

struct HireStarted {
  date::sys_days on;
};

struct ChecklistItemCompleted {
  std::string item_id;
  date::sys_days done_on;  // "klart datum"
  std::string comment;
};

// EJ: the hire needs no introduction in this item.
struct ChecklistItemWaived {
  std::string item_id;
  std::string reason;
};

struct IntroducerAppointed {
  Person introducer;
  date::sys_days from;
};

struct MentorAppointed {
  Person mentor;
  std::optional<Person> replacement;  // the named "ersättare"
};

struct MentorReplacementNamed {
  Person replacement;
};

// The mentor drops out: the named replacement takes over, if there is one.
struct MentorDroppedOut {
  date::sys_days on;
  std::string reason;
};

struct CourseBooked {
  date::sys_days starts_on;
  std::string cohort;
};

struct CourseModuleAttended {
  int module = 0;
  date::sys_days on;
};

struct BbicPartCompleted {
  std::string part;  // "A".."D"
  date::sys_days on;
};

struct CourseCompleted {
  date::sys_days on;
  std::string certificate;  // "intyg" reference
};

// A whole part ("course" or "supervision") is not needed for this hire.
struct PartWaived {
  std::string part;
  std::string reason;
};

struct SupervisionGroupJoined {
  std::string group;
  std::string supervisor;
  date::sys_days starts_on;
};

struct SupervisionSessionAttended {
  int session = 0;  // 1..sessions
  date::sys_days on;
  double hours = 0;
};

struct SupervisionCompleted {
  date::sys_days on;
  std::string certificate;
};

// Hours the introducer spent with the hire in the ISO week starting `week`.
// Additive: several entries in one week add up.
struct IntroducerHoursLogged {
  date::sys_days week;  // a Monday
  double hours = 0;
};

struct LeaveStarted {
  std::string kind;  // "parental", "sick", "other"
  date::sys_days from;
};

struct LeaveEnded {
  date::sys_days back_on;  // first working day back
};

struct HireLeft {
  date::sys_days on;
  std::string reason;
};

struct JourneyCompleted {
  date::sys_days on;
};

using DomainEvent =
    std::variant<HireRegistered, HireStarted, ChecklistItemCompleted, ChecklistItemWaived,
                 IntroducerAppointed, MentorAppointed, MentorReplacementNamed, MentorDroppedOut,
                 CourseBooked, CourseModuleAttended, BbicPartCompleted, CourseCompleted, PartWaived,
                 SupervisionGroupJoined, SupervisionSessionAttended, SupervisionCompleted,
                 IntroducerHoursLogged, LeaveStarted, LeaveEnded, HireLeft, JourneyCompleted>;

// Stable type name as stored in the log ("ChecklistItemCompleted").
const char* event_type_name(const DomainEvent& e);
// Every known type name, in variant order.
const std::vector<std::string>& event_type_names();

// The date the event takes effect in the real world (its effective_at). Events
// without a date of their own (a registration, a waiver, an appointment of a
// mentor) return the epoch: the engine then uses the day they are recorded.
date::sys_days effective_date(const DomainEvent& e);

struct EncodedEvent {
  std::string type;
  std::uint16_t schema_version = 1;
  std::string payload;  // cereal portable binary
};

EncodedEvent encode(const DomainEvent& e);

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Throws DecodeError naming the type and what failed, including a field
// outside the value domain (value_domain.h).
DomainEvent decode(const std::string& type, std::uint16_t schema_version,
                   const std::string& payload);
// The bytes' structure only, without the value domain: for reading who may see
// a damaged hire (its unit), never for deciding or showing its journey.
DomainEvent decode_structure(const std::string& type, std::uint16_t schema_version,
                             const std::string& payload);

// A one-line, human-readable summary of the event's details (for history tables).
std::string describe(const DomainEvent& e);

std::string format_date(date::sys_days d);  // "2026-03-02"
// Strict YYYY-MM-DD (ASCII digits only) in the years 1900-2200: the value
// domain's date (value_domain.h), which decode() also enforces.
std::optional<date::sys_days> parse_date(std::string_view text);

}  // namespace journey::workflows
