#include "journey/engine/access.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>
#include <stdexcept>

#include "journey/workflows/bounded_archive.h"

namespace journey::engine {

namespace {

constexpr const char* kTokenStream = "tokens";
constexpr const char* kTokenIssued = "TokenIssued";
constexpr const char* kTokenRevoked = "TokenRevoked";

struct TokenIssuedRecord {
  std::string id, sha256, role, name, email, municipality;
  std::vector<std::string> units;
  template <class A>
  void serialize(A& ar) {
    ar(id, sha256, role, name, email, municipality, units);
  }
};
struct TokenRevokedRecord {
  std::string id;
  template <class A>
  void serialize(A& ar) {
    ar(id);
  }
};

template <class T>
std::string to_cereal(const T& v) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(v);
  }
  return os.str();
}
template <class T>
T from_cereal(const std::string& bytes) {
  std::istringstream is(bytes);
  BoundedInputArchive ar(is, bytes.size());
  T v;
  ar(v);
  return v;
}

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return hex(md, len);
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    throw std::runtime_error("no randomness for a token (RAND_bytes failed)");
  return hex(buf.data(), buf.size());
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool has_unit(const Principal& p, const std::string& unit) {
  return std::find(p.units.begin(), p.units.end(), unit) != p.units.end();
}

}  // namespace

const char* access_role_id(AccessRole r) {
  switch (r) {
    case AccessRole::admin:
      return "admin";
    case AccessRole::unit_head:
      return "unit_head";
    case AccessRole::administrator:
      return "administrator";
    case AccessRole::introducer:
      return "introducer";
    case AccessRole::auditor:
      return "auditor";
  }
  return "?";
}

std::optional<AccessRole> parse_access_role(const std::string& s) {
  for (auto r : {AccessRole::admin, AccessRole::unit_head, AccessRole::administrator,
                 AccessRole::introducer, AccessRole::auditor})
    if (s == access_role_id(r)) return r;
  return std::nullopt;
}

std::string Principal::actor() const {
  std::string who = !email.empty() ? email : name;
  return who + " (" + access_role_id(role) + ", " + token_id + ")";
}

bool sees_municipality(const Principal& p, const std::string& municipality) {
  return !p.revoked && (p.all_municipalities() || p.municipality == municipality);
}

std::string email_match_key(const std::string& email) { return lower(email); }

bool may_read_hire(const Principal& p, const HireScope& h) {
  if (!sees_municipality(p, h.municipality)) return false;
  switch (p.role) {
    case AccessRole::admin:
    case AccessRole::auditor:
      return true;
    case AccessRole::unit_head:
    case AccessRole::administrator:
      return has_unit(p, h.unit);
    case AccessRole::introducer:
      return !p.email.empty() && email_match_key(p.email) == email_match_key(h.introducer_email);
  }
  return false;
}

bool may_register_hire(const Principal& p, const std::string& unit,
                       const std::string& municipality) {
  if (!sees_municipality(p, municipality)) return false;
  return p.role == AccessRole::admin || (p.role == AccessRole::unit_head && has_unit(p, unit));
}

std::optional<std::string> may_record_at_all(const Principal& p) {
  if (p.role == AccessRole::auditor) return "read_only_role";
  return std::nullopt;
}

