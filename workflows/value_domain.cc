// The value domain shared by every entrance and the event decoder (see value_domain.h).
#include "journey/workflows/value_domain.h"

#include <cmath>
#include <cstdio>

namespace journey::workflows {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

const date::sys_days kFirstDay = date::sys_days(date::year(kFirstYear) / 1 / 1);
const date::sys_days kLastDay = date::sys_days(date::year(kLastYear) / 12 / 31);

bool digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int number(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

std::string show_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if it is not
// well-formed (overlong, surrogate, beyond U+10FFFF, truncated).
std::size_t sequence(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t n = 0;
  char32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::optional<ValueProblem> check_chars(std::string_view s, bool line_breaks, std::size_t max) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = sequence(s, i, cp);
    if (n == 0) return ValueProblem{ValueProblem::Kind::not_utf8};
    const bool allowed_break = line_breaks && (cp == '\n' || cp == '\t' || cp == '\r');
    if ((cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) && !allowed_break)
      return ValueProblem{ValueProblem::Kind::control_character};
    i += n;
    ++chars;
  }
  if (chars > max) {
    ValueProblem p{ValueProblem::Kind::too_long};
    p.max = max;
    return p;
  }
  return std::nullopt;
}

struct Fields {
  EventCheck mode = EventCheck::entrance;
  std::optional<FieldProblem> first;
  bool stored() const { return mode == EventCheck::stored; }
  void add(const char* field, std::optional<ValueProblem> p) {
    if (!first && p) first = FieldProblem{field, std::move(*p)};
  }
  // What every later stage needs of stored text: that it is text.
  void utf8(const char* field, const std::string& s) {
    if (!valid_utf8(s)) add(field, ValueProblem{ValueProblem::Kind::not_utf8});
  }
  void date(const char* field, date::sys_days d) { add(field, check_date(d)); }
  void name(const char* field, const std::string& s, bool required = true) {
    if (stored()) return utf8(field, s);
    add(field, check_name(s, required));
  }
  void text(const char* field, const std::string& s) {
    if (stored()) return utf8(field, s);
    add(field, check_text(s));
  }
  void email(const char* field, const std::string& s, bool required) {
    if (stored()) return utf8(field, s);
    add(field, check_email(s, required));
  }
  void number(const char* field, double v, double lo, double hi) {
    if (stored() && std::isfinite(v)) return;
    add(field, check_number(v, lo, hi));
  }
  void person(const char* name, const char* email, const Person& p, bool email_required) {
    this->name(name, p.name);
    this->email(email, p.email, email_required);
  }
};

}  // namespace

std::string ValueProblem::text(Language lang) const {
  const bool sv = lang == Language::sv;
  switch (kind) {
    case Kind::empty:
      return sv ? "får inte vara tomt" : "must not be empty";
    case Kind::not_utf8:
      return sv ? "är inte giltig UTF-8-text (spara filen som CSV UTF-8)"
                : "is not valid UTF-8 text (save the file as CSV UTF-8)";
    case Kind::control_character:
      return sv ? "innehåller ett styrtecken (t.ex. NUL eller radbrytning)"
                : "contains a control character (e.g. NUL or a line break)";
    case Kind::too_long:
      return sv ? "är längre än " + std::to_string(max) + " tecken"
                : "is longer than " + std::to_string(max) + " characters";
    case Kind::not_a_date:
      return sv ? "ska vara ett datum ÅÅÅÅ-MM-DD" : "must be a date YYYY-MM-DD";
    case Kind::date_out_of_range:
      return sv ? "ska vara ett datum mellan " + format_date(kFirstDay) + " och " +
                      format_date(kLastDay)
                : "must be a date between " + format_date(kFirstDay) + " and " +
                      format_date(kLastDay);
    case Kind::not_finite:
      return sv ? "ska vara ett ändligt tal" : "must be a finite number";
    case Kind::out_of_range:
      return sv ? "ska vara mellan " + show_number(lo) + " och " + show_number(hi)
                : "must be between " + show_number(lo) + " and " + show_number(hi);
    case Kind::bad_email:
      return sv ? "är ingen giltig e-postadress" : "is not a valid e-mail address";
  }
  return "";
}

Refusal ValueProblem::refusal(const std::string& field) const {
  static const char* codes[] = {"field_empty",      "field_not_utf8",     "field_control_character",
                                "field_too_long",   "field_bad_date",     "field_date_out_of_range",
                                "field_not_finite", "field_out_of_range", "field_bad_email"};
  Refusal r{codes[static_cast<int>(kind)], {{"field", field}}};
  if (!value.empty()) r.args["value"] = value;
  r.args["problem_sv"] = text(Language::sv);
  r.args["problem_en"] = text(Language::en);
  return r;
}

std::optional<date::sys_days> parse_date(std::string_view text) {
  if (check_date_text(text)) return std::nullopt;
  return date::sys_days(date::year(number(text.substr(0, 4))) /
                        date::month(static_cast<unsigned>(number(text.substr(5, 2)))) /
                        date::day(static_cast<unsigned>(number(text.substr(8, 2)))));
}

std::optional<ValueProblem> check_date_text(std::string_view text) {
  ValueProblem bad{ValueProblem::Kind::not_a_date};
  if (valid_utf8(text) && text.size() <= 40) bad.value = std::string(text);
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(text.substr(0, 4)) ||
      !digits(text.substr(5, 2)) || !digits(text.substr(8, 2)))
    return bad;
  const date::year_month_day ymd{date::year(number(text.substr(0, 4))),
                                 date::month(static_cast<unsigned>(number(text.substr(5, 2)))),
                                 date::day(static_cast<unsigned>(number(text.substr(8, 2))))};
  if (!ymd.ok()) return bad;
  if (!in_date_domain(date::sys_days(ymd))) {
    bad.kind = ValueProblem::Kind::date_out_of_range;
    return bad;
  }
  return std::nullopt;
}

