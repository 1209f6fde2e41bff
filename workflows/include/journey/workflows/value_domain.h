// The one domain of every value Journey stores: what the entrances (the HTTP
// API, journeyctl, the CSV import) accept and what the event decoder reads
// back are checked by these same functions, so whatever gets in can always be
// decoded again. (The programme loader checks its TOML on its own: toml++
// refuses text that is not UTF-8; its ids and texts are not held to these
// lengths yet.)
//
//   dates          YYYY-MM-DD, four ASCII digits, '-', two, '-', two; a real
//                  calendar day in the years kFirstYear..kLastYear (1900-2200)
//   names, ids     valid UTF-8, no control character (U+0000-U+001F, U+007F-U+009F),
//                  at most kMaxNameChars characters (code points)
//   free text      comments, reasons, certificates: the same, but line breaks
//                  and tabs are allowed, and up to kMaxTextChars characters
//   e-mail         a name of at most kMaxEmailChars characters with one '@' and a
//                  '.' in the domain, no spaces
//   numbers        finite, within the range each field documents
//
// check_event() applies the rules to every field of a domain event, naming the
// field as the API's JSON names it ("start", "replacement/email"). The engine
// refuses a command whose event fails it (nothing is written), and decode()
// refuses a stored event that fails its stored subset (that hire shows as
// damaged): whatever an entrance accepts, the decoder reads back.
//
// Thread safety: pure functions over values.
#pragma once

#include <date/date.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "journey/workflows/events.h"
#include "journey/workflows/journey_machine.h"

namespace journey::workflows {

inline constexpr int kFirstYear = 1900;
inline constexpr int kLastYear = 2200;
inline constexpr std::size_t kMaxNameChars = 200;
inline constexpr std::size_t kMaxTextChars = 2000;
inline constexpr std::size_t kMaxEmailChars = 254;

// What is wrong with one value, without the field's name.
struct ValueProblem {
  enum class Kind {
    empty,
    not_utf8,
    control_character,
    too_long,
    not_a_date,
    date_out_of_range,
    not_finite,
    out_of_range,
    bad_email,
  };
  Kind kind = Kind::empty;
  std::string value;      // the offending value, shown where it is safe to (dates, numbers)
  std::size_t max = 0;    // too_long
  double lo = 0, hi = 0;  // out_of_range

  // A predicate to follow the field's name: "must be a date between
  // 1900-01-01 and 2200-12-31" / "ska vara ett datum mellan ...".
  std::string text(Language lang) const;
  // The refusal the engine answers with: code "field_<kind>", args field and value.
  Refusal refusal(const std::string& field) const;
};

// parse_date() (events.h) is the strict YYYY-MM-DD of this domain.
// Like parse_date, but says what is wrong (not_a_date or date_out_of_range).
std::optional<ValueProblem> check_date_text(std::string_view text);
bool in_date_domain(date::sys_days d);
std::optional<ValueProblem> check_date(date::sys_days d);

bool valid_utf8(std::string_view bytes);

// A name, id or one-line value. `required`: empty is a problem.
std::optional<ValueProblem> check_name(std::string_view s, bool required = true,
                                       std::size_t max = kMaxNameChars);
// Free text: line breaks and tabs allowed; may be empty.
std::optional<ValueProblem> check_text(std::string_view s, std::size_t max = kMaxTextChars);
// An e-mail address. `required`: empty is a problem (else empty is fine).
std::optional<ValueProblem> check_email(std::string_view s, bool required = true);
std::optional<ValueProblem> check_number(double v, double lo, double hi);

struct FieldProblem {
  std::string field;  // "start", "introducer/email"
  ValueProblem problem;
  Refusal refusal() const { return problem.refusal(field); }
};
// entrance: every rule above, for what is about to be written.
// stored: what decode() holds a stored event to, a subset: dates in the
// years, text that is UTF-8, finite numbers. Stricter rules added later
// (lengths, control characters, e-mail form) must not turn a hire an earlier
// version accepted into a damaged one; the entrance is the stricter side.
enum class EventCheck { entrance, stored };
// The first field of the event outside the domain, or std::nullopt.
std::optional<FieldProblem> check_event(const DomainEvent& e,
                                        EventCheck mode = EventCheck::entrance);

}  // namespace journey::workflows
