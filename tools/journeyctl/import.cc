// `import`: registering hires from a CSV file (engine/csv_import.h), with a
// report per row.
#include <fstream>
#include <iostream>

#include "cli.h"
#include "journey/engine/csv_import.h"

namespace journey::ctl {

namespace {

std::string outcome_text(const Cli& cli, ImportRow::Outcome o) {
  switch (o) {
    case ImportRow::Outcome::registered:
      return cli.t("registrerad", "registered");
    case ImportRow::Outcome::duplicate:
      return cli.t("fanns redan", "already there");
    default:
      return cli.t("AVVISAD", "REJECTED");
  }
}

int run_import(const Cli& cli, const std::string& csv_file) {
  auto store = cli.open_store(false);
  std::ifstream in(csv_file);
  if (!in) fail(kRefused, cli.t("Kan inte läsa ", "Cannot read ") + csv_file);
  auto rep = store->admin().import_hires(cli.caller(), in, cli.language(), cli.context());
  if (!rep.file_error.empty()) fail(kRefused, csv_file + ": " + rep.file_error);
  if (cli.json) {
    json j{
        {"registered", rep.registered}, {"duplicates", rep.duplicates}, {"rejected", rep.rejected}};
    for (const auto& r : rep.rows) {
      j["rows"].push_back({{"line", r.line},
                           {"outcome", outcome_text(cli, r.outcome)},
                           {"hire", r.hire_id},
                           {"name", r.name},
                           {"message", r.message}});
    }
    std::cout << j.dump(2) << '\n';
  } else {
    Table t({cli.t("Rad", "Line"), cli.t("Resultat", "Outcome"), "Id", cli.t("Namn", "Name"),
             cli.t("Orsak", "Reason")});
    for (const auto& r : rep.rows)
      t.add({std::to_string(r.line), outcome_text(cli, r.outcome), r.hire_id, r.name, r.message});
    t.print(std::cout);
    std::cout << '\n'
              << rep.registered << cli.t(" registrerade, ", " registered, ") << rep.duplicates
              << cli.t(" fanns redan, ", " already there, ") << rep.rejected
              << cli.t(" avvisade.\n", " rejected.\n");
  }
  return rep.rejected ? kRefused : kDone;
}

}  // namespace

void setup_import(CLI::App& app, Cli& cli) {
  auto file = std::make_shared<std::string>();
  auto* import =
      app.add_subcommand("import", "Register hires from a CSV file, with a report per row");
  import
      ->add_option(
          "file", *file,
          "CSV with columns name,email,unit,start[,experienced,introducer,introducer_email]")
      ->required();
  cli.run_if_chosen(import, [&cli, file] { return run_import(cli, *file); });
}

}  // namespace journey::ctl
