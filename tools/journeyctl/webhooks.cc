// `webhook`: subscriptions that receive a municipality's notifications as
// signed CloudEvents, and the rotation of their secrets.
#include "journey/engine/webhooks.h"

#include <iostream>
#include <memory>

#include "cli.h"
#include "journey/adapters/webhook_secrets.h"

namespace journey::ctl {

namespace {

struct WebhookOptions {
  std::string url, id, municipality = "*";
};

// The engine's WebhookService over DATA/webhook-secrets/<id> (mode 0600):
// the same decisions and order of writes as the HTTP API's.
struct WebhookStore {
  std::unique_ptr<Store> store;
  adapters::FileWebhookSecrets secrets;
  engine::WebhookService service;
  explicit WebhookStore(const Cli& cli)
      : store(cli.open_store(false)),
        secrets(cli.webhook_secrets_dir()),
        service(*store->engine, secrets) {}
};

int run_add(const Cli& cli, const WebhookOptions& o) {
  WebhookStore w(cli);
  auto made =
      w.service.create(o.url, o.municipality, CommandContext{cli.actor(), "", std::nullopt});
  if (!made.outcome.ok()) return cli.report(made.outcome, "");
  const std::string& id = made.subscription.id;
  if (cli.json) {
    std::cout << json{{"id", id},
                      {"url", o.url},
                      {"municipality", o.municipality},
                      {"secret", made.secret}}
                     .dump(2)
              << '\n';
  } else {
    std::cout << cli.t("Prenumeration ", "Subscription ") << id << " -> " << o.url << " ("
              << (o.municipality == "*" ? cli.t("alla kommuner", "every municipality")
                                        : o.municipality)
              << ")\n"
              << cli.t("Hemlighet (visas bara nu; sparad i ", "Secret (shown only now; kept in ")
              << (w.secrets.dir() / id).string() << "): " << made.secret << '\n';
  }
  return kDone;
}

int run_change(const Cli& cli, const std::string& id, engine::WebhookChange what) {
  WebhookStore w(cli);
  auto changed = w.service.change(id, what, CommandContext{cli.actor(), "", std::nullopt});
  if (!changed)
    fail(kRefused, cli.t("Ingen prenumeration med id ", "No subscription with id ") + id);
  if (!changed->outcome.ok()) return cli.report(changed->outcome, "");
  if (!changed->secret.empty())
    std::cout << cli.t("Ny hemlighet (visas bara nu): ", "New secret (shown only now): ")
              << changed->secret << '\n';
  return cli.report(changed->outcome, cli.t("Sparat i", "Saved in"));
}

int run_list(const Cli& cli) {
  auto store = cli.open_reader();
  Table t({"Id", "URL", cli.t("Kommun", "Municipality"), cli.t("Aktiv", "Enabled"),
           cli.t("Hemligheter", "Secrets"), cli.t("Orsak", "Reason")});
  json j = json::array();
  for (const auto& w : store->engine->webhooks()) {
    t.add({w.id, w.url, w.municipality, w.enabled ? cli.t("ja", "yes") : cli.t("nej", "no"),
           std::to_string(w.secret_fingerprints.size()), w.disabled_reason});
    j.push_back({{"id", w.id},
                 {"url", w.url},
                 {"municipality", w.municipality},
                 {"enabled", w.enabled},
                 {"fingerprints", w.secret_fingerprints},
                 {"reason", w.disabled_reason}});
  }
  cli.print(t, j);
  return kDone;
}

}  // namespace

void setup_webhooks(CLI::App& app, Cli& cli) {
  auto* wh = app.add_subcommand(
      "webhook", "Webhook subscriptions: a municipality's notifications as signed CloudEvents");
  wh->require_subcommand(1);
  auto o = std::make_shared<WebhookOptions>();
  auto* add = wh->add_subcommand("add", "Subscribe a URL; prints its whsec_ secret once");
  add->add_option("url", o->url, "http(s)://…")->required();
  add->add_option("--municipality", o->municipality,
                  "whose notifications: a municipality id, or * for every municipality's "
                  "(a message naming hires of several reaches * only)")
      ->capture_default_str();
  cli.run_if_chosen(add, [&cli, o] { return run_add(cli, *o); });
  auto change = [&](const char* name, const char* help, engine::WebhookChange what) {
    auto* c = wh->add_subcommand(name, help);
    c->add_option("id", o->id)->required();
    cli.run_if_chosen(c, [&cli, o, what] { return run_change(cli, o->id, what); });
  };
  change("rotate", "Add a new secret; both sign until 'retire-old'", engine::WebhookChange::rotate);
  change("retire-old", "Keep only the newest secret", engine::WebhookChange::retire_old);
  change("disable", "Stop posting to a subscription", engine::WebhookChange::disable);
  cli.run_if_chosen(wh->add_subcommand("list", "List subscriptions"),
                    [&cli] { return run_list(cli); });
}

}  // namespace journey::ctl
