// What auditors and admins read and keep: a hire's history and export, a
// verification of the whole log, and backups of it.
#include <filesystem>

#include "api_routes.h"

namespace journey::http {

namespace {

// The hire in the path as of the request's as_of, or the answer why not.
std::optional<Response> audit_load(ApiContext& api, Ctx& c,
                                   std::optional<engine::LoadedHire>& out) {
  if (auto r = api.unreadable_hire(c)) {
    // A damaged hire's history is what shows where it is damaged (each
    // unreadable record carries `damage`), and what to correct or retract.
    if (r->status != 409 || c.query.count("as_of")) return *r;
    out = api.engine.records_of(c.params["hire"]);
    if (!out) return *r;
    return std::nullopt;
  }
  std::optional<Response> err;
  auto a = as_of(c, err);
  if (err) return err;
  out = api.engine.load(c.params["hire"], a);
  if (!out)
    return c.fail(404, "not_yet_registered",
                  c.t("Den nyanställda var inte registrerad per det datumet",
                      "The hire was not registered as of that date"),
                  "parameter", "as_of");
  return std::nullopt;
}

// A hire's history in pages of `limit` records (default and at most 500: one
// page for a hire two years in), in stream order; the cursor is the last
// record's version. The page is cut from the hire's records: its cost is
// the hire's, never the system's.
Response history(ApiContext& api, Ctx& c) {
  std::optional<Response> err;
  const Page page = page_of(c, 1, err, kMaxPage);
  if (err) return *err;
  std::optional<std::uint64_t> after;
  if (page.after) {
    after = whole_number((*page.after)[0], 19);
    if (!after) return bad_cursor(c);
  }
  std::optional<engine::LoadedHire> h;
  if (auto r = audit_load(api, c, h)) return *r;
  json rows = json::array();
  bool more = false;
  for (auto& row : history_json(*h)) {
    if (after && row["version"].get<std::uint64_t>() <= *after) continue;
    if (rows.size() == page.limit) {
      more = true;
      break;
    }
    rows.push_back(std::move(row));
  }
  Response r = json_response(200, rows);
  // The whole stream's version (what If-Match takes), also for a damaged
  // hire, whose status route answers 409.
  r.headers.push_back({"ETag", "\"" + std::to_string(h->version) + "\""});
  if (more)
    r.headers.push_back(
        {"Link", next_link(c, "/v1/hires/" + url_encode(c.params["hire"]) + "/history", page.limit,
                           {std::to_string(rows.back()["version"].get<std::uint64_t>())},
                           {"as_of", "basis"})});
  return r;
}

Response export_hire(ApiContext& api, Ctx& c) {
  const std::string format = c.query.count("format") ? c.query["format"] : "json";
  if (format != "json" && format != "csv")
    return c.fail(400, "bad_parameter",
                  c.t("format ska vara json eller csv", "format must be json or csv"), "parameter",
                  "format");
  std::optional<engine::LoadedHire> h;
  if (auto r = audit_load(api, c, h)) return *r;
  Response r;
  const std::string name = c.params["hire"] + "-" + iso_day(api.engine.today());
  if (format == "csv") {
    r.content_type = "text/csv; charset=utf-8";
    r.body = history_csv(*h);
    r.headers.push_back({"Content-Disposition", "attachment; filename=\"" + name + ".csv\""});
  } else {
    std::optional<engine::HireStatus> status;
    try {
      status =
          api.engine.status(c.params["hire"], api.engine.today(), engine::AsOf{api.engine.today()});
    } catch (const engine::HireDamaged&) {
      // A damaged hire exports its records (each unreadable one says why), no status.
    }
    json j{{"hire", c.params["hire"]},
           {"exported_at", iso_time(api.engine.clock().now())},
           {"exported_by", c.principal->actor()},
           {"stream_version", h->version},
           {"status", status ? status_json(*status) : json()},
           {"events", history_json(*h)}};
    if (!h->records.empty()) j["head_hash"] = storage::to_hex(h->records.back().hash);
    r.body = dump(j, 2);
    r.headers.push_back({"Content-Disposition", "attachment; filename=\"" + name + ".json\""});
  }
  return r;
}

// A consistent backup of the log while journeyd runs, into a new folder
// under the configured backups folder (never a path from the request).
Response backup(ApiContext& api, Ctx& c) {
  if (auto r = api.admin.may_back_up(*c.principal)) return refusal_problem(c, *r);
  if (api.hooks.backups_dir.empty())
    return c.fail(
        503, "no_backups",
        c.t("Ingen mapp för säkerhetskopior är inställd", "No backups folder is configured"));
  const auto now = api.engine.clock().now();
  const std::string name =
      date::format("%Y%m%dT%H%M%SZ", std::chrono::time_point_cast<std::chrono::seconds>(now)) +
      "-" + std::to_string(api.engine.log().head().value);
  std::error_code ec;
  std::filesystem::create_directories(api.hooks.backups_dir, ec);
  auto r = api.engine.log().backup(std::filesystem::path(api.hooks.backups_dir) / name);
  if (!r) {
    const int status = r.error().code == storage::ErrorCode::no_space ? 507 : 500;
    return c.fail(status, status == 507 ? "storage_full" : "storage_error", r.error().message);
  }
  return json_response(
      201, json{{"backup", name}, {"path", r->dir.string()}, {"position", r->position.value}});
}

Response verify(ApiContext& api, Ctx& c) {
  if (c.principal->role != AccessRole::admin && c.principal->role != AccessRole::auditor)
    return forbidden(c, c.t("Bara revisorer och administratörer verifierar loggen",
                            "Only auditors and admins verify the log"));
  auto r = api.engine.log().verify();
  if (!r) return c.fail(500, "storage_error", r.error().message);
  return json_response(r->ok() ? 200 : 409, verify_json(*r));
}

}  // namespace

void add_audit_routes(RouteTable& t) {
  t.add("GET", "/v1/hires/{hire}/history", history);
  t.add("GET", "/v1/hires/{hire}/export", export_hire);
  t.add("POST", "/v1/backups", backup);
  t.add("GET", "/v1/audit/verify", verify);
}

}  // namespace journey::http
