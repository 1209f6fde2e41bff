// Command handling by replay; see journey_engine.h for the contract.
#include "journey/engine/journey_engine.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <sstream>

#include "journey/engine/calendar.h"
#include "journey/workflows/bounded_archive.h"
#include "journey/workflows/value_domain.h"

namespace journey::engine {

using namespace workflows;
using storage::AppendRequest;
using storage::ExpectedVersion;
using storage::StreamId;
using storage::StreamVersion;

namespace {

constexpr const char* kProgrammeEvent = "ProgrammePublished";
constexpr const char* kProgrammePrefix = "programme-";

struct ProgrammePublished {
  std::string id;
  int version = 0;
  std::string sha256;
  std::string toml;
  template <class A>
  void serialize(A& ar) {
    ar(id, version, sha256, toml);
  }
};

constexpr const char* kUnitEvent = "UnitContactsSet";
constexpr const char* kUnitPrefix = "unit-";

struct ContactRecord {
  std::string name, email, language;
  bool digest = false;
  template <class A>
  void serialize(A& ar) {
    ar(name, email, language, digest);
  }
};
// Schema 1 had no municipality (it reads as "default"); schema 2 appends it.
struct UnitContactsSet {
  std::string unit;
  ContactRecord unit_head, administrator;
  std::optional<ContactRecord> escalation;
  template <class A>
  void serialize(A& ar) {
    ar(unit, unit_head, administrator, escalation);
  }
};
struct UnitContactsSetV2 {
  UnitContactsSet v1;
  std::string municipality;
  template <class A>
  void serialize(A& ar) {
    ar(v1, municipality);
  }
};

constexpr const char* kMunicipalityEvent = "MunicipalitySet";
constexpr const char* kMunicipalityStream = "municipalities";
struct MunicipalityRecord {
  std::string id, name;
  template <class A>
  void serialize(A& ar) {
    ar(id, name);
  }
};

constexpr const char* kWebhookEvent = "WebhookSubscriptionSet";
constexpr const char* kWebhookStream = "webhooks";
struct WebhookRecord {
  std::string id, url;
  std::vector<std::string> fingerprints;
  bool enabled = true;
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(id, url, fingerprints, enabled, reason);
  }
};
// Schema 2 adds whose notifications the endpoint hears; schema-1 records (from
// before municipalities had their own webhooks) read as "*", all of them.
struct WebhookRecordV2 {
  WebhookRecord v1;
  std::string municipality;
  template <class A>
  void serialize(A& ar) {
    ar(v1, municipality);
  }
};

ContactRecord to_record(const Contact& c) {
  return {c.name, c.email, c.language == Language::en ? "en" : "sv", c.digest};
}
Contact from_record(const ContactRecord& r) {
  return {r.name, r.email, r.language == "en" ? Language::en : Language::sv, r.digest};
}

template <class T>
std::string to_cereal(const T& value) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(const_cast<T&>(value));
  }
  return os.str();
}
template <class T>
T from_cereal(const std::string& payload) {
  std::istringstream is(payload);
  BoundedInputArchive ar(is, payload.size());
  T value;
  ar(value);
  return value;
}

std::string sha256_hex(const std::string& text) {
  unsigned char h[32];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), h, &len, EVP_sha256(), nullptr);
  storage::Sha256 a;
  std::copy(h, h + 32, a.begin());
  return storage::to_hex(a);
}

TimePoint to_time(date::sys_days d) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(d);
}

CommandOutcome failed(const std::string& code, std::map<std::string, std::string> args,
                      CommandOutcome::Kind kind = CommandOutcome::Kind::failed) {
  CommandOutcome o;
  o.kind = kind;
  o.refusal = Refusal{code, std::move(args)};
  return o;
}

}  // namespace

CommandOutcome refused(const std::string& code, std::map<std::string, std::string> args) {
  return failed(code, std::move(args), CommandOutcome::Kind::refused);
}

namespace {

// A storage failure as an outcome: "storage_full" when the disk is full (the
// HTTP API answers 507), "storage_closed" while shutting down, else "storage_error".
CommandOutcome storage_failed(const storage::Error& e) {
  const char* code = e.code == storage::ErrorCode::no_space ? "storage_full"
                     : e.code == storage::ErrorCode::closed ? "storage_closed"
                                                            : "storage_error";
  return failed(code, {{"what", e.message}});
}

std::string new_hire_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = "hire-";
  auto v = rng();
  for (int i = 0; i < 8; ++i) id.push_back(hex[(v >> (i * 4)) & 15]);
  return id;
}

// A value outside the domain (value_domain.h) as a refusal naming its field.
CommandOutcome out_of_domain(const std::string& field, const workflows::ValueProblem& p) {
  return failed(p.refusal(field).code, p.refusal(field).args, CommandOutcome::Kind::refused);
}

// The stored forms of a correction (journey_engine.h, kEventCorrected). The
// replacement is kept as an encoded event (type, schema, payload) so that it
// decodes, and is checked, exactly as a fact of its type does.
struct CorrectionRecord {
  std::uint64_t version = 0;
  std::string reason;
  std::string type;
  std::uint16_t schema_version = 1;
  std::string payload;
  template <class A>
  void serialize(A& ar) {
    ar(version, reason, type, schema_version, payload);
  }
};
struct RetractionRecord {
  std::uint64_t version = 0;
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(version, reason);
  }
};

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Days are the municipality's, not UTC's: from midnight Swedish time to 01:00
// (02:00 in summer) the UTC day is still yesterday's. Every municipality keeps
// Swedish time.
const MunicipalTime& swedish_time() {
  static const MunicipalTime swedish{};  // Europe/Stockholm
  return swedish;
}

}  // namespace

date::sys_days swedish_day(TimePoint t) {
  try {
    return swedish_time().local_date(t);
  } catch (const std::out_of_range&) {
    return date::floor<date::days>(t);
  }
}

TimePoint swedish_midnight(date::sys_days d) {
  return swedish_time().to_utc(date::local_days(d.time_since_epoch()));
}

namespace {

// Lower case of one code point in the ranges name_matches() documents.
char32_t fold(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // À..Þ except ×
  if (c == 0x130) return U'i';                             // İ
  if (c >= 0x100 && c <= 0x137) return c | 1;              // Ā..ķ: pairs
  if (c >= 0x139 && c <= 0x148) return c + (c & 1);        // Ĺ..ň: odd upper
  if (c >= 0x14A && c <= 0x177) return c | 1;              // Ŋ..ŷ: pairs
  if (c == 0x178) return 0xFF;                             // Ÿ
  if (c >= 0x179 && c <= 0x17E) return c + (c & 1);        // Ź..ž
  return c;
}

// `s` with its case folded, as code points; bytes that are not UTF-8 stay
// as they are (one per code point), so they match only themselves.
std::u32string folded(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t n = b < 0x80         ? 1
                          : (b >> 5) == 6  ? 2
                          : (b >> 4) == 14 ? 3
                          : (b >> 3) == 30 ? 4
                                           : 0;
    char32_t c = b;
    bool ok = n != 0 && i + n <= s.size();
    if (ok && n > 1) {
      c = b & (0x7F >> n);
      for (std::size_t k = 1; k < n; ++k) {
        const auto t = static_cast<unsigned char>(s[i + k]);
        if ((t & 0xC0) != 0x80) ok = false;
        c = (c << 6) | (t & 0x3F);
      }
    }
    if (!ok) {
      out.push_back(b | 0x110000);  // outside Unicode: equal only to itself
      ++i;
      continue;
    }
    out.push_back(fold(c));
    i += n;
  }
  return out;
}

}  // namespace

bool name_matches(std::string_view name, std::string_view query) {
  const std::u32string n = folded(name), q = folded(query);
  for (std::size_t i = 0; i < q.size();) {
    if (q[i] == U' ') {
      ++i;
      continue;
    }
    const std::size_t end = std::min(q.find(U' ', i), q.size());
    if (n.find(q.substr(i, end - i)) == std::u32string::npos) return false;
    i = end;
  }
  return true;
}

bool is_notification_type(const std::string& type) {
  return type == kNotificationDecided || type == kDeliveryAttempted;
}

