// Commands in, events out, state by replay.
//
// Every command loads the hire's stream, rebuilds the journey machine by
// replaying it, lets the machine decide, and appends the resulting events with
// the version it read as the expected version: a concurrent writer makes the
// append fail with a conflict instead of both succeeding. There is no cache
// that could disagree with the log: the log is the truth.
//
// Streams:
//   hire-<8 hex>        one per hire; first event HireRegistered
//   programme-<id>      ProgrammePublished events: the TOML text of each version,
//                       so a hire's programme version can always be reloaded
//   webhooks            WebhookSubscriptionSet events, one stream for all endpoints
//                       (schema 2 adds the endpoint's municipality; schema 1 reads as "*")
//   unit-<12 hex>       UnitContactsSet events: the unit's unit head, administrator
//                       and escalation contact, and (schema 2) its municipality;
//                       the newest one counts
//   municipalities      MunicipalitySet events (id, name): the tenants; the newest
//                       per id counts. "default" always exists.
//   tokens              TokenIssued / TokenRevoked (see access.h)
//
// Thread safety: a JourneyEngine may be used from several threads; each call
// works on its own replayed machine and the log orders the appends. Commands
// on one hire are decided one at a time (a turn per hire, see execute_async), so
// concurrent commands without If-Match on one hire never conflict in one
// process; the log's expected version still guards against any other writer.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "journey/engine/reminders.h"
#include "journey/engine/run_here.h"
#include "journey/engine/status.h"
#include "journey/storage/event_log.h"
#include "journey/workflows/events.h"
#include "journey/workflows/journey_machine.h"
#include "journey/workflows/programme.h"

