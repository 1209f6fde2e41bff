// Crash durability of the RocksDB event log, tested the hard way: a child process
// (journey_crash_child) appends through the real store and is SIGKILLed at a random
// moment; the test then reopens the folder and holds the log to its promise
// (rocksdb_event_log.h): what append() acknowledged is there, exactly as
// acknowledged, and the log is whole.
//
// After every kill it checks:
//   - the head did not go back and the event at the previous head still has the
//     hash seen then: by the hash chain, positions 1..previous head are unchanged,
//     so each round only needs to read what the last child added;
//   - positions previous head+1..head are gapless (read_all) and chain on;
//   - per-stream versions are gapless and the stream index (read_stream,
//     stream_version) names the same events as the position index;
//   - the acks of each append_async chain of the child come in order, without
//     a gap, at growing positions (a lost or reordered callback);
//   - every acknowledged append is present with the acknowledged stream,
//     versions, positions, idempotency key and the payloads the child wrote;
//   - every idempotency key in the new events (acknowledged or not) replays as a
//     duplicate with the result of the append that wrote it, and writes nothing;
//     a sample of keys from earlier rounds replays too;
//   - verify() walks the whole log and reports it ok up to the head.
//
// Environment:
//   JOURNEY_CRASH_KILLS    kills to run (default 50; scripts/crash-soak.sh sets more)
//   JOURNEY_CRASH_SEED     seed of the kill schedule (default: random, printed)
//   JOURNEY_CRASH_THREADS  appender threads in the child (default 8)
//   JOURNEY_CRASH_MIN_MS / JOURNEY_CRASH_MAX_MS  kill delay (5 / 150)
//
// One kill in four is timed from fork(), and so mostly lands while the child is
// starting or RocksDB is recovering from the previous kill; the others are timed
// from the child's "log is open" line and land among appends.
//   JOURNEY_CRASH_ROTATE_EVENTS  start a fresh log once the head passes this (100000)
//   JOURNEY_CRASH_KEEP=1   keep the data folder (it is always kept on failure)
//
// verify() reads the whole log after every kill, so a round costs time in
// proportion to the log's size; without rotation a soak of thousands of kills
// would slow to a crawl. The suite's 50 kills stay far below the bound.
//
// A seed reproduces the kill delays and the children's choices, not the thread
// interleaving or the disk's timing: a failure is reproduced by running its seed
// until it shows again, which is what the soak script is for.
#define BOOST_TEST_MODULE crash
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "journey/storage/rocksdb_event_log.h"

#ifndef JOURNEY_CRASH_CHILD
#error "JOURNEY_CRASH_CHILD must name the journey_crash_child executable (set by CMake)"
#endif

namespace fs = std::filesystem;
using namespace journey;
using namespace journey::storage;
using Clock_ = std::chrono::steady_clock;

namespace {

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  BOOST_REQUIRE_MESSAGE(end != v && *end == '\0', name << " is not a number: " << v);
  return n;
}

double ms_since(Clock_::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock_::now() - t).count();
}

// One acknowledgement line of the child (format in crash_child.cc).
struct Ack {
  std::string stream;
  std::uint64_t first_version = 0, last_version = 0, first_position = 0, last_position = 0;
  std::string key;  // empty: none
  std::string tag;
  bool duplicate = false;
};

std::string describe(const Ack& a) {
  std::ostringstream os;
  os << "ack " << a.tag << " (" << a.stream << " v" << a.first_version << ".." << a.last_version
     << " @" << a.first_position << ".." << a.last_position
     << " key=" << (a.key.empty() ? "-" : a.key) << (a.duplicate ? " duplicate" : "") << ")";
  return os.str();
}

bool parse_ack(const std::string& line, Ack* out) {
  std::istringstream in(line);
  std::string a, key, dup, extra;
  if (!(in >> a >> out->stream >> out->first_version >> out->last_version >> out->first_position >>
        out->last_position >> key >> out->tag >> dup) ||
      (in >> extra) || a != "A" || (dup != "0" && dup != "1")) {
    return false;
  }
  out->key = key == "-" ? "" : key;
  out->duplicate = dup == "1";
  return true;
}

