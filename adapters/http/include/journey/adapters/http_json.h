// JSON in and out of the HTTP API, without any HTTP: decoding a command body
// into a domain event (naming the field that is wrong), and the JSON views of
// a hire's status and history that journeyd and `journeyctl --json` share.
//
// Thread safety: pure functions over values.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "journey/engine/journey_engine.h"
#include "journey/engine/status.h"

namespace journey::http {

using nlohmann::json;

// A field of a request that is missing, has the wrong type, an unknown name or
// a bad value, and what is wrong with it. The API answers in the request's
// language (Swedish unless Accept-Language asks for English): the web pages
// show this text to the unit head who typed the value.
struct FieldError {
  FieldError(std::string f, std::string en, std::string sv)
      : field(std::move(f)), problem(std::move(en)), problem_sv(std::move(sv)) {}
  std::string field;       // JSON pointer: "/start", "/introducer/name"
  std::string problem;     // English: "must be a date YYYY-MM-DD"
  std::string problem_sv;  // Swedish: "ska vara ett datum ÅÅÅÅ-MM-DD"
  const std::string& text(bool swedish) const { return swedish ? problem_sv : problem; }

  // The problems many fields share, with their texts in one place.
  static FieldError required(std::string f) { return {std::move(f), "is required", "måste anges"}; }
  static FieldError unknown(std::string f) {
    return {std::move(f), "is not a known field", "är inget känt fält"};
  }
  static FieldError not_object(std::string f) {
    return {std::move(f), "must be an object", "ska vara ett objekt"};
  }
  static FieldError not_string(std::string f) {
    return {std::move(f), "must be a string", "ska vara en textsträng"};
  }
  static FieldError not_date(std::string f) {
    return {std::move(f), "must be a date YYYY-MM-DD", "ska vara ett datum ÅÅÅÅ-MM-DD"};
  }
  static FieldError not_boolean(std::string f) {
    return {std::move(f), "must be true or false", "ska vara true eller false"};
  }
};

// Parses a request body as JSON, refusing what json::parse alone lets through:
// a key twice in one object (the last would silently win) names its pointer,
// and a number beyond a double (1e999) names where it stood.
std::variant<json, FieldError> parse_json_strictly(const std::string& body);

// The command kinds, as in `journeyctl record <kind>`.
const std::vector<std::string>& command_kinds();

// Decodes {"kind": "...", ...fields} into a domain event. Missing optional
// dates default to `today`. Unknown fields are errors (a typo must not be
// silently ignored in an audit trail).
std::variant<engine::DomainEvent, FieldError> decode_command(const json& body,
                                                             date::sys_days today);

// A fact in the shape decode_command() takes ({"kind": "item", "item": ...,
// "on": ...}); a registration is {"kind": "registration", name, email, unit,
// start, experienced, programme, programme_version}. decode_command() of it
// (registration aside) gives the fact back.
json event_json(const engine::DomainEvent& e);

// Body of POST /v1/hires/{hire}/corrections:
//   {"action": "correct", "event": 7, "reason": "...", "replacement": {"on": "2026-03-02"}}
//   {"action": "retract", "event": 7, "reason": "..."}
// `replacement` holds only what changes: every field left out keeps the
// value the fact has now (never a default such as today), null removes an
// optional field. Decoded in two steps: the body, then (with the fact it
// names, from the engine) the replacement.
struct CorrectionBody {
  bool retract = false;
  std::uint64_t event = 0;
  std::string reason;
  json replacement;  // an object for "correct"
};
std::variant<CorrectionBody, FieldError> decode_correction_body(const json& body);
// The fact `current` with `changes` over it, decoded as a command; errors
// name their field inside /replacement.
std::variant<engine::DomainEvent, FieldError> merge_replacement(const engine::DomainEvent& current,
                                                                const json& changes,
                                                                date::sys_days today);

// Body of POST /v1/hires.
std::variant<engine::RegisterHire, FieldError> decode_register(const json& body);

// Body of PUT /v1/units/{unit}.
std::variant<engine::UnitContacts, FieldError> decode_unit(const json& body,
                                                           const std::string& unit);
json unit_json(const engine::UnitContacts& u);

json status_json(const engine::HireStatus& s);
// One entry per record, journey events and notification records in log order.
json history_json(const engine::LoadedHire& h);
// The same as CSV (RFC 4180, header line first).
std::string history_csv(const engine::LoadedHire& h);

// The answer of a chain verification, shared by GET /v1/audit/verify and
// `journeyctl verify --json`: one rule for "ok" (VerifyReport::ok(), which
// also fails on a count mismatch that names no single event).
json verify_json(const storage::VerifyReport& r);

std::string iso_day(date::sys_days d);
std::string iso_time(TimePoint t);

}  // namespace journey::http
