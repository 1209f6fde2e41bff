// Webhooks: an admin's, for their municipality's notifications; the
// all-municipality admin's may hear every municipality ("*"). Decisions are
// the engine's WebhookService (the same journeyctl calls); secrets are shown
// once when made.
#include "api_routes.h"

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

Response no_secret_store(const Ctx& c) {
  return c.fail(503, "no_secret_store", c.t("inget hemlighetslager", "no secret store"));
}

Response create_webhook(ApiContext& api, Ctx& c) {
  if (auto r = webhook_admin(c)) return *r;
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  auto decoded = new_webhook(c, std::get<json>(body));
  if (auto* r = std::get_if<Response>(&decoded)) return *r;
  const auto& spec = std::get<NewWebhook>(decoded);
  if (!api.webhooks) return no_secret_store(c);
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  auto made =
      api.webhooks->create(spec.url, spec.municipality, {c.principal->actor(), *key, std::nullopt});
  const auto& o = made.outcome;
  if (o.refusal && o.refusal->code == "webhook_already_created")
    return c.fail(409, o.refusal->code, o.message(c.lang), "header", "Idempotency-Key");
  auto extra = webhook_json(made.subscription);
  extra["secret"] = made.secret;
  return command_response(c, 201, o, extra);
}

Response change_webhook(ApiContext& api, Ctx& c, engine::WebhookChange what) {
  if (auto r = webhook_admin(c)) return *r;
  const std::string& id = c.params["webhook"];
  if (!find_webhook(api, c, id))  // another municipality's is no one's to this admin
    return c.fail(404, "unknown_webhook",
                  std::string(c.t("Ingen webhook med id ", "No webhook with id ")) + id);
  if (!api.webhooks) return no_secret_store(c);
  auto changed = api.webhooks->change(id, what, {c.principal->actor(), "", std::nullopt});
  if (!changed)
    return c.fail(404, "unknown_webhook",
                  std::string(c.t("Ingen webhook med id ", "No webhook with id ")) + id);
  json j = webhook_json(changed->subscription);
  if (!changed->secret.empty()) j["secret"] = changed->secret;
  return command_response(c, 200, changed->outcome, j);
}

Response rotate(ApiContext& api, Ctx& c) {
  return change_webhook(api, c, engine::WebhookChange::rotate);
}
Response retire_old(ApiContext& api, Ctx& c) {
  return change_webhook(api, c, engine::WebhookChange::retire_old);
}
Response disable(ApiContext& api, Ctx& c) {
  return change_webhook(api, c, engine::WebhookChange::disable);
}

}  // namespace

void add_webhook_routes(RouteTable& t) {
  t.add("GET", "/v1/webhooks", list_webhooks);
  t.add("POST", "/v1/webhooks", create_webhook);
  t.add("POST", "/v1/webhooks/{webhook}/rotate", rotate);
  t.add("POST", "/v1/webhooks/{webhook}/retire-old", retire_old);
  t.add("POST", "/v1/webhooks/{webhook}/disable", disable);
}

}  // namespace journey::http
