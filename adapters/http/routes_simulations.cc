// POST /v1/simulations: what the scheduler would send, in virtual time (no
// data touched), for those who plan a programme's reminders.
#include <map>

#include "api_routes.h"
#include "journey/engine/simulation.h"

namespace journey::http {

namespace {

// The body of POST /v1/simulations.
struct SimulationRequest {
  engine::SimulationConfig cfg;
  int send_hour = 8;
  bool summary_only = false;
};

// The integer fields: the range each takes, what is wrong outside it, and
// where its value goes.
struct IntegerField {
  int lo, hi;
  const char* en;
  const char* sv;
  void (*set)(SimulationRequest&, int);
};
const std::map<std::string, IntegerField>& integer_fields() {
  static const std::map<std::string, IntegerField> fields = {
      {"hires",
       {1, 200, "must be an integer from 1 to 200", "ska vara ett heltal från 1 till 200",
        [](SimulationRequest& s, int n) { s.cfg.hires = n; }}},
      {"units",
       {1, 100, "must be an integer from 1 to 100", "ska vara ett heltal från 1 till 100",
        [](SimulationRequest& s, int n) { s.cfg.units = n; }}},
      {"days",
       {1, 1095, "must be an integer from 1 to 1095", "ska vara ett heltal från 1 till 1095",
        [](SimulationRequest& s, int n) { s.cfg.days = n; }}},
      {"seed",
       {0, 1 << 30, "must be a non-negative integer", "ska vara ett heltal som inte är negativt",
        [](SimulationRequest& s, int n) { s.cfg.seed = static_cast<std::uint64_t>(n); }}},
      {"send_hour",
       {0, 16, "must be an hour from 0 to 16", "ska vara en timme från 0 till 16",
        [](SimulationRequest& s, int n) { s.send_hour = n; }}},
  };
  return fields;
}

// One field of the body into `s`, or what is wrong with it.
std::optional<FieldError> simulation_field(const std::string& k, const json& v,
                                           SimulationRequest& s) {
  const std::string ptr = "/" + k;
  if (auto f = integer_fields().find(k); f != integer_fields().end()) {
    const IntegerField& field = f->second;
    if (!v.is_number_integer() || v.get<std::int64_t>() < field.lo ||
        v.get<std::int64_t>() > field.hi)
      return FieldError{ptr, field.en, field.sv};
    field.set(s, v.get<int>());
  } else if (k == "late" || k == "never") {
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1)
      return FieldError{ptr, "must be a number from 0 to 1", "ska vara ett tal från 0 till 1"};
    (k == "late" ? s.cfg.late_share : s.cfg.never_share) = v.get<double>();
  } else if (k == "from") {
    auto d = v.is_string() ? workflows::parse_date(v.get<std::string>()) : std::nullopt;
    if (!d) return FieldError::not_date(ptr);
    s.cfg.first_day = *d;
  } else if (k == "summary") {
    if (!v.is_boolean()) return FieldError::not_boolean(ptr);
    s.summary_only = v.get<bool>();
  } else {
    return FieldError::unknown(ptr);
  }
  return std::nullopt;
}

json simulation_json(const engine::SimulationSummary& summary, json messages, bool summary_only) {
  json out{{"hires", summary.hires},
           {"events", summary.events},
           {"reminders", summary.reminders},
           {"messages", summary.messages},
           {"by_kind", summary.by_kind},
           {"by_audience", summary.by_audience},
           {"unresolved", summary.unresolved},
           {"weekend_or_holiday_sends", summary.weekend_or_holiday_sends}};
  if (!summary_only) out["sent"] = std::move(messages);
  return out;
}

Response simulate(ApiContext& api, Ctx& c) {
  // CPU for seconds: for those who plan (admins, unit heads), two at a time.
  if (auto r = api.admin.may_simulate(*c.principal)) return refusal_problem(c, *r);
  struct Slot {
    std::atomic<int>& n;
    bool ok;
    explicit Slot(std::atomic<int>& c) : n(c), ok(++c <= 2) {}
    ~Slot() { --n; }
  } slot(api.simulations_running);
  if (!slot.ok) {
    Response r = c.fail(429, "rate_limited",
                        c.t("Två simuleringar körs redan; försök igen strax",
                            "Two simulations are already running; try again shortly"));
    r.headers.push_back({"Retry-After", "5"});
    return r;
  }
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  const json& j = std::get<json>(body);
  if (!j.is_object()) return field_error(c, FieldError::not_object("/"));
  SimulationRequest s;
  s.cfg.hires = 10;
  s.cfg.days = 365;
  s.cfg.first_day = api.engine.today() + (date::Monday - date::weekday(api.engine.today()));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (auto e = simulation_field(it.key(), it.value(), s)) return field_error(c, *e);
  auto programme = api.engine.programme("gr-forsta-aren", std::nullopt);
  if (!programme)
    return c.fail(503, "no_programme",
                  c.t("gr-forsta-aren är inte publicerat", "gr-forsta-aren is not published"));
  static const engine::Templates templates = engine::Templates::load(JOURNEY_TEMPLATES_DIR);
  const engine::MunicipalTime municipal{std::chrono::minutes(std::chrono::hours(s.send_hour))};
  json messages = json::array();
  auto summary = engine::simulate(
      *programme, templates, municipal, s.cfg, [&](const engine::SimulatedNotification& n) {
        if (s.summary_only || messages.size() >= 5000) return;
        messages.push_back({{"date", iso_day(n.date)},
                            {"send_at", iso_time(n.send_at)},
                            {"to", n.to.email},
                            {"audience", engine::audience_id(n.to.audience)},
                            {"subject", n.subject},
                            {"message_id", n.message_id},
                            {"reminders", n.reminders.size()}});
      });
  return json_response(200, simulation_json(summary, std::move(messages), s.summary_only));
}

}  // namespace

void add_simulation_routes(RouteTable& t) { t.add("POST", "/v1/simulations", simulate); }

}  // namespace journey::http
