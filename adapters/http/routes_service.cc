// The routes about the service itself: health, readiness, Prometheus metrics,
// the OpenAPI document, and who the caller's token says they are.
#include <sstream>

#include "api_routes.h"

namespace journey::http {

namespace {

Response healthz(ApiContext&, Ctx&) { return json_response(200, json{{"status", "ok"}}); }

Response readyz(ApiContext& api, Ctx& c) {
  if (!api.owner->ready()) return c.fail(503, "not_ready", c.t("stänger ner", "draining"));
  // Reads go on while writing is off (a full disk, a damaged log), so
  // the service stays ready; the answer says what is off and why.
  const std::string writes = api.engine.log().stats().writes_refused;
  const std::string other = api.hooks.degraded ? api.hooks.degraded() : "";
  if (writes.empty() && other.empty())
    return json_response(200, json{{"status", "ready"}, {"writing", true}});
  json j{{"status", "degraded"}, {"writing", writes.empty()}};
  if (!writes.empty()) j["writes_refused"] = writes;
  if (!other.empty()) j["degraded"] = other;
  return json_response(200, j);
}

Response metrics(ApiContext& api, Ctx&) {
  Response r;
  r.content_type = "text/plain; version=0.0.4";
  const auto st = api.engine.log().stats();
  std::ostringstream os;
  bool views_readable = true;
  os << api.owner->metrics().text()
     << "# HELP journey_log_appends_total Appends written to the event log.\n"
     << "# TYPE journey_log_appends_total counter\n"
     << "journey_log_appends_total " << st.appends << '\n'
     << "# HELP journey_log_events_total Events written to the event log.\n"
     << "# TYPE journey_log_events_total counter\n"
     << "journey_log_events_total " << st.events << '\n'
     << "# HELP journey_log_wal_syncs_total Synced batch writes.\n"
     << "# TYPE journey_log_wal_syncs_total counter\n"
     << "journey_log_wal_syncs_total " << st.wal_syncs << '\n'
     << "# HELP journey_hires_damaged Hires whose stream could not be read, decoded or "
        "replayed when last read (each is logged with its reason).\n"
     << "# TYPE journey_hires_damaged gauge\n"
     << "journey_hires_damaged " << api.damaged_hire_count(views_readable) << '\n'
     << "# HELP journey_views_readable 0 when the hire views' store could not be read.\n"
     << "# TYPE journey_views_readable gauge\n"
     << "journey_views_readable " << (views_readable ? 1 : 0) << '\n';
  if (api.hooks.extra_metrics) os << api.hooks.extra_metrics();
  r.body = os.str();
  return r;
}

Response openapi(ApiContext&, Ctx&) {
  Response r;
  r.body = Api::openapi_document();
  return r;
}

Response me(ApiContext&, Ctx& c) {
  const auto& p = *c.principal;
  return json_response(200, json{{"token_id", p.token_id},
                                 {"role", engine::access_role_id(p.role)},
                                 {"name", p.name},
                                 {"email", p.email},
                                 {"municipality", p.municipality},
                                 {"units", p.units},
                                 {"actor", p.actor()}});
}

}  // namespace

void add_service_routes(RouteTable& t) {
  t.add("GET", "/healthz", healthz, false);
  t.add("GET", "/readyz", readyz, false);
  t.add("GET", "/metrics", metrics, false);
  t.add("GET", "/v1/openapi.json", openapi, false);
  t.add("GET", "/v1/me", me);
}

}  // namespace journey::http