namespace journey::engine {

using workflows::DomainEvent;
using workflows::Language;
using workflows::Programme;
using workflows::Refusal;

struct CommandContext {
  std::string actor;                              // who is doing this; required
  std::string idempotency_key;                    // optional; a repeat returns the first outcome
  std::optional<std::uint64_t> expected_version;  // optional If-Match
};

struct CommandOutcome {
  enum class Kind { accepted, duplicate, refused, conflict, failed };
  Kind kind = Kind::failed;
  std::string hire_id;
  std::uint64_t version = 0;       // stream version after the command
  std::uint64_t position = 0;      // global position of the last event written
  std::optional<Refusal> refusal;  // refused, conflict, failed
  bool ok() const { return kind == Kind::accepted || kind == Kind::duplicate; }
  std::string message(Language lang) const;
};

// A refusal as an outcome (nothing written): `code` and its arguments, whose
// text is in workflows/messages.cc. What every service refuses with.
CommandOutcome refused(const std::string& code, std::map<std::string, std::string> args = {});

struct RegisterHire {
  std::string name;
  std::string email;
  std::string unit;
  std::string start;  // YYYY-MM-DD
  bool experienced = false;
  std::string programme_id = "gr-forsta-aren";
  std::optional<int> programme_version;  // default: the newest published
  std::optional<workflows::Person> introducer;
};

struct ProgrammeInfo {
  std::string id;
  int version = 0;
  std::string name;
  std::string sha256;
};

// Which events a past view includes: those recorded by the end of the date
// ("what did we know on X") or those that took effect by then ("what had
// happened by X", using today's knowledge).
struct AsOf {
  date::sys_days date;
  enum class Basis { recorded, effective } basis = Basis::recorded;
};

// Days are the municipality's, not UTC's (every municipality keeps Swedish
// time): what every date shown, compared or cut off at goes through.
// swedish_day: the Swedish day of an instant. An instant outside the calendar's
// years 1900-9999 (only a planted or damaged record carries one) keeps its UTC
// day rather than throw, so that record's hire still loads and shows as it is.
// swedish_midnight: the instant a Swedish day begins (d in 1900-9999).
date::sys_days swedish_day(TimePoint t);
TimePoint swedish_midnight(date::sys_days d);

// A name search as people type it: true when every word of `query` (split at
// spaces) occurs somewhere in `name`, ignoring case, so "sven li" finds
// "Sara Lind-Svensson". Case is folded for ASCII, Latin-1 and Latin
// Extended-A letters (Å/å, Ö/ö, É/é, Ł/ł, Ş/ş ...); other letters match as
// written. An empty query matches every name. Both are UTF-8.
bool name_matches(std::string_view name, std::string_view query);

// Records on a hire's stream that are not journey facts but what the scheduler
// told people: the machine never sees them; history shows them.
constexpr const char* kNotificationDecided = "NotificationDecided";
constexpr const char* kDeliveryAttempted = "DeliveryAttempted";
bool is_notification_type(const std::string& type);

// Corrections. A recorded fact is never edited: it is corrected or retracted
// by a new record on the same stream that names the fact's stream version and
// says why. The machine never sees these records; every replay applies them:
//   EventCorrected  {version, reason, replacement}  the fact as it should have
//                   been, of the fact's own type, replayed at the fact's place
//   EventRetracted  {version, reason}               the fact is left out
// Several corrections of one fact: the newest counts. A retracted fact cannot
// be corrected (record it anew). Replay of a stream without corrections takes
// the streaming fast path; a stream with one is read whole and folded with
// the corrections applied (rare: a stream holds a handful at most).
// The registration (version 1) can be corrected (name, e-mail, first working
// day), never retracted. Corrections are refused when the journey folded with
// them would refuse any later fact (JourneyEngine::correct).
constexpr const char* kEventCorrected = "EventCorrected";
constexpr const char* kEventRetracted = "EventRetracted";
bool is_correction_type(const std::string& type);

struct Correction {
  std::uint64_t version = 0;               // stream version of the fact corrected or retracted
  std::optional<DomainEvent> replacement;  // std::nullopt: retracted
  std::string reason;                      // required; free text (value_domain.h)
  // What the caller decided on: the version of the fact's newest correction
  // when it read the fact (0: none). Set, a correction recorded in between is
  // a refusal ("correction_target_changed"), never silently overwritten.
  std::optional<std::uint64_t> basis{};
};

// One journey record of a hire as history shows it (LoadedHire::entries).
struct HistoryEntry {
  // The fact as recorded. std::nullopt on a correction record, and on a fact
  // whose bytes do not decode but that a correction replaced or retracted.
  std::optional<DomainEvent> event;
  std::optional<Correction> correction;  // set on a correction record
  std::uint64_t superseded_by = 0;       // on a fact: the newest correction's version (0: none)
  bool retracted = false;                // on a fact: the newest correction retracts it
  std::string details;                   // one line (Swedish, like describe())
  std::string damage;                    // records_of(): why this record does not decode
};

struct LoadedHire {
  std::string hire_id;
  std::vector<storage::RecordedEvent>
      records;                        // facts and corrections as stored (filtered by AsOf)
  std::vector<HistoryEntry> entries;  // decoded, same order
  std::shared_ptr<const Programme> programme;
  workflows::JourneyMachine machine;
  std::uint64_t version = 0;                          // version of the whole stream (unfiltered)
  date::sys_days registered_on;                       // UTC date the registration was recorded
  std::vector<storage::RecordedEvent> notifications;  // NotificationDecided, DeliveryAttempted
};

// A webhook endpoint that hears about every notification of its municipality
// ("*": of all of them; a message about hires of several municipalities only
// reaches "*" endpoints, so no municipality hears of another's). The log keeps the
// subscription's history (URL, enabled, the SHA-256 fingerprints of its
// secrets); the secrets themselves are never written to the log (an audit
// trail must not hold them): the tool that creates them keeps them in files.
struct WebhookSubscription {
  std::string id;  // "wh-<8 hex>"
  std::string url;
  std::vector<std::string> secret_fingerprints;  // first signs; all sign during rotation
  bool enabled = true;
  std::string disabled_reason;
  std::string municipality = "*";  // an existing municipality's id, or "*"
};

// A municipality (tenant). Ids: lower-case letters, digits and '-', at most 40.
struct Municipality {
  std::string id;
  std::string name;
};
bool is_municipality_id(const std::string& id);

// What deciding a command or projecting today's status needs: the machine
// folded from the stream, without keeping the records (see replay()).
struct ReplayedHire {
  std::shared_ptr<const Programme> programme;
  std::optional<workflows::JourneyMachine> machine;
  std::uint64_t version = 0;
  date::sys_days registered_on;
};

// A hire whose stream cannot be read, decoded or replayed (old bad data, a
// bug, damage on disk). load(), replay() and status() throw it; every list,
// the scheduler and the API catch it per hire, so one damaged hire never
// stops service for another. The reason names the event and what failed.
class HireDamaged : public std::runtime_error {
 public:
  HireDamaged(std::string hire_id, const std::string& reason)
      : std::runtime_error(reason), hire_id(std::move(hire_id)) {}
  std::string hire_id;
};

// What authorisation needs of a hire, read before its journey is projected:
// the registration's unit and name and the current introducer's e-mail, from
// the bytes' structure alone (decode_structure), so a hire whose registration
// holds a value outside the domain still has the unit that may see it. Empty
// unit: not even that could be read; only all-municipality admins and
// auditors may see the hire then (access.h: an empty municipality is theirs).
struct HireIdentity {
  std::string hire_id;
  std::string name;
  std::string unit;
  std::string introducer_email;
};

class JourneyEngine {
 public:
  // REQUIRES: log and clock outlive the engine.
  JourneyEngine(storage::EventLog& log, const Clock& clock);

