// Zeros ahead of the WAL writer, and the gap guard for WAL replay; the why of
// both is in zero_filled_wal.h.
#include "zero_filled_wal.h"

#include <fcntl.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "big_endian.h"

namespace journey::storage {

namespace {

bool is_wal(const std::string& fname) {
  return fname.size() > 4 && fname.compare(fname.size() - 4, 4, ".log") == 0;
}

class ZeroFilledWalFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  ZeroFilledWalFile(std::unique_ptr<rocksdb::FSWritableFile> wal, int fd, std::uint64_t first_chunk,
                    std::uint64_t max_chunk)
      : FSWritableFileOwnerWrapper(std::move(wal)),
        fd_(fd),
        chunk_(first_chunk),
        max_chunk_(max_chunk) {
    fill_ahead(0);
  }
  ~ZeroFilledWalFile() override { close_zeros(); }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    fill_ahead(end_ + data.size());
    auto s = target()->Append(data, o, d);
    if (s.ok()) end_ += data.size();
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* d) override {
    fill_ahead(end_ + data.size());
    auto s = target()->Append(data, o, v, d);
    if (s.ok()) end_ += data.size();
    return s;
  }
  // RocksDB writes WALs with Append only; kept right for completeness.
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, std::uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* d) override {
    fill_ahead(offset + data.size());
    auto s = target()->PositionedAppend(data, offset, o, d);
    if (s.ok()) end_ = offset + data.size();
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, std::uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& v,
                                     rocksdb::IODebugContext* d) override {
    fill_ahead(offset + data.size());
    auto s = target()->PositionedAppend(data, offset, o, v, d);
    if (s.ok()) end_ = offset + data.size();
    return s;
  }
  rocksdb::IOStatus Truncate(std::uint64_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
    auto s = target()->Truncate(size, o, d);
    if (s.ok()) end_ = size;
    return s;
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    auto s = target()->Close(o, d);
    close_zeros();
    return s;
  }

  // The zeros are the preallocation: fallocate() would only add unwritten
  // extents, whose conversion is the journal commit this file avoids.
  void PrepareWrite(std::size_t offset, std::size_t len, const rocksdb::IOOptions& o,
                    rocksdb::IODebugContext* d) override {
    if (!filling_) target()->PrepareWrite(offset, len, o, d);
  }
  rocksdb::IOStatus Allocate(std::uint64_t offset, std::uint64_t len, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
    if (filling_) return rocksdb::IOStatus::OK();
    return target()->Allocate(offset, len, o, d);
  }

 private:
  // Zeros up to at least `need` and a quarter chunk more. Called by the one
  // thread that appends (RocksDB's WAL writer), before the bytes that need them.
  void fill_ahead(std::uint64_t need) {
    if (!filling_ || need + chunk_ / 4 <= zeroed_) return;
    static const char zeros[1 << 16] = {};
    const std::uint64_t from = zeroed_;
    while (zeroed_ < need + chunk_ / 4) {
      const std::uint64_t chunk_end = zeroed_ + chunk_;
      while (zeroed_ < chunk_end) {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(sizeof zeros, chunk_end - zeroed_));
        const ssize_t w = ::pwrite(fd_, zeros, n, static_cast<off_t>(zeroed_));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          filling_ = false;  // a plain growing file from here on
          return;
        }
        zeroed_ += static_cast<std::uint64_t>(w);
      }
      chunk_ = std::min(chunk_ * 2, max_chunk_);
    }
    // Start writing the zeros out now, so that the next WAL sync finds less
    // to wait for.
    ::sync_file_range(fd_, static_cast<off_t>(from), static_cast<off_t>(zeroed_ - from),
                      SYNC_FILE_RANGE_WRITE);
  }

  void close_zeros() {
    if (fd_ < 0) return;
    // Cut the zeros past the WAL's end, as RocksDB cuts its preallocation.
    if (zeroed_ > end_) {
      while (::ftruncate(fd_, static_cast<off_t>(end_)) != 0 && errno == EINTR) {
      }
    }
    ::close(fd_);
    fd_ = -1;
  }

  int fd_;
  std::uint64_t chunk_;  // the size of the next chunk of zeros
  const std::uint64_t max_chunk_;
  bool filling_ = true;
  std::uint64_t end_ = 0;     // bytes the WAL has written
  std::uint64_t zeroed_ = 0;  // zeros written from end_ (or 0) up to here
};

// The positions one WriteBatch puts, first and last (0 if none).
class PositionRange final : public rocksdb::WriteBatch::Handler {
 public:
  explicit PositionRange(std::uint32_t cf) : cf_(cf) {}
  rocksdb::Status PutCF(std::uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice&) override {
    if (cf == cf_ && key.size() == 8) {
      const std::uint64_t p = get_u64(key.data());
      if (first == 0) first = p;
      last = p;
    }
    return rocksdb::Status::OK();
  }
  // The log writes only puts; anything else is let through, not judged.
  rocksdb::Status DeleteCF(std::uint32_t, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(std::uint32_t, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(std::uint32_t, const rocksdb::Slice&,
                                const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(std::uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  void LogData(const rocksdb::Slice&) override {}

  std::uint64_t first = 0;
  std::uint64_t last = 0;

 private:
  std::uint32_t cf_;
};

}  // namespace

ZeroFilledWalFileSystem::ZeroFilledWalFileSystem(std::shared_ptr<rocksdb::FileSystem> target,
                                                 std::uint64_t first_chunk, std::uint64_t max_chunk)
    : FileSystemWrapper(std::move(target)), first_chunk_(first_chunk), max_chunk_(max_chunk) {}

rocksdb::IOStatus ZeroFilledWalFileSystem::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  auto s = target()->NewWritableFile(fname, options, result, dbg);
  if (!s.ok() || !is_wal(fname) || options.use_mmap_writes || options.use_direct_writes) return s;
  const int fd = ::open(fname.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return s;  // no zeros: a plain growing file still works
  *result = std::make_unique<ZeroFilledWalFile>(std::move(*result), fd, first_chunk_, max_chunk_);
  return s;
}

void PositionGapGuard::ColumnFamilyLogNumberMap(
    const std::map<std::uint32_t, std::uint64_t>&,
    const std::map<std::string, std::uint32_t>& cf_name_id_map) {
  auto it = cf_name_id_map.find(positions_cf_);
  known_ = it != cf_name_id_map.end();
  if (known_) positions_id_ = it->second;
}

rocksdb::WalFilter::WalProcessingOption PositionGapGuard::LogRecordFound(
    unsigned long long log_number, const std::string& log_file_name,
    const rocksdb::WriteBatch& batch, rocksdb::WriteBatch*, bool* batch_changed) {
  *batch_changed = false;
  if (!known_) return WalProcessingOption::kContinueProcessing;
  PositionRange range(positions_id_);
  if (!batch.Iterate(&range).ok() || range.first == 0) {
    return WalProcessingOption::kContinueProcessing;
  }
  if (first_ == 0) first_ = range.first;
  if (last_ != 0 && range.first != last_ + 1) {
    stopped_ = "replay of " + log_file_name + " (WAL " + std::to_string(log_number) +
               ") stopped at position " + std::to_string(range.first) + ", after " +
               std::to_string(last_) + ": a hole in the unsynced tail";
    return WalProcessingOption::kStopReplay;
  }
  last_ = range.last;
  return WalProcessingOption::kContinueProcessing;
}

}  // namespace journey::storage
