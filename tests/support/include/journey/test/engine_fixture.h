// What an engine test starts from, instead of each test file building its
// own: dates written as dates, a real RocksDB event log in a TempDir, a
// virtual clock, the engine over them with the GR programme published, and
// the units and hires most tests register first.
#pragma once

#include <memory>
#include <string>

#include "journey/engine/journey_engine.h"
#include "journey/test/temp_dir.h"

namespace journey::test {

// --- Dates ---------------------------------------------------------------------
date::sys_days ymd(int y, unsigned m, unsigned d);
// hour:minute of Swedish winter time (UTC+1) on d.
TimePoint stockholm_winter(date::sys_days d, int hour, int minute = 0);
// hour:00 UTC on d.
TimePoint utc(date::sys_days d, int hour);

// --- An engine over a real log -----------------------------------------------------
struct EngineFixture {
  // The clock starts at `now`; the log opens in dir / "log".
  explicit EngineFixture(TimePoint now, const std::string& prefix = "journey-engine-test");
  ~EngineFixture();
  EngineFixture(const EngineFixture&) = delete;
  EngineFixture& operator=(const EngineFixture&) = delete;

  TempDir dir;
  VirtualClock clock;
  std::unique_ptr<storage::EventLog> log;
  std::unique_ptr<engine::JourneyEngine> engine;

  static engine::CommandContext as(const std::string& actor, std::string key = "");
  // Describes `unit` in `municipality` (created first if missing), with a unit
  // head and an administrator. Fails the test if refused.
  void add_unit(const std::string& unit, const std::string& municipality = "default");
  // Registers a hire; fails the test if refused. Returns its id.
  std::string register_hire(const std::string& name, const std::string& email,
                            const std::string& unit, const std::string& start);
};

}  // namespace journey::test
