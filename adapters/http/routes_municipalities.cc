// Municipalities and their units: who may see and describe them, and the
// contacts of a unit that notifications go to.
#include "api_routes.h"

namespace journey::http {

namespace {

Response list_municipalities(ApiContext& api, Ctx& c) {
  json j = json::array();
  for (const auto& m : api.admin.municipalities(*c.principal))
    j.push_back({{"id", m.id}, {"name", m.name}});
  return json_response(200, j);
}

Response put_municipality(ApiContext& api, Ctx& c) {
  // Asked again by the service; here so that the caller hears it first.
  if (auto r = api.admin.may_change_municipalities(*c.principal)) return refusal_problem(c, *r);
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  const json& j = std::get<json>(body);
  if (!j.is_object()) return field_error(c, FieldError::not_object("/"));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "name") return field_error(c, FieldError::unknown("/" + it.key()));
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
    return field_error(c,
                       {"/name", "must be a non-empty string", "ska vara en text som inte är tom"});
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  auto o = api.admin.set_municipality(*c.principal,
                                      {c.params["municipality"], j["name"].get<std::string>()},
                                      {c.principal->actor(), *key, std::nullopt});
  return command_response(c, 200, o, {{"municipality", c.params["municipality"]}});
}

Response list_units(ApiContext& api, Ctx& c) {
  json j = json::array();
  for (const auto& u : api.admin.units(*c.principal)) j.push_back(unit_json(u));
  return json_response(200, j);
}

Response get_unit(ApiContext& api, Ctx& c) {
  auto u = api.admin.unit(*c.principal, c.params["unit"]);
  if (!u)
    return c.fail(404, "unknown_unit",
                  std::string(c.t("Ingen enhet som heter ", "No unit named ")) + c.params["unit"]);
  return json_response(200, unit_json(*u));
}

Response put_unit(ApiContext& api, Ctx& c) {
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  auto u = decode_unit(std::get<json>(body), c.params["unit"]);
  if (auto* e = std::get_if<FieldError>(&u)) return field_error(c, *e);
  const auto& unit = std::get<engine::UnitContacts>(u);
  if (auto r = api.admin.may_set_unit(*c.principal, unit)) return refusal_problem(c, *r);
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  auto o = api.admin.set_unit(*c.principal, unit, {c.principal->actor(), *key, std::nullopt});
  return command_response(c, 200, o, {{"unit", unit.unit}});
}

}  // namespace

void add_municipality_routes(RouteTable& t) {
  t.add("GET", "/v1/municipalities", list_municipalities);
  t.add("PUT", "/v1/municipalities/{municipality}", put_municipality);
  t.add("GET", "/v1/units", list_units);
  t.add("GET", "/v1/units/{unit}", get_unit);
  t.add("PUT", "/v1/units/{unit}", put_unit);
}

}  // namespace journey::http
