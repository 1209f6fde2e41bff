// RocksDB backend of the event log. Layout, envelope and durability promise are
// documented in rocksdb_event_log.h; this file keeps them.
#include "journey/storage/rocksdb_event_log.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>
#include <semaphore.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "big_endian.h"
#include "spdlog_rocksdb_logger.h"
#include "zero_filled_wal.h"

// The pipeline syncs the WAL with SyncWAL() while the writer goes on writing.
// RocksDB 7.7.0 fixed a WAL sync that could leave parallel writes at the tail
// of the WAL never synced (its changelog names FlushWAL(true)); older versions
// are refused rather than trusted. This file also relies on manual_wal_flush
// staying false (its default), so that every Write reaches the file at once.
static_assert(ROCKSDB_MAJOR > 7 || (ROCKSDB_MAJOR == 7 && ROCKSDB_MINOR >= 7),
              "the append pipeline needs RocksDB 7.7 or newer");

namespace journey::storage {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::wrong_expected_version:
      return "wrong_expected_version";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::corruption:
      return "corruption";
    case ErrorCode::io_error:
      return "io_error";
    case ErrorCode::no_space:
      return "no_space";
    case ErrorCode::closed:
      return "closed";
    case ErrorCode::read_only:
      return "read_only";
  }
  return "unknown";
}

std::string to_hex(const Sha256& h) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : h) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

namespace {

constexpr std::uint8_t kFormat = 1;
constexpr const char* kFormatTag = "journey-log/1";
constexpr std::size_t kMaxStreamIdBytes = 200;

bool is_no_space(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.subcode() == rocksdb::Status::kNoSpace ||
         s.ToString().find("No space left on device") != std::string::npos;
}

// The one place where RocksDB's statuses become our errors.
Error from_rocksdb(const rocksdb::Status& s, const std::string& what) {
  ErrorCode code = ErrorCode::io_error;
  if (is_no_space(s)) {
    code = ErrorCode::no_space;
  } else if (s.IsCorruption()) {
    code = ErrorCode::corruption;
  } else if (s.IsNotFound()) {
    code = ErrorCode::not_found;
  } else if (s.IsInvalidArgument()) {
    code = ErrorCode::invalid_argument;
  }
  return Error{code, what + ": " + s.ToString(), std::nullopt};
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}
void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void put_bytes(std::string& out, std::string_view b) {
  put_u32(out, static_cast<std::uint32_t>(b.size()));
  out.append(b.data(), b.size());
}

// The stream part of an `events` key ("stream 0x00"): the memtable keeps one
// insert hint per stream, so appending a stream's next version starts its
// skip-list search where the previous version went instead of at the top.
class StreamPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "journey.StreamPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* nul = std::memchr(key.data(), 0, key.size());
    return rocksdb::Slice(key.data(), static_cast<const char*>(nul) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), 0, key.size()) != nullptr;
  }
};

// The position an encoded envelope claims (bytes 1..8), or 0 if it is too short
// to say: readers use it to hide events whose WAL sync is still under way.
std::uint64_t stored_position(const rocksdb::Slice& envelope_bytes) {
  if (envelope_bytes.size() < 9) return 0;
  return get_u64(envelope_bytes.data() + 1);
}

std::string be64(std::uint64_t v) {
  std::string s;
  put_u64(s, v);
  return s;
}

std::string event_key(const std::string& stream, std::uint64_t version) {
  std::string k;
  k.reserve(stream.size() + 9);
  k.append(stream);
  k.push_back('\0');
  put_u64(k, version);
  return k;
}

// Bounds-checked reader over an encoded envelope.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool u8(std::uint8_t& v) {
    return take(1, [&](const char* p) { v = static_cast<std::uint8_t>(*p); });
  }
  bool u16(std::uint16_t& v) {
    return take(2, [&](const char* p) {
      v = static_cast<std::uint16_t>((static_cast<std::uint8_t>(p[0]) << 8) |
                                     static_cast<std::uint8_t>(p[1]));
    });
  }
  bool u32(std::uint32_t& v) {
    return take(4, [&](const char* p) {
      v = 0;
      for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
    });
  }
  bool u64(std::uint64_t& v) {
    return take(8, [&](const char* p) { v = get_u64(p); });
  }
  bool bytes(std::string& v) {
    std::uint32_t n = 0;
    if (!u32(n)) return false;
    return take(n, [&](const char* p) { v.assign(p, n); });
  }
  bool hash(Sha256& h) {
    return take(32, [&](const char* p) { std::memcpy(h.data(), p, 32); });
  }
  bool at_end() const { return off_ == b_.size(); }

 private:
  template <class F>
  bool take(std::size_t n, F f) {
    if (b_.size() - off_ < n) return false;
    f(b_.data() + off_);
    off_ += n;
    return true;
  }
  std::string_view b_;
  std::size_t off_ = 0;
};

// The rules a stream id keeps, at the entrance (append) and the exit
// (decode) alike: "" if it keeps them, else what is wrong.
std::string stream_id_problem(const std::string& s) {
  if (s.empty()) return "stream id is empty";
  if (s.size() > kMaxStreamIdBytes) return "stream id is longer than 200 bytes";
  if (s.find('\0') != std::string::npos) return "stream id contains a NUL byte";
  return "";
}

std::string describe_instant(TimePoint t) {
  return std::to_string(
             std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count()) +
         " s from 1970-01-01T00:00:00Z";
}

TimePoint from_us(std::uint64_t us) {
  return TimePoint(std::chrono::microseconds(static_cast<std::int64_t>(us)));
}
std::uint64_t to_us(TimePoint t) {
  return static_cast<std::uint64_t>(t.time_since_epoch().count());
}

}  // namespace

namespace envelope {

std::string encode(const RecordedEvent& e) {
  std::string out;
  out.reserve(64 + e.stream.str().size() + e.type.size() + e.actor.size() +
              e.idempotency_key.size() + e.payload.size() + 64);
  out.push_back(static_cast<char>(kFormat));
  put_u64(out, e.position.value);
  put_bytes(out, e.stream.str());
  put_u64(out, e.version.value);
  put_bytes(out, e.type);
  put_u16(out, e.schema_version);
  put_u64(out, to_us(e.recorded_at));
  put_u64(out, to_us(e.effective_at));
  put_bytes(out, e.actor);
  put_bytes(out, e.idempotency_key);
  put_bytes(out, e.payload);
  out.append(reinterpret_cast<const char*>(e.prev_hash.data()), 32);
  out.append(reinterpret_cast<const char*>(e.hash.data()), 32);
  return out;
}

Sha256 compute_hash(std::string_view encoded) {
  Sha256 h{};
  if (encoded.size() < 32) return h;
  unsigned int len = 0;
  EVP_Digest(encoded.data(), encoded.size() - 32, h.data(), &len, EVP_sha256(), nullptr);
  return h;
}

bool decode_into(std::string_view bytes, RecordedEvent& e, std::string* error) {
  Reader r(bytes);
  std::uint8_t format = 0;
  std::uint64_t rec = 0, eff = 0;
  if (!r.u8(format)) {
    if (error) *error = "envelope is empty";
    return false;
  }
  if (format != kFormat) {
    if (error) *error = "unknown envelope format " + std::to_string(format);
    return false;
  }
  // The stream id rarely changes between consecutive events: compare before copying.
  std::uint64_t position = 0;
  thread_local std::string stream;
  bool ok = r.u64(position) && r.bytes(stream) && r.u64(e.version.value) && r.bytes(e.type) &&
            r.u16(e.schema_version) && r.u64(rec) && r.u64(eff) && r.bytes(e.actor) &&
            r.bytes(e.idempotency_key) && r.bytes(e.payload) && r.hash(e.prev_hash) &&
            r.hash(e.hash) && r.at_end();
  if (!ok) {
    if (error) *error = "envelope is truncated or malformed";
    return false;
  }
  // The value domain the append path keeps (check_request): bytes outside
  // it were not written by this log, so they are damage, not an event.
  auto bad = [&](std::string why) {
    if (error) *error = "envelope " + why;
    return false;
  };
  if (position == 0) return bad("claims position 0");
  if (e.version.value == 0) return bad("claims stream version 0");
  if (auto p = stream_id_problem(stream); !p.empty()) return bad("has a bad " + p);
  if (e.type.empty()) return bad("has no type");
  if (e.actor.empty()) return bad("has no actor");
  const TimePoint recorded = from_us(rec), effective = from_us(eff);
  if (!in_instant_domain(recorded))
    return bad("has recorded_at " + describe_instant(recorded) + ", outside the years 0000-9999");
  if (!in_instant_domain(effective))
    return bad("has effective_at " + describe_instant(effective) + ", outside the years 0000-9999");
  e.position.value = position;
  if (e.stream.str() != stream) e.stream = StreamId(stream);
  e.recorded_at = recorded;
  e.effective_at = effective;
  return true;
}

Result<RecordedEvent> decode(std::string_view bytes) {
  RecordedEvent e;
  std::string error;
  if (!decode_into(bytes, e, &error)) return Error{ErrorCode::corruption, error, std::nullopt};
  return e;
}

}  // namespace envelope

