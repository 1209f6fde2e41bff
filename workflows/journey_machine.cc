// The journey as a Boost.MSM machine. This is the only translation unit that
// includes MSM: it is expensive to compile. Regions run side by side:
//
//   lifecycle    NotRegistered -> Preboarding -> Active <-> OnLeave -> Completed; any -> Left
//   preparation  PreparationOpen -> PreparationReady     (EC and AD pre-arrival checklists)
//   induction    InductionOpen -> InductionDone          (the introduction checklist)
//   course       CourseNotBooked -> CourseBooked -> CourseInProgress -> CourseDone | CourseWaived
//   supervision  SupervisionNotStarted -> SupervisionGroupAssigned -> SupervisionInProgress
//                -> SupervisionDone | SupervisionWaived
//   introducer   NoIntroducer -> IntroducerAssigned
//   mentor       NoMentor <-> MentorAssigned
//
// Guards that refuse for a reason the user should read set `refusal`; a guard
// that only means "not this region's business" returns false silently. When no
// region takes an event and no guard gave a reason, the refusal names the event
// and the state of the region it belongs to.
// MSM 1.74 includes headers Boost itself has deprecated; say so once, here.
#define BOOST_ALLOW_DEPRECATED_HEADERS
#define BOOST_BIND_GLOBAL_PLACEHOLDERS
#define BOOST_MPL_CFG_NO_PREPROCESSED_HEADERS
#define BOOST_MPL_LIMIT_VECTOR_SIZE 50
#define BOOST_MPL_LIMIT_MAP_SIZE 50

#include "journey/workflows/journey_machine.h"

#include <algorithm>
#include <boost/mpl/for_each.hpp>
#include <boost/mpl/vector.hpp>
#include <boost/msm/back/metafunctions.hpp>
#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/back/tools.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>
#include <sstream>
#include <utility>

