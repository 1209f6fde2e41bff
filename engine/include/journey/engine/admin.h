// Municipalities, units, tokens, programmes and CSV imports as one service
// that both front-ends call. journeyd's API and journeyctl decode what the
// user typed and print the answer; who may do what, and what an omitted
// field means, are decided here, once. (Webhooks are WebhookService, in
// webhooks.h; hires and their records are JourneyEngine's commands.)
//
// The caller is a Principal: journeyd's is the bearer token's, journeyctl's is
// folder_operator(): whoever may write the data folder runs the whole system,
// an admin of every municipality.
//
// A refusal is a CommandOutcome with Kind::refused and a code whose text is
// in workflows/messages.cc. Codes beginning with "forbidden_" mean the caller
// may not do this at all (HTTP 403); the others name what was wrong.
//
// Thread safety: as JourneyEngine and TokenRegistry (every member may be
// called from several threads).
#pragma once

#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "journey/engine/access.h"
#include "journey/engine/csv_import.h"
#include "journey/engine/journey_engine.h"

namespace journey::engine {

// Whether any hire is registered in `unit`, asking the log: every hire
// identified (journeyd asks its views' unit index instead).
bool any_hire_in_unit(JourneyEngine& engine, const std::string& unit);

// journeyctl's caller: an admin of every municipality, recorded as `actor`.
Principal folder_operator(const std::string& actor);

struct TokenList {
  std::optional<Refusal> refusal;  // set: the caller may not see tokens
  std::vector<Principal> tokens;   // in token id order
};

class AdminService {
 public:
  // Whether any hire is registered in a unit; default: any_hire_in_unit().
  using UnitHasHires = std::function<bool(const std::string& unit)>;

  // REQUIRES: engine and tokens outlive the service.
  AdminService(JourneyEngine& engine, TokenRegistry& tokens, UnitHasHires unit_has_hires = {});

  // --- Municipalities and units --------------------------------------------
  std::vector<Municipality> municipalities(const Principal& caller);
  // Only an admin of every municipality creates or renames one.
  std::optional<Refusal> may_change_municipalities(const Principal& caller) const;
  CommandOutcome set_municipality(const Principal& caller, const Municipality& m,
                                  const CommandContext& ctx);
  std::vector<UnitContacts> units(const Principal& caller);
  // std::nullopt: no such unit, or one the caller may not see.
  std::optional<UnitContacts> unit(const Principal& caller, const std::string& name);
  // A municipality's admin describes its units. A unit not yet described but
  // with hires registered in it (they belong to "default") can only be given a
  // municipality by the admin of every municipality: "unit_has_hires".
  CommandOutcome set_unit(const Principal& caller, const UnitContacts& u,
                          const CommandContext& ctx);
  // The rights set_unit() checks, without writing (asked before the rest of
  // a request is read, so that a caller without them hears that first).
  std::optional<Refusal> may_set_unit(const Principal& caller, const UnitContacts& u);

  // --- Tokens ---------------------------------------------------------------
  // Refused for anyone but an admin; a municipality's admin sees its own.
  TokenList tokens(const Principal& caller);
  // Forbidden for anyone but an admin (asked before a request's body is
  // decoded, so that a caller without the right is told that first).
  std::optional<Refusal> may_manage_tokens(const Principal& caller) const;
  // An empty spec.municipality means: the caller's, or for an admin of every
  // municipality, the first unit's (a new admin for all municipalities must
  // be asked for with "*"), else "default".
  IssuedToken issue_token(const Principal& caller, Principal spec, const CommandContext& ctx);
  // What issue_token() would issue (the spec, its municipality filled in),
  // or why the caller may not; writes nothing.
  std::variant<Principal, Refusal> token_for(const Principal& caller, Principal spec);
  // "unknown_token" also for a token of a municipality the caller does not
  // administer (no caller learns which ids exist elsewhere).
  CommandOutcome revoke_token(const Principal& caller, const std::string& token_id,
                              const CommandContext& ctx);

  // --- Programmes -----------------------------------------------------------
  std::optional<Refusal> may_publish_programmes(const Principal& caller) const;
  CommandOutcome publish_programme(const Principal& caller, const std::string& toml_text,
                                   const std::string& origin, const CommandContext& ctx);

  // --- Backups and simulations -----------------------------------------------
  // A backup copies every municipality's data: the admin of every
  // municipality only.
  std::optional<Refusal> may_back_up(const Principal& caller) const;
  // A simulation costs seconds of CPU: for those who plan, admins and unit
  // heads (engine/simulation.h runs it; the caller bounds how many at once).
  std::optional<Refusal> may_simulate(const Principal& caller) const;

  // --- CSV import -----------------------------------------------------------
  std::optional<Refusal> may_import(const Principal& caller) const;
  // Each row is answered on its own; a row in a unit of a municipality the
  // caller does not administer is rejected. Refused as a whole (rows empty,
  // file_error set) when the caller may not import at all.
  ImportReport import_hires(const Principal& caller, std::istream& csv, Language lang,
                            const CommandContext& ctx);

 private:
  std::string municipality_of_unit(const std::string& unit);

  JourneyEngine& engine_;
  TokenRegistry& tokens_;
  UnitHasHires unit_has_hires_;
};

}  // namespace journey::engine
