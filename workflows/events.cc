// cereal encoding of the domain events. Schema version 1 for every type; a
// changed payload gets a new schema version and a decode branch for the old one.
#include "journey/workflows/events.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstdio>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "journey/workflows/bounded_archive.h"
#include "journey/workflows/cereal_events.h"
#include "journey/workflows/value_domain.h"

namespace journey::workflows {

namespace {

constexpr const char* kNames[] = {"HireRegistered",
                                  "HireStarted",
                                  "ChecklistItemCompleted",
                                  "ChecklistItemWaived",
                                  "IntroducerAppointed",
                                  "MentorAppointed",
                                  "MentorReplacementNamed",
                                  "MentorDroppedOut",
                                  "CourseBooked",
                                  "CourseModuleAttended",
                                  "BbicPartCompleted",
                                  "CourseCompleted",
                                  "PartWaived",
                                  "SupervisionGroupJoined",
                                  "SupervisionSessionAttended",
                                  "SupervisionCompleted",
                                  "IntroducerHoursLogged",
                                  "LeaveStarted",
                                  "LeaveEnded",
                                  "HireLeft",
                                  "JourneyCompleted"};
static_assert(std::size(kNames) == std::variant_size_v<DomainEvent>);

template <std::size_t I = 0>
DomainEvent decode_index(std::size_t index, BoundedInputArchive& ar) {
  if constexpr (I < std::variant_size_v<DomainEvent>) {
    if (index == I) {
      std::variant_alternative_t<I, DomainEvent> v;
      ar(v);
      return v;
    }
    return decode_index<I + 1>(index, ar);
  } else {
    throw DecodeError("unreachable event index");
  }
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

const char* event_type_name(const DomainEvent& e) { return kNames[e.index()]; }

const std::vector<std::string>& event_type_names() {
  static const std::vector<std::string> names(std::begin(kNames), std::end(kNames));
  return names;
}

EncodedEvent encode(const DomainEvent& e) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    std::visit([&](const auto& v) { ar(v); }, e);
  }
  return EncodedEvent{event_type_name(e), 1, os.str()};
}

// Reads the payload in place: replay decodes every event, and an
// istringstream would copy each payload and build a locale.
class PayloadBuf : public std::streambuf {
 public:
  void point_at(const std::string& s) {
    char* b = const_cast<char*>(s.data());
    setg(b, b, b + s.size());
  }
};

// The index of a type name in kNames, or size(kNames).
std::size_t type_index(const std::string& type) {
  static const std::unordered_map<std::string_view, std::size_t> index = [] {
    std::unordered_map<std::string_view, std::size_t> m;
    for (std::size_t i = 0; i < std::size(kNames); ++i) m.emplace(kNames[i], i);
    return m;
  }();
  auto it = index.find(type);
  return it == index.end() ? std::size(kNames) : it->second;
}

DomainEvent decode(const std::string& type, std::uint16_t schema_version,
                   const std::string& payload) {
  DomainEvent e = decode_structure(type, schema_version, payload);
  // The entrances check the same rules: an event that fails them was never
  // accepted by this version (old data, a bug, or damage), so it is refused
  // here rather than half-read by a later stage.
  if (auto bad = check_event(e, EventCheck::stored))
    throw DecodeError("payload of '" + type + "': field '" + bad->field + "' " +
                      bad->problem.text(Language::en) +
                      (bad->problem.value.empty() ? "" : " (" + bad->problem.value + ")"));
  return e;
}

DomainEvent decode_structure(const std::string& type, std::uint16_t schema_version,
                             const std::string& payload) {
  const std::size_t index = type_index(type);
  if (index == std::size(kNames)) throw DecodeError("unknown event type '" + type + "'");
  if (schema_version != 1) {
    throw DecodeError("event type '" + type + "' has unknown schema version " +
                      std::to_string(schema_version));
  }
  // One stream per thread, pointed at each payload in turn: constructing an
  // std::istream initialises a locale, which cost more than decoding the event.
  struct Reader {
    PayloadBuf buf;
    std::istream is{&buf};
  };
  thread_local Reader reader;
  reader.buf.point_at(payload);
  reader.is.clear();
  std::istream& is = reader.is;
  try {
    BoundedInputArchive ar(is, payload.size());
    DomainEvent e = decode_index(index, ar);
    if (is.peek() != std::char_traits<char>::eof()) {
      throw DecodeError("payload of '" + type + "' has trailing bytes");
    }
    return e;
  } catch (const cereal::Exception& ex) {
    throw DecodeError("payload of '" + type + "' does not decode: " + ex.what());
  }
}

date::sys_days effective_date(const DomainEvent& e) {
  return std::visit(Overloaded{
                        [](const HireStarted& v) { return v.on; },
                        [](const ChecklistItemCompleted& v) { return v.done_on; },
                        [](const IntroducerAppointed& v) { return v.from; },
                        [](const MentorDroppedOut& v) { return v.on; },
                        [](const CourseBooked& v) { return v.starts_on; },
                        [](const CourseModuleAttended& v) { return v.on; },
                        [](const BbicPartCompleted& v) { return v.on; },
                        [](const CourseCompleted& v) { return v.on; },
                        [](const SupervisionGroupJoined& v) { return v.starts_on; },
                        [](const SupervisionSessionAttended& v) { return v.on; },
                        [](const SupervisionCompleted& v) { return v.on; },
                        [](const IntroducerHoursLogged& v) { return v.week; },
                        [](const LeaveStarted& v) { return v.from; },
                        [](const LeaveEnded& v) { return v.back_on; },
                        [](const HireLeft& v) { return v.on; },
                        [](const JourneyCompleted& v) { return v.on; },
                        // Facts without a date of their own take effect when recorded; the
                        // caller passes that date through (see engine), so this is a fallback.
                        [](const auto&) { return date::sys_days{}; },
                    },
                    e);
}

// Hot in projections and plans: no iostreams, no locale.
std::string format_date(date::sys_days d) {
  const date::year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string describe(const DomainEvent& e) {
  auto d = [](date::sys_days x) { return format_date(x); };
  auto num = [](double h) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", h);
    return std::string(buf);
  };
  return std::visit(
      Overloaded{
          [&](const HireRegistered& v) {
            return v.name + " <" + v.email + ">, " + v.unit + ", start " + d(v.start) + ", " +
                   v.programme_id + " v" + std::to_string(v.programme_version) +
                   (v.experienced ? ", erfaren (" + std::to_string(v.waived_items.size()) + " EJ)"
                                  : "");
          },
          [&](const HireStarted& v) { return "första dagen " + d(v.on); },
          [&](const ChecklistItemCompleted& v) {
            return v.item_id + " klart " + d(v.done_on) +
                   (v.comment.empty() ? "" : " — " + v.comment);
          },
          [&](const ChecklistItemWaived& v) {
            return v.item_id + " EJ" + (v.reason.empty() ? "" : " — " + v.reason);
          },
          [&](const IntroducerAppointed& v) { return v.introducer.name + " från " + d(v.from); },
          [&](const MentorAppointed& v) {
            return v.mentor.name + (v.replacement ? ", ersättare " + v.replacement->name : "");
          },
          [&](const MentorReplacementNamed& v) { return "ersättare " + v.replacement.name; },
          [&](const MentorDroppedOut& v) {
            return "mentor avhoppad " + d(v.on) + (v.reason.empty() ? "" : " — " + v.reason);
          },
          [&](const CourseBooked& v) {
            return "start " + d(v.starts_on) + (v.cohort.empty() ? "" : ", " + v.cohort);
          },
          [&](const CourseModuleAttended& v) {
            return "modul " + std::to_string(v.module) + " " + d(v.on);
          },
          [&](const BbicPartCompleted& v) { return "BBIC del " + v.part + " " + d(v.on); },
          [&](const CourseCompleted& v) {
            return "intyg " + d(v.on) + (v.certificate.empty() ? "" : " " + v.certificate);
          },
          [&](const PartWaived& v) { return v.part + (v.reason.empty() ? "" : " — " + v.reason); },
          [&](const SupervisionGroupJoined& v) {
            return v.group + ", handledare " + v.supervisor + ", start " + d(v.starts_on);
          },
          [&](const SupervisionSessionAttended& v) {
            return "träff " + std::to_string(v.session) + " " + d(v.on) + " (" + num(v.hours) +
                   " h)";
          },
          [&](const SupervisionCompleted& v) {
            return "intyg " + d(v.on) + (v.certificate.empty() ? "" : " " + v.certificate);
          },
          [&](const IntroducerHoursLogged& v) {
            return num(v.hours) + " h vecka " + date::format("%G-W%V", v.week);
          },
          [&](const LeaveStarted& v) { return v.kind + " från " + d(v.from); },
          [&](const LeaveEnded& v) { return "tillbaka " + d(v.back_on); },
          [&](const HireLeft& v) {
            return "slutade " + d(v.on) + (v.reason.empty() ? "" : " — " + v.reason);
          },
          [&](const JourneyCompleted& v) { return "avslutad " + d(v.on); },
      },
      e);
}

}  // namespace journey::workflows
