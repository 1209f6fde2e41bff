// The value domain: what an entrance accepts is exactly what the decoder reads
// back. A property test draws events of every kind from values near and past
// every limit (dates around 1900 and 2200, lax date spellings, NUL, control
// characters, Windows-1252 bytes, overlong UTF-8, infinities, long names):
// each event check_event() accepts round-trips through encode() and decode()
// unchanged, and each the decoder refuses the entrance refuses too (the
// decoder keeps dates in the years, text UTF-8, numbers finite).
#define BOOST_TEST_MODULE value_domain
#include "journey/workflows/value_domain.h"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace journey::workflows;

namespace {

struct Draw {
  std::mt19937_64 rng;
  explicit Draw(std::uint64_t seed) : rng(seed) {}
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  }
  bool coin(int one_in) { return pick(one_in) == 0; }

  std::string text() {
    static const std::vector<std::string> samples = {"Sara Lind",
                                                     "Märta Ödegård",
                                                     "",
                                                     " ",
                                                     "a\0b",
                                                     "tab\there",
                                                     "line\nbreak",
                                                     "\x7f",
                                                     "\xc2\x85",          // U+0085, a C1 control
                                                     "M\xe4rta",          // Windows-1252 "ä"
                                                     "\xc3\x28",          // broken sequence
                                                     "\xc0\xaf",          // overlong "/"
                                                     "\xed\xa0\x80",      // a surrogate
                                                     "\xf4\x90\x80\x80",  // beyond U+10FFFF
                                                     "😀 emoji",
                                                     "x@example.se",
                                                     "no-at.example.se",
                                                     "a@b",
                                                     "a@b.se.",
                                                     "two@@example.se"};
    std::string s = samples[pick(samples.size())];
    if (s == "a") s = std::string("a\0b", 3);
    if (coin(8)) s = std::string(kMaxNameChars + pick(3) - 1, 'n');
    if (coin(12)) s = std::string(kMaxTextChars + pick(3) - 1, 't');
    if (coin(20)) s = std::string(kMaxEmailChars - 10, 'e') + "@example.se";
    if (coin(10)) s.push_back('\0');
    return s;
  }
  date::sys_days day() {
    static const int years[] = {1899, 1900, 1970, 2026, 2200, 2201, 4707, 4800, 9999, -5};
    const int y = years[pick(std::size(years))];
    const unsigned m = 1 + static_cast<unsigned>(pick(12));
    const unsigned d = 1 + static_cast<unsigned>(pick(28));
    if (coin(30)) return date::sys_days(date::days(std::numeric_limits<int>::max() / 2));
    return date::sys_days(date::year(y) / date::month(m) / date::day(d));
  }
  double hours() {
    static const double v[] = {0,           1.5, 4,  24,  24.5,
                               168,         169, -1, 1e9, std::numeric_limits<double>::infinity(),
                               std::nan("")};
    return v[pick(std::size(v))];
  }
  int small_int() {
    static const int v[] = {0, 1, 8, 100, 101, 1000, 1001, -3};
    return v[pick(std::size(v))];
  }
  Person person() { return Person{text(), text()}; }

