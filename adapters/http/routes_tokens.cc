// API tokens: an admin lists, issues and revokes the tokens of their own
// municipality (the all-municipality admin: every municipality's).
#include <algorithm>

#include "api_routes.h"

namespace journey::http {

namespace {

json principal_json(const Principal& p) {
  return json{
      {"token_id", p.token_id}, {"role", engine::access_role_id(p.role)}, {"name", p.name},
      {"email", p.email},       {"municipality", p.municipality},         {"units", p.units},
      {"revoked", p.revoked}};
}

// The tokens an admin may see, in pages of `limit` (default 100, at most
// 500) in token id order; the cursor is the last token id shown.
Response list_tokens(ApiContext& api, Ctx& c) {
  if (c.principal->role != AccessRole::admin)
    return forbidden(c, c.t("Bara en administratör ser tokens", "Only an admin sees tokens"));
  std::optional<Response> err;
  const Page page = page_of(c, 1, err);
  if (err) return *err;
  std::vector<Principal> seen;
  for (auto& p : api.tokens.list())
    if ((c.principal->all_municipalities() || p.municipality == c.principal->municipality) &&
        (!page.after || p.token_id > (*page.after)[0]))
      seen.push_back(std::move(p));
  std::sort(seen.begin(), seen.end(),
            [](const Principal& a, const Principal& b) { return a.token_id < b.token_id; });
  json j = json::array();
  for (std::size_t i = 0; i < seen.size() && i < page.limit; ++i)
    j.push_back(principal_json(seen[i]));
  Response r = json_response(200, j);
  if (seen.size() > page.limit)
    r.headers.push_back(
        {"Link", next_link(c, "/v1/tokens", page.limit, {seen[page.limit - 1].token_id}, {})});
  return r;
}

// The body of POST /v1/tokens: who the new token is for.
std::variant<Principal, FieldError> token_spec(const json& j) {
  if (!j.is_object()) return FieldError::not_object("/");
  Principal spec;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "units") {
      if (!it->is_array())
        return FieldError{"/units", "must be an array of strings",
                          "ska vara en lista med textsträngar"};
      for (const auto& u : *it) {
        if (!u.is_string())
          return FieldError{"/units", "must be an array of strings",
                            "ska vara en lista med textsträngar"};
        spec.units.push_back(u.get<std::string>());
      }
    } else if (k == "role" || k == "name" || k == "email" || k == "municipality") {
      if (!it->is_string()) return FieldError::not_string("/" + k);
      const std::string v = *it;
      if (k == "role") {
        auto r = engine::parse_access_role(v);
        if (!r)
          return FieldError{"/role",
                            "must be admin, unit_head, administrator, introducer or auditor",
                            "ska vara admin, unit_head, administrator, introducer eller auditor"};
        spec.role = *r;
      } else if (k == "name") {
        spec.name = v;
      } else if (k == "email") {
        spec.email = v;
      } else {
        spec.municipality = v;
      }
    } else {
      return FieldError::unknown("/" + k);
    }
  }
  if (!j.contains("role")) return FieldError::required("/role");
  return spec;
}

Response issue_token(ApiContext& api, Ctx& c) {
  if (c.principal->role != AccessRole::admin)
    return forbidden(c, c.t("Bara en administratör skapar tokens", "Only an admin creates tokens"));
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  auto decoded = token_spec(std::get<json>(body));
  if (auto* e = std::get_if<FieldError>(&decoded)) return field_error(c, *e);
  auto& spec = std::get<Principal>(decoded);
  if (spec.municipality.empty()) spec.municipality = c.principal->municipality;
  if (!engine::is_admin_of(*c.principal, spec.municipality) ||
      (spec.municipality == "*" && !c.principal->all_municipalities()))
    return forbidden(c, c.t("Du får bara skapa tokens i din egen kommun",
                            "You may only create tokens in your own municipality"));
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  auto issued = api.tokens.issue(spec, {c.principal->actor(), *key, std::nullopt});
  if (!issued.outcome.ok()) return outcome_problem(c, issued.outcome);
  json out = principal_json(issued.principal);
  out["token"] = issued.token;
  return json_response(201, out);
}

Response revoke_token(ApiContext& api, Ctx& c) {
  if (c.principal->role != AccessRole::admin)
    return forbidden(
        c, c.t("Bara en administratör återkallar tokens", "Only an admin revokes tokens"));
  std::optional<Principal> target;
  for (const auto& p : api.tokens.list())
    if (p.token_id == c.params["token"]) target = p;
  if (!target ||
      !engine::is_admin_of(*c.principal,
                           target->municipality == "*" ? std::string("*") : target->municipality) ||
      (target->municipality == "*" && !c.principal->all_municipalities()))
    return c.fail(404, "unknown_token",
                  std::string(c.t("Ingen token med id ", "No token with id ")) + c.params["token"]);
  auto o = api.tokens.revoke(target->token_id, {c.principal->actor(), "", std::nullopt});
  if (!o.ok()) return outcome_problem(c, o);
  return json_response(200, json{{"token_id", target->token_id}, {"revoked", true}});
}

}  // namespace

void add_token_routes(RouteTable& t) {
  t.add("GET", "/v1/tokens", list_tokens);
  t.add("POST", "/v1/tokens", issue_token);
  t.add("DELETE", "/v1/tokens/{token}", revoke_token);
}

}  // namespace journey::http
