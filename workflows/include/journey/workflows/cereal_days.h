// cereal encoding of date::sys_days, shared by every encoder of days: the
// events (events.cc) and the derived views (engine/views.cc).
//
// sys_days is a std::chrono type, so ADL never looks in namespace date: cereal
// finds these in its own namespace. Days since 1970-01-01 as a signed 32-bit number.
#pragma once

#include <date/date.h>

#include <cereal/cereal.hpp>
#include <cstdint>

namespace cereal {
template <class Archive>
void save(Archive& ar, const date::sys_days& d) {
  std::int32_t n = static_cast<std::int32_t>(d.time_since_epoch().count());
  ar(n);
}
template <class Archive>
void load(Archive& ar, date::sys_days& d) {
  std::int32_t n = 0;
  ar(n);
  // Years -25,400..29,300: inside date::year's range, so date's civil
  // arithmetic cannot overflow (fuzz_event_decode found where it does).
  // decode() then holds the day to the value domain's years (value_domain.h)
  // and names the field; decode_structure() lets a damaged hire's unit be read.
  if (n < -10'000'000 || n > 10'000'000) throw cereal::Exception("a date is out of range");
  d = date::sys_days(date::days(n));
}
}  // namespace cereal
