// The durable reminder scheduler; the contract and index layout are in scheduler.h.
#include "journey/engine/scheduler.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "journey/workflows/bounded_archive.h"

namespace journey::engine {

using namespace workflows;
using storage::be64;
using storage::from_be64;
using storage::KvWrite;

template <class A>
void serialize(A& ar, NotificationRecord& r) {
  ar(r.message_id, r.channel, r.audience, r.to_name, r.to_email, r.language, r.subject, r.body,
     r.reminder_ids, r.hire_ids, r.catch_up, r.channels);
}
template <class A>
void serialize(A& ar, DeliveryRecord& r) {
  ar(r.message_id, r.channel, r.attempt, r.outcome, r.code, r.detail, r.next_attempt_us,
     r.attempt_id);
}

namespace {

template <class T>
std::string to_bytes(const T& v) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(const_cast<T&>(v));
  }
  return os.str();
}
template <class T>
T from_bytes(const std::string& s) {
  std::istringstream is(s);
  BoundedInputArchive ar(is, s.size());
  T v;
  ar(v);
  return v;
}

std::string be32(std::uint32_t v) { return be64(v).substr(4); }
std::uint32_t from_be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}
std::int64_t us(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_us(std::int64_t v) { return TimePoint(std::chrono::microseconds(v)); }

std::string timer_key(std::int64_t send_us, const std::string& reminder) {
  return "t" + be64(static_cast<std::uint64_t>(send_us)) + reminder;
}
std::string hire_key(const std::string& hire, const std::string& reminder) {
  return "h" + hire + '\0' + reminder;
}
std::string outbox_value(std::uint64_t position, std::int64_t next_us, std::uint32_t attempts) {
  return be64(position) + be64(static_cast<std::uint64_t>(next_us)) + be32(attempts);
}

std::string outbox_key(const std::string& message, const std::string& channel) {
  return "o" + message + '\x1f' + channel;
}
std::string dead_key(const std::string& message, const std::string& channel) {
  return "x" + message + '\x1f' + channel;
}

std::string rfc3339(TimePoint t) {
  return date::format("%FT%TZ", date::floor<std::chrono::milliseconds>(t));
}

bool final_outcome(const std::string& o) {
  return o == "delivered" || o == "rejected" || o == "gone";
}

std::chrono::milliseconds default_backoff(int attempt,
                                          std::optional<std::chrono::seconds> retry_after) {
  // 1, 2, 4 ... minutes, at most 6 hours; a server's Retry-After is a lower bound.
  std::chrono::milliseconds d = std::chrono::minutes(1) * (1LL << std::min(attempt - 1, 16));
  d = std::min<std::chrono::milliseconds>(d, std::chrono::hours(6));
  if (retry_after) d = std::max<std::chrono::milliseconds>(d, *retry_after);
  return d;
}

}  // namespace

std::string encode_notification(const NotificationRecord& r) { return to_bytes(r); }
NotificationRecord decode_notification(const std::string& p) {
  return from_bytes<NotificationRecord>(p);
}
NotificationRecord notification_copy_for(const NotificationRecord& n, const std::string& hire) {
  if (n.hire_ids.empty() || n.hire_ids.front() == hire) return n;
  NotificationRecord c = n;
  c.body.clear();
  c.hire_ids = {hire};
  c.reminder_ids.clear();
  const std::string prefix = hire + "/";
  for (const auto& id : n.reminder_ids)
    if (id.compare(0, prefix.size(), prefix) == 0) c.reminder_ids.push_back(id);
  return c;
}
std::string encode_delivery(const DeliveryRecord& r) { return to_bytes(r); }
DeliveryRecord decode_delivery(const std::string& p) { return from_bytes<DeliveryRecord>(p); }

bool failed_outcome(const std::string& o) {
  return o == "rejected" || o == "gone" || o == "dead_letter";
}

