#include "journey/engine/calendar.h"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <stdexcept>

// Debian's libdate-tz is built against the system tz database (USE_OS_TZDB=1,
// hence HAS_REMOTE_API=0: no curl, no download); date::date-tz carries the
// define. The layout of date::time_zone differs between the two modes, so a
// mismatch would be an ABI break, not just a different data source.
#if !USE_OS_TZDB || HAS_REMOTE_API
#error "journey_calendar must be built with USE_OS_TZDB=1 and HAS_REMOTE_API=0 (link date::date-tz)"
#endif

namespace journey::engine {

namespace {

using date::days;
using date::sys_days;

constexpr std::size_t kHolidaysPerYear = 16;
using HolidayTable = std::array<Holiday, kHolidaysPerYear>;

// The first `wd` on or after `from`.
sys_days first_on_or_after(sys_days from, date::weekday wd) {
  return from + (wd - date::weekday(from));
}

HolidayTable holiday_table(date::year y) {
  const sys_days easter = SwedishCalendar::easter_sunday(y);
  const auto on = [y](unsigned m, unsigned d) {
    return sys_days(y / date::month(m) / date::day(d));
  };
  const sys_days midsommardagen = first_on_or_after(on(6, 20), date::Saturday);  // 20-26 June
  HolidayTable t{{
      {on(1, 1), "Nyårsdagen", true},
      {on(1, 6), "Trettondedag jul", true},
      {easter - days(2), "Långfredagen", true},
      {easter, "Påskdagen", true},
      {easter + days(1), "Annandag påsk", true},
      {on(5, 1), "Första maj", true},
      {easter + days(39), "Kristi himmelsfärdsdag", true},
      {on(6, 6), "Sveriges nationaldag", true},
      {easter + days(49), "Pingstdagen", true},
      {midsommardagen - days(1), "Midsommarafton", false},
      {midsommardagen, "Midsommardagen", true},
      {first_on_or_after(on(10, 31), date::Saturday), "Alla helgons dag", true},  // 31 Oct-6 Nov
      {on(12, 24), "Julafton", false},
      {on(12, 25), "Juldagen", true},
      {on(12, 26), "Annandag jul", true},
      {on(12, 31), "Nyårsafton", false},
  }};
  // Stable: coinciding holidays keep the order above (the law's order).
  std::stable_sort(t.begin(), t.end(),
                   [](const Holiday& a, const Holiday& b) { return a.date < b.date; });
  return t;
}

date::year year_of(sys_days d) { return date::year_month_day(d).year(); }

// Years the civil-date arithmetic and the zone data are meant for; outside,
// date's conversions would overflow (e.g. a scheduler starting at TimePoint::min()).
constexpr int kFirstYear = 1900;
constexpr int kLastYear = 9999;

void check_supported(sys_days d, const char* what) {
  const auto y = year_of(d);
  if (!y.ok() || y < date::year(kFirstYear) || y > date::year(kLastYear))
    throw std::out_of_range(std::string(what) + ": outside the supported years 1900-9999");
}

void check_supported(TimePoint t, const char* what) {
  // Check before any zone arithmetic: floor to days cannot overflow, adding
  // an offset to an extreme value could.
  using std::chrono::microseconds;
  static const TimePoint lo =
      std::chrono::time_point_cast<microseconds>(sys_days(date::year(kFirstYear) / 1 / 1));
  static const TimePoint hi =
      std::chrono::time_point_cast<microseconds>(sys_days(date::year(kLastYear) / 12 / 31));
  if (t < lo || t > hi)
    throw std::out_of_range(std::string(what) + ": outside the supported years 1900-9999");
}

}  // namespace

// ---- SwedishCalendar --------------------------------------------------------

sys_days SwedishCalendar::easter_sunday(date::year y) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const int Y = static_cast<int>(y);
  const int a = Y % 19;
  const int b = Y / 100;
  const int c = Y % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = ((h + l - 7 * m + 114) % 31) + 1;
  return sys_days(y / date::month(static_cast<unsigned>(month)) /
                  date::day(static_cast<unsigned>(day)));
}

std::vector<Holiday> SwedishCalendar::holidays(date::year y) const {
  const HolidayTable t = holiday_table(y);
  return {t.begin(), t.end()};
}

std::vector<Holiday> SwedishCalendar::holidays_on(sys_days d) const {
  std::vector<Holiday> out;
  for (const Holiday& h : holiday_table(year_of(d)))
    if (h.date == d) out.push_back(h);
  return out;
}

std::optional<std::string> SwedishCalendar::holiday_name(sys_days d) const {
  std::optional<std::string> name;
  for (const Holiday& h : holiday_table(year_of(d))) {
    if (h.date != d) continue;
    if (name)
      *name += " / ";
    else
      name.emplace();
    *name += h.name;
  }
  return name;
}

bool SwedishCalendar::is_public_holiday(sys_days d) const {
  for (const Holiday& h : holiday_table(year_of(d)))
    if (h.date == d && h.by_law) return true;
  return false;
}

bool SwedishCalendar::is_weekend(sys_days d) {
  const date::weekday wd(d);
  return wd == date::Saturday || wd == date::Sunday;
}

