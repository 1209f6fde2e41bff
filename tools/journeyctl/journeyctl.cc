// journeyctl: the command-line face of the engine. Readable tables by default
// (Swedish, or English with --lang en), JSON with --json.
//
// Exit codes: 0 done, 1 refused or bad input, 2 usage, 3 version conflict,
// 4 storage or internal error, 5 the log failed verification.
#include <fcntl.h>
#include <openssl/evp.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "journey/adapters/eml_transport.h"
#include "journey/adapters/http_json.h"
#include "journey/adapters/smtp_transport.h"
#include "journey/adapters/webhook.h"
#include "journey/engine/access.h"
#include "journey/engine/csv_import.h"
#include "journey/engine/journey_engine.h"
#include "journey/engine/scheduler.h"
#include "journey/engine/simulation.h"
#include "journey/engine/views.h"
#include "journey/storage/rocksdb_event_log.h"
#include "journey/workflows/value_domain.h"
#include "table.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace journey;
using namespace journey::engine;
using namespace journey::workflows;
using journey::tools::Table;

namespace {

struct Globals {
  std::string data = "./data";
  std::string lang = "sv";
  bool json = false;
  std::string actor;
  Language language() const { return lang == "en" ? Language::en : Language::sv; }
  // Swedish or English text for what the user reads.
  const char* t(const char* sv, const char* en) const {
    return language() == Language::sv ? sv : en;
  }
};

Globals g;

struct ExitError {
  int code;
  std::string message;
};

[[noreturn]] void fail(int code, const std::string& message) { throw ExitError{code, message}; }

struct Store {
  SystemClock clock;
  std::unique_ptr<storage::EventLog> log;
  std::unique_ptr<JourneyEngine> engine;

  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store() {
    engine.reset();  // before the log it reads
    log.reset();
  }
};

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

std::string in_use_message(const std::string& detail) {
  return g.t("journeyd (eller en annan journeyctl) använder datamappen just nu. Ändringar görs "
             "då genom journeyds HTTP-API (en säkerhetskopia med POST /v1/backups); läsningar "
             "(status, history, verify, listor) fungerar bredvid den. Se README, \"Medan "
             "journeyd kör\". (",
             "journeyd (or another journeyctl) is using the data folder. While it runs, changes "
             "go through journeyd's HTTP API (a backup: POST /v1/backups); reads (status, "
             "history, verify, lists) work beside it. See the README, \"While journeyd "
             "runs\". (") +
         detail + ")";
}

// For commands that change the log: only one process may write it.
std::unique_ptr<Store> open_store(bool create) {
  auto s = std::make_unique<Store>();
  const fs::path path = fs::path(g.data) / "log";
  if (!create && !fs::exists(path)) {
    fail(1, g.t("Ingen data i ", "No data in ") + g.data +
                g.t(": kör 'journeyctl init' först.", ": run 'journeyctl init' first."));
  }
  if (log_locked_elsewhere(path)) fail(4, in_use_message((path / "LOCK").string()));
  storage::RocksDbOptions o;
  o.path = path;
  o.create_if_missing = create;
  auto opened = storage::open_rocksdb_event_log(o, s->clock);
  if (!opened) {
    const std::string& m = opened.error().message;
    fail(4, locked_by_another_process(opened.error()) ? in_use_message(m) : m);
  }
  s->log = std::move(opened.value());
  s->engine = std::make_unique<JourneyEngine>(*s->log, s->clock);
  return s;
}

// For commands that only read. With the folder free, the log opens as
// always; while journeyd holds it, as a RocksDB secondary instance beside it
// (storage/include/journey/storage/rocksdb_event_log.h): the log as it was at
// this moment, and nothing written to the data folder.
std::unique_ptr<Store> open_reader() {
  const fs::path path = fs::path(g.data) / "log";
  if (!fs::exists(path / "CURRENT")) return open_store(false);  // names the missing data
  auto s = std::make_unique<Store>();
  storage::RocksDbOptions o;
  o.path = path;
  o.create_if_missing = false;
  auto beside = [&] {
    std::error_code ec;
    std::string tmpl = (fs::temp_directory_path(ec) / "journeyctl-reader-XXXXXX").string();
    if (ec || ::mkdtemp(tmpl.data()) == nullptr)
      fail(4, g.t("Kan inte skapa en tillfällig mapp för läsningen: ",
                  "Cannot create a temporary folder for the read: ") +
                  std::string(std::strerror(errno)));
    o.secondary_path = tmpl;
    auto opened = storage::open_rocksdb_event_log(o, s->clock);
    // The reader needs its folder only to open (our info log goes to
    // stderr): gone now, nothing is left behind by a Ctrl-C or a SIGPIPE.
    fs::remove_all(o.secondary_path, ec);
    if (opened) {
      std::cerr << g.t("journeyd kör: läser loggen bredvid den, som den är nu (position ",
                       "journeyd is running: reading the log beside it, as it is now (position ")
                << opened.value()->head().value
                << g.t("), utan att skriva.\n", "), writing nothing.\n");
    }
    return opened;
  };
  const bool locked = log_locked_elsewhere(path);
  auto opened = locked ? beside() : storage::open_rocksdb_event_log(o, s->clock);
  if (!locked && !opened && locked_by_another_process(opened.error())) opened = beside();
  if (!opened) fail(4, opened.error().message);
  s->log = std::move(opened.value());
  s->engine = std::make_unique<JourneyEngine>(*s->log, s->clock);
  return s;
}

std::string actor() {
  if (!g.actor.empty()) return g.actor;
  if (const char* a = std::getenv("JOURNEY_ACTOR")) return a;
  if (const char* u = std::getenv("USER")) return u;
  return "journeyctl";
}

// The value domain's date (value_domain.h), named by its option.
date::sys_days parse_day(const std::string& value, const char* option) {
  if (auto bad = workflows::check_date_text(value))
    fail(1, std::string(option) + ": '" + value + "' " + bad->text(g.language()) + ".");
  return *parse_date(value);
}

std::string day(date::sys_days d) { return format_date(d); }
std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
std::string iso_week(date::sys_days monday) { return date::format("%G-W%V", monday); }

int report(const CommandOutcome& o, const std::string& what) {
  if (g.json) {
    json j{{"outcome", o.kind == CommandOutcome::Kind::accepted    ? "accepted"
                       : o.kind == CommandOutcome::Kind::duplicate ? "duplicate"
                       : o.kind == CommandOutcome::Kind::refused   ? "refused"
                       : o.kind == CommandOutcome::Kind::conflict  ? "conflict"
                                                                   : "failed"},
           {"hire", o.hire_id},
           {"version", o.version},
           {"position", o.position}};
    if (o.refusal) {
      j["code"] = o.refusal->code;
      j["message"] = o.refusal->message(g.language());
    }
    std::cout << j.dump(2) << '\n';
  } else if (o.ok()) {
    std::cout << (o.kind == CommandOutcome::Kind::duplicate ? o.message(g.language()) : what) << " "
              << o.hire_id << " (version " << o.version << ", position " << o.position << ")\n";
  } else {
    std::cerr << g.t("Avvisat: ", "Refused: ") << o.message(g.language()) << '\n';
  }
  switch (o.kind) {
    case CommandOutcome::Kind::accepted:
    case CommandOutcome::Kind::duplicate:
      return 0;
    case CommandOutcome::Kind::refused:
      return 1;
    case CommandOutcome::Kind::conflict:
      return 3;
    default:
      return 4;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(1, g.t("Kan inte läsa ", "Cannot read ") + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// ---- programme --------------------------------------------------------------

void print_programme(const Programme& p) {
  if (g.json) {
    json j{{"id", p.id}, {"version", p.version}, {"name", p.name}, {"source", p.source}};
    for (const auto& cl : p.checklists) {
      json items = json::array();
      for (const auto& i : cl.items) {
        items.push_back({{"id", i.id},
                         {"text", i.text},
                         {"role", role_code(i.role)},
                         {"due", i.due.str()},
                         {"waived_if_experienced", i.waived_if_experienced}});
      }
      j["checklists"].push_back(
          {{"id", cl.id}, {"title", cl.title}, {"part", part_id(cl.part)}, {"items", items}});
    }
    for (const auto& m : p.course.modules)
      j["course"]["modules"].push_back({{"number", m.number}, {"title", m.title}});
    for (const auto& b : p.course.bbic_parts)
      j["course"]["bbic_parts"].push_back({{"id", b.id}, {"title", b.title}});
    j["course"]["start"] = {{"from", p.course.start.from.str()}, {"to", p.course.start.to.str()}};
    j["supervision"] = {
        {"title", p.supervision.title},
        {"start", {{"from", p.supervision.start.from.str()}, {"to", p.supervision.start.to.str()}}},
        {"sessions", p.supervision.sessions},
        {"session_hours", p.supervision.session_hours}};
    for (const auto& per : p.support.introducer) {
      j["support"]["introducer"].push_back(
          {{"from", per.from.str()}, {"to", per.to.str()}, {"hours_per_week", per.hours_per_week}});
    }
    for (const auto& d : p.deadlines) {
      j["deadlines"].push_back(
          {{"id", d.id}, {"title", d.title}, {"part", part_id(d.part)}, {"due", d.due.str()}});
    }
    std::cout << j.dump(2) << '\n';
    return;
  }
  std::cout << p.name << "\n" << p.id << " v" << p.version << " — " << p.source << "\n\n";
  for (const auto& cl : p.checklists) {
    std::cout << cl.title << " (" << part_title(cl.part, g.language()) << ", " << cl.items.size()
              << ")\n";
    Table t({"Id", g.t("Ansvar", "Role"), g.t("Senast", "Due"), "EJ*", g.t("Moment", "Item")});
    for (const auto& i : cl.items) {
      t.add({i.id, role_code(i.role), i.due.str(), i.waived_if_experienced ? "EJ" : "", i.text});
    }
    t.print(std::cout);
    std::cout << '\n';
  }
  std::cout << g.t("* EJ: markeras EJ vid registrering av erfarna nyanställda.\n\n",
                   "* EJ: marked EJ when an experienced hire is registered.\n\n");
  std::cout << p.course.title << g.t(" (start inom ", " (starts within ")
            << p.course.start.from.str() << "–" << p.course.start.to.str() << ")\n";
  for (const auto& m : p.course.modules) std::cout << "  " << m.title << '\n';
  for (const auto& b : p.course.bbic_parts)
    std::cout << "  BBIC " << b.id << ": " << b.title << '\n';
  std::cout << '\n'
            << p.supervision.title << ": " << p.supervision.sessions
            << g.t(" träffar à ", " sessions of ") << num(p.supervision.session_hours) << " h, "
            << g.t("start inom ", "starts within ") << p.supervision.start.from.str() << "–"
            << p.supervision.start.to.str() << ", " << g.t("grupper ", "groups ")
            << p.supervision.group_min << "–" << p.supervision.group_max << "\n\n";
  std::cout << p.support.title << ":\n";
  for (const auto& per : p.support.introducer) {
    std::cout << "  " << per.from.str() << "–" << per.to.str() << ": " << num(per.hours_per_week)
              << g.t(" h/vecka med introduktör\n", " h/week with the introducer\n");
  }
  std::cout << '\n';
  Table d({"Id", g.t("Tidsgräns", "Deadline"), g.t("Del", "Part"), g.t("Beskrivning", "Title")});
  for (const auto& x : p.deadlines)
    d.add({x.id, x.due.str(), part_title(x.part, g.language()), x.title});
  d.print(std::cout);
}

// ---- status -----------------------------------------------------------------

json status_json(const HireStatus& s) { return http::status_json(s); }

void print_status(const HireStatus& s) {
  if (g.json) {
    std::cout << status_json(s).dump(2) << '\n';
    return;
  }
  const Language L = g.language();
  std::cout << s.hire.name << " <" << s.hire.email << ">  " << s.hire_id << '\n'
            << g.t("Enhet: ", "Unit: ") << s.hire.unit << "   Start: " << day(s.hire.start)
            << g.t("   Program: ", "   Programme: ") << s.hire.programme_id << " v"
            << s.hire.programme_version
            << (s.hire.experienced ? g.t("   (erfaren)", "   (experienced)") : "") << '\n'
            << g.t("Läge: ", "State: ") << state_title(s.lifecycle, L)
            << g.t("   per ", "   as of ") << day(s.as_of) << '\n'
            << g.t("Introduktör: ", "Introducer: ")
            << (s.introducer ? s.introducer->introducer.name : "–")
            << "   Mentor: " << (s.mentor ? s.mentor->name : "–")
            << g.t("   Ersättare: ", "   Replacement: ")
            << (s.mentor_replacement ? s.mentor_replacement->name : "–") << '\n';
  if (!s.leaves.empty()) {
    std::cout << g.t("Ledighet: ", "Leave: ") << s.leave_days << g.t(" dagar", " days");
    for (const auto& l : s.leaves) {
      std::cout << " (" << l.kind << " " << day(l.from) << " – "
                << (l.back_on ? day(*l.back_on) : "") << ")";
    }
    std::cout << '\n';
  }
  std::cout << '\n';
  Table parts({g.t("Del", "Part"), g.t("Läge", "State"), g.t("Klart", "Done")});
  for (const auto& p : s.parts) {
    parts.add({part_title(p.part, L), state_title(p.state, L),
               std::to_string(p.done) + "/" + std::to_string(p.total)});
  }
  parts.print(std::cout);
  std::cout << '\n';
  Table roles({g.t("Ansvar", "Role"), g.t("Klart", "Done"), g.t("Totalt", "Total"), "EJ"});
  for (const auto& r : s.roles) {
    roles.add({role_code(r.role), std::to_string(r.done), std::to_string(r.total),
               std::to_string(r.waived)});
  }
  roles.print(std::cout);
  std::cout << '\n';
  Table dl({"Id", g.t("Tidsgräns", "Due"), g.t("Flyttad till", "Moved to"), "Status",
            g.t("Beskrivning", "Title")});
  for (const auto& d : s.deadlines) {
    dl.add({d.id, day(d.nominal), d.due != d.nominal ? day(d.due) : "",
            d.met       ? g.t("klar", "met")
            : d.overdue ? g.t("FÖRSENAD", "OVERDUE")
                        : g.t("öppen", "open"),
            d.title});
  }
  dl.print(std::cout);
  if (s.next_deadline) {
    std::cout << '\n'
              << g.t("Nästa: ", "Next: ") << day(s.next_deadline->due) << "  "
              << s.next_deadline->title << " (" << s.next_deadline->id << ")\n";
  }
  if (!s.overdue_items.empty()) {
    std::cout << '\n'
              << g.t("Försenade moment", "Overdue items") << " (" << s.overdue_items.size()
              << "):\n";
    Table od({"Id", g.t("Ansvar", "Role"), g.t("Senast", "Due"), g.t("Moment", "Item")});
    for (const auto& i : s.overdue_items) od.add({i.id, role_code(i.role), day(i.due), i.text});
    od.print(std::cout);
  }
  if (!s.weeks.empty()) {
    std::cout << '\n'
              << g.t("Introduktörstimmar: skuld ", "Introducer hours: owed ") << num(s.hours_owed)
              << g.t(" h, loggat ", " h, logged ") << num(s.hours_logged)
              << g.t(" h, saldo ", " h, balance ") << num(s.hours_logged - s.hours_owed) << " h\n";
    Table w({g.t("Vecka", "Week"), g.t("Skuld", "Owed"), g.t("Loggat", "Logged")});
    const std::size_t from = s.weeks.size() > 8 ? s.weeks.size() - 8 : 0;
    for (std::size_t i = from; i < s.weeks.size(); ++i) {
      w.add({iso_week(s.weeks[i].monday), num(s.weeks[i].owed), num(s.weeks[i].logged)});
    }
    w.print(std::cout);
    if (from > 0)
      std::cout << g.t("(de senaste 8 veckorna; --json visar alla)\n",
                       "(last 8 weeks; --json shows all)\n");
  }
}

std::optional<AsOf> as_of_option(const std::string& as_of, bool effective) {
  if (as_of.empty()) return std::nullopt;
  return AsOf{parse_day(as_of, "--as-of"),
              effective ? AsOf::Basis::effective : AsOf::Basis::recorded};
}

// Webhook secrets live in DATA/webhook-secrets/<id> (mode 0600), one per line,
// the newest first; the log keeps only their fingerprints.
fs::path secrets_file(const std::string& id) { return fs::path(g.data) / "webhook-secrets" / id; }

std::vector<std::string> read_secrets(const std::string& id) {
  return adapters::read_secret_file(secrets_file(id).parent_path(), id);
}

void write_secrets(const std::string& id, const std::vector<std::string>& secrets) {
  try {
    adapters::write_secret_file(secrets_file(id).parent_path(), id, secrets);
  } catch (const std::exception& e) {
    fail(4, e.what());
  }
}

std::string fingerprint(const std::string& secret) { return adapters::secret_fingerprint(secret); }

std::string require_hire(JourneyEngine& e, const std::string& id) {
  try {
    if (!is_hire_id(id) || !e.load(id))
      fail(1, Refusal{"unknown_hire", {{"hire", id}}}.message(g.language()));
  } catch (const HireDamaged& d) {
    // Named as a refusal (exit 1), with what to do: 'history' shows where.
    fail(1, Refusal{"hire_damaged", {{"hire", id}, {"reason", d.what()}}}.message(g.language()) +
                " ('journeyctl history " + id + "' " + g.t("visar var.)", "shows where.)"));
  }
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  // What the libraries log (RocksDB, a damaged hire) goes to stderr, never
  // into the output a script parses; warnings and worse only.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("journeyctl"));
  spdlog::set_pattern("journeyctl: %l: %v");
  spdlog::set_level(spdlog::level::warn);
  CLI::App app{"journeyctl — Journey: de första åren som socialsekreterare (GR)"};
  app.require_subcommand(1);
  app.add_option("--data", g.data, "Data folder (RocksDB event log)")->envname("JOURNEY_DATA");
  app.add_option("--lang", g.lang, "Language of what you read: sv or en")
      ->envname("JOURNEY_LANG")
      ->check(CLI::IsMember({"sv", "en"}));
  app.add_flag("--json", g.json, "Print JSON instead of tables");
  app.add_option("--actor", g.actor, "Who is doing this (default: $JOURNEY_ACTOR or $USER)");

  std::function<int()> run;

  // init
  auto* init =
      app.add_subcommand("init", "Create the data folder and install the shipped programmes");
  std::vector<std::string> init_files;
  init->add_option("--programme", init_files,
                   "Programme TOML file(s) to install instead of the shipped ones");
  init->callback([&] {
    run = [&] {
      auto store = open_store(true);
      std::vector<std::string> files = init_files;
      if (files.empty()) {
        for (const auto& entry : fs::directory_iterator(JOURNEY_PROGRAMMES_DIR)) {
          if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
        }
        std::sort(files.begin(), files.end());
      }
      int rc = 0;
      for (const auto& f : files) {
        auto o = store->engine->publish_programme(read_file(f), f, actor());
        if (!g.json) std::cout << f << ": ";
        rc = std::max(rc, report(o, g.t("Programmet installerat i", "Programme installed in")));
      }
      if (!g.json && rc == 0) {
        std::cout << g.t("Klart. Data i ", "Ready. Data in ") << g.data
                  << g.t(". Nästa steg: journeyctl hire register --help\n",
                         ". Next: journeyctl hire register --help\n");
      }
      return rc;
    };
  });

  // programme
  auto* prog = app.add_subcommand("programme", "Validate, show, list and publish programmes");
  prog->require_subcommand(1);
  std::string prog_file, prog_id = "gr-forsta-aren";
  int prog_version = 0;
  auto* validate = prog->add_subcommand("validate", "Check a programme file without installing it");
  validate->add_option("file", prog_file)->required();
  validate->callback([&] {
    run = [&] {
      try {
        Programme p = load_programme_file(prog_file);
        std::size_t items = 0;
        for (const auto& cl : p.checklists) items += cl.items.size();
        if (g.json) {
          std::cout << json{{"valid", true}, {"id", p.id}, {"version", p.version}, {"items", items}}
                           .dump(2)
                    << '\n';
        } else {
          std::cout << prog_file << g.t(": giltig — ", ": valid — ") << p.id << " v" << p.version
                    << ", " << p.checklists.size() << g.t(" checklistor, ", " checklists, ")
                    << items << g.t(" moment, ", " items, ") << p.course.modules.size()
                    << g.t(" kursmoduler\n", " course modules\n");
        }
        return 0;
      } catch (const ProgrammeError& e) {
        if (g.json)
          std::cout << json{{"valid", false}, {"error", e.what()}}.dump(2) << '\n';
        else
          std::cerr << e.what() << '\n';
        return 1;
      }
    };
  });
  auto* show = prog->add_subcommand("show", "Show a programme: installed (by id) or from a file");
  show->add_option("id", prog_id, "Programme id")->capture_default_str();
  show->add_option("--version", prog_version, "Version (default: newest)");
  show->add_option("--file", prog_file, "Show this file instead of an installed programme");
  show->callback([&] {
    run = [&] {
      if (!prog_file.empty()) {
        try {
          print_programme(load_programme_file(prog_file));
        } catch (const ProgrammeError& e) {
          fail(1, e.what());
        }
        return 0;
      }
      auto store = open_reader();
      auto p = store->engine->programme(
          prog_id, prog_version ? std::optional<int>(prog_version) : std::nullopt);
      if (!p)
        fail(1, Refusal{"programme_not_found", {{"programme", prog_id}}}.message(g.language()));
      print_programme(*p);
      return 0;
    };
  });
  auto* plist = prog->add_subcommand("list", "List installed programmes");
  plist->callback([&] {
    run = [&] {
      auto store = open_reader();
      auto list = store->engine->programmes();
      if (g.json) {
        json j = json::array();
        for (const auto& p : list)
          j.push_back(
              {{"id", p.id}, {"version", p.version}, {"name", p.name}, {"sha256", p.sha256}});
        std::cout << j.dump(2) << '\n';
      } else {
        Table t({"Id", "Version", g.t("Namn", "Name"), "SHA-256"});
        for (const auto& p : list)
          t.add({p.id, std::to_string(p.version), p.name, p.sha256.substr(0, 16)});
        t.print(std::cout);
      }
      return 0;
    };
  });
  auto* publish = prog->add_subcommand("publish", "Install a new programme version from a file");
  publish->add_option("file", prog_file)->required();
  publish->callback([&] {
    run = [&] {
      auto store = open_store(false);
      return report(store->engine->publish_programme(read_file(prog_file), prog_file, actor()),
                    g.t("Programmet installerat i", "Programme installed in"));
    };
  });

  // hire
  auto* hire = app.add_subcommand("hire", "Register and list hires");
  hire->require_subcommand(1);
  RegisterHire reg;
  std::string intro_name, intro_email, key;
  int reg_prog_version = 0;
  auto* regcmd = hire->add_subcommand("register", "Register a new hire");
  regcmd->add_option("--name", reg.name, "Full name")->required();
  regcmd->add_option("--email", reg.email, "E-mail")->required();
  regcmd->add_option("--unit", reg.unit, "Unit (enhet)")->required();
  regcmd->add_option("--start", reg.start, "First working day, YYYY-MM-DD")->required();
  regcmd->add_flag("--experienced", reg.experienced,
                   "New to the workplace, not to the profession (items marked EJ)");
  regcmd->add_option("--introducer", intro_name, "Introducer's name");
  regcmd->add_option("--introducer-email", intro_email, "Introducer's e-mail");
  regcmd->add_option("--programme", reg.programme_id, "Programme id")->capture_default_str();
  regcmd->add_option("--programme-version", reg_prog_version,
                     "Programme version (default: newest)");
  regcmd->add_option("--key", key, "Idempotency key: the same key twice registers once");
  regcmd->callback([&] {
    run = [&] {
      auto store = open_store(false);
      if (!intro_name.empty()) reg.introducer = Person{intro_name, intro_email};
      if (reg_prog_version) reg.programme_version = reg_prog_version;
      return report(store->engine->register_hire(reg, CommandContext{actor(), key, std::nullopt}),
                    g.t("Registrerad:", "Registered:"));
    };
  });
  std::string list_unit, list_state, list_as_of, list_name;
  bool list_overdue = false;
  auto* hlist =
      hire->add_subcommand("list", "List hires with their next deadline and what is overdue");
  hlist->add_option("--unit", list_unit, "Only this unit");
  hlist->add_option("--state", list_state,
                    "Only this lifecycle state (Preboarding, Active, OnLeave, Completed, Left)");
  hlist->add_flag("--overdue", list_overdue, "Only hires with something overdue");
  hlist->add_option("--name", list_name,
                    "Only hires whose name has every word of this, ignoring case");
  hlist->add_option("--as-of", list_as_of, "Evaluate on this date (default today)");
  hlist->callback([&] {
    run = [&] {
      if (auto bad = workflows::check_name(list_name, false))
        fail(1, "--name " + bad->text(g.language()) + ".");
      auto store = open_reader();
      const date::sys_days when =
          list_as_of.empty() ? store->engine->today() : parse_day(list_as_of, "--as-of");
      Table t({"Id", g.t("Namn", "Name"), g.t("Enhet", "Unit"), "Start", g.t("Läge", "State"),
               g.t("Nästa", "Next"), g.t("Försenat", "Overdue")});
      json j = json::array();
      int damaged = 0;
      for (const auto& id : store->engine->hires()) {
        std::optional<HireStatus> s;
        try {
          s = store->engine->status(id, when);
        } catch (const HireDamaged& e) {
          // One damaged hire must not hide the others: list it, say why.
          auto who = store->engine->identify(id);
          if (!list_unit.empty() && (!who || who->unit != list_unit)) continue;
          if (!engine::name_matches(who ? who->name : "", list_name)) continue;
          ++damaged;
          const std::string name = who ? who->name : "", unit = who ? who->unit : "";
          t.add({id, name, unit, "", g.t("SKADAD", "DAMAGED"), e.what(), ""});
          j.push_back({{"hire", id},
                       {"name", name},
                       {"unit", unit},
                       {"lifecycle", "Damaged"},
                       {"damaged", true},
                       {"damage", e.what()}});
          continue;
        }
        if (!s) continue;
        int overdue = static_cast<int>(s->overdue_items.size());
        for (const auto& d : s->deadlines) overdue += d.overdue;
        if (!list_unit.empty() && s->hire.unit != list_unit) continue;
        if (!engine::name_matches(s->hire.name, list_name)) continue;
        if (!list_state.empty() && s->lifecycle != list_state) continue;
        if (list_overdue && overdue == 0) continue;
        const std::string next =
            s->next_deadline ? day(s->next_deadline->due) + " " + s->next_deadline->id : "";
        t.add({id, s->hire.name, s->hire.unit, day(s->hire.start),
               state_title(s->lifecycle, g.language()), next, std::to_string(overdue)});
        j.push_back({{"hire", id},
                     {"name", s->hire.name},
                     {"unit", s->hire.unit},
                     {"start", day(s->hire.start)},
                     {"lifecycle", s->lifecycle},
                     {"next", next},
                     {"overdue", overdue}});
      }
      if (g.json)
        std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
      else
        t.print(std::cout);
      if (damaged)
        std::cerr
            << damaged
            << g.t(" nyanställd(a) har skadad historik; se README, \"En skadad nyanställd\".\n",
                   " hire(s) have a damaged history; see README, \"A damaged hire\".\n");
      return 0;
    };
  });

  // record
  auto* record = app.add_subcommand("record", "Record what happened in a hire's journey");
  record->require_subcommand(1);
  std::string r_hire, r_on, r_text, r_name, r_email, r_name2, r_email2, r_kind = "other", r_key;
  int r_number = 0;
  double r_hours = 0;
  std::uint64_t r_expect = 0;
  std::function<DomainEvent(JourneyEngine&)> make_event;
  std::string done_text;
  auto on_or_today = [&](JourneyEngine& e) {
    return r_on.empty() ? e.today() : parse_day(r_on, "--on");
  };
  auto sub = [&](const char* name, const char* help, const char* done,
                 std::function<DomainEvent(JourneyEngine&)> f) {
    auto* c = record->add_subcommand(name, help);
    c->add_option("hire", r_hire, "Hire id (hire-…)")->required();
    c->add_option("--key", r_key, "Idempotency key: the same key twice records once");
    c->add_option("--expect-version", r_expect,
                  "Refuse if the journey is no longer at this version");
    c->callback([&, done, f] {
      make_event = f;
      done_text = done;
    });
    return c;
  };
  sub("started", "The hire's first working day", "Första dagen registrerad för",
      [&](JourneyEngine& e) { return DomainEvent(HireStarted{on_or_today(e)}); })
      ->add_option("--on", r_on, "Date (default today)");
  auto* item = sub("item", "A checklist item is done (klart datum)", "Moment klart för",
                   [&](JourneyEngine& e) {
                     return DomainEvent(ChecklistItemCompleted{r_name, on_or_today(e), r_text});
                   });
  item->add_option("item", r_name, "Item id, see 'programme show'")->required();
  item->add_option("--on", r_on, "Done date (default today)");
  item->add_option("--comment", r_text, "Comment");
  auto* waive = sub("waive", "Mark a checklist item EJ (no introduction needed)",
                    "Moment markerat EJ för", [&](JourneyEngine&) {
                      return DomainEvent(ChecklistItemWaived{r_name, r_text});
                    });
  waive->add_option("item", r_name)->required();
  waive->add_option("--reason", r_text);
  auto* intro =
      sub("introducer", "Appoint or change the introducer", "Introduktör utsedd för",
          [&](JourneyEngine& e) {
            return DomainEvent(IntroducerAppointed{Person{r_name, r_email}, on_or_today(e)});
          });
  intro->add_option("--name", r_name)->required();
  intro->add_option("--email", r_email);
  intro->add_option("--from", r_on, "From date (default today)");
  auto* mentor = sub("mentor", "Appoint the mentor and the named replacement (ersättare)",
                     "Mentor utsedd för", [&](JourneyEngine&) {
                       std::optional<Person> repl;
                       if (!r_name2.empty()) repl = Person{r_name2, r_email2};
                       return DomainEvent(MentorAppointed{Person{r_name, r_email}, repl});
                     });
  mentor->add_option("--name", r_name)->required();
  mentor->add_option("--email", r_email);
  mentor->add_option("--replacement", r_name2);
  mentor->add_option("--replacement-email", r_email2);
  auto* repl = sub("replacement", "Name the mentor's replacement", "Ersättare utsedd för",
                   [&](JourneyEngine&) {
                     return DomainEvent(MentorReplacementNamed{Person{r_name, r_email}});
                   });
  repl->add_option("--name", r_name)->required();
  repl->add_option("--email", r_email);
  auto* drop = sub("mentor-dropout", "The mentor drops out; the replacement takes over",
                   "Mentorns avhopp registrerat för", [&](JourneyEngine& e) {
                     return DomainEvent(MentorDroppedOut{on_or_today(e), r_text});
                   });
  drop->add_option("--on", r_on);
  drop->add_option("--reason", r_text);
  auto* book =
      sub("course-booked", "Book the introduction course", "Kurs bokad för", [&](JourneyEngine&) {
        return DomainEvent(CourseBooked{parse_day(r_on, "--starts"), r_text});
      });
  book->add_option("--starts", r_on, "First course day")->required();
  book->add_option("--cohort", r_text);
  auto* module =
      sub("module", "A course module was attended", "Modul registrerad för", [&](JourneyEngine& e) {
        return DomainEvent(CourseModuleAttended{r_number, on_or_today(e)});
      });
  module->add_option("number", r_number, "Module number")->required();
  module->add_option("--on", r_on);
  auto* bbic =
      sub("bbic", "A BBIC part was completed", "BBIC-del registrerad för", [&](JourneyEngine& e) {
        return DomainEvent(BbicPartCompleted{r_name, on_or_today(e)});
      });
  bbic->add_option("part", r_name, "A, B, C or D")->required();
  bbic->add_option("--on", r_on);
  auto* cdone = sub("course-completed", "The whole course is done (intyg)",
                    "Introduktionsprogrammet klart för", [&](JourneyEngine& e) {
                      return DomainEvent(CourseCompleted{on_or_today(e), r_text});
                    });
  cdone->add_option("--on", r_on);
  cdone->add_option("--certificate", r_text);
  auto* wpart = sub("waive-part", "A whole part is not needed: course or supervision",
                    "Del markerad som ej behövd för", [&](JourneyEngine&) {
                      return DomainEvent(PartWaived{r_name, r_text});
                    });
  wpart->add_option("part", r_name, "course or supervision")->required();
  wpart->add_option("--reason", r_text);
  auto* group = sub(
      "supervision-group", "Join a supervision group", "Handledningsgrupp registrerad för",
      [&](JourneyEngine&) {
        return DomainEvent(SupervisionGroupJoined{r_name, r_name2, parse_day(r_on, "--starts")});
      });
  group->add_option("--group", r_name)->required();
  group->add_option("--supervisor", r_name2)->required();
  group->add_option("--starts", r_on)->required();
  auto* session =
      sub("session", "A supervision session was attended", "Handledningsträff registrerad för",
          [&](JourneyEngine& e) {
            return DomainEvent(SupervisionSessionAttended{r_number, on_or_today(e), r_hours});
          });
  session->add_option("number", r_number, "Session number")->required();
  session->add_option("--on", r_on);
  session->add_option("--hours", r_hours, "Hours")->default_val(2.0);
  auto* sdone = sub("supervision-completed", "Supervision is done (intyg)",
                    "Handledningen klar för", [&](JourneyEngine& e) {
                      return DomainEvent(SupervisionCompleted{on_or_today(e), r_text});
                    });
  sdone->add_option("--on", r_on);
  sdone->add_option("--certificate", r_text);
  auto* hours = sub(
      "hours", "Introducer hours in an ISO week", "Introduktörstimmar registrerade för",
      [&](JourneyEngine& e) {
        const date::sys_days d = on_or_today(e);
        return DomainEvent(IntroducerHoursLogged{d - (date::weekday(d) - date::Monday), r_hours});
      });
  hours->add_option("hours", r_hours)->required();
  hours->add_option("--week", r_on, "Any date in the week (default this week)");
  auto* lstart =
      sub("leave-start", "Leave begins (parental, sick, other): the programme clock stops",
          "Ledighet registrerad för", [&](JourneyEngine& e) {
            return DomainEvent(LeaveStarted{r_kind, on_or_today(e)});
          });
  lstart->add_option("--kind", r_kind)
      ->check(CLI::IsMember({"parental", "sick", "other"}))
      ->capture_default_str();
  lstart->add_option("--from", r_on);
  auto* lend = sub("leave-end", "Back from leave", "Återkomst registrerad för",
                   [&](JourneyEngine& e) { return DomainEvent(LeaveEnded{on_or_today(e)}); });
  lend->add_option("--back", r_on, "First day back");
  auto* left = sub("left", "The hire has left", "Avslut registrerat för", [&](JourneyEngine& e) {
    return DomainEvent(HireLeft{on_or_today(e), r_text});
  });
  left->add_option("--on", r_on);
  left->add_option("--reason", r_text);
  sub("completed", "The whole journey is completed", "Introduktionen avslutad för",
      [&](JourneyEngine& e) { return DomainEvent(JourneyCompleted{on_or_today(e)}); })
      ->add_option("--on", r_on);
  record->callback([&] {
    run = [&] {
      auto store = open_store(false);
      CommandContext ctx{actor(), r_key,
                         r_expect ? std::optional<std::uint64_t>(r_expect) : std::nullopt};
      const std::string hire_id = require_hire(*store->engine, r_hire);
      return report(store->engine->execute(hire_id, make_event(*store->engine), ctx),
                    g.t(done_text.c_str(), done_text.c_str()));
    };
  });

  // correct / retract: a new record that names the fact it corrects, never an edit
  std::string c_hire, c_reason, c_key;
  std::uint64_t c_event = 0, c_expect = 0;
  std::vector<std::string> c_sets;
  auto correction_cmd = [&](const char* name, const char* help, bool retract) {
    auto* c = app.add_subcommand(name, help);
    c->add_option("hire", c_hire, "Hire id (hire-…)")->required();
    c->add_option("event", c_event, "The event's version, the 'Ver' column of 'history'")
        ->required();
    c->add_option("--reason", c_reason, "Why the record was wrong (required)")->required();
    if (!retract)
      c->add_option("--set", c_sets,
                    "FIELD=VALUE as in the API's command body (on=2026-03-02, comment=..., "
                    "hours=4); fields left out keep their recorded value")
          ->required();
    c->add_option("--key", c_key, "Idempotency key: the same key twice records once");
    c->add_option("--expect-version", c_expect,
                  "Refuse if the journey is no longer at this version");
    c->callback([&, retract] {
      run = [&, retract] {
        auto store = open_store(false);
        auto& engine = *store->engine;
        if (!engine.identify(c_hire))
          fail(1, Refusal{"unknown_hire", {{"hire", c_hire}}}.message(g.language()));
        Correction corr{c_event, std::nullopt, c_reason};
        if (!retract) {
          auto target = engine.correction_target(c_hire, c_event);
          if (target && target->fact && !target->retracted && !target->current) {
            fail(1, g.t("Händelse ", "Event ") + std::to_string(c_event) +
                        g.t(" kan inte läsas och därför inte rättas; stryk den med 'retract' "
                            "och registrera den rätta.",
                            " cannot be read, so it cannot be corrected; retract it with "
                            "'retract' and record the right one."));
          } else if (!target) {
            fail(1,
                 Refusal{"correction_unknown_event", {{"event", std::to_string(c_event)}}}.message(
                     g.language()));
          } else if (!target->fact) {
            fail(1, Refusal{"correction_not_a_fact",
                            {{"event", std::to_string(c_event)},
                             {"title_sv", event_title(target->type, Language::sv)},
                             {"title_en", event_title(target->type, Language::en)}}}
                        .message(g.language()));
          } else if (target->retracted) {
            fail(1, Refusal{"correction_target_retracted",
                            {{"event", std::to_string(c_event)},
                             {"by", std::to_string(target->superseded_by)}}}
                        .message(g.language()));
          } else {
            corr.basis = target->superseded_by;
            // Each value is read as the field's recorded type: a number stays
            // a number, anything else is text ("2026" as a cohort stays text).
            const json current = http::event_json(*target->current);
            json changes = json::object();
            for (const auto& set : c_sets) {
              const auto eq = set.find('=');
              if (eq == std::string::npos || eq == 0)
                fail(1, "--set: '" + set + g.t("' ska vara FÄLT=VÄRDE.", "' must be FIELD=VALUE."));
              const std::string field = set.substr(0, eq), value = set.substr(eq + 1);
              const auto it = current.find(field);
              if (it != current.end() && (it->is_number() || it->is_boolean())) {
                auto parsed = json::parse(value, nullptr, false);
                if (parsed.is_discarded() || parsed.type() != it->type())
                  if (!(it->is_number() && parsed.is_number()))
                    fail(1, "--set " + field + ": '" + value + g.t("' ska vara ", "' must be ") +
                                (it->is_boolean() ? "true/false" : g.t("ett tal", "a number")) +
                                ".");
                changes[field] = parsed;
              } else {
                changes[field] = value;
              }
            }
            auto merged = http::merge_replacement(*target->current, changes, engine.today());
            if (auto* e = std::get_if<http::FieldError>(&merged)) {
              std::string field = e->field;
              if (field.rfind("/replacement/", 0) == 0) field = field.substr(13);
              fail(1, "--set " + field + ": " + e->text(g.language() == Language::sv));
            }
            corr.replacement = std::get<DomainEvent>(merged);
          }
        }
        CommandContext ctx{actor(), c_key,
                           c_expect ? std::optional<std::uint64_t>(c_expect) : std::nullopt};
        auto o = engine.correct(c_hire, corr, ctx);
        return report(o, retract ? g.t("Händelsen struken för", "Event retracted for")
                                 : g.t("Händelsen rättad för", "Event corrected for"));
      };
    });
  };
  correction_cmd("correct",
                 "Correct a recorded event: a new record with the event as it should have been",
                 false);
  correction_cmd("retract", "Retract a recorded event that should not be there", true);

  // status / history
  std::string s_hire, s_as_of;
  bool s_effective = false;
  auto* status =
      app.add_subcommand("status", "A hire's journey: parts, deadlines, overdue, introducer hours");
  status->add_option("hire", s_hire)->required();
  status->add_option("--as-of", s_as_of, "As known at the end of this date (what we knew then)");
  status->add_flag("--effective", s_effective,
                   "With --as-of: what had happened by then, as known today");
  status->callback([&] {
    run = [&] {
      auto store = open_reader();
      require_hire(*store->engine, s_hire);
      auto as_of = as_of_option(s_as_of, s_effective);
      auto s = store->engine->status(s_hire, store->engine->today(), as_of);
      if (!s)
        fail(1, g.t("Den nyanställda var inte registrerad per ",
                    "The hire was not registered as of ") +
                    s_as_of);
      print_status(*s);
      return 0;
    };
  });
  auto* history = app.add_subcommand(
      "history", "Every event of a hire: who recorded what, when, effective when");
  history->add_option("hire", s_hire)->required();
  history->add_option("--as-of", s_as_of, "Only what was recorded by the end of this date");
  history->add_flag("--effective", s_effective, "With --as-of: what had taken effect by then");
  history->callback([&] {
    run = [&] {
      auto store = open_reader();
      if (!store->engine->identify(s_hire))
        fail(1, Refusal{"unknown_hire", {{"hire", s_hire}}}.message(g.language()));
      std::optional<LoadedHire> h;
      try {
        h = store->engine->load(s_hire, as_of_option(s_as_of, s_effective));
      } catch (const HireDamaged& e) {
        // What is damaged, and where: every record decoded as far as it goes,
        // so the damaged one can be corrected or retracted.
        if (!s_as_of.empty()) throw;
        std::cerr << g.t("Skadad: ", "Damaged: ") << e.what() << '\n';
        h = store->engine->records_of(s_hire);
      }
      json j = json::array();
      Table t({g.t("Löpnr", "Seq"), "Ver", g.t("Registrerad (UTC)", "Recorded (UTC)"),
               g.t("Gäller", "Effective"), g.t("Av", "Actor"), g.t("Händelse", "Event"),
               g.t("Detaljer", "Details"), "Hash"});
      if (h) {
        for (std::size_t i = 0; i < h->records.size(); ++i) {
          const auto& r = h->records[i];
          const std::string rec = date::format(
              "%F %T", std::chrono::time_point_cast<std::chrono::seconds>(r.recorded_at));
          const std::string eff = day(engine::swedish_day(r.effective_at));
          const std::string hash = storage::to_hex(r.hash);
          t.add({std::to_string(r.position.value), std::to_string(r.version.value), rec, eff,
                 r.actor, event_title(r.type, g.language()),
                 h->entries[i].damage.empty()
                     ? h->entries[i].details
                     : h->entries[i].details + g.t(" — SKADAD: ", " — DAMAGED: ") +
                           h->entries[i].damage,
                 hash.substr(0, 12)});
          const std::string rec_iso = date::format(
              "%FT%TZ", std::chrono::time_point_cast<std::chrono::microseconds>(r.recorded_at));
          j.push_back({{"position", r.position.value},
                       {"version", r.version.value},
                       {"recorded_at", rec_iso},
                       {"effective_at", eff},
                       {"actor", r.actor},
                       {"type", r.type},
                       {"details", h->entries[i].details},
                       {"idempotency_key", r.idempotency_key},
                       {"hash", hash},
                       {"prev_hash", storage::to_hex(r.prev_hash)}});
          const auto& e = h->entries[i];
          if (e.correction) {
            j.back()[e.correction->replacement ? "corrects" : "retracts"] = e.correction->version;
            j.back()["reason"] = e.correction->reason;
            if (e.correction->replacement)
              j.back()["replacement"] = http::event_json(*e.correction->replacement);
          } else if (e.superseded_by) {
            j.back()[e.retracted ? "retracted_by" : "corrected_by"] = e.superseded_by;
          }
          if (!e.damage.empty()) j.back()["damage"] = e.damage;
        }
      }
      if (h) {
        for (const auto& r : h->notifications) {
          const std::string rec = date::format(
              "%F %T", std::chrono::time_point_cast<std::chrono::seconds>(r.recorded_at));
          std::string details;
          if (r.type == kNotificationDecided) {
            auto n = decode_notification(r.payload);
            details = n.message_id + g.t(" till ", " to ") + n.to_email + ": " + n.subject;
          } else {
            auto d = decode_delivery(r.payload);
            details = d.message_id + g.t(" försök ", " attempt ") + std::to_string(d.attempt) +
                      ": " + d.outcome + (d.code ? " (" + std::to_string(d.code) + ")" : "") +
                      (d.detail.empty() ? "" : " " + d.detail);
          }
          const std::string title = r.type == kNotificationDecided
                                        ? g.t("Påminnelse beslutad", "Notification decided")
                                        : g.t("Leveransförsök", "Delivery attempt");
          t.add({std::to_string(r.position.value), std::to_string(r.version.value), rec,
                 day(engine::swedish_day(r.effective_at)), r.actor, title, details,
                 storage::to_hex(r.hash).substr(0, 12)});
          j.push_back({{"position", r.position.value},
                       {"version", r.version.value},
                       {"actor", r.actor},
                       {"type", r.type},
                       {"details", details},
                       {"hash", storage::to_hex(r.hash)}});
        }
        t.sort_by_first_number();
      }
      if (g.json)
        std::cout << j.dump(2) << '\n';
      else
        t.print(std::cout);
      return 0;
    };
  });

  auto* verify = app.add_subcommand("verify", "Walk the whole log and check the hash chain");
  verify->callback([&] {
    run = [&] {
      auto store = open_reader();
      auto r = store->log->verify();
      if (!r) fail(4, r.error().message);
      if (g.json) {
        std::cout << http::verify_json(*r).dump(2) << '\n';
      } else if (r->ok()) {
        std::cout << g.t("Kedjan verifierad: ", "Chain verified: ") << r->events_checked
                  << g.t(" händelser, ", " events, ") << g.t("senaste hash ", "head hash ")
                  << storage::to_hex(r->head_hash) << '\n';
      } else {
        std::cout << g.t("VERIFIERING MISSLYCKADES", "VERIFICATION FAILED")
                  << (r->first_bad ? g.t(" vid händelse ", " at event ") +
                                         std::to_string(r->first_bad->value)
                                   : "")
                  << ": " << r->problem << '\n';
      }
      return r->ok() ? 0 : 5;
    };
  });

  // backup: a consistent copy of the log (journeyd: POST /v1/backups)
  std::string backup_dir;
  auto* backup = app.add_subcommand(
      "backup",
      "Copy the event log into a new folder, consistently (journeyd stopped; while it "
      "runs, POST /v1/backups)");
  backup->add_option("dir", backup_dir, "The new folder")->required();
  backup->callback([&] {
    run = [&] {
      auto store = open_store(false);
      auto r = store->log->backup(backup_dir);
      if (!r)
        fail(r.error().code == storage::ErrorCode::invalid_argument ? 1 : 4, r.error().message);
      if (g.json) {
        std::cout << json{{"path", r->dir.string()}, {"position", r->position.value}}.dump(2)
                  << '\n';
      } else {
        std::cout << g.t("Säkerhetskopia i ", "Backup in ") << r->dir.string() << g.t(": ", ": ")
                  << r->position.value
                  << g.t(" händelser. Återställ enligt README.\n",
                         " events. Restore as the README says.\n");
      }
      return 0;
    };
  });

  // units: who hears about a unit's hires
  auto* unit =
      app.add_subcommand("unit", "A unit's unit head, administrator and escalation contact");
  unit->require_subcommand(1);
  UnitContacts u;
  std::string head_lang = "sv", admin_lang = "sv", esc_lang = "sv", esc_name, esc_email;
  bool esc_digest = false;
  auto* uset = unit->add_subcommand("set", "Set (replace) a unit's contacts; recorded as an event");
  uset->add_option("--unit", u.unit, "Unit name, as on the hires")->required();
  uset->add_option("--municipality", u.municipality, "The unit's municipality (tenant) id")
      ->capture_default_str();
  uset->add_option("--head-name", u.unit_head.name, "Unit head (enhetschef)")->required();
  uset->add_option("--head-email", u.unit_head.email)->required();
  uset->add_option("--head-lang", head_lang)->check(CLI::IsMember({"sv", "en"}));
  uset->add_flag("--head-digest", u.unit_head.digest,
                 "One daily digest instead of separate messages");
  uset->add_option("--admin-name", u.administrator.name, "Administrator")->required();
  uset->add_option("--admin-email", u.administrator.email)->required();
  uset->add_option("--admin-lang", admin_lang)->check(CLI::IsMember({"sv", "en"}));
  uset->add_flag("--admin-digest", u.administrator.digest);
  uset->add_option("--escalation-name", esc_name, "Escalation contact, e.g. the IFO chief");
  uset->add_option("--escalation-email", esc_email);
  uset->add_option("--escalation-lang", esc_lang)->check(CLI::IsMember({"sv", "en"}));
  uset->add_flag("--escalation-digest", esc_digest);
  uset->callback([&] {
    run = [&] {
      auto store = open_store(false);
      u.unit_head.language = head_lang == "en" ? Language::en : Language::sv;
      u.administrator.language = admin_lang == "en" ? Language::en : Language::sv;
      if (!esc_name.empty() || !esc_email.empty()) {
        u.escalation = Contact{esc_name, esc_email, esc_lang == "en" ? Language::en : Language::sv,
                               esc_digest};
      }
      return report(store->engine->set_unit(u, CommandContext{actor(), "", std::nullopt}),
                    g.t("Enhetens kontakter sparade i", "Unit contacts saved in"));
    };
  });
  auto* ulist = unit->add_subcommand("list", "List units and their contacts");
  ulist->callback([&] {
    run = [&] {
      auto store = open_reader();
      auto contact = [](const Contact& c) {
        return c.name + " <" + c.email + ">" + (c.language == Language::en ? " en" : "") +
               (c.digest ? " (sammandrag)" : "");
      };
      json j = json::array();
      Table t({g.t("Enhet", "Unit"), g.t("Kommun", "Municipality"), g.t("Enhetschef", "Unit head"),
               g.t("Administratör", "Administrator"), g.t("Eskalering", "Escalation")});
      for (const auto& x : store->engine->units()) {
        t.add({x.unit, x.municipality, contact(x.unit_head), contact(x.administrator),
               x.escalation ? contact(*x.escalation) : "–"});
        j.push_back({{"unit", x.unit},
                     {"municipality", x.municipality},
                     {"unit_head", contact(x.unit_head)},
                     {"administrator", contact(x.administrator)},
                     {"escalation", x.escalation ? contact(*x.escalation) : ""}});
      }
      if (g.json)
        std::cout << j.dump(2) << '\n';
      else
        t.print(std::cout);
      return 0;
    };
  });

  // municipality: the tenants
  auto* muni = app.add_subcommand("municipality", "Municipalities (tenants): set and list");
  muni->require_subcommand(1);
  Municipality m_new;
  auto* mset = muni->add_subcommand("set", "Create or rename a municipality");
  mset->add_option("id", m_new.id, "Id: a-z, 0-9 and '-', e.g. goteborg")->required();
  mset->add_option("--name", m_new.name, "Name, e.g. Göteborgs Stad")->required();
  mset->callback([&] {
    run = [&] {
      auto store = open_store(false);
      return report(store->engine->set_municipality(m_new, {actor(), "", std::nullopt}),
                    g.t("Kommunen sparad i", "Municipality saved in"));
    };
  });
  muni->add_subcommand("list", "List municipalities")->callback([&] {
    run = [&] {
      auto store = open_reader();
      Table t({"Id", g.t("Namn", "Name")});
      json j = json::array();
      for (const auto& m : store->engine->municipalities()) {
        t.add({m.id, m.name});
        j.push_back({{"id", m.id}, {"name", m.name}});
      }
      if (g.json)
        std::cout << j.dump(2) << '\n';
      else
        t.print(std::cout);
      return 0;
    };
  });

  // token: bearer tokens for journeyd
  auto* tok = app.add_subcommand("token", "Bearer tokens for journeyd: create, list, revoke");
  tok->require_subcommand(1);
  std::string t_role, t_municipality, t_id;
  Principal t_spec;
  auto* tcreate = tok->add_subcommand("create", "Create a token; it is printed once");
  tcreate->add_option("--role", t_role, "admin, unit_head, administrator, introducer or auditor")
      ->required()
      ->check(CLI::IsMember({"admin", "unit_head", "administrator", "introducer", "auditor"}));
  tcreate->add_option("--unit", t_spec.units, "Unit (unit_head, administrator); repeatable");
  tcreate->add_option("--municipality", t_municipality,
                      "Municipality id (default: the unit's, or 'default'; '*' = all, admin only)");
  tcreate->add_option("--name", t_spec.name, "Who holds it");
  tcreate->add_option("--email", t_spec.email, "Their e-mail (required for introducers)");
  tcreate->callback([&] {
    run = [&] {
      auto store = open_store(false);
      TokenRegistry registry(*store->engine);
      t_spec.role = *parse_access_role(t_role);
      t_spec.municipality = t_municipality;
      if (t_spec.municipality.empty() && !t_spec.units.empty()) {
        if (auto u = store->engine->unit(t_spec.units.front()))
          t_spec.municipality = u->municipality;
      }
      if (t_spec.municipality.empty()) t_spec.municipality = kDefaultMunicipality;
      auto issued = registry.issue(t_spec, {actor(), "", std::nullopt});
      if (!issued.outcome.ok()) return report(issued.outcome, "");
      if (g.json) {
        std::cout << json{{"token_id", issued.principal.token_id}, {"token", issued.token}}.dump(2)
                  << '\n';
      } else {
        std::cout << g.t("Token ", "Token ") << issued.principal.token_id
                  << g.t(" skapad. Den visas bara nu:\n  ", " created. It is shown only now:\n  ")
                  << issued.token << '\n';
      }
      return 0;
    };
  });
  tok->add_subcommand("list", "List tokens (never the tokens themselves)")->callback([&] {
    run = [&] {
      auto store = open_reader();
      TokenRegistry registry(*store->engine);
      Table t({"Id", g.t("Roll", "Role"), g.t("Namn", "Name"), g.t("E-post", "E-mail"),
               g.t("Kommun", "Municipality"), g.t("Enheter", "Units"),
               g.t("Återkallad", "Revoked")});
      json j = json::array();
      for (const auto& p : registry.list()) {
        std::string units;
        for (const auto& u : p.units) units += (units.empty() ? "" : ", ") + u;
        t.add({p.token_id, access_role_id(p.role), p.name, p.email, p.municipality, units,
               p.revoked ? g.t("ja", "yes") : ""});
        j.push_back({{"token_id", p.token_id},
                     {"role", access_role_id(p.role)},
                     {"name", p.name},
                     {"email", p.email},
                     {"municipality", p.municipality},
                     {"units", p.units},
                     {"revoked", p.revoked}});
      }
      if (g.json)
        std::cout << j.dump(2) << '\n';
      else
        t.print(std::cout);
      return 0;
    };
  });
  auto* trevoke = tok->add_subcommand("revoke", "Revoke a token");
  trevoke->add_option("id", t_id, "Token id (tok-…)")->required();
  trevoke->callback([&] {
    run = [&] {
      auto store = open_store(false);
      TokenRegistry registry(*store->engine);
      return report(registry.revoke(t_id, {actor(), "", std::nullopt}),
                    g.t("Token återkallad i", "Token revoked in"));
    };
  });

  // simulate: what the scheduler would send, in virtual time
  SimulationConfig sim;
  std::string sim_from;
  int send_hour = 8;
  bool sim_summary_only = false;
  auto* simulate_cmd = app.add_subcommand(
      "simulate",
      "Run the programme for N synthetic hires in virtual time and print every notification");
  simulate_cmd->add_option("--hires", sim.hires, "Number of hires")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  simulate_cmd->add_option("--units", sim.units, "Number of units")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  simulate_cmd->add_option("--days", sim.days, "Days to simulate")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  simulate_cmd->add_option("--from", sim_from, "First simulated day (default: next Monday)");
  simulate_cmd->add_option("--seed", sim.seed, "Random seed (same seed, same run)")
      ->capture_default_str();
  simulate_cmd->add_option("--send-hour", send_hour, "Local hour reminders go out")
      ->capture_default_str()
      ->check(CLI::Range(0, 23));
  simulate_cmd->add_option("--late", sim.late_share, "Share of tasks done late")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  simulate_cmd->add_option("--never", sim.never_share, "Share of tasks never done")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  simulate_cmd->add_flag("--summary", sim_summary_only, "Only the totals, not every message");
  simulate_cmd->callback([&] {
    run = [&] {
      SystemClock clock;
      const date::sys_days today = engine::swedish_day(clock.now());
      sim.first_day = sim_from.empty() ? today + (date::Monday - date::weekday(today))
                                       : parse_day(sim_from, "--from");
      Programme programme;
      try {
        programme =
            load_programme_file(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
      } catch (const ProgrammeError& e) {
        fail(1, e.what());
      }
      Templates templates = Templates::load(JOURNEY_TEMPLATES_DIR);
      const MunicipalTime municipal{std::chrono::minutes(std::chrono::hours(send_hour))};
      const auto started = std::chrono::steady_clock::now();
      if (!sim_summary_only && !g.json) {
        std::cout << g.t(
            "Datum       Tid    Mottagare                               Typ              Ämne\n",
            "Date        Time   Recipient                               Kind             "
            "Subject\n");
      }
      auto summary =
          simulate(programme, templates, municipal, sim, [&](const SimulatedNotification& n) {
            if (sim_summary_only) return;
            const auto local = municipal.to_local(n.send_at);
            const std::string kind =
                n.reminders.size() > 1 ? "digest" : kind_id(n.reminders.front().kind);
            if (g.json) {
              json ids = json::array();
              for (const auto& r : n.reminders) ids.push_back(r.id);
              std::cout << json{{"date", day(n.date)},
                                {"local_time",
                                 date::format("%F %R", date::floor<std::chrono::minutes>(local))},
                                {"to", n.to.email},
                                {"role", audience_id(n.to.audience)},
                                {"kind", kind},
                                {"subject", n.subject},
                                {"message_id", n.message_id},
                                {"reminders", ids}}
                               .dump()
                        << '\n';
              return;
            }
            std::string to = n.to.name + " <" + n.to.email + ">";
            std::string padded_to =
                to + std::string(to.size() < 40 ? 40 - journey::tools::display_width(to) : 1, ' ');
            std::string padded_kind =
                kind + std::string(kind.size() < 17 ? 17 - kind.size() : 1, ' ');
            std::cout << date::format("%F  %R", date::floor<std::chrono::minutes>(local)) << "  "
                      << padded_to << padded_kind << n.subject << '\n';
          });
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::ostream& os = g.json ? std::cerr : std::cout;
      os << '\n'
         << g.t("Simulering: ", "Simulation: ") << summary.hires
         << g.t(" nyanställda, ", " hires, ") << sim.days << g.t(" dagar från ", " days from ")
         << day(sim.first_day) << ", " << summary.events << g.t(" händelser, ", " events, ")
         << summary.reminders << g.t(" påminnelser i ", " reminders in ") << summary.messages
         << g.t(" meddelanden", " messages") << " (" << secs << " s)\n";
      for (const auto& [k, n] : summary.by_kind) os << "  " << k << ": " << n << '\n';
      for (const auto& [a, n] : summary.by_audience) os << "  -> " << a << ": " << n << '\n';
      if (summary.unresolved)
        os << g.t("  utan mottagare: ", "  without recipient: ") << summary.unresolved << '\n';
      os << g.t("  utskick på helg- eller helgdag: ", "  sends on weekends or holidays: ")
         << summary.weekend_or_holiday_sends << '\n';
      return summary.weekend_or_holiday_sends == 0 ? 0 : 4;
    };
  });

  // scheduler: reminders that reach people
  struct SchedulerOptions {
    std::string smtp_url, smtp_user, smtp_password_env = "JOURNEY_SMTP_PASSWORD",
                                     starttls = "required", ca_file;
    std::string from = "journey@localhost", from_name = "Journey";
    int send_hour = 8, interval = 60;
    bool once = false;
  } so;
  auto make_mail = [&]() -> std::unique_ptr<adapters::MailTransport> {
    if (so.smtp_url.empty())
      return std::make_unique<adapters::EmlDirectoryTransport>(fs::path(g.data) / "outbox");
    adapters::SmtpConfig c;
    c.url = so.smtp_url;
    c.username = so.smtp_user;
    if (const char* pw = std::getenv(so.smtp_password_env.c_str())) c.password = pw;
    c.ca_file = so.ca_file;
    c.envelope_from = so.from;
    c.starttls = *adapters::parse_starttls(so.starttls);  // CLI11 checked the value
    return std::make_unique<adapters::SmtpTransport>(c);
  };
  auto* sched = app.add_subcommand("scheduler", "Send reminders: run the durable scheduler");
  sched->require_subcommand(1);
  auto add_sched_options = [&](CLI::App* c) {
    c->add_option("--smtp", so.smtp_url,
                  "SMTP URL, e.g. smtp://mail.kommun.se:587 (default: .eml files in DATA/outbox)");
    c->add_option("--smtp-user", so.smtp_user, "SMTP AUTH user");
    c->add_option("--smtp-password-env", so.smtp_password_env,
                  "Environment variable holding the SMTP password")
        ->capture_default_str();
    c->add_option("--starttls", so.starttls, "required, opportunistic or none")
        ->check(CLI::IsMember({"required", "opportunistic", "none"}))
        ->capture_default_str();
    c->add_option("--ca-file", so.ca_file, "CA certificate for the SMTP server");
    c->add_option("--from", so.from, "Sender address")->capture_default_str();
    c->add_option("--send-hour", so.send_hour, "Local hour reminders go out")
        ->check(CLI::Range(0, 16))
        ->capture_default_str();
  };
  static std::atomic<bool> stop_requested{false};
  auto* srun = sched->add_subcommand("run", "Tick until SIGINT/SIGTERM (or once with --once)");
  add_sched_options(srun);
  srun->add_flag("--once", so.once, "One tick and exit (for cron)");
  srun->add_option("--interval", so.interval, "Seconds between ticks")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  srun->callback([&] {
    run = [&] {
      auto store = open_store(false);
      Templates templates = Templates::load(JOURNEY_TEMPLATES_DIR);
      const MunicipalTime municipal{std::chrono::minutes(std::chrono::hours(so.send_hour))};
      auto mail = make_mail();
      SchedulerConfig cfg;
      cfg.index_path = fs::path(g.data) / "scheduler";
      cfg.sender = {so.from_name, so.from};
      adapters::CurlWebhookSender webhooks{adapters::CurlWebhookConfig{}};
      cfg.webhooks = &webhooks;
      cfg.webhook_secrets = read_secrets;
      cfg.backoff = [](int attempt, std::optional<std::chrono::seconds> retry_after) {
        return adapters::backoff_delay(attempt, retry_after, std::random_device{}());
      };
      auto index = storage::open_rocksdb_kv(cfg.index_path);
      if (!index) fail(4, index.error().message);
      ReminderScheduler scheduler(*store->engine, municipal, templates, *mail, store->clock, cfg,
                                  std::move(index.value()));
      std::signal(SIGINT, [](int) { stop_requested = true; });
      std::signal(SIGTERM, [](int) { stop_requested = true; });
      do {
        auto r = scheduler.tick();
        const auto now = date::floor<std::chrono::seconds>(municipal.to_local(store->clock.now()));
        std::cout << date::format("%F %T", now) << "  " << g.t("omplanerade ", "replanned ")
                  << r.hires_replanned << g.t(", beslutade ", ", decided ") << r.reminders_decided
                  << g.t(" påminnelser i ", " reminders in ") << r.messages_decided
                  << g.t(" meddelanden", " messages") << " (" << r.catch_up_messages
                  << g.t(" ikapp)", " catch-up)") << g.t(", levererade ", ", delivered ")
                  << r.delivered << g.t(", försöker igen ", ", retrying ") << r.retried
                  << g.t(", misslyckade ", ", failed ") << r.failed
                  << (r.unresolved ? std::string(g.t(", utan mottagare ", ", no recipient ")) +
                                         std::to_string(r.unresolved)
                                   : "")
                  << (r.outside_office_hours
                          ? g.t("  [utanför kontorstid]", "  [outside office hours]")
                          : "")
                  << std::endl;
        for (int i = 0; i < so.interval * 10 && !so.once && !stop_requested; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      } while (!so.once && !stop_requested);
      return 0;
    };
  });
  auto* srebuild = sched->add_subcommand(
      "rebuild", "Forget the timer index; the next tick derives it from the log");
  srebuild->callback([&] {
    run = [&] {
      auto index = storage::open_rocksdb_kv(fs::path(g.data) / "scheduler");
      if (!index) fail(4, index.error().message);
      auto cleared = index.value()->clear();
      if (!cleared) fail(4, cleared.error().message);
      std::cout << g.t("Schemaläggarens index tömt; nästa körning bygger om det från loggen.\n",
                       "Scheduler index cleared; the next tick rebuilds it from the log.\n");
      return 0;
    };
  });

  // views: the hire lists' derived store (engine/views.h), data/views
  auto* views_cmd = app.add_subcommand(
      "views", "The maintained hire views the lists read (derived from the log)");
  views_cmd->require_subcommand(1);
  auto* vrebuild = views_cmd->add_subcommand(
      "rebuild", "Clear the hire views and derive them again from the log (journeyd stopped)");
  vrebuild->callback([&] {
    run = [&] {
      auto store = open_store(false);  // first: names a running journeyd
      auto index = storage::open_rocksdb_kv(fs::path(g.data) / "views");
      if (!index) fail(4, index.error().message);
      engine::HireViews views(*store->engine, std::move(index.value()));
      const auto t0 = std::chrono::steady_clock::now();
      const std::size_t n = views.rebuild();
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      std::cout << g.t("Vyerna byggda om från loggen: ", "Views rebuilt from the log: ") << n
                << g.t(" nyanställda, position ", " hires, position ") << views.applied() << " ("
                << ms << " ms)\n";
      return 0;
    };
  });

  // webhooks
  auto* wh = app.add_subcommand(
      "webhook", "Webhook subscriptions: a municipality's notifications as signed CloudEvents");
  wh->require_subcommand(1);
  std::string wh_url, wh_id, wh_municipality = "*";
  auto* wadd = wh->add_subcommand("add", "Subscribe a URL; prints its whsec_ secret once");
  wadd->add_option("url", wh_url, "http(s)://…")->required();
  wadd->add_option("--municipality", wh_municipality,
                   "whose notifications: a municipality id, or * for every municipality's "
                   "(a message naming hires of several reaches * only)")
      ->capture_default_str();
  wadd->callback([&] {
    run = [&] {
      auto store = open_store(false);
      const std::string secret = adapters::generate_secret();
      const std::string id = store->engine->fresh_webhook_id();
      WebhookSubscription w{id, wh_url, {fingerprint(secret)}, true, "", wh_municipality};
      auto o = store->engine->set_webhook(w, CommandContext{actor(), "", std::nullopt});
      if (!o.ok()) return report(o, "");
      write_secrets(id, {secret});
      if (g.json) {
        std::cout << json{{"id", id},
                          {"url", wh_url},
                          {"municipality", wh_municipality},
                          {"secret", secret}}
                         .dump(2)
                  << '\n';
      } else {
        std::cout << g.t("Prenumeration ", "Subscription ") << id << " -> " << wh_url << " ("
                  << (wh_municipality == "*" ? g.t("alla kommuner", "every municipality")
                                             : wh_municipality)
                  << ")\n"
                  << g.t("Hemlighet (visas bara nu; sparad i ", "Secret (shown only now; kept in ")
                  << secrets_file(id).string() << "): " << secret << '\n';
      }
      return 0;
    };
  });
  auto* wrotate = wh->add_subcommand("rotate", "Add a new secret; both sign until 'retire-old'");
  wrotate->add_option("id", wh_id)->required();
  auto* wretire = wh->add_subcommand("retire-old", "Keep only the newest secret");
  wretire->add_option("id", wh_id)->required();
  auto* wdisable = wh->add_subcommand("disable", "Stop posting to a subscription");
  wdisable->add_option("id", wh_id)->required();
  auto change = [&](const char* what) {
    auto store = open_store(false);
    auto subs = store->engine->webhooks();
    auto it = std::find_if(subs.begin(), subs.end(),
                           [&](const WebhookSubscription& w) { return w.id == wh_id; });
    if (it == subs.end())
      fail(1, g.t("Ingen prenumeration med id ", "No subscription with id ") + wh_id);
    WebhookSubscription w = *it;
    auto secrets = read_secrets(wh_id);
    const std::string mode = what;
    std::string fresh;
    if (mode == "rotate") {
      fresh = adapters::generate_secret();
      secrets.insert(secrets.begin(), fresh);
    } else if (mode == "retire") {
      if (!secrets.empty()) secrets.resize(1);
    } else {
      w.enabled = false;
      w.disabled_reason = "disabled by " + actor();
    }
    w.secret_fingerprints.clear();
    for (const auto& sec : secrets) w.secret_fingerprints.push_back(fingerprint(sec));
    auto o = store->engine->set_webhook(w, CommandContext{actor(), "", std::nullopt});
    if (!o.ok()) return report(o, "");
    if (mode != "disable") write_secrets(wh_id, secrets);
    if (!fresh.empty())
      std::cout << g.t("Ny hemlighet (visas bara nu): ", "New secret (shown only now): ") << fresh
                << '\n';
    return report(o, g.t("Sparat i", "Saved in"));
  };
  wrotate->callback([&] { run = [&] { return change("rotate"); }; });
  wretire->callback([&] { run = [&] { return change("retire"); }; });
  wdisable->callback([&] { run = [&] { return change("disable"); }; });
  auto* wlist = wh->add_subcommand("list", "List subscriptions");
  wlist->callback([&] {
    run = [&] {
      auto store = open_reader();
      Table t({"Id", "URL", g.t("Kommun", "Municipality"), g.t("Aktiv", "Enabled"),
               g.t("Hemligheter", "Secrets"), g.t("Orsak", "Reason")});
      json j = json::array();
      for (const auto& w : store->engine->webhooks()) {
        t.add({w.id, w.url, w.municipality, w.enabled ? g.t("ja", "yes") : g.t("nej", "no"),
               std::to_string(w.secret_fingerprints.size()), w.disabled_reason});
        j.push_back({{"id", w.id},
                     {"url", w.url},
                     {"municipality", w.municipality},
                     {"enabled", w.enabled},
                     {"fingerprints", w.secret_fingerprints},
                     {"reason", w.disabled_reason}});
      }
      if (g.json)
        std::cout << j.dump(2) << '\n';
      else
        t.print(std::cout);
      return 0;
    };
  });

  std::string n_hire;
  bool n_dead = false;
  auto* notes =
      app.add_subcommand("notifications", "Who was told what, when, and whether it arrived");
  notes->add_option("hire", n_hire, "Only this hire");
  notes->add_flag("--dead", n_dead, "Only dead letters (redeliver with 'journeyctl redeliver ID')");
  notes->callback([&] {
    run = [&] {
      auto store = open_reader();
      std::vector<std::string> hires =
          n_hire.empty() ? store->engine->hires() : std::vector<std::string>{n_hire};
      Table t({g.t("Beslutad (UTC)", "Decided (UTC)"), "Id", g.t("Nyanställd", "Hire"),
               g.t("Till", "To"), g.t("Ämne", "Subject"), g.t("Utfall", "Outcome"),
               g.t("Försök", "Attempts")});
      json j = json::array();
      for (const auto& h : hires) {
        std::optional<LoadedHire> loaded;
        try {
          loaded = store->engine->load(h);
        } catch (const HireDamaged& e) {
          std::cerr << e.what() << '\n';
          continue;
        }
        if (!loaded) continue;
        std::map<std::string, DeliveryRecord> last;
        for (const auto& r : loaded->notifications) {
          if (r.type == kDeliveryAttempted) {
            auto d = decode_delivery(r.payload);
            last[d.message_id] = d;
          }
        }
        for (const auto& r : loaded->notifications) {
          if (r.type != kNotificationDecided) continue;
          auto n = decode_notification(r.payload);
          auto it = last.find(n.message_id);
          const std::string outcome =
              it == last.end() ? g.t("väntar", "pending") : it->second.outcome;
          if (n_dead && outcome != "dead_letter") continue;
          const std::string when =
              date::format("%F %R", date::floor<std::chrono::minutes>(r.recorded_at));
          t.add({when, n.message_id, h, n.to_email, n.subject, outcome,
                 it == last.end() ? "0" : std::to_string(it->second.attempt)});
          j.push_back({{"decided_at", when},
                       {"message_id", n.message_id},
                       {"hire", h},
                       {"to", n.to_email},
                       {"subject", n.subject},
                       {"outcome", outcome},
                       {"catch_up", n.catch_up},
                       {"detail", it == last.end() ? "" : it->second.detail}});
        }
      }
      if (g.json)
        std::cout << j.dump(2) << '\n';
      else
        t.print(std::cout);
      return 0;
    };
  });
  std::string redeliver_id;
  auto* redeliver_cmd = app.add_subcommand("redeliver", "Try a dead-lettered message again");
  redeliver_cmd->add_option("message", redeliver_id, "Message id (n-…)")->required();
  redeliver_cmd->callback([&] {
    run = [&] {
      auto store = open_store(false);
      Templates templates = Templates::load(JOURNEY_TEMPLATES_DIR);
      const MunicipalTime municipal{};
      auto mail = make_mail();
      SchedulerConfig cfg;
      cfg.index_path = fs::path(g.data) / "scheduler";
      auto index = storage::open_rocksdb_kv(cfg.index_path);
      if (!index) fail(4, index.error().message);
      ReminderScheduler scheduler(*store->engine, municipal, templates, *mail, store->clock, cfg,
                                  std::move(index.value()));
      auto o = scheduler.redeliver(redeliver_id, actor());
      if (!o.ok())
        fail(1, g.t("Inget dött meddelande med id ", "No dead letter with id ") + redeliver_id);
      std::cout << g.t("Köat för ny leverans vid nästa körning: ",
                       "Queued for delivery at the next tick: ")
                << redeliver_id << '\n';
      return 0;
    };
  });

  std::string csv_file;
  auto* import =
      app.add_subcommand("import", "Register hires from a CSV file, with a report per row");
  import
      ->add_option(
          "file", csv_file,
          "CSV with columns name,email,unit,start[,experienced,introducer,introducer_email]")
      ->required();
  import->callback([&] {
    run = [&] {
      auto store = open_store(false);
  std::ifstream in(csv_file);
  if (!in) fail(1, g.t("Kan inte läsa ", "Cannot read ") + csv_file);
  auto rep = import_hires_csv(*store->engine, in, actor(), g.language());
  if (!rep.file_error.empty()) fail(1, csv_file + ": " + rep.file_error);
  auto outcome = [&](ImportRow::Outcome o) -> std::string {
    switch (o) {
      case ImportRow::Outcome::registered:
        return g.t("registrerad", "registered");
      case ImportRow::Outcome::duplicate:
        return g.t("fanns redan", "already there");
      default:
        return g.t("AVVISAD", "REJECTED");
    }
  };
  if (g.json) {
    json j{
        {"registered", rep.registered}, {"duplicates", rep.duplicates}, {"rejected", rep.rejected}};
    for (const auto& r : rep.rows) {
      j["rows"].push_back({{"line", r.line},
                           {"outcome", outcome(r.outcome)},
                           {"hire", r.hire_id},
                           {"name", r.name},
                           {"message", r.message}});
    }
    std::cout << j.dump(2) << '\n';
  } else {
    Table t({g.t("Rad", "Line"), g.t("Resultat", "Outcome"), "Id", g.t("Namn", "Name"),
             g.t("Orsak", "Reason")});
    for (const auto& r : rep.rows)
      t.add({std::to_string(r.line), outcome(r.outcome), r.hire_id, r.name, r.message});
    t.print(std::cout);
    std::cout << '\n'
              << rep.registered << g.t(" registrerade, ", " registered, ") << rep.duplicates
              << g.t(" fanns redan, ", " already there, ") << rep.rejected
              << g.t(" avvisade.\n", " rejected.\n");
  }
  return rep.rejected ? 1 : 0;
};
});

try {
  app.parse(argc, argv);
} catch (const CLI::ParseError& e) {
  return app.exit(e);
}
try {
  return run ? run() : 2;
} catch (const ExitError& e) {
  if (g.json)
    std::cout << json{{"error", e.message}}.dump(2) << '\n';
  else
    std::cerr << e.message << '\n';
  return e.code;
} catch (const std::exception& e) {
  std::cerr << g.t("Fel: ", "Error: ") << e.what() << '\n';
  return 4;
}
}
