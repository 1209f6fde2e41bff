// What is recorded on a hire: new events, and corrections or retractions of
// facts already recorded; both answer to the principal's right to record.
#include "api_routes.h"

namespace journey::http {

namespace {

using CorrectionTarget = engine::JourneyEngine::CorrectionTarget;

std::string record_refusal(const Ctx& c, const std::string& why) {
  if (why == "read_only_role")
    return c.t("Din roll får bara läsa, inte registrera.", "Your role may read, not record.");
  if (why == "not_your_unit")
    return c.t("Den nyanställda hör inte till dina enheter.",
               "The hire does not belong to your units.");
  if (why == "not_your_hire")
    return c.t("Du är inte introduktör för den nyanställda.", "You are not the hire's introducer.");
  if (why == "not_your_record")
    return c.t("Du får bara rätta det du själv har registrerat; enhetschefen rättar resten.",
               "You may only correct what you recorded yourself; the unit head corrects the "
               "rest.");
  if (why == "not_your_task")
    return c.t(
        "Det här är inte din roll att registrera (administratören registrerar AD-moment i "
        "förberedelsen, introduktören FA-moment och timmar).",
        "This is not your role's to record (the administrator records AD preparation "
        "items, the introducer FA items and hours).");
  return c.t("Du får inte registrera detta.", "You may not record this.");
}

// If-Match takes the version alone ("7", what commands and history answer)
// or a status ETag ("7-20261203": its day says nothing about the version).
std::optional<std::uint64_t> if_match(const Ctx& c, std::optional<Response>& error) {
  auto it = c.req.headers.find("If-Match");
  if (it == c.req.headers.end()) return std::nullopt;
  std::string v = it->second;
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (const auto dash = v.find('-');
      dash != std::string::npos && v.size() - dash - 1 == 8 &&
      v.find_first_not_of("0123456789", dash + 1) == std::string::npos)
    v.resize(dash);
  const auto version = whole_number(v, 19);
  if (!version) {
    error = c.fail(400, "bad_header",
                   c.t("If-Match ska vara journeyns version, t.ex. \"7\"",
                       "If-Match must be the journey's version, e.g. \"7\""),
                   "header", "If-Match");
    return std::nullopt;
  }
  return *version;
}

Response idempotency_key_reused(const Ctx& c) {
  return c.fail(409, "idempotency_key_reused",
                c.t("Idempotency-Key användes redan för en annan nyanställd",
                    "The Idempotency-Key was already used for another hire"),
                "header", "Idempotency-Key");
}

Response record_event(ApiContext& api, Ctx& c) {
  // Who may read the hire needs only its identity; who may record the event
  // needs its programme too, which the engine has once it has replayed the
  // journey to decide: it asks `authorise` there (one replay, no projection).
  const std::string hire = c.params["hire"];
  std::map<std::string, std::string> munis;
  auto id = api.engine.identify(hire);
  if (!id || !engine::may_read_hire(*c.principal, api.scope_of(*id, &munis)))
    return unknown_hire(c, hire);
  if (auto why = engine::may_record_at_all(*c.principal))
    return forbidden(c, record_refusal(c, *why));
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  auto ev = decode_command(std::get<json>(body), api.engine.today());
  if (auto* e = std::get_if<FieldError>(&ev)) return field_error(c, *e);
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  auto expected = if_match(c, err);
  if (err) return *err;
  // Asked by the engine on the hire as it replays it in its turn: the unit
  // and introducer then, not those read above (a new introducer may have
  // been appointed by a command decided in between).
  engine::JourneyEngine::Authorise authorise = [&api, principal = *c.principal](
                                                   const engine::DomainEvent& e,
                                                   const workflows::Programme& programme,
                                                   const workflows::JourneyFacts& facts) {
    std::map<std::string, std::string> seen;
    const auto scope =
        api.scope_of(facts.hire, facts.introducer ? facts.introducer->introducer.email : "", &seen);
    return engine::may_record(principal, scope, e, programme);
  };
  // Answered when the log has the event (no worker waits for it).
  c.later = [&api, c, hire, event = std::get<engine::DomainEvent>(ev), authorise,
             ctx = engine::CommandContext{c.principal->actor(), *key, expected}](
                const auto& post, std::function<void(Response)> answer) {
    api.engine.execute_async(hire, event, ctx, authorise, post,
                             [c, hire, answer = std::move(answer)](CommandOutcome o) {
                               answer_with(c, answer, [&] {
                                 if (o.refusal && o.refusal->code == "not_permitted")
                                   return forbidden(c, record_refusal(c, o.refusal->args["why"]));
                                 if (o.refusal && o.refusal->code == "hire_damaged")
                                   return damaged_problem(c, hire, o.refusal->args["reason"]);
                                 if (o.ok() && o.hire_id != hire) return idempotency_key_reused(c);
                                 return command_response(c, 201, o, {{"hire", o.hire_id}});
                               });
                             });
  };
  return {};
}

// A repeat gets the first outcome before any check: the fact may have
// been corrected or struck by someone else since.
std::optional<Response> replayed_correction(ApiContext& api, const Ctx& c, const std::string& key) {
  if (key.empty()) return std::nullopt;
  auto seen = api.engine.log().find_idempotency_key(key);
  if (!seen || !seen->has_value()) return std::nullopt;
  CommandOutcome o;
  o.kind = CommandOutcome::Kind::duplicate;
  o.hire_id = (*seen)->stream.str();
  o.version = (*seen)->last_version.value;
  o.position = (*seen)->last_position.value;
  // The first answer named what it corrected or struck: so does the repeat.
  json extra{{"hire", o.hire_id}};
  if (auto h = api.engine.records_of(o.hire_id))
    for (std::size_t i = 0; i < h->entries.size() && i < h->records.size(); ++i)
      if (const auto& e = h->entries[i]; e.correction && h->records[i].version.value == o.version)
        extra[e.correction->replacement ? "corrects" : "retracts"] = e.correction->version;
  return command_response(c, 201, o, extra);
}

Response refused(const Ctx& c, const std::string& code, std::map<std::string, std::string> args) {
  CommandOutcome o;
  o.kind = CommandOutcome::Kind::refused;
  o.refusal = workflows::Refusal{code, std::move(args)};
  return outcome_problem(c, o);
}

// The correction `cb` asks for, of the fact as it stands now, or why there
// is none.
std::variant<engine::Correction, Response> correction_of(
    ApiContext& api, const Ctx& c, const std::string& hire, const CorrectionBody& cb,
    const std::optional<CorrectionTarget>& target) {
  const std::string event = std::to_string(cb.event);
  if (!target)
    return refused(c, "correction_unknown_event", {{"event", event}, {"field", "event"}});
  if (!target->fact)
    return refused(c, "correction_not_a_fact",
                   {{"event", event},
                    {"type", target->type},
                    {"title_sv", workflows::event_title(target->type, Language::sv)},
                    {"title_en", workflows::event_title(target->type, Language::en)},
                    {"field", "event"}});
  if (target->retracted && !cb.retract)
    return refused(
        c, "correction_target_retracted",
        {{"event", event}, {"by", std::to_string(target->superseded_by)}, {"field", "event"}});
  // Decided on the fact as it stands now; the engine refuses if another
  // correction lands before this one is written.
  engine::Correction corr{cb.event, std::nullopt, cb.reason, target->superseded_by};
  if (!cb.retract && target->current) {
    auto merged = http::merge_replacement(*target->current, cb.replacement, api.engine.today());
    if (auto* e = std::get_if<FieldError>(&merged)) return field_error(c, *e);
    corr.replacement = std::get<engine::DomainEvent>(merged);
  } else if (!cb.retract) {
    return refused(
        c, "hire_damaged",
        {{"hire", hire},
         {"reason", cb.event == 1
                        ? c.t("registreringen kan inte läsas", "the registration cannot be read")
                        : c.t("händelsen kan inte läsas; stryk den i stället",
                              "the event cannot be read; retract it instead")}});
  }
  return corr;
}

// Who may record the fact may correct it (admins may correct anything of
// theirs); the fact as it will stand must be theirs to record too. An
// unreadable fact is only an admin's to strike.
std::optional<std::string> may_not_correct(const Principal& p, const engine::HireScope& scope,
                                           const CorrectionTarget& target,
                                           const engine::Correction& corr) {
  const auto& prog = target.programme;
  std::optional<std::string> why;
  if (!prog || !target.current) {
    if (!engine::is_admin_of(p, scope.municipality)) why = "not_your_task";
  } else {
    why = engine::may_record(p, scope, *target.current, *prog);
    if (!why && corr.replacement) why = engine::may_record(p, scope, *corr.replacement, *prog);
    // An introducer or administrator corrects what they recorded themselves
    // (hours a previous introducer logged are the unit head's to correct).
    if (!why && !engine::recorded_by(p, target.actor)) why = "not_your_record";
  }
  return why;
}

Response correct_record(ApiContext& api, Ctx& c) {
  // Authorised by the hire's identity, not its projection: correcting the
  // damaged fact is how a damaged hire is repaired.
  const std::string hire = c.params["hire"];
  std::map<std::string, std::string> munis;
  auto id = api.engine.identify(hire);
  if (!id || !engine::may_read_hire(*c.principal, api.scope_of(*id, &munis)))
    return c.fail(404, "unknown_hire",
                  std::string(c.t("Ingen nyanställd med id ", "No hire with id ")) + hire);
  if (auto why = engine::may_record_at_all(*c.principal))
    return forbidden(c, record_refusal(c, *why));
  const engine::HireScope scope = api.scope_of(*id, &munis);
  auto body = json_body(c);
  if (auto* r = std::get_if<Response>(&body)) return *r;
  auto decoded = http::decode_correction_body(std::get<json>(body));
  if (auto* e = std::get_if<FieldError>(&decoded)) return field_error(c, *e);
  const auto& cb = std::get<http::CorrectionBody>(decoded);
  std::optional<Response> err;
  auto key = idempotency_key(c, err);
  if (err) return *err;
  auto expected = if_match(c, err);
  if (err) return *err;
  if (auto first = replayed_correction(api, c, *key)) return *first;
  auto target = api.engine.correction_target(hire, cb.event);
  auto corr = correction_of(api, c, hire, cb, target);
  if (auto* r = std::get_if<Response>(&corr)) return *r;
  const auto& correction = std::get<engine::Correction>(corr);
  if (auto why = may_not_correct(*c.principal, scope, *target, correction))
    return forbidden(c, record_refusal(c, *why));
  // Answered when the log has the correction (no worker waits for it, nor
  // for the hire's turn).
  c.later = [&api, c, hire, correction, retract = cb.retract, event = cb.event,
             ctx = engine::CommandContext{c.principal->actor(), *key, expected}](
                const auto& post, std::function<void(Response)> answer) {
    api.engine.correct_async(
        hire, correction, ctx, post,
        [c, hire, retract, event, answer = std::move(answer)](const CommandOutcome& o) {
          answer_with(c, answer, [&] {
            if (o.ok() && o.hire_id != hire) return idempotency_key_reused(c);
            return command_response(
                c, 201, o, {{"hire", o.hire_id}, {retract ? "retracts" : "corrects", event}});
          });
        });
  };
  return {};
}

}  // namespace

void add_record_routes(RouteTable& t) {
  t.add("POST", "/v1/hires/{hire}/events", record_event);
  t.add("POST", "/v1/hires/{hire}/corrections", correct_record);
}

}  // namespace journey::http