bool SwedishCalendar::is_working_day(sys_days d) const {
  if (is_weekend(d)) return false;
  for (const Holiday& h : holiday_table(year_of(d)))
    if (h.date == d) return false;
  return true;
}

sys_days SwedishCalendar::next_working_day_on_or_after(sys_days d) const {
  while (!is_working_day(d)) d += days(1);  // at most 5 steps (Julafton on a Thursday)
  return d;
}

sys_days SwedishCalendar::previous_working_day_before(sys_days d) const {
  do d -= days(1);
  while (!is_working_day(d));
  return d;
}

// ---- MunicipalTime ----------------------------------------------------------

MunicipalTime::MunicipalTime(std::chrono::minutes send_at, std::string_view zone,
                             SwedishCalendar calendar)
    : send_at_(send_at), zone_name_(zone), zone_(nullptr), calendar_(calendar) {
  if (send_at < std::chrono::minutes(0) || send_at >= std::chrono::hours(24))
    throw std::invalid_argument("MunicipalTime: the send time must be within the day, 00:00-23:59");
  try {
    zone_ = date::locate_zone(zone_name_);
    // The OS database loads a zone's transitions on first use; do it here so a
    // missing or unreadable file fails construction, not the first reminder.
    (void)zone_->get_info(date::sys_seconds{});
  } catch (const std::exception& e) {
    throw std::runtime_error(
        "MunicipalTime: time zone \"" + zone_name_ +
        "\" is not in the system tz database (/usr/share/zoneinfo): " + e.what());
  }
}

TimePoint MunicipalTime::to_utc(date::local_time<std::chrono::microseconds> local) const {
  const date::local_info info = zone_->get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent:
      // In the spring-forward gap: the next valid instant is the transition
      // itself, where the wall clock jumps past `local` (02:30 -> 03:00 CEST).
      // (A zoned_time without choose would throw date::nonexistent_local_time.)
      return std::chrono::time_point_cast<std::chrono::microseconds>(info.first.end);
    case date::local_info::ambiguous:
      // In the fall-back overlap: the earliest of the two instants (still
      // summer time), so the day's send happens once, the first time round.
      return date::zoned_time<std::chrono::microseconds>(zone_, local, date::choose::earliest)
          .get_sys_time();
    case date::local_info::unique:
    default:
      return date::zoned_time<std::chrono::microseconds>(zone_, local, date::choose::earliest)
          .get_sys_time();
  }
}

TimePoint MunicipalTime::send_instant_on(sys_days day) const {
  check_supported(day, "MunicipalTime::send_instant_on");
  const date::local_days local_day(day.time_since_epoch());
  return to_utc(date::local_time<std::chrono::microseconds>(local_day) + send_at_);
}

TimePoint MunicipalTime::send_time(sys_days due_date) const {
  check_supported(due_date, "MunicipalTime::send_time");
  return send_instant_on(calendar_.next_working_day_on_or_after(due_date));
}

date::local_time<std::chrono::microseconds> MunicipalTime::to_local(TimePoint t) const {
  check_supported(t, "MunicipalTime::to_local");
  return zone_->to_local(t);
}

sys_days MunicipalTime::local_date(TimePoint t) const {
  return sys_days(date::floor<days>(to_local(t)).time_since_epoch());
}

Send MunicipalTime::send_on(sys_days working_day) const {
  return Send{working_day, send_instant_on(working_day),
              calendar_.previous_working_day_before(working_day) + days(1), working_day};
}

std::vector<Send> MunicipalTime::sends_between(TimePoint after_exclusive,
                                               TimePoint up_to_inclusive) const {
  std::vector<Send> out;
  if (up_to_inclusive <= after_exclusive) return out;
  check_supported(after_exclusive, "MunicipalTime::sends_between");
  check_supported(up_to_inclusive, "MunicipalTime::sends_between");
  // A day's send instant lies on that local day (the gap rule moves it by at
  // most the gap); one day of margin on each side covers any zone.
  const sys_days last = local_date(up_to_inclusive) + days(1);
  for (sys_days d = local_date(after_exclusive) - days(1); d <= last; d += days(1)) {
    if (!calendar_.is_working_day(d)) continue;
    const TimePoint at = send_instant_on(d);
    if (after_exclusive < at && at <= up_to_inclusive) out.push_back(send_on(d));
  }
  return out;
}

std::vector<sys_days> MunicipalTime::due_dates_between(TimePoint after_exclusive,
                                                       TimePoint up_to_inclusive) const {
  std::vector<sys_days> out;
  for (const Send& s : sends_between(after_exclusive, up_to_inclusive))
    for (sys_days d = s.first_due; d <= s.last_due; d += days(1)) out.push_back(d);
  return out;
}

Send MunicipalTime::next_send_after(TimePoint t) const {
  check_supported(t, "MunicipalTime::next_send_after");
  for (sys_days d = local_date(t) - days(1);; d += days(1)) {
    if (!calendar_.is_working_day(d)) continue;
    if (send_instant_on(d) > t) return send_on(d);
  }
}

}  // namespace journey::engine