namespace {

// One append waiting for its answer. For append() it lives on the caller's
// stack and the caller sleeps on `answered`: a POSIX semaphore, not a
// std::promise, since sem_post needs no allocation or call_once, and POSIX
// allows destroying the semaphore as soon as sem_wait returns, which is exactly
// what the caller does. For append_async() it is on the heap, `done` is set,
// and finish() calls it and deletes the Pending.
struct Pending {
  explicit Pending(AppendRequest r) : req(std::move(r)) { sem_init(&answered, 0, 0); }
  Pending(AppendRequest r, AppendCallback d) : req(std::move(r)), done(std::move(d)) {
    sem_init(&answered, 0, 0);
  }
  ~Pending() { sem_destroy(&answered); }
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;

  void wait() {
    while (sem_wait(&answered) != 0) {
      // EINTR: a signal arrived; keep waiting.
    }
  }
  void answer() { sem_post(&answered); }

  // Waking a thread costs the waker several microseconds here (an IPI in a
  // VM), so the syncer wakes only the first caller of a wave and every woken
  // caller wakes two more (a binary tree over `wave`) before returning. The
  // syncer is back at the next sync after one wakeup, and the wakeups of a
  // wave run on every core at once.
  void wake_children() {
    if (!wave) return;
    const auto& w = *wave;
    for (std::size_t child = 2 * index + 1; child <= 2 * index + 2 && child < w.size(); ++child) {
      w[child]->answer();  // the child cannot return before this: it is alive
    }
  }

  AppendRequest req;
  AppendCallback done;                          // append_async() only
  std::optional<Result<AppendResult>> outcome;  // decided by the writer
  sem_t answered;
  std::shared_ptr<const std::vector<Pending*>> wave;  // set by the syncer
  std::size_t index = 0;                              // in *wave
};

// A group the writer has written to the WAL (not yet synced), on its way to
// the syncer. `through` is the last position written by it or any group
// before it: once the WAL is synced up to there, every answer in the group
// rests on durable state.
struct WrittenGroup {
  std::vector<Pending*> requests;
  std::vector<std::pair<std::string, std::uint64_t>> heads;  // stream -> version after it
  std::uint64_t through = 0;
  std::uint64_t appends = 0;
  std::uint64_t events = 0;
};

class RocksDbSubscription;

class RocksDbEventLog final : public EventLog {
 public:
  RocksDbEventLog(const Clock& clock, std::size_t max_group)
      : clock_(clock), max_group_(max_group) {}

