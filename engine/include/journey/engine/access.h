// Who may do what: bearer tokens, their principals and the authorisation rules.
//
// Tokens. A token is "jt_<8 hex id>_<64 hex secret>". Only its SHA-256 is
// stored, in the log's "tokens" stream:
//   TokenIssued   {id, sha256, role, name, email, municipality, units}
//   TokenRevoked  {id}
// so the audit trail says who was given which rights, by whom and when, and a
// stolen copy of the log does not give anyone a working token. The plain token
// is shown once, to whoever issued it.
//
// Roles and scope (a principal belongs to one municipality; "*" = every one,
// for admin only):
//   admin          everything in its municipality (units, tokens, hires,
//                  notifications, webhooks and programmes when "*")
//   unit_head      reads and changes the hires of its units
//   administrator  reads its units' hires; records the administrator's (AD)
//                  checklist items of the preparation part
//   introducer     reads the hires it introduces (matched by e-mail); records
//                  their introducer (FA) items and introducer hours
//   auditor        reads everything in its municipality, the audit views and
//                  the chain verification; changes nothing
// One municipality never sees another's data: every rule starts with the
// municipality check.
//
// Thread safety: TokenRegistry is safe to call from several threads; the pure
// rule functions are values in, values out.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "journey/engine/journey_engine.h"

namespace journey::engine {

enum class AccessRole { admin, unit_head, administrator, introducer, auditor };
const char* access_role_id(AccessRole r);  // "admin", "unit_head", ...
std::optional<AccessRole> parse_access_role(const std::string& s);

struct Principal {
  std::string token_id;  // "tok-<8 hex>"
  AccessRole role = AccessRole::auditor;
  std::string name;
  std::string email;
  std::string municipality;        // "*" only for admin
  std::vector<std::string> units;  // unit_head, administrator
  bool revoked = false;
  // Recorded as the actor of every event the principal causes.
  std::string actor() const;
  bool all_municipalities() const { return municipality == "*"; }
};

// What a rule needs to know about a hire.
struct HireScope {
  std::string unit;
  std::string municipality;
  std::string introducer_email;  // the current introducer's, may be empty
};

bool sees_municipality(const Principal& p, const std::string& municipality);
bool may_read_hire(const Principal& p, const HireScope& h);
// An introducer's e-mail as may_read_hire compares it (ASCII lower case);
// the hire views' introducer index keys by it too, so the two cannot differ.
std::string email_match_key(const std::string& email);
bool may_register_hire(const Principal& p, const std::string& unit,
                       const std::string& municipality);
// The part of may_record() that needs no event: "read_only_role" for a role
// that records nothing. Asked before a request's body is read, so that an
// auditor is told that, not what was wrong with the body.
std::optional<std::string> may_record_at_all(const Principal& p);
// Why the principal may not record `event` on this hire, or nullopt if it may.
// Returns a short machine-readable reason ("read_only_role", "not_your_unit",
// "not_your_hire", "not_your_task").
std::optional<std::string> may_record(const Principal& p, const HireScope& h,
                                      const DomainEvent& event, const Programme& programme);
// Whether `p` may correct a fact recorded by `actor` (an event's actor, as
// Principal::actor() wrote it): admins and unit heads any they may record;
// introducers and administrators only their own (matched by e-mail).
bool recorded_by(const Principal& p, const std::string& actor);
bool may_audit(const Principal& p, const std::string& municipality);
bool is_admin_of(const Principal& p, const std::string& municipality);

struct IssuedToken {
  std::string token;  // the plain token: shown once, never stored
  Principal principal;
  CommandOutcome outcome;
};

class TokenRegistry {
 public:
  // Reads the log's "tokens" stream once; issue() and revoke() keep it current.
  explicit TokenRegistry(JourneyEngine& engine) : engine_(engine) {
    std::lock_guard<std::mutex> lock(mu_);
    refresh_locked();
  }

  // Refused (outcome.kind == refused, with the field named) when the spec is
  // inconsistent: unit roles without units, an introducer without e-mail,
  // "*" for anything but admin, an unknown municipality or unit.
  IssuedToken issue(const Principal& spec, const CommandContext& ctx);
  CommandOutcome revoke(const std::string& token_id, const CommandContext& ctx);
  // The principal of a valid, unrevoked token.
  std::optional<Principal> authenticate(const std::string& token);
  std::vector<Principal> list();

 private:
  void refresh_locked();
  JourneyEngine& engine_;
  std::mutex mu_;
  std::uint64_t folded_version_ = 0;
  std::map<std::string, Principal> by_hash_;  // sha256 hex -> principal
};

}  // namespace journey::engine
