// The append-only event log: the interface every backend implements, and the
// value types that cross it. The log knows streams and bytes, never domain types.
//
// Thread safety: an EventLog is safe to use from many threads at once. append()
// may be called concurrently; the implementation orders appends and shares WAL
// syncs between them (group commit). Readers never block writers.
//
// Durability: when append() returns a successful AppendResult, the events are in
// the log's write-ahead log and that log has been fsynced: a process crash, a
// SIGKILL or a power cut after that point cannot lose them. An append that
// returns an error wrote nothing: every event, index entry and idempotency record
// of one append goes into the store in a single atomic batch. The one exception
// is an io_error from a failed write or sync of the write-ahead log, which
// leaves the outcome unknown exactly as a crash does (the bytes may have
// reached the disk): the backend then refuses appends until reopened, and a
// retry with the same idempotency key after that finds the first append or
// makes it. Readers never see an event before it is durable.
#pragma once

#include <array>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "journey/storage/clock.h"
#include "journey/storage/result.h"

namespace journey::storage {

// A stream's name, e.g. "hire-3f9a0c21". Non-empty, at most 200 bytes, no NUL.
class StreamId {
 public:
  StreamId() = default;
  explicit StreamId(std::string value) : value_(std::move(value)) {}
  const std::string& str() const { return value_; }
  bool operator==(const StreamId& o) const { return value_ == o.value_; }
  bool operator!=(const StreamId& o) const { return value_ != o.value_; }
  bool operator<(const StreamId& o) const { return value_ < o.value_; }

 private:
  std::string value_;
};

// Gapless, log-wide position of an event: the first event is 1.
struct GlobalPosition {
  std::uint64_t value = 0;
  bool operator==(GlobalPosition o) const { return value == o.value; }
  bool operator!=(GlobalPosition o) const { return value != o.value; }
  bool operator<(GlobalPosition o) const { return value < o.value; }
  bool operator<=(GlobalPosition o) const { return value <= o.value; }
};

// Version of a stream: the number of events in it. An empty stream is version 0,
// its first event has version 1.
struct StreamVersion {
  std::uint64_t value = 0;
  bool operator==(StreamVersion o) const { return value == o.value; }
  bool operator!=(StreamVersion o) const { return value != o.value; }
  bool operator<(StreamVersion o) const { return value < o.value; }
};

// What the appender believes the stream's version is.
class ExpectedVersion {
 public:
  static ExpectedVersion any() { return ExpectedVersion(std::nullopt); }
  static ExpectedVersion no_stream() { return ExpectedVersion(StreamVersion{0}); }
  static ExpectedVersion exactly(StreamVersion v) { return ExpectedVersion(v); }
  bool is_any() const { return !value_.has_value(); }
  StreamVersion value() const { return *value_; }

