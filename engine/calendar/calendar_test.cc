// The municipal calendar over data tables: every Swedish holiday 2025-2030 with
// its date, due dates at month and year ends, the DST weekends 2025-2030 in
// UTC, send times in the spring-forward gap and the fall-back overlap, and a
// scheduler stepping a clock across DST nights, Midsummer and Christmas that
// must fire each working day's send exactly once and nothing on other days.
#define BOOST_TEST_MODULE calendar
#include "journey/engine/calendar.h"

#include <date/tz.h>

#include <algorithm>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bdata = boost::unit_test::data;
using namespace journey;
using namespace journey::engine;
using namespace std::chrono_literals;
using date::days;
using date::sys_days;

namespace {

// "2025-04-21" -> the civil date.
sys_days day(const std::string& iso) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(iso.c_str(), "%d-%u-%u", &y, &m, &d) != 3)
    throw std::invalid_argument("bad date " + iso);
  const date::year_month_day ymd{date::year(y), date::month(m), date::day(d)};
  if (!ymd.ok()) throw std::invalid_argument("bad date " + iso);
  return sys_days(ymd);
}

std::string iso(sys_days d) { return date::format("%F", d); }

// The UTC instant iso + hh:mm.
TimePoint utc(const std::string& iso_date, int hour, int minute = 0) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(day(iso_date)) +
         std::chrono::hours(hour) + std::chrono::minutes(minute);
}

std::string show(TimePoint t) {
  return date::format("%FT%TZ", std::chrono::time_point_cast<std::chrono::seconds>(t));
}

std::string hhmm(std::chrono::microseconds since_midnight) {
  return date::format("%H:%M", std::chrono::duration_cast<std::chrono::minutes>(since_midnight));
}

// Local wall-clock time of day at t in Europe/Stockholm, "08:00", found
// without MunicipalTime.
std::string stockholm_time_of_day(TimePoint t) {
  const auto local =
      date::zoned_time<std::chrono::microseconds>("Europe/Stockholm", t).get_local_time();
  return hhmm(local - date::floor<days>(local));
}

const MunicipalTime& stockholm() {
  static const MunicipalTime mt;  // 08:00, Europe/Stockholm
  return mt;
}

// ---- Tables -------------------------------------------------------------------

// Easter Sunday (Western, Gregorian) as published, e.g. Wikipedia "List of dates
// for Easter" and Svenska kyrkans almanacka; cross-checked with python-dateutil
// easter(y, EASTER_WESTERN) when this table was written.
struct EasterRow {
  int year;
  std::string easter;
};
std::ostream& operator<<(std::ostream& os, const EasterRow& r) { return os << r.year; }
const std::vector<EasterRow> kEaster = {
    {2025, "2025-04-20"}, {2026, "2026-04-05"}, {2027, "2027-03-28"},
    {2028, "2028-04-16"}, {2029, "2029-04-01"}, {2030, "2030-04-21"},
};

// Every holiday and non-working eve 2025-2030. Movable ones from the Easter
// dates above (Långfredagen -2, Annandag påsk +1, Kristi himmelsfärdsdag +39,
// Pingstdagen +49 days), Midsommar the Friday/Saturday in 19-26 June, Alla
// helgons dag the Saturday in 31 Oct-6 Nov; checked against the calendar
// at kalender.se / python-dateutil when this table was written.
struct HolidayRow {
  std::string date;
  std::string name;
  bool by_law;
};
std::ostream& operator<<(std::ostream& os, const HolidayRow& r) {
  return os << r.date << " " << r.name;
}
const std::vector<HolidayRow> kHolidays = {
    // 2025
    {"2025-01-01", "Nyårsdagen", true},
    {"2025-01-06", "Trettondedag jul", true},
    {"2025-04-18", "Långfredagen", true},
    {"2025-04-20", "Påskdagen", true},
    {"2025-04-21", "Annandag påsk", true},
    {"2025-05-01", "Första maj", true},
    {"2025-05-29", "Kristi himmelsfärdsdag", true},
    {"2025-06-06", "Sveriges nationaldag", true},
    {"2025-06-08", "Pingstdagen", true},
    {"2025-06-20", "Midsommarafton", false},
    {"2025-06-21", "Midsommardagen", true},
    {"2025-11-01", "Alla helgons dag", true},
    {"2025-12-24", "Julafton", false},
    {"2025-12-25", "Juldagen", true},
    {"2025-12-26", "Annandag jul", true},
    {"2025-12-31", "Nyårsafton", false},
    // 2026
    {"2026-01-01", "Nyårsdagen", true},
    {"2026-01-06", "Trettondedag jul", true},
    {"2026-04-03", "Långfredagen", true},
    {"2026-04-05", "Påskdagen", true},
    {"2026-04-06", "Annandag påsk", true},
    {"2026-05-01", "Första maj", true},
    {"2026-05-14", "Kristi himmelsfärdsdag", true},
    {"2026-05-24", "Pingstdagen", true},
    {"2026-06-06", "Sveriges nationaldag", true},
    {"2026-06-19", "Midsommarafton", false},
    {"2026-06-20", "Midsommardagen", true},
    {"2026-10-31", "Alla helgons dag", true},
    {"2026-12-24", "Julafton", false},
    {"2026-12-25", "Juldagen", true},
    {"2026-12-26", "Annandag jul", true},
    {"2026-12-31", "Nyårsafton", false},
    // 2027
    {"2027-01-01", "Nyårsdagen", true},
    {"2027-01-06", "Trettondedag jul", true},
    {"2027-03-26", "Långfredagen", true},
    {"2027-03-28", "Påskdagen", true},
    {"2027-03-29", "Annandag påsk", true},
    {"2027-05-01", "Första maj", true},
    {"2027-05-06", "Kristi himmelsfärdsdag", true},
    {"2027-05-16", "Pingstdagen", true},
    {"2027-06-06", "Sveriges nationaldag", true},
    {"2027-06-25", "Midsommarafton", false},
    {"2027-06-26", "Midsommardagen", true},
    {"2027-11-06", "Alla helgons dag", true},
    {"2027-12-24", "Julafton", false},
    {"2027-12-25", "Juldagen", true},
    {"2027-12-26", "Annandag jul", true},
    {"2027-12-31", "Nyårsafton", false},
    // 2028
    {"2028-01-01", "Nyårsdagen", true},
    {"2028-01-06", "Trettondedag jul", true},
    {"2028-04-14", "Långfredagen", true},
    {"2028-04-16", "Påskdagen", true},
    {"2028-04-17", "Annandag påsk", true},
    {"2028-05-01", "Första maj", true},
    {"2028-05-25", "Kristi himmelsfärdsdag", true},
    {"2028-06-04", "Pingstdagen", true},
    {"2028-06-06", "Sveriges nationaldag", true},
    {"2028-06-23", "Midsommarafton", false},
    {"2028-06-24", "Midsommardagen", true},
    {"2028-11-04", "Alla helgons dag", true},
    {"2028-12-24", "Julafton", false},
    {"2028-12-25", "Juldagen", true},
    {"2028-12-26", "Annandag jul", true},
    {"2028-12-31", "Nyårsafton", false},
    // 2029
    {"2029-01-01", "Nyårsdagen", true},
    {"2029-01-06", "Trettondedag jul", true},
    {"2029-03-30", "Långfredagen", true},
    {"2029-04-01", "Påskdagen", true},
    {"2029-04-02", "Annandag påsk", true},
    {"2029-05-01", "Första maj", true},
    {"2029-05-10", "Kristi himmelsfärdsdag", true},
    {"2029-05-20", "Pingstdagen", true},
    {"2029-06-06", "Sveriges nationaldag", true},
    {"2029-06-22", "Midsommarafton", false},
    {"2029-06-23", "Midsommardagen", true},
    {"2029-11-03", "Alla helgons dag", true},
    {"2029-12-24", "Julafton", false},
    {"2029-12-25", "Juldagen", true},
    {"2029-12-26", "Annandag jul", true},
    {"2029-12-31", "Nyårsafton", false},
    // 2030
    {"2030-01-01", "Nyårsdagen", true},
    {"2030-01-06", "Trettondedag jul", true},
    {"2030-04-19", "Långfredagen", true},
    {"2030-04-21", "Påskdagen", true},
    {"2030-04-22", "Annandag påsk", true},
    {"2030-05-01", "Första maj", true},
    {"2030-05-30", "Kristi himmelsfärdsdag", true},
    {"2030-06-06", "Sveriges nationaldag", true},
    {"2030-06-09", "Pingstdagen", true},
    {"2030-06-21", "Midsommarafton", false},
    {"2030-06-22", "Midsommardagen", true},
    {"2030-11-02", "Alla helgons dag", true},
    {"2030-12-24", "Julafton", false},
    {"2030-12-25", "Juldagen", true},
    {"2030-12-26", "Annandag jul", true},
    {"2030-12-31", "Nyårsafton", false},
};