  // Publishes a programme version (TOML text). The same text again is a
  // duplicate; different text under an existing id and version is refused.
  CommandOutcome publish_programme(const std::string& toml_text, const std::string& origin,
                                   const std::string& actor);
  std::vector<ProgrammeInfo> programmes();
  std::shared_ptr<const Programme> programme(const std::string& id, std::optional<int> version);

  CommandOutcome register_hire(const RegisterHire& cmd, const CommandContext& ctx);
  // Decides `event` on the replayed journey and appends it. With
  // ctx.expected_version a concurrent change is a conflict; without one the
  // command is decided again on the newer stream (up to 8 times).
  CommandOutcome execute(const std::string& hire_id, const DomainEvent& event,
                         const CommandContext& ctx);

  // ## Commands without a sleeping thread
  // The same commands, answered through `done` instead of returned: the
  // decision runs on the calling thread, the append goes to the log with
  // append_async(), and no thread waits for its fsync. Everything after the
  // log's answer (a retry, `done`) runs through `post`, a function that runs
  // its argument soon on a thread of the caller's (journeyd: the HTTP worker
  // pool), never on the log's own thread. `done` is called exactly once,
  // unless `post` drops what it is given (a pool stopped at shutdown). The
  // synchronous calls above are these, run on the caller's thread.
  //
  // Commands on one hire take turns: while one waits for its append, the
  // next waits in a queue, not on a thread, and decides on the stream the
  // first one wrote. A correction takes the same turns. No caller on a pool
  // thread may wait for a turn (the synchronous calls do): the turn is passed
  // on by a continuation posted to that pool.
  using Post = engine::Post;
  using Done = std::function<void(CommandOutcome)>;
  // Who may record `event` on the hire as replayed (its programme, and in its
  // facts its unit and current introducer): a reason refuses the command as
  // "not_permitted" (argument "why"). Asked in the hire's turn, on the stream
  // the event would be appended to, before the machine decides.
  using Authorise = std::function<std::optional<std::string>(const DomainEvent&, const Programme&,
                                                             const workflows::JourneyFacts&)>;
  void register_hire_async(RegisterHire cmd, CommandContext ctx, Post post, Done done);
  void execute_async(std::string hire_id, DomainEvent event, CommandContext ctx,
                     Authorise authorise, Post post, Done done);
  void correct_async(std::string hire_id, Correction c, CommandContext ctx, Post post, Done done);

