// The engine over a real RocksDB log in a temporary folder: commands, refusals
// that write nothing, optimistic concurrency, idempotency, past views, leave
// arithmetic and the CSV import report.
#define BOOST_TEST_MODULE engine
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "journey/engine/csv_import.h"
#include "journey/engine/journey_engine.h"
#include "journey/engine/reminders.h"
#include "journey/storage/rocksdb_event_log.h"
#include "journey/test/engine_fixture.h"

namespace fs = std::filesystem;
using namespace journey;
using namespace journey::engine;
using namespace journey::workflows;
using date::days;

namespace {

using test::ymd;
TimePoint at(date::sys_days d) { return test::utc(d, 9); }

// The shared engine over a real log (tests/support), with this file's hire.
struct Fixture : test::EngineFixture {
  Fixture() : EngineFixture(at(ymd(2026, 2, 1))) {}
  void set_unit(const std::string& unit) {
    BOOST_REQUIRE(engine
                      ->set_unit(UnitContacts{unit,
                                              {"Anna Berg", "anna.berg@example.se"},
                                              {"Omar Ali", "omar.ali@example.se"},
                                              std::nullopt},
                                 as("admin"))
                      .ok());
  }
  std::string register_sara(bool experienced = false) {
    RegisterHire cmd;
    cmd.name = "Sara Lind";
    cmd.email = "sara.lind@example.se";
    cmd.unit = "Barn och unga Hisingen";
    cmd.start = "2026-03-02";
    cmd.experienced = experienced;
    cmd.introducer = Person{"Karin Ek", "karin.ek@example.se"};
    auto o = engine->register_hire(cmd, as("enhetschef.anna"));
    BOOST_REQUIRE_MESSAGE(o.ok(), o.message(Language::en));
    return o.hire_id;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine, Fixture)

// A subscription recorded before webhooks had a municipality (schema 1) heard
// every municipality, and still does; rewriting it (a rotation) keeps that,
// and a schema-2 one reads back its municipality.
BOOST_AUTO_TEST_CASE(AWebhookRecordedBeforeMunicipalitiesStillHearsThemAll) {
  std::ostringstream old;
  {
    cereal::PortableBinaryOutputArchive ar(old);
    ar(std::string("wh-00000001"), std::string("http://127.0.0.1:9/old"),
       std::vector<std::string>{"fp1"}, true, std::string());
  }
  BOOST_REQUIRE(log->append({storage::StreamId("webhooks"),
                             storage::ExpectedVersion::any(),
                             {storage::NewEvent{"WebhookSubscriptionSet", 1, old.str(), clock.now(),
                                                "admin"}},
                             ""})
                    .ok());
  BOOST_REQUIRE(engine->set_municipality({"boras", "Borås Stad"}, as("admin")).ok());
  BOOST_REQUIRE(
      engine
          ->set_webhook({"wh-00000002", "http://127.0.0.1:9/new", {"fp2"}, true, "", "boras"},
                        as("admin"))
          .ok());
  auto hooks = engine->webhooks();
  BOOST_REQUIRE(hooks.size() == 2u);
  BOOST_TEST(hooks[0].id == "wh-00000001");
  BOOST_TEST(hooks[0].url == "http://127.0.0.1:9/old");
  BOOST_TEST(hooks[0].municipality == "*");
  BOOST_TEST(hooks[1].municipality == "boras");
  WebhookSubscription rotated = hooks[0];
  rotated.secret_fingerprints.insert(rotated.secret_fingerprints.begin(), "fp3");
  BOOST_REQUIRE(engine->set_webhook(rotated, as("admin")).ok());
  hooks = engine->webhooks();
  BOOST_TEST(hooks[0].municipality == "*");
  BOOST_TEST(hooks[0].secret_fingerprints.size() == 2u);
}

BOOST_AUTO_TEST_CASE(RegisteredHireShowsPreparationDueBeforeTheFirstDay) {
  const std::string id = register_sara();
  auto s = engine->status(id, ymd(2026, 2, 1));
  BOOST_REQUIRE(s);
  BOOST_TEST(s->lifecycle == "Preboarding");
  BOOST_TEST(s->introducer->introducer.name == "Karin Ek");
  BOOST_REQUIRE(s->next_deadline);
  BOOST_TEST((s->next_deadline->due < ymd(2026, 3, 2)));
  BOOST_TEST(s->overdue_items.empty());
  // Three weeks later the unit head's early items are overdue.
  auto later = engine->status(id, ymd(2026, 2, 28));
  BOOST_TEST(!later->overdue_items.empty());
  for (const auto& item : later->overdue_items) BOOST_TEST((item.due < ymd(2026, 2, 28)));
}

// today() was the UTC day: from Swedish midnight to 01:00 (02:00 in summer)
// a task due yesterday was not yet overdue and the lists kept yesterday.
BOOST_AUTO_TEST_CASE(NameSearchIgnoresSwedishCaseAndNeedsEveryWord) {
  const std::string sara = "Sara Lind-Svensson";
  BOOST_TEST(name_matches(sara, ""));
  BOOST_TEST(name_matches(sara, "   "));
  BOOST_TEST(name_matches(sara, "sven"));
  BOOST_TEST(name_matches(sara, "SVEN li"));
  BOOST_TEST(name_matches(sara, "  lind-svensson  sara "));
  BOOST_TEST(!name_matches(sara, "sven anna"));  // every word, not any
  BOOST_TEST(!name_matches(sara, "sara lind svenson"));
  const std::string asa =
      "\xc3\x85sa \xc3\x96"
      "berg \xc3\x86r\xc3\xb8";                 // Åsa Öberg Ærø
  BOOST_TEST(name_matches(asa, "\xc3\xa5sa"));  // åsa
  BOOST_TEST(name_matches(asa,
                          "\xc3\xb6"
                          "BERG \xc3\xa6R\xc3\x98"));  // öBERG æRØ
  BOOST_TEST(!name_matches(asa, "asa"));               // å is not a
  // Latin Extended-A: Łukasz Şahin Żaneta Ÿves, Turkish İ folds to i.
  const std::string ext =
      "\xc5\x81ukasz \xc5\x9e"
      "ahin \xc5\xbb"
      "aneta \xc5\xb8ves \xc4\xb0pek";
  BOOST_TEST(name_matches(ext,
                          "\xc5\x82ukasz \xc5\x9f"
                          "ahin \xc5\xbc"
                          "aneta \xc3\xbfves ipek"));
  BOOST_TEST(!name_matches(ext, "lukasz"));
  // The multiplication sign is no letter; ß has no one-letter capital.
  BOOST_TEST(
      !name_matches("a\xc3\x97"
                    "b",
                    "a\xc3\xb7"
                    "b"));
  BOOST_TEST(
      name_matches("Stra\xc3\x9f"
                   "e",
                   "STRA\xc3\x9f"));
}

BOOST_AUTO_TEST_CASE(TodayIsTheSwedishDayNotTheUtcDay) {
  using std::chrono::minutes;
  auto utc = [](date::sys_days d, int h, int m) {
    return std::chrono::time_point_cast<std::chrono::microseconds>(d) + std::chrono::hours(h) +
           minutes(m);
  };
  const std::vector<std::pair<TimePoint, date::sys_days>> cases = {
      {utc(ymd(2026, 1, 14), 22, 59), ymd(2026, 1, 14)},  // 23:59 CET
      {utc(ymd(2026, 1, 14), 23, 0), ymd(2026, 1, 15)},   // 00:00 CET
      {utc(ymd(2026, 7, 1), 21, 59), ymd(2026, 7, 1)},    // 23:59 CEST
      {utc(ymd(2026, 7, 1), 22, 0), ymd(2026, 7, 2)},     // 00:00 CEST
      {utc(ymd(2026, 7, 2), 1, 30), ymd(2026, 7, 2)},
      {utc(ymd(2026, 12, 31), 23, 30), ymd(2027, 1, 1)},  // a new year at 00:30 CET
  };
  for (const auto& [instant, day] : cases) {
    clock.set(instant);
    BOOST_CHECK_MESSAGE(engine->today() == day, date::format("%FT%TZ", instant)
                                                    << " is " << date::format("%F", day));
  }
}

// The past views and the registration day went by the UTC day too: a letter
// recorded at 00:30 Swedish time on 10 March was known "on 9 March", and a
// hire registered at 00:30 on 9 March was registered on the 8th.
BOOST_AUTO_TEST_CASE(PastViewsAndRegistrationDayAreSwedishDays) {
  const auto half_past_midnight_cet =
      std::chrono::time_point_cast<std::chrono::microseconds>(date::sys_days(ymd(2026, 3, 9))) +
      std::chrono::hours(23) + std::chrono::minutes(30);
  clock.set(half_past_midnight_cet - std::chrono::hours(24));
  const std::string id = register_sara();
  BOOST_TEST((engine->load(id)->registered_on == ymd(2026, 3, 9)));
  clock.set(half_past_midnight_cet);
  BOOST_REQUIRE(
      engine->execute(id, ChecklistItemCompleted{"ad.valkomstbrev", ymd(2026, 2, 20), ""}, as("ad"))
          .ok());
  auto item = [&](date::sys_days d) {
    auto s = engine->status(id, d, AsOf{d, AsOf::Basis::recorded});
    BOOST_REQUIRE(s);
    for (const auto& i : s->items)
      if (i.id == "ad.valkomstbrev") return i.state.status;
    return ItemState::Status::open;
  };
  BOOST_TEST((item(ymd(2026, 3, 9)) == ItemState::Status::open));
  BOOST_TEST((item(ymd(2026, 3, 10)) == ItemState::Status::done));
}

BOOST_AUTO_TEST_CASE(RefusedCommandWritesNothing) {
  const std::string id = register_sara();
  const auto head = log->head();
  auto o = engine->execute(id, IntroducerHoursLogged{ymd(2026, 1, 26), 4}, as("x"));
  BOOST_TEST((o.kind == CommandOutcome::Kind::refused));
  BOOST_TEST(o.refusal->code == "not_started");
  BOOST_TEST(log->head().value == head.value);
  auto unknown = engine->execute("hire-00000000", HireStarted{ymd(2026, 1, 1)}, as("x"));
  BOOST_TEST(unknown.refusal->code == "unknown_hire");
  auto future =
      engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 5, 1), ""}, as("x"));
  BOOST_TEST(future.refusal->code == "date_in_future");
  BOOST_TEST(log->head().value == head.value);
}