std::optional<std::string> may_record(const Principal& p, const HireScope& h,
                                      const DomainEvent& event, const Programme& programme) {
  if (auto why = may_record_at_all(p)) return why;
  if (!sees_municipality(p, h.municipality)) return "not_your_municipality";
  auto item_role = [&]() -> std::optional<std::pair<workflows::Role, workflows::Part>> {
    std::string id;
    if (auto* c = std::get_if<workflows::ChecklistItemCompleted>(&event)) id = c->item_id;
    if (auto* w = std::get_if<workflows::ChecklistItemWaived>(&event)) id = w->item_id;
    if (id.empty()) return std::nullopt;
    const auto* item = programme.find_item(id);
    const auto* list = programme.checklist_of(id);
    if (!item || !list) return std::nullopt;
    return std::make_pair(item->role, list->part);
  };
  switch (p.role) {
    case AccessRole::admin:
      return std::nullopt;
    case AccessRole::unit_head:
      if (!has_unit(p, h.unit)) return "not_your_unit";
      return std::nullopt;
    case AccessRole::administrator: {
      if (!has_unit(p, h.unit)) return "not_your_unit";
      auto r = item_role();
      if (r && r->first == workflows::Role::AD && r->second == workflows::Part::preparation)
        return std::nullopt;
      return "not_your_task";
    }
    case AccessRole::introducer: {
      if (p.email.empty() || email_match_key(p.email) != email_match_key(h.introducer_email))
        return "not_your_hire";
      if (std::holds_alternative<workflows::IntroducerHoursLogged>(event)) return std::nullopt;
      auto r = item_role();
      if (r && r->first == workflows::Role::FA) return std::nullopt;
      return "not_your_task";
    }
    case AccessRole::auditor:
      break;
  }
  return "read_only_role";
}

bool recorded_by(const Principal& p, const std::string& actor) {
  if (p.role != AccessRole::introducer && p.role != AccessRole::administrator) return true;
  // "karin@gbg.se (introducer, tok-…)": the same person under any of their tokens.
  const std::string who = !p.email.empty() ? p.email : p.name;
  const auto open = actor.find(" (");
  return !who.empty() && open != std::string::npos && lower(actor.substr(0, open)) == lower(who) &&
         actor.compare(open + 2, std::string(access_role_id(p.role)).size(),
                       access_role_id(p.role)) == 0;
}

bool may_audit(const Principal& p, const std::string& municipality) {
  return sees_municipality(p, municipality) &&
         (p.role == AccessRole::admin || p.role == AccessRole::auditor);
}

bool is_admin_of(const Principal& p, const std::string& municipality) {
  return p.role == AccessRole::admin && sees_municipality(p, municipality);
}

IssuedToken TokenRegistry::issue(const Principal& spec, const CommandContext& ctx) {
  IssuedToken out;
  out.principal = spec;
  auto fail = [&](const std::string& code, std::map<std::string, std::string> args) {
    out.outcome = refused(code, std::move(args));
    return out;
  };
  if (ctx.actor.empty()) return fail("field_empty", {{"field", "actor"}});
  if (spec.name.empty() && spec.email.empty()) return fail("field_empty", {{"field", "name"}});
  if (spec.municipality.empty()) return fail("field_empty", {{"field", "municipality"}});
  if (spec.municipality == "*") {
    if (spec.role != AccessRole::admin)
      return fail("field_bad_value", {{"field", "municipality"}, {"value", "*"}});
  } else if (!engine_.municipality(spec.municipality)) {
    return fail("unknown_municipality", {{"municipality", spec.municipality}});
  }
  const bool unit_role =
      spec.role == AccessRole::unit_head || spec.role == AccessRole::administrator;
  if (unit_role && spec.units.empty()) return fail("field_empty", {{"field", "units"}});
  if (!unit_role && !spec.units.empty())
    return fail("field_bad_value", {{"field", "units"}, {"value", spec.units.front()}});
  for (const auto& u : spec.units) {
    auto unit = engine_.unit(u);
    if (!unit) return fail("unknown_unit", {{"unit", u}});
    if (unit->municipality != spec.municipality)
      return fail("field_bad_value", {{"field", "units"}, {"value", u}});
  }
  if (spec.role == AccessRole::introducer && spec.email.empty())
    return fail("field_empty", {{"field", "email"}});

  // 32-bit ids: draw again on the (rare) collision, so revoking one id never
  // revokes two tokens.
  std::string id_hex;
  for (bool taken = true; taken;) {
    id_hex = random_hex(4);
    taken = false;
    for (const auto& p : list())
      if (p.token_id == "tok-" + id_hex) taken = true;
  }
  out.principal.token_id = "tok-" + id_hex;
  out.principal.revoked = false;
  out.token = "jt_" + id_hex + "_" + random_hex(32);
  TokenIssuedRecord rec{out.principal.token_id,
                        sha256_hex(out.token),
                        access_role_id(spec.role),
                        spec.name,
                        spec.email,
                        spec.municipality,
                        spec.units};
  auto r = engine_.log().append(storage::AppendRequest{
      storage::StreamId(kTokenStream),
      storage::ExpectedVersion::any(),
      {storage::NewEvent{kTokenIssued, 1, to_cereal(rec), engine_.clock().now(), ctx.actor}},
      ctx.idempotency_key});
  if (!r) {
    out.outcome.kind = CommandOutcome::Kind::failed;
    out.outcome.refusal = Refusal{"storage_error", {{"what", r.error().message}}};
    return out;
  }
  if (r->duplicate) {
    // The same idempotency key issued a token before; its secret is not kept,
    // so the caller cannot get it again.
    return fail("token_already_issued", {{"key", ctx.idempotency_key}});
  }
  out.outcome.kind = CommandOutcome::Kind::accepted;
  out.outcome.hire_id = kTokenStream;
  out.outcome.version = r->last_version.value;
  out.outcome.position = r->last_position.value;
  std::lock_guard<std::mutex> lock(mu_);
  refresh_locked();
  return out;
}

