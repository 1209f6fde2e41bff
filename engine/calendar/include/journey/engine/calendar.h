// Municipal time: which days a Swedish municipality works, and at which UTC
// instant a reminder due on a given date goes out.
//
// SwedishCalendar knows the Swedish holidays (Lag (1989:253) om allmänna
// helgdagar, the rules in force since 2005, when Sveriges nationaldag replaced
// Annandag pingst) and weekends. Dates are civil dates (date::sys_days used as a
// plain calendar date, no time zone involved). Earlier years get today's rules,
// which is not historically accurate before 2005.
//
// CHOICE: Midsommarafton, Julafton and Nyårsafton are NOT allmänna helgdagar by
// law, but municipal offices are closed on them; they are treated as
// non-working days. is_public_holiday() reports only the days the law names;
// holiday()/holiday_name() report both kinds (Holiday::by_law tells them apart);
// is_working_day() is false on both. Other eves (Trettondagsafton,
// Skärtorsdagen, Valborgsmässoafton, the day before Alla helgons dag) are
// working days. Ordinary Sundays are allmänna helgdagar by law too; they are
// weekend days here and have no holiday name.
//
// MunicipalTime puts that calendar into a tz-database zone (Europe/Stockholm)
// with a configured local send time (08:00 by default). A reminder due on date
// d goes out at the local send time on next_working_day_on_or_after(d).
//
// Local times that do not happen once (zone rules, documented choices):
//   * in the spring-forward gap (Europe/Stockholm: last Sunday of March,
//     02:00 -> 03:00), a nonexistent local time resolves to the next valid
//     instant, i.e. the transition itself: 02:30 -> 03:00 CEST (01:00 UTC);
//   * in the fall-back overlap (last Sunday of October, 03:00 -> 02:00), an
//     ambiguous local time resolves to the earliest instant: 02:30 -> 02:30 CEST
//     (00:30 UTC), never also 02:30 CET.
// Every local date therefore has exactly one send instant, and those instants
// strictly increase from day to day. In Sweden both changes happen on Sundays,
// so with the default calendar they only matter for send_instant_on().
//
// Scheduler contract (exactly once): keep a persisted high-water mark `last`,
// and on every tick at `now` fire sends_between(last, now), then set last = now.
// The windows (last, now] are disjoint and together cover the time line, and
// every send instant lies in exactly one of them, whatever the step (a minute,
// an hour, a day, across DST nights). Never move `last` backwards. Cost is
// linear in the number of local days in the window.
//
// Zone data: the system tz database (/usr/share/zoneinfo, Debian tzdata) read by
// Debian's libdate-tz, built with USE_OS_TZDB=1 (no download, no remote API).
// That reader does not evaluate the POSIX rule string at the end of a TZif
// file, so it knows only the transitions listed in the file: with Debian's
// "fat" files that is up to 2037; later years get no DST.
//
// Range: MunicipalTime refuses (std::out_of_range) dates and instants outside
// the years 1900-9999 rather than overflow (e.g. a scheduler starting from
// TimePoint::min()).
//
// Thread safety: both classes are immutable after construction; every const
// member function may be called concurrently from any thread.
#pragma once

#include <date/date.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "journey/storage/clock.h"

namespace date {
class time_zone;
}

namespace journey::engine {

struct Holiday {
  date::sys_days date;
  std::string_view name;  // Swedish, UTF-8, e.g. "Annandag påsk"; static storage
  bool by_law = true;     // false for Midsommarafton, Julafton, Nyårsafton
};

class SwedishCalendar {
 public:
  // Easter Sunday by the Gregorian computus (Anonymous Gregorian algorithm).
  static date::sys_days easter_sunday(date::year y);

  // Every named holiday and non-working eve of the year, sorted by date; 16
  // entries. Two can share a date (Första maj and Kristi himmelsfärdsdag in
  // 2008; Sveriges nationaldag and Pingstdagen in 2049).
  std::vector<Holiday> holidays(date::year y) const;

  // The holidays on d (usually none or one), in the order of holidays().
  std::vector<Holiday> holidays_on(date::sys_days d) const;
  // The Swedish name of the holiday on d; names of coinciding holidays are
  // joined with " / " ("Första maj / Kristi himmelsfärdsdag").
  std::optional<std::string> holiday_name(date::sys_days d) const;

  // An allmän helgdag named by the law (not the three eves, not plain Sundays).
  bool is_public_holiday(date::sys_days d) const;
  static bool is_weekend(date::sys_days d);
  // Monday to Friday, not a holiday and not one of the three eves.
  bool is_working_day(date::sys_days d) const;
  date::sys_days next_working_day_on_or_after(date::sys_days d) const;
  date::sys_days previous_working_day_before(date::sys_days d) const;
};

// One send: the reminders due on first_due..last_due (inclusive; last_due is
// the send day itself, first_due the day after the previous working day) go out
// at `at`.
struct Send {
  date::sys_days day;  // a working day, local date in the zone
  TimePoint at;        // UTC instant of the local send time on `day`
  date::sys_days first_due;
  date::sys_days last_due;
};

class MunicipalTime {
 public:
  // send_at: local time of day, in [00:00, 24:00). zone: a tz-database name.
  // Throws std::invalid_argument for a send time outside the day and
  // std::runtime_error for a zone the system database does not have.
  explicit MunicipalTime(std::chrono::minutes send_at = std::chrono::hours(8),
                         std::string_view zone = "Europe/Stockholm", SwedishCalendar calendar = {});

  const SwedishCalendar& calendar() const { return calendar_; }
  const std::string& zone_name() const { return zone_name_; }
  std::chrono::minutes send_at() const { return send_at_; }

  // The UTC instant the reminder due on due_date goes out: the local send time
  // on the first working day on or after due_date.
  TimePoint send_time(date::sys_days due_date) const;
  // The UTC instant of the local send time on `day`, working day or not, with
  // the gap/overlap rules above.
  TimePoint send_instant_on(date::sys_days day) const;
  // A local wall-clock time to UTC with the same gap/overlap rules.
  TimePoint to_utc(date::local_time<std::chrono::microseconds> local) const;
  // The local calendar date at instant t.
  date::sys_days local_date(TimePoint t) const;
  // The local wall-clock time at instant t.
  date::local_time<std::chrono::microseconds> to_local(TimePoint t) const;

  // The sends whose instant is in (after_exclusive, up_to_inclusive], in
  // order. Empty if up_to_inclusive <= after_exclusive.
  std::vector<Send> sends_between(TimePoint after_exclusive, TimePoint up_to_inclusive) const;
  // Every due date (working day or not) whose send_time() is in
  // (after_exclusive, up_to_inclusive], ascending: the flattened first_due..
  // last_due ranges of sends_between().
  std::vector<date::sys_days> due_dates_between(TimePoint after_exclusive,
                                                TimePoint up_to_inclusive) const;
  // The first send strictly after t (for a scheduler that sleeps until then).
  Send next_send_after(TimePoint t) const;

 private:
  Send send_on(date::sys_days working_day) const;

  std::chrono::minutes send_at_;
  std::string zone_name_;
  const date::time_zone* zone_;  // owned by the process-wide tz database
  SwedishCalendar calendar_;
};

}  // namespace journey::engine