 private:
  explicit ExpectedVersion(std::optional<StreamVersion> v) : value_(v) {}
  std::optional<StreamVersion> value_;
};

using Sha256 = std::array<std::uint8_t, 32>;
std::string to_hex(const Sha256& h);

// An event as the caller hands it to append().
// The instants an event may carry, recorded_at and effective_at alike: from
// 0000-01-01T00:00:00Z up to, not including, 10000-01-01T00:00:00Z, the
// four-digit years (an early version took effective_at from any four-digit
// date a user typed, so the log must keep reading those). An append whose
// effective_at, or whose log clock, is outside is refused; a stored envelope
// outside is damage, never decoded.
inline constexpr TimePoint kEarliestInstant{std::chrono::seconds(-62'167'219'200)};
inline constexpr TimePoint kEndOfInstants{std::chrono::seconds(253'402'300'800)};
inline constexpr bool in_instant_domain(TimePoint t) {
  return t >= kEarliestInstant && t < kEndOfInstants;
}

struct NewEvent {
  std::string type;                  // e.g. "ChecklistItemCompleted"; non-empty
  std::uint16_t schema_version = 1;  // version of the payload's schema
  std::string payload;               // opaque bytes (cereal binary for Journey)
  TimePoint effective_at{};          // when it happened in the real world (UTC); in_instant_domain
  std::string actor;                 // who caused it; non-empty
};

// An event as the log returns it.
struct RecordedEvent {
  GlobalPosition position;
  StreamId stream;
  StreamVersion version;
  std::string type;
  std::uint16_t schema_version = 1;
  std::string payload;
  TimePoint recorded_at{};  // stamped by the log's clock when the append was accepted
  TimePoint effective_at{};
  std::string actor;
  std::string idempotency_key;  // of the append that wrote it; may be empty
  Sha256 prev_hash{};           // hash of the event at position-1 (zeros for the first)
  Sha256 hash{};                // SHA-256 over this event's encoding (which includes prev_hash)
  // read_all() only: non-empty when the stored bytes are no event of this log
  // (they do not decode, or claim another position, stream or version than
  // they are filed under). Then only position, stream and version are known,
  // from the log's own index, and every other field is empty.
  std::string damage;
};

struct AppendRequest {
  StreamId stream;
  ExpectedVersion expected = ExpectedVersion::any();
  std::vector<NewEvent> events;  // at least one
  std::string idempotency_key;   // empty: none. Keys are log-wide, not per stream.
};

struct AppendResult {
  StreamId stream;
  StreamVersion first_version;
  StreamVersion last_version;
  GlobalPosition first_position;
  GlobalPosition last_position;
  bool duplicate = false;  // the idempotency key was seen before: nothing was appended
};

// Outcome of verify(): the first event whose bytes or chain do not match.
struct VerifyReport {
  std::uint64_t events_checked = 0;
  Sha256 head_hash{};  // hash of the last event checked
  std::optional<GlobalPosition> first_bad;
  std::string problem;  // empty when everything matched
  bool ok() const { return !first_bad && problem.empty(); }
};

// A live subscription; stops and joins its delivery thread when destroyed.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // The position of the last event handed to the handler (0 if none yet).
  virtual GlobalPosition delivered() const = 0;
};

// Called on the subscription's own thread, in position order, once per event.
using EventHandler = std::function<void(const RecordedEvent&)>;

struct LogStats {
  std::uint64_t appends = 0;    // successful, non-duplicate append requests
  std::uint64_t events = 0;     // events written
  std::uint64_t wal_syncs = 0;  // synced batch writes (appends / wal_syncs = group size)
  // Why appends are refused now (a full disk at open or since a write, a
  // damaged log), in English for operators; empty while the log takes appends.
  std::string writes_refused;
};

struct BackupReport {
  std::filesystem::path dir;
  GlobalPosition position;  // every event up to here is in the backup
};

// Receives the outcome of EventLog::append_async().
using AppendCallback = std::function<void(Result<AppendResult>)>;

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Appends req.events to req.stream if its version matches req.expected.
  // Errors: ErrorCode::wrong_expected_version (message and actual_version name the
  // stream's real version), invalid_argument, io_error, closed.
  // A key seen before returns the first append's result with duplicate = true.
  virtual Result<AppendResult> append(AppendRequest req) = 0;

  // append() without waiting, for callers that keep many appends in flight
  // from few threads (an importer, an asynchronous front end): no thread
  // sleeps per append. `done` is called exactly once with what append() would
  // have returned, and a success only once the events are durable (the same
  // promise as append()). It runs on one of the log's own threads, or on the
  // caller's before append_async returns when the request is refused at once
  // (invalid, log closed or failed). It must be short (the log's next sync
  // waits for it), must not throw, must not call append(), which would wait
  // for the very thread it runs on, and must not destroy the log; it may call
  // append_async(), but a callback that resubmits on every error recurses
  // while the log refuses at once (and with this default, on every call).
  // Appends submitted from one thread are written, and their callbacks run, in
  // submission order, except that a request refused at once is answered
  // before that thread's earlier ones still in the pipeline. A sleeping
  // append() of the same group may return before an earlier callback has run.
  // This default runs append() on the caller's thread.
  virtual void append_async(AppendRequest req, AppendCallback done) {
    done(append(std::move(req)));
  }

  // Events of one stream with version >= from, at most max_count of them.
  virtual Result<std::vector<RecordedEvent>> read_stream(const StreamId& stream,
                                                         StreamVersion from = StreamVersion{1},
                                                         std::size_t max_count = SIZE_MAX) = 0;

  // Calls f for each event of the stream with version >= from, in order,
  // reusing one RecordedEvent (its strings keep their capacity): replay without
  // materialising the stream. The reference is valid only during the call.
  virtual Result<Unit> visit_stream(const StreamId& stream, StreamVersion from,
                                    const std::function<void(const RecordedEvent&)>& f) = 0;

  // Events of the whole log with position >= from, in position order. A
  // stored event that is damaged (RecordedEvent::damage) is returned in its
  // place, marked, instead of failing the read: whoever reads the whole log
  // (views, scheduler) passes over it and keeps serving everyone else, while
  // reading its own stream fails with corruption and verify() names it.
  virtual Result<std::vector<RecordedEvent>> read_all(GlobalPosition from,
                                                      std::size_t max_count) = 0;

  virtual Result<StreamVersion> stream_version(const StreamId& stream) = 0;

  // The result of the append that used this idempotency key, if any (duplicate set).
  virtual Result<std::optional<AppendResult>> find_idempotency_key(const std::string& key) = 0;

  // Every stream that has at least one event, in name order.
  virtual Result<std::vector<StreamId>> list_streams(const std::string& prefix = "") = 0;

  // Position of the last committed event (0 for an empty log).
  virtual GlobalPosition head() const = 0;

  // Delivers every committed event with position >= from, then each new one after
  // it is committed (durable), until the subscription is destroyed.
  virtual std::unique_ptr<Subscription> subscribe(GlobalPosition from, EventHandler handler) = 0;

  // Walks the whole log: positions gapless, each event's hash recomputed from its
  // bytes, each prev_hash equal to the previous event's hash, stream index
  // consistent. Names the first event that does not match.
  virtual Result<VerifyReport> verify() = 0;

  virtual LogStats stats() const = 0;

  // A consistent copy of the whole log in `dir` (which must not exist yet),
  // taken while appends go on: everything acknowledged before the call is in
  // it. The copy opens as a log of its own (restore: put it in the log's
  // place while nothing runs on it). This default: not supported.
  virtual Result<BackupReport> backup(const std::filesystem::path& dir) {
    return Error{ErrorCode::invalid_argument,
                 "this event log cannot back itself up (" + dir.string() + ")", std::nullopt};
  }
};

}  // namespace journey::storage
