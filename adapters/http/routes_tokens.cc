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
  std::optional<Response> err;
  const Page page = page_of(c, 1, err);
  auto listed = api.admin.tokens(*c.principal);
  if (listed.refusal) return refusal_problem(c, *listed.refusal);
  if (err) return *err;
  auto& seen = listed.tokens;  // in token id order
  if (page.after)
    seen.erase(seen.begin(), std::upper_bound(seen.begin(), seen.end(), (*page.after)[0],
                                              [](const std::string& after, const Principal& p) {
                                                return after < p.token_id;
                                              }));
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
  if (auto r = api.admin.may_manage_tokens(*c.principal)) return refusal_problem(c, *r);
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  auto decoded = token_spec(std::get<json>(body));
  if (auto* e = std::get_if<FieldError>(&decoded)) return field_error(c, *e);
  auto spec = api.admin.token_for(*c.principal, std::get<Principal>(decoded));
  if (auto* r = std::get_if<engine::Refusal>(&spec)) return refusal_problem(c, *r);
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  auto issued = api.admin.issue_token(*c.principal, std::get<Principal>(spec),
                                      {c.principal->actor(), *key, std::nullopt});
  if (!issued.outcome.ok()) return outcome_problem(c, issued.outcome);
  json out = principal_json(issued.principal);
  out["token"] = issued.token;
  return json_response(201, out);
}

Response revoke_token(ApiContext& api, Ctx& c) {
  const std::string& id = c.params["token"];
  auto o = api.admin.revoke_token(*c.principal, id, {c.principal->actor(), "", std::nullopt});
  if (!o.ok()) return outcome_problem(c, o);
  return json_response(200, json{{"token_id", id}, {"revoked", true}});
}

}  // namespace

void add_token_routes(RouteTable& t) {
  t.add("GET", "/v1/tokens", list_tokens);
  t.add("POST", "/v1/tokens", issue_token);
  t.add("DELETE", "/v1/tokens/{token}", revoke_token);
}

}  // namespace journey::http
