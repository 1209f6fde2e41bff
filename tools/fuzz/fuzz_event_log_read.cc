// The envelope decoder end to end: each input becomes the stored value of the
// first event of a real RocksDB event log, which is then opened and read back
// through the public API only (open, read_stream, visit_stream, read_all,
// verify). This reaches what fuzz_envelope_decode cannot: the head recovery at
// open (a log whose last event does not decode must still open, damaged) and
// verify()'s checks of a decoded event against its key and the chain.
//
// One folder per process, made once: positions 1 -> kSampleStream/1. Per input
// the value is written with a plain rocksdb::DB (the way someone with disk
// access edits the folder), that handle is closed, and the log is opened: two
// RocksDB opens per input, each about 60 ms under ASan (thread starts, large
// allocations, the OPTIONS file), so this harness runs at 2-8 inputs a second,
// not thousands; fuzz_envelope_decode does the volume. Only the one value
// changes between inputs.
#include <rocksdb/db.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "journey/storage/rocksdb_event_log.h"
#include "sample_log.h"

namespace fs = std::filesystem;
namespace st = journey::storage;

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_event_log_read: %s\n", what.c_str());
  std::abort();
}

std::string event_key(const std::string& stream, std::uint64_t version) {
  std::string k = stream;
  k.push_back('\0');
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((version >> (i * 8)) & 0xff));
  return k;
}

struct Folder {
  fs::path path;
  Folder() {
    std::string tmpl = (fs::temp_directory_path() / "journey-fuzz-log-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) fail("mkdtemp failed");
    path = tmpl;
  }
  ~Folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const journey::VirtualClock& clock_at_2026() {
  static const journey::VirtualClock clock(journey::TimePoint(
      std::chrono::microseconds(std::int64_t{1788220800} * 1000000)));  // 2026-09-01T00:00:00Z
  return clock;
}

// The folder, with one real event appended through the log (so the format tag,
// the column families and the position index entry are what the log wrote).
const fs::path& log_folder() {
  static Folder folder;
  static bool made = [] {
    auto log = st::open_rocksdb_event_log(st::RocksDbOptions{folder.path}, clock_at_2026());
    if (!log) fail("cannot create the log: " + log.error().message);
    st::AppendRequest req;
    req.stream = st::StreamId(journey::fuzz::kSampleStream);
    // HireStarted{2026-09-01} as events.cc encodes it; the log never looks inside.
    const std::string payload("\x01\xd9\x50\x00\x00", 5);
    req.events.push_back(st::NewEvent{"HireStarted", 1, payload, {}, "fuzz"});
    auto r = (*log)->append(std::move(req));
    if (!r) fail("cannot append: " + r.error().message);
    return true;
  }();
  (void)made;
  return folder.path;
}

void overwrite_first_event(const fs::path& path, const std::string& value) {
  rocksdb::Options o;
  std::vector<rocksdb::ColumnFamilyDescriptor> d = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                    {"events", {}},
                                                    {"positions", {}},
                                                    {"idempotency", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(o, path.string(), d, &cfs, &db);
  if (!s.ok()) fail("raw open: " + s.ToString());
  // Straight into a table file: a WAL record of a raw put carries no
  // position, and the log's WAL filter (zero_filled_wal.h) rightly stops its
  // replay there, so the bytes under test would never be read.
  rocksdb::WriteOptions no_wal;
  no_wal.disableWAL = true;
  s = db->Put(no_wal, cfs[1], event_key(journey::fuzz::kSampleStream, 1), value);
  if (!s.ok()) fail("raw put: " + s.ToString());
  s = db->Flush(rocksdb::FlushOptions(), cfs[1]);
  if (!s.ok()) fail("raw flush: " + s.ToString());
  for (auto* h : cfs) db->DestroyColumnFamilyHandle(h);
  s = db->Close();
  if (!s.ok()) fail("raw close: " + s.ToString());
  delete db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string value(reinterpret_cast<const char*>(data), size);
  const fs::path& path = log_folder();
  overwrite_first_event(path, value);

  auto opened = st::open_rocksdb_event_log(st::RocksDbOptions{path, false}, clock_at_2026());
  // A damaged head is reported by verify(), never by a refusal to open.
  if (!opened) fail("the log does not open: " + opened.error().message);
  st::EventLog& log = **opened;
  const st::StreamId stream(journey::fuzz::kSampleStream);
  const auto direct = st::envelope::decode(value);

  auto events = log.read_stream(stream);
  if (events.ok() != direct.ok()) fail("read_stream and envelope::decode disagree");
  // The event is read back as stored, or (its envelope claims a position
  // past the log's head, so no reader may see it yet) not at all; verify
  // below must then call the log not ok: hidden is never silent.
  const bool hidden = events && events->empty() && direct && direct->position.value > 1;
  if (events && !hidden && (events->size() != 1 || events->front().hash != direct->hash)) {
    fail("read_stream returned another event than the one stored (" +
         std::to_string(events->size()) + " events)");
  }
  std::size_t visited = 0;
  auto walk =
      log.visit_stream(stream, st::StreamVersion{1}, [&](const st::RecordedEvent&) { ++visited; });
  if (walk.ok() != direct.ok()) fail("visit_stream and envelope::decode disagree");
  // read_all passes a damaged event on marked, named by the index, so the
  // readers of the whole log keep going: it answers whatever the bytes are.
  auto all = log.read_all(st::GlobalPosition{1}, 10);
  if (!all) fail("read_all failed on one damaged event: " + all.error().message);
  if (all->size() != 1 || all->front().position.value != 1 || all->front().stream != stream ||
      all->front().version.value != 1) {
    fail("read_all did not answer position 1 as the index files it");
  }
  const bool faithful = direct && direct->position.value == 1 && direct->stream == stream &&
                        direct->version.value == 1;
  if (all->front().damage.empty() != faithful)
    fail("read_all marked " + std::string(faithful ? "a faithful event" : "no damage") +
         (faithful ? "" : " on an event that is not the one filed"));
  if (faithful && all->front().hash != direct->hash) fail("read_all returned another event");
  (void)log.list_streams();
  (void)log.stream_version(stream);

  auto report = log.verify();
  if (!report) fail("verify failed to run: " + report.error().message);
  if (hidden && report->ok()) fail("an event past the head was hidden and verify said ok");
  if (report->ok()) {
    // Only a faithful first event passes: it decodes, claims position 1 under
    // this key, starts the chain and hashes to its own hash.
    if (!direct || direct->position.value != 1 || direct->stream != stream ||
        direct->version.value != 1 || direct->prev_hash != st::Sha256{} ||
        st::envelope::compute_hash(value) != direct->hash) {
      fail("verify accepted an event that does not match its key or its hash");
    }
  } else if (!report->first_bad) {
    if (report->problem.empty()) fail("verify failed without naming a problem");
  }
  return 0;
}
