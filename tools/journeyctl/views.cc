// `views rebuild`: the hire lists' derived store (engine/views.h) in
// DATA/views, derived again from the log.
#include "journey/engine/views.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli.h"

namespace journey::ctl {

namespace {

int run_rebuild(const Cli& cli) {
  auto store = cli.open_store(false);  // first: names a running journeyd
  auto index = storage::open_rocksdb_kv(std::filesystem::path(cli.data) / "views");
  if (!index) fail(kStorageError, index.error().message);
  engine::HireViews views(*store->engine, std::move(index.value()));
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = views.rebuild();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::cout << cli.t("Vyerna byggda om från loggen: ", "Views rebuilt from the log: ") << n
            << cli.t(" nyanställda, position ", " hires, position ") << views.applied() << " ("
            << ms << " ms)\n";
  return kDone;
}

}  // namespace

void setup_views(CLI::App& app, Cli& cli) {
  auto* views = app.add_subcommand(
      "views", "The maintained hire views the lists read (derived from the log)");
  views->require_subcommand(1);
  auto* rebuild = views->add_subcommand(
      "rebuild", "Clear the hire views and derive them again from the log (journeyd stopped)");
  cli.run_if_chosen(rebuild, [&cli] { return run_rebuild(cli); });
}

}  // namespace journey::ctl
