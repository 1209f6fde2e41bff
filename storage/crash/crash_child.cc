// journey_crash_child: the victim of the crash test (crash_test.cc).
//
//   journey_crash_child DATA_DIR [THREADS=8] [RUN=0] [SEED=1]
//
// Opens the RocksDB event log at DATA_DIR and appends from THREADS threads until
// it is killed. Each thread mixes the shapes of append the engine uses:
// ExpectedVersion::any(), exact versions read with stream_version() (retried on
// conflict), no_stream() on fresh streams, idempotency keys, multi-event appends
// and replays of its own earlier keys.
//
// After each append() that returned a result, and only then, it writes one line to
// stdout. That line is the acknowledgement the parent holds the store to:
//
//   A <stream> <first_version> <last_version> <first_position> <last_position>
//     <idempotency_key or -> <tag> <duplicate 0|1>
//
// Event i (0-based) of an append carries the payload "<tag>#<i>|<padding>", so the
// parent can tell that the events at the acknowledged positions are the ones this
// append wrote, not someone else's. A duplicate line repeats the tag of the
// append that first used the key.
//
// Beside the threads, AsyncChains keeps 4 appends in flight through
// append_async() (ExpectedVersion::any(), some with keys) and acknowledges each
// from its callback in the same way: the promise is the same.
//
// Before the first append, once the log is open (and so RocksDB's recovery is
// done), it writes the line "R": the parent times most kills from there, so that
// they land among appends rather than all in process start-up and recovery.
//
// Each line goes out in one write(2) on fd 1 under a mutex: a line is either
// wholly in the pipe or (if SIGKILL lands inside write) a trailing fragment
// without '\n', which the parent ignores. stdio buffering would hold acks back
// or split them, so it is not used for acks.
//
// An unexpected error (anything but wrong_expected_version on an exact append)
// or a duplicate that does not match its original is reported on stderr and the
// process exits with status 3, which the parent reports as a failure: a SIGKILL
// is the only acceptable way for this process to end.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "journey/storage/rocksdb_event_log.h"

using namespace journey;
using namespace journey::storage;