bool is_correction_type(const std::string& type) {
  return type == kEventCorrected || type == kEventRetracted;
}

namespace {

// A correction as stored; throws DecodeError naming what is wrong, like decode().
Correction decode_correction(const storage::RecordedEvent& r) {
  Correction c;
  try {
    if (r.schema_version != 1)
      throw DecodeError(r.type + ": unknown schema version " + std::to_string(r.schema_version));
    if (r.type == kEventCorrected) {
      auto rec = from_cereal<CorrectionRecord>(r.payload);
      c.version = rec.version;
      c.reason = rec.reason;
      c.replacement = decode(rec.type, rec.schema_version, rec.payload);
    } else {
      auto rec = from_cereal<RetractionRecord>(r.payload);
      c.version = rec.version;
      c.reason = rec.reason;
    }
  } catch (const DecodeError&) {
    throw;
  } catch (const std::exception& e) {
    throw DecodeError(r.type + ": " + e.what());
  }
  if (!valid_utf8(c.reason)) throw DecodeError(r.type + ": reason is not UTF-8");
  return c;
}

storage::NewEvent encode_correction(const Correction& c, TimePoint now, const std::string& actor) {
  if (c.replacement) {
    auto enc = encode(*c.replacement);
    CorrectionRecord rec{c.version, c.reason, enc.type, enc.schema_version, enc.payload};
    return {kEventCorrected, 1, to_cereal(rec), now, actor};
  }
  return {kEventRetracted, 1, to_cereal(RetractionRecord{c.version, c.reason}), now, actor};
}

std::string correction_details(const Correction& c) {
  std::string out = c.replacement ? "rättar händelse " + std::to_string(c.version) +
                                        " till: " + describe(*c.replacement)
                                  : "stryker händelse " + std::to_string(c.version);
  return out + "; skäl: " + c.reason;
}

// A hire's journey records (facts and corrections, in stream order) with the
// corrections resolved: what history shows and what the machine replays.
struct Folded {
  std::vector<HistoryEntry> entries;               // parallel to the records
  std::vector<std::optional<DomainEvent>> replay;  // parallel: what the machine replays there
  std::string failure;                             // non-empty: the stream is damaged
};

Folded fold_records(const std::string& hire_id, const std::vector<storage::RecordedEvent>& recs) {
  Folded f;
  f.entries.resize(recs.size());
  f.replay.resize(recs.size());
  auto at = [&](const storage::RecordedEvent& r) {
    return hire_id + " event " + std::to_string(r.version.value) + " (" + r.type + ")";
  };
  std::map<std::uint64_t, std::size_t> facts;  // stream version -> index
  std::map<std::size_t, std::size_t> newest;   // fact index -> its newest correction's index
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const auto& r = recs[i];
    if (!is_correction_type(r.type)) {
      facts[r.version.value] = i;
      continue;
    }
    Correction c;
    try {
      c = decode_correction(r);
    } catch (const DecodeError& e) {
      f.failure = at(r) + ": " + e.what();
      return f;
    }
    auto it = facts.find(c.version);
    if (it == facts.end()) {
      f.failure = at(r) + " corrects version " + std::to_string(c.version) + ", no earlier fact";
      return f;
    }
    auto& target = f.entries[it->second];
    if (target.retracted || (!c.replacement && c.version == 1) ||
        (c.replacement && event_type_name(*c.replacement) != recs[it->second].type)) {
      f.failure = at(r) + " cannot apply to version " + std::to_string(c.version);
      return f;
    }
    target.superseded_by = r.version.value;
    target.retracted = !c.replacement;
    newest[it->second] = i;
    f.entries[i].details = correction_details(c);
    f.entries[i].correction = std::move(c);
  }
  for (const auto& [version, i] : facts) {
    const auto& r = recs[i];
    auto& entry = f.entries[i];
    auto by = newest.find(i);
    try {
      entry.event = decode(r.type, r.schema_version, r.payload);
    } catch (const DecodeError& e) {
      if (by == newest.end()) {
        f.failure = at(r) + ": " + e.what();
        return f;
      }
      // Replaced or struck, the damaged original is history only: show what
      // its structure says, if anything.
      try {
        entry.details = describe(decode_structure(r.type, r.schema_version, r.payload)) +
                        " (utanför värdedomänen: " + e.what() + ")";
      } catch (const DecodeError&) {
        entry.details = std::string("(oläsbar: ") + e.what() + ")";
      }
    }
    if (entry.event) entry.details = describe(*entry.event);
    if (by == newest.end()) {
      f.replay[i] = entry.event;
    } else {
      entry.details += (entry.retracted ? " — struken i händelse " : " — rättad i händelse ") +
                       std::to_string(entry.superseded_by);
      if (!entry.retracted) f.replay[i] = f.entries[by->second].correction->replacement;
    }
  }
  return f;
}

}  // namespace

bool is_hire_id(const std::string& s) { return s.rfind("hire-", 0) == 0 && s.size() > 5; }