namespace journey::workflows {
namespace {

namespace msmf = boost::msm::front;
namespace mpl = boost::mpl;
using msmf::none;
using msmf::Row;

// ---- flags: let guards in one region ask about another ----------------------
struct RegisteredFlag {};
struct ActiveFlag {};
struct OnLeaveFlag {};
struct CompletedFlag {};
struct LeftFlag {};
struct PreparationReadyFlag {};
struct InductionDoneFlag {};
struct CourseFinishedFlag {};       // done or waived
struct SupervisionFinishedFlag {};  // done or waived

// ---- states -----------------------------------------------------------------
#define JOURNEY_STATE(Name, ...)                \
  struct Name : msmf::state<> {                 \
    static constexpr const char* name = #Name;  \
    typedef mpl::vector<__VA_ARGS__> flag_list; \
  }

JOURNEY_STATE(NotRegistered);
JOURNEY_STATE(Preboarding, RegisteredFlag);
JOURNEY_STATE(Active, RegisteredFlag, ActiveFlag);
JOURNEY_STATE(OnLeave, RegisteredFlag, OnLeaveFlag);
JOURNEY_STATE(Completed, RegisteredFlag, CompletedFlag);
JOURNEY_STATE(Left, RegisteredFlag, LeftFlag);
JOURNEY_STATE(PreparationOpen);
JOURNEY_STATE(PreparationReady, PreparationReadyFlag);
JOURNEY_STATE(InductionOpen);
JOURNEY_STATE(InductionDone, InductionDoneFlag);
JOURNEY_STATE(CourseNotBooked);
JOURNEY_STATE(CourseBookedState);
JOURNEY_STATE(CourseInProgress);
JOURNEY_STATE(CourseDone, CourseFinishedFlag);
JOURNEY_STATE(CourseWaived, CourseFinishedFlag);
JOURNEY_STATE(SupervisionNotStarted);
JOURNEY_STATE(SupervisionGroupAssigned);
JOURNEY_STATE(SupervisionInProgress);
JOURNEY_STATE(SupervisionDone, SupervisionFinishedFlag);
JOURNEY_STATE(SupervisionWaived, SupervisionFinishedFlag);
JOURNEY_STATE(NoIntroducer);
JOURNEY_STATE(IntroducerAssigned);
JOURNEY_STATE(NoMentor);
JOURNEY_STATE(MentorAssigned);
#undef JOURNEY_STATE

const char* const kRegions[] = {"lifecycle",   "preparation", "induction", "course",
                                "supervision", "introducer",  "mentor"};

Refusal refuse(std::string code, std::map<std::string, std::string> args = {}) {
  return Refusal{std::move(code), std::move(args)};
}

std::string join(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// ---- guards -----------------------------------------------------------------
// Every guard and action gets the back-end `fsm`, which derives from Journey_.

template <class FSM>
bool attending_allowed(FSM& fsm) {
  if (fsm.template is_flag_active<ActiveFlag>()) return true;
  if (fsm.template is_flag_active<OnLeaveFlag>()) {
    fsm.refusal = refuse("on_leave", {{"since", format_date(fsm.facts.leaves.back().from)}});
  } else {
    fsm.refusal = refuse("not_started");
  }
  return false;
}

template <Part P>
struct ItemOpenIn {
  template <class E, class FSM, class S, class T>
  bool operator()(const E& e, FSM& fsm, S&, T&) const {
    const auto loc = fsm.programme->locate(e.item_id);
    if (!loc) {
      fsm.refusal = refuse("unknown_item", {{"item", e.item_id}, {"field", "item"}});
      return false;
    }
    if (loc->checklist->part != P) return false;  // the other checklist region's business
    const ItemState& s = fsm.facts.items.at_ordinal(loc->ordinal);
    if (s.status == ItemState::Status::done) {
      fsm.refusal =
          refuse("item_already_done", {{"item", e.item_id}, {"date", format_date(*s.done_on)}});
      return false;
    }
    if (s.status == ItemState::Status::waived) {
      fsm.refusal = refuse("item_waived", {{"item", e.item_id}});
      return false;
    }
    return true;
  }
};

// In a closed checklist every item is done or waived: say which.
template <Part P>
struct ClosedItemRefusal {
  template <class E, class FSM, class S, class T>
  bool operator()(const E& e, FSM& fsm, S& s, T& t) const {
    ItemOpenIn<P>{}(e, fsm, s, t);
    return false;
  }
};

template <Part P>
struct PartClosed {
  template <class E, class FSM, class S, class T>
  bool operator()(const E&, FSM& fsm, S&, T&) const {
    // Evaluated after every event (it guards a completion transition): a counter, not a scan.
    if (!fsm.facts.registered) return false;
    auto it = fsm.facts.open_items.find(P);
    return it == fsm.facts.open_items.end() || it->second == 0;
  }
};

struct RegistrationValid {
  template <class FSM, class S, class T>
  bool operator()(const HireRegistered& e, FSM& fsm, S&, T&) const {
    const Programme& p = *fsm.programme;
    if (e.programme_id != p.id || e.programme_version != p.version) {
      fsm.refusal =
          refuse("programme_mismatch",
                 {{"programme", e.programme_id + " v" + std::to_string(e.programme_version)},
                  {"loaded", p.id + " v" + std::to_string(p.version)}});
      return false;
    }
    for (const auto& id : e.waived_items) {
      if (!p.find_item(id)) {
        fsm.refusal = refuse("unknown_item", {{"item", id}, {"field", "waived_items"}});
        return false;
      }
    }
    return true;
  }
};

struct BackAfterLeaveStart {
  template <class FSM, class S, class T>
  bool operator()(const LeaveEnded& e, FSM& fsm, S&, T&) const {
    const auto& from = fsm.facts.leaves.back().from;
    if (e.back_on <= from) {
      fsm.refusal = refuse("leave_end_before_start",
                           {{"from", format_date(from)}, {"back", format_date(e.back_on)}});
      return false;
    }
    return true;
  }
};

struct LeaveStartsAfterStart {
  template <class FSM, class S, class T>
  bool operator()(const LeaveStarted& e, FSM& fsm, S&, T&) const {
    const auto& leaves = fsm.facts.leaves;
    if (!leaves.empty() && leaves.back().back_on && e.from < *leaves.back().back_on) {
      fsm.refusal = refuse("leave_overlaps", {{"back", format_date(*leaves.back().back_on)}});
      return false;
    }
    if (fsm.facts.started_on && e.from < *fsm.facts.started_on) {
      fsm.refusal = refuse("date_before_start", {{"date", format_date(e.from)},
                                                 {"start", format_date(*fsm.facts.started_on)}});
      return false;
    }
    return true;
  }
};

struct AllPartsDone {
  template <class E, class FSM, class S, class T>
  bool operator()(const E&, FSM& fsm, S&, T&) const {
    std::vector<std::string> missing;
    if (!fsm.template is_flag_active<PreparationReadyFlag>())
      missing.push_back(part_title(Part::preparation, Language::sv));
    if (!fsm.template is_flag_active<InductionDoneFlag>())
      missing.push_back(part_title(Part::induction, Language::sv));
    if (!fsm.template is_flag_active<CourseFinishedFlag>())
      missing.push_back(part_title(Part::course, Language::sv));
    if (!fsm.template is_flag_active<SupervisionFinishedFlag>())
      missing.push_back(part_title(Part::supervision, Language::sv));
    if (missing.empty()) return true;
    fsm.refusal = refuse("journey_incomplete", {{"missing", join(missing)}});
    return false;
  }
};

template <Part P>
struct PartIs {
  template <class FSM, class S, class T>
  bool operator()(const PartWaived& e, FSM& fsm, S&, T&) const {
    if (e.part != "course" && e.part != "supervision") {
      fsm.refusal = refuse("part_not_waivable", {{"part", e.part}});
      return false;
    }
    return e.part == part_id(P);
  }
};

struct CanAttendModule {
  template <class FSM, class S, class T>
  bool operator()(const CourseModuleAttended& e, FSM& fsm, S&, T&) const {
    const auto n = static_cast<int>(fsm.programme->course.modules.size());
    if (e.module < 1 || e.module > n) {
      fsm.refusal = refuse("unknown_module",
                           {{"module", std::to_string(e.module)}, {"count", std::to_string(n)}});
      return false;
    }
    if (fsm.facts.course_booking && e.on < fsm.facts.course_booking->starts_on) {
      fsm.refusal = refuse("before_part_start",
                           {{"date", format_date(e.on)},
                            {"start", format_date(fsm.facts.course_booking->starts_on)}});
      return false;
    }
    if (auto it = fsm.facts.modules.find(e.module); it != fsm.facts.modules.end()) {
      fsm.refusal = refuse("module_already_attended", {{"module", std::to_string(e.module)},
                                                       {"date", format_date(it->second)}});
      return false;
    }
    return attending_allowed(fsm);
  }
};

struct CanCompleteBbic {
  template <class FSM, class S, class T>
  bool operator()(const BbicPartCompleted& e, FSM& fsm, S&, T&) const {
    const auto& parts = fsm.programme->course.bbic_parts;
    if (std::none_of(parts.begin(), parts.end(),
                     [&](const BbicPart& p) { return p.id == e.part; })) {
      fsm.refusal = refuse("unknown_bbic_part", {{"part", e.part}});
      return false;
    }
    if (auto it = fsm.facts.bbic.find(e.part); it != fsm.facts.bbic.end()) {
      fsm.refusal =
          refuse("bbic_already_done", {{"part", e.part}, {"date", format_date(it->second)}});
      return false;
    }
    return attending_allowed(fsm);
  }
};

struct CourseRequirementsMet {
  template <class FSM, class S, class T>
  bool operator()(const CourseCompleted&, FSM& fsm, S&, T&) const {
    std::vector<std::string> missing;
    for (const auto& m : fsm.programme->course.modules) {
      if (!fsm.facts.modules.count(m.number)) missing.push_back(std::to_string(m.number));
    }
    std::vector<std::string> bbic;
    for (const auto& b : fsm.programme->course.bbic_parts) {
      if (!fsm.facts.bbic.count(b.id)) bbic.push_back(b.id);
    }
    if (missing.empty() && bbic.empty()) return true;
    fsm.refusal = refuse("course_incomplete", {{"modules", missing.empty() ? "-" : join(missing)},
                                               {"bbic", bbic.empty() ? "-" : join(bbic)}});
    return false;
  }
};

struct CanAttendSession {
  template <class FSM, class S, class T>
  bool operator()(const SupervisionSessionAttended& e, FSM& fsm, S&, T&) const {
    const int n = fsm.programme->supervision.sessions;
    if (e.session < 1 || e.session > n) {
      fsm.refusal = refuse("unknown_session",
                           {{"session", std::to_string(e.session)}, {"count", std::to_string(n)}});
      return false;
    }
    if (!(e.hours > 0 && e.hours <= 8)) {
      fsm.refusal =
          refuse("hours_out_of_range", {{"hours", std::to_string(e.hours)}, {"max", "8"}});
      return false;
    }
    if (fsm.facts.supervision_group && e.on < fsm.facts.supervision_group->starts_on) {
      fsm.refusal = refuse("before_part_start",
                           {{"date", format_date(e.on)},
                            {"start", format_date(fsm.facts.supervision_group->starts_on)}});
      return false;
    }
    if (auto it = fsm.facts.sessions.find(e.session); it != fsm.facts.sessions.end()) {
      fsm.refusal = refuse("session_already_attended", {{"session", std::to_string(e.session)},
                                                        {"date", format_date(it->second.on)}});
      return false;
    }
    return attending_allowed(fsm);
  }
};

struct SessionsComplete {
  template <class FSM, class S, class T>
  bool operator()(const SupervisionCompleted&, FSM& fsm, S&, T&) const {
    const int required = fsm.programme->supervision.sessions;
    const int attended = static_cast<int>(fsm.facts.sessions.size());
    if (attended >= required) return true;
    fsm.refusal = refuse("supervision_incomplete", {{"attended", std::to_string(attended)},
                                                    {"required", std::to_string(required)}});
    return false;
  }
};

struct CanLogHours {
  template <class FSM, class S, class T>
  bool operator()(const IntroducerHoursLogged& e, FSM& fsm, S&, T&) const {
    if (date::weekday(e.week) != date::Monday) {
      fsm.refusal = refuse("week_not_monday", {{"date", format_date(e.week)}});
      return false;
    }
    if (!(e.hours > 0 && e.hours <= 40)) {
      fsm.refusal =
          refuse("hours_out_of_range", {{"hours", std::to_string(e.hours)}, {"max", "40"}});
      return false;
    }
    return attending_allowed(fsm);
  }
};

struct HasReplacement {
  template <class E, class FSM, class S, class T>
  bool operator()(const E&, FSM& fsm, S&, T&) const {
    return fsm.facts.mentor_replacement.has_value();
  }
};
struct HasNoReplacement {
  template <class E, class FSM, class S, class T>
  bool operator()(const E&, FSM& fsm, S&, T&) const {
    return !fsm.facts.mentor_replacement.has_value();
  }
};

// ---- actions ----------------------------------------------------------------
#define JOURNEY_ACTION(Name, EventType, body)                     \
  struct Name {                                                   \
    template <class FSM, class S, class T>                        \
    void operator()(const EventType& e, FSM& fsm, S&, T&) const { \
      JourneyFacts& f = fsm.facts;                                \
      body;                                                       \
    }                                                             \
  }

JOURNEY_ACTION(Register, HireRegistered, {
  f.registered = true;
  f.hire = e;
  f.items.reset(*fsm.programme);
  for (const auto& cl : fsm.programme->checklists) {
    f.open_items[cl.part] += static_cast<int>(cl.items.size());
  }
  for (const auto& id : e.waived_items) {
    const auto loc = fsm.programme->locate(id);
    if (!loc) continue;  // registration refuses unknown items before this
    auto& s = f.items.at_ordinal(loc->ordinal);
    if (s.status == ItemState::Status::open) --f.open_items[loc->checklist->part];
    s.status = ItemState::Status::waived;
    s.note = "EJ vid registrering";
  }
});
JOURNEY_ACTION(Start, HireStarted, { f.started_on = e.on; });
JOURNEY_ACTION(RecordLeft, HireLeft, {
  f.left_on = e.on;
  f.left_reason = e.reason;
  if (!f.leaves.empty() && !f.leaves.back().back_on) f.leaves.back().back_on = e.on;
});
JOURNEY_ACTION(BeginLeave, LeaveStarted, {
  f.leaves.push_back(LeavePeriod{e.kind, e.from, std::nullopt});
});
JOURNEY_ACTION(EndLeave, LeaveEnded, { f.leaves.back().back_on = e.back_on; });
JOURNEY_ACTION(CompleteJourney, JourneyCompleted, { f.completed_on = e.on; });
JOURNEY_ACTION(CompleteItem, ChecklistItemCompleted, {
  const auto loc = fsm.programme->locate(e.item_id);  // the guard found it, open
  auto& s = f.items.at_ordinal(loc->ordinal);
  --f.open_items[loc->checklist->part];
  s.status = ItemState::Status::done;
  s.done_on = e.done_on;
  s.note = e.comment;
});
JOURNEY_ACTION(WaiveItem, ChecklistItemWaived, {
  const auto loc = fsm.programme->locate(e.item_id);  // the guard found it, open
  auto& s = f.items.at_ordinal(loc->ordinal);
  --f.open_items[loc->checklist->part];
  s.status = ItemState::Status::waived;
  s.note = e.reason;
});
JOURNEY_ACTION(Book, CourseBooked, { f.course_booking = e; });
JOURNEY_ACTION(AttendModule, CourseModuleAttended, { f.modules[e.module] = e.on; });
JOURNEY_ACTION(CompleteBbic, BbicPartCompleted, { f.bbic[e.part] = e.on; });
JOURNEY_ACTION(CompleteCourse, CourseCompleted, { f.course_completed_on = e.on; });
JOURNEY_ACTION(WaivePart, PartWaived, {
  if (e.part == "course")
    f.course_waived = true;
  else
    f.supervision_waived = true;
});
JOURNEY_ACTION(JoinGroup, SupervisionGroupJoined, { f.supervision_group = e; });
JOURNEY_ACTION(AttendSession, SupervisionSessionAttended, { f.sessions[e.session] = e; });
JOURNEY_ACTION(CompleteSupervision, SupervisionCompleted, { f.supervision_completed_on = e.on; });
JOURNEY_ACTION(AppointIntroducer, IntroducerAppointed, {
  f.introducer = e;
  f.introducer_history.push_back(e);
});
JOURNEY_ACTION(LogHours, IntroducerHoursLogged, { f.introducer_hours[e.week] += e.hours; });
JOURNEY_ACTION(AppointMentor, MentorAppointed, {
  f.mentor = e.mentor;
  f.mentor_replacement = e.replacement;
});
JOURNEY_ACTION(NameReplacement, MentorReplacementNamed, { f.mentor_replacement = e.replacement; });
JOURNEY_ACTION(ReplacementTakesOver, MentorDroppedOut, {
  f.mentor = f.mentor_replacement;
  f.mentor_replacement.reset();
});
JOURNEY_ACTION(DropMentor, MentorDroppedOut, { f.mentor.reset(); });
#undef JOURNEY_ACTION

// ---- the machine ------------------------------------------------------------
struct Journey_ : msmf::state_machine_def<Journey_> {
  const Programme* programme = nullptr;
  JourneyFacts facts;
  std::optional<Refusal> refusal;
  std::vector<int> unhandled_states;  // filled by no_transition, one per region

  typedef mpl::vector<NotRegistered, PreparationOpen, InductionOpen, CourseNotBooked,
                      SupervisionNotStarted, NoIntroducer, NoMentor>
      initial_state;

  // clang-format off
  struct transition_table : mpl::vector<
    //   Start                      Event                       Next                      Action               Guard
    // lifecycle
    Row< NotRegistered,             HireRegistered,             Preboarding,              Register,            RegistrationValid >,
    Row< Preboarding,               HireStarted,                Active,                   Start,               none >,
    Row< Preboarding,               HireLeft,                   Left,                     RecordLeft,          none >,
    Row< Active,                    LeaveStarted,               OnLeave,                  BeginLeave,          LeaveStartsAfterStart >,
    Row< Active,                    JourneyCompleted,           Completed,                CompleteJourney,     AllPartsDone >,
    Row< Active,                    HireLeft,                   Left,                     RecordLeft,          none >,
    Row< OnLeave,                   LeaveEnded,                 Active,                   EndLeave,            BackAfterLeaveStart >,
    Row< OnLeave,                   HireLeft,                   Left,                     RecordLeft,          none >,
    Row< Completed,                 HireLeft,                   Left,                     RecordLeft,          none >,
    // preparation: the unit head's and the administrator's pre-arrival checklists
    Row< PreparationOpen,           ChecklistItemCompleted,     none,                     CompleteItem,        ItemOpenIn<Part::preparation> >,
    Row< PreparationOpen,           ChecklistItemWaived,        none,                     WaiveItem,           ItemOpenIn<Part::preparation> >,
    Row< PreparationOpen,           none,                       PreparationReady,         none,                PartClosed<Part::preparation> >,
    Row< PreparationReady,          ChecklistItemCompleted,     none,                     none,                ClosedItemRefusal<Part::preparation> >,
    Row< PreparationReady,          ChecklistItemWaived,        none,                     none,                ClosedItemRefusal<Part::preparation> >,
    // induction: the introduction checklist, months 0-4
    Row< InductionOpen,             ChecklistItemCompleted,     none,                     CompleteItem,        ItemOpenIn<Part::induction> >,
    Row< InductionOpen,             ChecklistItemWaived,        none,                     WaiveItem,           ItemOpenIn<Part::induction> >,
    Row< InductionOpen,             none,                       InductionDone,            none,                PartClosed<Part::induction> >,
    Row< InductionDone,             ChecklistItemCompleted,     none,                     none,                ClosedItemRefusal<Part::induction> >,
    Row< InductionDone,             ChecklistItemWaived,        none,                     none,                ClosedItemRefusal<Part::induction> >,
    // course: the introduction programme, modules 1-8 and BBIC parts
    Row< CourseNotBooked,           CourseBooked,               CourseBookedState,        Book,                none >,
    Row< CourseNotBooked,           PartWaived,                 CourseWaived,             WaivePart,           PartIs<Part::course> >,
    Row< CourseBookedState,         CourseBooked,               none,                     Book,                none >,
    Row< CourseBookedState,         CourseModuleAttended,       CourseInProgress,         AttendModule,        CanAttendModule >,
    Row< CourseBookedState,         BbicPartCompleted,          CourseInProgress,         CompleteBbic,        CanCompleteBbic >,
    Row< CourseInProgress,          CourseModuleAttended,       none,                     AttendModule,        CanAttendModule >,
    Row< CourseInProgress,          BbicPartCompleted,          none,                     CompleteBbic,        CanCompleteBbic >,
    Row< CourseInProgress,          CourseCompleted,            CourseDone,               CompleteCourse,      CourseRequirementsMet >,
    // supervision: 10 group sessions within a year
    Row< SupervisionNotStarted,     SupervisionGroupJoined,     SupervisionGroupAssigned, JoinGroup,           none >,
    Row< SupervisionNotStarted,     PartWaived,                 SupervisionWaived,        WaivePart,           PartIs<Part::supervision> >,
    Row< SupervisionGroupAssigned,  SupervisionGroupJoined,     none,                     JoinGroup,           none >,
    Row< SupervisionGroupAssigned,  SupervisionSessionAttended, SupervisionInProgress,    AttendSession,       CanAttendSession >,
    Row< SupervisionInProgress,     SupervisionSessionAttended, none,                     AttendSession,       CanAttendSession >,
    Row< SupervisionInProgress,     SupervisionGroupJoined,     none,                     JoinGroup,           none >,
    Row< SupervisionInProgress,     SupervisionCompleted,       SupervisionDone,          CompleteSupervision, SessionsComplete >,
    // introducer: appointed, changed, hours logged per week
    Row< NoIntroducer,              IntroducerAppointed,        IntroducerAssigned,       AppointIntroducer,   none >,
    Row< IntroducerAssigned,        IntroducerAppointed,        none,                     AppointIntroducer,   none >,
    Row< IntroducerAssigned,        IntroducerHoursLogged,      none,                     LogHours,            CanLogHours >,
    // mentor and the named replacement who takes over
    Row< NoMentor,                  MentorAppointed,            MentorAssigned,           AppointMentor,       none >,
    Row< MentorAssigned,            MentorAppointed,            none,                     AppointMentor,       none >,
    Row< MentorAssigned,            MentorReplacementNamed,     none,                     NameReplacement,     none >,
    Row< MentorAssigned,            MentorDroppedOut,           none,                     ReplacementTakesOver, HasReplacement >,
    Row< MentorAssigned,            MentorDroppedOut,           NoMentor,                 DropMentor,          HasNoReplacement >
  > {};
  // clang-format on

  template <class FSM, class Event>
  void no_transition(const Event&, FSM&, int state) {
    unhandled_states.push_back(state);
  }
  template <class FSM, class Event>
  void exception_caught(const Event&, FSM&, std::exception& ex) {
    refusal = refuse("internal_error", {{"what", ex.what()}});
  }
};

using Journey = boost::msm::back::state_machine<Journey_>;
using Stt = Journey::stt;
using AllStates = boost::msm::back::generate_state_set<Stt>::type;
constexpr int kStateCount = mpl::size<AllStates>::value;

// mpl::for_each hands each type over wrapped in this, so no object is built.
// (Not named `type`: mpl would take it for a metafunction and unwrap it.)
template <class T>
struct TypeTag {
  using tagged = T;
};

const std::vector<std::string>& state_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n(kStateCount);
    mpl::for_each<AllStates, TypeTag<mpl::placeholders::_1>>([&](auto w) {
      using State = typename decltype(w)::tagged;
      n[boost::msm::back::get_state_id<Stt, State>::value] = State::name;
    });
    return n;
  }();
  return names;
}

template <class E>
std::string event_name_of() {
  if constexpr (std::is_same_v<E, none>) {
    return "(completion)";
  } else {
    return event_type_name(DomainEvent(E{}));
  }
}

template <class S>
std::string state_name_of() {
  if constexpr (std::is_same_v<S, none>) {
    return "";
  } else {
    return S::name;
  }
}

// Which region a refused event concerns, for the generic refusal text.
int region_of(const DomainEvent& e) {
  return std::visit(
      [](const auto& v) -> int {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, ChecklistItemCompleted> ||
                      std::is_same_v<T, ChecklistItemWaived>)
          return 2;
        else if constexpr (std::is_same_v<T, CourseBooked> ||
                           std::is_same_v<T, CourseModuleAttended> ||
                           std::is_same_v<T, BbicPartCompleted> ||
                           std::is_same_v<T, CourseCompleted>)
          return 3;
        else if constexpr (std::is_same_v<T, SupervisionGroupJoined> ||
                           std::is_same_v<T, SupervisionSessionAttended> ||
                           std::is_same_v<T, SupervisionCompleted>)
          return 4;
        else if constexpr (std::is_same_v<T, PartWaived>)
          return v.part == "supervision" ? 4 : 3;
        else if constexpr (std::is_same_v<T, IntroducerAppointed> ||
                           std::is_same_v<T, IntroducerHoursLogged>)
          return 5;
        else if constexpr (std::is_same_v<T, MentorAppointed> ||
                           std::is_same_v<T, MentorReplacementNamed> ||
                           std::is_same_v<T, MentorDroppedOut>)
          return 6;
        else
          return 0;
      },
      e);
}

}  // namespace

