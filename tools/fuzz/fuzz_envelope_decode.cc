// Fuzzes the RocksDB event log's envelope decoder (format 1, the value of the
// `events` column family; layout in rocksdb_event_log.h). It is public
// (storage::envelope), so it is called directly here; fuzz_event_log_read
// feeds the same bytes through a real RocksDB folder.
//
// Errors are values: decode() returns corruption, decode_into() false. Nothing
// may throw, crash or read past the input. The format has exactly one encoding
// of each event, so whatever decodes must re-encode to the input's bytes, and
// decode_into() over a reused event (as visit_stream does) must agree with
// decode().
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "journey/storage/rocksdb_event_log.h"

namespace st = journey::storage;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_envelope_decode: %s\n", what);
  std::abort();
}

bool same(const st::RecordedEvent& a, const st::RecordedEvent& b) {
  return a.position == b.position && a.stream == b.stream && a.version == b.version &&
         a.type == b.type && a.schema_version == b.schema_version && a.payload == b.payload &&
         a.recorded_at == b.recorded_at && a.effective_at == b.effective_at && a.actor == b.actor &&
         a.idempotency_key == b.idempotency_key && a.prev_hash == b.prev_hash && a.hash == b.hash;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Exactly the input's bytes in a heap block of their own, so ASan sees any
  // read past the end.
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string_view view(bytes);

  auto decoded = st::envelope::decode(view);
  // Reused across inputs, like visit_stream's one RecordedEvent across a stream.
  static st::RecordedEvent reused;
  std::string error;
  const bool ok = st::envelope::decode_into(view, reused, &error);
  if (ok != decoded.ok()) fail("decode and decode_into disagree on whether the bytes decode");
  (void)st::envelope::compute_hash(view);

  if (!decoded) {
    if (decoded.error().code != st::ErrorCode::corruption) fail("a refusal that is not corruption");
    if (decoded.error().message.empty() || error.empty()) fail("a refusal without a reason");
    return 0;
  }
  if (!same(*decoded, reused)) fail("decode_into over a reused event differs from decode");
  if (st::envelope::encode(*decoded) != bytes) fail("the decoded event re-encodes differently");
  (void)st::to_hex(decoded->hash);
  return 0;
}