BOOST_AUTO_TEST_CASE(StaleExpectedVersionIsAConflictNamingTheCurrentVersion) {
  const std::string id = register_sara();  // version 2: registered + introducer
  CommandContext stale{"x", "", 1};
  auto o = engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 1, 30), ""}, stale);
  BOOST_TEST((o.kind == CommandOutcome::Kind::conflict));
  BOOST_TEST(o.version == 2u);
  CommandContext fresh{"x", "", 2};
  BOOST_TEST(
      engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 1, 30), ""}, fresh).ok());
}

BOOST_AUTO_TEST_CASE(ConcurrentCommandsOnOneHireNeverLoseAnUpdate) {
  const std::string id = register_sara();
  std::vector<std::string> items = {"ad.dator",     "ad.telefon",  "ad.postfack",
                                    "ad.namnskylt", "ad.kalender", "ad.reception"};
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (const auto& item : items) {
    threads.emplace_back([&, item] {
      for (int attempt = 0; attempt < 50; ++attempt) {
        auto o = engine->execute(id, ChecklistItemCompleted{item, ymd(2026, 1, 30), ""}, as("ad"));
        if (o.ok()) {
          ++done;
          return;
        }
        if (o.kind != CommandOutcome::Kind::conflict) return;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(done.load() == 6);
  auto hire = engine->load(id);
  for (const auto& item : items)
    BOOST_TEST((hire->machine.facts().items.at(item).status == ItemState::Status::done));
}

BOOST_AUTO_TEST_CASE(SameIdempotencyKeyReturnsTheFirstOutcome) {
  const std::string id = register_sara();
  auto first =
      engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 1, 30), ""}, as("ad", "k1"));
  BOOST_REQUIRE(first.ok());
  auto again =
      engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 1, 30), ""}, as("ad", "k1"));
  BOOST_TEST((again.kind == CommandOutcome::Kind::duplicate));
  BOOST_TEST(again.position == first.position);
}

