// Writes the fuzzers' seed corpora, made by the project's own encoders from one
// plausible hire's history, so the seeds are the bytes a real log holds:
//
//   OUT/fuzz_event_decode/     [type index] + payload, and the bare payload
//   OUT/fuzz_envelope_decode/  every stored envelope of the sample log
//   OUT/fuzz_event_log_read/   the same envelopes
//
// The envelopes come from a real RocksDB log in a temporary folder: the events
// are appended through the public API and read back with read_all.
//
//   journey_fuzz_seeds OUT
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "journey/storage/rocksdb_event_log.h"
#include "journey/workflows/events.h"
#include "sample_log.h"

namespace fs = std::filesystem;
namespace st = journey::storage;
namespace wf = journey::workflows;

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "journey_fuzz_seeds: %s\n", what.c_str());
  std::exit(1);
}

date::sys_days day(int y, unsigned m, unsigned d) {
  return date::sys_days(date::year(y) / date::month(m) / date::day(d));
}

// One hire from registration to completion; every event type at least once.
std::vector<wf::DomainEvent> sample_history() {
  using namespace wf;
  return {
      HireRegistered{"Sara Lind",
                     "sara.lind@goteborg.se",
                     "Barn och unga Hisingen",
                     day(2026, 9, 1),
                     true,
                     "gr-forsta-aren",
                     1,
                     {"ad.dator", "intro.rutiner"}},
      IntroducerAppointed{{"Karin Ek", "karin.ek@goteborg.se"}, day(2026, 9, 1)},
      ChecklistItemCompleted{"ad.dator", day(2026, 8, 25), "Dator levererad"},
      ChecklistItemWaived{"intro.bbic", "Har arbetat med BBIC i Borås"},
      HireStarted{day(2026, 9, 1)},
      IntroducerHoursLogged{day(2026, 9, 7), 4},
      MentorAppointed{{"Per Ås", "per.as@goteborg.se"}, Person{"Lena Öst", ""}},
      MentorAppointed{{"Per Ås", ""}, std::nullopt},
      MentorReplacementNamed{{"Lena Öst", "lena.ost@goteborg.se"}},
      MentorDroppedOut{day(2026, 10, 12), "Flyttar"},
      CourseBooked{day(2026, 11, 2), "HT26"},
      CourseModuleAttended{1, day(2026, 11, 2)},
      BbicPartCompleted{"A", day(2026, 11, 9)},
      LeaveStarted{"parental", day(2026, 11, 16)},
      LeaveEnded{day(2027, 2, 1)},
      CourseCompleted{day(2027, 5, 20), "GR-INTYG-2027-0412"},
      PartWaived{"supervision", "Erfaren handläggare"},
      SupervisionGroupJoined{"Grupp 3", "Eva Berg", day(2027, 9, 6)},
      SupervisionSessionAttended{1, day(2027, 9, 6), 2.5},
      SupervisionCompleted{day(2028, 5, 30), "HL-2028-17"},
      HireLeft{day(2028, 6, 30), "Ny tjänst"},
      JourneyCompleted{day(2028, 8, 31)},
  };
}

void write_file(const fs::path& dir, const std::string& name, const std::string& bytes) {
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("cannot write " + (dir / name).string());
}

