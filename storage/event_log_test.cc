// Conformance suite for EventLog: every backend must pass the same cases
// (BOOST_AUTO_TEST_CASE_TEMPLATE over the backend list), plus RocksDB-specific
// tamper tests that edit the stored bytes behind the log's back.
#define BOOST_TEST_MODULE event_log
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "journey/storage/rocksdb_event_log.h"
#include "zero_filled_wal.h"

namespace fs = std::filesystem;
using namespace journey;
using namespace journey::storage;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("journey-log-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// A backend under test: owns its folder and clock, reopens on demand.
// WriterSyncsAlone picks the RocksDB log's path for a lone request: synced by
// the writer itself (the default) or, like every busier group, by the syncer
// thread. The suite runs over both, so both paths keep every promise, and over
// RocksDB's own growing WAL as well as the zero-filled one (the default).
template <bool WriterSyncsAlone, bool ZeroFilledWal = true>
struct RocksDbBackendOf {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};  // 2026-01-01
  std::unique_ptr<EventLog> log;
  RocksDbBackendOf() { reopen(); }
  void reopen() {
    log.reset();
    RocksDbOptions o{dir.path / "log"};
    o.writer_syncs_alone = WriterSyncsAlone;
    o.zero_filled_wal = ZeroFilledWal;
    auto opened = open_rocksdb_event_log(o, clock);
    BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
    log = std::move(opened.value());
  }
};
using RocksDbBackend = RocksDbBackendOf<true>;
using RocksDbSyncerOnlyBackend = RocksDbBackendOf<false>;
using RocksDbGrowingWalBackend = RocksDbBackendOf<true, false>;

using Backends =
    boost::mpl::list<RocksDbBackend, RocksDbSyncerOnlyBackend, RocksDbGrowingWalBackend>;