struct ChildRun {
  bool ready = false;  // the child said "R": its log was open
  std::vector<Ack> acks;
  std::vector<std::string> bad_lines;  // complete lines that do not parse: a failure
  bool torn_tail = false;              // a partial last line, ignored as promised
  bool killed = false;                 // ended by our SIGKILL, as it must be
  std::string how_it_ended;
};

// Runs the child on `dir` and SIGKILLs it `delay` after the fork (from_fork) or
// after it reported its log open, reading its acknowledgements all along so that
// it never blocks on a full pipe.
ChildRun run_child(const fs::path& dir, std::uint64_t threads, std::uint64_t run,
                   std::uint64_t seed, std::chrono::microseconds delay, bool from_fork) {
  ChildRun out;
  // Everything the child needs is built before fork(): between fork and exec only
  // async-signal-safe calls are allowed (the parent has RocksDB threads).
  std::vector<std::string> args = {JOURNEY_CRASH_CHILD, dir.string(), std::to_string(threads),
                                   std::to_string(run), std::to_string(seed)};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    out.how_it_ended = std::string("pipe2: ") + std::strerror(errno);
    return out;
  }
  // Until the child is ready, a generous bound: a child that cannot open the log
  // within it is killed and the round fails on !ready.
  auto deadline = Clock_::now() + (from_fork ? delay : std::chrono::microseconds(60'000'000));
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);  // the dup'ed fd does not inherit O_CLOEXEC
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    out.how_it_ended = std::string("fork: ") + std::strerror(errno);
    return out;
  }

  std::string buf;
  char chunk[65536];
  bool sent_kill = false, eof = false;
  while (!eof) {
    int timeout_ms = -1;
    if (!sent_kill) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock_::now());
      if (left.count() <= 0) {
        kill(pid, SIGKILL);
        sent_kill = true;
      } else {
        timeout_ms = static_cast<int>((left.count() + 999) / 1000);
      }
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;  // every write end is closed: the child is gone (or dying)
    } else {
      buf.append(chunk, static_cast<std::size_t>(n));
      if (!out.ready && buf.size() >= 2) {
        out.ready = buf.compare(0, 2, "R\n") == 0;
        if (out.ready && !from_fork && !sent_kill) deadline = Clock_::now() + delay;
      }
    }
  }
  close(fds[0]);
  if (!sent_kill) kill(pid, SIGKILL);  // harmless if it already exited
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    out.killed = sent_kill && WTERMSIG(status) == SIGKILL;
    out.how_it_ended = std::string("signal ") + strsignal(WTERMSIG(status));
  } else {
    out.how_it_ended = "exit status " + std::to_string(WEXITSTATUS(status));
  }

  std::size_t start = out.ready ? 2 : 0;
  for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
    Ack a;
    std::string line = buf.substr(start, nl - start);
    if (parse_ack(line, &a)) {
      out.acks.push_back(std::move(a));
    } else {
      out.bad_lines.push_back(line);
    }
  }
  out.torn_tail = start < buf.size();  // SIGKILL inside write(): never acknowledged
  return out;
}

// What the test knows about the log from the rounds it has checked so far.
struct Model {
  std::uint64_t head = 0;
  Sha256 head_hash{};
  std::unordered_map<std::string, std::uint64_t> stream_versions;
  std::vector<std::pair<std::string, AppendResult>> keys;  // every key, for sampling
  std::unordered_map<std::string, std::size_t> key_index;  // key -> index in keys
};

bool same_result(const AppendResult& a, const AppendResult& b) {
  return a.stream == b.stream && a.first_version == b.first_version &&
         a.last_version == b.last_version && a.first_position == b.first_position &&
         a.last_position == b.last_position;
}

std::string describe(const AppendResult& r) {
  std::ostringstream os;
  os << r.stream.str() << " v" << r.first_version.value << ".." << r.last_version.value << " @"
     << r.first_position.value << ".." << r.last_position.value
     << (r.duplicate ? " duplicate" : "");
  return os.str();
}