// Days next to holidays that are ordinary working days all the same.
const std::vector<std::string> kOrdinaryDaysNextToHolidays = {
    "2026-01-05",  // Trettondagsafton (Monday)
    "2025-04-17",  // Skärtorsdagen
    "2025-04-22",  // Tuesday after Annandag påsk
    "2025-04-30",  // Valborgsmässoafton
    "2025-05-02",  // Friday after Första maj
    "2025-05-30",  // Friday after Kristi himmelsfärdsdag
    "2026-06-05",  // Friday before Sveriges nationaldag
    "2025-06-19",  // Thursday before Midsommarafton
    "2025-10-31",  // Friday before Alla helgons dag
    "2027-12-23",  // Thursday before Julafton
    "2025-12-30",  // Tuesday before Nyårsafton
    "2025-12-29",  // Monday between Christmas and New Year
    "2030-01-02",  // Wednesday after Nyårsdagen
};

// A due date and the working day its reminder goes out.
struct DueRow {
  std::string due;
  std::string sends_on;
  const char* why;
};
std::ostream& operator<<(std::ostream& os, const DueRow& r) {
  return os << r.due << " (" << r.why << ")";
}
const std::vector<DueRow> kMonthAndYearEnds = {
    // Year ends: Nyårsafton then Nyårsdagen then perhaps a weekend.
    {"2025-12-31", "2026-01-02", "Nyårsafton Wed, Nyårsdagen Thu"},
    {"2026-12-31", "2027-01-04", "Nyårsafton Thu, Nyårsdagen Fri, weekend"},
    {"2027-12-31", "2028-01-03", "Nyårsafton Fri, Nyårsdagen Sat"},
    {"2028-12-31", "2029-01-02", "Sunday, Nyårsdagen Mon"},
    {"2029-12-31", "2030-01-02", "Nyårsafton Mon, Nyårsdagen Tue"},
    {"2030-12-31", "2031-01-02", "Nyårsafton Tue, Nyårsdagen Wed"},
    {"2026-01-01", "2026-01-02", "Nyårsdagen Thu"},
    // Month ends.
    {"2025-01-31", "2025-01-31", "Friday"},
    {"2025-02-28", "2025-02-28", "Friday"},
    {"2025-03-01", "2025-03-03", "Saturday after a month end"},
    {"2025-05-31", "2025-06-02", "Saturday"},
    {"2025-08-31", "2025-09-01", "Sunday"},
    {"2026-01-30", "2026-01-30", "Friday, a working day itself"},
    {"2026-01-31", "2026-02-02", "Saturday after Friday 2026-01-30"},
    {"2026-02-28", "2026-03-02", "Saturday"},
    {"2026-10-31", "2026-11-02", "Alla helgons dag Sat"},
    {"2027-02-28", "2027-03-01", "Sunday"},
    {"2028-02-29", "2028-02-29", "leap day, Tuesday"},
    {"2028-04-30", "2028-05-02", "Valborg Sun, Första maj Mon"},
    {"2029-03-31", "2029-04-03", "Påskafton Sat, Påskdagen, Annandag påsk"},
    {"2029-06-30", "2029-07-02", "Saturday"},
    {"2030-04-30", "2030-04-30", "Valborgsmässoafton Tue is a working day"},
    {"2030-11-30", "2030-12-02", "Saturday"},
    // Holidays in the middle of the month.
    {"2025-01-06", "2025-01-07", "Trettondedag jul Mon"},
    {"2025-05-01", "2025-05-02", "Första maj Thu"},
    {"2025-06-06", "2025-06-09", "Sveriges nationaldag Fri"},
    {"2025-06-20", "2025-06-23", "Midsommarafton"},
    {"2026-12-24", "2026-12-28", "Julafton Thu, Juldagen Fri, weekend"},
    {"2027-03-26", "2027-03-30", "Långfredagen, Easter weekend, Annandag påsk"},
    {"2028-12-23", "2028-12-27", "Saturday before Christmas"},
};

