// The embedded default backend: the event log in a RocksDB folder.
//
// ## Column families and key layout
//
//   default      "format"                          -> "journey-log/1"
//   events       stream_id 0x00 BE64(version)      -> envelope (below)
//   positions    BE64(position)                    -> stream_id 0x00 BE64(version)
//   idempotency  key                               -> BE64(first_position) BE64(last_position)
//                                                      BE64(first_version) BE64(last_version)
//                                                      stream_id
//
// BE64 is a big-endian uint64, so RocksDB's bytewise order is numeric order: a
// stream is one prefix scan of `events`, the whole log one scan of `positions`.
// A stream id never contains 0x00 (append refuses it), so prefixes cannot collide.
//
// ## Event envelope, format version 1 (value in `events`)
//
//   u8   format            = 1
//   u64  position          BE
//   u32  len, bytes        stream id
//   u64  version           BE
//   u32  len, bytes        type
//   u16  schema_version    BE
//   i64  recorded_at       BE, microseconds since 1970-01-01T00:00:00Z
//   i64  effective_at      BE, microseconds since 1970-01-01T00:00:00Z
//   u32  len, bytes        actor
//   u32  len, bytes        idempotency key (may be empty)
//   u32  len, bytes        payload
//   32   prev_hash         hash of the event at position-1, zeros for position 1
//   32   hash              SHA-256 of every byte above (so it covers prev_hash)
//
// All u32 lengths are big-endian. The chain of hashes makes any edit to a stored
// event, or a removed/reordered one, visible to verify() at that event.
//
// ## Durability and concurrency
//
// append() hands its request to one writer thread and waits. The writer takes
// every request queued at that moment (a group), checks each one's expected
// version and idempotency key in order, assigns gapless positions, builds ONE
// WriteBatch for the whole group and writes it with WriteOptions::sync = true.
// Only after that write returns are the callers released: acknowledged means
// fsynced. A group shares one fsync (group commit). A request refused by its
// check does not affect the others in its group. If the batch write fails,
// every request in the group gets the error and nothing of it is visible.
//
// Only one process may open a folder at a time (RocksDB's LOCK file).
#pragma once

#include <filesystem>
#include <memory>

#include "journey/storage/event_log.h"

namespace journey::storage {

struct RocksDbOptions {
  std::filesystem::path path;
  bool create_if_missing = true;
  // Upper bound of requests in one group commit.
  std::size_t max_group = 1024;
  // Block cache shared by the column families. Replay reads whole streams, so
  // a cache that holds the working set matters more than anything else here.
  std::size_t block_cache_bytes = 256u << 20;
};

// Opens (or creates) the log at options.path. The clock stamps recorded_at and
// must outlive the log.
Result<std::unique_ptr<EventLog>> open_rocksdb_event_log(const RocksDbOptions& options,
                                                         const Clock& clock);

// Encoding helpers, public for tests and tools that inspect raw bytes.
namespace envelope {
std::string encode(const RecordedEvent& e);  // computes nothing: writes e.hash as given
Result<RecordedEvent> decode(std::string_view bytes);
// Decodes into `into`, reusing its strings' capacity. Returns false if malformed.
bool decode_into(std::string_view bytes, RecordedEvent& into, std::string* error);
// SHA-256 over an encoded envelope minus its trailing 32-byte hash.
Sha256 compute_hash(std::string_view encoded);
}  // namespace envelope

}  // namespace journey::storage