// Appends under `key` from the test: the log must see a retry of a known command.
void expect_duplicate(EventLog& log, const std::string& key, const AppendResult& expected,
                      std::vector<std::string>& problems) {
  AppendRequest req;
  req.stream = expected.stream;
  req.expected = ExpectedVersion::no_stream();  // stale on purpose: the key decides
  NewEvent e;
  e.type = "CrashReplay";
  e.actor = "crash-test";
  e.payload = "replay";
  req.events.push_back(std::move(e));
  req.idempotency_key = key;
  auto r = log.append(std::move(req));
  if (!r.ok()) {
    problems.push_back("replaying key " + key + " failed: " + r.error().message);
  } else if (!r->duplicate || !same_result(*r, expected)) {
    problems.push_back("replaying key " + key + " returned " + describe(*r) + ", expected " +
                       describe(expected) + " as a duplicate");
  }
}

// Checks the reopened log against the model and this round's acks; updates the
// model. Returns what is wrong, empty when all holds.
std::vector<std::string> check_round(EventLog& log, Model& model, const std::vector<Ack>& acks,
                                     std::mt19937_64& rng, std::uint64_t* new_events_out) {
  std::vector<std::string> problems;
  auto fail = [&](std::string p) { problems.push_back(std::move(p)); };
  const std::uint64_t old_head = model.head;
  const std::uint64_t head = log.head().value;
  if (head < old_head) {
    fail("the head went back from " + std::to_string(old_head) + " to " + std::to_string(head));
    return problems;
  }
  // The previous head's hash pins every event before it (each hash covers prev_hash).
  if (old_head > 0) {
    auto at = log.read_all(GlobalPosition{old_head}, 1);
    if (!at.ok() || at->size() != 1 || at->front().position.value != old_head) {
      fail("the event at the previous head " + std::to_string(old_head) + " cannot be read" +
           (at.ok() ? std::string() : ": " + at.error().message));
      return problems;
    }
    if (at->front().hash != model.head_hash) {
      fail("the event at the previous head " + std::to_string(old_head) +
           " changed: history that was already checked is different");
    }
  }

  auto fresh = log.read_all(GlobalPosition{old_head + 1}, SIZE_MAX);
  if (!fresh.ok()) {
    fail("read_all from " + std::to_string(old_head + 1) + ": " + fresh.error().message);
    return problems;
  }
  const std::vector<RecordedEvent>& events = *fresh;
  *new_events_out = events.size();
  if (old_head + events.size() != head) {
    fail("head() is " + std::to_string(head) + " but read_all found " +
         std::to_string(old_head + events.size()));
  }
  // Gapless positions, a continuous chain, gapless stream versions.
  std::map<std::string, std::vector<const RecordedEvent*>> by_stream;
  Sha256 prev = model.head_hash;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const RecordedEvent& e = events[i];
    if (e.position.value != old_head + 1 + i) {
      fail("position " + std::to_string(old_head + 1 + i) + " is missing (read_all gave " +
           std::to_string(e.position.value) + ")");
      return problems;
    }
    if (e.prev_hash != prev) {
      fail("the chain breaks at position " + std::to_string(e.position.value));
    }
    prev = e.hash;
    std::uint64_t& v = model.stream_versions[e.stream.str()];
    if (e.version.value != v + 1) {
      fail("stream " + e.stream.str() + " jumps from version " + std::to_string(v) + " to " +
           std::to_string(e.version.value) + " at position " + std::to_string(e.position.value));
    }
    v = e.version.value;
    by_stream[e.stream.str()].push_back(&e);
  }
  // The stream index must name exactly the same events as the position index.
  for (const auto& [name, list] : by_stream) {
    StreamId id(name);
    auto s = log.read_stream(id, list.front()->version);
    if (!s.ok()) {
      fail("read_stream(" + name + "): " + s.error().message);
      continue;
    }
    bool same = s->size() == list.size();
    for (std::size_t i = 0; same && i < list.size(); ++i) {
      same = (*s)[i].position == list[i]->position && (*s)[i].version == list[i]->version &&
             (*s)[i].hash == list[i]->hash;
    }
    if (!same) fail("read_stream(" + name + ") disagrees with read_all");
    auto v = log.stream_version(id);
    if (!v.ok() || v->value != list.back()->version.value) {
      fail("stream_version(" + name + ") is not " + std::to_string(list.back()->version.value));
    }
  }

  // Every acknowledged append is there, exactly as acknowledged.
  std::unordered_map<std::string, const Ack*> acked_keys;
  for (const Ack& a : acks) {
    if (!a.duplicate && !a.key.empty()) acked_keys[a.key] = &a;
  }
  for (const Ack& a : acks) {
    if (a.first_version == 0 || a.first_position == 0 || a.last_version < a.first_version ||
        a.last_position - a.first_position != a.last_version - a.first_version) {
      fail("malformed " + describe(a));
      continue;
    }
    if (a.last_position > old_head + events.size()) {
      fail("LOST: " + describe(a) + " is beyond the last event " +
           std::to_string(old_head + events.size()));
      continue;
    }
    if (a.first_position <= old_head) {
      fail(describe(a) + " names positions checked before this child started");
      continue;
    }
    for (std::uint64_t p = a.first_position; p <= a.last_position; ++p) {
      const RecordedEvent& e = events[p - old_head - 1];
      const std::uint64_t i = p - a.first_position;
      const std::string payload = a.tag + "#" + std::to_string(i) + "|";
      if (e.stream.str() != a.stream || e.version.value != a.first_version + i ||
          e.idempotency_key != a.key || e.payload.compare(0, payload.size(), payload) != 0) {
        fail("position " + std::to_string(p) + " holds " + e.stream.str() + " v" +
             std::to_string(e.version.value) + " key=" + e.idempotency_key + " payload " +
             e.payload.substr(0, payload.size()) + ", not event " + std::to_string(i) + " of " +
             describe(a));
        break;
      }
    }
    if (a.duplicate) {
      auto first = acked_keys.find(a.key);
      if (first == acked_keys.end()) {
        fail(describe(a) + " replays a key this child never acknowledged");
      } else if (first->second->first_position != a.first_position ||
                 first->second->last_position != a.last_position ||
                 first->second->stream != a.stream) {
        fail(describe(a) + " differs from the first " + describe(*first->second));
      }
    }
  }

  // Idempotency records are in the same batch as the events: every key among the
  // new events, acknowledged or not, must replay as its append's result.
  std::vector<std::pair<std::string, AppendResult>> new_keys;
  for (std::size_t i = 0; i < events.size();) {
    const RecordedEvent& e = events[i];
    std::size_t j = i + 1;
    while (j < events.size() && !e.idempotency_key.empty() &&
           events[j].idempotency_key == e.idempotency_key) {
      ++j;
    }
    if (!e.idempotency_key.empty()) {
      AppendResult r;
      r.stream = e.stream;
      r.first_version = e.version;
      r.last_version = events[j - 1].version;
      r.first_position = e.position;
      r.last_position = events[j - 1].position;
      if (model.key_index.count(e.idempotency_key) != 0) {
        fail("key " + e.idempotency_key + " was written twice (again at position " +
             std::to_string(e.position.value) + ")");
      } else {
        new_keys.emplace_back(e.idempotency_key, r);
      }
    }
    i = j;
  }
  // Keys of earlier rounds: a random sample, as every one was checked in its round.
  std::vector<std::size_t> sample;
  for (int s = 0; s < 16 && !model.keys.empty(); ++s) {
    sample.push_back(std::uniform_int_distribution<std::size_t>(0, model.keys.size() - 1)(rng));
  }
  for (const auto& [key, r] : new_keys) expect_duplicate(log, key, r, problems);
  for (std::size_t s : sample) {
    expect_duplicate(log, model.keys[s].first, model.keys[s].second, problems);
  }
  if (log.head().value != head) fail("replaying known keys appended events");

  // The whole log, as an auditor would check it.
  auto report = log.verify();
  if (!report.ok()) {
    fail("verify(): " + report.error().message);
  } else if (!report->ok()) {
    fail("verify() at " + std::to_string(report->first_bad ? report->first_bad->value : 0) + ": " +
         report->problem);
  } else if (report->events_checked != head || (head > 0 && report->head_hash != prev)) {
    fail("verify() checked " + std::to_string(report->events_checked) + " events, head is " +
         std::to_string(head));
  }

  model.head = head;
  model.head_hash = prev;
  for (auto& [key, r] : new_keys) {
    model.key_index[key] = model.keys.size();
    model.keys.emplace_back(std::move(key), std::move(r));
  }
  return problems;
}

}  // namespace

