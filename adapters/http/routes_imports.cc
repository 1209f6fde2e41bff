// POST /v1/imports: an admin registers many hires from a CSV file, each row
// answered on its own.
#include <sstream>

#include "api_routes.h"
#include "journey/engine/csv_import.h"

namespace journey::http {

namespace {

Response import_hires(ApiContext& api, Ctx& c) {
  if (auto r = api.admin.may_import(*c.principal)) return refusal_problem(c, *r);
  if (auto ct = body_error(c, "text/csv"))
    return c.fail(415, "unsupported_media_type",
                  std::string(c.t("Innehållet måste vara text/csv, inte ",
                                  "The body must be text/csv, not ")) +
                      *ct,
                  "header", "Content-Type");
  if (!valid_utf8(c.req.body))
    return c.fail(415, "unsupported_media_type",
                  c.t("CSV-filen måste vara UTF-8 (spara som \"CSV UTF-8\")",
                      "The CSV file must be UTF-8 (save as \"CSV UTF-8\")"),
                  "header", "Content-Type");
  // Each row's unit must be of a municipality the caller administers.
  std::istringstream in(c.req.body);
  auto rep =
      api.admin.import_hires(*c.principal, in, c.lang, {c.principal->actor(), "", std::nullopt});
  if (!rep.file_error.empty()) return c.fail(422, "bad_csv", rep.file_error, "field", "/");
  json rows = json::array();
  for (const auto& r : rep.rows) {
    rows.push_back({{"line", r.line},
                    {"outcome", r.outcome == engine::ImportRow::Outcome::registered  ? "registered"
                                : r.outcome == engine::ImportRow::Outcome::duplicate ? "duplicate"
                                                                                     : "rejected"},
                    {"hire", r.hire_id},
                    {"name", r.name},
                    {"message", r.message}});
  }
  return json_response(200, json{{"registered", rep.registered},
                                 {"duplicates", rep.duplicates},
                                 {"rejected", rep.rejected},
                                 {"rows", rows}});
}

}  // namespace

void add_import_routes(RouteTable& t) { t.add("POST", "/v1/imports", import_hires); }

}  // namespace journey::http
