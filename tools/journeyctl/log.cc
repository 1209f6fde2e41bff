// `verify` and `backup`: the event log as a whole, its hash chain and a
// consistent copy of it (journeyd: POST /v1/backups).
#include <iostream>

#include "cli.h"
#include "journey/adapters/http_json.h"

namespace journey::ctl {

namespace {

int run_verify(const Cli& cli) {
  auto store = cli.open_reader();
  auto r = store->log->verify();
  if (!r) fail(kStorageError, r.error().message);
  if (cli.json) {
    std::cout << http::verify_json(*r).dump(2) << '\n';
  } else if (r->ok()) {
    std::cout << cli.t("Kedjan verifierad: ", "Chain verified: ") << r->events_checked
              << cli.t(" händelser, ", " events, ") << cli.t("senaste hash ", "head hash ")
              << storage::to_hex(r->head_hash) << '\n';
  } else {
    std::cout << cli.t("VERIFIERING MISSLYCKADES", "VERIFICATION FAILED")
              << (r->first_bad
                      ? cli.t(" vid händelse ", " at event ") + std::to_string(r->first_bad->value)
                      : "")
              << ": " << r->problem << '\n';
  }
  return r->ok() ? kDone : kUnverified;
}

int run_backup(const Cli& cli, const std::string& dir) {
  auto store = cli.open_store(false);
  if (auto refused = store->admin().may_back_up(cli.caller()))
    fail(kRefused, refused->message(cli.language()));
  auto r = store->log->backup(dir);
  if (!r)
    fail(r.error().code == storage::ErrorCode::invalid_argument ? kRefused : kStorageError,
         r.error().message);
  if (cli.json) {
    std::cout << json{{"path", r->dir.string()}, {"position", r->position.value}}.dump(2) << '\n';
  } else {
    std::cout << cli.t("Säkerhetskopia i ", "Backup in ") << r->dir.string() << cli.t(": ", ": ")
              << r->position.value
              << cli.t(" händelser. Återställ enligt docs/operations.md, \"Backup and restore\".\n",
                       " events. Restore as docs/operations.md, \"Backup and restore\", says.\n");
  }
  return kDone;
}

}  // namespace

void setup_log(CLI::App& app, Cli& cli) {
  auto* verify = app.add_subcommand("verify", "Walk the whole log and check the hash chain");
  cli.run_if_chosen(verify, [&cli] { return run_verify(cli); });

  auto dir = std::make_shared<std::string>();
  auto* backup = app.add_subcommand(
      "backup",
      "Copy the event log into a new folder, consistently (journeyd stopped; while it "
      "runs, POST /v1/backups)");
  backup->add_option("dir", *dir, "The new folder")->required();
  cli.run_if_chosen(backup, [&cli, dir] { return run_backup(cli, *dir); });
}

}  // namespace journey::ctl