namespace {

std::mutex g_out_mu;

[[noreturn]] void die(const std::string& what) {
  std::lock_guard<std::mutex> lock(g_out_mu);
  std::string line = "journey_crash_child: " + what + "\n";
  (void)!write(2, line.data(), line.size());
  std::_Exit(3);
}

// One line, one write(2). A pipe write of at most PIPE_BUF bytes is atomic, and
// our lines are far shorter, but we still loop on short writes for safety: the
// mutex keeps lines of different threads from interleaving either way.
void emit(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out_mu);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(1, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(4);  // the parent went away; nothing left to prove
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void acknowledge(const AppendResult& r, const std::string& key, const std::string& tag) {
  std::string line = "A " + r.stream.str() + " " + std::to_string(r.first_version.value) + " " +
                     std::to_string(r.last_version.value) + " " +
                     std::to_string(r.first_position.value) + " " +
                     std::to_string(r.last_position.value) + " " + (key.empty() ? "-" : key) + " " +
                     tag + " " + (r.duplicate ? "1" : "0") + "\n";
  emit(line);
}

struct KeyedAppend {
  std::string key;
  std::string tag;
  AppendResult result;
};

class Appender {
 public:
  Appender(EventLog& log, int thread, std::uint64_t run, std::uint64_t seed)
      : log_(log), thread_(thread), run_(run), rng_(seed * 1'000'003 + thread) {}

  [[noreturn]] void run() {
    for (std::uint64_t seq = 0;; ++seq) {
      std::string tag =
          std::to_string(run_) + "." + std::to_string(thread_) + "." + std::to_string(seq);
      int shape = pick(0, 99);
      if (shape < 10 && !mine_.empty()) {
        replay_key();
      } else if (shape < 40) {
        append_any(tag);
      } else if (shape < 90) {
        append_exact(tag);
      } else {
        append_new_stream(tag);
      }
    }
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::vector<NewEvent> events(const std::string& tag, int n) {
    std::vector<NewEvent> out;
    for (int i = 0; i < n; ++i) {
      NewEvent e;
      e.type = "CrashProbe";
      e.actor = "crash-child-" + std::to_string(thread_);
      e.effective_at = TimePoint(std::chrono::seconds(1'767'225'600));
      // Padding of varying size makes memtables fill and flush while we are being
      // killed, so recovery is exercised with SST files and not only the WAL.
      e.payload = tag + "#" + std::to_string(i) + "|" + std::string(pick(0, 600), 'x');
      out.push_back(std::move(e));
    }
    return out;
  }

  std::string maybe_key(const std::string& tag) {
    // Keys are unique for the whole test run: the run number is in the tag.
    return pick(0, 99) < 35 ? "k" + tag : std::string();
  }

  void done(const Result<AppendResult>& r, const std::string& key, const std::string& tag) {
    if (!r.ok()) die("append of " + tag + " failed: " + r.error().message);
    if (r->duplicate) die("fresh key of " + tag + " came back as a duplicate");
    acknowledge(*r, key, tag);
    if (!key.empty()) mine_.push_back(KeyedAppend{key, tag, *r});
  }

  void append_any(const std::string& tag) {
    AppendRequest req;
    req.stream = StreamId("any-" + std::to_string(pick(0, 2)));
    req.expected = ExpectedVersion::any();
    req.events = events(tag, pick(1, 4));
    req.idempotency_key = maybe_key(tag);
    std::string key = req.idempotency_key;
    done(log_.append(std::move(req)), key, tag);
  }

  // Optimistic concurrency as the engine does it: read the version, append
  // expecting it, and start over when another appender got there first.
  void append_exact(const std::string& tag) {
    StreamId stream("exact-" + std::to_string(pick(0, 2)));
    int n = pick(1, 3);
    std::string key = maybe_key(tag);
    for (;;) {
      auto v = log_.stream_version(stream);
      if (!v.ok()) die("stream_version(" + stream.str() + "): " + v.error().message);
      AppendRequest req;
      req.stream = stream;
      req.expected = ExpectedVersion::exactly(*v);
      req.events = events(tag, n);
      req.idempotency_key = key;
      auto r = log_.append(std::move(req));
      if (!r.ok() && r.error().code == ErrorCode::wrong_expected_version) continue;
      if (r.ok() && r->first_version.value != v->value + 1) {
        die("exact append of " + tag + " expected version " + std::to_string(v->value) +
            " but was written at " + std::to_string(r->first_version.value));
      }
      done(r, key, tag);
      return;
    }
  }

  void append_new_stream(const std::string& tag) {
    AppendRequest req;
    req.stream = StreamId("new-" + tag);
    req.expected = ExpectedVersion::no_stream();
    req.events = events(tag, pick(1, 2));
    req.idempotency_key = maybe_key(tag);
    std::string key = req.idempotency_key;
    done(log_.append(std::move(req)), key, tag);
  }

  // A client retrying a command it already sent: the log must hand back the
  // first result and write nothing. The expected version is deliberately stale.
  void replay_key() {
    const KeyedAppend& first = mine_[pick(0, static_cast<int>(mine_.size()) - 1)];
    AppendRequest req;
    req.stream = first.result.stream;
    req.expected = ExpectedVersion::no_stream();
    req.events = events(first.tag + "-retry", 1);
    req.idempotency_key = first.key;
    auto r = log_.append(std::move(req));
    if (!r.ok()) die("replay of key " + first.key + " failed: " + r.error().message);
    const AppendResult& a = first.result;
    if (!r->duplicate || r->stream != a.stream || r->first_version != a.first_version ||
        r->last_version != a.last_version || r->first_position != a.first_position ||
        r->last_position != a.last_position) {
      die("replay of key " + first.key + " did not return the first result");
    }
    acknowledge(*r, first.key, first.tag);
  }

  EventLog& log_;
  const int thread_;
  const std::uint64_t run_;
  std::mt19937_64 rng_;
  std::vector<KeyedAppend> mine_;
};

// Appends through append_async(): kChains appends in flight at once and no
// thread of their own. Each chain's callback (run on the log's threads after
// the sync) acknowledges its append and submits the chain's next one.
class AsyncChains {
 public:
  static constexpr int kChains = 4;
  AsyncChains(EventLog& log, std::uint64_t run, std::uint64_t seed)
      : log_(log), run_(run), rng_(seed * 1'000'003 + 999) {}

  void start() {
    for (int c = 0; c < kChains; ++c) next(c, 0);
  }

 private:
  int pick(int lo, int hi) {
    std::lock_guard<std::mutex> lock(rng_mu_);  // start() races the first callbacks
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }

  void next(int chain, std::uint64_t seq) {
    const std::string tag =
        std::to_string(run_) + ".async" + std::to_string(chain) + "." + std::to_string(seq);
    AppendRequest req;
    req.stream = StreamId("async-" + std::to_string(pick(0, 2)));
    req.expected = ExpectedVersion::any();
    const int n = pick(1, 3);
    for (int i = 0; i < n; ++i) {
      NewEvent e;
      e.type = "CrashProbe";
      e.actor = "crash-child-async";
      e.effective_at = TimePoint(std::chrono::seconds(1'767'225'600));
      e.payload = tag + "#" + std::to_string(i) + "|" + std::string(pick(0, 600), 'x');
      req.events.push_back(std::move(e));
    }
    if (pick(0, 99) < 35) req.idempotency_key = "k" + tag;
    std::string key = req.idempotency_key;
    log_.append_async(std::move(req), [this, chain, seq, key, tag](Result<AppendResult> r) {
      if (!r.ok()) die("async append of " + tag + " failed: " + r.error().message);
      if (r->duplicate) die("fresh key of " + tag + " came back as a duplicate");
      acknowledge(*r, key, tag);
      next(chain, seq + 1);
    });
  }

  EventLog& log_;
  const std::uint64_t run_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

std::uint64_t parse(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') die(std::string("bad ") + what + ": " + s);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr, "usage: %s DATA_DIR [THREADS=8] [RUN=0] [SEED=1]\n", argv[0]);
    return 2;
  }
  const std::uint64_t threads = argc > 2 ? parse(argv[2], "thread count") : 8;
  const std::uint64_t run = argc > 3 ? parse(argv[3], "run number") : 0;
  const std::uint64_t seed = argc > 4 ? parse(argv[4], "seed") : 1;
  if (threads == 0 || threads > 256) die("thread count must be 1..256");

  SystemClock clock;
  auto opened = open_rocksdb_event_log(RocksDbOptions{argv[1]}, clock);
  if (!opened.ok()) die("cannot open " + std::string(argv[1]) + ": " + opened.error().message);
  std::unique_ptr<EventLog> log = std::move(opened.value());
  emit("R\n");

  std::vector<std::thread> workers;
  std::vector<std::unique_ptr<Appender>> appenders;
  for (std::uint64_t t = 0; t < threads; ++t) {
    appenders.push_back(std::make_unique<Appender>(*log, static_cast<int>(t), run, seed));
  }
  for (auto& a : appenders) workers.emplace_back([&a] { a->run(); });
  AsyncChains chains(*log, run, seed);
  chains.start();
  // The workers never return: the only way out is SIGKILL (or die() on a bug).
  for (auto& w : workers) w.join();
  return 0;
}
