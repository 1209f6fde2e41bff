// `init` and `programme`: installing, validating, showing and publishing the
// programmes (workflows/programmes/*.toml) a hire's journey follows.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli.h"

namespace journey::ctl {

namespace fs = std::filesystem;

namespace {

struct ProgrammeOptions {
  std::vector<std::string> init_files;
  std::string file, id = "gr-forsta-aren";
  int version = 0;
};

json programme_json(const Programme& p) {
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
  return j;
}

void print_checklists(const Cli& cli, const Programme& p) {
  for (const auto& cl : p.checklists) {
    std::cout << cl.title << " (" << part_title(cl.part, cli.language()) << ", " << cl.items.size()
              << ")\n";
    Table t(
        {"Id", cli.t("Ansvar", "Role"), cli.t("Senast", "Due"), "EJ*", cli.t("Moment", "Item")});
    for (const auto& i : cl.items) {
      t.add({i.id, role_code(i.role), i.due.str(), i.waived_if_experienced ? "EJ" : "", i.text});
    }
    t.print(std::cout);
    std::cout << '\n';
  }
  std::cout << cli.t("* EJ: markeras EJ vid registrering av erfarna nyanställda.\n\n",
                     "* EJ: marked EJ when an experienced hire is registered.\n\n");
}

void print_course_and_support(const Cli& cli, const Programme& p) {
  std::cout << p.course.title << cli.t(" (start inom ", " (starts within ")
            << p.course.start.from.str() << "–" << p.course.start.to.str() << ")\n";
  for (const auto& m : p.course.modules) std::cout << "  " << m.title << '\n';
  for (const auto& b : p.course.bbic_parts)
    std::cout << "  BBIC " << b.id << ": " << b.title << '\n';
  std::cout << '\n'
            << p.supervision.title << ": " << p.supervision.sessions
            << cli.t(" träffar à ", " sessions of ") << num(p.supervision.session_hours) << " h, "
            << cli.t("start inom ", "starts within ") << p.supervision.start.from.str() << "–"
            << p.supervision.start.to.str() << ", " << cli.t("grupper ", "groups ")
            << p.supervision.group_min << "–" << p.supervision.group_max << "\n\n";
  std::cout << p.support.title << ":\n";
  for (const auto& per : p.support.introducer) {
    std::cout << "  " << per.from.str() << "–" << per.to.str() << ": " << num(per.hours_per_week)
              << cli.t(" h/vecka med introduktör\n", " h/week with the introducer\n");
  }
  std::cout << '\n';
}

void print_programme(const Cli& cli, const Programme& p) {
  if (cli.json) {
    std::cout << programme_json(p).dump(2) << '\n';
    return;
  }
  std::cout << p.name << "\n" << p.id << " v" << p.version << " — " << p.source << "\n\n";
  print_checklists(cli, p);
  print_course_and_support(cli, p);
  Table d(
      {"Id", cli.t("Tidsgräns", "Deadline"), cli.t("Del", "Part"), cli.t("Beskrivning", "Title")});
  for (const auto& x : p.deadlines)
    d.add({x.id, x.due.str(), part_title(x.part, cli.language()), x.title});
  d.print(std::cout);
}

int run_init(const Cli& cli, const ProgrammeOptions& o) {
  auto store = cli.open_store(true);
  std::vector<std::string> files = o.init_files;
  if (files.empty()) {
    for (const auto& entry : fs::directory_iterator(JOURNEY_PROGRAMMES_DIR)) {
      if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
  }
  int rc = kDone;
  for (const auto& f : files) {
    auto outcome =
        store->admin().publish_programme(cli.caller(), cli.read_file(f), f, cli.context());
    if (!cli.json) std::cout << f << ": ";
    rc = std::max(rc,
                  cli.report(outcome, cli.t("Programmet installerat i", "Programme installed in")));
  }
  if (!cli.json && rc == kDone) {
    std::cout << cli.t("Klart. Data i ", "Ready. Data in ") << cli.data
              << cli.t(". Nästa steg: journeyctl hire register --help\n",
                       ". Next: journeyctl hire register --help\n");
  }
  return rc;
}

int run_validate(const Cli& cli, const ProgrammeOptions& o) {
  try {
    Programme p = load_programme_file(o.file);
    std::size_t items = 0;
    for (const auto& cl : p.checklists) items += cl.items.size();
    if (cli.json) {
      std::cout
          << json{{"valid", true}, {"id", p.id}, {"version", p.version}, {"items", items}}.dump(2)
          << '\n';
    } else {
      std::cout << o.file << cli.t(": giltig — ", ": valid — ") << p.id << " v" << p.version << ", "
                << p.checklists.size() << cli.t(" checklistor, ", " checklists, ") << items
                << cli.t(" moment, ", " items, ") << p.course.modules.size()
                << cli.t(" kursmoduler\n", " course modules\n");
    }
    return kDone;
  } catch (const ProgrammeError& e) {
    if (cli.json)
      std::cout << json{{"valid", false}, {"error", e.what()}}.dump(2) << '\n';
    else
      std::cerr << e.what() << '\n';
    return kRefused;
  }
}

int run_show(const Cli& cli, const ProgrammeOptions& o) {
  if (!o.file.empty()) {
    try {
      print_programme(cli, load_programme_file(o.file));
    } catch (const ProgrammeError& e) {
      fail(kRefused, e.what());
    }
    return kDone;
  }
  auto store = cli.open_reader();
  auto p = store->engine->programme(o.id, o.version ? std::optional<int>(o.version) : std::nullopt);
  if (!p)
    fail(kRefused, Refusal{"programme_not_found", {{"programme", o.id}}}.message(cli.language()));
  print_programme(cli, *p);
  return kDone;
}

int run_list(const Cli& cli) {
  auto store = cli.open_reader();
  auto list = store->engine->programmes();
  json j = json::array();
  Table t({"Id", "Version", cli.t("Namn", "Name"), "SHA-256"});
  for (const auto& p : list) {
    j.push_back({{"id", p.id}, {"version", p.version}, {"name", p.name}, {"sha256", p.sha256}});
    t.add({p.id, std::to_string(p.version), p.name, p.sha256.substr(0, 16)});
  }
  cli.print(t, j);
  return kDone;
}

int run_publish(const Cli& cli, const ProgrammeOptions& o) {
  auto store = cli.open_store(false);
  return cli.report(
      store->admin().publish_programme(cli.caller(), cli.read_file(o.file), o.file, cli.context()),
      cli.t("Programmet installerat i", "Programme installed in"));
}

}  // namespace

void setup_programmes(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<ProgrammeOptions>();
  auto* init =
      app.add_subcommand("init", "Create the data folder and install the shipped programmes");
  init->add_option("--programme", o->init_files,
                   "Programme TOML file(s) to install instead of the shipped ones");
  cli.run_if_chosen(init, [&cli, o] { return run_init(cli, *o); });

  auto* prog = app.add_subcommand("programme", "Validate, show, list and publish programmes");
  prog->require_subcommand(1);
  auto* validate = prog->add_subcommand("validate", "Check a programme file without installing it");
  validate->add_option("file", o->file)->required();
  cli.run_if_chosen(validate, [&cli, o] { return run_validate(cli, *o); });
  auto* show = prog->add_subcommand("show", "Show a programme: installed (by id) or from a file");
  show->add_option("id", o->id, "Programme id")->capture_default_str();
  show->add_option("--version", o->version, "Version (default: newest)");
  show->add_option("--file", o->file, "Show this file instead of an installed programme");
  cli.run_if_chosen(show, [&cli, o] { return run_show(cli, *o); });
  auto* list = prog->add_subcommand("list", "List installed programmes");
  cli.run_if_chosen(list, [&cli] { return run_list(cli); });
  auto* publish = prog->add_subcommand("publish", "Install a new programme version from a file");
  publish->add_option("file", o->file)->required();
  cli.run_if_chosen(publish, [&cli, o] { return run_publish(cli, *o); });
}

}  // namespace journey::ctl