BOOST_AUTO_TEST_CASE(PastViewsByRecordedAndByEffectiveDate) {
  const std::string id = register_sara();
  clock.set(at(ymd(2026, 3, 2)));
  BOOST_REQUIRE(engine->execute(id, HireStarted{ymd(2026, 3, 2)}, as("ec")).ok());
  // Recorded on 10 March: the welcome letter was sent on 20 February.
  clock.set(at(ymd(2026, 3, 10)));
  BOOST_REQUIRE(
      engine->execute(id, ChecklistItemCompleted{"ad.valkomstbrev", ymd(2026, 2, 20), ""}, as("ad"))
          .ok());
  auto known_on_5th =
      engine->status(id, ymd(2026, 3, 5), AsOf{ymd(2026, 3, 5), AsOf::Basis::recorded});
  auto happened_by_5th =
      engine->status(id, ymd(2026, 3, 5), AsOf{ymd(2026, 3, 5), AsOf::Basis::effective});
  auto item = [](const HireStatus& s) {
    for (const auto& i : s.items)
      if (i.id == "ad.valkomstbrev") return i.state.status;
    return ItemState::Status::open;
  };
  BOOST_TEST((item(*known_on_5th) == ItemState::Status::open));
  BOOST_TEST((item(*happened_by_5th) == ItemState::Status::done));
  BOOST_TEST(known_on_5th->lifecycle == "Active");
  BOOST_TEST(!engine->status(id, ymd(2026, 1, 1), AsOf{ymd(2026, 1, 1), AsOf::Basis::recorded}));
  // Registered on 1 February, but what had happened by 1 January is a question
  // about a hire we know today: it exists, with nothing done yet.
  auto effective_before =
      engine->status(id, ymd(2026, 1, 1), AsOf{ymd(2026, 1, 1), AsOf::Basis::effective});
  BOOST_REQUIRE(effective_before);
  BOOST_TEST(effective_before->lifecycle == "Preboarding");
}

BOOST_AUTO_TEST_CASE(LeaveMovesDeadlinesAndFreezesIntroducerHours) {
  const std::string id = register_sara();
  clock.set(at(ymd(2026, 3, 2)));
  BOOST_REQUIRE(engine->execute(id, HireStarted{ymd(2026, 3, 2)}, as("ec")).ok());
  clock.set(at(ymd(2026, 4, 1)));
  BOOST_REQUIRE(engine->execute(id, LeaveStarted{"sick", ymd(2026, 3, 30)}, as("ec")).ok());
  clock.set(at(ymd(2026, 5, 20)));
  BOOST_REQUIRE(engine->execute(id, LeaveEnded{ymd(2026, 4, 27)}, as("ec")).ok());  // 28 days
  auto s = engine->status(id, ymd(2026, 5, 20));
  for (const auto& d : s->deadlines) {
    if (d.id == "induction.complete") {
      BOOST_TEST(date::format("%F", d.nominal) == "2026-07-02");
      BOOST_TEST(date::format("%F", d.due) == "2026-07-30");
    }
  }
  // Weeks 2026-03-30 .. 2026-04-20 were on leave: nothing owed.
  double owed_on_leave = 0;
  for (const auto& w : s->weeks)
    if (w.monday >= ymd(2026, 3, 30) && w.monday < ymd(2026, 4, 27)) owed_on_leave += w.owed;
  BOOST_TEST(owed_on_leave == 0.0);
  BOOST_TEST(s->weeks.front().owed == 4.0);
  BOOST_TEST(s->hours_logged == 0.0);
  BOOST_TEST(s->hours_owed == 4.0 * 7);  // 4 weeks before the leave + 3 after, up to 20 May
}