struct TempFolder {
  fs::path path;
  TempFolder() {
    std::string tmpl = (fs::temp_directory_path() / "journey-fuzz-seeds-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) fail("mkdtemp failed");
    path = tmpl;
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: journey_fuzz_seeds OUT\n");
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path events_dir = out / "fuzz_event_decode";
  const fs::path envelopes_dir = out / "fuzz_envelope_decode";
  const fs::path log_dir = out / "fuzz_event_log_read";
  for (const auto& d : {events_dir, envelopes_dir, log_dir}) fs::create_directories(d);

  const auto history = sample_history();
  const auto& names = wf::event_type_names();
  std::vector<wf::EncodedEvent> encoded;
  for (std::size_t i = 0; i < history.size(); ++i) {
    encoded.push_back(wf::encode(history[i]));
    const auto& enc = encoded.back();
    std::size_t index = 0;
    while (names[index] != enc.type) ++index;
    const std::string n = std::to_string(i);
    write_file(events_dir, n + "-" + enc.type,
               std::string(1, static_cast<char>(index)) + enc.payload);
    write_file(events_dir, n + "-" + enc.type + ".bare", enc.payload);
  }

  const journey::VirtualClock clock(journey::TimePoint(
      std::chrono::microseconds(std::int64_t{1788220800} * 1000000)));  // 2026-09-01T00:00:00Z
  TempFolder folder;
  {
    auto log = st::open_rocksdb_event_log(st::RocksDbOptions{folder.path}, clock);
    if (!log) fail("cannot open a log: " + log.error().message);
    // The sample stream first, so its first event is position 1 (what
    // fuzz_event_log_read overwrites); every third append with a key.
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      st::AppendRequest req;
      req.stream = st::StreamId(journey::fuzz::kSampleStream);
      const auto effective = wf::effective_date(history[i]);
      req.events.push_back(st::NewEvent{encoded[i].type, encoded[i].schema_version,
                                        encoded[i].payload, journey::TimePoint(effective),
                                        "karin.ek"});
      if (i % 3 == 2) req.idempotency_key = "seed-" + std::to_string(i);
      auto r = (*log)->append(std::move(req));
      if (!r) fail("append: " + r.error().message);
    }
    auto report = (*log)->verify();
    if (!report || !report->ok()) fail("the sample log does not verify");
    auto all = (*log)->read_all(st::GlobalPosition{1}, SIZE_MAX);
    if (!all) fail("read_all: " + all.error().message);
    for (const auto& e : *all) {
      const std::string name = std::to_string(e.position.value) + "-" + e.type;
      const std::string bytes = st::envelope::encode(e);
      write_file(envelopes_dir, name, bytes);
      write_file(log_dir, name, bytes);
    }
  }
  // Requests for fuzz_http_request: byte 0 odd = with the admin's token.
  const fs::path http_dir = out / "fuzz_http_request";
  fs::create_directories(http_dir);
  const char* json = "Content-Type: application/json\n\n";
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"list", "GET /v1/hires?unit=Enhet&overdue=true\n\n"},
      {"status", "GET /v1/hires/hire-00000000?as_of=2026-10-01&basis=effective\n\n"},
      {"register", std::string("POST /v1/hires\n") + json +
                       R"({"name":"A","email":"a@example.se","unit":"Enhet","start":"2026-09-01",)"
                       R"("introducer":{"name":"K","email":"k@example.se"}})"},
      {"command", std::string("POST /v1/hires/hire-00000000/events\nIf-Match: \"3\"\n") +
                      "Idempotency-Key: k1\n" + json +
                      R"({"kind":"mentor","name":"P","replacement":{"name":"L"}})"},
      {"hours", std::string("POST /v1/hires/hire-00000000/events\n") + json +
                    R"({"kind":"hours","hours":4.5,"week":"2026-09-07"})"},
      {"unit", std::string("PUT /v1/units/Barn%20och%20unga\n") + json +
                   R"({"municipality":"default","unit_head":{"name":"A","email":"a@x.se"},)"
                   R"("administrator":{"name":"B","email":"b@x.se","language":"en"}})"},
      {"token", std::string("POST /v1/tokens\n") + json +
                    R"({"role":"unit_head","units":["Enhet"],"name":"X"})"},
      {"tasks", "GET /v1/tasks?role=FA&mine=1&person=k%40example.se\n\n"},
      {"import",
       "POST /v1/imports\nContent-Type: "
       "text/csv\n\nname,email,unit,start\nA,a@x.se,E,2026-09-01\n"},
      {"notes", "GET /v1/notifications?outcome=dead_letter\n\n"},
      {"correct", std::string("POST /v1/hires/hire-00000000/corrections\n") + json +
                      R"({"action":"correct","event":1,"reason":"fel datum",)"
                      R"("replacement":{"start":"2026-09-02","name":"B"}})"},
      {"retract", std::string("POST /v1/hires/hire-00000000/corrections\n") + json +
                      R"({"action":"retract","event":2,"reason":"fel person"})"},
      {"history", "GET /v1/hires/hire-00000000/history?as_of=2026-10-01\n\n"},
  };
  for (const auto& [name, text] : requests) {
    write_file(http_dir, name, std::string(1, '\x01') + text);
    write_file(http_dir, name + ".anon", std::string(1, '\x00') + text);
  }
  std::printf("journey_fuzz_seeds: %zu events into %s\n", history.size(), out.c_str());
  return 0;
}