  DomainEvent event() {
    switch (pick(21)) {
      case 0:
        return HireRegistered{text(),  text(), text(),      day(),
                              coin(2), text(), small_int(), {text()}};
      case 1:
        return HireStarted{day()};
      case 2:
        return ChecklistItemCompleted{text(), day(), text()};
      case 3:
        return ChecklistItemWaived{text(), text()};
      case 4:
        return IntroducerAppointed{person(), day()};
      case 5:
        return MentorAppointed{person(), coin(2) ? std::optional<Person>(person()) : std::nullopt};
      case 6:
        return MentorReplacementNamed{person()};
      case 7:
        return MentorDroppedOut{day(), text()};
      case 8:
        return CourseBooked{day(), text()};
      case 9:
        return CourseModuleAttended{small_int(), day()};
      case 10:
        return BbicPartCompleted{text(), day()};
      case 11:
        return CourseCompleted{day(), text()};
      case 12:
        return PartWaived{text(), text()};
      case 13:
        return SupervisionGroupJoined{text(), text(), day()};
      case 14:
        return SupervisionSessionAttended{small_int(), day(), hours()};
      case 15:
        return SupervisionCompleted{day(), text()};
      case 16:
        return IntroducerHoursLogged{day(), hours()};
      case 17:
        return LeaveStarted{text(), day()};
      case 18:
        return LeaveEnded{day()};
      case 19:
        return HireLeft{day(), text()};
      default:
        return JourneyCompleted{day()};
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(EveryAcceptedEventRoundTripsAndEveryRefusedOneIsRefusedByTheDecoder) {
  Draw draw(20261202);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 200'000; ++i) {
    const DomainEvent e = draw.event();
    const EncodedEvent enc = encode(e);
    const auto problem = check_event(e);
    if (!problem) {
      ++accepted;
      DomainEvent back;
      try {
        back = decode(enc.type, enc.schema_version, enc.payload);
      } catch (const DecodeError& err) {
        BOOST_FAIL("accepted " << enc.type << " does not decode: " << err.what());
      }
      BOOST_REQUIRE_EQUAL(back.index(), e.index());
      BOOST_REQUIRE(encode(back).payload == enc.payload);
      BOOST_REQUIRE(!check_event(back));
    } else {
      ++refused;
      BOOST_REQUIRE(!problem->field.empty());
      // The decoder holds stored events to a subset (EventCheck::stored):
      // what it refuses, the entrance refuses too.
      if (check_event(e, EventCheck::stored))
        BOOST_CHECK_THROW(decode(enc.type, enc.schema_version, enc.payload), DecodeError);
      else
        BOOST_REQUIRE_NO_THROW(decode(enc.type, enc.schema_version, enc.payload));
    }
  }
  // The draw reaches both sides of every rule often enough to mean something.
  BOOST_TEST_MESSAGE(accepted << " accepted, " << refused << " refused");
  BOOST_CHECK_GT(accepted, 10'000);
  BOOST_CHECK_GT(refused, 10'000);
}

BOOST_AUTO_TEST_CASE(LaxDateSpellingsAndYearsOutsideTheDomainAreNotDates) {
  for (const char* lax :
       {"2026- 1-05", "+026-01-05", "0000-01-01", "4800-01-01", "9999-01-04", "1899-12-31",
        "2201-01-01", "2026-1-05", "2026-01-5 ", " 2026-01-05", "2026-02-30", "2026-13-01",
        "２026-01-05", "2026/01/05", "20260105", "2026-01-05T00:00", "-026-01-05", "2026-0x-05"}) {
    BOOST_TEST_CONTEXT(lax) {
      BOOST_CHECK(!parse_date(lax));
      BOOST_CHECK(check_date_text(lax));
    }
  }
  BOOST_CHECK(check_date_text("4800-01-01")->kind == ValueProblem::Kind::date_out_of_range);
  BOOST_CHECK(check_date_text("2026- 1-05")->kind == ValueProblem::Kind::not_a_date);
  for (const char* ok : {"1900-01-01", "2026-01-05", "2028-02-29", "2200-12-31"}) {
    BOOST_TEST_CONTEXT(ok) {
      auto d = parse_date(ok);
      BOOST_REQUIRE(d);
      BOOST_CHECK_EQUAL(format_date(*d), ok);  // one spelling per day
    }
  }
}

BOOST_AUTO_TEST_CASE(EveryParsedDateIsCanonicalAndInsideTheDomain) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "0123456789- +x";
  for (int i = 0; i < 200'000; ++i) {
    std::string s(10, '0');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    if (rng() % 2) s[4] = '-', s[7] = '-';
    if (auto d = parse_date(s)) {
      BOOST_REQUIRE_EQUAL(format_date(*d), s);
      BOOST_REQUIRE(!check_date(*d));
    }
  }
}

BOOST_AUTO_TEST_CASE(TextRulesRefuseNulControlsBadUtf8AndOverlongNames) {
  using K = ValueProblem::Kind;
  BOOST_CHECK(check_name(std::string("a\0b", 3))->kind == K::control_character);
  BOOST_CHECK(check_name("M\xe4rta")->kind == K::not_utf8);
  BOOST_CHECK(check_name("a\nb")->kind == K::control_character);
  BOOST_CHECK(!check_text("a\nb\tc"));
  BOOST_CHECK(check_text(std::string("a\0b", 3))->kind == K::control_character);
  BOOST_CHECK(check_name(std::string(8192, 'u'))->kind == K::too_long);
  BOOST_CHECK(!check_name(std::string(kMaxNameChars / 2, 'a') + [] {
    std::string s;
    for (std::size_t i = 0; i < kMaxNameChars / 2; ++i) s += "å";
    return s;
  }()));  // characters, not bytes
  BOOST_CHECK(check_name("")->kind == K::empty);
  BOOST_CHECK(!check_name("", false));
  BOOST_CHECK(check_number(std::numeric_limits<double>::infinity(), 0, 168)->kind == K::not_finite);
  BOOST_CHECK(check_number(169, 0, 168)->kind == K::out_of_range);
  BOOST_CHECK(check_email("anna")->kind == K::bad_email);
  BOOST_CHECK(!check_email("anna.berg@goteborg.se"));
}

BOOST_AUTO_TEST_CASE(TheDecoderRefusesWhatWouldBreakALaterStageButNotOldLaxValues) {
  // Breaks later stages: a date past the calendar's years, bytes that are no text.
  for (const DomainEvent& e :
       {DomainEvent(HireStarted{date::sys_days(date::year(4800) / 1 / 1)}),
        DomainEvent(MentorAppointed{Person{"M\xe4rta", ""}, std::nullopt}),
        DomainEvent(IntroducerHoursLogged{date::sys_days(date::year(2026) / 1 / 5),
                                          std::numeric_limits<double>::infinity()})}) {
    const auto enc = encode(e);
    BOOST_CHECK_THROW(decode(enc.type, enc.schema_version, enc.payload), DecodeError);
  }
  // An e-mail without a dot, a 300-character name: refused at the entrance
  // now, but an earlier version stored them and the hire must stay readable.
  const DomainEvent lax = MentorAppointed{Person{std::string(300, 'n'), "karin"}, std::nullopt};
  BOOST_CHECK(check_event(lax));
  const auto enc = encode(lax);
  BOOST_CHECK_NO_THROW(decode(enc.type, enc.schema_version, enc.payload));
}

BOOST_AUTO_TEST_CASE(ARefusalNamesItsFieldInSwedishAndEnglish) {
  auto p = check_event(CourseBooked{date::sys_days(date::year(9999) / 1 / 4), "HT26"});
  BOOST_REQUIRE(p);
  BOOST_CHECK_EQUAL(p->field, "starts");
  const Refusal r = p->refusal();
  BOOST_CHECK_EQUAL(r.code, "field_date_out_of_range");
  BOOST_CHECK_EQUAL(r.message(Language::sv),
                    "Fältet 'starts': 9999-01-04 ska vara ett datum mellan 1900-01-01 och "
                    "2200-12-31.");
  BOOST_CHECK_EQUAL(r.message(Language::en),
                    "Field 'starts': 9999-01-04 must be a date between 1900-01-01 and 2200-12-31.");
}
