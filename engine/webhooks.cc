// Webhook subscriptions as one service; the order of writes is in webhooks.h.
#include "journey/engine/webhooks.h"

#include <algorithm>
#include <stdexcept>

namespace journey::engine {

namespace {
// The secret store failed: nothing was recorded.
CommandOutcome secrets_failed(const std::exception& e) {
  CommandOutcome o = refused("storage_error", {{"what", e.what()}});
  o.kind = CommandOutcome::Kind::failed;
  return o;
}
}  // namespace

WebhookService::WebhookService(JourneyEngine& engine, WebhookSecrets& secrets)
    : engine_(engine), secrets_(secrets) {}

CommandOutcome WebhookService::record(WebhookSubscription& w,
                                      const std::vector<std::string>& secrets,
                                      const std::vector<std::string>& before,
                                      const CommandContext& ctx) {
  // No secrets on file (a data folder restored without them): the log's
  // fingerprints stay and the file is not touched, so that disabling such a
  // subscription still works.
  if (secrets.empty()) return engine_.set_webhook(w, ctx);
  w.secret_fingerprints.clear();
  for (const auto& s : secrets) w.secret_fingerprints.push_back(secrets_.fingerprint(s));
  auto write = [&](const std::vector<std::string>& v) -> std::optional<CommandOutcome> {
    try {
      secrets_.write(w.id, v);
      return std::nullopt;
    } catch (const std::exception& e) {
      return secrets_failed(e);
    }
  };
  const bool only_removes =
      secrets.size() < before.size() && std::equal(secrets.begin(), secrets.end(), before.begin());
  if (only_removes) {  // the log first: it must never name a secret that is gone
    CommandOutcome o = engine_.set_webhook(w, ctx);
    if (!o.ok()) return o;
    if (auto failed = write(secrets)) {
      // Recorded, but the old secrets are still on file and still sign:
      // harmless to receivers, and said, so that it is retried.
      o.kind = CommandOutcome::Kind::failed;
      o.refusal = workflows::Refusal{"webhook_secrets_not_retired",
                                     {{"what", failed->refusal->args["what"]}}};
    }
    return o;
  }
  if (secrets != before)
    if (auto failed = write(secrets)) return *failed;
  CommandOutcome o = engine_.set_webhook(w, ctx);
  if (!o.ok() && secrets != before) {
    if (auto failed = write(before)) {
      // The log has the old fingerprints and the file the new secrets: the
      // scheduler signs with both, which receivers accept. Say so.
      o.refusal->args["what"] +=
          " (and the secrets could not be put back: " + failed->refusal->args["what"] + ")";
    }
  }
  return o;
}

WebhookResult WebhookService::create(const std::string& url, const std::string& municipality,
                                     const CommandContext& ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  WebhookResult r;
  r.subscription.url = url;
  r.subscription.municipality = municipality;
  if (!ctx.idempotency_key.empty()) {
    auto seen = engine_.log().find_idempotency_key(ctx.idempotency_key);
    if (seen && *seen) {
      r.outcome = refused("webhook_already_created", {{"key", ctx.idempotency_key}});
      return r;
    }
  }
  r.subscription.id = engine_.fresh_webhook_id();
  r.secret = secrets_.generate();
  r.outcome = record(r.subscription, {r.secret}, {}, ctx);
  if (!r.outcome.ok()) r.secret.clear();  // never recorded: not a secret of anything
  return r;
}

std::optional<WebhookResult> WebhookService::change(const std::string& id, WebhookChange what,
                                                    const CommandContext& ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto subs = engine_.webhooks();
  auto it = std::find_if(subs.begin(), subs.end(),
                         [&](const WebhookSubscription& w) { return w.id == id; });
  if (it == subs.end()) return std::nullopt;
  WebhookResult r;
  r.subscription = *it;
  std::vector<std::string> before;
  try {
    before = secrets_.read(id);
  } catch (const std::exception& e) {  // never rotate over secrets that could not be read
    r.outcome = secrets_failed(e);
    return r;
  }
  std::vector<std::string> after = before;
  switch (what) {
    case WebhookChange::rotate:
      r.secret = secrets_.generate();
      after.insert(after.begin(), r.secret);
      break;
    case WebhookChange::retire_old:
      if (after.size() > 1) after.resize(1);
      break;
    case WebhookChange::disable:
      r.subscription.enabled = false;
      r.subscription.disabled_reason = "disabled by " + ctx.actor;
      break;
  }
  r.outcome = record(r.subscription, after, before, ctx);
  if (!r.outcome.ok()) r.secret.clear();
  return r;
}

}  // namespace journey::engine
