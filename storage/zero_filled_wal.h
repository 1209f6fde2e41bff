// Two RocksDB plug-ins the event log opens its database with, private to
// storage/: a file system whose WAL files are filled with zeros ahead of the
// writer, and a WAL filter that stops recovery at a hole in the positions.
//
// ## Why zeros ahead of the writer
//
// Every acknowledged append waits for one fdatasync() of the WAL, so the sync's
// latency bounds the append rate (BENCHMARKS.md). A sync of a file that grows
// (RocksDB's own WAL: fallocate(KEEP_SIZE), then appends past the end) must
// also commit the file system's journal: a new size, and extents turned from
// unwritten to written. A sync of bytes written over blocks that already hold
// zeros inside the file's size has no metadata to commit. PostgreSQL gets the
// same by zero-filling its WAL segments before use. RocksDB's own reuse of old
// WAL files (recycle_log_file_num) would too, but RocksDB 7.8 turns it off
// under every recovery mode that keeps acknowledged writes (checked: it reads
// back 0 under kPointInTimeRecovery, kAbsoluteConsistency and
// kTolerateCorruptedTailRecords).
//
// ZeroFilledWalFileSystem wraps a file system that keeps a file's bytes at
// their offsets in the local file of that name: RocksDB's default POSIX one,
// not, say, an encrypting one (the event log uses it only with the default).
// It changes only files ending in ".log" (RocksDB's WALs; its info log is
// "LOG"). Such a file gets a second descriptor that writes zeros in chunks
// past the end the writer has reached, always some way ahead of it; the WAL's
// own bytes still go through the wrapped file (its Append and Sync), which
// writes over the zeros. Closing the file cuts the zeros off again.
//
// What a crash leaves: the WAL ends in zeros up to the last chunk. RocksDB's
// log reader reads a zero header as an empty record and skips the rest of its
// 32 KiB block without a complaint, so the zeros read as "nothing more". The
// same leniency is the danger the gap guard below is for.
//
// If writing zeros fails (a full disk), the file stops filling and goes on as
// a plain growing file; the WAL's own writes report the error when they fail.
//
// The zeros are handed to writeback at once (sync_file_range) but not synced:
// the first WAL sync after a fill also writes that chunk and commits the new
// size, once per chunk (PostgreSQL pays the same when it creates a segment).
// Every other sync overwrites.
//
// ## Why a gap guard
//
// Only a synced WAL is promised; after a power loss, the unsynced tail may
// have reached the disk in any order. If a later block made it and an earlier
// one did not, the earlier one reads as zeros (a zero-filled WAL, or an
// unwritten extent of RocksDB's preallocated one), the reader skips it
// silently, and recovery would replay the later block's events: a gap in the
// global positions, and a chain that verify() reports as broken. The events
// past a hole were never acknowledged (everything acknowledged was synced,
// and a synced prefix has no hole), so the right recovery is to stop there.
//
// PositionGapGuard watches every WAL record replayed at open. Each record is
// one WriteBatch of the writer, whose `positions` keys follow the previous
// batch's without a gap; at the first record that does not continue the last
// one, it stops the replay (RocksDB's kStopReplay): everything after it is
// dropped, as a torn tail is. It cannot judge the very first record replayed
// (it does not know the last position already in table files), so it hands
// that position to the log, which looks for the one before it once open; if
// that is missing, the log opens damaged (appends refused, verify() names the
// gap) rather than chain new events onto it.
#pragma once

#include <rocksdb/file_system.h>
#include <rocksdb/wal_filter.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace journey::storage {

class ZeroFilledWalFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  // Zeros are written a chunk at a time, whenever the writer's end comes
  // within a quarter chunk of the zeros' end. The first chunk of a file is
  // `first_chunk` bytes and each next one twice the last, up to `max_chunk`:
  // a short-lived log (one journeyctl command) writes 256 KiB of zeros, not
  // megabytes, and a busy one fills 4 MiB at a time.
  static constexpr std::uint64_t kFirstChunk = 256u << 10;
  static constexpr std::uint64_t kMaxChunk = 4u << 20;

  explicit ZeroFilledWalFileSystem(std::shared_ptr<rocksdb::FileSystem> target,
                                   std::uint64_t first_chunk = kFirstChunk,
                                   std::uint64_t max_chunk = kMaxChunk);

  const char* Name() const override { return "JourneyZeroFilledWal"; }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;

 private:
  std::uint64_t first_chunk_;
  std::uint64_t max_chunk_;
};

class PositionGapGuard final : public rocksdb::WalFilter {
 public:
  // `positions_cf` is the column family whose keys are big-endian positions.
  explicit PositionGapGuard(std::string positions_cf) : positions_cf_(std::move(positions_cf)) {}

  const char* Name() const override { return "JourneyPositionGapGuard"; }

  void ColumnFamilyLogNumberMap(
      const std::map<std::uint32_t, std::uint64_t>& cf_lognumber_map,
      const std::map<std::string, std::uint32_t>& cf_name_id_map) override;

  WalProcessingOption LogRecordFound(unsigned long long log_number,
                                     const std::string& log_file_name,
                                     const rocksdb::WriteBatch& batch,
                                     rocksdb::WriteBatch* new_batch, bool* batch_changed) override;

  // After the open: where replay stopped, if it did ("" if it did not).
  const std::string& stopped() const { return stopped_; }
  // After the open: the first position replayed (0 if none). The guard cannot
  // judge it; the log checks that the position before it is in its tables.
  std::uint64_t first_replayed() const { return first_; }

 private:
  std::string positions_cf_;
  std::uint32_t positions_id_ = 0;
  bool known_ = false;  // the column family exists (a new log has none yet)
  std::uint64_t first_ = 0;
  std::uint64_t last_ = 0;
  std::string stopped_;
};

}  // namespace journey::storage
