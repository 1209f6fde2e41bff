#include "journey/test/engine_fixture.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "journey/engine/reminders.h"
#include "journey/storage/rocksdb_event_log.h"

namespace journey::test {

date::sys_days ymd(int y, unsigned m, unsigned d) { return date::sys_days(date::year(y) / m / d); }

TimePoint stockholm_winter(date::sys_days d, int hour, int minute) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(d) + std::chrono::hours(hour - 1) +
         std::chrono::minutes(minute);
}

TimePoint utc(date::sys_days d, int hour) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(d) + std::chrono::hours(hour);
}

EngineFixture::EngineFixture(TimePoint now, const std::string& prefix) : dir(prefix), clock(now) {
  auto opened = storage::open_rocksdb_event_log({dir / "log"}, clock);
  BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
  log = std::move(opened.value());
  engine = std::make_unique<engine::JourneyEngine>(*log, clock);
  std::ifstream f(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
  std::stringstream text;
  text << f.rdbuf();
  const auto published = engine->publish_programme(text.str(), "gr-forsta-aren.toml", "setup");
  BOOST_REQUIRE_MESSAGE(published.ok(), published.message(engine::Language::en));
}

EngineFixture::~EngineFixture() {
  engine.reset();  // before the log it reads
  log.reset();
}

engine::CommandContext EngineFixture::as(const std::string& actor, std::string key) {
  return {actor, std::move(key), std::nullopt};
}

void EngineFixture::add_unit(const std::string& unit, const std::string& municipality) {
  if (municipality != engine::kDefaultMunicipality && !engine->municipality(municipality)) {
    const auto o = engine->set_municipality({municipality, municipality}, as("setup"));
    BOOST_REQUIRE_MESSAGE(o.ok(), o.message(engine::Language::en));
  }
  const auto o = engine->set_unit({unit,
                                   {"Anna Berg", "anna.berg@example.se"},
                                   {"Omar Ali", "omar.ali@example.se"},
                                   std::nullopt,
                                   municipality},
                                  as("setup"));
  BOOST_REQUIRE_MESSAGE(o.ok(), o.message(engine::Language::en));
}

std::string EngineFixture::register_hire(const std::string& name, const std::string& email,
                                         const std::string& unit, const std::string& start) {
  engine::RegisterHire cmd;
  cmd.name = name;
  cmd.email = email;
  cmd.unit = unit;
  cmd.start = start;
  const auto o = engine->register_hire(cmd, as("setup"));
  BOOST_REQUIRE_MESSAGE(o.ok(), o.message(engine::Language::en));
  return o.hire_id;
}

}  // namespace journey::test
