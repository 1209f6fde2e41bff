// `hire register` and `hire list`: bringing a new hire in, and the list with
// each hire's next deadline and what is overdue.
#include <iostream>

#include "cli.h"
#include "journey/workflows/value_domain.h"

namespace journey::ctl {

namespace {

struct RegisterOptions {
  RegisterHire hire;
  std::string introducer_name, introducer_email, key;
  int programme_version = 0;
};

struct ListOptions {
  std::string unit, state, as_of, name;
  bool overdue = false;
};

int run_register(const Cli& cli, RegisterOptions& o) {
  auto store = cli.open_store(false);
  if (!o.introducer_name.empty()) o.hire.introducer = Person{o.introducer_name, o.introducer_email};
  if (o.programme_version) o.hire.programme_version = o.programme_version;
  return cli.report(
      store->engine->register_hire(o.hire, CommandContext{cli.actor(), o.key, std::nullopt}),
      cli.t("Registrerad:", "Registered:"));
}

// A hire whose history cannot be replayed, listed with why; false when the
// filters leave it out.
bool list_damaged(const Cli& cli, const ListOptions& o, JourneyEngine& journeys,
                  const std::string& id, const HireDamaged& e, Table& t, json& j) {
  auto who = journeys.identify(id);
  if (!o.unit.empty() && (!who || who->unit != o.unit)) return false;
  if (!engine::name_matches(who ? who->name : "", o.name)) return false;
  const std::string name = who ? who->name : "", unit = who ? who->unit : "";
  t.add({id, name, unit, "", cli.t("SKADAD", "DAMAGED"), e.what(), ""});
  j.push_back({{"hire", id},
               {"name", name},
               {"unit", unit},
               {"lifecycle", "Damaged"},
               {"damaged", true},
               {"damage", e.what()}});
  return true;
}

void list_hire(const Cli& cli, const ListOptions& o, const std::string& id, const HireStatus& s,
               Table& t, json& j) {
  int overdue = static_cast<int>(s.overdue_items.size());
  for (const auto& d : s.deadlines) overdue += d.overdue;
  if (!o.unit.empty() && s.hire.unit != o.unit) return;
  if (!engine::name_matches(s.hire.name, o.name)) return;
  if (!o.state.empty() && s.lifecycle != o.state) return;
  if (o.overdue && overdue == 0) return;
  const std::string next =
      s.next_deadline ? day(s.next_deadline->due) + " " + s.next_deadline->id : "";
  t.add({id, s.hire.name, s.hire.unit, day(s.hire.start), state_title(s.lifecycle, cli.language()),
         next, std::to_string(overdue)});
  j.push_back({{"hire", id},
               {"name", s.hire.name},
               {"unit", s.hire.unit},
               {"start", day(s.hire.start)},
               {"lifecycle", s.lifecycle},
               {"next", next},
               {"overdue", overdue}});
}

int run_list(const Cli& cli, const ListOptions& o) {
  if (auto bad = workflows::check_name(o.name, false))
    fail(kRefused, "--name " + bad->text(cli.language()) + ".");
  auto store = cli.open_reader();
  const date::sys_days when =
      o.as_of.empty() ? store->engine->today() : cli.parse_day(o.as_of, "--as-of");
  Table t({"Id", cli.t("Namn", "Name"), cli.t("Enhet", "Unit"), "Start", cli.t("Läge", "State"),
           cli.t("Nästa", "Next"), cli.t("Försenat", "Overdue")});
  json j = json::array();
  int damaged = 0;
  for (const auto& id : store->engine->hires()) {
    std::optional<HireStatus> s;
    try {
      s = store->engine->status(id, when);
    } catch (const HireDamaged& e) {
      // One damaged hire must not hide the others: list it, say why.
      damaged += list_damaged(cli, o, *store->engine, id, e, t, j);
      continue;
    }
    if (s) list_hire(cli, o, id, *s, t, j);
  }
  if (cli.json)
    std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  else
    t.print(std::cout);
  if (damaged)
    std::cerr
        << damaged
        << cli.t(" nyanställd(a) har skadad historik; se docs/operations.md, \"A damaged hire\".\n",
                 " hire(s) have a damaged history; see docs/operations.md, \"A damaged hire\".\n");
  return kDone;
}

void setup_register(CLI::App& hire, Cli& cli) {
  auto o = std::make_shared<RegisterOptions>();
  auto* c = hire.add_subcommand("register", "Register a new hire");
  c->add_option("--name", o->hire.name, "Full name")->required();
  c->add_option("--email", o->hire.email, "E-mail")->required();
  c->add_option("--unit", o->hire.unit, "Unit (enhet)")->required();
  c->add_option("--start", o->hire.start, "First working day, YYYY-MM-DD")->required();
  c->add_flag("--experienced", o->hire.experienced,
              "New to the workplace, not to the profession (items marked EJ)");
  c->add_option("--introducer", o->introducer_name, "Introducer's name");
  c->add_option("--introducer-email", o->introducer_email, "Introducer's e-mail");
  c->add_option("--programme", o->hire.programme_id, "Programme id")->capture_default_str();
  c->add_option("--programme-version", o->programme_version, "Programme version (default: newest)");
  c->add_option("--key", o->key, "Idempotency key: the same key twice registers once");
  cli.run_if_chosen(c, [&cli, o] { return run_register(cli, *o); });
}

void setup_list(CLI::App& hire, Cli& cli) {
  auto o = std::make_shared<ListOptions>();
  auto* c = hire.add_subcommand("list", "List hires with their next deadline and what is overdue");
  c->add_option("--unit", o->unit, "Only this unit");
  c->add_option("--state", o->state,
                "Only this lifecycle state (Preboarding, Active, OnLeave, Completed, Left)");
  c->add_flag("--overdue", o->overdue, "Only hires with something overdue");
  c->add_option("--name", o->name, "Only hires whose name has every word of this, ignoring case");
  c->add_option("--as-of", o->as_of, "Evaluate on this date (default today)");
  cli.run_if_chosen(c, [&cli, o] { return run_list(cli, *o); });
}

}  // namespace

void setup_hires(CLI::App& app, Cli& cli) {
  auto* hire = app.add_subcommand("hire", "Register and list hires");
  hire->require_subcommand(1);
  setup_register(*hire, cli);
  setup_list(*hire, cli);
}

}  // namespace journey::ctl
