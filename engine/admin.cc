#include "journey/engine/admin.h"

#include <algorithm>

namespace journey::engine {

namespace {

bool all_municipality_admin(const Principal& p) {
  return !p.revoked && p.role == AccessRole::admin && p.all_municipalities();
}

}  // namespace

bool any_hire_in_unit(JourneyEngine& engine, const std::string& unit) {
  for (const auto& id : engine.hires()) {
    auto h = engine.identify(id);
    if (h && h->unit == unit) return true;
  }
  return false;
}

Principal folder_operator(const std::string& actor) {
  Principal p;
  p.token_id = "operator";
  p.role = AccessRole::admin;
  p.name = actor;
  p.municipality = "*";
  return p;
}

AdminService::AdminService(JourneyEngine& engine, TokenRegistry& tokens, UnitHasHires has_hires)
    : engine_(engine), tokens_(tokens), unit_has_hires_(std::move(has_hires)) {
  if (!unit_has_hires_)
    unit_has_hires_ = [this](const std::string& unit) { return any_hire_in_unit(engine_, unit); };
}

std::string AdminService::municipality_of_unit(const std::string& unit) {
  auto u = engine_.unit(unit);
  return u ? u->municipality : kDefaultMunicipality;
}

// --- Municipalities and units ------------------------------------------------

std::vector<Municipality> AdminService::municipalities(const Principal& caller) {
  std::vector<Municipality> out;
  for (auto& m : engine_.municipalities())
    if (sees_municipality(caller, m.id)) out.push_back(std::move(m));
  return out;
}

std::optional<Refusal> AdminService::may_change_municipalities(const Principal& caller) const {
  if (!all_municipality_admin(caller)) return Refusal{"forbidden_municipalities", {}};
  return std::nullopt;
}

CommandOutcome AdminService::set_municipality(const Principal& caller, const Municipality& m,
                                              const CommandContext& ctx) {
  if (auto r = may_change_municipalities(caller)) return refused(r->code, r->args);
  return engine_.set_municipality(m, ctx);
}

std::vector<UnitContacts> AdminService::units(const Principal& caller) {
  std::vector<UnitContacts> out;
  for (auto& u : engine_.units())
    if (sees_municipality(caller, u.municipality)) out.push_back(std::move(u));
  return out;
}

std::optional<UnitContacts> AdminService::unit(const Principal& caller, const std::string& name) {
  auto u = engine_.unit(name);
  if (!u || !sees_municipality(caller, u->municipality)) return std::nullopt;
  return u;
}

std::optional<Refusal> AdminService::may_set_unit(const Principal& caller, const UnitContacts& u) {
  if (!is_admin_of(caller, u.municipality)) return Refusal{"forbidden_units", {}};
  const auto existing = engine_.unit(u.unit);
  if (existing && !is_admin_of(caller, existing->municipality))
    return Refusal{"forbidden_unit_elsewhere", {{"unit", u.unit}}};
  // Hires registered in a unit nobody has described yet belong to "default";
  // a municipality's admin must not claim them by describing the unit.
  if (!existing && !caller.all_municipalities() && unit_has_hires_(u.unit))
    return Refusal{"unit_has_hires", {{"unit", u.unit}}};
  return std::nullopt;
}

CommandOutcome AdminService::set_unit(const Principal& caller, const UnitContacts& u,
                                      const CommandContext& ctx) {
  if (auto r = may_set_unit(caller, u)) return refused(r->code, r->args);
  return engine_.set_unit(u, ctx);
}

// --- Tokens --------------------------------------------------------------------

std::optional<Refusal> AdminService::may_manage_tokens(const Principal& caller) const {
  if (caller.revoked || caller.role != AccessRole::admin) return Refusal{"forbidden_tokens", {}};
  return std::nullopt;
}

TokenList AdminService::tokens(const Principal& caller) {
  TokenList out;
  if ((out.refusal = may_manage_tokens(caller))) return out;
  for (auto& p : tokens_.list())
    if (caller.all_municipalities() || p.municipality == caller.municipality)
      out.tokens.push_back(std::move(p));
  std::sort(out.tokens.begin(), out.tokens.end(),
            [](const Principal& a, const Principal& b) { return a.token_id < b.token_id; });
  return out;
}

std::variant<Principal, Refusal> AdminService::token_for(const Principal& caller, Principal spec) {
  if (auto r = may_manage_tokens(caller)) return *r;
  if (spec.municipality.empty()) {
    if (!caller.all_municipalities()) {
      spec.municipality = caller.municipality;
    } else {
      std::optional<UnitContacts> first;
      if (!spec.units.empty()) first = engine_.unit(spec.units.front());
      spec.municipality = first ? first->municipality : kDefaultMunicipality;
    }
  }
  if (spec.municipality == "*" ? !caller.all_municipalities()
                               : !is_admin_of(caller, spec.municipality))
    return Refusal{"forbidden_token_elsewhere", {{"municipality", spec.municipality}}};
  return spec;
}

IssuedToken AdminService::issue_token(const Principal& caller, Principal spec,
                                      const CommandContext& ctx) {
  auto checked = token_for(caller, std::move(spec));
  if (auto* r = std::get_if<Refusal>(&checked)) {
    IssuedToken out;
    out.outcome = refused(r->code, r->args);
    return out;
  }
  return tokens_.issue(std::get<Principal>(checked), ctx);
}

CommandOutcome AdminService::revoke_token(const Principal& caller, const std::string& token_id,
                                          const CommandContext& ctx) {
  if (auto r = may_manage_tokens(caller)) return refused(r->code, r->args);
  std::optional<Principal> target;
  for (auto& p : tokens_.list())
    if (p.token_id == token_id) target = std::move(p);
  const bool administers =
      target && (target->municipality == "*" ? caller.all_municipalities()
                                             : is_admin_of(caller, target->municipality));
  if (!administers) return refused("unknown_token", {{"token", token_id}});
  return tokens_.revoke(token_id, ctx);
}

// --- Programmes and imports ------------------------------------------------------

std::optional<Refusal> AdminService::may_publish_programmes(const Principal& caller) const {
  if (!all_municipality_admin(caller)) return Refusal{"forbidden_programmes", {}};
  return std::nullopt;
}

CommandOutcome AdminService::publish_programme(const Principal& caller,
                                               const std::string& toml_text,
                                               const std::string& origin,
                                               const CommandContext& ctx) {
  if (auto r = may_publish_programmes(caller)) return refused(r->code, r->args);
  return engine_.publish_programme(toml_text, origin, ctx.actor);
}

std::optional<Refusal> AdminService::may_back_up(const Principal& caller) const {
  if (!all_municipality_admin(caller)) return Refusal{"forbidden_backups", {}};
  return std::nullopt;
}

std::optional<Refusal> AdminService::may_simulate(const Principal& caller) const {
  if (caller.revoked || (caller.role != AccessRole::admin && caller.role != AccessRole::unit_head))
    return Refusal{"forbidden_simulations", {}};
  return std::nullopt;
}

std::optional<Refusal> AdminService::may_import(const Principal& caller) const {
  if (caller.revoked || caller.role != AccessRole::admin) return Refusal{"forbidden_import", {}};
  return std::nullopt;
}

ImportReport AdminService::import_hires(const Principal& caller, std::istream& csv, Language lang,
                                        const CommandContext& ctx) {
  if (auto r = may_import(caller)) {
    ImportReport rep;
    rep.file_error = r->message(lang);
    return rep;
  }
  if (all_municipality_admin(caller)) return import_hires_csv(engine_, csv, ctx.actor, lang);
  return import_hires_csv(engine_, csv, ctx.actor, lang, [&](const std::string& unit) {
    return is_admin_of(caller, municipality_of_unit(unit));
  });
}

}  // namespace journey::engine
