// The journey machine against the shipped GR programme: a data-driven table of
// (history, command) -> accepted or refused-with-code, and the rules that need
// more than one step (replacement mentor, experienced hire, nothing after leaving).
#define BOOST_TEST_MODULE journey_machine
#include "journey/workflows/journey_machine.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <functional>
#include <set>

using namespace journey::workflows;
using date::days;

namespace {

std::shared_ptr<const Programme> gr() {
  static auto p = std::make_shared<const Programme>(
      load_programme_file(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml"));
  return p;
}

const date::sys_days kStart = date::sys_days(date::year(2026) / 3 / 2);  // a Monday

HireRegistered registration(bool experienced = false) {
  HireRegistered r;
  r.name = "Sara Lind";
  r.email = "sara.lind@example.se";
  r.unit = "Barn och unga Hisingen";
  r.start = kStart;
  r.experienced = experienced;
  r.programme_id = gr()->id;
  r.programme_version = gr()->version;
  if (experienced) {
    for (const auto& cl : gr()->checklists)
      for (const auto& item : cl.items)
        if (item.waived_if_experienced) r.waived_items.push_back(item.id);
  }
  return r;
}

std::vector<DomainEvent> items_of(Part part) {
  std::vector<DomainEvent> out;
  for (const auto& cl : gr()->checklists) {
    if (cl.part != part) continue;
    for (const auto& item : cl.items) out.push_back(ChecklistItemCompleted{item.id, kStart, ""});
  }
  return out;
}

// Named histories the table builds on.
std::vector<DomainEvent> history(const std::string& name) {
  std::vector<DomainEvent> h;
  auto add = [&](std::vector<DomainEvent> more) { h.insert(h.end(), more.begin(), more.end()); };
  if (name == "empty") return h;
  h.push_back(registration());
  if (name == "registered") return h;
  h.push_back(HireStarted{kStart});
  if (name == "active") return h;
  if (name == "on_leave") {
    h.push_back(LeaveStarted{"parental", kStart + days(30)});
    return h;
  }
  if (name == "left") {
    h.push_back(HireLeft{kStart + days(60), "ny tjänst"});
    return h;
  }
  if (name == "booked") {
    h.push_back(CourseBooked{kStart + days(120), "HT26"});
    return h;
  }
  if (name == "course_partial") {
    h.push_back(CourseBooked{kStart + days(120), "HT26"});
    for (int m : {1, 2, 4}) h.push_back(CourseModuleAttended{m, kStart + days(120 + m)});
    return h;
  }
  if (name == "course_all") {
    h.push_back(CourseBooked{kStart + days(120), "HT26"});
    for (int m = 1; m <= 8; ++m) h.push_back(CourseModuleAttended{m, kStart + days(120 + m)});
    for (const char* p : {"A", "B", "C", "D"})
      h.push_back(BbicPartCompleted{p, kStart + days(130)});
    return h;
  }
  if (name == "group") {
    h.push_back(SupervisionGroupJoined{"Grupp 3", "Eva Berg", kStart + days(400)});
    return h;
  }
  if (name == "sessions_9" || name == "sessions_10") {
    h.push_back(SupervisionGroupJoined{"Grupp 3", "Eva Berg", kStart + days(400)});
    const int n = name == "sessions_9" ? 9 : 10;
    for (int s = 1; s <= n; ++s)
      h.push_back(SupervisionSessionAttended{s, kStart + days(400 + 30 * s), 2});
    return h;
  }
  if (name == "introducer") {
    h.push_back(IntroducerAppointed{{"Karin Ek", "karin.ek@example.se"}, kStart});
    return h;
  }
  if (name == "everything") {
    add(items_of(Part::preparation));
    add(items_of(Part::induction));
    h.push_back(PartWaived{"course", "har gått motsvarande kurs"});
    h.push_back(PartWaived{"supervision", "har handledning i annan form"});
    return h;
  }
  throw std::invalid_argument("no history " + name);
}

struct Case {
  const char* name;
  const char* history;
  DomainEvent command;
  const char* expect;  // "ok" or the refusal code
  std::string region = "";
  std::string state_after = "";
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      // lifecycle
      {"register", "empty", registration(), "ok", "lifecycle", "Preboarding"},
      {"register twice", "registered", registration(), "already_registered"},
      {"anything before registering", "empty", HireStarted{kStart}, "not_registered"},
      {"wrong programme version", "empty",
       [] {
         auto r = registration();
         r.programme_version = 99;
         return DomainEvent(r);
       }(),
       "programme_mismatch"},
      {"first day", "registered", HireStarted{kStart}, "ok", "lifecycle", "Active"},
      {"leave before starting", "registered", LeaveStarted{"sick", kStart}, "not_allowed"},
      {"leave", "active", LeaveStarted{"parental", kStart + days(10)}, "ok", "lifecycle",
       "OnLeave"},
      {"leave before first day", "active", LeaveStarted{"parental", kStart - days(1)},
       "date_before_start"},
      {"back from leave", "on_leave", LeaveEnded{kStart + days(200)}, "ok", "lifecycle", "Active"},
      {"back before leaving", "on_leave", LeaveEnded{kStart + days(30)}, "leave_end_before_start"},
      {"leave twice", "on_leave", LeaveStarted{"sick", kStart + days(40)}, "not_allowed"},
      {"left", "active", HireLeft{kStart + days(90), ""}, "ok", "lifecycle", "Left"},
      {"left before starting", "registered", HireLeft{kStart - days(5), "tackade nej"}, "ok",
       "lifecycle", "Left"},
      {"module after leaving", "left", CourseModuleAttended{1, kStart + days(100)}, "hire_left"},
      {"item after leaving", "left", ChecklistItemCompleted{"ec.gava", kStart, ""}, "hire_left"},
      {"complete too early", "course_all", JourneyCompleted{kStart + days(700)},
       "journey_incomplete"},
      {"complete", "everything", JourneyCompleted{kStart + days(700)}, "ok", "lifecycle",
       "Completed"},
      // checklists
      {"item done", "registered", ChecklistItemCompleted{"ad.dator", kStart - days(3), ""}, "ok",
       "preparation", "PreparationOpen"},
      {"unknown item", "registered", ChecklistItemCompleted{"ad.kaffe", kStart, ""},
       "unknown_item"},
      {"waive item", "registered", ChecklistItemWaived{"intro.nycklar", "har nycklar"}, "ok",
       "induction", "InductionOpen"},
      // course
      {"book course", "active", CourseBooked{kStart + days(120), "HT26"}, "ok", "course",
       "CourseBookedState"},
      {"module without booking", "active", CourseModuleAttended{1, kStart + days(120)},
       "not_allowed"},
      {"first module", "booked", CourseModuleAttended{1, kStart + days(121)}, "ok", "course",
       "CourseInProgress"},
      {"module twice", "course_partial", CourseModuleAttended{2, kStart + days(150)},
       "module_already_attended"},
      {"module 9", "course_partial", CourseModuleAttended{9, kStart + days(150)}, "unknown_module"},
      {"module before the course starts", "booked", CourseModuleAttended{1, kStart + days(119)},
       "before_part_start"},
      {"session before the group starts", "group",
       SupervisionSessionAttended{1, kStart + days(399), 2}, "before_part_start"},
      {"module 0", "booked", CourseModuleAttended{0, kStart + days(150)}, "unknown_module"},
      {"bbic part E", "booked", BbicPartCompleted{"E", kStart + days(150)}, "unknown_bbic_part"},
      {"course with modules missing", "course_partial", CourseCompleted{kStart + days(200), ""},
       "course_incomplete"},
      {"course complete", "course_all", CourseCompleted{kStart + days(200), "intyg-1"}, "ok",
       "course", "CourseDone"},
      {"waive course", "active", PartWaived{"course", "erfaren"}, "ok", "course", "CourseWaived"},
      {"waive induction", "active", PartWaived{"induction", ""}, "part_not_waivable"},
      // supervision
      {"session without group", "active", SupervisionSessionAttended{1, kStart + days(400), 2},
       "not_allowed"},
      {"join group", "active", SupervisionGroupJoined{"G1", "Eva", kStart + days(400)}, "ok",
       "supervision", "SupervisionGroupAssigned"},
      {"first session", "group", SupervisionSessionAttended{1, kStart + days(410), 2}, "ok",
       "supervision", "SupervisionInProgress"},
      {"session 11", "sessions_9", SupervisionSessionAttended{11, kStart + days(800), 2},
       "unknown_session"},
      {"session twice", "sessions_9", SupervisionSessionAttended{3, kStart + days(800), 2},
       "session_already_attended"},
      {"session of zero hours", "group", SupervisionSessionAttended{1, kStart + days(410), 0},
       "hours_out_of_range"},
      {"supervision with 9 sessions", "sessions_9", SupervisionCompleted{kStart + days(800), ""},
       "supervision_incomplete"},
      {"supervision complete", "sessions_10", SupervisionCompleted{kStart + days(800), ""}, "ok",
       "supervision", "SupervisionDone"},
      // introducer
      {"hours without introducer", "active", IntroducerHoursLogged{kStart, 4}, "not_allowed"},
      {"appoint introducer", "registered", IntroducerAppointed{{"Karin Ek", ""}, kStart}, "ok",
       "introducer", "IntroducerAssigned"},
      {"hours", "introducer", IntroducerHoursLogged{kStart + days(7), 4}, "ok", "introducer",
       "IntroducerAssigned"},
      {"hours on a Tuesday", "introducer", IntroducerHoursLogged{kStart + days(8), 4},
       "week_not_monday"},
      {"negative hours", "introducer", IntroducerHoursLogged{kStart + days(7), -1},
       "hours_out_of_range"},
      // mentor
      {"dropout without mentor", "active", MentorDroppedOut{kStart, ""}, "not_allowed"},
      {"appoint mentor", "active", MentorAppointed{{"Per Ås", ""}, Person{"Lena Ö", ""}}, "ok",
       "mentor", "MentorAssigned"},
  };
  return table;
}

std::optional<Refusal> replay(JourneyMachine& m, const std::vector<DomainEvent>& events) {
  for (const auto& e : events) {
    if (auto r = m.apply(e)) return r;
  }
  return std::nullopt;
}

}  // namespace

BOOST_DATA_TEST_CASE(CommandIsAcceptedOrRefusedAsTheTableSays,
                     boost::unit_test::data::make(cases()), c) {
  JourneyMachine m(gr());
  auto setup = replay(m, history(c.history));
  BOOST_REQUIRE_MESSAGE(!setup, "history '" << c.history << "' was refused: "
                                            << (setup ? setup->message(Language::en) : ""));
  const auto before = m.regions();
  auto refusal = m.apply(c.command);
  if (std::string(c.expect) == "ok") {
    BOOST_TEST(!refusal.has_value(),
               c.name << ": " << (refusal ? refusal->message(Language::en) : ""));
    if (!c.region.empty()) BOOST_TEST(m.state_of(c.region) == c.state_after);
  } else {
    BOOST_REQUIRE_MESSAGE(refusal.has_value(), c.name << " was accepted");
    BOOST_TEST(refusal->code == c.expect);
    // Refused means nothing changed.
    const auto after = m.regions();
    for (std::size_t i = 0; i < before.size(); ++i) BOOST_TEST(after[i].state == before[i].state);
    BOOST_TEST(!refusal->message(Language::sv).empty());
    BOOST_TEST(refusal->message(Language::sv).find('{') == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(EveryTableRowNamesKnownStatesAndEvents) {
  auto table = JourneyMachine::transition_table();
  BOOST_TEST(table.size() >= 40u);
  std::set<std::string> events(event_type_names().begin(), event_type_names().end());
  events.insert("(completion)");
  for (const auto& t : table) {
    BOOST_TEST(!t.from.empty());
    BOOST_TEST(events.count(t.event) == 1u, t.event);
    BOOST_TEST(state_title(t.from, Language::sv) != t.from, "no Swedish title for " << t.from);
  }
}

BOOST_AUTO_TEST_CASE(CourseRefusalNamesTheMissingModules) {
  JourneyMachine m(gr());
  BOOST_REQUIRE(!replay(m, history("course_partial")));
  auto r = m.apply(CourseCompleted{kStart + days(200), ""});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->message(Language::sv).find("3, 5, 6, 7, 8") != std::string::npos,
             r->message(Language::sv));
  BOOST_TEST(r->message(Language::en).find("A, B, C, D") != std::string::npos,
             r->message(Language::en));
}

BOOST_AUTO_TEST_CASE(ReplacementTakesOverWhenTheMentorDropsOut) {
  JourneyMachine m(gr());
  BOOST_REQUIRE(!replay(m, history("active")));
  BOOST_REQUIRE(
      !m.apply(MentorAppointed{{"Per Ås", "per@example.se"}, Person{"Lena Ö", "lena@example.se"}}));
  BOOST_REQUIRE(!m.apply(MentorDroppedOut{kStart + days(100), "flyttar"}));
  BOOST_TEST(m.state_of("mentor") == "MentorAssigned");
  BOOST_REQUIRE(m.facts().mentor);
  BOOST_TEST(m.facts().mentor->name == "Lena Ö");
  BOOST_TEST(!m.facts().mentor_replacement);
  // No replacement named now: the next dropout leaves the hire without a mentor.
  BOOST_REQUIRE(!m.apply(MentorDroppedOut{kStart + days(200), ""}));
  BOOST_TEST(m.state_of("mentor") == "NoMentor");
  BOOST_TEST(!m.facts().mentor);
}

BOOST_AUTO_TEST_CASE(ExperiencedHireGetsProfessionItemsMarkedEj) {
  JourneyMachine m(gr());
  BOOST_REQUIRE(!m.apply(registration(true)));
  const auto& items = m.facts().items;
  BOOST_TEST((items.at("intro.socialtjanstlagen").status == ItemState::Status::waived));
  BOOST_TEST((items.at("intro.nycklar").status == ItemState::Status::open));
  BOOST_TEST(items.count("intro.nycklar") == 1u);
  BOOST_TEST(items.count("intro.finns-inte") == 0u);
  BOOST_CHECK_THROW(items.at("intro.finns-inte"), std::out_of_range);
  auto r = m.apply(ChecklistItemCompleted{"intro.socialtjanstlagen", kStart, ""});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->code == "item_waived");
}

BOOST_AUTO_TEST_CASE(ChecklistClosesWhenTheLastItemIsDone) {
  JourneyMachine m(gr());
  BOOST_REQUIRE(!replay(m, history("active")));
  auto items = items_of(Part::induction);
  auto last = items.back();
  items.pop_back();
  BOOST_REQUIRE(!replay(m, items));
  BOOST_TEST(m.state_of("induction") == "InductionOpen");
  BOOST_REQUIRE(!m.apply(last));
  BOOST_TEST(m.state_of("induction") == "InductionDone");
  auto again = m.apply(last);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->code == "item_already_done");
}

BOOST_AUTO_TEST_CASE(ModulesDuringLeaveAreRefusedUntilTheHireIsBack) {
  JourneyMachine m(gr());
  BOOST_REQUIRE(!replay(m, history("booked")));
  BOOST_REQUIRE(!m.apply(LeaveStarted{"sick", kStart + days(125)}));
  auto r = m.apply(CourseModuleAttended{1, kStart + days(130)});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->code == "on_leave");
  BOOST_REQUIRE(!m.apply(LeaveEnded{kStart + days(160)}));
  BOOST_TEST(!m.apply(CourseModuleAttended{1, kStart + days(161)}));
  BOOST_REQUIRE(m.facts().leaves.size() == 1u);
  BOOST_TEST(date::format("%F", *m.facts().leaves[0].back_on) == "2026-08-09");
}

BOOST_AUTO_TEST_CASE(CopyIsAnIndependentSnapshot) {
  JourneyMachine m(gr());
  BOOST_REQUIRE(!replay(m, history("booked")));
  JourneyMachine copy = m;
  BOOST_REQUIRE(!copy.apply(CourseModuleAttended{1, kStart + days(121)}));
  BOOST_TEST(copy.state_of("course") == "CourseInProgress");
  BOOST_TEST(m.state_of("course") == "CourseBookedState");
  BOOST_TEST(m.facts().modules.empty());
}

BOOST_AUTO_TEST_CASE(EventsRoundTripThroughTheirEncoding) {
  for (const auto& e : history("sessions_10")) {
    auto enc = encode(e);
    auto back = decode(enc.type, enc.schema_version, enc.payload);
    BOOST_TEST(encode(back).payload == enc.payload);
    BOOST_TEST(std::string(event_type_name(back)) == enc.type);
  }
  BOOST_CHECK_THROW(decode("NoSuchEvent", 1, ""), DecodeError);
  BOOST_CHECK_THROW(decode("HireStarted", 2, encode(HireStarted{kStart}).payload), DecodeError);
  BOOST_CHECK_THROW(decode("HireRegistered", 1, "\x01\x02"), DecodeError);
}
