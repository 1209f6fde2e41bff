// The options every journeyctl command has, and opening the log: for writing,
// or for reading beside a running journeyd.
#include "cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "journey/workflows/value_domain.h"

namespace journey::ctl {

namespace fs = std::filesystem;

namespace {

// RocksDB's LOCK file is held: journeyd (or another journeyctl) has the log.
bool locked_by_another_process(const storage::Error& e) {
  // RocksDB's words ("IO error: While lock file: …/LOCK: Resource temporarily
  // unavailable"), not any message that happens to hold "lock" (a path may).
  return e.code == storage::ErrorCode::io_error &&
         e.message.find("While lock file: ") != std::string::npos;
}

// Whether another process holds RocksDB's LOCK on the log folder: the POSIX
// record lock RocksDB's Env::LockFile takes (F_SETLK), probed with F_GETLK,
// which takes nothing. A probe, not a promise: the open still handles the
// lock being taken in between.
bool log_locked_elsewhere(const fs::path& log) {
  const int fd = ::open((log / "LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

std::string in_use_message(const Cli& cli, const std::string& detail) {
  return cli.t(
             "journeyd (eller en annan journeyctl) använder datamappen just nu. Ändringar görs "
             "då genom journeyds HTTP-API (en säkerhetskopia med POST /v1/backups); läsningar "
             "(status, history, verify, listor) fungerar bredvid den. Se docs/journeyctl.md, "
             "\"While journeyd runs\". (",
             "journeyd (or another journeyctl) is using the data folder. While it runs, changes "
             "go through journeyd's HTTP API (a backup: POST /v1/backups); reads (status, "
             "history, verify, lists) work beside it. See docs/journeyctl.md, \"While "
             "journeyd runs\". (") +
         detail + ")";
}

// Opens the log as a RocksDB secondary instance beside the process that holds it.
storage::Result<std::unique_ptr<storage::EventLog>> open_beside(const Cli& cli,
                                                                storage::RocksDbOptions o,
                                                                const Clock& clock) {
  std::error_code ec;
  std::string tmpl = (fs::temp_directory_path(ec) / "journeyctl-reader-XXXXXX").string();
  if (ec || ::mkdtemp(tmpl.data()) == nullptr)
    fail(kStorageError, cli.t("Kan inte skapa en tillfällig mapp för läsningen: ",
                              "Cannot create a temporary folder for the read: ") +
                            std::string(std::strerror(errno)));
  o.secondary_path = tmpl;
  auto opened = storage::open_rocksdb_event_log(o, clock);
  // The reader needs its folder only to open (our info log goes to
  // stderr): gone now, nothing is left behind by a Ctrl-C or a SIGPIPE.
  fs::remove_all(o.secondary_path, ec);
  if (opened) {
    std::cerr << cli.t("journeyd kör: läser loggen bredvid den, som den är nu (position ",
                       "journeyd is running: reading the log beside it, as it is now (position ")
              << opened.value()->head().value
              << cli.t("), utan att skriva.\n", "), writing nothing.\n");
  }
  return opened;
}

}  // namespace

void fail(int code, const std::string& message) { throw ExitError{code, message}; }

void Cli::add_global_options(CLI::App& app) {
  app.add_option("--data", data, "Data folder (RocksDB event log)")->envname("JOURNEY_DATA");
  app.add_option("--lang", lang, "Language of what you read: sv or en")
      ->envname("JOURNEY_LANG")
      ->check(CLI::IsMember({"sv", "en"}));
  app.add_flag("--json", json, "Print JSON instead of tables");
  app.add_option("--actor", actor_option, "Who is doing this (default: $JOURNEY_ACTOR or $USER)");
}

void Cli::run_if_chosen(CLI::App* sub, std::function<int()> command) {
  sub->callback([this, command = std::move(command)] { run = command; });
}

std::string Cli::actor() const {
  if (!actor_option.empty()) return actor_option;
  if (const char* a = std::getenv("JOURNEY_ACTOR")) return a;
  if (const char* u = std::getenv("USER")) return u;
  return "journeyctl";
}

std::unique_ptr<Store> Cli::open_store(bool create) const {
  auto s = std::make_unique<Store>();
  const fs::path path = fs::path(data) / "log";
  if (!create && !fs::exists(path)) {
    fail(kRefused, t("Ingen data i ", "No data in ") + data +
                       t(": kör 'journeyctl init' först.", ": run 'journeyctl init' first."));
  }
  if (log_locked_elsewhere(path))
    fail(kStorageError, in_use_message(*this, (path / "LOCK").string()));
  storage::RocksDbOptions o;
  o.path = path;
  o.create_if_missing = create;
  auto opened = storage::open_rocksdb_event_log(o, s->clock);
  if (!opened) {
    const std::string& m = opened.error().message;
    fail(kStorageError, locked_by_another_process(opened.error()) ? in_use_message(*this, m) : m);
  }
  s->log = std::move(opened.value());
  s->engine = std::make_unique<JourneyEngine>(*s->log, s->clock);
  return s;
}

// With the folder free, the log opens as always; while journeyd holds it, as
// a RocksDB secondary instance beside it
// (storage/include/journey/storage/rocksdb_event_log.h): the log as it was at
// this moment, and nothing written to the data folder.
std::unique_ptr<Store> Cli::open_reader() const {
  const fs::path path = fs::path(data) / "log";
  if (!fs::exists(path / "CURRENT")) return open_store(false);  // names the missing data
  auto s = std::make_unique<Store>();
  storage::RocksDbOptions o;
  o.path = path;
  o.create_if_missing = false;
  const bool locked = log_locked_elsewhere(path);
  auto opened =
      locked ? open_beside(*this, o, s->clock) : storage::open_rocksdb_event_log(o, s->clock);
  if (!locked && !opened && locked_by_another_process(opened.error()))
    opened = open_beside(*this, o, s->clock);
  if (!opened) fail(kStorageError, opened.error().message);
  s->log = std::move(opened.value());
  s->engine = std::make_unique<JourneyEngine>(*s->log, s->clock);
  return s;
}

int Cli::report(const CommandOutcome& o, const std::string& what) const {
  if (json) {
    nlohmann::json j{{"outcome", o.kind == CommandOutcome::Kind::accepted    ? "accepted"
                                 : o.kind == CommandOutcome::Kind::duplicate ? "duplicate"
                                 : o.kind == CommandOutcome::Kind::refused   ? "refused"
                                 : o.kind == CommandOutcome::Kind::conflict  ? "conflict"
                                                                             : "failed"},
                     {"hire", o.hire_id},
                     {"version", o.version},
                     {"position", o.position}};
    if (o.refusal) {
      j["code"] = o.refusal->code;
      j["message"] = o.refusal->message(language());
    }
    std::cout << j.dump(2) << '\n';
  } else if (o.ok()) {
    std::cout << (o.kind == CommandOutcome::Kind::duplicate ? o.message(language()) : what) << " "
              << o.hire_id << " (version " << o.version << ", position " << o.position << ")\n";
  } else {
    std::cerr << t("Avvisat: ", "Refused: ") << o.message(language()) << '\n';
  }
  switch (o.kind) {
    case CommandOutcome::Kind::accepted:
    case CommandOutcome::Kind::duplicate:
      return kDone;
    case CommandOutcome::Kind::refused:
      return kRefused;
    case CommandOutcome::Kind::conflict:
      return kConflict;
    default:
      return kStorageError;
  }
}

void Cli::print(const Table& table, const nlohmann::json& list) const {
  if (json)
    std::cout << list.dump(2) << '\n';
  else
    table.print(std::cout);
}

date::sys_days Cli::parse_day(const std::string& value, const char* option) const {
  if (auto bad = workflows::check_date_text(value))
    fail(kRefused, std::string(option) + ": '" + value + "' " + bad->text(language()) + ".");
  return *parse_date(value);
}

std::string Cli::read_file(const std::string& path) const {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(kRefused, t("Kan inte läsa ", "Cannot read ") + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Cli::require_hire(JourneyEngine& e, const std::string& id) const {
  try {
    if (!is_hire_id(id) || !e.load(id))
      fail(kRefused, Refusal{"unknown_hire", {{"hire", id}}}.message(language()));
  } catch (const HireDamaged& d) {
    // Named as a refusal (exit 1), with what to do: 'history' shows where.
    fail(kRefused,
         Refusal{"hire_damaged", {{"hire", id}, {"reason", d.what()}}}.message(language()) +
             " ('journeyctl history " + id + "' " + t("visar var.)", "shows where.)"));
  }
  return id;
}

fs::path Cli::webhook_secrets_dir() const { return fs::path(data) / "webhook-secrets"; }

std::string day(date::sys_days d) { return format_date(d); }

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace journey::ctl
