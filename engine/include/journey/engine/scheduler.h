// The durable reminder scheduler.
//
// Timers are derived from events: after every change to a hire (and once per
// local day, for what depends on the date), the hire's plan is recomputed
// (plan_reminders) and its timers replaced. The timer index lives in its own
// RocksDB folder and is only a cache: rebuild() derives it again from the log.
//
// Exactly once in effect:
//   1. A due reminder is decided by appending NotificationDecided (recipient,
//      subject, body, the reminder ids) to the hire's stream, with idempotency
//      key "notify/<message id>/<hire>", BEFORE any delivery is attempted.
//      A reminder id that appears in a NotificationDecided is never decided again.
//   2. Each delivery attempt is then recorded as DeliveryAttempted on the same
//      stream (outcome, SMTP/HTTP code, detail, next attempt). A message whose
//      last recorded attempt is not final is retried after a backoff; after
//      max_attempts it is recorded as dead_letter and waits for `redeliver`.
//   A crash between 1 and 2 re-sends on restart with the same Message-ID (the
//   message id is derived from the reminder ids), so a duplicate is always
//   recognisable as the same message; nothing decided is lost.
//   A message about several hires is recorded on each of their streams, one
//   append each, under a deterministic key ("notify/<message>/<hire>",
//   "delivery/<attempt id>/<hire>"). Folding the log completes a fan-out that a
//   crash interrupted: the missing records are appended, existing ones are
//   idempotent no-ops, so every hire's history ends up complete.
//   Only the first hire's record (the message's owner, the first appended, at
//   the position the outbox points to) carries the whole message: body, every
//   hire and every reminder. The others carry a copy without the body and with
//   only their own hire and reminders (notification_copy_for), so a digest or
//   catch-up about N hires costs O(N) bytes in the log, not O(N^2).
//
// Not a storm, not at 03:00: reminders whose send time passed while the
// scheduler was not running are coalesced into one message per recipient, and
// nothing is sent outside working days between the send hour and office_end.
// Recipients who chose a digest get one message per tick.
//
// Index layout (KvStore, all derived):
//   "c"                          BE64 last log position folded in
//   "p"                          BE64 local day (days since epoch) of the last full replan
//   "l"                          BE64 microseconds of the last tick
//   "t" BE64(send_us) reminder   hire id          pending timers in time order
//   "h" hire 0x00 reminder       BE64(send_us)    a hire's timers, to replace them
//   "d" reminder                 message id       decided reminders
//   "o" message 0x1f channel     BE64(position) BE64(next_us) BE32(attempts)   outbox
//   "x" message 0x1f channel     the same, dead-lettered (waits for redeliver)
//
// Thread safety: one thread calls tick() at a time.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "journey/engine/calendar.h"
#include "journey/engine/delivery.h"
#include "journey/engine/journey_engine.h"
#include "journey/engine/notifications.h"
#include "journey/storage/kv_store.h"

