// Fuzzes workflows::decode(type, schema_version, payload), the decoder every
// replay runs over the payloads stored in the log.
//
// Input: byte 0 picks the type (a known name, or an unknown one that must be
// refused), the rest is the payload. Then the whole input is also decoded as
// the payload of every known type, so one interesting byte string serves them all.
//
// decode() promises one failure: DecodeError. Anything else escaping it (a
// std::length_error or std::bad_alloc from a length prefix, say) is a broken
// contract, so the harness catches DecodeError only and lets libFuzzer report
// the rest. A decoded event must survive the consumers replay feeds it to
// (describe, effective_date) and re-encode to bytes that decode again to the
// same encoding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "journey/workflows/events.h"

namespace wf = journey::workflows;

namespace {

[[noreturn]] void fail(const char* what, const std::string& type) {
  std::fprintf(stderr, "fuzz_event_decode: %s (type %s)\n", what, type.c_str());
  std::abort();
}

void check_decoded(const std::string& type, const wf::DomainEvent& e) {
  if (type != wf::event_type_name(e)) fail("decoded into another type", type);
  (void)wf::effective_date(e);
  (void)wf::describe(e);
  // Re-encoding normalises what the decoder tolerates (the archive's endianness
  // byte), so compare the first re-encoding with the second.
  wf::EncodedEvent once = wf::encode(e);
  if (once.type != type || once.schema_version != 1) fail("re-encoded under another type", type);
  wf::DomainEvent again;
  try {
    again = wf::decode(once.type, once.schema_version, once.payload);
  } catch (const wf::DecodeError& ex) {
    std::fprintf(stderr, "fuzz_event_decode: %s\n", ex.what());
    fail("encode() wrote a payload decode() refuses", type);
  }
  if (wf::encode(again).payload != once.payload) fail("re-encoding is not stable", type);
}

void decode_one(const std::string& type, std::uint16_t schema_version, const std::string& payload) {
  wf::DomainEvent e;
  try {
    e = wf::decode(type, schema_version, payload);
  } catch (const wf::DecodeError&) {
    return;  // the documented refusal
  }
  check_decoded(type, e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& names = wf::event_type_names();
  const std::string whole(reinterpret_cast<const char*>(data), size);
  // The picked type first: a finding in one type's decoder must not always be
  // masked by one that an earlier type in the sweep below hits on the same bytes.
  if (size > 0) {
    const std::string payload(whole, 1);
    const std::size_t pick = data[0];
    if (pick < names.size()) {
      decode_one(names[pick], 1, payload);
    } else {
      // Unknown type names and schema versions must be refused, never decoded.
      bool refused = false;
      try {
        (void)wf::decode(pick % 2 ? payload : names[pick % names.size()],
                         pick % 2 ? 1 : static_cast<std::uint16_t>(pick), payload);
      } catch (const wf::DecodeError&) {
        refused = true;
      }
      // An odd pick passes the payload as the type name: it may be a real one.
      if (!refused && !(pick % 2)) {
        fail("an unknown schema version decoded", names[pick % names.size()]);
      }
    }
  }
  for (const auto& type : names) decode_one(type, 1, whole);
  return 0;
}
