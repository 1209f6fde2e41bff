// Properties of what the scheduler would send, over simulated years: only on
// working days at the send hour, each reminder once, nothing after leaving.
#define BOOST_TEST_MODULE simulation
#include "journey/engine/simulation.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <set>

using namespace journey;
using namespace journey::engine;
using namespace journey::workflows;

BOOST_DATA_TEST_CASE(SendsOnlyOnWorkingDaysAtTheHourAndEachReminderOnce,
                     boost::unit_test::data::make({1u, 2u, 3u}), seed) {
  const Programme p =
      load_programme_file(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
  const Templates templates = Templates::load(JOURNEY_TEMPLATES_DIR);
  const MunicipalTime municipal{std::chrono::hours(8)};
  SimulationConfig c;
  c.hires = 40;
  c.days = 500;
  c.seed = seed;
  c.first_day = date::sys_days(date::year(2027) / 3 / 1);
  c.left_share = 0.2;
  std::set<std::string> seen;
  long messages = 0;
  auto sum = simulate(p, templates, municipal, c, [&](const SimulatedNotification& n) {
    ++messages;
    BOOST_TEST(municipal.calendar().is_working_day(n.date));
    const auto local = municipal.to_local(n.send_at);
    BOOST_TEST(date::format("%R", date::floor<std::chrono::minutes>(local)) == "08:00");
    BOOST_TEST(!n.subject.empty());
    BOOST_TEST(n.subject.find("{{") == std::string::npos, n.subject);
    for (const auto& r : n.reminders) {
      BOOST_TEST(seen.insert(r.id).second, "reminder decided twice: " << r.id);
      BOOST_TEST((n.date >= r.fire_on), r.id);
    }
  });
  BOOST_TEST(sum.messages == messages);
  BOOST_TEST(sum.reminders > 0);
  BOOST_TEST(sum.weekend_or_holiday_sends == 0);
  BOOST_TEST(sum.unresolved == 0);
  BOOST_TEST(sum.by_kind.count("escalation") == 1u);
  BOOST_TEST(sum.by_kind.count("hours_shortfall") == 1u);
}

BOOST_AUTO_TEST_CASE(TemplatesExpandListsAndKeepUnknownPlaceholdersVisible) {
  const std::string out = expand("Hej {{recipient}}! {{#items}}[{{.}}]{{/items}} {{typo}}",
                                 {{"recipient", "Åsa"}}, {{"items", {"Nycklar", "Postfack"}}});
  BOOST_TEST(out == "Hej Åsa! [Nycklar][Postfack] {{typo}}");
}