bool in_date_domain(date::sys_days d) { return d >= kFirstDay && d <= kLastDay; }

std::optional<ValueProblem> check_date(date::sys_days d) {
  if (in_date_domain(d)) return std::nullopt;
  ValueProblem p{ValueProblem::Kind::date_out_of_range};
  // Far outside, date's civil arithmetic itself overflows: show the day count.
  const auto n = d.time_since_epoch().count();
  p.value = n > -10'000'000 && n < 10'000'000 ? format_date(d) : std::to_string(n) + " days";
  return p;
}

bool valid_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t cp = 0;
    const std::size_t n = sequence(bytes, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::optional<ValueProblem> check_name(std::string_view s, bool required, std::size_t max) {
  if (s.empty()) return required ? std::optional<ValueProblem>(ValueProblem{}) : std::nullopt;
  return check_chars(s, false, max);
}

std::optional<ValueProblem> check_text(std::string_view s, std::size_t max) {
  return check_chars(s, true, max);
}

std::optional<ValueProblem> check_email(std::string_view s, bool required) {
  if (s.empty()) return required ? std::optional<ValueProblem>(ValueProblem{}) : std::nullopt;
  if (auto p = check_chars(s, false, kMaxEmailChars)) return p;
  const auto at = s.find('@');
  const bool plausible = at != std::string_view::npos && at > 0 &&
                         s.find('@', at + 1) == std::string_view::npos &&
                         s.find('.', at) != std::string_view::npos &&
                         s.find(' ') == std::string_view::npos && s.back() != '.';
  if (!plausible) {
    ValueProblem p{ValueProblem::Kind::bad_email};
    p.value = std::string(s);
    return p;
  }
  return std::nullopt;
}

std::optional<ValueProblem> check_number(double v, double lo, double hi) {
  if (!std::isfinite(v)) return ValueProblem{ValueProblem::Kind::not_finite};
  if (v < lo || v > hi) {
    ValueProblem p{ValueProblem::Kind::out_of_range};
    p.value = show_number(v);
    p.lo = lo;
    p.hi = hi;
    return p;
  }
  return std::nullopt;
}

std::optional<FieldProblem> check_event(const DomainEvent& e, EventCheck mode) {
  Fields f;
  f.mode = mode;
  std::visit(
      Overloaded{
          [&](const HireRegistered& v) {
            f.name("name", v.name);
            f.email("email", v.email, true);
            f.name("unit", v.unit);
            f.date("start", v.start);
            f.name("programme", v.programme_id);
            f.number("programme_version", v.programme_version, 1, 100000);
            for (const auto& item : v.waived_items) f.name("waived_items", item);
          },
          [&](const HireStarted& v) { f.date("on", v.on); },
          [&](const ChecklistItemCompleted& v) {
            f.name("item", v.item_id);
            f.date("on", v.done_on);
            f.text("comment", v.comment);
          },
          [&](const ChecklistItemWaived& v) {
            f.name("item", v.item_id);
            f.text("reason", v.reason);
          },
          [&](const IntroducerAppointed& v) {
            f.person("name", "email", v.introducer, false);
            f.date("from", v.from);
          },
          [&](const MentorAppointed& v) {
            f.person("name", "email", v.mentor, false);
            if (v.replacement)
              f.person("replacement/name", "replacement/email", *v.replacement, false);
          },
          [&](const MentorReplacementNamed& v) { f.person("name", "email", v.replacement, false); },
          [&](const MentorDroppedOut& v) {
            f.date("on", v.on);
            f.text("reason", v.reason);
          },
          [&](const CourseBooked& v) {
            f.date("starts", v.starts_on);
            f.name("cohort", v.cohort, false);
          },
          [&](const CourseModuleAttended& v) {
            f.number("number", v.module, 1, 100);
            f.date("on", v.on);
          },
          [&](const BbicPartCompleted& v) {
            f.name("part", v.part);
            f.date("on", v.on);
          },
          [&](const CourseCompleted& v) {
            f.date("on", v.on);
            f.text("certificate", v.certificate);
          },
          [&](const PartWaived& v) {
            f.name("part", v.part);
            f.text("reason", v.reason);
          },
          [&](const SupervisionGroupJoined& v) {
            f.name("group", v.group);
            f.name("supervisor", v.supervisor);
            f.date("starts", v.starts_on);
          },
          [&](const SupervisionSessionAttended& v) {
            f.number("number", v.session, 1, 1000);
            f.date("on", v.on);
            f.number("hours", v.hours, 0, 24);
          },
          [&](const SupervisionCompleted& v) {
            f.date("on", v.on);
            f.text("certificate", v.certificate);
          },
          [&](const IntroducerHoursLogged& v) {
            f.date("week", v.week);
            f.number("hours", v.hours, 0, 168);
          },
          [&](const LeaveStarted& v) {
            f.name("leave_kind", v.kind);
            f.date("from", v.from);
          },
          [&](const LeaveEnded& v) { f.date("back", v.back_on); },
          [&](const HireLeft& v) {
            f.date("on", v.on);
            f.text("reason", v.reason);
          },
          [&](const JourneyCompleted& v) { f.date("on", v.on); },
      },
      e);
  return f.first;
}

}  // namespace journey::workflows