// The DST changes in Europe/Stockholm (EU rule: last Sunday of March and of
// October at 01:00 UTC) and the UTC instants of the 08:00 sends on either side.
struct DstRow {
  std::string sunday;
  bool spring;               // true: 02:00 CET -> 03:00 CEST; false: 03:00 CEST -> 02:00 CET
  std::string last_before;   // last working day before the Sunday
  int last_before_utc_hour;  // its 08:00 local in UTC
  std::string first_after;   // first working day after
  int first_after_utc_hour;
};
std::ostream& operator<<(std::ostream& os, const DstRow& r) {
  return os << r.sunday << (r.spring ? " spring forward" : " fall back");
}
const std::vector<DstRow> kDst = {
    {"2025-03-30", true, "2025-03-28", 7, "2025-03-31", 6},
    {"2025-10-26", false, "2025-10-24", 6, "2025-10-27", 7},
    {"2026-03-29", true, "2026-03-27", 7, "2026-03-30", 6},
    {"2026-10-25", false, "2026-10-23", 6, "2026-10-26", 7},
    // Easter Sunday 2027 is also the spring-forward day: Långfredagen before it,
    // Annandag påsk after it.
    {"2027-03-28", true, "2027-03-25", 7, "2027-03-30", 6},
    {"2027-10-31", false, "2027-10-29", 6, "2027-11-01", 7},
    {"2028-03-26", true, "2028-03-24", 7, "2028-03-27", 6},
    {"2028-10-29", false, "2028-10-27", 6, "2028-10-30", 7},
    {"2029-03-25", true, "2029-03-23", 7, "2029-03-26", 6},
    {"2029-10-28", false, "2029-10-26", 6, "2029-10-29", 7},
    {"2030-03-31", true, "2030-03-29", 7, "2030-04-01", 6},
    {"2030-10-27", false, "2030-10-25", 6, "2030-10-28", 7},
};

// A clock stepped over the local days from..to (exclusive) must fire exactly
// these send days.
struct Window {
  std::string name;
  std::string from;
  std::string to;
  std::vector<std::string> sends;
};
std::ostream& operator<<(std::ostream& os, const Window& w) { return os << w.name; }

// Thursday before each change to Tuesday after it.
const std::vector<Window> kSpringWindows = {
    {"spring 2025",
     "2025-03-27",
     "2025-04-02",
     {"2025-03-27", "2025-03-28", "2025-03-31", "2025-04-01"}},
    {"spring 2026",
     "2026-03-26",
     "2026-04-01",
     {"2026-03-26", "2026-03-27", "2026-03-30", "2026-03-31"}},
    {"spring 2027 (Easter)", "2027-03-25", "2027-03-31", {"2027-03-25", "2027-03-30"}},
    {"spring 2028",
     "2028-03-23",
     "2028-03-29",
     {"2028-03-23", "2028-03-24", "2028-03-27", "2028-03-28"}},
    {"spring 2029",
     "2029-03-22",
     "2029-03-28",
     {"2029-03-22", "2029-03-23", "2029-03-26", "2029-03-27"}},
    {"spring 2030",
     "2030-03-28",
     "2030-04-03",
     {"2030-03-28", "2030-03-29", "2030-04-01", "2030-04-02"}},
};
const std::vector<Window> kFallWindows = {
    {"fall 2025",
     "2025-10-23",
     "2025-10-29",
     {"2025-10-23", "2025-10-24", "2025-10-27", "2025-10-28"}},
    {"fall 2026",
     "2026-10-22",
     "2026-10-28",
     {"2026-10-22", "2026-10-23", "2026-10-26", "2026-10-27"}},
    {"fall 2027",
     "2027-10-28",
     "2027-11-03",
     {"2027-10-28", "2027-10-29", "2027-11-01", "2027-11-02"}},
    {"fall 2028",
     "2028-10-26",
     "2028-11-01",
     {"2028-10-26", "2028-10-27", "2028-10-30", "2028-10-31"}},
    {"fall 2029",
     "2029-10-25",
     "2029-10-31",
     {"2029-10-25", "2029-10-26", "2029-10-29", "2029-10-30"}},
    {"fall 2030",
     "2030-10-24",
     "2030-10-30",
     {"2030-10-24", "2030-10-25", "2030-10-28", "2030-10-29"}},
};
// Monday of Midsummer week to the Tuesday after; Christmas from 20 December to
// 9 January.
const std::vector<Window> kHolidayWindows = {
    {"midsummer 2025",
     "2025-06-16",
     "2025-06-25",
     {"2025-06-16", "2025-06-17", "2025-06-18", "2025-06-19", "2025-06-23", "2025-06-24"}},
    {"midsummer 2026",
     "2026-06-15",
     "2026-06-24",
     {"2026-06-15", "2026-06-16", "2026-06-17", "2026-06-18", "2026-06-22", "2026-06-23"}},
    {"midsummer 2027",
     "2027-06-21",
     "2027-06-30",
     {"2027-06-21", "2027-06-22", "2027-06-23", "2027-06-24", "2027-06-28", "2027-06-29"}},
    {"midsummer 2028",
     "2028-06-19",
     "2028-06-28",
     {"2028-06-19", "2028-06-20", "2028-06-21", "2028-06-22", "2028-06-26", "2028-06-27"}},
    {"midsummer 2029",
     "2029-06-18",
     "2029-06-27",
     {"2029-06-18", "2029-06-19", "2029-06-20", "2029-06-21", "2029-06-25", "2029-06-26"}},
    {"midsummer 2030",
     "2030-06-17",
     "2030-06-26",
     {"2030-06-17", "2030-06-18", "2030-06-19", "2030-06-20", "2030-06-24", "2030-06-25"}},
    {"christmas 2025",
     "2025-12-20",
     "2026-01-10",
     {"2025-12-22", "2025-12-23", "2025-12-29", "2025-12-30", "2026-01-02", "2026-01-05",
      "2026-01-07", "2026-01-08", "2026-01-09"}},
    {"christmas 2026",
     "2026-12-20",
     "2027-01-10",
     {"2026-12-21", "2026-12-22", "2026-12-23", "2026-12-28", "2026-12-29", "2026-12-30",
      "2027-01-04", "2027-01-05", "2027-01-07", "2027-01-08"}},
    {"christmas 2027",
     "2027-12-20",
     "2028-01-10",
     {"2027-12-20", "2027-12-21", "2027-12-22", "2027-12-23", "2027-12-27", "2027-12-28",
      "2027-12-29", "2027-12-30", "2028-01-03", "2028-01-04", "2028-01-05", "2028-01-07"}},
    {"christmas 2028",
     "2028-12-20",
     "2029-01-10",
     {"2028-12-20", "2028-12-21", "2028-12-22", "2028-12-27", "2028-12-28", "2028-12-29",
      "2029-01-02", "2029-01-03", "2029-01-04", "2029-01-05", "2029-01-08", "2029-01-09"}},
    {"christmas 2029",
     "2029-12-20",
     "2030-01-10",
     {"2029-12-20", "2029-12-21", "2029-12-27", "2029-12-28", "2030-01-02", "2030-01-03",
      "2030-01-04", "2030-01-07", "2030-01-08", "2030-01-09"}},
    {"christmas 2030",
     "2030-12-20",
     "2031-01-10",
     {"2030-12-20", "2030-12-23", "2030-12-27", "2030-12-30", "2031-01-02", "2031-01-03",
      "2031-01-07", "2031-01-08", "2031-01-09"}},
};