CommandOutcome TokenRegistry::revoke(const std::string& token_id, const CommandContext& ctx) {
  bool known = false;
  for (const auto& p : list())
    if (p.token_id == token_id) known = true;
  if (!known) return refused("unknown_token", {{"token", token_id}});
  auto r = engine_.log().append(storage::AppendRequest{
      storage::StreamId(kTokenStream),
      storage::ExpectedVersion::any(),
      {storage::NewEvent{kTokenRevoked, 1, to_cereal(TokenRevokedRecord{token_id}),
                         engine_.clock().now(), ctx.actor}},
      ctx.idempotency_key});
  CommandOutcome o;
  if (!r) {
    o.refusal = Refusal{"storage_error", {{"what", r.error().message}}};
    return o;
  }
  o.kind = r->duplicate ? CommandOutcome::Kind::duplicate : CommandOutcome::Kind::accepted;
  o.hire_id = kTokenStream;
  o.version = r->last_version.value;
  o.position = r->last_position.value;
  std::lock_guard<std::mutex> lock(mu_);
  refresh_locked();
  return o;
}

void TokenRegistry::refresh_locked() {
  auto events = engine_.log().read_stream(storage::StreamId(kTokenStream),
                                          storage::StreamVersion{folded_version_ + 1});
  if (!events) throw std::runtime_error("reading tokens: " + events.error().message);
  for (const auto& e : *events) {
    if (e.type == kTokenIssued) {
      auto rec = from_cereal<TokenIssuedRecord>(e.payload);
      Principal p;
      p.token_id = rec.id;
      p.role = parse_access_role(rec.role).value_or(AccessRole::auditor);
      p.name = rec.name;
      p.email = rec.email;
      p.municipality = rec.municipality;
      p.units = rec.units;
      by_hash_[rec.sha256] = p;
    } else if (e.type == kTokenRevoked) {
      auto rec = from_cereal<TokenRevokedRecord>(e.payload);
      for (auto& [hash, p] : by_hash_)
        if (p.token_id == rec.id) p.revoked = true;
    }
    folded_version_ = e.version.value;
  }
}

std::optional<Principal> TokenRegistry::authenticate(const std::string& token) {
  if (token.rfind("jt_", 0) != 0 || token.size() > 200) return std::nullopt;
  const std::string hash = sha256_hex(token);
  std::lock_guard<std::mutex> lock(mu_);
  // No re-read on a miss: only one process can open the log (RocksDB's lock),
  // so every token this registry has not seen was issued by nobody; an
  // unknown token costs a hash and a lookup, not a read.
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end() || it->second.revoked) return std::nullopt;
  return it->second;
}

std::vector<Principal> TokenRegistry::list() {
  std::lock_guard<std::mutex> lock(mu_);
  refresh_locked();
  std::vector<Principal> out;
  for (const auto& [hash, p] : by_hash_) out.push_back(p);
  std::sort(out.begin(), out.end(),
            [](const Principal& a, const Principal& b) { return a.token_id < b.token_id; });
  return out;
}

}  // namespace journey::engine
