// `unit` and `municipality`: who hears about a unit's hires, and the
// municipalities (tenants) the units belong to.
#include "cli.h"

namespace journey::ctl {

namespace {

struct UnitOptions {
  UnitContacts unit;
  std::string head_lang = "sv", admin_lang = "sv", escalation_lang = "sv", escalation_name,
              escalation_email;
  bool escalation_digest = false;
};

Language language_option(const std::string& lang) {
  return lang == "en" ? Language::en : Language::sv;
}

int run_unit_set(const Cli& cli, UnitOptions& o) {
  auto store = cli.open_store(false);
  UnitContacts& u = o.unit;
  u.unit_head.language = language_option(o.head_lang);
  u.administrator.language = language_option(o.admin_lang);
  if (!o.escalation_name.empty() || !o.escalation_email.empty()) {
    u.escalation = Contact{o.escalation_name, o.escalation_email,
                           language_option(o.escalation_lang), o.escalation_digest};
  }
  return cli.report(store->admin().set_unit(cli.caller(), u, cli.context()),
                    cli.t("Enhetens kontakter sparade i", "Unit contacts saved in"));
}

int run_unit_list(const Cli& cli) {
  auto store = cli.open_reader();
  auto contact = [&cli](const Contact& c) {
    return c.name + " <" + c.email + ">" + (c.language == Language::en ? " en" : "") +
           (c.digest ? cli.t(" (sammandrag)", " (digest)") : "");
  };
  json j = json::array();
  Table t({cli.t("Enhet", "Unit"), cli.t("Kommun", "Municipality"),
           cli.t("Enhetschef", "Unit head"), cli.t("Administratör", "Administrator"),
           cli.t("Eskalering", "Escalation")});
  for (const auto& x : store->admin().units(cli.caller())) {
    t.add({x.unit, x.municipality, contact(x.unit_head), contact(x.administrator),
           x.escalation ? contact(*x.escalation) : "–"});
    j.push_back({{"unit", x.unit},
                 {"municipality", x.municipality},
                 {"unit_head", contact(x.unit_head)},
                 {"administrator", contact(x.administrator)},
                 {"escalation", x.escalation ? contact(*x.escalation) : ""}});
  }
  cli.print(t, j);
  return kDone;
}

void setup_unit(CLI::App& app, Cli& cli) {
  auto* unit =
      app.add_subcommand("unit", "A unit's unit head, administrator and escalation contact");
  unit->require_subcommand(1);
  auto o = std::make_shared<UnitOptions>();
  UnitContacts& u = o->unit;
  auto* set = unit->add_subcommand("set", "Set (replace) a unit's contacts; recorded as an event");
  set->add_option("--unit", u.unit, "Unit name, as on the hires")->required();
  set->add_option("--municipality", u.municipality, "The unit's municipality (tenant) id")
      ->capture_default_str();
  set->add_option("--head-name", u.unit_head.name, "Unit head (enhetschef)")->required();
  set->add_option("--head-email", u.unit_head.email)->required();
  set->add_option("--head-lang", o->head_lang)->check(CLI::IsMember({"sv", "en"}));
  set->add_flag("--head-digest", u.unit_head.digest,
                "One daily digest instead of separate messages");
  set->add_option("--admin-name", u.administrator.name, "Administrator")->required();
  set->add_option("--admin-email", u.administrator.email)->required();
  set->add_option("--admin-lang", o->admin_lang)->check(CLI::IsMember({"sv", "en"}));
  set->add_flag("--admin-digest", u.administrator.digest);
  set->add_option("--escalation-name", o->escalation_name,
                  "Escalation contact, e.g. the IFO chief");
  set->add_option("--escalation-email", o->escalation_email);
  set->add_option("--escalation-lang", o->escalation_lang)->check(CLI::IsMember({"sv", "en"}));
  set->add_flag("--escalation-digest", o->escalation_digest);
  cli.run_if_chosen(set, [&cli, o] { return run_unit_set(cli, *o); });
  auto* list = unit->add_subcommand("list", "List units and their contacts");
  cli.run_if_chosen(list, [&cli] { return run_unit_list(cli); });
}

int run_municipality_list(const Cli& cli) {
  auto store = cli.open_reader();
  Table t({"Id", cli.t("Namn", "Name")});
  json j = json::array();
  for (const auto& m : store->admin().municipalities(cli.caller())) {
    t.add({m.id, m.name});
    j.push_back({{"id", m.id}, {"name", m.name}});
  }
  cli.print(t, j);
  return kDone;
}

void setup_municipality(CLI::App& app, Cli& cli) {
  auto* muni = app.add_subcommand("municipality", "Municipalities (tenants): set and list");
  muni->require_subcommand(1);
  auto m = std::make_shared<Municipality>();
  auto* set = muni->add_subcommand("set", "Create or rename a municipality");
  set->add_option("id", m->id, "Id: a-z, 0-9 and '-', e.g. goteborg")->required();
  set->add_option("--name", m->name, "Name, e.g. Göteborgs Stad")->required();
  cli.run_if_chosen(set, [&cli, m] {
    auto store = cli.open_store(false);
    return cli.report(store->admin().set_municipality(cli.caller(), *m, cli.context()),
                      cli.t("Kommunen sparad i", "Municipality saved in"));
  });
  cli.run_if_chosen(muni->add_subcommand("list", "List municipalities"),
                    [&cli] { return run_municipality_list(cli); });
}

}  // namespace

void setup_units(CLI::App& app, Cli& cli) {
  setup_unit(app, cli);
  setup_municipality(app, cli);
}

}  // namespace journey::ctl
