// `record …`: what happened in a hire's journey, one subcommand per event.
// Every one takes the hire, --key and --expect-version; the chosen one builds
// its event once the log is open.
#include "cli.h"

namespace journey::ctl {

namespace {

using MakeEvent = std::function<DomainEvent(JourneyEngine&)>;

// What a recorded command says it did.
struct Done {
  const char* sv;
  const char* en;
};

// What `record` and its subcommands parse into. Only one subcommand runs, so
// they share the fields.
struct RecordOptions {
  const Cli* cli = nullptr;
  std::string hire, on, text, name, email, name2, email2, kind = "other", key;
  int number = 0;
  double hours = 0;
  std::uint64_t expect = 0;
  MakeEvent make_event;  // the chosen subcommand's
  Done done;             // what a recorded command says, in both languages

  date::sys_days on_or_today(JourneyEngine& e) const {
    return on.empty() ? e.today() : cli->parse_day(on, "--on");
  }
  date::sys_days starts() const { return cli->parse_day(on, "--starts"); }
};

// Adds one `record` subcommand with the options every record has.
CLI::App* add_record(CLI::App& record, RecordOptions& r, const char* name, const char* help,
                     Done done, MakeEvent make) {
  auto* c = record.add_subcommand(name, help);
  c->add_option("hire", r.hire, "Hire id (hire-…)")->required();
  c->add_option("--key", r.key, "Idempotency key: the same key twice records once");
  c->add_option("--expect-version", r.expect, "Refuse if the journey is no longer at this version");
  c->callback([&r, done, make = std::move(make)] {
    r.make_event = make;
    r.done = done;
  });
  return c;
}

void add_checklist_records(CLI::App& record, RecordOptions& r) {
  add_record(record, r, "started", "The hire's first working day",
             Done{"Första dagen registrerad för", "First day recorded for"},
             [&r](JourneyEngine& e) { return DomainEvent(HireStarted{r.on_or_today(e)}); })
      ->add_option("--on", r.on, "Date (default today)");
  auto* item =
      add_record(record, r, "item", "A checklist item is done (klart datum)",
                 Done{"Moment klart för", "Item done for"}, [&r](JourneyEngine& e) {
                   return DomainEvent(ChecklistItemCompleted{r.name, r.on_or_today(e), r.text});
                 });
  item->add_option("item", r.name, "Item id, see 'programme show'")->required();
  item->add_option("--on", r.on, "Done date (default today)");
  item->add_option("--comment", r.text, "Comment");
  auto* waive =
      add_record(record, r, "waive", "Mark a checklist item EJ (no introduction needed)",
                 Done{"Moment markerat EJ för", "Item marked EJ for"}, [&r](JourneyEngine&) {
                   return DomainEvent(ChecklistItemWaived{r.name, r.text});
                 });
  waive->add_option("item", r.name)->required();
  waive->add_option("--reason", r.text);
}

void add_people_records(CLI::App& record, RecordOptions& r) {
  auto* intro = add_record(
      record, r, "introducer", "Appoint or change the introducer",
      Done{"Introduktör utsedd för", "Introducer appointed for"}, [&r](JourneyEngine& e) {
        return DomainEvent(IntroducerAppointed{Person{r.name, r.email}, r.on_or_today(e)});
      });
  intro->add_option("--name", r.name)->required();
  intro->add_option("--email", r.email);
  intro->add_option("--from", r.on, "From date (default today)");
  auto* mentor =
      add_record(record, r, "mentor", "Appoint the mentor and the named replacement (ersättare)",
                 Done{"Mentor utsedd för", "Mentor appointed for"}, [&r](JourneyEngine&) {
                   std::optional<Person> repl;
                   if (!r.name2.empty()) repl = Person{r.name2, r.email2};
                   return DomainEvent(MentorAppointed{Person{r.name, r.email}, repl});
                 });
  mentor->add_option("--name", r.name)->required();
  mentor->add_option("--email", r.email);
  mentor->add_option("--replacement", r.name2);
  mentor->add_option("--replacement-email", r.email2);
  auto* repl =
      add_record(record, r, "replacement", "Name the mentor's replacement",
                 Done{"Ersättare utsedd för", "Replacement appointed for"}, [&r](JourneyEngine&) {
                   return DomainEvent(MentorReplacementNamed{Person{r.name, r.email}});
                 });
  repl->add_option("--name", r.name)->required();
  repl->add_option("--email", r.email);
  auto* drop =
      add_record(record, r, "mentor-dropout", "The mentor drops out; the replacement takes over",
                 Done{"Mentorns avhopp registrerat för", "The mentor's departure recorded for"},
                 [&r](JourneyEngine& e) {
                   return DomainEvent(MentorDroppedOut{r.on_or_today(e), r.text});
                 });
  drop->add_option("--on", r.on);
  drop->add_option("--reason", r.text);
}

void add_course_records(CLI::App& record, RecordOptions& r) {
  auto* book = add_record(record, r, "course-booked", "Book the introduction course",
                          Done{"Kurs bokad för", "Course booked for"}, [&r](JourneyEngine&) {
                            return DomainEvent(CourseBooked{r.starts(), r.text});
                          });
  book->add_option("--starts", r.on, "First course day")->required();
  book->add_option("--cohort", r.text);
  auto* module =
      add_record(record, r, "module", "A course module was attended",
                 Done{"Modul registrerad för", "Module recorded for"}, [&r](JourneyEngine& e) {
                   return DomainEvent(CourseModuleAttended{r.number, r.on_or_today(e)});
                 });
  module->add_option("number", r.number, "Module number")->required();
  module->add_option("--on", r.on);
  auto* bbic = add_record(record, r, "bbic", "A BBIC part was completed",
                          Done{"BBIC-del registrerad för", "BBIC part recorded for"},
                          [&r](JourneyEngine& e) {
                            return DomainEvent(BbicPartCompleted{r.name, r.on_or_today(e)});
                          });
  bbic->add_option("part", r.name, "A, B, C or D")->required();
  bbic->add_option("--on", r.on);
  auto* done =
      add_record(record, r, "course-completed", "The whole course is done (intyg)",
                 Done{"Introduktionsprogrammet klart för", "Introduction course completed for"},
                 [&r](JourneyEngine& e) {
                   return DomainEvent(CourseCompleted{r.on_or_today(e), r.text});
                 });
  done->add_option("--on", r.on);
  done->add_option("--certificate", r.text);
  auto* waive = add_record(
      record, r, "waive-part", "A whole part is not needed: course or supervision",
      Done{"Del markerad som ej behövd för", "Part marked not needed for"}, [&r](JourneyEngine&) {
        return DomainEvent(PartWaived{r.name, r.text});
      });
  waive->add_option("part", r.name, "course or supervision")->required();
  waive->add_option("--reason", r.text);
}

void add_supervision_records(CLI::App& record, RecordOptions& r) {
  auto* group =
      add_record(record, r, "supervision-group", "Join a supervision group",
                 Done{"Handledningsgrupp registrerad för", "Supervision group recorded for"},
                 [&r](JourneyEngine&) {
                   return DomainEvent(SupervisionGroupJoined{r.name, r.name2, r.starts()});
                 });
  group->add_option("--group", r.name)->required();
  group->add_option("--supervisor", r.name2)->required();
  group->add_option("--starts", r.on)->required();
  auto* session = add_record(
      record, r, "session", "A supervision session was attended",
      Done{"Handledningsträff registrerad för", "Supervision session recorded for"},
      [&r](JourneyEngine& e) {
        return DomainEvent(SupervisionSessionAttended{r.number, r.on_or_today(e), r.hours});
      });
  session->add_option("number", r.number, "Session number")->required();
  session->add_option("--on", r.on);
  session->add_option("--hours", r.hours, "Hours")->default_val(2.0);
  auto* done = add_record(record, r, "supervision-completed", "Supervision is done (intyg)",
                          Done{"Handledningen klar för", "Supervision completed for"},
                          [&r](JourneyEngine& e) {
                            return DomainEvent(SupervisionCompleted{r.on_or_today(e), r.text});
                          });
  done->add_option("--on", r.on);
  done->add_option("--certificate", r.text);
  auto* hours = add_record(
      record, r, "hours", "Introducer hours in an ISO week",
      Done{"Introduktörstimmar registrerade för", "Introducer hours recorded for"},
      [&r](JourneyEngine& e) {
        const date::sys_days d = r.on_or_today(e);
        return DomainEvent(IntroducerHoursLogged{d - (date::weekday(d) - date::Monday), r.hours});
      });
  hours->add_option("hours", r.hours)->required();
  hours->add_option("--week", r.on, "Any date in the week (default this week)");
}

void add_leave_and_end_records(CLI::App& record, RecordOptions& r) {
  auto* lstart = add_record(
      record, r, "leave-start", "Leave begins (parental, sick, other): the programme clock stops",
      Done{"Ledighet registrerad för", "Leave recorded for"}, [&r](JourneyEngine& e) {
        return DomainEvent(LeaveStarted{r.kind, r.on_or_today(e)});
      });
  lstart->add_option("--kind", r.kind)
      ->check(CLI::IsMember({"parental", "sick", "other"}))
      ->capture_default_str();
  lstart->add_option("--from", r.on);
  auto* lend =
      add_record(record, r, "leave-end", "Back from leave",
                 Done{"Återkomst registrerad för", "Return from leave recorded for"},
                 [&r](JourneyEngine& e) { return DomainEvent(LeaveEnded{r.on_or_today(e)}); });
  lend->add_option("--back", r.on, "First day back");
  auto* left =
      add_record(record, r, "left", "The hire has left",
                 Done{"Avslut registrerat för", "Departure recorded for"}, [&r](JourneyEngine& e) {
                   return DomainEvent(HireLeft{r.on_or_today(e), r.text});
                 });
  left->add_option("--on", r.on);
  left->add_option("--reason", r.text);
  add_record(record, r, "completed", "The whole journey is completed",
             Done{"Introduktionen avslutad för", "Introduction completed for"},
             [&r](JourneyEngine& e) { return DomainEvent(JourneyCompleted{r.on_or_today(e)}); })
      ->add_option("--on", r.on);
}

int run_record(const Cli& cli, const RecordOptions& r) {
  auto store = cli.open_store(false);
  CommandContext ctx{cli.actor(), r.key,
                     r.expect ? std::optional<std::uint64_t>(r.expect) : std::nullopt};
  const std::string hire_id = cli.require_hire(*store->engine, r.hire);
  return cli.report(store->engine->execute(hire_id, r.make_event(*store->engine), ctx),
                    cli.t(r.done.sv, r.done.en));
}

}  // namespace

void setup_records(CLI::App& app, Cli& cli) {
  auto* record = app.add_subcommand("record", "Record what happened in a hire's journey");
  record->require_subcommand(1);
  // Held by the callback below; the subcommands' lambdas only refer to it, so
  // nothing owns itself.
  auto r = std::make_shared<RecordOptions>();
  r->cli = &cli;
  add_checklist_records(*record, *r);
  add_people_records(*record, *r);
  add_course_records(*record, *r);
  add_supervision_records(*record, *r);
  add_leave_and_end_records(*record, *r);
  // The subcommand's callback (which event) runs before this one.
  cli.run_if_chosen(record, [&cli, r] { return run_record(cli, *r); });
}

}  // namespace journey::ctl