BOOST_AUTO_TEST_CASE(ACompletedJourneyOwesNoIntroducerHoursAfterItsCompletion) {
  const std::string id = register_sara();
  clock.set(at(ymd(2026, 3, 2)));
  BOOST_REQUIRE(engine->execute(id, HireStarted{ymd(2026, 3, 2)}, as("ec")).ok());
  clock.set(at(ymd(2026, 6, 3)));
  for (const auto& cl : engine->load(id)->programme->checklists) {
    for (const auto& item : cl.items) {
      auto o = engine->execute(id, ChecklistItemCompleted{item.id, ymd(2026, 5, 29), ""}, as("ec"));
      BOOST_REQUIRE_MESSAGE(o.ok(), item.id << ": " << o.message(Language::en));
    }
  }
  BOOST_REQUIRE(engine->execute(id, PartWaived{"course", "har gått kursen"}, as("ec")).ok());
  BOOST_REQUIRE(engine->execute(id, PartWaived{"supervision", "annan handledning"}, as("ec")).ok());
  // Recorded on 15 June: two hours in the week of 8 June, then the completion
  // backdated to Wednesday 3 June.
  clock.set(at(ymd(2026, 6, 15)));
  BOOST_REQUIRE(engine->execute(id, IntroducerHoursLogged{ymd(2026, 6, 8), 2}, as("fa")).ok());
  auto done = engine->execute(id, JourneyCompleted{ymd(2026, 6, 3)}, as("ec"));
  BOOST_REQUIRE_MESSAGE(done.ok(), done.message(Language::en));

  // Three months later: hours owed up to the completion, nothing after it;
  // the hours logged after it still count as logged.
  auto s = engine->status(id, ymd(2026, 9, 1));
  BOOST_REQUIRE(s.has_value());
  BOOST_REQUIRE(s->weeks.size() >= 2u);
  const auto& after = s->weeks.back();
  BOOST_TEST(date::format("%F", after.monday) == "2026-06-08");
  BOOST_TEST(after.owed == 0.0);
  BOOST_TEST(after.logged == 2.0);
  BOOST_TEST(s->hours_logged == 2.0);
  s->weeks.pop_back();
  BOOST_TEST(date::format("%F", s->weeks.back().monday) == "2026-06-01");
  BOOST_TEST(s->weeks.back().owed == 4.0 * 2 / 5);      // Monday and Tuesday before completion
  BOOST_TEST(s->hours_owed == 4.0 * 13 + 4.0 * 2 / 5);  // 13 whole weeks from 2 March
  auto hire = engine->load(id);
  BOOST_TEST(plan_reminders(*s, *hire->programme, hire->registered_on).empty());
}

BOOST_AUTO_TEST_CASE(ExperiencedHireIsRegisteredWithEjItems) {
  const std::string id = register_sara(true);
  auto s = engine->status(id, ymd(2026, 2, 1));
  int waived = 0;
  for (const auto& r : s->roles) waived += r.waived;
  BOOST_TEST(waived == 6);
}

