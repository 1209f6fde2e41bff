// Programmes: the published versions of the introduction programmes (TOML),
// each version's items and deadlines, and publishing a new one.
#include "api_routes.h"

namespace journey::http {

namespace {

Response list_programmes(ApiContext& api, Ctx&) {
  json j = json::array();
  for (const auto& p : api.engine.programmes())
    j.push_back({{"id", p.id}, {"version", p.version}, {"name", p.name}, {"sha256", p.sha256}});
  return json_response(200, j);
}

Response publish_programme(ApiContext& api, Ctx& c) {
  if (auto r = api.admin.may_publish_programmes(*c.principal)) return refusal_problem(c, *r);
  if (auto ct = body_error(c, "application/toml"))
    return c.fail(415, "unsupported_media_type",
                  std::string(c.t("Innehållet måste vara application/toml, inte ",
                                  "The body must be application/toml, not ")) +
                      *ct,
                  "header", "Content-Type");
  auto o = api.admin.publish_programme(*c.principal, c.req.body, "http",
                                       {c.principal->actor(), "", std::nullopt});
  if (!o.ok() && o.refusal && o.refusal->code == "programme_invalid")
    return c.fail(422, "programme_invalid", o.message(c.lang), "field", "/");
  return command_response(c, 201, o);
}

Response programme_version(ApiContext& api, Ctx& c) {
  const std::string& v = c.params["version"];
  const auto parsed = whole_number(v, 6);
  if (!parsed)
    return c.fail(400, "bad_parameter",
                  c.t("version ska vara ett heltal", "version must be an integer"), "parameter",
                  "version");
  const int version = static_cast<int>(*parsed);
  auto p = api.engine.programme(c.params["programme"], version);
  if (!p)
    return c.fail(
        404, "unknown_programme",
        std::string(c.t("Inget program ", "No programme ")) + c.params["programme"] + " v" + v);
  json items = json::array();
  for (const auto& cl : p->checklists)
    for (const auto& i : cl.items)
      items.push_back({{"id", i.id},
                       {"text", i.text},
                       {"checklist", cl.id},
                       {"part", workflows::part_id(cl.part)},
                       {"role", workflows::role_code(i.role)},
                       {"due", i.due.str()},
                       {"waived_if_experienced", i.waived_if_experienced}});
  json deadlines = json::array();
  for (const auto& d : p->deadlines)
    deadlines.push_back({{"id", d.id},
                         {"title", d.title},
                         {"part", workflows::part_id(d.part)},
                         {"due", d.due.str()}});
  return json_response(200, json{{"id", p->id},
                                 {"version", p->version},
                                 {"name", p->name},
                                 {"source", p->source},
                                 {"items", items},
                                 {"deadlines", deadlines}});
}

}  // namespace

void add_programme_routes(RouteTable& t) {
  t.add("GET", "/v1/programmes", list_programmes);
  t.add("POST", "/v1/programmes", publish_programme);
  t.add("GET", "/v1/programmes/{programme}/versions/{version}", programme_version);
}

}  // namespace journey::http
