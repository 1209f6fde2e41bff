// cereal layout of the domain events' payloads (schema version 1 of each),
// for events.cc, which encodes and decodes them, and for the derived views
// (engine/views.cc), which store values that hold event structs. One copy, so
// a view cannot drift from the log's own encoding.
#pragma once

#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "journey/workflows/cereal_days.h"
#include "journey/workflows/events.h"

namespace journey::workflows {

template <class A>
void serialize(A& ar, Person& v) {
  ar(v.name, v.email);
}
template <class A>
void serialize(A& ar, HireRegistered& v) {
  ar(v.name, v.email, v.unit, v.start, v.experienced, v.programme_id, v.programme_version,
     v.waived_items);
}
template <class A>
void serialize(A& ar, HireStarted& v) {
  ar(v.on);
}
template <class A>
void serialize(A& ar, ChecklistItemCompleted& v) {
  ar(v.item_id, v.done_on, v.comment);
}
template <class A>
void serialize(A& ar, ChecklistItemWaived& v) {
  ar(v.item_id, v.reason);
}
template <class A>
void serialize(A& ar, IntroducerAppointed& v) {
  ar(v.introducer, v.from);
}
template <class A>
void serialize(A& ar, MentorAppointed& v) {
  ar(v.mentor, v.replacement);
}
template <class A>
void serialize(A& ar, MentorReplacementNamed& v) {
  ar(v.replacement);
}
template <class A>
void serialize(A& ar, MentorDroppedOut& v) {
  ar(v.on, v.reason);
}
template <class A>
void serialize(A& ar, CourseBooked& v) {
  ar(v.starts_on, v.cohort);
}
template <class A>
void serialize(A& ar, CourseModuleAttended& v) {
  ar(v.module, v.on);
}
template <class A>
void serialize(A& ar, BbicPartCompleted& v) {
  ar(v.part, v.on);
}
template <class A>
void serialize(A& ar, CourseCompleted& v) {
  ar(v.on, v.certificate);
}
template <class A>
void serialize(A& ar, PartWaived& v) {
  ar(v.part, v.reason);
}
template <class A>
void serialize(A& ar, SupervisionGroupJoined& v) {
  ar(v.group, v.supervisor, v.starts_on);
}
template <class A>
void serialize(A& ar, SupervisionSessionAttended& v) {
  ar(v.session, v.on, v.hours);
}
template <class A>
void serialize(A& ar, SupervisionCompleted& v) {
  ar(v.on, v.certificate);
}
template <class A>
void serialize(A& ar, IntroducerHoursLogged& v) {
  ar(v.week, v.hours);
}
template <class A>
void serialize(A& ar, LeaveStarted& v) {
  ar(v.kind, v.from);
}
template <class A>
void serialize(A& ar, LeaveEnded& v) {
  ar(v.back_on);
}
template <class A>
void serialize(A& ar, HireLeft& v) {
  ar(v.on, v.reason);
}
template <class A>
void serialize(A& ar, JourneyCompleted& v) {
  ar(v.on);
}

}  // namespace journey::workflows