BOOST_AUTO_TEST_CASE(CsvImportReportsEachRowAndImportsNothingTwice) {
  for (const char* unit : {"Barn och unga Centrum", "Barn och unga Väster"}) set_unit(unit);
  std::istringstream csv(
      "namn;e-post;enhet;startdatum;erfaren;introduktör\n"
      "Ali Haddad;ali@example.se;Barn och unga Centrum;2026-04-01;nej;Karin Ek\n"
      "Bo Ek;bo-at-example.se;Barn och unga Centrum;2026-04-01;nej;\n"
      "\"Lind, Maja\";maja@example.se;Barn och unga Väster;2026-13-01;ja;\n"
      "Eva Sund;eva@example.se;Barn och unga Väster;2026-05-04;ja;\n"
      "too;few\n");
  auto report = import_hires_csv(*engine, csv, "hr-import", Language::en);
  BOOST_REQUIRE(report.file_error.empty());
  BOOST_TEST(report.registered == 2);
  BOOST_TEST(report.rejected == 3);
  BOOST_REQUIRE(report.rows.size() == 5u);
  BOOST_TEST(report.rows[1].line == 3);
  BOOST_TEST(report.rows[1].message.find("e-mail") != std::string::npos);
  BOOST_TEST(report.rows[2].message.find("2026-13-01") != std::string::npos);
  BOOST_TEST(report.rows[2].name == "Lind, Maja");
  BOOST_TEST(engine->hires().size() == 2u);
  std::istringstream again(
      "name,email,unit,start\nAli Haddad,ali@example.se,Barn och unga Centrum,2026-04-01\n");
  auto second = import_hires_csv(*engine, again, "hr-import", Language::en);
  BOOST_TEST(second.duplicates == 1);
  BOOST_TEST(engine->hires().size() == 2u);
  std::istringstream bad("name,email,unit,startdate\n");
  BOOST_TEST(import_hires_csv(*engine, bad, "hr", Language::en).file_error.find("startdate") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(ACsvRowNamingAnUnknownUnitIsRefusedNamingTheUnit) {
  set_unit("Barn och unga Centrum");
  std::istringstream csv(
      "name,email,unit,start\n"
      "Ali Haddad,ali@example.se,Barn och unga Centrum,2026-04-01\n"
      "Bo Ek,bo@example.se,Barn och unga Centurm,2026-04-01\n");
  auto report = import_hires_csv(*engine, csv, "hr-import", Language::sv);
  BOOST_TEST(report.registered == 1);
  BOOST_TEST(report.rejected == 1);
  BOOST_REQUIRE(report.rows.size() == 2u);
  BOOST_TEST(report.rows[1].message.find("Barn och unga Centurm") != std::string::npos);
  BOOST_TEST(engine->hires().size() == 1u);
}

BOOST_AUTO_TEST_CASE(AWindows1252CsvIsRefusedWholeAndSaysSaveAsCsvUtf8) {
  std::istringstream csv(
      "name,email,unit,start\n"
      "Ali Haddad,ali@example.se,Barn och unga Centrum,2026-04-01\n"
      "M\xe4rta Ek,marta@example.se,Barn och unga Centrum,2026-04-01\n");
  auto report = import_hires_csv(*engine, csv, "hr-import", Language::sv);
  BOOST_TEST(report.file_error.find("rad 3") != std::string::npos);
  BOOST_TEST(report.file_error.find("CSV UTF-8") != std::string::npos);
  BOOST_TEST(report.registered == 0);
  BOOST_TEST(engine->hires().size() == 0u);
}

BOOST_AUTO_TEST_CASE(RegistrationTellsEachRoleItsPreparationTasks) {
  const std::string id = register_sara();
  auto hire = engine->load(id);
  auto plan =
      plan_reminders(*engine->status(id, ymd(2026, 2, 1)), *hire->programme, hire->registered_on);
  int lists = 0;
  for (const auto& r : plan) {
    if (r.kind != PlannedReminder::Kind::task_list) continue;
    ++lists;
    BOOST_TEST(format_date(r.fire_on) == "2026-02-01");
    if (r.audience == Audience::administrator) BOOST_TEST(r.items.size() == 12u);
    if (r.audience == Audience::unit_head) BOOST_TEST(r.items.size() == 10u);
  }
  BOOST_TEST(lists == 2);
}

BOOST_AUTO_TEST_CASE(LadderGivesRungsAndEscalationAndStopsWhenDone) {
  const std::string id = register_sara();
  auto count = [&](const std::string& prefix) {
    auto hire = engine->load(id);
    auto plan =
        plan_reminders(*engine->status(id, ymd(2026, 2, 1)), *hire->programme, hire->registered_on);
    std::vector<PlannedReminder> out;
    for (auto& r : plan)
      if (r.id.rfind(prefix, 0) == 0) out.push_back(r);
    return out;
  };
  auto induction = count(id + "/induction.complete/");
  BOOST_REQUIRE(induction.size() == 5u);  // -14d, -3d, 0d, 1d, escalation after 7d
  BOOST_TEST(format_date(induction[0].fire_on) == "2026-06-18");
  BOOST_TEST(format_date(induction[2].fire_on) == "2026-07-02");
  BOOST_TEST((induction[4].audience == Audience::escalation));
  BOOST_TEST(format_date(induction[4].fire_on) == "2026-07-09");
  // The administrator's computer check: one item due 2026-02-27; done, its reminders go.
  auto dator = [&] {
    int n = 0;
    for (const auto& r : count(id + "/checklist/AD/"))
      for (const auto& text : r.items) n += text == "Kontrollera att dator finns";
    return n;
  };
  BOOST_TEST(dator() == 4);  // -3d, 0d, 1d, escalation
  BOOST_REQUIRE(
      engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 1, 30), ""}, as("ad")).ok());
  BOOST_TEST(dator() == 0);
}

BOOST_AUTO_TEST_CASE(NobodyIsRemindedDuringLeaveOrAfterLeaving) {
  const std::string id = register_sara();
  clock.set(at(ymd(2026, 4, 1)));
  BOOST_REQUIRE(engine->execute(id, HireStarted{ymd(2026, 3, 2)}, as("ec")).ok());
  BOOST_REQUIRE(engine->execute(id, LeaveStarted{"parental", ymd(2026, 3, 30)}, as("ec")).ok());
  auto hire = engine->load(id);
  auto on_leave =
      plan_reminders(*engine->status(id, ymd(2026, 4, 1)), *hire->programme, hire->registered_on);
  for (const auto& r : on_leave) BOOST_TEST((r.kind == PlannedReminder::Kind::task_list));
  BOOST_REQUIRE(engine->execute(id, HireLeft{ymd(2026, 4, 1), "ny tjänst"}, as("ec")).ok());
  auto after = plan_reminders(*engine->status(id, ymd(2026, 4, 1)), *engine->load(id)->programme,
                              hire->registered_on);
  BOOST_TEST(after.empty());
}

