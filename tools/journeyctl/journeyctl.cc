// journeyctl: the command-line face of the engine. Readable tables by default
// (Swedish, or English with --lang en), JSON with --json. Each command group
// lives in its own file; cli.h lists them and the exit codes.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli.h"

using namespace journey::ctl;

int main(int argc, char** argv) {
  // What the libraries log (RocksDB, a damaged hire) goes to stderr, never
  // into the output a script parses; warnings and worse only.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("journeyctl"));
  spdlog::set_pattern("journeyctl: %l: %v");
  spdlog::set_level(spdlog::level::warn);
  CLI::App app{"journeyctl — Journey: de första åren som socialsekreterare (GR)"};
  app.require_subcommand(1);
  Cli cli;
  cli.add_global_options(app);
  setup_programmes(app, cli);
  setup_hires(app, cli);
  setup_records(app, cli);
  setup_corrections(app, cli);
  setup_reads(app, cli);
  setup_log(app, cli);
  setup_units(app, cli);
  setup_tokens(app, cli);
  setup_simulate(app, cli);
  setup_scheduler(app, cli);
  setup_views(app, cli);
  setup_webhooks(app, cli);
  setup_notifications(app, cli);
  setup_import(app, cli);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return cli.run ? cli.run() : kUsage;
  } catch (const ExitError& e) {
    if (cli.json)
      std::cout << json{{"error", e.message}}.dump(2) << '\n';
    else
      std::cerr << e.message << '\n';
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << cli.t("Fel: ", "Error: ") << e.what() << '\n';
    return kStorageError;
  }
}