NewEvent ev(std::string type, std::string payload = "p", std::string actor = "tester") {
  NewEvent e;
  e.type = std::move(type);
  e.payload = std::move(payload);
  e.actor = std::move(actor);
  e.effective_at = TimePoint(std::chrono::seconds(1'700'000'000));
  return e;
}

AppendRequest req(const std::string& stream, ExpectedVersion expected, std::vector<NewEvent> events,
                  std::string key = "") {
  AppendRequest r;
  r.stream = StreamId(stream);
  r.expected = expected;
  r.events = std::move(events);
  r.idempotency_key = std::move(key);
  return r;
}

// Collects append_async() answers: which request (by index), in the order the
// callbacks ran, and whether the events were readable (durable) at that moment.
struct Answers {
  struct Answer {
    int index;
    Result<AppendResult> result;
    std::uint64_t head_at_callback;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Answer> got;

  AppendCallback for_request(int index, EventLog& log) {
    return [this, index, &log](Result<AppendResult> r) {
      const std::uint64_t head = log.head().value;
      {
        std::lock_guard<std::mutex> lock(mu);
        got.push_back({index, std::move(r), head});
      }
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), [&] { return got.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return got.size();
  }
  const Answer* of(int index) const {
    const Answer* found = nullptr;
    for (const auto& a : got)
      if (a.index == index) {
        BOOST_TEST(found == nullptr, "request " << index << " was answered twice");
        found = &a;
      }
    return found;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(conformance)

BOOST_AUTO_TEST_CASE_TEMPLATE(AppendAssignsGaplessPositionsAndStreamVersions, B, Backends) {
  B b;
  auto r1 = b.log->append(req("a", ExpectedVersion::no_stream(), {ev("X"), ev("Y")}));
  BOOST_REQUIRE(r1.ok());
  BOOST_TEST(r1->first_position.value == 1u);
  BOOST_TEST(r1->last_position.value == 2u);
  BOOST_TEST(r1->first_version.value == 1u);
  BOOST_TEST(r1->last_version.value == 2u);
  auto r2 = b.log->append(req("b", ExpectedVersion::no_stream(), {ev("Z")}));
  BOOST_REQUIRE(r2.ok());
  BOOST_TEST(r2->first_position.value == 3u);
  BOOST_TEST(r2->first_version.value == 1u);
  auto r3 = b.log->append(req("a", ExpectedVersion::exactly(StreamVersion{2}), {ev("W")}));
  BOOST_REQUIRE(r3.ok());
  BOOST_TEST(r3->first_position.value == 4u);
  BOOST_TEST(r3->first_version.value == 3u);
  BOOST_TEST(b.log->head().value == 4u);

  auto a = b.log->read_stream(StreamId("a"));
  BOOST_REQUIRE(a.ok());
  BOOST_REQUIRE(a->size() == 3u);
  BOOST_TEST((*a)[0].type == "X");
  BOOST_TEST((*a)[2].type == "W");
  BOOST_TEST((*a)[2].position.value == 4u);
  BOOST_TEST((*a)[0].actor == "tester");
  BOOST_TEST((*a)[0].recorded_at.time_since_epoch().count() ==
             b.clock.now().time_since_epoch().count());
  BOOST_TEST((*a)[0].effective_at.time_since_epoch().count() ==
             std::chrono::microseconds(std::chrono::seconds(1'700'000'000)).count());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(WrongExpectedVersionIsRefusedWithActualVersion, B, Backends) {
  B b;
  BOOST_REQUIRE(b.log->append(req("s", ExpectedVersion::no_stream(), {ev("A"), ev("B")})).ok());
  auto stale = b.log->append(req("s", ExpectedVersion::exactly(StreamVersion{1}), {ev("C")}));
  BOOST_REQUIRE(!stale.ok());
  BOOST_TEST(static_cast<int>(stale.error().code) ==
             static_cast<int>(ErrorCode::wrong_expected_version));
  BOOST_REQUIRE(stale.error().actual_version.has_value());
  BOOST_TEST(*stale.error().actual_version == 2u);
  BOOST_TEST(stale.error().message.find("version 2") != std::string::npos);
  auto again = b.log->append(req("s", ExpectedVersion::no_stream(), {ev("C")}));
  BOOST_TEST(!again.ok());
  BOOST_TEST(b.log->head().value == 2u);
  BOOST_TEST(b.log->read_stream(StreamId("s"))->size() == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SameIdempotencyKeyReturnsFirstResultAndAppendsNothing, B, Backends) {
  B b;
  auto first = b.log->append(req("s", ExpectedVersion::no_stream(), {ev("A")}, "cmd-1"));
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(!first->duplicate);
  // A retry with a now-stale expected version must still get the first result.
  auto retry = b.log->append(req("s", ExpectedVersion::no_stream(), {ev("A")}, "cmd-1"));
  BOOST_REQUIRE(retry.ok());
  BOOST_TEST(retry->duplicate);
  BOOST_TEST(retry->first_position.value == first->first_position.value);
  BOOST_TEST(retry->last_version.value == first->last_version.value);
  BOOST_TEST(retry->stream.str() == "s");
  BOOST_TEST(b.log->head().value == 1u);
  auto looked_up = b.log->find_idempotency_key("cmd-1");
  BOOST_REQUIRE(looked_up.ok() && looked_up->has_value());
  BOOST_TEST((*looked_up)->first_position.value == 1u);
  BOOST_TEST(!b.log->find_idempotency_key("cmd-2")->has_value());
  // It survives a restart.
  b.reopen();
  auto after = b.log->append(req("s", ExpectedVersion::any(), {ev("A")}, "cmd-1"));
  BOOST_REQUIRE(after.ok());
  BOOST_TEST(after->duplicate);
  BOOST_TEST(b.log->head().value == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(InvalidRequestsAreRefusedAndWriteNothing, B, Backends) {
  B b;
  BOOST_TEST(!b.log->append(req("", ExpectedVersion::any(), {ev("A")})).ok());
  BOOST_TEST(!b.log->append(req(std::string("a\0b", 3), ExpectedVersion::any(), {ev("A")})).ok());
  BOOST_TEST(!b.log->append(req("s", ExpectedVersion::any(), {})).ok());
  BOOST_TEST(!b.log->append(req("s", ExpectedVersion::any(), {ev("")})).ok());
  BOOST_TEST(!b.log->append(req("s", ExpectedVersion::any(), {ev("A", "p", "")})).ok());
  auto bad = b.log->append(req("s", ExpectedVersion::any(), {ev("A"), ev("")}));
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().message.find("event 1 has no type") != std::string::npos);
  // An instant the decoder would call damage is refused at the entrance.
  for (auto t : {kEarliestInstant - std::chrono::microseconds(1), kEndOfInstants,
                 TimePoint(std::chrono::microseconds(INT64_MIN))}) {
    NewEvent e = ev("A");
    e.effective_at = t;
    auto out = b.log->append(req("s", ExpectedVersion::any(), {ev("A"), e}));
    BOOST_REQUIRE(!out.ok());
    BOOST_TEST((out.error().code == ErrorCode::invalid_argument));
    BOOST_CHECK_MESSAGE(out.error().message.find("event 1 has effective_at") != std::string::npos,
                        out.error().message);
  }
  NewEvent edge = ev("A");
  edge.effective_at = kEarliestInstant;
  BOOST_REQUIRE(b.log->append(req("edge", ExpectedVersion::any(), {edge})).ok());
  edge.effective_at = kEndOfInstants - std::chrono::microseconds(1);
  BOOST_REQUIRE(b.log->append(req("edge", ExpectedVersion::any(), {edge})).ok());
  auto edges = b.log->read_stream(StreamId("edge"));
  BOOST_REQUIRE(edges.ok() && edges->size() == 2u);
  BOOST_TEST(((*edges)[0].effective_at == kEarliestInstant));
  BOOST_TEST(b.log->head().value == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(AClockOutsideTheCalendarRefusesAppendsInsteadOfStampingThem, B,
                              Backends) {
  B b;
  b.clock.set(kEndOfInstants + std::chrono::hours(1));
  auto out = b.log->append(req("s", ExpectedVersion::any(), {ev("A")}));
  BOOST_REQUIRE(!out.ok());
  BOOST_CHECK_MESSAGE(out.error().message.find("clock") != std::string::npos, out.error().message);
  BOOST_TEST(b.log->head().value == 0u);
  b.clock.set(TimePoint(std::chrono::seconds(1'767'225'600)));
  BOOST_TEST(b.log->append(req("s", ExpectedVersion::any(), {ev("A")})).ok());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ConcurrentAppendersGetGaplessPositionsAndShareSyncs, B, Backends) {
  B b;
  constexpr int kThreads = 16, kPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = b.log->append(req("stream-" + std::to_string(t % 4), ExpectedVersion::any(),
                                   {ev("E", std::to_string(t) + ":" + std::to_string(i))}));
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(failures.load() == 0);
  auto all = b.log->read_all(GlobalPosition{1}, SIZE_MAX);
  BOOST_REQUIRE(all.ok());
  BOOST_REQUIRE(all->size() == static_cast<std::size_t>(kThreads * kPerThread));
  std::map<std::string, std::uint64_t> versions;
  for (std::size_t i = 0; i < all->size(); ++i) {
    const auto& e = (*all)[i];
    BOOST_TEST(e.position.value == i + 1);
    BOOST_TEST(e.version.value == ++versions[e.stream.str()]);
  }
  auto stats = b.log->stats();
  BOOST_TEST(stats.appends == static_cast<std::uint64_t>(kThreads * kPerThread));
  // Group commit: 16 concurrent appenders must not need one sync each.
  BOOST_TEST(stats.wal_syncs < stats.appends);
  BOOST_TEST(b.log->head().value == static_cast<std::uint64_t>(kThreads * kPerThread));
  auto report = b.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->ok(), report->problem);
  BOOST_TEST(report->events_checked == static_cast<std::uint64_t>(kThreads * kPerThread));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(RacingAppendersOnOneVersionExactlyOneWins, B, Backends) {
  B b;
  BOOST_REQUIRE(b.log->append(req("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
  for (int round = 0; round < 20; ++round) {
    StreamVersion v = *b.log->stream_version(StreamId("s"));
    std::atomic<int> wins{0}, conflicts{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        auto r = b.log->append(req("s", ExpectedVersion::exactly(v), {ev("B")}));
        if (r.ok())
          ++wins;
        else if (r.error().code == ErrorCode::wrong_expected_version)
          ++conflicts;
      });
    }
    for (auto& th : threads) th.join();
    BOOST_TEST(wins.load() == 1);
    BOOST_TEST(conflicts.load() == 7);
  }
  BOOST_TEST(b.log->stream_version(StreamId("s"))->value == 21u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ReadersStartAtTheRequestedVersionAndPosition, B, Backends) {
  B b;
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(
        b.log->append(req("s", ExpectedVersion::any(), {ev("E" + std::to_string(i))})).ok());
    BOOST_REQUIRE(
        b.log->append(req("t", ExpectedVersion::any(), {ev("F" + std::to_string(i))})).ok());
  }
  auto from3 = b.log->read_stream(StreamId("s"), StreamVersion{3});
  BOOST_REQUIRE(from3.ok());
  BOOST_REQUIRE(from3->size() == 3u);
  BOOST_TEST(from3->front().type == "E2");
  BOOST_TEST(b.log->read_stream(StreamId("s"), StreamVersion{1}, 2)->size() == 2u);
  BOOST_TEST(b.log->read_stream(StreamId("nope"))->empty());
  // "s" must not pick up a stream whose name starts with "s".
  BOOST_REQUIRE(b.log->append(req("s2", ExpectedVersion::any(), {ev("G")})).ok());
  BOOST_TEST(b.log->read_stream(StreamId("s"))->size() == 5u);
  BOOST_TEST(b.log->stream_version(StreamId("s"))->value == 5u);
  auto tail = b.log->read_all(GlobalPosition{9}, 10);
  BOOST_REQUIRE(tail.ok());
  BOOST_REQUIRE(tail->size() == 3u);
  BOOST_TEST(tail->front().position.value == 9u);
  auto streams = b.log->list_streams();
  BOOST_REQUIRE(streams.ok());
  BOOST_REQUIRE(streams->size() == 3u);
  BOOST_TEST((*streams)[0].str() == "s");
  BOOST_TEST((*streams)[1].str() == "s2");
  BOOST_TEST(b.log->list_streams("s")->size() == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SubscriptionCatchesUpThenDeliversLiveEventsInOrder, B, Backends) {
  B b;
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(b.log->append(req("s", ExpectedVersion::any(), {ev("E")})).ok());
  std::mutex mu;
  std::vector<std::uint64_t> seen;
  auto sub = b.log->subscribe(GlobalPosition{4}, [&](const RecordedEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(e.position.value);
  });
  for (int i = 0; i < 20; ++i)
    BOOST_REQUIRE(b.log->append(req("t", ExpectedVersion::any(), {ev("F")})).ok());
  for (int spin = 0; spin < 500 && sub->delivered().value < 30; ++spin) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  sub.reset();
  BOOST_REQUIRE(seen.size() == 27u);
  for (std::size_t i = 0; i < seen.size(); ++i) BOOST_TEST(seen[i] == i + 4);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ReopenKeepsEventsAndTheChainContinues, B, Backends) {
  B b;
  BOOST_REQUIRE(b.log->append(req("s", ExpectedVersion::any(), {ev("A"), ev("B")})).ok());
  auto before = b.log->verify();
  b.reopen();
  BOOST_TEST(b.log->head().value == 2u);
  auto r = b.log->append(req("s", ExpectedVersion::exactly(StreamVersion{2}), {ev("C")}));
  BOOST_REQUIRE(r.ok());
  auto events = b.log->read_stream(StreamId("s"));
  BOOST_TEST(to_hex((*events)[2].prev_hash) == to_hex(before->head_hash));
  auto report = b.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->ok());
  BOOST_TEST(report->events_checked == 3u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(AsyncAppendAnswersOnceAsAppendWouldInSubmissionOrder, B, Backends) {
  Answers answers;  // before the log: its destructor may still run callbacks
  B b;
  auto submit = [&](int index, AppendRequest r) {
    b.log->append_async(std::move(r), answers.for_request(index, *b.log));
  };
  submit(1, req("s", ExpectedVersion::no_stream(), {ev("A")}));
  submit(2, req("s", ExpectedVersion::exactly(StreamVersion{1}), {ev("B"), ev("C")}, "k1"));
  submit(3, req("s", ExpectedVersion::no_stream(), {ev("X")}));  // s is at 3 by then
  submit(4, req("t", ExpectedVersion::any(), {ev("D")}, "k1"));  // the key of request 2
  bool answered = false;  // an invalid request is refused before append_async returns
  b.log->append_async(req("", ExpectedVersion::any(), {ev("E")}),
                      [&, record = answers.for_request(5, *b.log)](Result<AppendResult> r) {
                        answered = true;
                        record(std::move(r));
                      });
  BOOST_TEST(answered);
  submit(6, req("t", ExpectedVersion::any(), {ev("F")}));
  BOOST_REQUIRE(answers.wait_for(6));
  b.log.reset();  // no callback can run after this: each count below is final
  BOOST_REQUIRE(answers.got.size() == 6u);

  const auto* a1 = answers.of(1);
  const auto* a2 = answers.of(2);
  const auto* a3 = answers.of(3);
  const auto* a4 = answers.of(4);
  const auto* a5 = answers.of(5);
  const auto* a6 = answers.of(6);
  BOOST_REQUIRE((a1 && a2 && a3 && a4 && a5 && a6));
  BOOST_REQUIRE(a1->result.ok());
  BOOST_TEST(a1->result->first_position.value == 1u);
  BOOST_REQUIRE(a2->result.ok());
  BOOST_TEST(a2->result->first_version.value == 2u);
  BOOST_TEST(a2->result->last_position.value == 3u);
  BOOST_REQUIRE(!a3->result.ok());
  BOOST_TEST(to_string(a3->result.error().code) == std::string("wrong_expected_version"));
  BOOST_TEST(*a3->result.error().actual_version == 3u);
  BOOST_REQUIRE(a4->result.ok());
  BOOST_TEST(a4->result->duplicate);
  BOOST_TEST(a4->result->stream.str() == "s");
  BOOST_TEST(a4->result->last_position.value == 3u);
  BOOST_REQUIRE(!a5->result.ok());
  BOOST_TEST(to_string(a5->result.error().code) == std::string("invalid_argument"));
  BOOST_REQUIRE(a6->result.ok());
  BOOST_TEST(a6->result->first_position.value == 4u);
  // Durable when answered: the log's readers already saw the events.
  for (const auto* a : {a1, a2, a6})
    BOOST_TEST(a->head_at_callback >= a->result->last_position.value);
  // Callbacks of queued requests ran in submission order.
  std::vector<int> order;
  for (const auto& a : answers.got)
    if (a.index != 5) order.push_back(a.index);
  BOOST_TEST(order == (std::vector<int>{1, 2, 3, 4, 6}), boost::test_tools::per_element());

  b.reopen();
  BOOST_TEST(b.log->head().value == 4u);
  BOOST_TEST(b.log->read_stream(StreamId("s"))->size() == 3u);
  BOOST_TEST(b.log->verify()->ok());
}

// Closing the log answers every append still in the pipeline before the
// destructor returns, and keeps every one it acknowledged.
BOOST_AUTO_TEST_CASE_TEMPLATE(AsyncAppendsInFlightWhenTheLogClosesAreAnsweredAndKept, B, Backends) {
  constexpr int kAppends = 2000;
  Answers answers;
  B b;
  for (int i = 0; i < kAppends; ++i) {
    b.log->append_async(
        req("s-" + std::to_string(i % 7), ExpectedVersion::any(), {ev("E", std::to_string(i))}),
        answers.for_request(i, *b.log));
  }
  b.log.reset();
  BOOST_REQUIRE(answers.got.size() == static_cast<std::size_t>(kAppends));
  // Each exactly once, in submission order (one submitting thread).
  for (int i = 0; i < kAppends; ++i)
    BOOST_TEST(answers.got[static_cast<std::size_t>(i)].index == i);
  std::uint64_t acknowledged = 0;
  for (const auto& a : answers.got) {
    if (a.result.ok()) {
      ++acknowledged;
      BOOST_TEST(a.head_at_callback >= a.result->last_position.value);
    } else {
      BOOST_TEST(to_string(a.result.error().code) == std::string("closed"));
    }
  }
  // Queued before the close began: the writer drains its queue, so all of them.
  BOOST_TEST(acknowledged == static_cast<std::uint64_t>(kAppends));
  b.reopen();
  BOOST_TEST(b.log->head().value == acknowledged);
  auto report = b.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->ok(), report->problem);
}

// Several threads, each pipelining exact versions on its own stream without
// waiting: any reordering of one thread's appends in the writer would be a
// wrong_expected_version, and its callbacks must come back in the same order.
BOOST_AUTO_TEST_CASE_TEMPLATE(AsyncAppendsOfOneThreadAreWrittenAndAnsweredInOrder, B, Backends) {
  constexpr int kThreads = 4, kPerThread = 200;
  Answers answers;
  B b;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        b.log->append_async(
            req("t" + std::to_string(t), ExpectedVersion::exactly(StreamVersion{std::uint64_t(k)}),
                {ev("E")}),
            answers.for_request(t * 1000 + k, *b.log));
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_REQUIRE(answers.wait_for(kThreads * kPerThread));
  b.log.reset();
  BOOST_REQUIRE(answers.got.size() == static_cast<std::size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);
  for (const auto& a : answers.got) {
    const int t = a.index / 1000, k = a.index % 1000;
    BOOST_TEST(a.result.ok(),
               "t" << t << " #" << k << ": " << (a.result.ok() ? "" : a.result.error().message));
    BOOST_TEST(k == next[static_cast<std::size_t>(t)], "t" << t << " answered out of order");
    next[static_cast<std::size_t>(t)] = k + 1;
  }
}

// A callback may submit the next append (an asynchronous client's loop); a
// loop that never stops on its own ends with `closed` when the log closes.
BOOST_AUTO_TEST_CASE_TEMPLATE(ACallbackMayAppendAgainAndLearnsWhenTheLogCloses, B, Backends) {
  struct Chain {
    EventLog* log = nullptr;
    std::atomic<std::uint64_t> acknowledged{0};
    std::atomic<bool> closed{false};
    std::atomic<int> other_errors{0};
    void next(std::uint64_t version) {
      log->append_async(req("chain", ExpectedVersion::exactly(StreamVersion{version}), {ev("L")}),
                        [this, version](Result<AppendResult> r) {
                          if (r.ok()) {
                            ++acknowledged;
                            next(version + 1);
                          } else if (r.error().code == ErrorCode::closed) {
                            closed = true;
                          } else {
                            ++other_errors;
                          }
                        });
    }
  } chain;  // before the log: its destructor runs the chain's last callback
  B b;
  chain.log = b.log.get();
  chain.next(0);
  // One sync per link: generous for a slow disk (about 1 s on this machine).
  for (int spin = 0; spin < 12000 && chain.acknowledged.load() < 100; ++spin)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_REQUIRE(chain.acknowledged.load() >= 100u);
  b.log.reset();  // must not hang on the loop
  BOOST_TEST(chain.closed.load());
  BOOST_TEST(chain.other_errors.load() == 0);
  b.reopen();
  BOOST_TEST(b.log->stream_version(StreamId("chain"))->value == chain.acknowledged.load());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
// Tampering: edit the RocksDB folder directly, as someone with disk access would.

namespace {

enum class Tamper { flip_payload_byte, rewrite_and_rehash, delete_event, delete_position };
std::ostream& operator<<(std::ostream& os, Tamper t) {
  const char* names[] = {"flip_payload_byte", "rewrite_and_rehash", "delete_event",
                         "delete_position"};
  return os << names[static_cast<int>(t)];
}

struct RawDb {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  explicit RawDb(const fs::path& p) {
    rocksdb::Options o;
    std::vector<rocksdb::ColumnFamilyDescriptor> d = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                      {"events", {}},
                                                      {"positions", {}},
                                                      {"idempotency", {}}};
    auto s = rocksdb::DB::Open(o, p.string(), d, &cfs, &db);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  ~RawDb() {
    for (auto* h : cfs) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
};

std::string key_of(const std::string& stream, std::uint64_t version) {
  std::string k = stream;
  k.push_back('\0');
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((version >> (i * 8)) & 0xff));
  return k;
}

}  // namespace

// Positions 1..9 over three streams; tamper with the event at `victim`.
BOOST_DATA_TEST_CASE(VerifyNamesTheFirstAlteredEvent,
                     boost::unit_test::data::make({Tamper::flip_payload_byte,
                                                   Tamper::rewrite_and_rehash, Tamper::delete_event,
                                                   Tamper::delete_position}) *
                         boost::unit_test::data::make({1, 5, 9}),
                     tamper, victim) {
  RocksDbBackend b;
  for (int i = 0; i < 9; ++i) {
    BOOST_REQUIRE(b.log
                      ->append(req("s" + std::to_string(i % 3), ExpectedVersion::any(),
                                   {ev("E", "payload-" + std::to_string(i))}))
                      .ok());
  }
  BOOST_REQUIRE(b.log->verify()->ok());
  // Find the victim's key.
  auto all = b.log->read_all(GlobalPosition{static_cast<std::uint64_t>(victim)}, 1);
  BOOST_REQUIRE(all.ok() && all->size() == 1u);
  RecordedEvent target = all->front();
  std::string key = key_of(target.stream.str(), target.version.value);
  b.log.reset();
  {
    RawDb raw(b.dir.path / "log");
    std::string value;
    BOOST_REQUIRE(raw.db->Get({}, raw.cfs[1], key, &value).ok());
    switch (tamper) {
      case Tamper::flip_payload_byte: {
        auto at = value.find("payload-");
        value[at + 3] ^= 0x20;
        BOOST_REQUIRE(raw.db->Put({}, raw.cfs[1], key, value).ok());
        break;
      }
      case Tamper::rewrite_and_rehash: {
        // A careful forger fixes this event's own hash; the chain still breaks
        // at the next event (or, for the last one, the head hash changes).
        RecordedEvent e = *envelope::decode(value);
        e.payload = "forged";
        std::string bytes = envelope::encode(e);
        e.hash = envelope::compute_hash(bytes);
        BOOST_REQUIRE(raw.db->Put({}, raw.cfs[1], key, envelope::encode(e)).ok());
        break;
      }
      case Tamper::delete_event:
        BOOST_REQUIRE(raw.db->Delete({}, raw.cfs[1], key).ok());
        break;
      case Tamper::delete_position: {
        std::string pk;
        for (int i = 7; i >= 0; --i)
          pk.push_back(static_cast<char>((static_cast<std::uint64_t>(victim) >> (i * 8)) & 0xff));
        BOOST_REQUIRE(raw.db->Delete({}, raw.cfs[2], pk).ok());
        break;
      }
    }
  }
  b.reopen();
  if (tamper == Tamper::delete_event && victim == 9) {
    // The head is unreadable: the log opens for the audit but takes no appends.
    auto refused = b.log->append(req("s0", ExpectedVersion::any(), {ev("E")}));
    BOOST_REQUIRE(!refused.ok());
    BOOST_TEST(refused.error().message.find("damaged") != std::string::npos);
  }
  auto report = b.log->verify();
  BOOST_REQUIRE(report.ok());
  if (tamper == Tamper::rewrite_and_rehash && victim == 9) {
    // Nothing follows the last event, so the chain itself cannot tell; the head
    // hash an auditor noted before no longer matches.
    BOOST_TEST(to_hex(report->head_hash) != to_hex(target.hash));
    return;
  }
  BOOST_REQUIRE(!report->ok());
  if (tamper == Tamper::delete_position && victim == 9) {
    // A trailing index entry gone: the walk ends early, the orphan is counted.
    BOOST_TEST(report->problem.find("9 events are stored but 8 are indexed") != std::string::npos);
    return;
  }
  int expected_bad = tamper == Tamper::rewrite_and_rehash ? victim + 1 : victim;
  BOOST_REQUIRE(report->first_bad.has_value());
  BOOST_TEST(report->first_bad->value == static_cast<std::uint64_t>(expected_bad));
  BOOST_TEST(!report->problem.empty());
}

// An event as an append could have written it: inside the value domain.
RecordedEvent a_recorded_event() {
  RecordedEvent e;
  e.position.value = 7;
  e.stream = StreamId("hire-00000001");
  e.version.value = 3;
  e.type = "T";
  e.actor = "a";
  e.recorded_at = TimePoint(std::chrono::seconds(1'767'225'600));
  e.effective_at = e.recorded_at;
  return e;
}

BOOST_AUTO_TEST_CASE(TruncatedEnvelopeIsCorruptionNotACrash) {
  const RecordedEvent e = a_recorded_event();
  std::string bytes = envelope::encode(e);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    auto r = envelope::decode(std::string_view(bytes.data(), cut));
    BOOST_TEST(!r.ok());
  }
  BOOST_TEST(envelope::decode(bytes).ok());
}

// What the append path refuses, the decoder refuses too: an envelope that
// parses but holds what no append could have written is damage, named.
BOOST_AUTO_TEST_CASE(AnEnvelopeOutsideTheValueDomainIsDamageNotAnEvent) {
  const RecordedEvent good = a_recorded_event();
  BOOST_REQUIRE(envelope::decode(envelope::encode(good)).ok());
  // What an early version wrote (effective_at from any four-digit date a
  // user typed, say 1026-08-25) stays readable.
  RecordedEvent old = good;
  old.effective_at = kEarliestInstant + std::chrono::hours(24 * 374'000);
  BOOST_TEST(envelope::decode(envelope::encode(old)).ok());
  old.effective_at = kEarliestInstant;
  BOOST_TEST(envelope::decode(envelope::encode(old)).ok());
  struct Case {
    const char* what;
    std::function<void(RecordedEvent&)> spoil;
  };
  const std::vector<Case> cases = {
      {"position 0", [](RecordedEvent& e) { e.position.value = 0; }},
      {"stream version 0", [](RecordedEvent& e) { e.version.value = 0; }},
      {"stream id is empty", [](RecordedEvent& e) { e.stream = StreamId(""); }},
      {"NUL", [](RecordedEvent& e) { e.stream = StreamId(std::string("a\0b", 3)); }},
      {"longer than 200", [](RecordedEvent& e) { e.stream = StreamId(std::string(201, 's')); }},
      {"no type", [](RecordedEvent& e) { e.type.clear(); }},
      {"no actor", [](RecordedEvent& e) { e.actor.clear(); }},
      {"recorded_at", [](RecordedEvent& e) { e.recorded_at = kEndOfInstants; }},
      {"effective_at",
       [](RecordedEvent& e) { e.effective_at = kEarliestInstant - std::chrono::seconds(1); }},
      {"effective_at",
       [](RecordedEvent& e) { e.effective_at = TimePoint(std::chrono::microseconds(INT64_MAX)); }},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      RecordedEvent e = good;
      c.spoil(e);
      auto r = envelope::decode(envelope::encode(e));
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST((r.error().code == ErrorCode::corruption));
      BOOST_CHECK_MESSAGE(r.error().message.find(c.what) != std::string::npos, r.error().message);
      RecordedEvent into;
      std::string why;
      BOOST_TEST(!envelope::decode_into(envelope::encode(e), into, &why));
      BOOST_TEST(why == r.error().message);
    }
  }
}

// One event whose bytes are damaged (or are another event's) must not stop
// the readers of the whole log: read_all passes it on marked, with what the
// index knows, and goes on; its own stream's read fails and verify names it.
BOOST_DATA_TEST_CASE(ReadAllPassesADamagedEventOnMarkedAndKeepsGoing,
                     boost::unit_test::data::make({0, 1, 2}), how) {
  RocksDbBackend b;
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(b.log
                      ->append(req("s" + std::to_string(i % 2), ExpectedVersion::any(),
                                   {ev("E", "payload-" + std::to_string(i))}))
                      .ok());
  }
  // Position 3 is s0's second event.
  const std::string key = key_of("s0", 2);
  b.log.reset();
  {
    RawDb raw(b.dir.path / "log");
    std::string value;
    BOOST_REQUIRE(raw.db->Get({}, raw.cfs[1], key, &value).ok());
    RecordedEvent e = *envelope::decode(value);
    switch (how) {
      case 0:  // bytes that are no envelope
        value = std::string("\x01\x00\x00", 3);
        break;
      case 1:  // an envelope no append could write: a time past the calendar
        e.effective_at = kEndOfInstants + std::chrono::hours(24);
        value = envelope::encode(e);
        break;
      case 2:  // a well-formed event that claims another place in the log
        e.position.value = 1'000'000;
        value = envelope::encode(e);
        break;
    }
    BOOST_REQUIRE(raw.db->Put({}, raw.cfs[1], key, value).ok());
  }
  b.reopen();
  auto all = b.log->read_all(GlobalPosition{1}, 100);
  BOOST_REQUIRE_MESSAGE(all.ok(), (all.ok() ? "" : all.error().message));
  BOOST_REQUIRE_EQUAL(all->size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& e = (*all)[i];
    BOOST_TEST(e.position.value == i + 1);
    if (i != 2) {
      BOOST_TEST(e.damage.empty());
      BOOST_TEST(e.payload == "payload-" + std::to_string(i));
      continue;
    }
    BOOST_CHECK_MESSAGE(e.damage.find("event 3") == 0, e.damage);
    BOOST_TEST(e.stream.str() == "s0");
    BOOST_TEST(e.version.value == 2u);
    BOOST_TEST(e.type.empty());
    BOOST_TEST(e.payload.empty());
  }
  // A reader that starts past it does not see it; the other stream reads whole.
  BOOST_TEST(b.log->read_all(GlobalPosition{4}, 100)->size() == 2u);
  BOOST_TEST(b.log->read_stream(StreamId("s1"))->size() == 2u);
  if (how != 2) {
    auto own = b.log->read_stream(StreamId("s0"));
    BOOST_REQUIRE(!own.ok());
    BOOST_TEST((own.error().code == ErrorCode::corruption));
  }
  auto report = b.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_REQUIRE(report->first_bad.has_value());
  BOOST_TEST(report->first_bad->value == 3u);
}

// ---------------------------------------------------------------------------
// The WAL files (storage/zero_filled_wal.h): zeros ahead of the writer, and
// recovery that stops at a hole instead of replaying past it. The cases read
// and edit RocksDB's WAL format (db/log_format.h): 32 KiB blocks of records,
// each a 7-byte header (crc32, u16 length, u8 type) and its bytes; a block's
// last 1..6 bytes are padding when no header fits.

constexpr std::uint64_t kWalBlock = 32768;

struct WalRecord {
  std::uint64_t offset;
  unsigned type;  // 1 full, 2 first, 3 middle, 4 last
  std::uint64_t length;
};

// The records of a WAL file up to its end: the first zero header or EOF.
struct WalWalk {
  std::vector<WalRecord> records;
  std::uint64_t end = 0;
};

WalWalk walk_wal(const fs::path& wal) {
  std::ifstream in(wal, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  WalWalk w;
  std::uint64_t off = 0;
  while (off + 7 <= bytes.size()) {
    const std::uint64_t left = kWalBlock - off % kWalBlock;
    if (left < 7) {
      off += left;
      continue;
    }
    const auto* h = reinterpret_cast<const unsigned char*>(bytes.data() + off);
    const std::uint64_t length = h[4] | (h[5] << 8);
    const unsigned type = h[6];
    if (type == 0 && length == 0) break;
    BOOST_REQUIRE_MESSAGE(off + 7 + length <= bytes.size(), "a WAL record runs past the file");
    w.records.push_back({off, type, length});
    off += 7 + length;
  }
  w.end = off;
  return w;
}

fs::path the_wal(const fs::path& db) {
  std::vector<fs::path> wals;
  for (const auto& f : fs::directory_iterator(db))
    if (f.path().extension() == ".log") wals.push_back(f.path());
  BOOST_REQUIRE_EQUAL(wals.size(), 1u);
  return wals.front();
}

// The WAL the log writes now: the one with the highest number.
fs::path newest_wal(const fs::path& db) {
  fs::path newest;
  for (const auto& f : fs::directory_iterator(db))
    if (f.path().extension() == ".log" && (newest.empty() || f.path() > newest)) newest = f.path();
  BOOST_REQUIRE(!newest.empty());
  return newest;
}

// Appends one event with a payload of the given size, to the log under test.
using AppendPayload = std::function<void(std::size_t)>;

// One event of `payload` bytes to one of five streams; counts the appends in n.
AppendPayload payload_appender(EventLog& log, int& n) {
  return [&log, &n](std::size_t payload) {
    BOOST_REQUIRE(log.append(req("s" + std::to_string(n % 5), ExpectedVersion::any(),
                                 {ev("T", std::string(payload, 'x'))}))
                      .ok());
    ++n;
  };
}

// Appends until one record ends exactly at a 32 KiB block's end, so that the
// next block starts with a whole record; returns where that record starts.
// A record's size beyond its payload is the same for every payload of 100 to
// 16,000 bytes (varint lengths keep their width there).
std::uint64_t fill_a_block_exactly(const fs::path& wal, const AppendPayload& append) {
  append(500);
  const WalRecord probe = walk_wal(wal).records.back();
  BOOST_REQUIRE_EQUAL(probe.type, 1u);
  const std::uint64_t overhead = 7 + probe.length - 500;
  for (int tries = 0; tries < 20; ++tries) {
    const std::uint64_t end = walk_wal(wal).end;
    const std::uint64_t left = kWalBlock - end % kWalBlock;
    if (left >= overhead + 100 && left - overhead <= 16000) {
      append(left - overhead);
      const WalWalk w = walk_wal(wal);
      BOOST_REQUIRE_EQUAL(w.records.back().offset, end);
      BOOST_REQUIRE_EQUAL(w.end % kWalBlock, 0u);
      return end;
    }
    append(3000);
  }
  BOOST_FAIL("no record ended a block in 20 tries");
  return 0;
}

void zero_bytes(const fs::path& file, std::uint64_t from, std::uint64_t to) {
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(from));
  const std::string zeros(to - from, '\0');
  f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  BOOST_REQUIRE(f.good());
}

std::unique_ptr<EventLog> open_log(const fs::path& path, const Clock& clock) {
  auto opened = open_rocksdb_event_log(RocksDbOptions{path}, clock);
  BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
  return std::move(opened.value());
}

// Every position from 1 to head() is there, once and in order, and verifies.
void require_gapless(EventLog& log) {
  auto all = log.read_all(GlobalPosition{1}, 1'000'000);
  BOOST_REQUIRE(all.ok());
  BOOST_REQUIRE_EQUAL(all->size(), log.head().value);
  for (std::size_t i = 0; i < all->size(); ++i) {
    BOOST_REQUIRE_EQUAL((*all)[i].position.value, i + 1);
  }
  auto report = log.verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->ok(), report->problem);
}

BOOST_AUTO_TEST_CASE(TheWalIsFilledWithZerosAheadOfTheWriterAndCutBackAtClose) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  auto log = open_log(dir.path / "log", clock);
  for (int i = 0; i < 20; ++i) {
    BOOST_REQUIRE(log->append(req("s" + std::to_string(i), ExpectedVersion::no_stream(),
                                  {ev("T", std::string(300, 'x'))}))
                      .ok());
  }
  const fs::path wal = the_wal(dir.path / "log");
  const WalWalk open_walk = walk_wal(wal);
  BOOST_TEST(open_walk.records.size() >= 20u);
  BOOST_TEST(fs::file_size(wal) >= open_walk.end + ZeroFilledWalFileSystem::kFirstChunk / 4,
             "the file ends at " << fs::file_size(wal) << ", the WAL at " << open_walk.end);
  {
    std::ifstream in(wal, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BOOST_TEST(bytes.find_first_not_of('\0', open_walk.end) == std::string::npos);
  }

  log.reset();
  const WalWalk closed_walk = walk_wal(wal);
  BOOST_TEST(closed_walk.records.size() == open_walk.records.size());
  BOOST_TEST(fs::file_size(wal) == closed_walk.end);
  log = open_log(dir.path / "log", clock);
  BOOST_TEST(log->head().value == 20u);
  require_gapless(*log);
}

// The same hole at the very start of a WAL (the first one after a reopen):
// the guard has nothing replayed to compare with, so the log checks the first
// replayed position against its tables, and opens damaged rather than chain
// new events onto a gap.
BOOST_AUTO_TEST_CASE(AHoleAtTheStartOfAWalLeavesTheLogDamagedNotGapped) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  {
    auto first = open_log(dir.path / "log", clock);
    for (int i = 0; i < 3; ++i)
      BOOST_REQUIRE(first->append(req("a", ExpectedVersion::any(), {ev("T")})).ok());
  }
  auto log = open_log(dir.path / "log", clock);  // recovery flushed 1..3 into a table
  const fs::path wal = newest_wal(dir.path / "log");
  BOOST_REQUIRE_EQUAL(walk_wal(wal).end, 0u);
  int n = 3;
  const AppendPayload append = payload_appender(*log, n);
  fill_a_block_exactly(wal, append);
  for (int i = 0; i < 5; ++i) append(200);
  const std::uint64_t last = static_cast<std::uint64_t>(n);

  fs::copy(dir.path / "log", dir.path / "image", fs::copy_options::recursive);
  zero_bytes(newest_wal(dir.path / "image"), 0, kWalBlock);

  auto image = open_log(dir.path / "image", clock);
  auto refused = image->append(req("a", ExpectedVersion::any(), {ev("T")}));
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().message.find("hole") != std::string::npos, refused.error().message);
  BOOST_TEST(image->head().value == last);  // nothing new was chained on
  auto report = image->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_REQUIRE(report->first_bad.has_value());
  BOOST_TEST(report->first_bad->value == 4u, report->problem);
}

// Each open that writes nothing (a read-only journeyctl command) used to leave
// one empty WAL file behind for good: RocksDB 7.8 keeps a WAL until every
// column family has flushed past it.
BOOST_AUTO_TEST_CASE(OpeningWithoutWritingDoesNotPileUpWalFiles) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  {
    auto log = open_log(dir.path / "log", clock);
    BOOST_REQUIRE(log->append(req("s", ExpectedVersion::no_stream(), {ev("T")})).ok());
  }
  auto wal_count = [&] {
    std::size_t n = 0;
    for (const auto& f : fs::directory_iterator(dir.path / "log"))
      if (f.path().extension() == ".log") ++n;
    return n;
  };
  std::size_t most = 0;
  for (int i = 0; i < 20; ++i) {
    auto log = open_log(dir.path / "log", clock);
    BOOST_REQUIRE_EQUAL(log->head().value, 1u);
    most = std::max(most, wal_count());
  }
  BOOST_TEST(most <= 6u, most << " WAL files at once after 20 opens");
  auto log = open_log(dir.path / "log", clock);
  require_gapless(*log);
  BOOST_TEST(log->read_stream(StreamId("s"))->size() == 1u);
}

// n acknowledged appends over 7 streams, each payload a little longer.
void append_varied(EventLog& log, int n) {
  for (int i = 0; i < n; ++i) {
    BOOST_REQUIRE(log.append(req("s" + std::to_string(i % 7), ExpectedVersion::any(),
                                 {ev("T", std::string(100 + i, 'x'))}))
                      .ok());
  }
}

// What a crash leaves (the folder as it is while the log is open, zeros and
// all) opens with every acknowledged event.
BOOST_AUTO_TEST_CASE(ACopyOfAnOpenLogWithItsZeroTailOpensWithEveryAcknowledgedEvent) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  auto log = open_log(dir.path / "log", clock);
  append_varied(*log, 300);
  fs::copy(dir.path / "log", dir.path / "image", fs::copy_options::recursive);
  BOOST_TEST(fs::file_size(the_wal(dir.path / "image")) >
             walk_wal(the_wal(dir.path / "image")).end);

  auto image = open_log(dir.path / "image", clock);
  BOOST_TEST(image->head().value == 300u);
  require_gapless(*image);
  auto next = image->append(req("s0", ExpectedVersion::any(), {ev("T")}));
  BOOST_REQUIRE(next.ok());
  BOOST_TEST(next->last_position.value == 301u);
}

// journeyctl reads while journeyd writes: a secondary instance opens beside
// the writer without its lock, sees every event acknowledged before it
// opened (through the writer's zero-filled live WAL, not only table files),
// verifies the chain, and refuses appends and backups; the writer goes on.
BOOST_AUTO_TEST_CASE(AReaderBesideTheWriterSeesEveryAcknowledgedEventAndCannotWrite) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  auto log = open_log(dir.path / "log", clock);
  append_varied(*log, 300);
  RocksDbOptions o{dir.path / "log"};
  o.create_if_missing = false;
  o.secondary_path = dir.path / "reader";
  {
    auto opened = open_rocksdb_event_log(o, clock);
    BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
    auto& reader = *opened.value();
    BOOST_TEST(reader.head().value == 300u);
    require_gapless(reader);
    BOOST_TEST(reader.stream_version(StreamId("s3"))->value == 43u);
    auto refused = reader.append(req("s0", ExpectedVersion::any(), {ev("T")}));
    BOOST_REQUIRE(!refused.ok());
    BOOST_TEST((refused.error().code == ErrorCode::read_only));
    auto backup = reader.backup(dir.path / "backup");
    BOOST_REQUIRE(!backup.ok());
    BOOST_TEST((backup.error().code == ErrorCode::read_only));
    BOOST_TEST(!fs::exists(dir.path / "backup"));
    BOOST_TEST(!reader.stats().writes_refused.empty());
  }
  auto next = log->append(req("s0", ExpectedVersion::any(), {ev("T")}));
  BOOST_REQUIRE(next.ok());
  BOOST_TEST(next->last_position.value == 301u);
  // A second reader, opened later, sees the newer event too.
  auto later = open_rocksdb_event_log(o, clock);
  BOOST_REQUIRE(later.ok());
  BOOST_TEST(later.value()->head().value == 301u);
  require_gapless(*later.value());
}

// journeyctl opens readers while journeyd appends: each must see at least
// what was acknowledged before it opened, gapless and verified, whatever
// half-written WAL record the writer is in the middle of.
BOOST_AUTO_TEST_CASE(AReaderOpenedWhileTheWriterAppendsSeesEveryAcknowledgedEventGapless) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  auto log = open_log(dir.path / "log", clock);
  std::atomic<std::uint64_t> acked{0};
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      auto r = log->append(req("s" + std::to_string(i % 13), ExpectedVersion::any(),
                               {ev("T", std::string(50 + (i * 37) % 3000, 'y'))}));
      if (!r.ok()) {
        ++failures;
        return;
      }
      acked.store(r->last_position.value);
    }
  });
  struct Join {  // a failed BOOST_REQUIRE must not leave the writer running
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop, writer};
  RocksDbOptions o{dir.path / "log"};
  o.create_if_missing = false;
  int opened_readers = 0;
  for (int round = 0; round < 25; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::uint64_t before = acked.load();
    o.secondary_path = dir.path / ("reader" + std::to_string(round));
    auto opened = open_rocksdb_event_log(o, clock);
    BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
    BOOST_TEST(opened.value()->head().value >= before);
    require_gapless(*opened.value());
    ++opened_readers;
  }
  stop = true;
  writer.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(opened_readers == 25);
  BOOST_TEST(acked.load() > 25u);
}

BOOST_AUTO_TEST_CASE(AReaderCannotCreateALogOrOpenAMissingOne) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  RocksDbOptions o{dir.path / "log"};
  o.secondary_path = dir.path / "reader";
  auto created = open_rocksdb_event_log(o, clock);
  BOOST_REQUIRE(!created.ok());
  BOOST_TEST((created.error().code == ErrorCode::invalid_argument));
  o.create_if_missing = false;
  auto missing = open_rocksdb_event_log(o, clock);
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST((missing.error().code == ErrorCode::not_found));
  BOOST_TEST(!fs::exists(dir.path / "log"));
}

// A power loss can leave an unsynced WAL block unwritten (zeros) and a later
// one written. RocksDB's reader skips a zero block without a word when no
// record spans its edges; replaying the later block would leave a gap in the
// positions. The case builds exactly that: a record that ends a block, so the
// next block starts with a whole record, then zeros that record in a copy.
BOOST_AUTO_TEST_CASE(RecoveryStopsAtAHoleInTheWalInsteadOfReplayingPastIt) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  auto log = open_log(dir.path / "log", clock);
  const fs::path wal = the_wal(dir.path / "log");
  int n = 0;
  const AppendPayload append = payload_appender(*log, n);
  const std::uint64_t hole_from = fill_a_block_exactly(wal, append);
  const std::uint64_t last_before_hole = static_cast<std::uint64_t>(n) - 1;
  for (int i = 0; i < 10; ++i) append(200);  // whole records in the next block
  const std::uint64_t hole_to = (hole_from / kWalBlock + 1) * kWalBlock;
  const WalWalk walked = walk_wal(wal);
  BOOST_REQUIRE_EQUAL(walked.records[walked.records.size() - 10].offset, hole_to);

  fs::copy(dir.path / "log", dir.path / "image", fs::copy_options::recursive);
  zero_bytes(the_wal(dir.path / "image"), hole_from, hole_to);
  // The test plays a power loss that took blocks the log had written but not
  // synced; here they were synced (and so may be in the ACKNOWLEDGED record,
  // which would rightly call the hole damage). The image's record is the one
  // such a crash leaves: at most the last position before the hole.
  fs::remove(dir.path / "image" / "ACKNOWLEDGED");

  auto image = open_log(dir.path / "image", clock);
  BOOST_TEST(image->head().value == last_before_hole);
  require_gapless(*image);
  // The log goes on from there, and keeps what it acknowledges after it.
  auto next = image->append(req("s0", ExpectedVersion::any(), {ev("T")}));
  BOOST_REQUIRE(next.ok());
  BOOST_TEST(next->last_position.value == last_before_hole + 1);
  image.reset();
  image = open_log(dir.path / "image", clock);
  BOOST_TEST(image->head().value == last_before_hole + 1);
  require_gapless(*image);
}

// ---------------------------------------------------------------------------
// The append pipeline (write, then sync, then answer), observed through a
// fault-injecting wrapper around the real file system: it can hold a WAL sync
// until released, or fail it.

// Named, not anonymous: the data-driven cases below capture a GatedLog in
// lambdas, and GCC warns (-Wsubobject-linkage) about anonymous types there.
namespace gated {

struct SyncGate {
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false;
  bool fail = false;
  bool fail_writes = false;  // WAL appends (the write(2) of a batch) fail
  int held = 0;              // syncs waiting at the gate now
  int failed = 0;

  rocksdb::IOStatus pass() {
    std::unique_lock<std::mutex> lock(mu);
    if (fail) {
      ++failed;
      return rocksdb::IOStatus::IOError("injected: the disk refused the sync");
    }
    ++held;
    cv.notify_all();
    cv.wait(lock, [&] { return !hold; });
    --held;
    return rocksdb::IOStatus::OK();
  }
  rocksdb::IOStatus write() {
    std::lock_guard<std::mutex> lock(mu);
    if (!fail_writes) return rocksdb::IOStatus::OK();
    ++failed;
    return rocksdb::IOStatus::IOError("injected: the disk refused the write");
  }
  void wait_until_held() {
    std::unique_lock<std::mutex> lock(mu);
    BOOST_REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return held > 0; }));
  }
  void set_hold(bool h) {
    {
      std::lock_guard<std::mutex> lock(mu);
      hold = h;
    }
    cv.notify_all();
  }
};

class GatedWal final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  GatedWal(std::unique_ptr<rocksdb::FSWritableFile> f, SyncGate& gate)
      : FSWritableFileOwnerWrapper(std::move(f)), gate_(gate) {}
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    auto s = gate_.pass();
    return s.ok() ? target()->Sync(o, d) : s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    auto s = gate_.pass();
    return s.ok() ? target()->Fsync(o, d) : s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    auto s = gate_.write();
    return s.ok() ? target()->Append(data, o, d) : s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* d) override {
    auto s = gate_.write();
    return s.ok() ? target()->Append(data, o, v, d) : s;
  }

 private:
  SyncGate& gate_;
};

class GatedFs final : public rocksdb::FileSystemWrapper {
 public:
  explicit GatedFs(SyncGate& gate)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), gate_(gate) {}
  const char* Name() const override { return "GatedFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override {
    auto s = target()->NewWritableFile(f, o, r, d);
    if (s.ok() && f.size() > 4 && f.compare(f.size() - 4, 4, ".log") == 0) {
      *r = std::make_unique<GatedWal>(std::move(*r), gate_);
    }
    return s;
  }

 private:
  SyncGate& gate_;
};

struct GatedLog {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  SyncGate gate;
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(std::make_shared<GatedFs>(gate));
  std::unique_ptr<EventLog> log;
  bool writer_syncs_alone;
  explicit GatedLog(bool writer_syncs_alone = true) : writer_syncs_alone(writer_syncs_alone) {
    reopen();
  }
  void reopen() {
    log.reset();
    RocksDbOptions o{dir.path / "log"};
    o.env = env.get();
    o.writer_syncs_alone = writer_syncs_alone;
    auto opened = open_rocksdb_event_log(o, clock);
    BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
    log = std::move(opened.value());
  }
};

}  // namespace gated

using namespace gated;

// Both paths: the writer syncing a lone request itself, and the syncer thread.
BOOST_DATA_TEST_CASE(ReadersDoNotSeeAnAppendUntilItsWalSyncReturns,
                     boost::unit_test::data::make({true, false}), writer_syncs_alone) {
  GatedLog g(writer_syncs_alone);
  BOOST_REQUIRE(g.log->append(req("a", ExpectedVersion::no_stream(), {ev("A1")})).ok());
  g.gate.set_hold(true);
  std::optional<Result<AppendResult>> second;  // read only after join()
  std::atomic<bool> answered{false};
  std::thread appender([&] {
    second = g.log->append(req("b", ExpectedVersion::no_stream(), {ev("B1"), ev("B2")}, "key-b"));
    answered = true;
  });
  g.gate.wait_until_held();  // B1 and B2 are in the WAL and the memtable, not synced

  BOOST_TEST(!answered.load());
  BOOST_TEST(g.log->head().value == 1u);
  BOOST_TEST(g.log->read_stream(StreamId("b"))->empty());
  BOOST_TEST(g.log->stream_version(StreamId("b"))->value == 0u);
  BOOST_TEST(g.log->read_all(GlobalPosition{1}, 100)->size() == 1u);
  auto streams = g.log->list_streams();
  BOOST_REQUIRE(streams.ok());
  BOOST_TEST(streams->size() == 1u);
  BOOST_TEST(!g.log->find_idempotency_key("key-b")->has_value());
  int visited = 0;
  BOOST_REQUIRE(
      g.log->visit_stream(StreamId("b"), StreamVersion{1}, [&](const RecordedEvent&) { ++visited; })
          .ok());
  BOOST_TEST(visited == 0);
  auto during = g.log->verify();
  BOOST_REQUIRE(during.ok());
  BOOST_TEST(during->ok(), during->problem);
  BOOST_TEST(during->events_checked == 1u);

  g.gate.set_hold(false);
  appender.join();
  BOOST_REQUIRE(second.has_value());
  BOOST_REQUIRE(second->ok());
  BOOST_TEST(second->value().last_position.value == 3u);
  BOOST_TEST(g.log->head().value == 3u);
  BOOST_TEST(g.log->read_stream(StreamId("b"))->size() == 2u);
  BOOST_TEST(g.log->stream_version(StreamId("b"))->value == 2u);
  BOOST_TEST(g.log->list_streams()->size() == 2u);
  BOOST_TEST(g.log->find_idempotency_key("key-b")->has_value());
  BOOST_TEST(g.log->verify()->events_checked == 3u);
}

// A conflicting append that arrives while the winner's sync is under way is
// decided at once by the writer (against the winner's unsynced write) but
// answered only once the winner is durable, so the caller can read what beat
// it. The syncer path: the writer hands every group to the syncer.
BOOST_AUTO_TEST_CASE(ARefusalWaitsForTheSyncOfTheEventThatCausedIt) {
  GatedLog g(/*writer_syncs_alone=*/false);
  g.gate.set_hold(true);
  std::optional<Result<AppendResult>> winner, loser;  // read only after join()
  std::atomic<bool> loser_answered{false};
  std::thread first(
      [&] { winner = g.log->append(req("s", ExpectedVersion::no_stream(), {ev("W")})); });
  g.gate.wait_until_held();  // the syncer holds the winner's sync; the writer is free
  std::thread second([&] {
    loser = g.log->append(req("s", ExpectedVersion::no_stream(), {ev("L")}));
    loser_answered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_TEST(!loser_answered.load());
  BOOST_TEST(g.log->stream_version(StreamId("s"))->value == 0u);
  g.gate.set_hold(false);
  first.join();
  second.join();
  BOOST_REQUIRE(winner->ok());
  BOOST_REQUIRE(!loser->ok());
  BOOST_TEST(to_string(loser->error().code) == std::string("wrong_expected_version"));
  BOOST_TEST(*loser->error().actual_version == 1u);
  BOOST_TEST(g.log->stream_version(StreamId("s"))->value == 1u);
}

namespace {
enum class WalFault { sync, write };
std::ostream& operator<<(std::ostream& os, WalFault f) {
  return os << (f == WalFault::sync ? "sync" : "write");
}
void set_failing(SyncGate& gate, WalFault f, bool on) {
  std::lock_guard<std::mutex> lock(gate.mu);
  (f == WalFault::sync ? gate.fail : gate.fail_writes) = on;
}
}  // namespace

// A failed sync, or a failed write of a group's batch, fails the append (and
// every request of its group: a refusal in it may rest on the failed write)
// and stops appends until reopen: the chain's tail is unknown.
BOOST_DATA_TEST_CASE(AFailedWalSyncOrWriteFailsTheAppendAndRefusesAppendsUntilReopened,
                     boost::unit_test::data::make({WalFault::sync, WalFault::write}), fault) {
  GatedLog g;
  BOOST_REQUIRE(g.log->append(req("s", ExpectedVersion::no_stream(), {ev("A")})).ok());
  set_failing(g.gate, fault, true);
  auto failed = g.log->append(req("s", ExpectedVersion::exactly(StreamVersion{1}), {ev("B")}, "k"));
  BOOST_REQUIRE(!failed.ok());
  BOOST_TEST(to_string(failed.error().code) == std::string("io_error"));
  const char* says = fault == WalFault::sync ? "sync" : "refused the write";
  BOOST_TEST(failed.error().message.find(says) != std::string::npos, failed.error().message);
  BOOST_TEST(g.gate.failed > 0);
  BOOST_TEST(g.log->head().value == 1u);
  BOOST_TEST(g.log->read_stream(StreamId("s"))->size() == 1u);
  set_failing(g.gate, fault, false);
  // The disk answers again, but the chain's tail is unknown: no more appends.
  auto after = g.log->append(req("t", ExpectedVersion::no_stream(), {ev("C")}));
  BOOST_REQUIRE(!after.ok());
  BOOST_TEST(after.error().message.find("restart") != std::string::npos, after.error().message);
  BOOST_TEST(g.log->head().value == 1u);

  // After a reopen the outcome of the failed append is settled one way or the
  // other (after a failed sync its bytes reached the page cache, so it is
  // there), the chain verifies, and a retry with its key gets exactly one copy.
  g.reopen();
  auto retry = g.log->append(req("s", ExpectedVersion::exactly(StreamVersion{1}), {ev("B")}, "k"));
  BOOST_REQUIRE(retry.ok());
  BOOST_TEST(g.log->read_stream(StreamId("s"))->size() == 2u);
  BOOST_REQUIRE(g.log->append(req("t", ExpectedVersion::no_stream(), {ev("C")})).ok());
  auto report = g.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->ok(), report->problem);
  BOOST_TEST(report->events_checked == 3u);
}

// append_async() keeps append()'s promise: the callback runs only after the WAL
// sync that makes its events durable, on both paths; a failed sync reaches it
// as an io_error, and later requests are refused at once.
BOOST_DATA_TEST_CASE(AnAsyncAppendIsAnsweredOnlyAfterItsWalSync,
                     boost::unit_test::data::make({true, false}), writer_syncs_alone) {
  Answers answers;  // before the log: its destructor may still run callbacks
  GatedLog g(writer_syncs_alone);
  g.gate.set_hold(true);
  g.log->append_async(req("a", ExpectedVersion::no_stream(), {ev("A1")}),
                      answers.for_request(1, *g.log));
  g.gate.wait_until_held();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  BOOST_TEST(answers.size() == 0u);
  BOOST_TEST(g.log->head().value == 0u);
  g.gate.set_hold(false);
  BOOST_REQUIRE(answers.wait_for(1));
  BOOST_REQUIRE(answers.got[0].result.ok());
  BOOST_TEST(answers.got[0].head_at_callback == 1u);

  set_failing(g.gate, WalFault::sync, true);
  g.log->append_async(req("a", ExpectedVersion::exactly(StreamVersion{1}), {ev("A2")}),
                      answers.for_request(2, *g.log));
  BOOST_REQUIRE(answers.wait_for(2));
  BOOST_REQUIRE(!answers.got[1].result.ok());
  BOOST_TEST(to_string(answers.got[1].result.error().code) == std::string("io_error"));
  set_failing(g.gate, WalFault::sync, false);
  g.log->append_async(req("b", ExpectedVersion::no_stream(), {ev("B1")}),
                      answers.for_request(3, *g.log));
  BOOST_REQUIRE(answers.size() == 3u);  // refused before append_async returned
  BOOST_REQUIRE(!answers.got[2].result.ok());
  BOOST_TEST(answers.got[2].result.error().message.find("restart") != std::string::npos);
  BOOST_TEST(g.log->head().value == 1u);
}

// ---- damage at rest: a byte flipped in a WAL, an SST, the MANIFEST -------------
//
// Before, a byte flipped in the middle of a stopped log's WAL reopened it with
// 32 of its 124 events, and verify said ok: RocksDB's point-in-time recovery
// stops at the damaged record without a word. Now each case is detected and
// named, and none opens as "ok" with fewer events than were acknowledged.

enum class Damaged { wal, sst, manifest };
std::ostream& operator<<(std::ostream& os, Damaged d) {
  const char* names[] = {"wal", "sst", "manifest"};
  return os << names[static_cast<int>(d)];
}

namespace {
fs::path largest_with(const fs::path& db, const std::string& prefix, const std::string& ext) {
  fs::path best;
  std::uintmax_t size = 0;
  for (const auto& f : fs::directory_iterator(db)) {
    const std::string name = f.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || (!ext.empty() && f.path().extension() != ext)) continue;
    if (f.file_size() > size) best = f.path(), size = f.file_size();
  }
  BOOST_REQUIRE_MESSAGE(!best.empty(), "no " + prefix + "*" + ext + " in " + db.string());
  return best;
}
void flip_middle_byte(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  const auto size = fs::file_size(file);
  f.seekg(static_cast<std::streamoff>(size / 2));
  char c = 0;
  f.read(&c, 1);
  f.seekp(static_cast<std::streamoff>(size / 2));
  c = static_cast<char>(c ^ 0x5a);
  f.write(&c, 1);
}
}  // namespace

BOOST_DATA_TEST_CASE(AByteFlippedAtRestIsNamedAndNeverOpensOkWithFewerEvents,
                     boost::unit_test::data::make({Damaged::wal, Damaged::sst, Damaged::manifest}),
                     where) {
  TempDir dir;
  VirtualClock clock{TimePoint(std::chrono::seconds(1'767'225'600))};
  const fs::path db = dir.path / "log";
  constexpr std::uint64_t kAcknowledged = 124;
  {
    auto log = std::move(open_rocksdb_event_log({db}, clock).value());
    for (std::uint64_t i = 0; i < kAcknowledged; ++i)
      BOOST_REQUIRE(log->append(req("hire-" + std::to_string(i % 7), ExpectedVersion::any(),
                                    {ev("E", std::string(200, 'x'))}))
                        .ok());
  }
  if (where == Damaged::sst) {
    RawDb raw(db);  // into table files, so that the damage lands in one
    for (auto* cf : raw.cfs) BOOST_REQUIRE(raw.db->Flush(rocksdb::FlushOptions(), cf).ok());
  }
  const fs::path victim = where == Damaged::wal   ? largest_with(db, "", ".log")
                          : where == Damaged::sst ? largest_with(db, "", ".sst")
                                                  : largest_with(db, "MANIFEST-", "");
  flip_middle_byte(victim);
  // The same damage as a reader beside a writer (journeyctl while journeyd
  // runs) meets it: a copy, opened as a secondary instance.
  fs::copy(db, dir.path / "copy", fs::copy_options::recursive);

  auto judge = [&](Result<std::unique_ptr<EventLog>> opened, const char* who) {
    if (!opened) {
      // Refusing to open is detection, if it says what is wrong.
      BOOST_TEST_MESSAGE(where << ", " << who << ": open refused: " << opened.error().message);
      BOOST_TEST((opened.error().code == ErrorCode::corruption));
      BOOST_TEST(!opened.error().message.empty());
      return;
    }
    auto log = std::move(opened.value());
    const bool reader = std::string(who) == "reader";
    auto report = log->verify();
    if (report && report->ok()) {
      // Only acceptable if nothing is missing and the log takes appends as before.
      BOOST_TEST(report->events_checked == kAcknowledged,
                 where << ", " << who << " opened ok with fewer events");
      BOOST_TEST(log->stats().writes_refused.empty() != reader);
      return;
    }
    const std::string named = report ? report->problem : report.error().message;
    BOOST_TEST_MESSAGE(where << ", " << who << ": " << named);
    BOOST_TEST(!named.empty());
    if (where == Damaged::wal) {
      // The range that recovery lost is named, appends are refused, reads work.
      BOOST_TEST(named.find("were acknowledged") != std::string::npos, named);
      BOOST_TEST(named.find(".." + std::to_string(kAcknowledged)) != std::string::npos, named);
      BOOST_TEST(!log->stats().writes_refused.empty());
      BOOST_TEST(!log->append(req("hire-0", ExpectedVersion::any(), {ev("E")})).ok());
      BOOST_TEST(log->read_stream(StreamId("hire-0")).ok());
    }
  };
  judge(open_rocksdb_event_log({db}, clock), "writer");
  RocksDbOptions beside{dir.path / "copy"};
  beside.create_if_missing = false;
  beside.secondary_path = dir.path / "reader";
  judge(open_rocksdb_event_log(beside, clock), "reader");
}
