// The event decoder against bytes it did not write: a corrupted length, a
// bool that is neither 0 nor 1 and a date beyond the calendar are DecodeError
// at once, without allocating what the bytes claim (inputs found by
// tools/fuzz/fuzz_event_decode). And every event still round-trips.
#define BOOST_TEST_MODULE events
#include "journey/workflows/events.h"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace journey::workflows;

namespace {
std::string le64(std::uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
std::string le32(std::uint32_t v) { return le64(v).substr(0, 4); }
const std::string kLittle("\x01", 1);  // cereal PortableBinary: little-endian flag
}  // namespace

BOOST_AUTO_TEST_CASE(ALengthLargerThanThePayloadIsRefusedWithoutAllocatingIt) {
  for (std::uint64_t claimed : {std::uint64_t{1} << 30, std::uint64_t{1} << 32,
                                std::uint64_t{1} << 40, std::uint64_t{1} << 62}) {
    const std::string payload = kLittle + le64(claimed) + "ab";
    BOOST_CHECK_THROW(decode("ChecklistItemWaived", 1, payload), DecodeError);
  }
}

BOOST_AUTO_TEST_CASE(ABoolThatIsNeitherZeroNorOneIsRefused) {
  MentorAppointed m{Person{"Per Ås", "per@example.se"}, Person{"Lena Öst", ""}};
  EncodedEvent e = encode(DomainEvent(m));
  BOOST_REQUIRE_NO_THROW(decode(e.type, e.schema_version, e.payload));
  // The optional's flag follows the mentor: 1 + (8 + 7) + (8 + 14) bytes in.
  const std::size_t flag =
      1 + 8 + std::string("Per Ås").size() + 8 + std::string("per@example.se").size();
  BOOST_REQUIRE(e.payload[flag] == 1 || e.payload[flag] == 0);
  e.payload[flag] = 7;
  BOOST_CHECK_THROW(decode(e.type, e.schema_version, e.payload), DecodeError);
}

BOOST_AUTO_TEST_CASE(ADateBeyondTheCalendarIsRefused) {
  BOOST_CHECK_THROW(decode("HireStarted", 1, kLittle + le32(0x7fffffff)), DecodeError);
  BOOST_CHECK_THROW(decode("HireStarted", 1, kLittle + le32(0x80000000)), DecodeError);
  const auto d = decode("HireStarted", 1, kLittle + le32(20'000));
  BOOST_TEST(format_date(std::get<HireStarted>(d).on) == "2024-10-04");
}

BOOST_AUTO_TEST_CASE(EveryEventKindStillRoundTrips) {
  const date::sys_days day = date::sys_days(date::year(2026) / 9 / 1);
  std::vector<DomainEvent> all = {
      HireStarted{day},
      ChecklistItemCompleted{"ad.dator", day, "Levererad"},
      ChecklistItemWaived{"ec.x", "Erfaren"},
      MentorAppointed{Person{"Per", "p@example.se"}, std::nullopt},
      IntroducerHoursLogged{day - date::days(1), 4.5},
      LeaveStarted{"parental", day},
  };
  for (const auto& ev : all) {
    const EncodedEvent e = encode(ev);
    const DomainEvent back = decode(e.type, e.schema_version, e.payload);
    BOOST_TEST(encode(back).payload == e.payload, e.type);
  }
}