  ~RocksDbEventLog() override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    // The writer drains its queue, then tells the syncer to drain and stop.
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard<std::mutex> lock(sync_mu_);
      sync_stopping_ = true;  // the writer did this, unless it never started
    }
    sync_cv_.notify_one();
    if (syncer_.joinable()) syncer_.join();
    {
      std::lock_guard<std::mutex> lock(acked_mu_);
      acked_stopping_ = true;
    }
    acked_cv_.notify_all();
    if (acked_thread_.joinable()) acked_thread_.join();
    // Everything acknowledged is durable now: the exact head, for the next open.
    if (!acked_dir_.empty() && committed_.load() > acked_written_) write_acked(committed_.load());
    {
      std::lock_guard<std::mutex> lock(commit_mu_);
      closed_ = true;
    }
    commit_cv_.notify_all();
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    if (db_) {
      // Every group was synced (or failed) before the syncer stopped. After a
      // failed write or sync RocksDB allows no further operation on the WAL
      // file but closing it (its debug build asserts), so no final sync then.
      if (!failed_.load(std::memory_order_acquire) && read_only_.empty()) db_->FlushWAL(true);
      db_->Close();
      delete db_;
    }
  }

  // ---- the acknowledged position, outside RocksDB (see the header) ----

  static constexpr const char* kAckedFile = "ACKNOWLEDGED";
  static constexpr std::size_t kAckedBytes = 64;  // one fixed-size record, written in place

  // "journey-acked/1 <position> <crc>": the crc (a 64-bit FNV-1a of the text
  // before it) tells a torn or damaged record from a real one.
  static std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return h;
  }
  // Replaces the record whole: a temporary file, synced, renamed over the old
  // one, and the folder synced, so that a crash leaves the old record or the
  // new one, never a torn one.
  void write_acked(std::uint64_t position) {
    if (acked_dir_.empty()) return;
    std::string text = "journey-acked/1 " + std::to_string(position);
    text += " " + std::to_string(fnv1a(text)) + "\n";
    text.resize(kAckedBytes, ' ');
    const std::string tmp = (acked_dir_ / (std::string(kAckedFile) + ".tmp")).string();
    const std::string final_path = (acked_dir_ / kAckedFile).string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 &&
              ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fdatasync(fd) == 0;
    const int err = errno;
    if (fd >= 0) ::close(fd);
    ok = ok && ::rename(tmp.c_str(), final_path.c_str()) == 0;
    if (ok) {
      const int dfd = ::open(acked_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      ok = dfd >= 0 && ::fsync(dfd) == 0;
      if (dfd >= 0) ::close(dfd);
    }
    if (!ok) {
      rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, db_->GetDBOptions().info_log,
                   "journey: cannot record the acknowledged position %llu in %s: %s",
                   static_cast<unsigned long long>(position), final_path.c_str(),
                   std::strerror(err ? err : errno));
      return;
    }
    acked_written_ = position;
  }
  // The position recorded, 0 if there is no record; an unreadable one is
  // reported (never silently taken for 0).
  Result<std::uint64_t> read_acked(const std::filesystem::path& folder) {
    const std::string path = (folder / kAckedFile).string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return std::uint64_t{0};
    if (fd < 0)
      return Error{ErrorCode::io_error, "cannot read " + path + ": " + std::strerror(errno),
                   std::nullopt};
    char buf[kAckedBytes];
    const ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    const int read_errno = errno;
    ::close(fd);
    if (n < 0)
      return Error{ErrorCode::io_error, "cannot read " + path + ": " + std::strerror(read_errno),
                   std::nullopt};
    if (n == 0) return std::uint64_t{0};  // created, never written: no record
    const std::string text(buf, static_cast<std::size_t>(n));
    unsigned long long pos = 0, crc = 0;
    if (std::sscanf(text.c_str(), "journey-acked/1 %llu %llu", &pos, &crc) != 2 ||
        fnv1a("journey-acked/1 " + std::to_string(pos)) != crc)
      return Error{ErrorCode::corruption,
                   path + " (the last acknowledged position) is damaged: '" +
                       text.substr(0, text.find('\n')) + "'",
                   std::nullopt};
    return static_cast<std::uint64_t>(pos);
  }
  // Every kAckedEvery, the durable head if it moved: off the append path, so
  // what a crash can leave unchecked is at most that much of the newest acks.
  void acked_loop() {
    std::unique_lock<std::mutex> lock(acked_mu_);
    while (!acked_stopping_) {
      acked_cv_.wait_for(lock, kAckedEvery, [&] { return acked_stopping_; });
      const std::uint64_t head = committed_.load(std::memory_order_acquire);
      if (head > acked_written_) write_acked(head);
    }
  }

  // quiet: an attempt that may be retried logs only FATAL (see
  // open_rocksdb_event_log).
  Result<Unit> open(const RocksDbOptions& o, bool quiet = false) {
    rocksdb::Options options;
    options.create_if_missing = o.create_if_missing;
    options.create_missing_column_families = true;
    options.paranoid_checks = true;
    // Never RocksDB's own LOG file: on a full disk its PosixLogger asserted
    // and aborted the process (spdlog_rocksdb_logger.h).
    options.info_log = make_spdlog_rocksdb_logger("rocksdb " + o.path.filename().string());
    // Quiet for this attempt only: whatever open() returns, the log it leaves
    // open speaks as usual.
    struct Loud {
      std::shared_ptr<rocksdb::Logger> logger;
      ~Loud() {
        if (logger) logger->SetInfoLogLevel(rocksdb::InfoLogLevel::INFO_LEVEL);
      }
    } loud{quiet ? options.info_log : nullptr};
    if (quiet) options.info_log->SetInfoLogLevel(rocksdb::InfoLogLevel::FATAL_LEVEL);
    if (o.env != nullptr) {
      options.env = o.env;
    } else if (o.zero_filled_wal) {
      env_ = rocksdb::NewCompositeEnv(
          std::make_shared<ZeroFilledWalFileSystem>(rocksdb::FileSystem::Default()));
      options.env = env_.get();
    }
    // RocksDB keeps the pointer in its options: the guard lives as long as db_.
    gap_guard_ = std::make_unique<PositionGapGuard>("positions");
    options.wal_filter = gap_guard_.get();
    writer_syncs_alone_ = o.writer_syncs_alone;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(o.block_cache_bytes);
    // Streams are read whole and in order: bigger blocks, fewer block fetches.
    table.block_size = 16 << 10;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions cf_opts(options);
    cf_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // Memtable insert hints (the single writer makes them usable): per stream
    // in `events`; one for the whole of `positions`, whose keys only grow.
    rocksdb::ColumnFamilyOptions events_opts = cf_opts;
    events_opts.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamPrefix>();
    rocksdb::ColumnFamilyOptions positions_opts = cf_opts;
    positions_opts.memtable_insert_with_hint_prefix_extractor.reset(
        rocksdb::NewFixedPrefixTransform(0));

    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, cf_opts},
        {"events", events_opts},
        {"positions", positions_opts},
        {"idempotency", cf_opts},
    };
    std::error_code ec;
    if (o.create_if_missing && o.secondary_path.empty())
      std::filesystem::create_directories(o.path, ec);
    if (ec) {
      return Error{ErrorCode::io_error, "cannot create " + o.path.string() + ": " + ec.message(),
                   std::nullopt};
    }
    // A secondary reads the acknowledged record BEFORE it recovers: the writer
    // records a position only after syncing it, so everything the record
    // names is in the files the recovery then reads. (The other order could
    // meet a record written after the recovery and take it for a loss.)
    std::optional<Result<std::uint64_t>> acked_before;
    rocksdb::Status s;
    if (!o.secondary_path.empty()) {
      if (o.create_if_missing)
        return Error{ErrorCode::invalid_argument, "a secondary instance cannot create a log",
                     std::nullopt};
      if (!std::filesystem::exists(o.path / "CURRENT"))
        return Error{ErrorCode::not_found, "no event log at " + o.path.string(), std::nullopt};
      std::filesystem::create_directories(o.secondary_path, ec);
      if (ec) {
        return Error{ErrorCode::io_error,
                     "cannot create " + o.secondary_path.string() + ": " + ec.message(),
                     std::nullopt};
      }
      secondary_ = true;
      read_only_ = "the log was opened for reading beside its writer (a secondary instance)";
      acked_before = read_acked(o.path);
      // A secondary keeps every file open that it has read (max_open_files
      // -1 is required); it lives for one command.
      options.max_open_files = -1;
      s = rocksdb::DB::OpenAsSecondary(options, o.path.string(), o.secondary_path.string(), cfs,
                                       &handles_, &db_);
      // The open read the MANIFEST, then listed the WALs: a flush in between
      // (a new table file recorded, the old WAL purged) leaves the events of
      // that WAL in neither. Reading the MANIFEST again finds the new table
      // file; a gap that is still there is found below, and retried.
      if (s.ok()) s = db_->TryCatchUpWithPrimary();
    } else {
      s = rocksdb::DB::Open(options, o.path.string(), cfs, &handles_, &db_);
    }
    if (!s.ok() && !secondary_ && is_no_space(s) && std::filesystem::exists(o.path / "CURRENT")) {
      // Opening writes (a new WAL, a new MANIFEST): on a full disk it cannot.
      // Everything acknowledged is in the WAL and table files, which a
      // read-only open replays without writing: serve reads, refuse appends.
      const std::string why = s.ToString();
      handles_.clear();
      // A fresh guard: the failed open already replayed the WAL through the
      // old one, which would take the first record of this replay for a hole
      // (seen: a read-only open that showed none of the WAL's 16,431 events).
      gap_guard_ = std::make_unique<PositionGapGuard>("positions");
      options.wal_filter = gap_guard_.get();
      s = rocksdb::DB::OpenForReadOnly(options, o.path.string(), cfs, &handles_, &db_);
      if (s.ok())
        read_only_ = "the disk was full when the log was opened (" + why +
                     "): it serves reads only; free space, then restart";
    }
    if (!s.ok()) return from_rocksdb(s, "opening event log at " + o.path.string());
    events_ = handles_[1];
    positions_ = handles_[2];
    idempotency_ = handles_[3];
    if (!gap_guard_->stopped().empty()) {
      rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, db_->GetDBOptions().info_log, "journey: %s",
                   gap_guard_->stopped().c_str());
    }

    std::string tag;
    s = db_->Get(rocksdb::ReadOptions(), "format", &tag);
    if (s.IsNotFound() && !read_only_.empty()) {
      return Error{secondary_ ? ErrorCode::read_only : ErrorCode::no_space,
                   read_only_ + "; and it holds no format tag yet", std::nullopt};
    } else if (s.IsNotFound()) {
      rocksdb::WriteOptions w;
      w.sync = true;
      s = db_->Put(w, "format", kFormatTag);
      if (!s.ok()) return from_rocksdb(s, "writing format tag");
    } else if (!s.ok()) {
      return from_rocksdb(s, "reading format tag");
    } else if (tag != kFormatTag) {
      return Error{ErrorCode::corruption,
                   o.path.string() + " holds format '" + tag + "', expected '" + kFormatTag + "'",
                   std::nullopt};
    }
    if (read_only_.empty())
      if (auto retired = retire_idle_wals(o.path); !retired) return retired;

    // The gap guard cannot judge the first record it replays. If that record
    // does not follow what the table files hold, a hole swallowed the start of
    // the WAL: the log opens for verify() to name the gap, and refuses appends.
    if (gap_guard_->first_replayed() > 1) {
      const std::uint64_t before = gap_guard_->first_replayed() - 1;
      std::string key;
      s = db_->Get(rocksdb::ReadOptions(), positions_, be64(before), &key);
      if (s.IsNotFound()) {
        damaged_ = "the WAL replayed at open starts at position " + std::to_string(before + 1) +
                   ", but position " + std::to_string(before) +
                   " is not in the log: a hole in the unsynced tail of the last WAL before a "
                   "crash (events past it were never acknowledged)";
      } else if (!s.ok()) {
        return from_rocksdb(s, "reading the position before the replayed WAL");
      }
    }

    // Recover the chain's head: the last position and its hash.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), positions_));
    it->SeekToLast();
    if (it->Valid()) {
      // A log whose head cannot be read still opens, so that verify() can name
      // the damage; appends are refused until it is repaired.
      std::string value;
      last_position_ = get_u64(it->key().data());
      s = db_->Get(rocksdb::ReadOptions(), events_, it->value(), &value);
      if (!s.ok()) {
        damaged_ = "the last event (" + std::to_string(last_position_) +
                   ") cannot be read: " + s.ToString();
      } else if (auto last = envelope::decode(value); !last) {
        damaged_ =
            "the last event (" + std::to_string(last_position_) + ") " + last.error().message;
      } else {
        last_hash_ = last->hash;
      }
    } else if (!it->status().ok()) {
      return from_rocksdb(it->status(), "seeking the last event");
    }
    committed_.store(last_position_);
    written_.store(last_position_);
    synced_ = last_position_;

    // RocksDB's recovery stops silently at a damaged WAL record (point-in-time
    // recovery): what it replayed must reach what was acknowledged.
    auto acked = acked_before ? std::move(*acked_before) : read_acked(o.path);
    if (!acked && acked.error().code != ErrorCode::corruption)
      return acked.error();  // cannot tell: never guess "nothing was lost"
    if (!acked) {
      // The record itself is damaged: whether anything is missing is unknown.
      ack_record_problem_ = acked.error().message;
      if (damaged_.empty())
        damaged_ = ack_record_problem_ + "; check the log with verify, restore from a backup";
    } else if (*acked > last_position_) {
      missing_from_ = last_position_ + 1;
      missing_to_ = *acked;
      if (damaged_.empty())  // the first reason found stays the one reported
        damaged_ = "recovery ended at position " + std::to_string(last_position_) + ", but " +
                   std::to_string(*acked) + " events were acknowledged: events " +
                   std::to_string(missing_from_) + ".." + std::to_string(missing_to_) +
                   " are missing (a damaged WAL or table file); restore from a backup";
    }
    if (secondary_ && damaged_.empty()) {
      // RocksDB's secondary replay does not call the WAL filter, so the gap
      // guard has not looked: walk the position index (keys only) instead.
      std::unique_ptr<rocksdb::Iterator> p(db_->NewIterator(rocksdb::ReadOptions(), positions_));
      std::uint64_t expected = 1;
      for (p->SeekToFirst(); p->Valid() && damaged_.empty(); p->Next(), ++expected) {
        const std::uint64_t at = p->key().size() == 8 ? get_u64(p->key().data()) : 0;
        if (at != expected)
          damaged_ = "the reader found position " + std::to_string(expected) +
                     " missing (the next is " + std::to_string(at) +
                     "): the writer's files changed while it opened, or the log has a hole";
      }
      if (!p->status().ok()) return from_rocksdb(p->status(), "walking the position index");
    }
    // A reader that meets damage may have met the writer mid-change: the
    // factory opens it again, and only the last attempt opens it damaged.
    if (secondary_ && quiet && !damaged_.empty())
      return Error{ErrorCode::corruption, damaged_, std::nullopt};
    if (!damaged_.empty())
      rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, db_->GetDBOptions().info_log,
                   "journey: the log opens damaged: %s", damaged_.c_str());
    if (read_only_.empty() && damaged_.empty()) {
      acked_dir_ = o.path;
      const bool fresh = !std::filesystem::exists(o.path / kAckedFile);
      acked_written_ = acked.value();
      if (fresh || last_position_ > acked_written_) write_acked(last_position_);
      acked_thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "journey-acked");
        acked_loop();
      });
    }
    // Named for top -H, perf and gdb (at most 15 characters).
    syncer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "journey-syncer");
      sync_loop();
    });
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "journey-writer");
      write_loop();
    });
    return Unit{};
  }

  // RocksDB 7.8 keeps a WAL file until every column family has flushed past
  // it, and an open that recovers nothing moves no family on: every open that
  // writes nothing (each read-only journeyctl command) leaves one empty WAL
  // file behind, which every later open lists and replays. Past a few, one
  // flush of the default family (the format tag, rewritten) makes RocksDB move
  // the families with nothing unflushed to the new WAL and delete the rest.
  // (GetSortedWalFiles() does not list empty WAL files: the folder does.)
  Result<Unit> retire_idle_wals(const std::filesystem::path& folder) {
    constexpr std::size_t kWalsKept = 4;
    std::size_t wals = 0;
    std::error_code ec;
    for (std::filesystem::directory_iterator f(folder, ec), end; !ec && f != end; f.increment(ec))
      if (f->path().extension() == ".log") ++wals;
    if (ec)
      return Error{ErrorCode::io_error, "listing " + folder.string() + ": " + ec.message(),
                   std::nullopt};
    if (wals <= kWalsKept) return Unit{};
    rocksdb::WriteOptions w;
    w.sync = true;
    rocksdb::Status s = db_->Put(w, "format", kFormatTag);
    if (s.ok()) s = db_->Flush(rocksdb::FlushOptions(), handles_[0]);
    // Housekeeping, not the open's purpose: a full disk must not keep an
    // auditor from reading the log. Appends report such trouble themselves.
    if (!s.ok()) {
      rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, db_->GetDBOptions().info_log,
                   "journey: could not retire %zu WAL files: %s", wals, s.ToString().c_str());
    }
    return Unit{};
  }

  Result<AppendResult> append(AppendRequest req) override {
    if (auto bad = refuse_at_once(req)) return *bad;
    Pending pending(std::move(req));
    if (auto closed = enqueue(&pending)) return *closed;
    pending.wait();
    pending.wake_children();
    return std::move(*pending.outcome);
  }

  void append_async(AppendRequest req, AppendCallback done) override {
    if (auto bad = refuse_at_once(req)) return done(std::move(*bad));
    auto pending = std::make_unique<Pending>(std::move(req), std::move(done));
    if (auto closed = enqueue(pending.get())) return pending->done(std::move(*closed));
    pending.release();  // owned by the pipeline until finish() answers it
  }

  Result<std::vector<RecordedEvent>> read_stream(const StreamId& stream, StreamVersion from,
                                                 std::size_t max_count) override {
    std::vector<RecordedEvent> out;
    std::string upper = stream.str();
    upper.push_back('\1');
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    const std::uint64_t durable = committed_.load(std::memory_order_acquire);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
    for (it->Seek(event_key(stream.str(), from.value)); it->Valid() && out.size() < max_count;
         it->Next()) {
      auto e = envelope::decode(std::string_view(it->value().data(), it->value().size()));
      if (!e) return e.error();
      if (e->position.value > durable) break;  // written, not yet synced: not visible
      out.push_back(std::move(e.value()));
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading stream " + stream.str());
    return out;
  }

  Result<Unit> visit_stream(const StreamId& stream, StreamVersion from,
                            const std::function<void(const RecordedEvent&)>& f) override {
    std::string upper = stream.str();
    upper.push_back('\1');
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    const std::uint64_t durable = committed_.load(std::memory_order_acquire);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
    RecordedEvent e;
    std::string error;
    for (it->Seek(event_key(stream.str(), from.value)); it->Valid(); it->Next()) {
      if (!envelope::decode_into(std::string_view(it->value().data(), it->value().size()), e,
                                 &error)) {
        return Error{ErrorCode::corruption, stream.str() + ": " + error, std::nullopt};
      }
      if (e.position.value > durable) break;  // written, not yet synced: not visible
      f(e);
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading stream " + stream.str());
    return Unit{};
  }

  Result<std::vector<RecordedEvent>> read_all(GlobalPosition from, std::size_t max_count) override {
    std::vector<std::string> keys;
    std::vector<std::uint64_t> positions;
    const std::uint64_t durable = committed_.load(std::memory_order_acquire);
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), positions_));
      for (it->Seek(be64(from.value)); it->Valid() && keys.size() < max_count; it->Next()) {
        // The index is gapless: a malformed key (verify names it) stands
        // where the next position would, so no reader's cursor goes back.
        const std::uint64_t pos = it->key().size() == 8 ? get_u64(it->key().data())
                                  : positions.empty()   ? std::max<std::uint64_t>(from.value, 1)
                                                        : positions.back() + 1;
        if (pos > durable) break;
        keys.push_back(it->value().ToString());
        positions.push_back(pos);
      }
      if (!it->status().ok()) return from_rocksdb(it->status(), "reading the log");
    }
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<std::string> values(keys.size());
    std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), events_);
    auto statuses = db_->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
    std::vector<RecordedEvent> out;
    out.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      // One damaged event must not stop the readers of the whole log: it is
      // passed on marked, named by the index (see EventLog::read_all).
      std::string damage;
      RecordedEvent e;
      if (statuses[i].IsCorruption() || statuses[i].IsNotFound()) {
        damage = statuses[i].IsNotFound() ? "the event the position index names is missing"
                                          : "the event cannot be read: " + statuses[i].ToString();
      } else if (!statuses[i].ok()) {
        return from_rocksdb(statuses[i], "reading an event of the log");
      } else if (!envelope::decode_into(values[i], e, &damage)) {
        // `damage` says why
      } else if (e.position.value != positions[i]) {
        damage = "the event claims position " + std::to_string(e.position.value);
      } else if (event_key(e.stream.str(), e.version.value) != keys[i]) {
        damage = "the event is filed under another stream or version";
      }
      if (!damage.empty()) {
        e = RecordedEvent{};
        e.position.value = positions[i];
        e.damage = "event " + std::to_string(positions[i]) + ": " + damage;
        if (keys[i].size() > 9 && keys[i][keys[i].size() - 9] == '\0') {
          e.stream = StreamId(keys[i].substr(0, keys[i].size() - 9));
          e.version.value = get_u64(keys[i].data() + keys[i].size() - 8);
        }
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<StreamVersion> stream_version(const StreamId& stream) override {
    return durable_head(stream.str());
  }

  Result<std::optional<AppendResult>> find_idempotency_key(const std::string& key) override {
    const std::uint64_t durable = committed_.load(std::memory_order_acquire);
    Error err{ErrorCode::io_error, "", std::nullopt};
    auto found = find_idempotent(key, &err);
    if (!err.message.empty()) return err;
    // An append still waiting for its sync is not known yet; a retry with the
    // key reaches the writer, which answers it once that sync is done.
    if (found && found->last_position.value > durable) return std::optional<AppendResult>();
    return found;
  }

  Result<std::vector<StreamId>> list_streams(const std::string& prefix) override {
    std::vector<StreamId> out;
    const std::uint64_t durable = committed_.load(std::memory_order_acquire);
    // A walk over every stream: its blocks are not what readers want cached.
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
    it->Seek(prefix);
    while (it->Valid()) {
      std::string_view key(it->key().data(), it->key().size());
      if (key.substr(0, prefix.size()) != prefix) break;
      auto nul = key.find('\0');
      std::string name(key.substr(0, nul));
      // A stream whose first event is not synced yet does not exist for readers.
      if (stored_position(it->value()) <= durable) out.emplace_back(name);
      // Skip the rest of this stream: seek past name 0x00 0xff...
      std::string next = name;
      next.push_back('\1');
      it->Seek(next);
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "listing streams");
    return out;
  }

  GlobalPosition head() const override { return GlobalPosition{committed_.load()}; }

  std::unique_ptr<Subscription> subscribe(GlobalPosition from, EventHandler handler) override;

  Result<VerifyReport> verify() override {
    VerifyReport report;
    Sha256 prev{};
    std::uint64_t expected = 1;
    // One consistent view of the store while appends go on. Events written but
    // not yet synced, (durable, written], are not part of the log yet; every
    // other stored event must be reachable from the position index.
    const std::uint64_t durable = committed_.load(std::memory_order_acquire);
    // A secondary has no snapshots (RocksDB refuses them), and needs none:
    // it changes only when TryCatchUpWithPrimary runs, which it never does
    // during a verify.
    std::optional<rocksdb::ManagedSnapshot> snapshot;
    if (!secondary_) snapshot.emplace(db_);
    const std::uint64_t written = written_.load(std::memory_order_acquire);
    rocksdb::ReadOptions ro;
    if (snapshot) ro.snapshot = snapshot->snapshot();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, positions_));
    auto bad = [&](std::uint64_t pos, std::string why) {
      report.first_bad = GlobalPosition{pos};
      report.problem = std::move(why);
      return report;
    };
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
      if (it->key().size() != 8) return bad(expected, "position index key is malformed");
      std::uint64_t pos = get_u64(it->key().data());
      if (pos > durable) break;
      if (pos != expected) {
        return bad(expected, "event " + std::to_string(expected) + " is missing (next is " +
                                 std::to_string(pos) + ")");
      }
      std::string value;
      auto s = db_->Get(ro, events_, it->value(), &value);
      if (s.IsNotFound()) return bad(pos, "the event the position index names is missing");
      if (s.IsCorruption()) return bad(pos, "the event cannot be read: " + s.ToString());
      if (!s.ok()) return from_rocksdb(s, "reading event " + std::to_string(pos));
      auto e = envelope::decode(value);
      if (!e) return bad(pos, e.error().message);
      if (e->position.value != pos)
        return bad(pos, "the event claims position " + std::to_string(e->position.value));
      if (event_key(e->stream.str(), e->version.value) != it->value().ToString()) {
        return bad(pos, "the event is filed under another stream or version");
      }
      if (e->prev_hash != prev)
        return bad(pos, "prev_hash does not match the previous event's hash");
      if (envelope::compute_hash(value) != e->hash)
        return bad(pos, "hash does not match the event's bytes");
      prev = e->hash;
      report.events_checked = pos;
      report.head_hash = prev;
    }
    if (!it->status().ok()) {
      if (it->status().IsCorruption())
        return bad(expected, "the position index cannot be read: " + it->status().ToString());
      return from_rocksdb(it->status(), "walking the log");
    }
    // Every stored event must be reachable from the position index.
    std::uint64_t stored = 0;
    std::unique_ptr<rocksdb::Iterator> all(db_->NewIterator(ro, events_));
    for (all->SeekToFirst(); all->Valid(); all->Next()) {
      const std::uint64_t pos = stored_position(all->value());
      if (pos <= durable || pos > written) ++stored;
    }
    if (!all->status().ok()) {
      report.problem = "the events cannot all be read: " + all->status().ToString();
      return report;
    }
    if (stored != report.events_checked) {
      report.problem = std::to_string(stored) + " events are stored but " +
                       std::to_string(report.events_checked) + " are indexed";
    } else if (!ack_record_problem_.empty()) {
      report.problem =
          "cannot tell whether acknowledged events are missing: " + ack_record_problem_;
    } else if (missing_to_ != 0) {
      return bad(missing_from_, "events " + std::to_string(missing_from_) + ".." +
                                    std::to_string(missing_to_) +
                                    " were acknowledged but are not in the log: " + damaged_);
    }
    return report;
  }

  // rocksdb::Checkpoint: table files hard-linked (copied across file
  // systems), the MANIFEST and the live WAL copied, memtables flushed first;
  // one consistent sequence number. The backup's ACKNOWLEDGED holds the
  // durable head read before the checkpoint, which the checkpoint contains.
  Result<BackupReport> backup(const std::filesystem::path& dir) override {
    if (secondary_)
      return Error{ErrorCode::read_only, "a backup needs the log's writer: " + read_only_,
                   std::nullopt};
    if (std::filesystem::exists(dir))
      return Error{ErrorCode::invalid_argument, dir.string() + " exists already; name a new folder",
                   std::nullopt};
    const std::uint64_t head = committed_.load(std::memory_order_acquire);
    rocksdb::Checkpoint* raw = nullptr;
    auto s = rocksdb::Checkpoint::Create(db_, &raw);
    if (!s.ok()) return from_rocksdb(s, "preparing a backup");
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    s = checkpoint->CreateCheckpoint(dir.string());
    if (!s.ok()) return from_rocksdb(s, "backing up to " + dir.string());
    const int fd =
        ::open((dir / kAckedFile).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    std::string text = "journey-acked/1 " + std::to_string(head);
    text += " " + std::to_string(fnv1a(text)) + "\n";
    text.resize(kAckedBytes, ' ');
    const bool ok = fd >= 0 &&
                    ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                    ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok)
      return Error{ErrorCode::io_error,
                   "writing " + (dir / kAckedFile).string() + ": " + std::strerror(errno),
                   std::nullopt};
    return BackupReport{dir, GlobalPosition{head}};
  }

  LogStats stats() const override {
    LogStats st{appends_.load(), events_written_.load(), syncs_.load(), {}};
    if (!read_only_.empty()) {
      st.writes_refused = read_only_;
    } else if (!damaged_.empty()) {
      st.writes_refused = "the event log is damaged: " + damaged_;
    } else if (failed_.load(std::memory_order_acquire)) {
      st.writes_refused = failure().message;
    }
    return st;
  }

  // For subscriptions: wait until the committed head passes `after` or the log closes.
  bool wait_for_commit(std::uint64_t after, const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(commit_mu_);
    commit_cv_.wait_for(lock, std::chrono::milliseconds(200),
                        [&] { return committed_.load() > after || closed_ || stop.load(); });
    return !closed_;
  }
  void wake_subscribers() {
    { std::lock_guard<std::mutex> lock(commit_mu_); }
    commit_cv_.notify_all();
  }

 private:
  std::optional<Error> check_request(const AppendRequest& req) const {
    auto invalid = [](std::string m) {
      return Error{ErrorCode::invalid_argument, std::move(m), std::nullopt};
    };
    if (auto p = stream_id_problem(req.stream.str()); !p.empty()) return invalid(p);
    if (req.events.empty()) return invalid("append has no events");
    for (std::size_t i = 0; i < req.events.size(); ++i) {
      if (req.events[i].type.empty()) return invalid("event " + std::to_string(i) + " has no type");
      if (req.events[i].actor.empty())
        return invalid("event " + std::to_string(i) + " has no actor");
      if (!in_instant_domain(req.events[i].effective_at)) {
        return invalid("event " + std::to_string(i) + " has effective_at " +
                       describe_instant(req.events[i].effective_at) +
                       ", outside the years 0000-9999");
      }
    }
    return std::nullopt;
  }

  // The stream's version as readers may see it: only synced events count.
  Result<StreamVersion> durable_head(const std::string& stream) {
    const std::uint64_t durable = committed_.load(std::memory_order_acquire);
    {
      std::lock_guard<std::mutex> lock(heads_mu_);
      auto it = heads_.find(stream);
      if (it != heads_.end()) return StreamVersion{it->second};
    }
    return head_in_store(stream, durable);
  }

  // The stream's version as the writer sees it: every event it has written,
  // synced or not. Writer thread only. A stream absent from writer_heads_ has
  // nothing in flight, so the store's answer is the whole truth for it.
  Result<StreamVersion> writer_head(const std::string& stream) {
    auto it = writer_heads_.find(stream);
    if (it != writer_heads_.end()) return StreamVersion{it->second};
    return head_in_store(stream, UINT64_MAX);
  }

  // The highest version of `stream` whose event has a position <= max_position.
  Result<StreamVersion> head_in_store(const std::string& stream, std::uint64_t max_position) {
    std::string upper = stream;
    upper.push_back('\1');
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
    for (it->SeekForPrev(upper); it->Valid(); it->Prev()) {
      auto key = it->key();
      if (key.size() != stream.size() + 9 ||
          std::memcmp(key.data(), stream.data(), stream.size()) != 0 ||
          key[stream.size()] != '\0') {
        break;  // another stream: this one is empty
      }
      if (stored_position(it->value()) <= max_position) {
        return StreamVersion{get_u64(key.data() + stream.size() + 1)};
      }
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading the head of " + stream);
    return StreamVersion{0};
  }

  std::optional<AppendResult> find_idempotent(const std::string& key, Error* err) {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), idempotency_, key, &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) {
      *err = from_rocksdb(s, "reading idempotency key");
      return std::nullopt;
    }
    if (value.size() < 32) {
      *err = Error{ErrorCode::corruption, "idempotency record is malformed", std::nullopt};
      return std::nullopt;
    }
    AppendResult r;
    r.first_position.value = get_u64(value.data());
    r.last_position.value = get_u64(value.data() + 8);
    r.first_version.value = get_u64(value.data() + 16);
    r.last_version.value = get_u64(value.data() + 24);
    r.stream = StreamId(value.substr(32));
    r.duplicate = true;
    return r;
  }

  // The error every append gets once a write or sync of the WAL has failed.
  Error failure() const {
    std::lock_guard<std::mutex> lock(failure_mu_);
    // A full disk stays a full disk (the API's 507), whatever came after it.
    return Error{failure_code_,
                 "the event log refuses appends since a write or sync of its write-ahead log "
                 "failed (" +
                     failure_message_ + "); restart to recover",
                 std::nullopt};
  }
  // The refusals that need no trip to the writer.
  std::optional<Error> refuse_at_once(const AppendRequest& req) {
    if (auto bad = check_request(req)) return bad;
    if (!damaged_.empty()) {
      return Error{ErrorCode::corruption,
                   "the event log is damaged, appends are refused: " + damaged_ + " (run verify)",
                   std::nullopt};
    }
    if (!read_only_.empty())
      return Error{secondary_ ? ErrorCode::read_only : ErrorCode::no_space, read_only_,
                   std::nullopt};
    if (failed_.load(std::memory_order_acquire)) return failure();
    return std::nullopt;
  }

  // Queues a request for the writer, unless the log is closing.
  std::optional<Error> enqueue(Pending* p) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (stopping_) return Error{ErrorCode::closed, "the event log is closing", std::nullopt};
      queue_.push_back(p);
    }
    queue_cv_.notify_one();
    return std::nullopt;
  }

  // Stops all appends; the first reason is kept. Writer or whoever runs finish().
  void poison(const std::string& why, ErrorCode code = ErrorCode::io_error) {
    std::lock_guard<std::mutex> lock(failure_mu_);
    if (failed_.load(std::memory_order_relaxed)) return;
    failure_message_ = why;
    failure_code_ = code == ErrorCode::no_space ? code : ErrorCode::io_error;
    failed_.store(true, std::memory_order_release);
  }

  // Writer thread: take every queued request (up to max_group), decide and
  // write them as one batch, hand the group to the syncer, repeat. It never
  // waits for a sync, so the next group is built while the last one syncs.
  void write_loop() {
    std::vector<Pending*> group;
    for (;;) {
      group.clear();
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) break;  // stopping and drained
        while (!queue_.empty() && group.size() < max_group_) {
          group.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      write_group(group);
    }
    {
      std::lock_guard<std::mutex> lock(sync_mu_);
      sync_stopping_ = true;
    }
    sync_cv_.notify_one();
  }

  void write_group(const std::vector<Pending*>& group) {
    auto written = std::make_unique<WrittenGroup>();
    written->requests = group;
    if (failed_.load(std::memory_order_acquire)) {
      for (Pending* p : group) p->outcome = failure();
      written->through = last_position_;
      hand_to_syncer(std::move(written));
      return;
    }
    rocksdb::WriteBatch batch;
    std::uint64_t pos = last_position_;
    Sha256 prev = last_hash_;
    std::unordered_map<std::string, std::uint64_t> group_heads;
    std::unordered_map<std::string, AppendResult> group_keys;
    const TimePoint now = clock_.now();
    std::uint64_t events_in_batch = 0, appends_in_batch = 0;

    for (std::size_t i = 0; i < group.size(); ++i) {
      AppendRequest& req = group[i]->req;
      auto& outcome = group[i]->outcome;
      const std::string& stream = req.stream.str();
      if (!in_instant_domain(now)) {  // what it stamps would not decode
        outcome = Error{ErrorCode::invalid_argument,
                        "the log's clock reads " + describe_instant(now) +
                            ", outside the years 0000-9999; appends are refused",
                        std::nullopt};
        continue;
      }
      if (!req.idempotency_key.empty()) {
        auto k = group_keys.find(req.idempotency_key);
        if (k != group_keys.end()) {
          AppendResult dup = k->second;
          dup.duplicate = true;
          outcome = dup;
          continue;
        }
        // Sees groups still waiting for their sync too: the answer waits for it.
        Error err{ErrorCode::io_error, "", std::nullopt};
        if (auto first = find_idempotent(req.idempotency_key, &err)) {
          outcome = *first;
          continue;
        }
        if (!err.message.empty()) {
          outcome = err;
          continue;
        }
      }
      std::uint64_t current = 0;
      if (auto g = group_heads.find(stream); g != group_heads.end()) {
        current = g->second;
      } else {
        auto h = writer_head(stream);
        if (!h) {
          outcome = h.error();
          continue;
        }
        current = h->value;
      }
      if (!req.expected.is_any() && req.expected.value().value != current) {
        outcome = Error{ErrorCode::wrong_expected_version,
                        "stream " + stream + " is at version " + std::to_string(current) +
                            ", expected " + std::to_string(req.expected.value().value),
                        current};
        continue;
      }
      AppendResult r;
      r.stream = req.stream;
      r.first_version.value = current + 1;
      r.first_position.value = pos + 1;
      for (auto& ne : req.events) {
        RecordedEvent e;
        e.position.value = ++pos;
        e.stream = req.stream;
        e.version.value = ++current;
        e.type = std::move(ne.type);
        e.schema_version = ne.schema_version;
        e.payload = std::move(ne.payload);
        e.recorded_at = now;
        e.effective_at = ne.effective_at;
        e.actor = std::move(ne.actor);
        e.idempotency_key = req.idempotency_key;
        e.prev_hash = prev;
        std::string bytes = envelope::encode(e);
        e.hash = envelope::compute_hash(bytes);
        std::memcpy(bytes.data() + bytes.size() - 32, e.hash.data(), 32);
        prev = e.hash;
        std::string key = event_key(stream, e.version.value);
        batch.Put(events_, key, bytes);
        batch.Put(positions_, be64(e.position.value), key);
        ++events_in_batch;
      }
      r.last_version.value = current;
      r.last_position.value = pos;
      if (!req.idempotency_key.empty()) {
        std::string v = be64(r.first_position.value) + be64(r.last_position.value) +
                        be64(r.first_version.value) + be64(r.last_version.value) + stream;
        batch.Put(idempotency_, req.idempotency_key, v);
        group_keys[req.idempotency_key] = r;
      }
      group_heads[stream] = current;
      outcome = r;
      ++appends_in_batch;
    }

    if (batch.Count() > 0) {
      // Into the WAL (a write(2), no fsync) and the memtables. Readers do not
      // see these events until the syncer has synced the WAL past them.
      rocksdb::WriteOptions w;
      w.sync = false;
      // Before the write, as an upper bound: verify() takes a snapshot and then
      // reads written_, and must not count this batch as orphans if the
      // snapshot has it.
      written_.store(pos, std::memory_order_release);
      rocksdb::Status s = db_->Write(w, &batch);
      if (!s.ok()) {
        // Every answer of the group was decided on the group's own writes too
        // (a refusal may rest on an earlier request of it), and a failed write
        // may have left part of a WAL record behind that a later sync would make
        // durable under positions handed out again. So the whole group fails and
        // the log stops taking appends, as after a failed sync.
        Error err = from_rocksdb(s, "appending to the event log");
        poison(err.message, err.code);
        for (Pending* p : group) p->outcome = err;
      } else {
        last_position_ = pos;
        last_hash_ = prev;
        written->heads.reserve(group_heads.size());
        for (auto& [stream, v] : group_heads) {
          writer_heads_[stream] = v;
          written->heads.emplace_back(stream, v);
        }
        written->appends = appends_in_batch;
        written->events = events_in_batch;
      }
    }
    written->through = last_position_;
    hand_to_syncer(std::move(written));
  }

  void hand_to_syncer(std::unique_ptr<WrittenGroup> written) {
    // Alone in the pipeline (nothing in flight, nobody queued behind it): a
    // hop to the syncer would only add a thread wakeup to this caller's
    // latency, so the writer syncs and answers itself. The syncer is idle and
    // stays idle until the next hand-off, so finish() never runs twice at once.
    if (writer_syncs_alone_ && in_flight_.load(std::memory_order_acquire) == 0 &&
        written->requests.size() == 1) {
      bool alone = false;
      {
        std::lock_guard<std::mutex> lock(queue_mu_);
        alone = queue_.empty();
      }
      if (alone) {
        std::vector<std::unique_ptr<WrittenGroup>> groups;
        groups.push_back(std::move(written));
        finish(groups);
        return;
      }
    }
    in_flight_.fetch_add(1, std::memory_order_acq_rel);
    {
      std::lock_guard<std::mutex> lock(sync_mu_);
      sync_queue_.push_back(std::move(written));
    }
    sync_cv_.notify_one();
  }

  // Syncer thread: take every written group, sync and answer them at once.
  void sync_loop() {
    std::vector<std::unique_ptr<WrittenGroup>> groups;
    for (;;) {
      groups.clear();
      {
        std::unique_lock<std::mutex> lock(sync_mu_);
        sync_cv_.wait(lock, [&] { return sync_stopping_ || !sync_queue_.empty(); });
        if (sync_queue_.empty()) return;  // the writer has stopped and all is answered
        groups.swap(sync_queue_);
      }
      const auto n = static_cast<int>(groups.size());
      finish(groups);
      in_flight_.fetch_sub(n, std::memory_order_acq_rel);
    }
  }

  // Sync the WAL once for all of `groups` (in write order), publish the new
  // durable head, then answer their callers. A failed sync fails every group
  // not yet durable and every append after it: their events are in the
  // memtables, so the chain cannot safely go on from there.
  void finish(std::vector<std::unique_ptr<WrittenGroup>>& groups) {
    const std::uint64_t target = groups.back()->through;
    if (target > synced_ && !failed_.load(std::memory_order_acquire)) {
      rocksdb::Status s = db_->SyncWAL();
      if (s.ok()) {
        synced_ = target;
        syncs_.fetch_add(1);
      } else {
        const Error err = from_rocksdb(s, "syncing the write-ahead log");
        poison(err.message, err.code);
      }
    }
    // The durable head moves before the stream heads: a reader may then see an
    // event whose version stream_version() does not report yet (an ETag too old:
    // a harmless 412), never a version whose event it cannot read.
    const bool advanced = synced_ > committed_.load(std::memory_order_relaxed);
    if (advanced) {
      std::lock_guard<std::mutex> lock(commit_mu_);
      committed_.store(synced_, std::memory_order_release);
    }
    std::uint64_t appends = 0, events = 0;
    {
      std::lock_guard<std::mutex> lock(heads_mu_);
      for (auto& g : groups) {
        if (g->through > synced_) break;
        for (auto& [stream, v] : g->heads) heads_[stream] = v;
        appends += g->appends;
        events += g->events;
      }
    }
    appends_.fetch_add(appends);
    events_written_.fetch_add(events);
    if (advanced) commit_cv_.notify_all();
    auto wave = std::make_shared<std::vector<Pending*>>();
    std::vector<Pending*> callbacks;  // append_async(), in write order
    for (auto& g : groups) {
      const bool durable = g->through <= synced_;
      for (Pending* p : g->requests) {
        if (!durable) p->outcome = failure();
        if (p->done) {
          callbacks.push_back(p);
          continue;
        }
        p->index = wave->size();
        p->wave = wave;
        wave->push_back(p);
      }
    }
    // The first caller wakes the rest (Pending::wake_children). A caller may
    // return as soon as it is woken: touch no Pending of the wave after this.
    if (!wave->empty()) (*wave)[0]->answer();
    // Sleeping callers first: a callback may take a while, they need not wait.
    for (Pending* p : callbacks) {
      std::unique_ptr<Pending> owned(p);
      // A throwing callback breaks its contract: terminate here, not later.
      [&]() noexcept { owned->done(std::move(*owned->outcome)); }();
    }
  }

  const Clock& clock_;
  const std::size_t max_group_;
  // Outlive db_, which the destructor's body deletes before members go.
  std::unique_ptr<rocksdb::Env> env_;  // with the zero-filled WAL, if asked for
  std::unique_ptr<PositionGapGuard> gap_guard_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* positions_ = nullptr;
  rocksdb::ColumnFamilyHandle* idempotency_ = nullptr;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  std::thread writer_;

  std::string damaged_;     // set at open: the head cannot be read, or a hole was replayed
  std::string read_only_;   // set at open: the disk was full, the folder opened read-only
  bool secondary_ = false;  // opened as a secondary instance (read_only_ says so)
  // Acknowledged but not recovered at open: verify() names the range.
  std::uint64_t missing_from_ = 0, missing_to_ = 0;
  std::string ack_record_problem_;  // the ACKNOWLEDGED record does not check
  // The ACKNOWLEDGED file: written by acked_thread_ (and at close), never by appends.
  static constexpr std::chrono::milliseconds kAckedEvery{50};
  std::filesystem::path acked_dir_;  // empty: no record is kept (read-only, damaged)
  std::uint64_t acked_written_ = 0;  // GUARDED_BY(acked_mu_) once acked_thread_ runs
  std::mutex acked_mu_;
  std::condition_variable acked_cv_;
  bool acked_stopping_ = false;  // GUARDED_BY(acked_mu_)
  std::thread acked_thread_;

  // Owned by the writer thread: the log as written, synced or not.
  std::uint64_t last_position_ = 0;
  Sha256 last_hash_{};
  std::unordered_map<std::string, std::uint64_t> writer_heads_;

  // Writer -> syncer.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<std::unique_ptr<WrittenGroup>> sync_queue_;
  bool sync_stopping_ = false;
  std::thread syncer_;
  // The last position written to the WAL (synced or not), for verify().
  std::atomic<std::uint64_t> written_{0};
  bool writer_syncs_alone_ = true;  // RocksDbOptions::writer_syncs_alone
  // Groups handed to the syncer and not yet answered.
  std::atomic<int> in_flight_{0};
  // Owned by whichever thread runs finish(): the syncer, or the writer while
  // nothing is in flight (see hand_to_syncer).
  std::uint64_t synced_ = 0;
  // Set once (poison()), by the writer or whoever runs finish(); read by all.
  mutable std::mutex failure_mu_;
  std::string failure_message_;
  std::atomic<bool> failed_{false};
  ErrorCode failure_code_ = ErrorCode::io_error;  // GUARDED_BY(failure_mu_)

  // Durable stream heads, for readers.
  std::mutex heads_mu_;
  std::unordered_map<std::string, std::uint64_t> heads_;

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::atomic<std::uint64_t> committed_{0};
  bool closed_ = false;

  std::atomic<std::uint64_t> appends_{0}, events_written_{0}, syncs_{0};
};