// How the scheduler's clock moves: a cycle of steps.
struct Stepping {
  std::string name;
  std::vector<std::chrono::microseconds> steps;
};
std::ostream& operator<<(std::ostream& os, const Stepping& s) { return os << s.name; }
const std::vector<Stepping> kDstSteppings = {
    {"1 minute", {1min}},
    {"7 minutes", {7min}},
    {"1 hour", {1h}},
    {"irregular", {1s, 59min, 7min, 3h, 1min, 13h, 250ms, 2h}},
};
const std::vector<Stepping> kHolidaySteppings = {
    {"7 minutes", {7min}},
    {"1 hour", {1h}},
    {"irregular", {1s, 59min, 7min, 3h, 1min, 13h, 250ms, 2h, 26h}},
};

// Configured local send times: the usual one, one in the DST-change hour and
// the two ends of the day.
struct SendAt {
  std::chrono::minutes local;
};
std::ostream& operator<<(std::ostream& os, const SendAt& s) {
  return os << "send at " << hhmm(s.local);
}
const std::vector<SendAt> kSendTimes = {{8h}, {2h + 30min}, {0min}, {23h + 59min}};

// Steps a clock over the window as a scheduler would (fire sends_between(last,
// now], then last = now), from 23:59 local before the window's first day to
// 23:59 local on its last day, so that a send at 23:59 or 00:00 sits exactly on
// a window boundary (and 1-minute and 1-hour ticks land exactly on sends), and
// checks: each expected day fires exactly once, at
// the first tick at or after its instant, at the configured local time, and
// nothing else fires; the due-date ranges of the sends are contiguous.
void step_through(const Window& w, const Stepping& s, SendAt send_at) {
  const MunicipalTime mt(send_at.local);
  const auto local_midnight = [](const std::string& d) {
    const auto midnight = date::local_days(day(d).time_since_epoch());
    return date::zoned_time<std::chrono::microseconds>("Europe/Stockholm", midnight).get_sys_time();
  };
  const TimePoint from = local_midnight(w.from) - 1min;
  const TimePoint to = local_midnight(w.to) - 1min;
  std::map<std::string, int> fired;
  std::vector<Send> sends;
  TimePoint last = from;
  std::size_t i = 0;
  while (last < to) {
    const TimePoint now = std::min(to, last + s.steps[i++ % s.steps.size()]);
    for (const Send& send : mt.sends_between(last, now)) {
      ++fired[iso(send.day)];
      sends.push_back(send);
      BOOST_TEST_REQUIRE(mt.calendar().is_working_day(send.day), iso(send.day)
                                                                     << " is not a working day");
      BOOST_TEST((last < send.at && send.at <= now),
                 "fired at tick " << show(now) << " for " << show(send.at));
      BOOST_TEST(stockholm_time_of_day(send.at) == hhmm(send_at.local),
                 iso(send.day) << " fired at the wrong local time");
      BOOST_TEST(iso(mt.local_date(send.at)) == iso(send.day));
    }
    last = now;
  }
  std::vector<std::string> got, expected;
  for (const auto& [d, times] : fired) got.push_back(d + " x" + std::to_string(times));
  for (const auto& d : w.sends) expected.push_back(d + " x1");
  BOOST_TEST(got == expected, boost::test_tools::per_element());
  for (std::size_t k = 1; k < sends.size(); ++k) {
    BOOST_TEST((sends[k - 1].at < sends[k].at));
    BOOST_TEST(iso(sends[k].first_due) == iso(sends[k - 1].last_due + days(1)));
  }
}

}  // namespace

