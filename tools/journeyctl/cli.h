// What every journeyctl command group shares: the options every command has,
// opening the log, printing results, and the exit codes. Private to journeyctl.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "journey/engine/admin.h"
#include "journey/engine/journey_engine.h"
#include "journey/storage/rocksdb_event_log.h"
#include "table.h"

namespace journey::ctl {

using json = nlohmann::json;
using namespace journey::engine;
using namespace journey::workflows;
using journey::tools::Table;

// Exit codes: 0 done, 1 refused or bad input, 2 usage, 3 version conflict,
// 4 storage or internal error, 5 the log failed verification.
enum ExitCode : int {
  kDone = 0,
  kRefused = 1,
  kUsage = 2,
  kConflict = 3,
  kStorageError = 4,
  kUnverified = 5,
};

// Thrown by fail(); main prints the message (as JSON with --json) and exits with the code.
struct ExitError {
  int code;
  std::string message;
};

[[noreturn]] void fail(int code, const std::string& message);

struct Store {
  SystemClock clock;
  std::unique_ptr<storage::EventLog> log;
  std::unique_ptr<JourneyEngine> engine;

  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store() {
    admin_.reset();  // before the registry and engine it uses
    tokens_.reset();
    engine.reset();  // before the log it reads
    log.reset();
  }

  // The service journeyd's API calls too (engine/admin.h), made on first use
  // (it reads the tokens stream).
  AdminService& admin() {
    if (!admin_) {
      tokens_ = std::make_unique<TokenRegistry>(*engine);
      admin_ = std::make_unique<AdminService>(*engine, *tokens_);
    }
    return *admin_;
  }

 private:
  std::unique_ptr<TokenRegistry> tokens_;
  std::unique_ptr<AdminService> admin_;
};

// One run of journeyctl: the options every command has, and the command the
// parse chose. A group's callback only sets `run`; main calls it after the
// parse, so that what it throws meets main's exit-code mapping.
struct Cli {
  std::string data = "./data";
  std::string lang = "sv";
  bool json = false;
  std::string actor_option;
  std::function<int()> run;

  // Adds --data, --lang, --json and --actor to the top-level app.
  void add_global_options(CLI::App& app);
  // Makes `command` the one to run when the parse chose `sub`.
  void run_if_chosen(CLI::App* sub, std::function<int()> command);

  Language language() const { return lang == "en" ? Language::en : Language::sv; }
  // Swedish or English text for what the user reads.
  const char* t(const char* sv, const char* en) const {
    return language() == Language::sv ? sv : en;
  }
  // --actor, else $JOURNEY_ACTOR, else $USER.
  std::string actor() const;
  // Who journeyctl acts as when a service asks (engine/admin.h): the operator
  // of the data folder, an admin of every municipality, recorded as actor().
  Principal caller() const { return folder_operator(actor()); }
  CommandContext context() const { return CommandContext{actor(), "", std::nullopt}; }

  // For commands that change the log: only one process may write it.
  std::unique_ptr<Store> open_store(bool create) const;
  // For commands that only read; works beside a running journeyd.
  std::unique_ptr<Store> open_reader() const;

  // Prints a command's outcome (JSON with --json) and returns its exit code.
  int report(const CommandOutcome& o, const std::string& what) const;
  // A list: the JSON with --json, else the table.
  void print(const Table& table, const nlohmann::json& list) const;

  // The value domain's date (value_domain.h), named by its option.
  date::sys_days parse_day(const std::string& value, const char* option) const;
  std::string read_file(const std::string& path) const;
  // The id, or a refusal naming an unknown or damaged hire.
  std::string require_hire(JourneyEngine& e, const std::string& id) const;
  // DATA/webhook-secrets: webhooks.cc writes the secrets, the scheduler reads them.
  std::filesystem::path webhook_secrets_dir() const;
};

std::string day(date::sys_days d);
std::string num(double v);

// The command groups, in the order `journeyctl --help` lists them.
void setup_programmes(CLI::App& app, Cli& cli);     // init, programme
void setup_hires(CLI::App& app, Cli& cli);          // hire
void setup_records(CLI::App& app, Cli& cli);        // record
void setup_corrections(CLI::App& app, Cli& cli);    // correct, retract
void setup_reads(CLI::App& app, Cli& cli);          // status, history
void setup_log(CLI::App& app, Cli& cli);            // verify, backup
void setup_units(CLI::App& app, Cli& cli);          // unit, municipality
void setup_tokens(CLI::App& app, Cli& cli);         // token
void setup_simulate(CLI::App& app, Cli& cli);       // simulate
void setup_scheduler(CLI::App& app, Cli& cli);      // scheduler
void setup_views(CLI::App& app, Cli& cli);          // views
void setup_webhooks(CLI::App& app, Cli& cli);       // webhook
void setup_notifications(CLI::App& app, Cli& cli);  // notifications, redeliver
void setup_import(CLI::App& app, Cli& cli);         // import

}  // namespace journey::ctl