class RocksDbSubscription final : public Subscription {
 public:
  RocksDbSubscription(RocksDbEventLog& log, GlobalPosition from, EventHandler handler)
      : log_(log), handler_(std::move(handler)), next_(from.value == 0 ? 1 : from.value) {
    thread_ = std::thread([this] { run(); });
  }
  ~RocksDbSubscription() override {
    stop_.store(true);
    log_.wake_subscribers();
    thread_.join();
  }
  GlobalPosition delivered() const override { return GlobalPosition{delivered_.load()}; }

 private:
  void run() {
    while (!stop_.load()) {
      auto batch = log_.read_all(GlobalPosition{next_}, 1024);
      if (batch && !batch->empty()) {
        for (const auto& e : *batch) {
          if (stop_.load()) return;
          handler_(e);
          delivered_.store(e.position.value);
          next_ = e.position.value + 1;
        }
        continue;
      }
      if (!log_.wait_for_commit(next_ - 1, stop_)) return;
    }
  }

  RocksDbEventLog& log_;
  EventHandler handler_;
  std::uint64_t next_;
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::unique_ptr<Subscription> RocksDbEventLog::subscribe(GlobalPosition from,
                                                         EventHandler handler) {
  return std::make_unique<RocksDbSubscription>(*this, from, std::move(handler));
}

}  // namespace