// ---- Holidays -----------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(holidays)

BOOST_DATA_TEST_CASE(EasterSundayMatchesThePublishedDate, bdata::make(kEaster), row) {
  const sys_days e = SwedishCalendar::easter_sunday(date::year(row.year));
  BOOST_TEST(iso(e) == row.easter);
  BOOST_TEST(date::weekday(e) == date::Sunday);
}

BOOST_DATA_TEST_CASE(HolidayIsOnItsDateWithItsSwedishName, bdata::make(kHolidays), row) {
  const SwedishCalendar cal;
  const sys_days d = day(row.date);
  const auto name = cal.holiday_name(d);
  BOOST_REQUIRE_MESSAGE(name.has_value(), row.date << " has no holiday");
  BOOST_TEST(*name == row.name);
  BOOST_TEST(!cal.is_working_day(d));
  BOOST_TEST(cal.is_public_holiday(d) == row.by_law);
  BOOST_TEST(iso(cal.next_working_day_on_or_after(d)) != row.date);
}

BOOST_DATA_TEST_CASE(YearHasExactlyTheTabledHolidays, bdata::xrange(2025, 2031), y) {
  const SwedishCalendar cal;
  std::vector<std::string> expected, got;
  for (const auto& r : kHolidays)
    if (r.date.compare(0, 4, std::to_string(y)) == 0) expected.push_back(r.date + " " + r.name);
  for (const Holiday& h : cal.holidays(date::year(y)))
    got.push_back(iso(h.date) + " " + std::string(h.name));
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(got == expected, boost::test_tools::per_element());
}

// An oracle independent of the implementation: the table plus the weekday.
BOOST_AUTO_TEST_CASE(EveryDay2025To2030IsAWorkingDayExactlyWhenTheTableSaysSo) {
  const SwedishCalendar cal;
  std::set<std::string> off;
  for (const auto& r : kHolidays) off.insert(r.date);
  int working = 0;
  for (sys_days d = day("2025-01-01"); d <= day("2030-12-31"); d += days(1)) {
    const date::weekday wd(d);
    const bool expected = wd != date::Saturday && wd != date::Sunday && off.count(iso(d)) == 0;
    BOOST_TEST(cal.is_working_day(d) == expected, iso(d));
    BOOST_TEST(cal.holiday_name(d).has_value() == (off.count(iso(d)) == 1), iso(d));
    working += expected;
  }
  BOOST_TEST(working > 0);
}

BOOST_DATA_TEST_CASE(EasterMondayIsNotAWorkingDay, bdata::make(kEaster), row) {
  const SwedishCalendar cal;
  const sys_days monday = day(row.easter) + days(1);
  BOOST_TEST(date::weekday(monday) == date::Monday);
  BOOST_TEST(!cal.is_working_day(monday));
  BOOST_TEST(cal.holiday_name(monday).value_or("") == "Annandag påsk");
}

BOOST_DATA_TEST_CASE(GoodFridayIsNotAWorkingDay, bdata::make(kEaster), row) {
  const SwedishCalendar cal;
  const sys_days friday = day(row.easter) - days(2);
  BOOST_TEST(date::weekday(friday) == date::Friday);
  BOOST_TEST(!cal.is_working_day(friday));
  BOOST_TEST(cal.holiday_name(friday).value_or("") == "Långfredagen");
  BOOST_TEST(cal.is_working_day(friday - days(1)));  // Skärtorsdagen is an ordinary day
}

BOOST_DATA_TEST_CASE(AscensionDayIsNotAWorkingDay, bdata::make(kEaster), row) {
  const SwedishCalendar cal;
  const sys_days thursday = day(row.easter) + days(39);
  BOOST_TEST(date::weekday(thursday) == date::Thursday);
  BOOST_TEST(!cal.is_working_day(thursday));
  BOOST_TEST(cal.holiday_name(thursday).value_or("") == "Kristi himmelsfärdsdag");
}

BOOST_AUTO_TEST_CASE(EvesAreNonWorkingDaysButNotPublicHolidays) {
  const SwedishCalendar cal;
  for (const char* eve :
       {"2025-06-20", "2025-12-24", "2025-12-31", "2030-06-21", "2030-12-24", "2030-12-31"}) {
    BOOST_TEST(!cal.is_working_day(day(eve)), eve);
    BOOST_TEST(!cal.is_public_holiday(day(eve)), eve);
    BOOST_TEST(cal.holiday_name(day(eve)).has_value(), eve);
    const auto on = cal.holidays_on(day(eve));
    BOOST_TEST_REQUIRE(on.size() == 1u);
    BOOST_TEST(!on[0].by_law);
  }
  BOOST_TEST(cal.is_public_holiday(day("2025-12-25")));
}

BOOST_DATA_TEST_CASE(DayNextToAHolidayIsAnOrdinaryWorkingDay,
                     bdata::make(kOrdinaryDaysNextToHolidays), d) {
  const SwedishCalendar cal;
  BOOST_TEST(cal.is_working_day(day(d)));
  BOOST_TEST(!cal.holiday_name(day(d)).has_value());
  BOOST_TEST(!cal.is_public_holiday(day(d)));
}

BOOST_AUTO_TEST_CASE(PlainSundayIsNotANamedHolidayButNotAWorkingDay) {
  const SwedishCalendar cal;
  BOOST_TEST(!cal.holiday_name(day("2025-03-02")).has_value());
  BOOST_TEST(!cal.is_public_holiday(day("2025-03-02")));
  BOOST_TEST(!cal.is_working_day(day("2025-03-02")));
  BOOST_TEST(!cal.is_working_day(day("2025-03-01")));
  BOOST_TEST(SwedishCalendar::is_weekend(day("2025-03-01")));
  BOOST_TEST(!SwedishCalendar::is_weekend(day("2025-02-28")));
}