std::vector<NotificationRow> notification_rows(const std::vector<storage::RecordedEvent>& records,
                                               std::string& damage) {
  auto note_damage = [&](const storage::RecordedEvent& r, const std::exception& e) {
    if (!damage.empty()) damage += '\n';
    damage += r.type + " " + std::to_string(r.version.value) + ": " + e.what();
  };
  // The last attempt of each (message, channel).
  std::map<std::string, DeliveryRecord> last;
  for (const auto& r : records) {
    if (r.type != kDeliveryAttempted) continue;
    try {
      auto d = decode_delivery(r.payload);
      std::string key = d.message_id + '\x1f' + d.channel;
      last[std::move(key)] = std::move(d);
    } catch (const std::exception& e) {
      note_damage(r, e);
    }
  }
  std::vector<NotificationRow> rows;
  for (const auto& r : records) {
    if (r.type != kNotificationDecided) continue;
    NotificationRecord n;
    try {
      n = decode_notification(r.payload);
    } catch (const std::exception& e) {
      note_damage(r, e);
      continue;
    }
    std::vector<std::string> channels = n.channels;
    if (channels.empty()) channels.push_back(n.channel);
    for (std::size_t i = 0; i < channels.size(); ++i) {
      NotificationRow row;
      row.version = r.version.value;
      row.index = static_cast<std::uint32_t>(i);
      row.message_id = n.message_id;
      row.channel = channels[i];
      row.audience = n.audience;
      row.to_email = n.to_email;
      row.subject = n.subject;
      row.decided_at_us =
          std::chrono::duration_cast<std::chrono::microseconds>(r.recorded_at.time_since_epoch())
              .count();
      row.catch_up = n.catch_up;
      auto it = last.find(n.message_id + '\x1f' + channels[i]);
      if (it != last.end()) {
        row.outcome = it->second.outcome;
        row.attempts = it->second.attempt;
        row.code = it->second.code;
        row.detail = it->second.detail;
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

struct ReminderScheduler::Impl {
  JourneyEngine& engine;
  const MunicipalTime& time;
  const Templates& templates;
  MailTransport& mail;
  const Clock& clock;
  SchedulerConfig cfg;
  std::unique_ptr<storage::KvStore> kv;

  std::optional<std::string> get(const std::string& k) {
    return storage::value_or_throw(kv->get(k), "scheduler index");
  }
  void write(const KvWrite& w, bool sync = false) {
    if (!w.empty()) storage::value_or_throw(kv->write(w, sync), "scheduler index");
  }
  std::uint64_t get_u64(const std::string& k) {
    auto v = get(k);
    return v ? from_be64(*v) : 0;
  }

  bool in_office_hours(TimePoint now) const {
    const auto local = time.to_local(now);
    const date::sys_days day(date::floor<date::days>(local).time_since_epoch());
    if (!time.calendar().is_working_day(day)) return false;
    const auto since_midnight = local - date::floor<date::days>(local);
    return since_midnight >= time.send_at() &&
           since_midnight < std::chrono::hours(cfg.office_end_hour);
  }

  // Folds events after the checkpoint into the index; returns the hires that changed.
  std::set<std::string> fold() {
    std::set<std::string> dirty;
    std::uint64_t pos = get_u64("c");
    for (;;) {
      auto batch = storage::value_or_throw(
          engine.log().read_all(storage::GlobalPosition{pos + 1}, 2000), "reading the log");
      if (batch.empty()) break;
      KvWrite w;
      for (const auto& e : batch) {
        pos = e.position.value;
        if (!is_hire_id(e.stream.str())) continue;
        if (e.type == kNotificationDecided) {
          auto n = decode_notification(e.payload);
          complete_notification_fan_out(n);
          for (const auto& id : n.reminder_ids) w.puts.push_back({"d" + id, n.message_id});
          // The first stream to record the message owns its outbox entries.
          if (!get("r" + n.message_id)) {
            w.puts.push_back({"r" + n.message_id, be64(e.position.value)});
            for (const auto& ch : n.channels)
              w.puts.push_back(
                  {outbox_key(n.message_id, ch), outbox_value(e.position.value, 0, 0)});
          }
          write(w);
          w = {};
        } else if (e.type == kDeliveryAttempted) {
          const DeliveryRecord d = decode_delivery(e.payload);
          if (auto ref = get("r" + d.message_id); ref && !d.attempt_id.empty()) {
            auto first = storage::value_or_throw(
                engine.log().read_all(storage::GlobalPosition{from_be64(*ref)}, 1),
                "reading a notification");
            if (!first.empty() && first.front().type == kNotificationDecided) {
              complete_fan_out(kDeliveryAttempted, e.payload,
                               decode_notification(first.front().payload).hire_ids,
                               "delivery/" + d.attempt_id + "/");
            }
          }
          apply_delivery(d);
        } else {
          dirty.insert(e.stream.str());
        }
      }
      w.puts.push_back({"c", be64(pos)});
      write(w);
    }
    return dirty;
  }

  // Appends `payload` to every hire's stream under key_prefix + hire. Where the
  // record is already there, the log returns the first result and writes nothing.
  void complete_fan_out(const char* type, const std::string& payload,
                        const std::vector<std::string>& hires, const std::string& key_prefix) {
    for (const auto& hire : hires) {
      storage::AppendRequest req{storage::StreamId(hire),
                                 storage::ExpectedVersion::any(),
                                 {storage::NewEvent{type, 1, payload, clock.now(), "scheduler"}},
                                 key_prefix + hire};
      storage::value_or_throw(engine.log().append(std::move(req)),
                              "recording on every hire's stream");
    }
  }

  // The same for a message's records: the owner's in full, a copy on the others.
  // A copy names only its own hire, so completing from it is a no-op.
  void complete_notification_fan_out(const NotificationRecord& n) {
    for (const auto& hire : n.hire_ids) {
      storage::AppendRequest req{
          storage::StreamId(hire),
          storage::ExpectedVersion::any(),
          {storage::NewEvent{kNotificationDecided, 1,
                             encode_notification(notification_copy_for(n, hire)), clock.now(),
                             "scheduler"}},
          "notify/" + n.message_id + "/" + hire};
      storage::value_or_throw(engine.log().append(std::move(req)),
                              "recording on every hire's stream");
    }
  }

  void apply_delivery(const DeliveryRecord& d) {
    KvWrite w;
    const std::string ok = outbox_key(d.message_id, d.channel),
                      xk = dead_key(d.message_id, d.channel);
    auto ref = get("r" + d.message_id);
    if (!ref) return;  // unknown message: nothing to track
    const std::uint64_t position = from_be64(*ref);
    if (final_outcome(d.outcome)) {
      w.deletes = {ok, xk};
    } else if (d.outcome == "dead_letter") {
      w.deletes.push_back(ok);
      w.puts.push_back({xk, outbox_value(position, 0, static_cast<std::uint32_t>(d.attempt))});
    } else if (d.outcome == "redeliver") {
      w.deletes.push_back(xk);
      w.puts.push_back({ok, outbox_value(position, 0, 0)});
    } else {  // retry
      w.puts.push_back(
          {ok, outbox_value(position, d.next_attempt_us, static_cast<std::uint32_t>(d.attempt))});
    }
    write(w);
  }

  // Replaces the hire's timers with its current plan, writing only what changed
  // (the daily replan of every hire would otherwise rewrite every timer).
  // False if the hire is damaged: its timers stay as they were (they fire
  // again once it replays), and nobody else's plan waits for it.
  bool replan(const std::string& hire_id, date::sys_days today, TimePoint now) {
    std::map<std::string, std::int64_t> old_timers;  // reminder id -> send
    storage::value_or_throw(kv->scan("h" + hire_id + '\0', "h" + hire_id + '\1',
                                     [&](const std::string& k, const std::string& v) {
                                       old_timers[k.substr(hire_id.size() + 2)] =
                                           static_cast<std::int64_t>(from_be64(v));
                                       return true;
                                     }),
                            "scanning timers");
    std::map<std::string, std::int64_t> new_timers;
    std::optional<ReplayedHire> hire;
    try {
      hire = engine.replay(hire_id);
    } catch (const HireDamaged&) {
      return false;  // the engine logged why
    }
    if (hire) {
      const HireStatus status = project_status(hire_id, *hire->machine, today);
      const std::int64_t oldest = us(now) - std::int64_t(cfg.catch_up_days) * 86'400'000'000LL;
      for (const auto& r : plan_reminders(status, *hire->programme, hire->registered_on)) {
        if (r.fire_on < hire->registered_on || get("d" + r.id)) continue;
        const std::int64_t send = us(time.send_time(r.fire_on));
        if (send < oldest) continue;
        new_timers[r.id] = send;
      }
    }
    KvWrite w;
    for (const auto& [id, send] : old_timers) {
      auto it = new_timers.find(id);
      if (it != new_timers.end() && it->second == send) continue;
      w.deletes.push_back(hire_key(hire_id, id));
      w.deletes.push_back(timer_key(send, id));
    }
    for (const auto& [id, send] : new_timers) {
      auto it = old_timers.find(id);
      if (it != old_timers.end() && it->second == send) continue;
      // A changed timer was deleted above; RocksDB applies a batch in order.
      w.puts.push_back({timer_key(send, id), hire_id});
      w.puts.push_back({hire_key(hire_id, id), be64(static_cast<std::uint64_t>(send))});
    }
    write(w);
    return true;
  }

  void decide(TimePoint now, TickReport& report) {
    // Missed: due on an earlier local day than today (the scheduler was not
    // running then), or before a previous tick that did not send it.
    const std::int64_t last_tick = static_cast<std::int64_t>(get_u64("l"));
    const date::sys_days today_local = time.local_date(now);
    struct Due {
      std::string reminder;
      std::string hire;
      bool missed;
    };
    std::vector<Due> due;
    storage::value_or_throw(kv->scan("t", "t" + be64(static_cast<std::uint64_t>(us(now)) + 1),
                                     [&](const std::string& k, const std::string& v) {
                                       const auto send = static_cast<std::int64_t>(from_be64(k, 1));
                                       const bool missed =
                                           send <= last_tick ||
                                           time.local_date(from_us(send)) < today_local;
                                       due.push_back({k.substr(9), v, missed});
                                       return true;
                                     }),
                            "scanning due timers");
    if (due.empty()) return;
    const date::sys_days today = today_local;

    struct HireView {
      bool damaged = false;
      std::optional<LoadedHire> loaded;
      HireStatus status;
      std::map<std::string, PlannedReminder> plan;
    };
    std::map<std::string, HireView> hires;
    std::map<std::string, std::optional<UnitContacts>> units;
    // recipient e-mail -> (recipient, [(reminder, hire, missed)])
    struct Pending {
      Recipient to;
      std::vector<std::pair<ReminderForMessage, bool>> items;
    };
    std::map<std::string, Pending> by_recipient;
    KvWrite stale;
    for (const auto& d : due) {
      auto [it, fresh] = hires.try_emplace(d.hire);
      HireView& view = it->second;
      if (fresh) {
        try {
          view.loaded = engine.load(d.hire);
        } catch (const HireDamaged&) {
          view.damaged = true;
          ++report.damaged;
        }
        if (view.loaded) {
          view.status = project_status(d.hire, view.loaded->machine, today);
          for (auto& r :
               plan_reminders(view.status, *view.loaded->programme, view.loaded->registered_on)) {
            view.plan.emplace(r.id, std::move(r));
          }
        }
      }
      if (view.damaged) continue;  // kept pending: nothing is known to be done or due
      auto r = view.plan.find(d.reminder);
      if (r == view.plan.end() ||
          get("d" + d.reminder)) {  // done, on leave, gone: not a reminder any more
        auto h = get(hire_key(d.hire, d.reminder));
        stale.deletes.push_back(hire_key(d.hire, d.reminder));
        if (h)
          stale.deletes.push_back(timer_key(static_cast<std::int64_t>(from_be64(*h)), d.reminder));
        continue;
      }
      auto [u, unit_fresh] = units.try_emplace(view.status.hire.unit);
      if (unit_fresh) u->second = engine.unit(view.status.hire.unit);
      auto to = resolve_recipient(r->second, view.status, u->second);
      if (!to) {
        ++report.unresolved;  // stays pending until the unit's contacts are recorded
        continue;
      }
      auto& p = by_recipient[to->email];
      p.to = *to;
      p.items.push_back({ReminderForMessage{r->second, &view.status}, d.missed});
    }
    write(stale);

    // Read once for all of this pass's messages, with the units read above.
    const Channels channels{cfg.webhooks ? engine.webhooks() : std::vector<WebhookSubscription>{},
                            units};
    for (auto& [email, p] : by_recipient) {
      // On time and no digest: one message per reminder. A digest, or anything
      // missed while the scheduler was down: everything in one message.
      bool any_missed = false;
      for (const auto& item : p.items) any_missed |= item.second;
      if (any_missed || p.to.digest) {
        std::vector<ReminderForMessage> all;
        for (auto& item : p.items) all.push_back(item.first);
        record_message(compose(templates, p.to, all, today), all, any_missed, channels, report);
      } else {
        for (auto& item : p.items) {
          const std::vector<ReminderForMessage> one{item.first};
          record_message(compose(templates, p.to, one, today), one, false, channels, report);
        }
      }
    }
  }

  // What a pass's messages go out on besides e-mail: the webhooks, and each
  // hire's unit (decide() has read every unit of the hires it sends about).
  struct Channels {
    std::vector<WebhookSubscription> webhooks;
    const std::map<std::string, std::optional<UnitContacts>>& units;
  };

  void record_message(const OutgoingMessage& m, const std::vector<ReminderForMessage>& batch,
                      bool catch_up, const Channels& channels, TickReport& report) {
    NotificationRecord n{m.id,       "email",    audience_id(m.to.audience),
                         m.to.name,  m.to.email, m.to.language == Language::en ? "en" : "sv",
                         m.subject,  m.body,     m.reminder_ids,
                         m.hire_ids, catch_up,   {"email"}};
    std::set<std::string> municipalities;  // of the message's hires, when a webhook may ask
    if (!channels.webhooks.empty()) {
      for (const auto& rm : batch) {
        auto u = channels.units.find(rm.hire->hire.unit);
        municipalities.insert(u != channels.units.end() && u->second ? u->second->municipality
                                                                     : kDefaultMunicipality);
      }
    }
    for (const auto& w : channels.webhooks) {
      // "*" hears everything; a municipality's webhook only a message about its
      // hires alone: a digest that also names another's hire must not reach it.
      if (w.enabled &&
          (w.municipality == "*" || municipalities == std::set<std::string>{w.municipality}))
        n.channels.push_back("webhook:" + w.id);
    }
    std::uint64_t first_position = 0;
    for (const auto& hire : m.hire_ids) {
      storage::AppendRequest req{
          storage::StreamId(hire),
          storage::ExpectedVersion::any(),
          {storage::NewEvent{kNotificationDecided, 1,
                             encode_notification(notification_copy_for(n, hire)), clock.now(),
                             "scheduler"}},
          "notify/" + m.id + "/" + hire};
      auto r =
          storage::value_or_throw(engine.log().append(std::move(req)), "recording a notification");
      if (!first_position) first_position = r.first_position.value;
    }
    KvWrite w;
    for (const auto& rm : batch) {
      w.puts.push_back({"d" + rm.reminder.id, m.id});
      auto h = get(hire_key(rm.reminder.hire_id, rm.reminder.id));
      w.deletes.push_back(hire_key(rm.reminder.hire_id, rm.reminder.id));
      if (h)
        w.deletes.push_back(timer_key(static_cast<std::int64_t>(from_be64(*h)), rm.reminder.id));
    }
    if (!get("r" + m.id)) {
      w.puts.push_back({"r" + m.id, be64(first_position)});
      for (const auto& ch : n.channels)
        w.puts.push_back({outbox_key(m.id, ch), outbox_value(first_position, 0, 0)});
    }
    write(w, /*sync=*/true);
    report.reminders_decided += static_cast<int>(batch.size());
    ++report.messages_decided;
    if (catch_up) ++report.catch_up_messages;
  }

  void deliver(TimePoint now, TickReport& report) {
    struct Entry {
      std::string message;
      std::string channel;
      std::uint64_t position;
      std::uint32_t attempts;
    };
    std::vector<Entry> ready;
    storage::value_or_throw(kv->scan("o", "p",
                                     [&](const std::string& k, const std::string& v) {
                                       if (static_cast<std::int64_t>(from_be64(v, 8)) <= us(now)) {
                                         const auto sep = k.find('\x1f');
                                         ready.push_back({k.substr(1, sep - 1), k.substr(sep + 1),
                                                          from_be64(v), from_be32(v, 16)});
                                       }
                                       return true;
                                     }),
                            "scanning the outbox");
    std::optional<std::vector<WebhookSubscription>> subscriptions;
    const auto wall = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(now.time_since_epoch()));
    for (const auto& e : ready) {
      auto events = storage::value_or_throw(
          engine.log().read_all(storage::GlobalPosition{e.position}, 1), "reading a notification");
      if (events.empty() || events.front().type != kNotificationDecided) continue;
      const NotificationRecord n = decode_notification(events.front().payload);
      DeliveryResult result;
      if (e.channel == "email") {
        MailMessage msg;
        const auto at = cfg.sender.email.find('@');
        msg.message_id =
            n.message_id + "@" +
            (at == std::string::npos ? "journey.local" : cfg.sender.email.substr(at + 1));
        msg.from = cfg.sender;
        msg.to = {n.to_name, n.to_email};
        msg.subject = n.subject;
        msg.text = n.body;
        msg.date = wall;
        msg.language = n.language;
        result = mail.send(msg);
      } else {
        if (!subscriptions) subscriptions = engine.webhooks();
        const std::string id = e.channel.substr(8);
        auto sub = std::find_if(subscriptions->begin(), subscriptions->end(),
                                [&](const WebhookSubscription& w) { return w.id == id; });
        if (!cfg.webhooks || sub == subscriptions->end() || !sub->enabled) {
          result = {
              DeliveryResult::Outcome::gone, 0, "the subscription is disabled or removed", {}};
        } else {
          WebhookEndpoint endpoint{
              sub->id, sub->url,
              cfg.webhook_secrets ? cfg.webhook_secrets(sub->id) : std::vector<std::string>{}};
          // CloudEvents 1.0 (the sender encodes the envelope); the id is the
          // message's, stable across retries.
          WebhookEvent event{
              n.message_id,
              cfg.event_source,
              std::string("se.journey.notification.") + (n.catch_up ? "catch_up" : "decided"),
              n.hire_ids.empty() ? "" : n.hire_ids.front(),
              rfc3339(events.front().recorded_at),
              ""};
          try {
            event.data_json = nlohmann::json{
                {"message_id", n.message_id},
                {"audience", n.audience},
                {"to", {{"name", n.to_name}, {"email", n.to_email}}},
                {"language", n.language},
                {"subject", n.subject},
                {"body", n.body},
                {"reminders", n.reminder_ids},
                {"hires",
                 n.hire_ids}}.dump();
            result = cfg.webhooks->post(endpoint, WebhookMessage{n.message_id, event, wall});
          } catch (const nlohmann::json::exception& e) {
            // Text that is not UTF-8 cannot be JSON: no attempt will do better.
            result = {DeliveryResult::Outcome::rejected,
                      0,
                      std::string("not sent: the message is not valid JSON text: ") + e.what(),
                      {}};
          }
          if (result.outcome == DeliveryResult::Outcome::gone) {
            WebhookSubscription disabled = *sub;
            disabled.enabled = false;
            disabled.disabled_reason = "HTTP 410 Gone from " + sub->url;
            engine.set_webhook(disabled, {"scheduler", "", std::nullopt});
            subscriptions.reset();
          }
        }
      }

      DeliveryRecord d{n.message_id,
                       e.channel,
                       static_cast<int>(e.attempts) + 1,
                       "",
                       result.code,
                       result.detail,
                       0,
                       n.message_id + "/" + e.channel + "/" + std::to_string(us(clock.now()))};
      switch (result.outcome) {
        case DeliveryResult::Outcome::delivered:
          d.outcome = "delivered";
          ++report.delivered;
          break;
        case DeliveryResult::Outcome::rejected:
          d.outcome = "rejected";
          ++report.failed;
          break;
        case DeliveryResult::Outcome::gone:
          d.outcome = "gone";
          ++report.failed;
          break;
        case DeliveryResult::Outcome::retry:
          if (d.attempt >= cfg.max_attempts) {
            d.outcome = "dead_letter";
            ++report.failed;
          } else {
            d.outcome = "retry";
            d.next_attempt_us = us(now) + std::chrono::duration_cast<std::chrono::microseconds>(
                                              cfg.backoff(d.attempt, result.retry_after))
                                              .count();
            ++report.retried;
          }
          break;
      }
      // Each attempt is a fact of its own (a redelivery counts attempts again),
      // keyed by its attempt id on every hire's stream.
      complete_fan_out(kDeliveryAttempted, encode_delivery(d), n.hire_ids,
                       "delivery/" + d.attempt_id + "/");
      apply_delivery(d);
    }
  }
};

ReminderScheduler::ReminderScheduler(JourneyEngine& engine, const MunicipalTime& time,
                                     const Templates& templates, MailTransport& mail,
                                     const Clock& clock, SchedulerConfig config,
                                     std::unique_ptr<storage::KvStore> index)
    : impl_(std::make_unique<Impl>(
          Impl{engine, time, templates, mail, clock, std::move(config), std::move(index)})) {
  if (!impl_->cfg.backoff) impl_->cfg.backoff = default_backoff;
}

ReminderScheduler::~ReminderScheduler() = default;

TickReport ReminderScheduler::tick() {
  Impl& s = *impl_;
  TickReport report;
  const TimePoint now = s.clock.now();
  const date::sys_days today = s.time.local_date(now);
  std::set<std::string> dirty = s.fold();
  const auto day_number = static_cast<std::uint64_t>(today.time_since_epoch().count());
  if (s.get_u64("p") != day_number) {
    for (const auto& h : s.engine.hires()) dirty.insert(h);
    s.write(KvWrite{{{"p", be64(day_number)}}, {}});
  }
  for (const auto& h : dirty)
    if (!s.replan(h, today, now)) ++report.damaged;
  report.hires_replanned = static_cast<int>(dirty.size());
  if (!s.in_office_hours(now)) {
    report.outside_office_hours = true;
    return report;  // nothing is decided or sent at night, on weekends or holidays
  }
  s.decide(now, report);
  s.write(KvWrite{{{"l", be64(static_cast<std::uint64_t>(us(now)))}}, {}}, /*sync=*/true);
  s.deliver(now, report);
  return report;
}

void ReminderScheduler::rebuild() {
  storage::value_or_throw(impl_->kv->clear(), "clearing the scheduler index");
}

CommandOutcome ReminderScheduler::redeliver(
    const std::string& message_id, const std::string& actor,
    const std::function<bool(const std::string& channel)>& may) {
  Impl& s = *impl_;
  std::vector<std::pair<std::string, std::uint64_t>> dead;  // channel, position
  storage::value_or_throw(s.kv->scan("x" + message_id + '\x1f', "x" + message_id + '\x20',
                                     [&](const std::string& k, const std::string& v) {
                                       std::string channel = k.substr(message_id.size() + 2);
                                       if (!may || may(channel))
                                         dead.push_back({std::move(channel), from_be64(v)});
                                       return true;
                                     }),
                          "scanning dead letters");
  CommandOutcome o;
  if (dead.empty()) {
    o.kind = CommandOutcome::Kind::refused;
    o.refusal = Refusal{"not_dead_letter", {{"message", message_id}}};
    return o;
  }
  for (const auto& [channel, position] : dead) {
    auto events = storage::value_or_throw(
        s.engine.log().read_all(storage::GlobalPosition{position}, 1), "reading a notification");
    if (events.empty() || events.front().type != kNotificationDecided) {
      throw std::runtime_error("the notification of " + message_id + " at position " +
                               std::to_string(position) + " cannot be read" +
                               (events.empty() ? "" : ": " + events.front().damage));
    }
    const NotificationRecord n = decode_notification(events.front().payload);
    DeliveryRecord d{
        message_id, channel,
        0,          "redeliver",
        0,          "redelivery requested by " + actor,
        0,          message_id + "/" + channel + "/redeliver/" + std::to_string(us(s.clock.now()))};
    for (const auto& hire : n.hire_ids) {
      storage::AppendRequest req{
          storage::StreamId(hire),
          storage::ExpectedVersion::any(),
          {storage::NewEvent{kDeliveryAttempted, 1, encode_delivery(d), s.clock.now(), actor}},
          "delivery/" + d.attempt_id + "/" + hire};
      auto r =
          storage::value_or_throw(s.engine.log().append(std::move(req)), "recording a redelivery");
      o.hire_id = hire;
      o.position = r.last_position.value;
    }
    s.apply_delivery(d);
  }
  o.kind = CommandOutcome::Kind::accepted;
  return o;
}

std::size_t ReminderScheduler::pending_timers() {
  std::size_t n = 0;
  storage::value_or_throw(
      impl_->kv->scan("t", "u", [&](const std::string&, const std::string&) { return ++n, true; }),
      "counting timers");
  return n;
}

std::size_t ReminderScheduler::dead_letters() {
  std::size_t n = 0;
  storage::value_or_throw(
      impl_->kv->scan("x", "y", [&](const std::string&, const std::string&) { return ++n, true; }),
      "counting dead letters");
  return n;
}

std::optional<TimePoint> ReminderScheduler::next_due() {
  std::optional<TimePoint> next;
  storage::value_or_throw(impl_->kv->scan("t", "u",
                                          [&](const std::string& k, const std::string&) {
                                            next =
                                                from_us(static_cast<std::int64_t>(from_be64(k, 1)));
                                            return false;
                                          }),
                          "finding the next timer");
  return next;
}

}  // namespace journey::engine