BOOST_AUTO_TEST_CASE(ShortIntroducerHoursAreReportedTheMondayAfter) {
  const std::string id = register_sara();
  clock.set(at(ymd(2026, 3, 20)));
  BOOST_REQUIRE(engine->execute(id, HireStarted{ymd(2026, 3, 2)}, as("ec")).ok());
  BOOST_REQUIRE(engine->execute(id, IntroducerHoursLogged{ymd(2026, 3, 2), 4}, as("fa")).ok());
  BOOST_REQUIRE(engine->execute(id, IntroducerHoursLogged{ymd(2026, 3, 9), 1.5}, as("fa")).ok());
  auto hire = engine->load(id);
  auto plan =
      plan_reminders(*engine->status(id, ymd(2026, 3, 20)), *hire->programme, hire->registered_on);
  std::vector<PlannedReminder> hours;
  for (auto& r : plan)
    if (r.kind == PlannedReminder::Kind::hours_shortfall) hours.push_back(r);
  BOOST_REQUIRE(hours.size() == 2u);  // week 11 to the unit head and to the introducer
  BOOST_TEST(hours[0].obligation == "hours/2026-W11");
  BOOST_TEST(format_date(hours[0].fire_on) == "2026-03-16");
  BOOST_TEST(hours[0].hours_balance == -2.5);
}

BOOST_AUTO_TEST_CASE(UnitContactsAreEventsAndTheNewestCounts) {
  UnitContacts u{"Barn och unga Hisingen",
                 {"Anna Berg", "anna.berg@example.se"},
                 {"Omar Ali", "omar.ali@example.se"},
                 Contact{"Ingrid IFO-chef", "ingrid@example.se", Language::en, true}};
  BOOST_REQUIRE(engine->set_unit(u, as("admin")).ok());
  u.administrator = {"Maja Lund", "maja.lund@example.se"};
  BOOST_REQUIRE(engine->set_unit(u, as("admin")).ok());
  auto got = engine->unit("Barn och unga Hisingen");
  BOOST_REQUIRE(got);
  BOOST_TEST(got->administrator.name == "Maja Lund");
  BOOST_TEST(got->escalation->digest);
  BOOST_TEST((got->escalation->language == Language::en));
  BOOST_TEST(engine->units().size() == 1u);
  u.unit_head.email = "no-at-sign";
  auto bad = engine->set_unit(u, as("admin"));
  BOOST_TEST(bad.refusal->code == "field_bad_email");
  BOOST_TEST(bad.refusal->args.at("field") == "unit_head_email");
}

// Leave arithmetic across month and year ends: (nominal, leave from, back, expected due).
struct LeaveCase {
  const char* nominal;
  const char* from;
  const char* back;  // "" = still on leave
  const char* as_of;
  const char* expected;
};
std::ostream& operator<<(std::ostream& os, const LeaveCase& c) {
  return os << c.nominal << "/" << c.from;
}

BOOST_DATA_TEST_CASE(LeaveMovesADeadlineByItsLength,
                     boost::unit_test::data::make(std::vector<LeaveCase>{
                         {"2026-02-28", "2026-01-31", "2026-03-01", "2026-06-01", "2026-03-29"},
                         {"2026-12-31", "2026-12-24", "2027-01-07", "2027-02-01", "2027-01-14"},
                         {"2028-03-01", "2028-02-28", "2028-03-01", "2028-04-01", "2028-03-03"},
                         {"2026-06-30", "2026-07-01", "2026-08-01", "2026-09-01", "2026-06-30"},
                         {"2026-06-30", "2026-06-30", "2026-07-01", "2026-09-01", "2026-07-01"},
                         {"2026-06-30", "2026-06-01", "", "2026-06-10", "2026-07-10"},
                     }),
                     c) {
  std::vector<LeavePeriod> leaves{
      {"parental", *parse_date(c.from), *c.back ? parse_date(c.back) : std::nullopt}};
  auto due = shift_for_leave(*parse_date(c.nominal), leaves, *parse_date(c.as_of));
  BOOST_TEST(format_date(due) == c.expected);
}