BOOST_AUTO_TEST_CASE(AcknowledgedAppendsSurviveSigkill) {
  const std::uint64_t kills = env_u64("JOURNEY_CRASH_KILLS", 50);
  const std::uint64_t threads = env_u64("JOURNEY_CRASH_THREADS", 8);
  const std::uint64_t min_ms = env_u64("JOURNEY_CRASH_MIN_MS", 5);
  const std::uint64_t max_ms = env_u64("JOURNEY_CRASH_MAX_MS", 150);
  const std::uint64_t seed = env_u64("JOURNEY_CRASH_SEED", std::random_device{}());
  const std::uint64_t rotate_events = env_u64("JOURNEY_CRASH_ROTATE_EVENTS", 100'000);
  const bool keep = env_u64("JOURNEY_CRASH_KEEP", 0) != 0;
  BOOST_REQUIRE(min_ms <= max_ms);
  BOOST_REQUIRE_MESSAGE(fs::exists(JOURNEY_CRASH_CHILD), JOURNEY_CRASH_CHILD " is not built");

  const fs::path root = fs::temp_directory_path() /
                        ("journey-crash-" + std::to_string(getpid()) + "-" + std::to_string(seed));
  fs::remove_all(root);
  fs::create_directories(root);
  std::uint64_t logs = 1;
  fs::path dir = root / "log-1";
  BOOST_TEST_MESSAGE("crash test: seed " << seed << " (JOURNEY_CRASH_SEED), " << kills << " kills, "
                                         << threads << " threads, delay " << min_ms << ".."
                                         << max_ms << " ms, folder " << root.string());

  // The schedule has its own generator: how many keys the sampler draws from
  // depends on timing, and must not shift the delays a seed reproduces.
  std::mt19937_64 rng(seed);
  std::mt19937_64 sampler(seed ^ 0x9e3779b97f4a7c15ULL);
  std::uniform_int_distribution<std::int64_t> delay_us(min_ms * 1000, max_ms * 1000);
  Model model;
  SystemClock clock;
  std::uint64_t acked = 0, acked_events = 0, duplicates = 0, quiet_kills = 0, torn = 0;
  std::uint64_t async_acked = 0;  // of them through append_async
  std::uint64_t opening_kills = 0, events_all_logs = 0;
  std::uint64_t unacked_events = 0;
  double child_ms = 0, check_ms = 0;
  const auto started = Clock_::now();
  bool failed = false;

  std::uint64_t done = 0;
  for (std::uint64_t k = 0; k < kills && !failed; ++k, ++done) {
    const std::chrono::microseconds delay(delay_us(rng));
    const std::uint64_t child_seed = rng();
    const bool from_fork = rng() % 4 == 0;
    auto t0 = Clock_::now();
    ChildRun child = run_child(dir, threads, k, child_seed, delay, from_fork);
    child_ms += ms_since(t0);
    const std::string round = "kill " + std::to_string(k) + " (seed " + std::to_string(seed) +
                              ", delay " + std::to_string(delay.count()) + " us after " +
                              (from_fork ? "fork" : "open") + ")";
    BOOST_REQUIRE_MESSAGE(child.killed, round << ": the child was not killed by us but ended with "
                                              << child.how_it_ended);
    BOOST_REQUIRE_MESSAGE(from_fork || child.ready, round << ": the child never opened the log");
    BOOST_REQUIRE_MESSAGE(child.bad_lines.empty(),
                          round << ": the child wrote a malformed line: "
                                << (child.bad_lines.empty() ? "" : child.bad_lines[0]));
    torn += child.torn_tail ? 1 : 0;
    if (!child.ready) ++opening_kills;
    if (child.acks.empty()) ++quiet_kills;
    std::uint64_t round_events = 0;
    // append_async chains (tags "<run>.async<chain>.<seq>"): each chain's acks
    // come in submission order, without a gap, at growing positions; a lost or
    // reordered callback shows here.
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> chains;  // next seq, last pos
    for (const Ack& a : child.acks) {
      if (a.tag.find(".async") == std::string::npos) continue;
      const auto dot = a.tag.rfind('.');
      const std::uint64_t seq = std::stoull(a.tag.substr(dot + 1));
      auto& [next_seq, last_pos] = chains[a.tag.substr(0, dot)];
      BOOST_CHECK_MESSAGE(seq == next_seq && a.first_position > last_pos,
                          round << ": async " << describe(a) << " after seq " << next_seq
                                << " at position " << last_pos);
      next_seq = seq + 1;
      last_pos = a.last_position;
      ++async_acked;
    }
    for (const Ack& a : child.acks) {
      ++acked;
      if (a.duplicate) {
        ++duplicates;
      } else {
        acked_events += a.last_position - a.first_position + 1;
        round_events += a.last_position - a.first_position + 1;
      }
    }

    t0 = Clock_::now();
    {
      // Only one process may open the folder: this block closes it again before
      // the next child starts.
      auto opened = open_rocksdb_event_log(RocksDbOptions{dir}, clock);
      BOOST_REQUIRE_MESSAGE(opened.ok(), round << ": reopening the log failed: "
                                               << (opened.ok() ? "" : opened.error().message));
      std::uint64_t new_events = 0;
      std::vector<std::string> problems =
          check_round(**opened, model, child.acks, sampler, &new_events);
      if (new_events > round_events) unacked_events += new_events - round_events;
      if (!problems.empty()) {
        failed = true;
        for (std::size_t i = 0; i < problems.size() && i < 20; ++i) {
          BOOST_ERROR(round << ": " << problems[i]);
        }
        if (problems.size() > 20) BOOST_ERROR(round << ": ... " << problems.size() - 20 << " more");
      }
    }
    check_ms += ms_since(t0);
    if (!failed && rotate_events > 0 && model.head >= rotate_events && k + 1 < kills) {
      events_all_logs += model.head;
      if (!keep) fs::remove_all(dir);
      dir = root / ("log-" + std::to_string(++logs));
      model = Model();
    }
    if ((k + 1) % 100 == 0) {
      BOOST_TEST_MESSAGE("  " << k + 1 << " kills, " << acked << " acked appends, log " << logs
                              << " at head " << model.head << ", "
                              << static_cast<int>(ms_since(started) / 1000) << " s");
    }
  }

  const double total_s = ms_since(started) / 1000;
  BOOST_TEST_MESSAGE("crash test: "
                     << done << " kills (" << opening_kills << " while opening the log, "
                     << quiet_kills << " before any ack, " << torn << " with a torn last line), "
                     << acked << " acknowledged appends (" << duplicates << " duplicate replays, "
                     << async_acked << " through append_async) holding " << acked_events
                     << " events, " << unacked_events << " more events durable but unacknowledged, "
                     << events_all_logs + model.head << " events in " << logs << " log(s); "
                     << total_s << " s (children " << child_ms / 1000 << " s, checks "
                     << check_ms / 1000 << " s)");
  // A run where no child ever got an append through proves nothing.
  BOOST_TEST(acked > 0u);
  BOOST_TEST(async_acked > 0u);
  if (failed || keep) {
    BOOST_TEST_MESSAGE("crash test: data kept in " << root.string());
  } else {
    fs::remove_all(root);
  }
}