void ItemStates::reset(const Programme& programme) {
  programme_ = &programme;
  std::size_t n = programme.item_count;
  if (programme.item_index.empty()) {
    n = 0;
    for (const auto& cl : programme.checklists) n += cl.items.size();
  }
  states_.assign(n, ItemState{});
}

std::optional<std::size_t> ItemStates::ordinal_of(const std::string& item_id) const {
  const auto loc = programme_ ? programme_->locate(item_id) : std::nullopt;
  if (!loc || loc->ordinal >= states_.size()) return std::nullopt;
  return loc->ordinal;
}
const ItemState* ItemStates::find(const std::string& item_id) const {
  const auto o = ordinal_of(item_id);
  return o ? &states_[*o] : nullptr;
}
const ItemState& ItemStates::at(const std::string& item_id) const {
  const auto o = ordinal_of(item_id);
  if (!o) throw std::out_of_range("no checklist item '" + item_id + "' in the journey");
  return states_[*o];
}
ItemState& ItemStates::at(const std::string& item_id) {
  return const_cast<ItemState&>(std::as_const(*this).at(item_id));
}

struct JourneyMachine::Impl {
  std::shared_ptr<const Programme> programme;
  Journey fsm;

  explicit Impl(std::shared_ptr<const Programme> p) : programme(std::move(p)) {
    fsm.programme = programme.get();
    fsm.start();
  }
  Impl(const Impl& o) : programme(o.programme), fsm(o.fsm) { fsm.programme = programme.get(); }