namespace journey::engine {

struct NotificationRecord {
  std::string message_id;
  std::string channel = "email";
  std::string audience;
  std::string to_name, to_email, language;
  std::string subject, body;
  std::vector<std::string> reminder_ids;
  std::vector<std::string> hire_ids;
  bool catch_up = false;              // coalesced after downtime
  std::vector<std::string> channels;  // "email", "webhook:<id>": each has its own outbox entry
};

struct DeliveryRecord {
  std::string message_id;
  std::string channel = "email";
  int attempt = 0;
  std::string outcome;  // delivered, retry, rejected, gone, dead_letter, redeliver
  int code = 0;
  std::string detail;
  std::int64_t next_attempt_us = 0;
  std::string attempt_id;  // unique per attempt: keys its record on every hire's stream
};

std::string encode_notification(const NotificationRecord& r);
NotificationRecord decode_notification(const std::string& payload);
// The record of `n` on `hire`'s stream: `n` itself for its first hire (the
// owner), else `n` without the body and with only that hire and its reminders.
NotificationRecord notification_copy_for(const NotificationRecord& n, const std::string& hire);
std::string encode_delivery(const DeliveryRecord& r);
DeliveryRecord decode_delivery(const std::string& payload);

// One channel of one notification decided on a hire's stream, with how its
// delivery went by the last attempt recorded for that channel: a row of
// GET /v1/notifications and of `journeyctl notifications`, one rule for both.
struct NotificationRow {
  std::uint64_t version = 0;  // the decision's version in the hire's stream
  std::uint32_t index = 0;    // the channel's place among the decision's channels
  std::string message_id;
  std::string channel;  // "email" or "webhook:<id>"
  std::string audience, to_email, subject;
  std::int64_t decided_at_us = 0;  // the decision's recorded_at
  // pending (no attempt yet), delivered, retry, rejected, gone, dead_letter,
  // redeliver
  std::string outcome = "pending";
  int attempts = 0;
  int code = 0;
  std::string detail;
  bool catch_up = false;
};
// rejected, gone and dead_letter: what `outcome=failed` asks for.
bool failed_outcome(const std::string& outcome);
// The rows of a hire's notification records (NotificationDecided and
// DeliveryAttempted, in stream order; other records are passed over), in
// (version, index) order. A record whose bytes do not decode yields no row;
// its version and why are added to `damage` (one line each), never thrown:
// one bad record must not hide the others.
std::vector<NotificationRow> notification_rows(const std::vector<storage::RecordedEvent>& records,
                                               std::string& damage);

struct SchedulerConfig {
  std::filesystem::path index_path;
  Address sender{"Journey", "journey@localhost"};
  int office_end_hour = 17;  // no catch-up sends at or after this local hour
  int catch_up_days = 14;    // missed sends older than this are not sent late
  int max_attempts = 8;
  // Delay before attempt `attempt` (1-based) after a transient failure.
  std::function<std::chrono::milliseconds(int attempt,
                                          std::optional<std::chrono::seconds> retry_after)>
      backoff;
  // Webhooks: every notification also goes to each enabled subscription. The
  // secrets come from the caller (they are not in the log). Null: no webhooks.
  WebhookSender* webhooks = nullptr;
  std::function<std::vector<std::string>(const std::string& subscription_id)> webhook_secrets;
  std::string event_source = "/journey";  // CloudEvents source
};

struct TickReport {
  int hires_replanned = 0;
  int reminders_decided = 0;
  int messages_decided = 0;
  int catch_up_messages = 0;
  int delivered = 0;
  int retried = 0;
  int failed = 0;      // rejected, gone or dead-lettered
  int unresolved = 0;  // due, but the data names nobody to tell (kept pending)
  int damaged = 0;     // hires whose stream cannot be replayed: skipped, their timers kept
  bool outside_office_hours = false;
};

class ReminderScheduler {
 public:
  // REQUIRES: every reference outlives the scheduler.
  ReminderScheduler(JourneyEngine& engine, const MunicipalTime& time, const Templates& templates,
                    MailTransport& mail, const Clock& clock, SchedulerConfig config,
                    std::unique_ptr<storage::KvStore> index);

  // One pass at clock.now(): fold new events, replan, decide what is due, deliver.
  TickReport tick();
  // Forgets the index and derives it again from the log.
  void rebuild();
  // Queues a dead-lettered message for one more round of attempts.
  // Queues the message's dead-lettered channels again; with `may`, only the
  // channels it allows (a municipality's admin: not another's webhook).
  CommandOutcome redeliver(const std::string& message_id, const std::string& actor,
                           const std::function<bool(const std::string& channel)>& may = {});

  std::size_t pending_timers();
  std::size_t dead_letters();  // outbox entries waiting for redeliver
  std::optional<TimePoint> next_due();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;

 public:
  ~ReminderScheduler();
};

}  // namespace journey::engine