  // Records a correction or retraction of the fact at `c.version` (see
  // kEventCorrected). Refused, naming why, when the version is no fact of the
  // hire, is already retracted, the replacement is of another type, outside
  // the value domain, dated in the future or changes nothing, the reason is
  // empty, or when the journey replayed with the correction would refuse a
  // fact ("correction_inconsistent", naming that fact). Works on a damaged
  // hire too: correcting the damaged fact is how it is repaired.
  CommandOutcome correct(const std::string& hire_id, const Correction& c,
                         const CommandContext& ctx);
  // The fact at `version` as it stands now (the newest correction applied),
  // for front-ends that merge a partial replacement and check who may correct
  // it. Decoded for structure only if its bytes are outside the value domain.
  struct CorrectionTarget {
    std::string type;
    std::optional<DomainEvent> current;  // std::nullopt: unreadable
    bool retracted = false;
    bool fact = true;                            // false: a correction or notification record
    std::shared_ptr<const Programme> programme;  // the hire's; nullptr: unreadable
    std::uint64_t superseded_by = 0;             // the newest correction's version (0: none)
    std::string actor;                           // who recorded the fact
  };
  std::optional<CorrectionTarget> correction_target(const std::string& hire_id,
                                                    std::uint64_t version);

  // std::nullopt if the hire does not exist (or did not yet, as of `as_of`).
  // Throws HireDamaged if a stored event cannot be read, decoded or replayed.
  std::optional<LoadedHire> load(const std::string& hire_id, std::optional<AsOf> as_of = {});
  // Every record of a hire as stored, each decoded as far as it goes, without
  // replaying the journey: the history of a damaged hire, so that those who
  // may read it see what is wrong where (HistoryEntry::damage) and can
  // correct or retract that record. `machine` is of an empty programme.
  // std::nullopt if the hire does not exist or its stream cannot be read.
  std::optional<LoadedHire> records_of(const std::string& hire_id);
  // The hot path: streams the hire's events straight into the machine.
  // `notifications`, if given, gets the hire's notification records
  // (NotificationDecided, DeliveryAttempted) from the same read of its stream.
  std::optional<ReplayedHire> replay(const std::string& hire_id,
                                     std::vector<storage::RecordedEvent>* notifications = nullptr);
  std::optional<HireStatus> status(const std::string& hire_id, date::sys_days today,
                                   std::optional<AsOf> as_of = {});
  // Today's status and the hire's notification records, from one read of
  // its stream: what the views keep of a hire.
  std::optional<HireStatus> status_and_notifications(
      const std::string& hire_id, date::sys_days today,
      std::vector<storage::RecordedEvent>& notifications);
  std::vector<std::string> hires();
  // std::nullopt if the hire does not exist. Never throws for bad payloads.
  std::optional<HireIdentity> identify(const std::string& hire_id);
  // Hires found damaged since start (id -> reason), for /metrics and operators.
  // A hire that replays again (after a correction or a fix) leaves the list.
  std::map<std::string, std::string> damaged_hires() const;

  // Sets (replaces) a unit's contacts. Refused with a named field if a contact
  // lacks a name or a valid e-mail.
  CommandOutcome set_unit(const UnitContacts& unit, const CommandContext& ctx);
  std::optional<UnitContacts> unit(const std::string& name);
  std::vector<UnitContacts> units();

  // Municipalities: set (create or rename) and list. Units name theirs; a unit
  // naming an unknown municipality is refused.
  CommandOutcome set_municipality(const Municipality& m, const CommandContext& ctx);
  std::vector<Municipality> municipalities();
  std::optional<Municipality> municipality(const std::string& id);