// Corrections (journey_engine.h, kEventCorrected): a new record that names
// the fact, never an edit; the replay, the status and the reminders follow it.
BOOST_AUTO_TEST_CASE(AWrongDoneDateIsCorrectedAndStatusAndHistoryFollow) {
  const std::string id = register_sara();
  clock.set(at(ymd(2026, 3, 10)));
  auto done =
      engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 3, 9), ""}, as("ad"));
  BOOST_REQUIRE(done.ok());
  const auto head_before = engine->load(id)->records.size();
  auto o = engine->correct(id,
                           {done.version, ChecklistItemCompleted{"ad.dator", ymd(2026, 2, 25), ""},
                            "fel datum: datorn kontrollerades i februari"},
                           as("ad"));
  BOOST_REQUIRE_MESSAGE(o.ok(), o.message(Language::en));
  auto future = engine->correct(
      id, {done.version, ChecklistItemCompleted{"ad.dator", ymd(2026, 3, 11), ""}, "x"}, as("ad"));
  BOOST_TEST(future.refusal->code == "date_in_future");
  BOOST_TEST(future.refusal->args.at("field") == "replacement/on");
  auto s = engine->status(id, ymd(2026, 3, 10));
  for (const auto& i : s->items)
    if (i.id == "ad.dator") BOOST_TEST(format_date(*i.state.done_on) == "2026-02-25");
  auto h = engine->load(id);
  BOOST_REQUIRE(h->records.size() == head_before + 1);
  // The original stays, marked; the correction says what, who and why.
  const auto& original = h->entries[done.version - 1];
  BOOST_TEST(original.superseded_by == o.version);
  BOOST_TEST(!original.retracted);
  BOOST_TEST(original.details.find("2026-03-09") != std::string::npos);
  const auto& correction = h->entries.back();
  BOOST_REQUIRE(correction.correction);
  BOOST_TEST(correction.correction->version == done.version);
  BOOST_TEST(correction.correction->reason == "fel datum: datorn kontrollerades i februari");
  BOOST_TEST(h->records.back().actor == "ad");
  BOOST_TEST(h->records.back().type == kEventCorrected);
  // What was known on the 9th (the correction was recorded the 10th) shows nothing of it.
  auto before = engine->load(id, AsOf{ymd(2026, 3, 9)});
  for (const auto& e : before->entries) BOOST_TEST(!e.correction);
  // What had happened by 1 March, as known today: done, by its corrected date
  // (the original's 9 March would have left it out), the correction shown with it.
  auto state_by = [&](AsOf a) {
    const auto st = engine->status(id, a.date, a);
    for (const auto& i : st->items)
      if (i.id == "ad.dator") return i.state.status;
    return ItemState::Status::open;
  };
  BOOST_TEST((state_by(AsOf{ymd(2026, 3, 1), AsOf::Basis::effective}) == ItemState::Status::done));
  BOOST_TEST((state_by(AsOf{ymd(2026, 3, 10), AsOf::Basis::recorded}) == ItemState::Status::done));
  BOOST_TEST((state_by(AsOf{ymd(2026, 3, 9), AsOf::Basis::recorded}) == ItemState::Status::open));
  auto by_first = engine->load(id, AsOf{ymd(2026, 3, 1), AsOf::Basis::effective});
  BOOST_TEST(by_first->entries.back().correction.has_value());
}

BOOST_AUTO_TEST_CASE(ARetractedItemIsOpenAgainAndItsRemindersReturn) {
  const std::string id = register_sara();
  auto dator = [&] {
    auto hire = engine->load(id);
    int n = 0;
    for (const auto& r : plan_reminders(*engine->status(id, ymd(2026, 2, 1)), *hire->programme,
                                        hire->registered_on))
      for (const auto& text : r.items) n += text == "Kontrollera att dator finns";
    return n;
  };
  auto done =
      engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 1, 30), ""}, as("ad"));
  BOOST_REQUIRE(done.ok());
  BOOST_TEST(dator() == 0);
  auto o = engine->correct(id, {done.version, std::nullopt, "fel nyanställd"}, as("ad"));
  BOOST_REQUIRE_MESSAGE(o.ok(), o.message(Language::en));
  BOOST_TEST(dator() == 4);
  // Struck is struck: recorded anew, not corrected.
  auto again = engine->correct(
      id, {done.version, ChecklistItemCompleted{"ad.dator", ymd(2026, 1, 29), ""}, "x"}, as("ad"));
  BOOST_TEST(again.refusal->code == "correction_target_retracted");
  BOOST_TEST(
      engine->execute(id, ChecklistItemCompleted{"ad.dator", ymd(2026, 1, 31), ""}, as("ad")).ok());
  BOOST_TEST(dator() == 0);
}