bool is_webhook_id(const std::string& s) {
  if (s.rfind("wh-", 0) != 0 || s.size() < 4 || s.size() > 43) return false;
  return std::all_of(s.begin() + 3, s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string CommandOutcome::message(Language lang) const {
  if (refusal) return refusal->message(lang);
  switch (kind) {
    case Kind::accepted:
      return lang == Language::sv ? "Registrerat." : "Recorded.";
    case Kind::duplicate:
      return lang == Language::sv
                 ? "Redan registrerat (samma idempotensnyckel); inget nytt skrevs."
                 : "Already recorded (same idempotency key); nothing new was written.";
    default:
      return "";
  }
}

JourneyEngine::JourneyEngine(storage::EventLog& log, const Clock& clock)
    : log_(log), clock_(clock) {}

// The Swedish day: a task due yesterday is overdue from Swedish midnight.
date::sys_days JourneyEngine::today() const { return swedish_time().local_date(clock_.now()); }

CommandOutcome JourneyEngine::publish_programme(const std::string& toml_text,
                                                const std::string& origin,
                                                const std::string& actor) {
  Programme parsed;
  try {
    parsed = load_programme_text(toml_text, origin);
  } catch (const ProgrammeError& e) {
    return failed("programme_invalid", {{"what", e.what()}}, CommandOutcome::Kind::refused);
  }
  const StreamId stream(kProgrammePrefix + parsed.id);
  auto existing = log_.read_stream(stream);
  if (!existing) return storage_failed(existing.error());
  ProgrammePublished event{parsed.id, parsed.version, sha256_hex(toml_text), toml_text};
  for (const auto& r : *existing) {
    auto p = from_cereal<ProgrammePublished>(r.payload);
    if (p.version != parsed.version) continue;
    if (p.sha256 == event.sha256) {
      CommandOutcome o;
      o.kind = CommandOutcome::Kind::duplicate;
      o.hire_id = stream.str();
      o.version = r.version.value;
      o.position = r.position.value;
      return o;
    }
    return failed("programme_version_exists",
                  {{"programme", parsed.id}, {"version", std::to_string(parsed.version)}},
                  CommandOutcome::Kind::refused);
  }
  storage::NewEvent ne{kProgrammeEvent, 1, to_cereal(event), clock_.now(), actor};
  AppendRequest req{stream, ExpectedVersion::exactly(StreamVersion{existing->size()}), {ne}, ""};
  auto r = log_.append(std::move(req));
  if (!r) return storage_failed(r.error());
  CommandOutcome o;
  o.kind = CommandOutcome::Kind::accepted;
  o.hire_id = stream.str();
  o.version = r->last_version.value;
  o.position = r->last_position.value;
  return o;
}

std::vector<ProgrammeInfo> JourneyEngine::programmes() {
  std::vector<ProgrammeInfo> out;
  auto streams = log_.list_streams(kProgrammePrefix);
  if (!streams) throw std::runtime_error(streams.error().message);
  for (const auto& s : *streams) {
    auto events = log_.read_stream(s);
    if (!events) throw std::runtime_error(events.error().message);
    for (const auto& r : *events) {
      auto p = from_cereal<ProgrammePublished>(r.payload);
      auto prog = programme(p.id, p.version);
      out.push_back({p.id, p.version, prog ? prog->name : "", p.sha256});
    }
  }
  return out;
}

std::shared_ptr<const Programme> JourneyEngine::programme(const std::string& id,
                                                          std::optional<int> version) {
  // A published (id, version) never changes, so a cached one is the answer
  // without reading the stream: every replay of a hire asks for its programme,
  // and the stream's events carry the whole TOML text.
  if (version) {
    std::lock_guard<std::mutex> lock(programmes_mu_);
    if (auto it = programme_cache_.find({id, *version}); it != programme_cache_.end())
      return it->second;
  }
  auto events = log_.read_stream(StreamId(kProgrammePrefix + id));
  if (!events) throw std::runtime_error(events.error().message);
  // The stream is tiny (one event per version); parsing the TOML is not, so the
  // parsed programme is cached per (id, version) and "newest" resolves first.
  std::optional<int> wanted = version;
  if (!wanted) {
    for (const auto& r : *events) {
      int v = from_cereal<ProgrammePublished>(r.payload).version;
      if (!wanted || v > *wanted) wanted = v;
    }
    if (!wanted) return nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(programmes_mu_);
    if (auto it = programme_cache_.find({id, *wanted}); it != programme_cache_.end())
      return it->second;
  }
  std::optional<ProgrammePublished> chosen;
  for (const auto& r : *events) {
    auto p = from_cereal<ProgrammePublished>(r.payload);
    if (p.version == *wanted) chosen = p;
  }
  if (!chosen) return nullptr;
  auto prog = std::make_shared<const Programme>(
      load_programme_text(chosen->toml, chosen->id + " v" + std::to_string(chosen->version)));
  std::lock_guard<std::mutex> lock(programmes_mu_);
  programme_cache_[{chosen->id, chosen->version}] = prog;
  return prog;
}

std::optional<Refusal> JourneyEngine::check_dates(const DomainEvent& e) const {
  const date::sys_days now = today();
  // The field is named as the API names it (value_domain.h's check_event).
  auto future = [&](date::sys_days d, const char* field) -> std::optional<Refusal> {
    if (d > now) return Refusal{"date_in_future", {{"date", format_date(d)}, {"field", field}}};
    return std::nullopt;
  };
  return std::visit(
      Overloaded{
          // Facts that happened: never in the future.
          [&](const HireStarted& v) { return future(v.on, "on"); },
          [&](const ChecklistItemCompleted& v) { return future(v.done_on, "on"); },
          [&](const CourseModuleAttended& v) { return future(v.on, "on"); },
          [&](const BbicPartCompleted& v) { return future(v.on, "on"); },
          [&](const CourseCompleted& v) { return future(v.on, "on"); },
          [&](const SupervisionSessionAttended& v) { return future(v.on, "on"); },
          [&](const SupervisionCompleted& v) { return future(v.on, "on"); },
          [&](const IntroducerHoursLogged& v) { return future(v.week, "week"); },
          [&](const LeaveEnded& v) { return future(v.back_on, "back"); },
          // Leave is recorded when it begins: until then the hire is not on leave.
          [&](const LeaveStarted& v) { return future(v.from, "from"); },
          [&](const HireLeft& v) { return future(v.on, "on"); },
          [&](const JourneyCompleted& v) { return future(v.on, "on"); },
          // Plans (a booked course, a group that starts later, a notice period) may lie ahead.
          [&](const auto&) -> std::optional<Refusal> { return std::nullopt; },
      },
      e);
}

// A command repeated with its idempotency key gets the first outcome, before any
// check: the repeat of a successful "item done" must not be refused as "already done".
std::optional<CommandOutcome> JourneyEngine::earlier_outcome(const CommandContext& ctx) {
  if (ctx.idempotency_key.empty()) return std::nullopt;
  auto seen = log_.find_idempotency_key(ctx.idempotency_key);
  if (!seen) return storage_failed(seen.error());
  if (!seen->has_value()) return std::nullopt;
  CommandOutcome o;
  o.kind = CommandOutcome::Kind::duplicate;
  o.hire_id = (*seen)->stream.str();
  o.version = (*seen)->last_version.value;
  o.position = (*seen)->last_position.value;
  return o;
}

JourneyEngine::Decided JourneyEngine::decide_registration(const RegisterHire& cmd,
                                                          const CommandContext& ctx) {
  if (ctx.actor.empty())
    return failed("field_empty", {{"field", "actor"}}, CommandOutcome::Kind::refused);
  if (auto seen = earlier_outcome(ctx)) return *seen;
  // The value domain, field by field, in the order a form shows them.
  if (auto bad = workflows::check_name(cmd.name)) return out_of_domain("name", *bad);
  if (auto bad = workflows::check_email(cmd.email)) return out_of_domain("email", *bad);
  if (auto bad = workflows::check_name(cmd.unit)) return out_of_domain("unit", *bad);
  if (auto bad = workflows::check_date_text(cmd.start)) return out_of_domain("start", *bad);
  const auto start = parse_date(cmd.start);
  if (cmd.introducer) {
    if (auto bad = workflows::check_name(cmd.introducer->name))
      return out_of_domain("introducer", *bad);
    if (auto bad = workflows::check_email(cmd.introducer->email, false))
      return out_of_domain("introducer_email", *bad);
  }
  auto prog = programme(cmd.programme_id, cmd.programme_version);
  if (!prog) {
    return refused(
        "programme_not_found",
        {{"programme",
          cmd.programme_id +
              (cmd.programme_version ? " v" + std::to_string(*cmd.programme_version) : "")}});
  }
  HireRegistered reg{cmd.name,        cmd.email, cmd.unit,      *start,
                     cmd.experienced, prog->id,  prog->version, {}};
  if (cmd.experienced) {
    for (const auto& cl : prog->checklists)
      for (const auto& item : cl.items)
        if (item.waived_if_experienced) reg.waived_items.push_back(item.id);
  }
  std::vector<DomainEvent> events{reg};
  if (cmd.introducer) events.push_back(IntroducerAppointed{*cmd.introducer, *start});
  for (const auto& e : events)
    if (auto bad = workflows::check_event(e)) return out_of_domain(bad->field, bad->problem);
  JourneyMachine machine(prog);
  for (const auto& e : events) {
    if (auto r = machine.apply(e)) return refused(r->code, r->args);
  }
  // Ids are 32 random bits: at tens of thousands of hires two draws can meet
  // (the journeyd crash test hit it). The append expects an empty stream, so a
  // collision is a conflict that wrote nothing: step() decides again, and
  // this draws again.
  return pending(new_hire_id(), 0, events, ctx);
}

JourneyEngine::Decided JourneyEngine::decide_execute(const std::string& hire_id,
                                                     const DomainEvent& event,
                                                     const CommandContext& ctx,
                                                     const Authorise& authorise) {
  if (ctx.actor.empty())
    return failed("field_empty", {{"field", "actor"}}, CommandOutcome::Kind::refused);
  if (auto seen = earlier_outcome(ctx)) return *seen;
  if (std::holds_alternative<HireRegistered>(event)) {
    return failed("already_registered", {}, CommandOutcome::Kind::refused);
  }
  // Nothing outside the value domain is written: the decoder would refuse it.
  if (auto bad = workflows::check_event(event)) {
    auto o = out_of_domain(bad->field, bad->problem);
    o.hire_id = hire_id;
    return o;
  }
  std::optional<ReplayedHire> hire;
  try {
    hire = replay(hire_id);
  } catch (const HireDamaged& e) {
    auto o = failed("hire_damaged", {{"hire", hire_id}, {"reason", e.what()}},
                    CommandOutcome::Kind::refused);
    o.hire_id = hire_id;
    return o;
  }
  if (!hire) return failed("unknown_hire", {{"hire", hire_id}}, CommandOutcome::Kind::refused);
  if (authorise)
    if (auto why = authorise(event, *hire->programme, hire->machine->facts())) {
      auto o = failed("not_permitted", {{"why", *why}}, CommandOutcome::Kind::refused);
      o.hire_id = hire_id;
      return o;
    }
  if (ctx.expected_version && *ctx.expected_version != hire->version) {
    auto o = failed("version_conflict",
                    {{"expected", std::to_string(*ctx.expected_version)},
                     {"actual", std::to_string(hire->version)}},
                    CommandOutcome::Kind::conflict);
    o.hire_id = hire_id;
    o.version = hire->version;
    return o;
  }
  if (auto r = check_dates(event)) {
    auto o = failed(r->code, r->args, CommandOutcome::Kind::refused);
    o.hire_id = hire_id;
    return o;
  }
  if (auto r = hire->machine->apply(event)) {
    auto o = failed(r->code, r->args, CommandOutcome::Kind::refused);
    o.hire_id = hire_id;
    o.version = hire->version;
    return o;
  }
  return pending(hire_id, hire->version, {event}, ctx);
}

// One command on its way: decided (again, after a conflict), appended, answered.
struct JourneyEngine::AsyncCommand {
  AsyncCommand(JourneyEngine& e, CommandContext c, Post p, Done d)
      : ctx(std::move(c)), post(std::move(p)), done(std::move(d)) {}
  CommandContext ctx;
  Post post;
  Done done;
  std::function<Decided()> decide;
  std::function<void(const CommandOutcome&)> after;  // before `done`, if set
  std::shared_ptr<void> turn;                        // the hire's turn, when the command takes one
  int attempt = 1;
};

void JourneyEngine::register_hire_async(RegisterHire cmd, CommandContext ctx, Post post,
                                        Done done) {
  auto c = std::make_shared<AsyncCommand>(*this, std::move(ctx), std::move(post), std::move(done));
  c->decide = [this, cmd = std::move(cmd), c = c.get()] {
    return decide_registration(cmd, c->ctx);
  };
  step(c);
}

void JourneyEngine::execute_async(std::string hire_id, DomainEvent event, CommandContext ctx,
                                  Authorise authorise, Post post, Done done) {
  // Without an expected version the caller did not ask for optimistic
  // concurrency: a writer that got in between only means deciding again on
  // the newer stream (the machine may now refuse). With one, the conflict is
  // the answer. Commands on one hire take turns, so in this process the
  // retry is only for writers the turns do not see (the scheduler's
  // notification records expect any version and take none).
  auto c = std::make_shared<AsyncCommand>(*this, std::move(ctx), std::move(post), std::move(done));
  c->decide = [this, hire_id, event = std::move(event), authorise = std::move(authorise),
               c = c.get()] { return decide_execute(hire_id, event, c->ctx, authorise); };
  const Post turn_post = c->post;
  take_turn(hire_id, turn_post, [this, c](std::shared_ptr<void> turn) {
    c->turn = std::move(turn);
    step(c);
  });
}

void JourneyEngine::step(const std::shared_ptr<AsyncCommand>& c) {
  Decided d;
  try {
    d = c->decide();
  } catch (const std::exception& e) {
    // A store that cannot be read (not a damaged hire: decide() answers that).
    d = failed("storage_error", {{"what", e.what()}});
  }
  if (auto* o = std::get_if<CommandOutcome>(&d)) return finish(c, std::move(*o));
  auto& p = std::get<Pending>(d);
  AppendRequest req{StreamId(p.hire_id), ExpectedVersion::exactly(StreamVersion{p.expected}),
                    std::move(p.records), c->ctx.idempotency_key};
  // On the log's thread: only hand the answer over (the callback must be short).
  auto answered = [this, c, hire = p.hire_id,
                   expected = p.expected](storage::Result<storage::AppendResult> r) {
    try {
      c->post([this, c, hire, expected, r = std::move(r)] {
        try {
          CommandOutcome o = appended(hire, expected, r);
          if (o.kind == CommandOutcome::Kind::conflict && !c->ctx.expected_version &&
              ++c->attempt <= 8)
            return step(c);
          finish(c, std::move(o));
        } catch (const std::exception& e) {
          finish(c, failed("internal_error", {{"what", e.what()}}));
        }
      });
    } catch (...) {
      // Nothing to post to (shutting down): the command goes unanswered, as
      // after a crash; what was appended stays, and its key answers a retry.
    }
  };
  try {
    log_.append_async(std::move(req), std::move(answered));
  } catch (const std::exception& e) {  // e.g. std::bad_alloc: nothing was appended
    finish(c, failed("internal_error", {{"what", e.what()}}));
  }
}

void JourneyEngine::finish(const std::shared_ptr<AsyncCommand>& c, CommandOutcome o) {
  if (c->after) {
    try {
      c->after(o);
    } catch (...) {
      // Bookkeeping after the fact (which hires are damaged): the outcome stands.
    }
  }
  c->turn.reset();  // the next command on the hire may decide now
  Done done = std::move(c->done);
  c->done = nullptr;
  if (!done) return;
  try {
    done(std::move(o));
  } catch (...) {
    // The caller's `done` must answer even when it fails (the HTTP API answers
    // 500 itself); the command's outcome stands in the log either way.
  }
}

CommandOutcome JourneyEngine::register_hire(const RegisterHire& cmd, const CommandContext& ctx) {
  return run_here<CommandOutcome>(
      [&](const Post& post, Done done) { register_hire_async(cmd, ctx, post, std::move(done)); });
}

CommandOutcome JourneyEngine::execute(const std::string& hire_id, const DomainEvent& event,
                                      const CommandContext& ctx) {
  return run_here<CommandOutcome>([&](const Post& post, Done done) {
    execute_async(hire_id, event, ctx, nullptr, post, std::move(done));
  });
}

void JourneyEngine::take_turn(const std::string& hire_id, Post post, TurnJob job) {
  {
    std::lock_guard<std::mutex> lock(turns_mu_);
    auto [it, first] = turns_.try_emplace(hire_id);
    if (!first) {
      it->second.emplace_back(std::move(post), std::move(job));
      return;
    }
  }
  job(turn_of(hire_id));
}

std::shared_ptr<void> JourneyEngine::turn_of(const std::string& hire_id) {
  struct Turn {
    Turn(JourneyEngine* e, std::string h) : engine(e), hire(std::move(h)) {}
    Turn(const Turn&) = delete;  // one handle: its destruction passes the turn on
    Turn& operator=(const Turn&) = delete;
    ~Turn() { engine->pass_turn(hire); }
    JourneyEngine* engine;
    std::string hire;
  };
  return std::make_shared<Turn>(this, hire_id);
}

void JourneyEngine::pass_turn(const std::string& hire_id) {
  std::pair<Post, TurnJob> next;
  {
    std::lock_guard<std::mutex> lock(turns_mu_);
    auto it = turns_.find(hire_id);
    if (it == turns_.end()) return;  // not taken (cannot happen)
    if (it->second.empty()) {
      turns_.erase(it);
      return;
    }
    next = std::move(it->second.front());
    it->second.pop_front();
  }
  // The turn is the next command's from here: it runs where its caller said.
  // Should the caller's pool drop it unrun (stopped), or refuse it, the turn
  // in it is destroyed with it and passes on.
  auto job = std::make_shared<TurnJob>(std::move(next.second));
  auto turn = turn_of(hire_id);
  try {
    next.first([job, turn]() mutable { (*job)(std::move(turn)); });
  } catch (...) {
  }
}

CommandOutcome JourneyEngine::correct(const std::string& hire_id, const Correction& c,
                                      const CommandContext& ctx) {
  return run_here<CommandOutcome>(
      [&](const Post& post, Done done) { correct_async(hire_id, c, ctx, post, std::move(done)); });
}

void JourneyEngine::correct_async(std::string hire_id, Correction correction, CommandContext ctx,
                                  Post post, Done done) {
  // In the hire's turn with its other commands, and decided again on a newer
  // stream without If-Match (as execute_async()).
  auto c = std::make_shared<AsyncCommand>(*this, std::move(ctx), std::move(post), std::move(done));
  c->decide = [this, hire_id, correction = std::move(correction), c = c.get()] {
    return decide_correction(hire_id, correction, c->ctx);
  };
  // A correction may repair a damaged hire: it is sound again once it replays.
  c->after = [this, hire_id](const CommandOutcome& o) {
    if (o.kind == CommandOutcome::Kind::accepted) sound(hire_id);
  };
  const Post turn_post = c->post;
  take_turn(hire_id, turn_post, [this, c](std::shared_ptr<void> turn) {
    c->turn = std::move(turn);
    step(c);
  });
}

JourneyEngine::Decided JourneyEngine::decide_correction(const std::string& hire_id,
                                                        const Correction& c,
                                                        const CommandContext& ctx) {
  auto refused = [&](const std::string& code, std::map<std::string, std::string> args) {
    auto o = failed(code, std::move(args), CommandOutcome::Kind::refused);
    o.hire_id = hire_id;
    return o;
  };
  if (ctx.actor.empty()) return refused("field_empty", {{"field", "actor"}});
  if (auto seen = earlier_outcome(ctx)) return *seen;
  const std::string event = std::to_string(c.version);
  if (c.reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return refused("field_empty", {{"field", "reason"}});
  if (auto bad = check_text(c.reason)) return out_of_domain("reason", *bad);
  // A refusal about the replacement names its field inside "replacement", as
  // the API's body has it ("replacement/on").
  auto inside = [](std::map<std::string, std::string> args) {
    // The kind cannot change, so a refusal of the kind is one of the replacement.
    const auto it = args.find("field");
    args["field"] = it == args.end() || it->second == "kind" ? std::string("replacement")
                                                             : "replacement/" + it->second;
    return args;
  };
  if (c.replacement) {
    if (auto bad = workflows::check_event(*c.replacement)) {
      auto o = out_of_domain("replacement/" + bad->field, bad->problem);
      o.hire_id = hire_id;
      return o;
    }
    if (auto r = check_dates(*c.replacement)) return refused(r->code, inside(r->args));
  }
  if (!is_hire_id(hire_id)) return refused("unknown_hire", {{"hire", hire_id}});
  auto stored = log_.read_stream(StreamId(hire_id));
  if (!stored) {
    if (stored.error().code == storage::ErrorCode::corruption)
      return refused("hire_damaged", {{"hire", hire_id}, {"reason", stored.error().message}});
    return storage_failed(stored.error());
  }
  if (stored->empty()) return refused("unknown_hire", {{"hire", hire_id}});
  const std::uint64_t version = stored->back().version.value;
  if (ctx.expected_version && *ctx.expected_version != version) {
    auto o = failed(
        "version_conflict",
        {{"expected", std::to_string(*ctx.expected_version)}, {"actual", std::to_string(version)}},
        CommandOutcome::Kind::conflict);
    o.hire_id = hire_id;
    o.version = version;
    return o;
  }
  if (c.version < 1 || c.version > version)
    return refused("correction_unknown_event", {{"event", event}, {"field", "event"}});
  const storage::RecordedEvent target = (*stored)[c.version - 1];
  auto titled = [&](std::map<std::string, std::string> args, const std::string& type,
                    const char* key = "title") {
    args[std::string(key) + "_sv"] = event_title(type, Language::sv);
    args[std::string(key) + "_en"] = event_title(type, Language::en);
    return args;
  };
  if (is_notification_type(target.type) || is_correction_type(target.type))
    return refused(
        "correction_not_a_fact",
        titled({{"event", event}, {"type", target.type}, {"field", "event"}}, target.type));
  std::vector<storage::RecordedEvent> journey;
  for (auto& r : *stored)
    if (!is_notification_type(r.type)) journey.push_back(std::move(r));
  // The target as it stands: retracted, or its newest replacement.
  Folded before = fold_records(hire_id, journey);
  std::size_t at = 0;
  while (journey[at].version.value != c.version) ++at;
  const HistoryEntry& now = before.entries[at];
  if (before.failure.empty() && now.retracted)
    return refused(
        "correction_target_retracted",
        {{"event", event}, {"by", std::to_string(now.superseded_by)}, {"field", "event"}});
  if (c.basis && *c.basis != now.superseded_by)
    return refused(
        "correction_target_changed",
        {{"event", event}, {"by", std::to_string(now.superseded_by)}, {"field", "event"}});
  if (!c.replacement && c.version == 1)
    return refused("registration_cannot_be_retracted", {{"field", "action"}});
  if (c.replacement) {
    const std::string type = event_type_name(*c.replacement);
    if (type != target.type) {
      auto args =
          titled({{"event", event}, {"type", target.type}, {"field", "replacement"}}, target.type);
      args["replacement_sv"] = event_title(type, Language::sv);
      args["replacement_en"] = event_title(type, Language::en);
      return refused("correction_type_mismatch", args);
    }
    std::optional<DomainEvent> current = before.replay[at] ? before.replay[at] : now.event;
    if (!current) {
      try {
        current = decode_structure(target.type, target.schema_version, target.payload);
      } catch (const DecodeError&) {
      }
    }
    if (auto* reg = std::get_if<HireRegistered>(&*c.replacement)) {
      const auto* was = current ? std::get_if<HireRegistered>(&*current) : nullptr;
      if (!was) return refused("hire_damaged", {{"hire", hire_id}, {"reason", "registration"}});
      const char* fixed = reg->unit != was->unit                             ? "unit"
                          : reg->experienced != was->experienced             ? "experienced"
                          : reg->programme_id != was->programme_id           ? "programme"
                          : reg->programme_version != was->programme_version ? "programme_version"
                          : reg->waived_items != was->waived_items           ? "waived_items"
                                                                             : nullptr;
      if (fixed)
        return refused("correction_field_fixed",
                       {{"field", std::string("replacement/") + fixed}, {"name", fixed}});
    }
    if (current && encode(*current).payload == encode(*c.replacement).payload)
      return refused("correction_unchanged", {{"event", event}, {"field", "replacement"}});
  }
  // Fold the journey as it would be with the correction, and replay it: the
  // correction stands only if every fact still holds.
  storage::NewEvent ne = encode_correction(c, clock_.now(), ctx.actor);
  storage::RecordedEvent proposed;
  proposed.stream = StreamId(hire_id);
  proposed.version = StreamVersion{version + 1};
  proposed.type = ne.type;
  proposed.schema_version = ne.schema_version;
  proposed.payload = ne.payload;
  journey.push_back(proposed);
  Folded after = fold_records(hire_id, journey);
  if (!after.failure.empty())
    return refused("hire_damaged", {{"hire", hire_id}, {"reason", after.failure}});
  const auto* reg =
      after.replay.front() ? std::get_if<HireRegistered>(&*after.replay.front()) : nullptr;
  auto prog = reg ? programme(reg->programme_id, reg->programme_version) : nullptr;
  if (!prog) return refused("hire_damaged", {{"hire", hire_id}, {"reason", "programme"}});
  JourneyMachine machine(prog);
  for (std::size_t i = 0; i < journey.size(); ++i) {
    if (!after.replay[i]) continue;
    if (auto r = machine.apply(*after.replay[i])) {
      // The replacement itself does not hold where it stands (a date before
      // the first working day): that refusal, about its field.
      if (journey[i].version.value == c.version) return refused(r->code, inside(r->args));
      auto args =
          titled({{"event", std::to_string(journey[i].version.value)}, {"type", journey[i].type}},
                 journey[i].type);
      args["reason_sv"] = r->message(Language::sv);
      args["reason_en"] = r->message(Language::en);
      args["refusal"] = r->code;
      return refused("correction_inconsistent", args);
    }
  }
  return Pending{hire_id, version, {std::move(ne)}};
}

std::optional<JourneyEngine::CorrectionTarget> JourneyEngine::correction_target(
    const std::string& hire_id, std::uint64_t version) {
  if (!is_hire_id(hire_id)) return std::nullopt;
  auto stored = log_.read_stream(StreamId(hire_id));
  if (!stored || version < 1 || version > stored->size()) return std::nullopt;
  const storage::RecordedEvent target = (*stored)[version - 1];
  CorrectionTarget t;
  t.type = target.type;
  if (is_notification_type(target.type) || is_correction_type(target.type)) {
    t.fact = false;
    return t;
  }
  std::vector<storage::RecordedEvent> journey;
  for (auto& r : *stored)
    if (!is_notification_type(r.type)) journey.push_back(std::move(r));
  Folded f = fold_records(hire_id, journey);
  std::size_t at = 0;
  while (journey[at].version.value != version) ++at;
  auto structure = [](const storage::RecordedEvent& r) -> std::optional<DomainEvent> {
    try {
      return decode_structure(r.type, r.schema_version, r.payload);
    } catch (const DecodeError&) {
      return std::nullopt;
    }
  };
  t.retracted = f.entries[at].retracted;
  t.superseded_by = f.entries[at].superseded_by;
  t.actor = target.actor;
  t.current = f.replay[at] ? f.replay[at] : f.entries[at].event;
  if (!t.current && !t.retracted) t.current = structure(target);
  auto reg = f.replay.front() ? f.replay.front() : structure(journey.front());
  if (const auto* r = reg ? std::get_if<HireRegistered>(&*reg) : nullptr)
    t.programme = programme(r->programme_id, r->programme_version);
  return t;
}

JourneyEngine::Pending JourneyEngine::pending(const std::string& hire_id, std::uint64_t expected,
                                              const std::vector<DomainEvent>& events,
                                              const CommandContext& ctx) {
  Pending p{hire_id, expected, {}};
  const TimePoint now = clock_.now();
  for (const auto& e : events) {
    auto enc = encode(e);
    const date::sys_days eff = effective_date(e);
    p.records.push_back(storage::NewEvent{enc.type, enc.schema_version, std::move(enc.payload),
                                          eff == date::sys_days{} ? now : to_time(eff), ctx.actor});
  }
  return p;
}

CommandOutcome JourneyEngine::append(const std::string& hire_id, std::uint64_t expected,
                                     std::vector<DomainEvent> events, const CommandContext& ctx) {
  auto p = pending(hire_id, expected, events, ctx);
  return append_records(hire_id, expected, std::move(p.records), ctx);
}

CommandOutcome JourneyEngine::append_records(const std::string& hire_id, std::uint64_t expected,
                                             std::vector<storage::NewEvent> records,
                                             const CommandContext& ctx) {
  AppendRequest req{StreamId(hire_id), ExpectedVersion::exactly(StreamVersion{expected}),
                    std::move(records), ctx.idempotency_key};
  return appended(hire_id, expected, log_.append(std::move(req)));
}

CommandOutcome JourneyEngine::appended(const std::string& hire_id, std::uint64_t expected,
                                       const storage::Result<storage::AppendResult>& r) {
  if (!r) {
    if (r.error().code == storage::ErrorCode::wrong_expected_version) {
      auto o = failed("version_conflict",
                      {{"expected", std::to_string(expected)},
                       {"actual", std::to_string(r.error().actual_version.value_or(0))}},
                      CommandOutcome::Kind::conflict);
      o.hire_id = hire_id;
      o.version = r.error().actual_version.value_or(0);
      return o;
    }
    return storage_failed(r.error());
  }
  CommandOutcome o;
  o.kind = r->duplicate ? CommandOutcome::Kind::duplicate : CommandOutcome::Kind::accepted;
  o.hire_id = r->stream.str();
  o.version = r->last_version.value;
  o.position = r->last_position.value;
  return o;
}

std::optional<LoadedHire> JourneyEngine::load(const std::string& hire_id,
                                              std::optional<AsOf> as_of) {
  if (!is_hire_id(hire_id)) return std::nullopt;
  auto records = log_.read_stream(StreamId(hire_id));
  if (!records) read_failed(hire_id, records.error());
  if (records->empty()) return std::nullopt;
  const std::uint64_t version = records->back().version.value;
  const TimePoint cutoff = as_of ? swedish_midnight(as_of->date + date::days(1)) : TimePoint{};
  const bool by_effect = as_of && as_of->basis == AsOf::Basis::effective;
  auto& v = *records;
  // What we knew on a date: only what was recorded by then, corrections too
  // (a correction recorded later was not known). The registration defines the hire.
  if (as_of && !by_effect) {
    v.erase(
        std::remove_if(v.begin(), v.end(),
                       [&](const storage::RecordedEvent& r) { return r.recorded_at >= cutoff; }),
        v.end());
  }
  if (as_of && (v.empty() || v.front().type != "HireRegistered")) return std::nullopt;
  std::vector<storage::RecordedEvent> notifications;
  {
    auto split = std::stable_partition(v.begin(), v.end(), [](const storage::RecordedEvent& r) {
      return !is_notification_type(r.type);
    });
    notifications.assign(std::make_move_iterator(split), std::make_move_iterator(v.end()));
    v.erase(split, v.end());
  }
  if (by_effect) {
    notifications.erase(
        std::remove_if(notifications.begin(), notifications.end(),
                       [&](const storage::RecordedEvent& r) { return r.effective_at >= cutoff; }),
        notifications.end());
  }
  Folded folded = fold_records(hire_id, v);
  if (!folded.failure.empty()) damaged(hire_id, folded.failure);
  const auto* reg =
      folded.replay.front() ? std::get_if<HireRegistered>(&*folded.replay.front()) : nullptr;
  if (!reg) damaged(hire_id, hire_id + " does not begin with HireRegistered");
  auto prog = programme(reg->programme_id, reg->programme_version);
  if (!prog) {
    damaged(hire_id, hire_id + " was registered under programme " + reg->programme_id + " v" +
                         std::to_string(reg->programme_version) + ", which is not in the log");
  }
  LoadedHire hire{
      hire_id, {}, {}, prog, JourneyMachine(prog), version, swedish_day(v.front().recorded_at), {}};
  hire.records.reserve(v.size());
  hire.entries.reserve(v.size());
  // What had happened by a date, as known today: every correction counts, and
  // a fact is in if it took effect by then (a corrected fact by its corrected
  // date); a correction is shown with the fact it corrects.
  // Only that view leaves facts out, so only it keeps the map.
  std::map<std::uint64_t, bool> kept;  // fact version -> in this view
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto& entry = folded.entries[i];
    bool keep = true;
    if (by_effect && entry.correction) {
      keep = kept[entry.correction->version];
    } else if (by_effect && i > 0) {
      const auto& e = folded.replay[i] ? folded.replay[i] : entry.event;
      const date::sys_days d = e ? effective_date(*e) : date::sys_days{};
      keep = (d == date::sys_days{} ? v[i].effective_at : to_time(d)) < cutoff;
    }
    if (by_effect && !entry.correction) kept[v[i].version.value] = keep;
    if (!keep) continue;
    if (folded.replay[i]) {
      if (auto r = hire.machine.apply(*folded.replay[i])) {
        // A view by effective date leaves out what took effect later, which can
        // leave an event without its precondition (hours logged for the week of
        // a mid-week start); such an event is not part of that view. Replaying
        // the log as recorded must never refuse: that would be a broken log.
        if (by_effect) {
          kept[v[i].version.value] = false;
          continue;
        }
        damaged(hire_id, hire_id + " event " + std::to_string(v[i].version.value) +
                             " cannot be replayed: " + r->message(Language::en));
      }
    }
    hire.records.push_back(std::move(v[i]));
    hire.entries.push_back(std::move(entry));
  }
  hire.notifications = std::move(notifications);
  if (!as_of) sound(hire_id);
  return hire;
}

std::optional<LoadedHire> JourneyEngine::records_of(const std::string& hire_id) {
  if (!is_hire_id(hire_id)) return std::nullopt;
  auto records = log_.read_stream(StreamId(hire_id));
  if (!records || records->empty()) return std::nullopt;
  static const auto nothing = std::make_shared<const Programme>();
  LoadedHire hire{hire_id,
                  {},
                  {},
                  nullptr,
                  JourneyMachine(nothing),
                  records->back().version.value,
                  swedish_day(records->front().recorded_at),
                  {}};
  for (auto& r : *records) {
    if (is_notification_type(r.type)) {
      hire.notifications.push_back(std::move(r));
      continue;
    }
    HistoryEntry entry;
    try {
      if (is_correction_type(r.type)) {
        entry.correction = decode_correction(r);
        entry.details = correction_details(*entry.correction);
      } else {
        entry.event = decode(r.type, r.schema_version, r.payload);
        entry.details = describe(*entry.event);
      }
    } catch (const DecodeError& e) {
      entry.damage = e.what();
      try {
        entry.details = is_correction_type(r.type)
                            ? std::string("(oläsbar)")
                            : describe(decode_structure(r.type, r.schema_version, r.payload));
      } catch (const DecodeError&) {
        entry.details = "(oläsbar)";
      }
    }
    hire.records.push_back(std::move(r));
    hire.entries.push_back(std::move(entry));
  }
  // The corrections that could be read still mark what they corrected.
  std::map<std::uint64_t, std::size_t> at;  // version -> index
  for (std::size_t i = 0; i < hire.records.size(); ++i) {
    auto& entry = hire.entries[i];
    if (!entry.correction) {
      at[hire.records[i].version.value] = i;
      continue;
    }
    auto it = at.find(entry.correction->version);
    if (it == at.end()) continue;
    auto& target = hire.entries[it->second];
    target.superseded_by = hire.records[i].version.value;
    target.retracted = !entry.correction->replacement;
  }
  for (auto& entry : hire.entries)
    if (entry.superseded_by)
      entry.details += (entry.retracted ? " — struken i händelse " : " — rättad i händelse ") +
                       std::to_string(entry.superseded_by);
  return hire;
}

std::optional<ReplayedHire> JourneyEngine::replay(
    const std::string& hire_id, std::vector<storage::RecordedEvent>* notifications) {
  if (!is_hire_id(hire_id)) return std::nullopt;
  ReplayedHire out;
  std::string failure;
  bool corrected = false;
  if (notifications) notifications->clear();
  auto visited =
      log_.visit_stream(StreamId(hire_id), StreamVersion{1}, [&](const storage::RecordedEvent& r) {
        out.version = r.version.value;
        if (notifications && is_notification_type(r.type)) notifications->push_back(r);
        if (is_correction_type(r.type)) corrected = true;  // folded whole below
        if (!failure.empty() || corrected || is_notification_type(r.type)) return;
        try {
          DomainEvent e = decode(r.type, r.schema_version, r.payload);
          if (!out.machine) {
            const auto* reg = std::get_if<HireRegistered>(&e);
            if (!reg) {
              failure = hire_id + " does not begin with HireRegistered";
              return;
            }
            out.programme = programme(reg->programme_id, reg->programme_version);
            if (!out.programme) {
              failure = hire_id + " was registered under programme " + reg->programme_id + " v" +
                        std::to_string(reg->programme_version) + ", which is not in the log";
              return;
            }
            out.machine.emplace(out.programme);
            out.registered_on = swedish_day(r.recorded_at);
          }
          if (auto refusal = out.machine->apply(e)) {
            failure = hire_id + " event " + std::to_string(r.version.value) +
                      " cannot be replayed: " + refusal->message(Language::en);
          }
        } catch (const DecodeError& e) {
          failure = hire_id + " event " + std::to_string(r.version.value) + " (" + r.type +
                    "): " + e.what();
        }
      });
  if (!visited) read_failed(hire_id, visited.error());
  if (corrected) {
    // An event before the first correction may have been replaced: fold the
    // whole stream. A failure of the fast pass may be what a correction repairs.
    auto whole = load(hire_id);
    if (!whole) return std::nullopt;
    if (notifications) *notifications = std::move(whole->notifications);
    return ReplayedHire{whole->programme, std::move(whole->machine), whole->version,
                        whole->registered_on};
  }
  if (!failure.empty()) damaged(hire_id, failure);
  if (!out.machine) return std::nullopt;
  sound(hire_id);
  return out;
}

// Bytes that do not check are this hire's damage; any other failure (an I/O
// error, the log closing) is the store's, and says nothing about the hire.
void JourneyEngine::read_failed(const std::string& hire_id, const storage::Error& e) {
  if (e.code == storage::ErrorCode::corruption)
    damaged(hire_id, "reading " + hire_id + ": " + e.message);
  throw std::runtime_error("reading " + hire_id + ": " + e.message);
}

void JourneyEngine::damaged(const std::string& hire_id, const std::string& reason) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(damaged_mu_);
    auto [it, fresh] = damaged_.try_emplace(hire_id, reason);
    first = fresh || it->second != reason;
    it->second = reason;
    damaged_count_ = damaged_.size();
  }
  // Once per hire and reason, not once per read: lists read every hire.
  if (first) spdlog::error("damaged hire {}: {}", hire_id, reason);
  throw HireDamaged(hire_id, reason);
}