  // Webhook subscriptions (stream "webhooks"; each change records the whole new state).
  CommandOutcome set_webhook(const WebhookSubscription& w, const CommandContext& ctx);
  std::vector<WebhookSubscription> webhooks();
  // A random "wh-<8 hex>" no subscription has: the newest record of an id
  // wins, so a reused id would replace another subscription. Callers that may
  // race hold their own lock until set_webhook() has recorded it.
  std::string fresh_webhook_id();

  date::sys_days today() const;
  storage::EventLog& log() { return log_; }
  const Clock& clock() const { return clock_; }

 private:
  // A decision: the outcome already, or the records to append.
  struct Pending {
    std::string hire_id;
    std::uint64_t expected = 0;
    std::vector<storage::NewEvent> records;
  };
  using Decided = std::variant<CommandOutcome, Pending>;
  struct AsyncCommand;
  Decided decide_registration(const RegisterHire& cmd, const CommandContext& ctx);
  Decided decide_execute(const std::string& hire_id, const DomainEvent& event,
                         const CommandContext& ctx, const Authorise& authorise);
  Pending pending(const std::string& hire_id, std::uint64_t expected,
                  const std::vector<DomainEvent>& events, const CommandContext& ctx);
  CommandOutcome appended(const std::string& hire_id, std::uint64_t expected,
                          const storage::Result<storage::AppendResult>& r);
  void step(const std::shared_ptr<AsyncCommand>& c);
  void finish(const std::shared_ptr<AsyncCommand>& c, CommandOutcome o);

  // A hire's turn: held by a command from its decision until its append is
  // answered; released when the last copy of the handle is destroyed, which
  // hands the turn to the next waiting command (through its `post`). Exactly
  // per hire: commands on two hires never wait for each other.
  using TurnJob = std::function<void(std::shared_ptr<void> turn)>;
  void take_turn(const std::string& hire_id, Post post, TurnJob job);
  std::shared_ptr<void> turn_of(const std::string& hire_id);
  void pass_turn(const std::string& hire_id);
  Decided decide_correction(const std::string& hire_id, const Correction& c,
                            const CommandContext& ctx);
  CommandOutcome append(const std::string& hire_id, std::uint64_t expected,
                        std::vector<DomainEvent> events, const CommandContext& ctx);
  CommandOutcome append_records(const std::string& hire_id, std::uint64_t expected,
                                std::vector<storage::NewEvent> records, const CommandContext& ctx);
  std::optional<CommandOutcome> earlier_outcome(const CommandContext& ctx);
  std::optional<Refusal> check_dates(const DomainEvent& e) const;

  [[noreturn]] void damaged(const std::string& hire_id, const std::string& reason);
  void sound(const std::string& hire_id);

  [[noreturn]] void read_failed(const std::string& hire_id, const storage::Error& e);

  storage::EventLog& log_;
  const Clock& clock_;
  std::mutex turns_mu_;
  // The hires whose turn is taken, each with the commands waiting for it.
  std::unordered_map<std::string, std::deque<std::pair<Post, TurnJob>>>
      turns_;  // GUARDED_BY(turns_mu_)
  mutable std::mutex damaged_mu_;
  std::map<std::string, std::string> damaged_;  // GUARDED_BY(damaged_mu_)
  std::atomic<std::size_t> damaged_count_{0};   // damaged_.size(), read without the lock
  std::mutex programmes_mu_;
  std::map<std::pair<std::string, int>, std::shared_ptr<const Programme>> programme_cache_;
};

// Stream name of a hire id ("hire-3f9a0c21" is both).
bool is_hire_id(const std::string& s);
// A webhook id: "wh-" and 1-40 of [a-z0-9-] (made as "wh-<8 hex>"); what
// set_webhook() accepts and a ?webhook= filter names.
bool is_webhook_id(const std::string& s);

}  // namespace journey::engine