BOOST_AUTO_TEST_CASE(RetractingAModuleOfACompletedCourseIsRefusedNamingTheCompletion) {
  const std::string id = register_sara(true);
  clock.set(at(ymd(2026, 12, 1)));
  BOOST_REQUIRE(engine->execute(id, HireStarted{ymd(2026, 3, 2)}, as("ec")).ok());
  BOOST_REQUIRE(engine->execute(id, CourseBooked{ymd(2026, 4, 1), "vår"}, as("ec")).ok());
  const auto prog = engine->load(id)->programme;
  std::uint64_t module_three = 0;
  for (const auto& mod : prog->course.modules) {
    const int m = mod.number;
    auto o = engine->execute(id, CourseModuleAttended{m, ymd(2026, 4, 1) + days(m)}, as("ec"));
    BOOST_REQUIRE_MESSAGE(o.ok(), o.message(Language::en));
    if (m == 3) module_three = o.version;
  }
  for (const auto& part : prog->course.bbic_parts)
    BOOST_REQUIRE(engine->execute(id, BbicPartCompleted{part.id, ymd(2026, 5, 4)}, as("ec")).ok());
  auto completed = engine->execute(id, CourseCompleted{ymd(2026, 5, 5), "intyg-1"}, as("ec"));
  BOOST_REQUIRE_MESSAGE(completed.ok(), completed.message(Language::en));
  const auto version = engine->load(id)->version;
  auto o = engine->correct(id, {module_three, std::nullopt, "var sjuk"}, as("ec"));
  BOOST_REQUIRE(o.refusal);
  BOOST_TEST(o.refusal->code == "correction_inconsistent");
  BOOST_TEST(o.refusal->args.at("event") == std::to_string(completed.version));
  BOOST_TEST(o.refusal->args.at("refusal") == "course_incomplete");
  BOOST_TEST(o.message(Language::en)
                 .find("Correct or retract event " + std::to_string(completed.version) +
                       " first") != std::string::npos);
  BOOST_TEST(engine->load(id)->version == version);  // nothing written
  // A replacement the machine refuses where it stands names the replacement.
  auto no_such = engine->correct(
      id, {module_three, CourseModuleAttended{99, ymd(2026, 4, 4)}, "fel nummer"}, as("ec"));
  BOOST_REQUIRE(no_such.refusal);
  BOOST_TEST(no_such.refusal->code == "unknown_module");
  BOOST_TEST(no_such.refusal->args.at("field") == "replacement");
  // Decided on a fact that has been corrected since: refused, not overwritten.
  BOOST_REQUIRE(
      engine->correct(id, {module_three, CourseModuleAttended{3, ymd(2026, 4, 5)}, "dag"}, as("ec"))
          .ok());
  auto stale = engine->correct(
      id, {module_three, CourseModuleAttended{3, ymd(2026, 4, 6)}, "dag", std::uint64_t{0}},
      as("ec"));
  BOOST_REQUIRE(stale.refusal);
  BOOST_TEST(stale.refusal->code == "correction_target_changed");
  // Correct the completion first (retract it), then the module can go.
  BOOST_REQUIRE(
      engine->correct(id, {completed.version, std::nullopt, "för tidigt"}, as("ec")).ok());
  BOOST_TEST(engine->correct(id, {module_three, std::nullopt, "var sjuk"}, as("ec")).ok());
  BOOST_TEST(engine->status(id, ymd(2026, 12, 1))->regions.size() > 0u);
  BOOST_TEST(engine->replay(id)->machine->facts().modules.count(3) == 0u);
  BOOST_TEST(!engine->replay(id)->machine->facts().course_completed_on);
}

BOOST_AUTO_TEST_CASE(ACorrectionIsRefusedWhenItNamesNoFactOrChangesNothing) {
  const std::string id = register_sara();
  const auto version = engine->load(id)->version;
  auto refused = [&](Correction c) {
    auto o = engine->correct(id, c, as("ec"));
    BOOST_REQUIRE(o.refusal);
    return o.refusal->code;
  };
  BOOST_TEST(refused({99, std::nullopt, "x"}) == "correction_unknown_event");
  BOOST_TEST(refused({1, std::nullopt, "x"}) == "registration_cannot_be_retracted");
  BOOST_TEST(refused({2, std::nullopt, " "}) == "field_empty");
  BOOST_TEST(refused({2, HireStarted{ymd(2026, 1, 20)}, "x"}) == "correction_type_mismatch");
  BOOST_TEST(refused({2, IntroducerAppointed{{"Karin Ek", "karin.ek@example.se"}, ymd(2026, 3, 2)},
                      "x"}) == "correction_unchanged");
  BOOST_TEST(refused({2, IntroducerAppointed{{"Karin\x01", ""}, ymd(2026, 1, 2)}, "x"}) ==
             "field_control_character");
  auto reg = std::get<HireRegistered>(engine->load(id)->entries.front().event.value());
  reg.unit = "Barn och unga Angered";
  BOOST_TEST(refused({1, reg, "x"}) == "correction_field_fixed");
  BOOST_TEST(engine->load(id)->version == version);  // nothing written
  // The registration's name and first day can be corrected; deadlines move with the start.
  auto due = [&] {
    const auto s = engine->status(id, ymd(2026, 2, 1));
    for (const auto& d : s->deadlines)
      if (d.id == "induction.complete") return format_date(d.due);
    return std::string();
  };
  const std::string before = due();
  reg = std::get<HireRegistered>(engine->load(id)->entries.front().event.value());
  reg.name = "Sara Lindqvist";
  reg.start = ymd(2026, 3, 9);
  BOOST_REQUIRE(engine->correct(id, {1, reg, "fel startdatum"}, as("ec")).ok());
  BOOST_TEST(engine->status(id, ymd(2026, 2, 1))->hire.name == "Sara Lindqvist");
  BOOST_TEST(engine->identify(id)->name == "Sara Lindqvist");
  BOOST_TEST(due() != before);
}

BOOST_AUTO_TEST_CASE(ACorrectedIntroducerIsWhoTheHireBelongsTo) {
  const std::string id = register_sara();
  BOOST_TEST(engine->identify(id)->introducer_email == "karin.ek@example.se");
  BOOST_REQUIRE(
      engine
          ->correct(id,
                    {2, IntroducerAppointed{{"Karin Ek", "karin.ek2@example.se"}, ymd(2026, 3, 2)},
                     "fel adress"},
                    as("ec"))
          .ok());
  BOOST_TEST(engine->identify(id)->introducer_email == "karin.ek2@example.se");
  BOOST_TEST(engine->status(id, ymd(2026, 2, 1))->introducer->introducer.email ==
             "karin.ek2@example.se");
}

BOOST_AUTO_TEST_SUITE_END()
