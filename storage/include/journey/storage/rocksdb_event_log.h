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
// The decoder keeps the append path's value domain: position and version >= 1,
// a stream id append would take, a type and an actor, both instants in
// [kEarliestInstant, kEndOfInstants) (years 0000-9999). Bytes outside it are
// damage (ErrorCode::corruption, naming the field), never an event: what the
// entrance refuses, no reader receives. read_all() passes such an event on
// marked (RecordedEvent::damage) with the position, stream and version of its
// index entry, so the readers of the whole log go on past it.
//
// ## Durability and concurrency: a two-stage pipeline
//
// append() hands its request to the writer thread and sleeps until answered;
// append_async() hands it over with a callback and returns at once, and the
// callback runs where a sleeping caller would have been woken (on the syncer,
// or on the writer when it syncs alone), after the sync, in write order.
//
//   callers ──queue──▶ writer ──written groups──▶ syncer ──▶ callers answered
//                      decide, hash,              SyncWAL() once for every
//                      WriteBatch, Write          group written so far, publish
//                      (sync = false)             the durable head, answer
//
// The writer takes every request queued at that moment (a group), checks each
// one's expected version and idempotency key in order against everything it
// has written (synced or not), assigns gapless positions, builds ONE
// WriteBatch for the group and writes it to the WAL and memtables without a
// sync. It hands the group to the syncer and goes straight on with the next
// group, so the next batch is built while the last one is being synced.
//
// The syncer takes every group written so far, syncs the WAL once for all of
// them (group commit over groups), moves the durable head (head()) past them,
// and only then answers their callers: acknowledged means fsynced. Refusals
// (a wrong expected version, a known idempotency key) are answered at the same
// moment, so a refusal never rests on an event that is not yet durable.
//
// Readers see only durable events. The memtables hold written-but-unsynced
// events, so every read stops at the durable head: read_stream/visit_stream
// end before the first event past it, read_all and verify stop there,
// stream_version and find_idempotency_key ignore appends past it, and
// list_streams hides a stream whose first event is past it.
//
// When the pipeline is empty and only one request is waiting, the writer
// syncs and answers it itself, saving one thread hand-off of latency.
//
// Failures. A request refused by its check does not affect the others in its
// group. If the batch write fails, every request of the group gets the error
// (a refusal in it may rest on the failed write) and nothing of it is visible.
// If a WAL sync fails, every append not yet durable gets an io_error. Either
// way the log refuses all appends from then on (restart to recover): part of
// a WAL record may be on disk, so the chain's tail is unknown. As with a
// crash, such an append's events may or may not be found after the restart;
// a caller that retries with its idempotency key gets exactly one copy.
//
// Zero-filled WAL. Each acknowledged append waits for one WAL sync, so the
// sync's latency bounds the append rate. By default the WAL files are filled
// with zeros ahead of the writer (storage/zero_filled_wal.h), as PostgreSQL
// fills its WAL segments: a sync then writes over blocks already in the file
// and has no size or extent change to commit. After a crash the WAL ends in
// zeros, which RocksDB's reader takes for the end.
//
// Recovery stops at a hole. A power loss may leave the unsynced tail of a WAL
// with an early block missing (reading as zeros) and a later one written;
// RocksDB would skip the zeros and replay the later events, a gap in the
// positions. A WAL filter stops the replay at the first record whose
// positions do not follow the last one's (everything past it was never
// acknowledged), and notes it in RocksDB's LOG. If the first record replayed
// does not follow the positions already in table files (a hole at the very
// start of the WAL), the log opens damaged: appends are refused and verify()
// names the gap.
//
// The acknowledged position, outside RocksDB. RocksDB's point-in-time recovery
// stops without a word at a damaged WAL record, so a byte flipped in a WAL once
// reopened a log with 32 of its 124 events and verify() said ok. The folder's
// ACKNOWLEDGED file holds one fixed 64-byte record, "journey-acked/1 <position>
// <FNV-1a of that text>", rewritten in place and fdatasync'ed by its own
// thread every 50 ms while the durable head moves, and with the exact head
// when the log closes. Never on the append path: an append's latency stays one
// WAL sync. At open, a recovery that ends short of the recorded position (or a
// record that does not check) opens the log damaged: appends are refused,
// reads work, verify() names the missing range ("events 62..124 were
// acknowledged but are not in the log"), and the operator restores a backup.
// After a crash the check covers everything acknowledged up to 50 ms before
// it; after a clean stop, everything. A table file whose block does not check
// is named by verify() at the event it cannot read; a damaged MANIFEST stops
// the open with RocksDB's corruption message.
//
// A full disk. An open that fails for lack of space opens the folder
// read-only (reads work, appends get no_space); a write that fails for lack of
// space makes every later append no_space. Either way stats().writes_refused
// says why, and appends resume after a restart with space. RocksDB's info log
// goes through spdlog (no LOG file), so nothing it logs can abort on a full disk.
//
// Opening a folder that holds more than 4 WAL files flushes the default column
// family once (the format tag, rewritten), so that RocksDB retires the empty
// WAL files that opens without writes leave behind.
//
// Only one process may open a folder for writing at a time (RocksDB's LOCK
// file). Any number may open it beside that one as a RocksDB secondary
// instance (RocksDbOptions::secondary_path): each sees the log as it was when
// it opened (recovered from the writer's table files and WAL without taking
// the lock: everything acknowledged by then, and possibly the last few events
// written but not yet synced), serves reads and verify(), and
// refuses appends and backups with read_only. journeyctl's read commands open
// the log this way, so they work while journeyd runs. A secondary writes
// nothing into the primary's folder; its own info files go to secondary_path.
#pragma once

#include <filesystem>
#include <memory>

#include "journey/storage/event_log.h"

namespace rocksdb {
class Env;
}

namespace journey::storage {

struct RocksDbOptions {
  std::filesystem::path path;
  bool create_if_missing = true;
  // Upper bound of requests in one group commit.
  std::size_t max_group = 1024;
  // Block cache shared by the column families: an upper bound, filled only by
  // blocks actually read. Replay reads whole streams, so a cache that holds the
  // working set matters more than anything else here: 10,000 hires of 150
  // events are about 300 MiB of uncompressed blocks, which a 256 MiB LRU cache
  // cannot hold (warm replay 1.2 M events/s) and 512 MiB does (1.45 M/s, 44 MiB
  // more RSS); see BENCHMARKS.md.
  std::size_t block_cache_bytes = 512u << 20;
  // When the pipeline is empty and one request waits, the writer syncs and
  // answers it itself instead of handing it to the syncer (saves a thread
  // hand-off of latency). Tests turn it off to drive the syncer path.
  bool writer_syncs_alone = true;
  // WAL files are filled with zeros ahead of the writer, so that a WAL sync
  // writes over allocated blocks and commits no file-system metadata (see
  // "Zero-filled WAL" above). Off: RocksDB's own preallocated, growing WAL.
  // Only with the default environment (`env` null): the zeros are written to
  // the WAL file by its name, which a custom file system (one that encrypts,
  // say) may lay out differently.
  bool zero_filled_wal = true;
  // The RocksDB environment (files, clock). Null: the default. Tests pass a
  // fault-injecting wrapper around the real file system.
  rocksdb::Env* env = nullptr;
  // Non-empty: open as a read-only secondary instance beside a writer that may
  // be running (see the top of this file); the folder for the secondary's own
  // files, created if missing. create_if_missing must then be false.
  std::filesystem::path secondary_path{};
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
