// `token`: the bearer tokens journeyd accepts. A token is printed once, when
// it is created; the log keeps only what identifies it.
#include <iostream>

#include "cli.h"
#include "journey/engine/access.h"

namespace journey::ctl {

namespace {

struct TokenOptions {
  std::string role, municipality, id;
  Principal spec;
};

int run_create(const Cli& cli, TokenOptions& o) {
  auto store = cli.open_store(false);
  o.spec.role = *parse_access_role(o.role);
  o.spec.municipality = o.municipality;
  auto issued = store->admin().issue_token(cli.caller(), o.spec, cli.context());
  if (!issued.outcome.ok()) return cli.report(issued.outcome, "");
  if (cli.json) {
    std::cout << json{{"token_id", issued.principal.token_id}, {"token", issued.token}}.dump(2)
              << '\n';
  } else {
    std::cout << cli.t("Token ", "Token ") << issued.principal.token_id
              << cli.t(" skapad. Den visas bara nu:\n  ", " created. It is shown only now:\n  ")
              << issued.token << '\n';
  }
  return kDone;
}

int run_list(const Cli& cli) {
  auto store = cli.open_reader();
  Table t({"Id", cli.t("Roll", "Role"), cli.t("Namn", "Name"), cli.t("E-post", "E-mail"),
           cli.t("Kommun", "Municipality"), cli.t("Enheter", "Units"),
           cli.t("Återkallad", "Revoked")});
  json j = json::array();
  for (const auto& p : store->admin().tokens(cli.caller()).tokens) {
    std::string units;
    for (const auto& u : p.units) units += (units.empty() ? "" : ", ") + u;
    t.add({p.token_id, access_role_id(p.role), p.name, p.email, p.municipality, units,
           p.revoked ? cli.t("ja", "yes") : ""});
    j.push_back({{"token_id", p.token_id},
                 {"role", access_role_id(p.role)},
                 {"name", p.name},
                 {"email", p.email},
                 {"municipality", p.municipality},
                 {"units", p.units},
                 {"revoked", p.revoked}});
  }
  cli.print(t, j);
  return kDone;
}

int run_revoke(const Cli& cli, const TokenOptions& o) {
  auto store = cli.open_store(false);
  return cli.report(store->admin().revoke_token(cli.caller(), o.id, cli.context()),
                    cli.t("Token återkallad i", "Token revoked in"));
}

}  // namespace

void setup_tokens(CLI::App& app, Cli& cli) {
  auto* tok = app.add_subcommand("token", "Bearer tokens for journeyd: create, list, revoke");
  tok->require_subcommand(1);
  auto o = std::make_shared<TokenOptions>();
  auto* create = tok->add_subcommand("create", "Create a token; it is printed once");
  create->add_option("--role", o->role, "admin, unit_head, administrator, introducer or auditor")
      ->required()
      ->check(CLI::IsMember({"admin", "unit_head", "administrator", "introducer", "auditor"}));
  create->add_option("--unit", o->spec.units, "Unit (unit_head, administrator); repeatable");
  create->add_option(
      "--municipality", o->municipality,
      "Municipality id (default: the first unit's, or 'default'; '*' = all, admin only)");
  create->add_option("--name", o->spec.name, "Who holds it");
  create->add_option("--email", o->spec.email, "Their e-mail (required for introducers)");
  cli.run_if_chosen(create, [&cli, o] { return run_create(cli, *o); });
  cli.run_if_chosen(tok->add_subcommand("list", "List tokens (never the tokens themselves)"),
                    [&cli] { return run_list(cli); });
  auto* revoke = tok->add_subcommand("revoke", "Revoke a token");
  revoke->add_option("id", o->id, "Token id (tok-…)")->required();
  cli.run_if_chosen(revoke, [&cli, o] { return run_revoke(cli, *o); });
}

}  // namespace journey::ctl