void JourneyEngine::sound(const std::string& hire_id) {
  if (damaged_count_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(damaged_mu_);
  if (damaged_.erase(hire_id)) {
    damaged_count_ = damaged_.size();
    spdlog::info("hire {} replays again", hire_id);
  }
}

std::map<std::string, std::string> JourneyEngine::damaged_hires() const {
  std::lock_guard<std::mutex> lock(damaged_mu_);
  return damaged_;
}

std::optional<HireIdentity> JourneyEngine::identify(const std::string& hire_id) {
  if (!is_hire_id(hire_id)) return std::nullopt;
  HireIdentity id{hire_id, {}, {}, {}};
  bool exists = false;
  // Only the kinds of record that say who may see the hire are decoded, and
  // only for their structure; everything else is skipped unread. A correction
  // replaces (or strikes) the registration's name or an introducer appointment
  // at its place, so the facts are collected by version and resolved after.
  std::map<std::uint64_t, std::optional<DomainEvent>> facts;  // version -> event; nullopt: struck
  auto visited =
      log_.visit_stream(StreamId(hire_id), StreamVersion{1}, [&](const storage::RecordedEvent& r) {
        exists = true;
        try {
          if (is_correction_type(r.type)) {
            std::uint64_t target = 0;
            std::optional<DomainEvent> replacement;
            if (r.type == kEventCorrected) {
              auto rec = from_cereal<CorrectionRecord>(r.payload);
              target = rec.version;
              replacement = workflows::decode_structure(rec.type, rec.schema_version, rec.payload);
            } else {
              target = from_cereal<RetractionRecord>(r.payload).version;
            }
            if (auto it = facts.find(target); it != facts.end()) it->second = replacement;
            return;
          }
          if (r.type == "HireRegistered" && r.version.value != 1) return;
          if (r.type != "HireRegistered" && r.type != "IntroducerAppointed") return;
          facts[r.version.value] = workflows::decode_structure(r.type, r.schema_version, r.payload);
        } catch (const std::exception&) {
          // Unreadable: the scope stays as narrow as what was read.
        }
      });
  if (!visited || !exists) return visited ? std::nullopt : std::optional<HireIdentity>(id);
  for (const auto& [version, e] : facts) {
    if (!e) continue;
    if (auto* reg = std::get_if<HireRegistered>(&*e)) {
      if (!workflows::check_name(reg->unit)) id.unit = reg->unit;
      if (!workflows::check_name(reg->name)) id.name = reg->name;
    } else if (auto* in = std::get_if<IntroducerAppointed>(&*e)) {
      id.introducer_email =
          workflows::check_email(in->introducer.email, false) ? "" : in->introducer.email;
    }
  }
  return id;
}

std::optional<HireStatus> JourneyEngine::status(const std::string& hire_id, date::sys_days day,
                                                std::optional<AsOf> as_of) {
  if (!as_of) {
    auto hire = replay(hire_id);
    if (!hire) return std::nullopt;
    return project_status(hire_id, *hire->machine, day);
  }
  auto hire = load(hire_id, as_of);
  if (!hire) return std::nullopt;
  return project_status(hire_id, hire->machine, as_of ? as_of->date : day);
}

std::optional<HireStatus> JourneyEngine::status_and_notifications(
    const std::string& hire_id, date::sys_days day,
    std::vector<storage::RecordedEvent>& notifications) {
  auto hire = replay(hire_id, &notifications);
  if (!hire) return std::nullopt;
  return project_status(hire_id, *hire->machine, day);
}

std::string unit_stream(const std::string& name) {
  return kUnitPrefix + sha256_hex(name).substr(0, 12);
}

CommandOutcome JourneyEngine::set_unit(const UnitContacts& u, const CommandContext& ctx) {
  if (ctx.actor.empty()) return refused("field_empty", {{"field", "actor"}});
  if (auto bad = workflows::check_name(u.unit)) return out_of_domain("unit", *bad);
  std::vector<std::pair<std::string, const Contact*>> contacts = {
      {"unit_head", &u.unit_head}, {"administrator", &u.administrator}};
  if (u.escalation) contacts.push_back({"escalation", &*u.escalation});
  for (const auto& [field, c] : contacts) {
    if (auto bad = workflows::check_name(c->name)) return out_of_domain(field + "_name", *bad);
    if (auto bad = workflows::check_email(c->email)) return out_of_domain(field + "_email", *bad);
  }
  if (!is_municipality_id(u.municipality))
    return refused("field_bad_value", {{"field", "municipality"}, {"value", u.municipality}});
  if (u.municipality != kDefaultMunicipality && !municipality(u.municipality))
    return refused("unknown_municipality", {{"municipality", u.municipality}});
  UnitContactsSetV2 e{{u.unit, to_record(u.unit_head), to_record(u.administrator), std::nullopt},
                      u.municipality};
  if (u.escalation) e.v1.escalation = to_record(*u.escalation);
  AppendRequest req{StreamId(unit_stream(u.unit)),
                    ExpectedVersion::any(),
                    {storage::NewEvent{kUnitEvent, 2, to_cereal(e), clock_.now(), ctx.actor}},
                    ctx.idempotency_key};
  auto r = log_.append(std::move(req));
  if (!r) return storage_failed(r.error());
  CommandOutcome o;
  o.kind = r->duplicate ? CommandOutcome::Kind::duplicate : CommandOutcome::Kind::accepted;
  o.hire_id = r->stream.str();
  o.version = r->last_version.value;
  o.position = r->last_position.value;
  return o;
}

namespace {
UnitContacts unit_from(const storage::RecordedEvent& r) {
  UnitContactsSetV2 e;
  if (r.schema_version >= 2) {
    e = from_cereal<UnitContactsSetV2>(r.payload);
  } else {
    e.v1 = from_cereal<UnitContactsSet>(r.payload);
    e.municipality = kDefaultMunicipality;
  }
  UnitContacts u{e.v1.unit, from_record(e.v1.unit_head), from_record(e.v1.administrator),
                 std::nullopt, e.municipality};
  if (e.v1.escalation) u.escalation = from_record(*e.v1.escalation);
  return u;
}
}  // namespace

std::optional<UnitContacts> JourneyEngine::unit(const std::string& name) {
  auto events = log_.read_stream(StreamId(unit_stream(name)));
  if (!events) throw std::runtime_error(events.error().message);
  if (events->empty()) return std::nullopt;
  return unit_from(events->back());
}

std::vector<UnitContacts> JourneyEngine::units() {
  std::vector<UnitContacts> out;
  auto streams = log_.list_streams(kUnitPrefix);
  if (!streams) throw std::runtime_error(streams.error().message);
  for (const auto& s : *streams) {
    auto events = log_.read_stream(s);
    if (!events) throw std::runtime_error(events.error().message);
    if (!events->empty()) out.push_back(unit_from(events->back()));
  }
  return out;
}

bool is_municipality_id(const std::string& id) {
  if (id.empty() || id.size() > 40) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

CommandOutcome JourneyEngine::set_municipality(const Municipality& m, const CommandContext& ctx) {
  if (ctx.actor.empty()) return refused("field_empty", {{"field", "actor"}});
  if (!is_municipality_id(m.id))
    return refused("field_bad_value", {{"field", "id"}, {"value", m.id}});
  if (auto bad = workflows::check_name(m.name)) return out_of_domain("name", *bad);
  AppendRequest req{
      StreamId(kMunicipalityStream),
      ExpectedVersion::any(),
      {storage::NewEvent{kMunicipalityEvent, 1, to_cereal(MunicipalityRecord{m.id, m.name}),
                         clock_.now(), ctx.actor}},
      ctx.idempotency_key};
  auto r = log_.append(std::move(req));
  if (!r) return storage_failed(r.error());
  CommandOutcome o;
  o.kind = r->duplicate ? CommandOutcome::Kind::duplicate : CommandOutcome::Kind::accepted;
  o.hire_id = r->stream.str();
  o.version = r->last_version.value;
  o.position = r->last_position.value;
  return o;
}

std::vector<Municipality> JourneyEngine::municipalities() {
  auto events = log_.read_stream(StreamId(kMunicipalityStream));
  if (!events) throw std::runtime_error(events.error().message);
  std::map<std::string, std::string> latest{{kDefaultMunicipality, "Standard"}};
  for (const auto& e : *events) {
    auto m = from_cereal<MunicipalityRecord>(e.payload);
    latest[m.id] = m.name;
  }
  std::vector<Municipality> out;
  for (auto& [id, name] : latest) out.push_back({id, name});
  return out;
}

std::optional<Municipality> JourneyEngine::municipality(const std::string& id) {
  for (auto& m : municipalities())
    if (m.id == id) return m;
  return std::nullopt;
}

CommandOutcome JourneyEngine::set_webhook(const WebhookSubscription& w, const CommandContext& ctx) {
  if (ctx.actor.empty()) return refused("field_empty", {{"field", "actor"}});
  if (!is_webhook_id(w.id)) return refused("field_bad_value", {{"field", "id"}, {"value", w.id}});
  if (w.url.rfind("http://", 0) != 0 && w.url.rfind("https://", 0) != 0) {
    return refused("field_bad_value", {{"field", "url"}, {"value", w.url}});
  }
  if (w.secret_fingerprints.empty()) return refused("field_empty", {{"field", "secret"}});
  if (w.municipality != "*" && !municipality(w.municipality))
    return refused("unknown_municipality", {{"municipality", w.municipality}});
  WebhookRecordV2 r{{w.id, w.url, w.secret_fingerprints, w.enabled, w.disabled_reason},
                    w.municipality};
  AppendRequest req{StreamId(kWebhookStream),
                    ExpectedVersion::any(),
                    {storage::NewEvent{kWebhookEvent, 2, to_cereal(r), clock_.now(), ctx.actor}},
                    ctx.idempotency_key};
  auto a = log_.append(std::move(req));
  if (!a) return storage_failed(a.error());
  CommandOutcome o;
  o.kind = a->duplicate ? CommandOutcome::Kind::duplicate : CommandOutcome::Kind::accepted;
  o.hire_id = kWebhookStream;
  o.version = a->last_version.value;
  o.position = a->last_position.value;
  return o;
}

std::vector<WebhookSubscription> JourneyEngine::webhooks() {
  auto events = log_.read_stream(StreamId(kWebhookStream));
  if (!events) throw std::runtime_error(events.error().message);
  std::map<std::string, WebhookSubscription> current;  // the newest state of each id
  for (const auto& e : *events) {
    WebhookRecordV2 r;
    if (e.schema_version >= 2) {
      r = from_cereal<WebhookRecordV2>(e.payload);
    } else {
      r.v1 = from_cereal<WebhookRecord>(e.payload);
      r.municipality = "*";
    }
    current[r.v1.id] = WebhookSubscription{r.v1.id,      r.v1.url,    r.v1.fingerprints,
                                           r.v1.enabled, r.v1.reason, r.municipality};
  }
  std::vector<WebhookSubscription> out;
  for (auto& [id, w] : current) out.push_back(std::move(w));
  return out;
}

std::string JourneyEngine::fresh_webhook_id() {
  std::set<std::string> taken;
  for (const auto& w : webhooks()) taken.insert(w.id);
  std::random_device random;
  for (;;) {
    char id[16];
    std::snprintf(id, sizeof id, "wh-%08x", static_cast<unsigned>(random()));
    if (!taken.count(id)) return id;
  }
}

std::vector<std::string> JourneyEngine::hires() {
  auto streams = log_.list_streams("hire-");
  if (!streams) throw std::runtime_error(streams.error().message);
  std::vector<std::string> out;
  for (const auto& s : *streams) out.push_back(s.str());
  return out;
}

}  // namespace journey::engine
