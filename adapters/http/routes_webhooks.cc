// Webhooks: an admin's, for their municipality's notifications; the
// all-municipality admin's may hear every municipality ("*"). Their secrets
// live in files beside the log (ApiHooks), shown once when made.
#include "api_routes.h"
#include "journey/adapters/webhook.h"

namespace journey::http {

namespace {

std::optional<Response> webhook_admin(const Ctx& c) {
  if (c.principal->role == AccessRole::admin) return std::nullopt;
  return forbidden(c,
                   c.t("Webhooks hanteras av administratörer", "Webhooks are managed by admins"));
}

// A municipality's admin sees (and may change) their municipality's
// endpoints only; "*" endpoints are the all-municipality admin's.
bool sees_webhook(const Ctx& c, const engine::WebhookSubscription& w) {
  return engine::is_admin_of(*c.principal, w.municipality);
}

json webhook_json(const engine::WebhookSubscription& w) {
  return json{{"id", w.id},
              {"url", w.url},
              {"municipality", w.municipality},
              {"enabled", w.enabled},
              {"fingerprints", w.secret_fingerprints},
              {"reason", w.disabled_reason}};
}

Response list_webhooks(ApiContext& api, Ctx& c) {
  if (auto r = webhook_admin(c)) return *r;
  json j = json::array();
  for (const auto& w : api.engine.webhooks())
    if (sees_webhook(c, w)) j.push_back(webhook_json(w));
  return json_response(200, j);
}

std::optional<engine::WebhookSubscription> find_webhook(ApiContext& api, const Ctx& c,
                                                        const std::string& id) {
  for (auto& w : api.engine.webhooks())
    if (w.id == id && sees_webhook(c, w)) return w;
  return std::nullopt;
}

// The body of POST /v1/webhooks.
struct NewWebhook {
  std::string url;
  std::string municipality;
};

std::variant<NewWebhook, Response> new_webhook(const Ctx& c, const json& j) {
  if (!j.is_object()) return field_error(c, FieldError::not_object("/"));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "url" && it.key() != "municipality")
      return field_error(c, FieldError::unknown("/" + it.key()));
  if (!j.contains("url") || !j["url"].is_string())
    return field_error(c, {"/url", "is required (a string)", "måste anges (som text)"});
  const std::string url = j["url"];
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    return field_error(c, {"/url", "must be an http:// or https:// URL",
                           "ska vara en http://- eller https://-adress"});
  // Whose notifications: by default the admin's own municipality ("*" for
  // the all-municipality admin).
  std::string municipality = c.principal->municipality;
  if (j.contains("municipality")) {
    if (!j["municipality"].is_string())
      return field_error(c, FieldError::not_string("/municipality"));
    municipality = j["municipality"];
    if (municipality != "*" && !engine::is_municipality_id(municipality))
      return field_error(c, {"/municipality", "must be a municipality id or \"*\"",
                             "ska vara en kommuns id eller \"*\""});
    if (!engine::is_admin_of(*c.principal, municipality))
      return forbidden(c, c.t("Du får bara skapa webhooks för din kommun",
                              "You may only create webhooks for your municipality"));
  }
  return NewWebhook{url, municipality};
}

Response create_webhook(ApiContext& api, Ctx& c) {
  if (auto r = webhook_admin(c)) return *r;
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  auto decoded = new_webhook(c, std::get<json>(body));
  if (auto* r = std::get_if<Response>(&decoded)) return *r;
  const auto& spec = std::get<NewWebhook>(decoded);
  if (!api.hooks.write_secrets)
    return c.fail(503, "no_secret_store", c.t("inget hemlighetslager", "no secret store"));
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  if (!key->empty()) {
    auto seen = api.engine.log().find_idempotency_key(*key);
    if (seen && *seen)
      return c.fail(409, "webhook_already_created",
                    c.t("En webhook skapades redan med den nyckeln; hemligheten visas bara en "
                        "gång (rotera för en ny)",
                        "A webhook was already created with that key; its secret is shown only "
                        "once (rotate for a new one)"),
                    "header", "Idempotency-Key");
  }
  std::lock_guard<std::mutex> lock(api.webhooks_mu);
  engine::WebhookSubscription w;
  w.id = api.engine.fresh_webhook_id();
  w.url = spec.url;
  w.municipality = spec.municipality;
  const std::string secret = adapters::generate_secret();
  w.secret_fingerprints = {adapters::secret_fingerprint(secret)};
  // The secret file first: a subscription in the log always has its secret.
  api.hooks.write_secrets(w.id, {secret});
  auto o = api.engine.set_webhook(w, {c.principal->actor(), *key, std::nullopt});
  if (!o.ok()) api.hooks.write_secrets(w.id, {});
  auto extra = webhook_json(w);
  extra["secret"] = secret;
  return command_response(c, 201, o, extra);
}

Response change_webhook(ApiContext& api, Ctx& c, const std::string& op) {
  if (auto r = webhook_admin(c)) return *r;
  std::lock_guard<std::mutex> lock(api.webhooks_mu);
  auto w = find_webhook(api, c, c.params["webhook"]);
  if (!w)
    return c.fail(
        404, "unknown_webhook",
        std::string(c.t("Ingen webhook med id ", "No webhook with id ")) + c.params["webhook"]);
  auto& hooks = api.hooks;
  json extra;
  if (op == "rotate") {
    const std::string secret = adapters::generate_secret();
    auto secrets = hooks.read_secrets ? hooks.read_secrets(w->id) : std::vector<std::string>{};
    secrets.insert(secrets.begin(), secret);
    hooks.write_secrets(w->id, secrets);
    w->secret_fingerprints.insert(w->secret_fingerprints.begin(),
                                  adapters::secret_fingerprint(secret));
    extra["secret"] = secret;
  } else if (op == "retire-old") {
    auto secrets = hooks.read_secrets ? hooks.read_secrets(w->id) : std::vector<std::string>{};
    if (secrets.size() > 1) secrets.resize(1);
    hooks.write_secrets(w->id, secrets);
    if (w->secret_fingerprints.size() > 1) w->secret_fingerprints.resize(1);
  } else {
    w->enabled = false;
    w->disabled_reason = "disabled by " + c.principal->actor();
  }
  auto o = api.engine.set_webhook(*w, {c.principal->actor(), "", std::nullopt});
  json j = webhook_json(*w);
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return command_response(c, 200, o, j);
}

Response rotate(ApiContext& api, Ctx& c) { return change_webhook(api, c, "rotate"); }
Response retire_old(ApiContext& api, Ctx& c) { return change_webhook(api, c, "retire-old"); }
Response disable(ApiContext& api, Ctx& c) { return change_webhook(api, c, "disable"); }

}  // namespace

void add_webhook_routes(RouteTable& t) {
  t.add("GET", "/v1/webhooks", list_webhooks);
  t.add("POST", "/v1/webhooks", create_webhook);
  t.add("POST", "/v1/webhooks/{webhook}/rotate", rotate);
  t.add("POST", "/v1/webhooks/{webhook}/retire-old", retire_old);
  t.add("POST", "/v1/webhooks/{webhook}/disable", disable);
}

}  // namespace journey::http