  std::string current(int region) const { return state_names()[fsm.current_state()[region]]; }
};

JourneyMachine::JourneyMachine(std::shared_ptr<const Programme> programme)
    : impl_(std::make_unique<Impl>(std::move(programme))) {}
JourneyMachine::JourneyMachine(const JourneyMachine& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
JourneyMachine& JourneyMachine::operator=(const JourneyMachine& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
JourneyMachine::~JourneyMachine() = default;

std::optional<Refusal> JourneyMachine::apply(const DomainEvent& event) {
  Journey& fsm = impl_->fsm;
  const bool registering = std::holds_alternative<HireRegistered>(event);
  if (!fsm.facts.registered && !registering) return refuse("not_registered");
  if (fsm.facts.registered && registering) return refuse("already_registered");
  if (fsm.is_flag_active<LeftFlag>())
    return refuse("hire_left", {{"date", format_date(*fsm.facts.left_on)}});
  if (fsm.is_flag_active<CompletedFlag>() && !std::holds_alternative<HireLeft>(event)) {
    return refuse("journey_completed", {{"date", format_date(*fsm.facts.completed_on)}});
  }
  fsm.refusal.reset();
  fsm.unhandled_states.clear();
  auto handled = std::visit([&](const auto& e) { return fsm.process_event(e); }, event);
  if (handled & boost::msm::back::HANDLED_TRUE) {
    fsm.refusal.reset();
    return std::nullopt;
  }
  if (fsm.refusal) return *fsm.refusal;
  const int region = region_of(event);
  return refuse("not_allowed", {{"field", "kind"},
                                {"event", event_type_name(event)},
                                {"region", kRegions[region]},
                                {"state", impl_->current(region)}});
}

const JourneyFacts& JourneyMachine::facts() const { return impl_->fsm.facts; }
const Programme& JourneyMachine::programme() const { return *impl_->programme; }

std::vector<RegionState> JourneyMachine::regions() const {
  std::vector<RegionState> out;
  for (int i = 0; i < Journey::nr_regions::value; ++i)
    out.push_back({kRegions[i], impl_->current(i)});
  return out;
}

std::string JourneyMachine::state_of(const std::string& region) const {
  for (int i = 0; i < Journey::nr_regions::value; ++i) {
    if (region == kRegions[i]) return impl_->current(i);
  }
  return "";
}

std::vector<JourneyMachine::Transition> JourneyMachine::transition_table() {
  std::vector<Transition> out;
  mpl::for_each<Journey_::transition_table, TypeTag<mpl::placeholders::_1>>([&](auto w) {
    using R = typename decltype(w)::tagged;
    constexpr bool internal = std::is_same_v<typename R::row_type_tag, boost::msm::irow_tag>;
    out.push_back({state_name_of<typename R::Source>(), event_name_of<typename R::Evt>(),
                   internal ? std::string() : state_name_of<typename R::Target>()});
  });
  return out;
}

}  // namespace journey::workflows