Result<std::unique_ptr<EventLog>> open_rocksdb_event_log(const RocksDbOptions& options,
                                                         const Clock& clock) {
  // A secondary reads the writer's files while the writer changes them:
  //  - with the WAL filled with zeros ahead of the writer, the reader can take
  //    a record's first fragment for zeros and meet its next fragment once
  //    written, which RocksDB reports as corruption ("missing start of
  //    fragmented record"; seen in 5 of 200 opens under a busy writer, each
  //    time gone at the first retry);
  //  - a flush or compaction can delete a file the reader was about to read
  //    (an I/O error or not found), or a WAL it had not listed yet (a gap in
  //    the positions, or fewer events than were acknowledged: open() returns
  //    that as an error while it is quiet).
  // Each is past what the reader must show, or gone at the next attempt.
  // Real damage fails every attempt and is reported as it is by the last
  // one, which alone logs RocksDB's warnings and opens damaged.
  constexpr int kSecondaryAttempts = 8;
  for (int attempt = 1;; ++attempt) {
    const bool last = options.secondary_path.empty() || attempt == kSecondaryAttempts;
    auto log = std::make_unique<RocksDbEventLog>(clock, options.max_group);
    auto opened = log->open(options, !last);
    if (opened) return std::unique_ptr<EventLog>(std::move(log));
    const ErrorCode code = opened.error().code;
    if (last || (code != ErrorCode::corruption && code != ErrorCode::io_error &&
                 code != ErrorCode::not_found))
      return opened.error();
    log.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt));
  }
}

}  // namespace journey::storage
