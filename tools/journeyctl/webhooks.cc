// `webhook`: subscriptions that receive a municipality's notifications as
// signed CloudEvents, and the rotation of their secrets.
#include <algorithm>
#include <iostream>

#include "cli.h"
#include "journey/adapters/webhook.h"

namespace journey::ctl {

namespace {

struct WebhookOptions {
  std::string url, id, municipality = "*";
};

enum class SecretChange { rotate, retire_old, disable };

// Webhook secrets live in DATA/webhook-secrets/<id> (mode 0600), one per line,
// the newest first; the log keeps only their fingerprints.
std::filesystem::path secrets_file(const Cli& cli, const std::string& id) {
  return cli.webhook_secrets_dir() / id;
}

void write_secrets(const Cli& cli, const std::string& id, const std::vector<std::string>& secrets) {
  try {
    adapters::write_secret_file(cli.webhook_secrets_dir(), id, secrets);
  } catch (const std::exception& e) {
    fail(kStorageError, e.what());
  }
}

int run_add(const Cli& cli, const WebhookOptions& o) {
  auto store = cli.open_store(false);
  const std::string secret = adapters::generate_secret();
  const std::string id = store->engine->fresh_webhook_id();
  WebhookSubscription w{id,   o.url, {adapters::secret_fingerprint(secret)},
                        true, "",    o.municipality};
  auto outcome = store->engine->set_webhook(w, CommandContext{cli.actor(), "", std::nullopt});
  if (!outcome.ok()) return cli.report(outcome, "");
  write_secrets(cli, id, {secret});
  if (cli.json) {
    std::cout << json{{"id", id},
                      {"url", o.url},
                      {"municipality", o.municipality},
                      {"secret", secret}}
                     .dump(2)
              << '\n';
  } else {
    std::cout << cli.t("Prenumeration ", "Subscription ") << id << " -> " << o.url << " ("
              << (o.municipality == "*" ? cli.t("alla kommuner", "every municipality")
                                        : o.municipality)
              << ")\n"
              << cli.t("Hemlighet (visas bara nu; sparad i ", "Secret (shown only now; kept in ")
              << secrets_file(cli, id).string() << "): " << secret << '\n';
  }
  return kDone;
}

int run_change(const Cli& cli, const std::string& id, SecretChange change) {
  auto store = cli.open_store(false);
  auto subs = store->engine->webhooks();
  auto it = std::find_if(subs.begin(), subs.end(),
                         [&](const WebhookSubscription& w) { return w.id == id; });
  if (it == subs.end())
    fail(kRefused, cli.t("Ingen prenumeration med id ", "No subscription with id ") + id);
  WebhookSubscription w = *it;
  auto secrets = adapters::read_secret_file(cli.webhook_secrets_dir(), id);
  std::string fresh;
  if (change == SecretChange::rotate) {
    fresh = adapters::generate_secret();
    secrets.insert(secrets.begin(), fresh);
  } else if (change == SecretChange::retire_old) {
    if (!secrets.empty()) secrets.resize(1);
  } else {
    w.enabled = false;
    w.disabled_reason = "disabled by " + cli.actor();
  }
  w.secret_fingerprints.clear();
  for (const auto& sec : secrets)
    w.secret_fingerprints.push_back(adapters::secret_fingerprint(sec));
  auto outcome = store->engine->set_webhook(w, CommandContext{cli.actor(), "", std::nullopt});
  if (!outcome.ok()) return cli.report(outcome, "");
  if (change != SecretChange::disable) write_secrets(cli, id, secrets);
  if (!fresh.empty())
    std::cout << cli.t("Ny hemlighet (visas bara nu): ", "New secret (shown only now): ") << fresh
              << '\n';
  return cli.report(outcome, cli.t("Sparat i", "Saved in"));
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
  auto change = [&](const char* name, const char* help, SecretChange what) {
    auto* c = wh->add_subcommand(name, help);
    c->add_option("id", o->id)->required();
    cli.run_if_chosen(c, [&cli, o, what] { return run_change(cli, o->id, what); });
  };
  change("rotate", "Add a new secret; both sign until 'retire-old'", SecretChange::rotate);
  change("retire-old", "Keep only the newest secret", SecretChange::retire_old);
  change("disable", "Stop posting to a subscription", SecretChange::disable);
  cli.run_if_chosen(wh->add_subcommand("list", "List subscriptions"),
                    [&cli] { return run_list(cli); });
}

}  // namespace journey::ctl