BOOST_AUTO_TEST_CASE(CoincidingHolidaysReportBothNames) {
  const SwedishCalendar cal;
  // Easter 2008 was 23 March: Kristi himmelsfärdsdag fell on 1 May.
  BOOST_TEST(cal.holiday_name(day("2008-05-01")).value_or("") ==
             "Första maj / Kristi himmelsfärdsdag");
  BOOST_TEST(cal.holidays_on(day("2008-05-01")).size() == 2u);
  // Easter 2049 is 18 April: Pingstdagen falls on 6 June.
  BOOST_TEST(cal.holiday_name(day("2049-06-06")).value_or("") ==
             "Sveriges nationaldag / Pingstdagen");
  BOOST_TEST(cal.holidays(date::year(2049)).size() == 16u);
}

// The movable rules over two centuries: the computus stays in its bounds and
// the Saturday/Friday rules land on the right weekday in the right range.
BOOST_DATA_TEST_CASE(MovableHolidaysStayWithinTheirRules, bdata::xrange(1900, 2101), y) {
  const SwedishCalendar cal;
  const sys_days e = SwedishCalendar::easter_sunday(date::year(y));
  BOOST_TEST(date::weekday(e) == date::Sunday);
  BOOST_TEST((e >= sys_days(date::year(y) / 3 / 22) && e <= sys_days(date::year(y) / 4 / 25)));
  const auto all = cal.holidays(date::year(y));
  BOOST_TEST(all.size() == 16u);
  BOOST_TEST(std::is_sorted(all.begin(), all.end(),
                            [](const Holiday& a, const Holiday& b) { return a.date < b.date; }));
  for (const Holiday& h : all) {
    if (h.name == "Midsommarafton") {
      BOOST_TEST(date::weekday(h.date) == date::Friday);
      BOOST_TEST((h.date >= sys_days(date::year(y) / 6 / 19) &&
                  h.date <= sys_days(date::year(y) / 6 / 25)));
    } else if (h.name == "Midsommardagen") {
      BOOST_TEST(date::weekday(h.date) == date::Saturday);
      BOOST_TEST((h.date >= sys_days(date::year(y) / 6 / 20) &&
                  h.date <= sys_days(date::year(y) / 6 / 26)));
    } else if (h.name == "Alla helgons dag") {
      BOOST_TEST(date::weekday(h.date) == date::Saturday);
      BOOST_TEST((h.date >= sys_days(date::year(y) / 10 / 31) &&
                  h.date <= sys_days(date::year(y) / 11 / 6)));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Working days ---------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(working_days)

BOOST_DATA_TEST_CASE(DueDateMovesToTheNextWorkingDay, bdata::make(kMonthAndYearEnds), row) {
  const SwedishCalendar cal;
  BOOST_TEST(iso(cal.next_working_day_on_or_after(day(row.due))) == row.sends_on);
  BOOST_TEST(cal.is_working_day(day(row.sends_on)));
  for (sys_days d = day(row.due); d < day(row.sends_on); d += days(1))
    BOOST_TEST(!cal.is_working_day(d), iso(d));
  // And the reminder goes out at 08:00 local on that day.
  const TimePoint at = stockholm().send_time(day(row.due));
  BOOST_TEST(iso(stockholm().local_date(at)) == row.sends_on);
  BOOST_TEST(stockholm_time_of_day(at) == "08:00");
}

BOOST_AUTO_TEST_CASE(PreviousWorkingDaySkipsHolidaysAndWeekends) {
  const SwedishCalendar cal;
  BOOST_TEST(iso(cal.previous_working_day_before(day("2026-01-02"))) == "2025-12-30");
  BOOST_TEST(iso(cal.previous_working_day_before(day("2025-04-22"))) == "2025-04-17");
  BOOST_TEST(iso(cal.previous_working_day_before(day("2026-02-02"))) == "2026-01-30");
  BOOST_TEST(iso(cal.previous_working_day_before(day("2026-01-30"))) == "2026-01-29");
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Municipal time ---------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(municipal_time)

// Catches a zone file without the DST rules for the years we rely on (a "slim"
// TZif file, which this tz reader cannot extend, or a wrong zone).
BOOST_DATA_TEST_CASE(SystemTzDatabaseHasSummerTimeForTheYear, bdata::xrange(2025, 2038), y) {
  const auto* zone = date::locate_zone("Europe/Stockholm");
  BOOST_TEST(zone->get_info(sys_days(date::year(y) / 7 / 1)).offset.count() == 2 * 3600);
  BOOST_TEST(zone->get_info(sys_days(date::year(y) / 1 / 15)).offset.count() == 3600);
}

BOOST_DATA_TEST_CASE(SendTimeFollowsDstAroundEachChange, bdata::make(kDst), row) {
  const MunicipalTime& mt = stockholm();
  const sys_days sunday = day(row.sunday);
  BOOST_TEST(date::weekday(sunday) == date::Sunday);
  // The change itself at 01:00 UTC.
  const auto wall = [&](int h, int m, int s) {
    return mt.to_local(utc(row.sunday, h, m) + std::chrono::seconds(s)) -
           date::local_days(sunday.time_since_epoch());
  };
  BOOST_TEST((wall(0, 59, 59) == (row.spring ? 1h + 59min + 59s : 2h + 59min + 59s)));
  BOOST_TEST((wall(1, 0, 0) == (row.spring ? 3h : 2h)));
  // Sends on either side, in UTC.
  BOOST_TEST(show(mt.send_time(day(row.last_before))) ==
             show(utc(row.last_before, row.last_before_utc_hour)));
  BOOST_TEST(show(mt.send_time(sunday - days(1))) ==
             show(utc(row.first_after, row.first_after_utc_hour)));
  BOOST_TEST(show(mt.send_time(sunday)) == show(utc(row.first_after, row.first_after_utc_hour)));
  BOOST_TEST(show(mt.send_time(day(row.first_after))) ==
             show(utc(row.first_after, row.first_after_utc_hour)));
  // Nothing goes out on the weekend of the change.
  BOOST_TEST(mt.sends_between(utc(row.last_before, 12), utc(row.first_after, 0)).empty());
}

// Spring forward: 02:30 does not exist on the last Sunday of March.
BOOST_DATA_TEST_CASE(SendHourInTheGapMovesToTheNextValidInstant, bdata::make(kDst), row) {
  if (!row.spring) return;
  const MunicipalTime mt(2h + 30min);
  const sys_days sunday = day(row.sunday);
  const auto local = date::local_days(sunday.time_since_epoch()) + 2h + 30min;
  BOOST_CHECK_THROW(date::zoned_time<std::chrono::minutes>("Europe/Stockholm", local),
                    date::nonexistent_local_time);
  // 03:00 CEST, the instant the clock jumps: 01:00 UTC.
  BOOST_TEST(show(mt.send_instant_on(sunday)) == show(utc(row.sunday, 1)));
  BOOST_TEST(stockholm_time_of_day(mt.send_instant_on(sunday)) == "03:00");
  BOOST_TEST(show(mt.send_instant_on(sunday - days(1))) == show(utc(iso(sunday - days(1)), 1, 30)));
  BOOST_TEST(show(mt.send_instant_on(sunday + days(1))) == show(utc(iso(sunday + days(1)), 0, 30)));
  // The start of the gap resolves the same way; its end is an ordinary time.
  BOOST_TEST(show(mt.to_utc(date::local_days(sunday.time_since_epoch()) + 2h)) ==
             show(utc(row.sunday, 1)));
  BOOST_TEST(show(mt.to_utc(date::local_days(sunday.time_since_epoch()) + 3h)) ==
             show(utc(row.sunday, 1)));
  BOOST_TEST(show(mt.to_utc(date::local_days(sunday.time_since_epoch()) + 1h + 59min)) ==
             show(utc(row.sunday, 0, 59)));
}

// Fall back: 02:30 happens twice on the last Sunday of October.
BOOST_DATA_TEST_CASE(SendHourInTheAmbiguousHourUsesTheEarlierInstant, bdata::make(kDst), row) {
  if (row.spring) return;
  const MunicipalTime mt(2h + 30min);
  const sys_days sunday = day(row.sunday);
  const auto local = date::local_days(sunday.time_since_epoch()) + 2h + 30min;
  BOOST_CHECK_THROW(date::zoned_time<std::chrono::minutes>("Europe/Stockholm", local),
                    date::ambiguous_local_time);
  // 02:30 CEST = 00:30 UTC, not 02:30 CET = 01:30 UTC.
  BOOST_TEST(show(mt.send_instant_on(sunday)) == show(utc(row.sunday, 0, 30)));
  BOOST_TEST(show(mt.send_instant_on(sunday - days(1))) == show(utc(iso(sunday - days(1)), 0, 30)));
  BOOST_TEST(show(mt.send_instant_on(sunday + days(1))) == show(utc(iso(sunday + days(1)), 1, 30)));
  // Stepping through the night the local 02:30 comes round twice; the send
  // instant is in exactly one of the windows.
  int hits = 0;
  for (TimePoint t = utc(row.sunday, 0); t < utc(row.sunday, 3); t += 1min)
    hits += (t < mt.send_instant_on(sunday) && mt.send_instant_on(sunday) <= t + 1min);
  BOOST_TEST(hits == 1);
}

BOOST_DATA_TEST_CASE(SpringForwardNeverFiresTwiceOrSkipsADay,
                     bdata::make(kSpringWindows) * bdata::make(kDstSteppings) *
                         bdata::make(kSendTimes),
                     w, s, send_at) {
  step_through(w, s, send_at);
}

BOOST_DATA_TEST_CASE(FallBackNeverFiresTwiceOrSkipsADay,
                     bdata::make(kFallWindows) * bdata::make(kDstSteppings) *
                         bdata::make(kSendTimes),
                     w, s, send_at) {
  step_through(w, s, send_at);
}

BOOST_DATA_TEST_CASE(HolidaysNeverFireAndWorkingDaysFireOnce,
                     bdata::make(kHolidayWindows) * bdata::make(kHolidaySteppings), w, s) {
  step_through(w, s, SendAt{8h});
}

// Every working day 2025-2030 sends at 08:00 local, never at 03:00 or 09:00,
// which is 07:00 UTC in winter and 06:00 UTC in summer, and the sends only
// ever move forward.
BOOST_AUTO_TEST_CASE(EveryWorkingDaySendsAtEightLocalNeverAnHourOff) {
  const MunicipalTime& mt = stockholm();
  TimePoint previous = TimePoint::min();
  for (sys_days d = day("2025-01-01"); d <= day("2030-12-31"); d += days(1)) {
    if (!mt.calendar().is_working_day(d)) continue;
    const TimePoint at = mt.send_time(d);
    BOOST_TEST(stockholm_time_of_day(at) == "08:00", iso(d));
    BOOST_TEST(iso(mt.local_date(at)) == iso(d));
    const auto utc_hour =
        std::chrono::duration_cast<std::chrono::hours>(at - date::floor<days>(at)).count();
    BOOST_TEST((utc_hour == 6 || utc_hour == 7), iso(d) << " at " << show(at));
    BOOST_TEST((at > previous), iso(d));
    previous = at;
  }
}

// A scheduler stepping a day and three hours at a time over six years: every
// due date is handed out exactly once, in order, in the window holding its
// send_time.
BOOST_AUTO_TEST_CASE(EveryDueDateIsHandedOutExactlyOnce) {
  const MunicipalTime& mt = stockholm();
  const TimePoint start = utc("2025-01-01", 12);  // after 2025-01-01's would-be send
  const TimePoint end = utc("2031-01-01", 0);
  std::vector<sys_days> handed_out;
  for (TimePoint last = start; last < end;) {
    const TimePoint now = std::min(end, last + 27h);
    for (sys_days d : mt.due_dates_between(last, now)) {
      BOOST_TEST((last < mt.send_time(d) && mt.send_time(d) <= now), iso(d));
      handed_out.push_back(d);
    }
    last = now;
  }
  BOOST_TEST_REQUIRE(!handed_out.empty());
  // The last send before the start was Monday 2024-12-30; Nyårsafton 2024 goes
  // out with Nyårsdagen on 2025-01-02.
  BOOST_TEST(iso(handed_out.front()) == "2024-12-31");
  // Nyårsafton 2030 goes out on 2031-01-02, after the end.
  BOOST_TEST(iso(handed_out.back()) == "2030-12-30");
  for (std::size_t k = 1; k < handed_out.size(); ++k) {
    BOOST_TEST_REQUIRE(iso(handed_out[k]) == iso(handed_out[k - 1] + days(1)));
  }
}

BOOST_AUTO_TEST_CASE(SendCoversTheDueDatesSinceThePreviousWorkingDay) {
  const MunicipalTime& mt = stockholm();
  // Tuesday 2025-12-23 08:00 has gone out; the next is Monday 2025-12-29 and it
  // carries Julafton, Juldagen, Annandag jul and the weekend.
  const Send next = mt.next_send_after(utc("2025-12-23", 7));
  BOOST_TEST(iso(next.day) == "2025-12-29");
  BOOST_TEST(show(next.at) == show(utc("2025-12-29", 7)));
  BOOST_TEST(iso(next.first_due) == "2025-12-24");
  BOOST_TEST(iso(next.last_due) == "2025-12-29");
  // One microsecond before the send it is still the next one.
  BOOST_TEST(iso(mt.next_send_after(utc("2025-12-23", 7) - 1us).day) == "2025-12-23");
  // Friday 2026-01-30 08:00 -> Monday 2026-02-02 08:00.
  const Send monday = mt.next_send_after(utc("2026-01-30", 7));
  BOOST_TEST(show(monday.at) == show(utc("2026-02-02", 7)));
  BOOST_TEST(iso(monday.first_due) == "2026-01-31");
  const auto due = mt.due_dates_between(utc("2026-01-30", 7), utc("2026-02-02", 7));
  BOOST_TEST(due.size() == 3u);
}

BOOST_AUTO_TEST_CASE(EmptyOrBackwardWindowFiresNothing) {
  const MunicipalTime& mt = stockholm();
  const TimePoint t = utc("2026-02-02", 7);  // exactly a send instant
  BOOST_TEST(mt.sends_between(t, t).empty());
  BOOST_TEST(mt.sends_between(t + 1h, t - 1h).empty());
  BOOST_TEST(mt.sends_between(t - 1us, t).size() == 1u);
  BOOST_TEST(mt.sends_between(t, t + 1us).empty());
}

BOOST_AUTO_TEST_CASE(LocalDateChangesAtLocalMidnight) {
  const MunicipalTime& mt = stockholm();
  BOOST_TEST(iso(mt.local_date(utc("2025-06-30", 21, 59))) == "2025-06-30");
  BOOST_TEST(iso(mt.local_date(utc("2025-06-30", 22, 0))) == "2025-07-01");
  BOOST_TEST(iso(mt.local_date(utc("2025-12-31", 22, 59))) == "2025-12-31");
  BOOST_TEST(iso(mt.local_date(utc("2025-12-31", 23, 0))) == "2026-01-01");
  BOOST_TEST(iso(mt.local_date(utc("2025-03-29", 23, 0))) == "2025-03-30");
  BOOST_TEST(iso(mt.local_date(utc("2025-10-25", 22, 0))) == "2025-10-26");
  BOOST_TEST(iso(mt.local_date(utc("2025-10-26", 22, 59))) == "2025-10-26");
  BOOST_TEST(iso(mt.local_date(utc("2025-10-26", 23, 0))) == "2025-10-27");
}

BOOST_AUTO_TEST_CASE(UnknownZoneOrSendTimeOutsideTheDayIsRefused) {
  BOOST_CHECK_THROW(MunicipalTime(8h, "Europe/Stockholmm"), std::runtime_error);
  BOOST_CHECK_THROW(MunicipalTime(24h), std::invalid_argument);
  BOOST_CHECK_THROW(MunicipalTime(-1min), std::invalid_argument);
  BOOST_CHECK_NO_THROW(MunicipalTime(23h + 59min));
  const MunicipalTime helsinki(8h, "Europe/Helsinki");
  BOOST_TEST(show(helsinki.send_time(day("2026-01-30"))) == show(utc("2026-01-30", 6)));
  BOOST_TEST(helsinki.zone_name() == "Europe/Helsinki");
}

BOOST_AUTO_TEST_CASE(InstantsOutsideTheSupportedYearsAreRefusedNotOverflowed) {
  const MunicipalTime& mt = stockholm();
  BOOST_CHECK_THROW(mt.sends_between(TimePoint::min(), utc("2026-01-01", 0)), std::out_of_range);
  BOOST_CHECK_THROW(mt.next_send_after(TimePoint::max()), std::out_of_range);
  BOOST_CHECK_THROW(mt.local_date(TimePoint::min()), std::out_of_range);
  BOOST_CHECK_THROW(mt.send_time(day("1899-12-31")), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(SharedInstanceGivesTheSameAnswersOnEveryThread) {
  const MunicipalTime mt;
  const auto run = [&mt] {
    std::vector<TimePoint> out;
    for (sys_days d = day("2025-01-01"); d <= day("2030-12-31"); d += days(1))
      out.push_back(mt.send_time(d));
    return out;
  };
  std::vector<TimePoint> a, b;
  std::thread t1([&] { a = run(); });
  std::thread t2([&] { b = run(); });
  t1.join();
  t2.join();
  BOOST_TEST((a == b));
  BOOST_TEST((a == run()));
}

BOOST_AUTO_TEST_SUITE_END()
