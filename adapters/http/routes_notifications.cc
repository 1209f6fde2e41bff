// Notifications: what was decided for the hires a principal may read and how
// each channel's delivery went, a page at a time; an admin redelivers a dead letter.
#include <algorithm>
#include <tuple>

#include "api_routes.h"
#include "journey/engine/scheduler.h"

namespace journey::http {

namespace {

// Which delivery channels a principal may see (and redeliver): e-mail with
// the hire; a webhook only as an admin of the webhook's municipality, the
// one who may manage it (its URL host and its answers are that admin's
// business, not a unit head's or another municipality's). "*" webhooks are
// the all-municipality admin's: is_admin_of(p, "*") holds for it alone.
struct ChannelView {
  const Ctx& c;
  engine::JourneyEngine& engine;
  std::optional<std::map<std::string, std::string>> hook_municipality;  // id -> municipality
  bool operator()(const std::string& channel) {
    if (channel.rfind("webhook:", 0) != 0) return true;
    if (!hook_municipality) {
      hook_municipality.emplace();
      for (const auto& w : engine.webhooks()) (*hook_municipality)[w.id] = w.municipality;
    }
    auto it = hook_municipality->find(channel.substr(8));
    return it != hook_municipality->end() && engine::is_admin_of(*c.principal, it->second);
  }
};

// The order, and the cursor's fields: (unit, hire, the decision's stream
// version, the channel's place in it); the visit order of the hires, then
// their records' order, so rows come sorted and nothing is held back.
using NoteKey = std::tuple<std::string, std::string, std::uint64_t, std::size_t>;

// The key a cursor's fields name; std::nullopt if they are not one.
std::optional<NoteKey> note_after(const std::vector<std::string>& f) {
  const auto version = whole_number(f[2], 19);
  const auto index = whole_number(f[3], 6);
  if (!engine::is_hire_id(f[1]) || !version || !index) return std::nullopt;
  return NoteKey{f[0], f[1], *version, static_cast<std::size_t>(*index)};
}

// The last delivery attempt of each (message, channel) of a hire.
std::map<std::string, engine::DeliveryRecord> last_attempts(const engine::LoadedHire& loaded) {
  std::map<std::string, engine::DeliveryRecord> last;
  for (const auto& r : loaded.notifications)
    if (r.type == engine::kDeliveryAttempted) {
      auto d = engine::decode_delivery(r.payload);
      last[d.message_id + "\x1f" + d.channel] = d;
    }
  return last;
}

// The rows of GET /v1/notifications, gathered hire by hire in the page's order.
struct NoteRows {
  NoteRows(const Ctx& c, engine::JourneyEngine& engine, std::string outcome, std::size_t page)
      : outcome_filter(std::move(outcome)), limit(page), shows{c, engine, std::nullopt} {}

  std::string outcome_filter;
  std::size_t limit;
  std::optional<NoteKey> after;
  ChannelView shows;
  json rows = json::array();
  std::optional<NoteKey> next;  // set when the page is full and another row exists

  // False when a row past the page was found.
  bool add_hire(engine::JourneyEngine& engine, const Listed& l);
  bool add_channels(const Listed& l, const storage::RecordedEvent& r,
                    const std::map<std::string, engine::DeliveryRecord>& last);
};

bool NoteRows::add_hire(engine::JourneyEngine& engine, const Listed& l) {
  if (!l.summary) return true;
  const std::string& h = l.id.hire_id;
  if (after && std::tie(l.id.unit, h) < std::tie(std::get<0>(*after), std::get<1>(*after)))
    return true;
  std::optional<engine::LoadedHire> loaded;
  try {
    loaded = engine.load(h);
  } catch (const engine::HireDamaged&) {
    return true;
  }
  if (!loaded) return true;
  const auto last = last_attempts(*loaded);
  for (const auto& r : loaded->notifications) {
    if (r.type != engine::kNotificationDecided) continue;
    if (!add_channels(l, r, last)) return false;
  }
  return true;
}

// One row per channel of the decision `r` that the principal may see.
bool NoteRows::add_channels(const Listed& l, const storage::RecordedEvent& r,
                            const std::map<std::string, engine::DeliveryRecord>& last) {
  const std::string& h = l.id.hire_id;
  auto n = engine::decode_notification(r.payload);
  std::vector<std::string> channels = n.channels;
  if (channels.empty()) channels.push_back(n.channel);
  for (std::size_t index = 0; index < channels.size(); ++index) {
    const std::string& ch = channels[index];
    if (!shows(ch)) continue;
    NoteKey key{l.id.unit, h, r.version.value, index};
    if (after && !(key > *after)) continue;
    auto it = last.find(n.message_id + "\x1f" + ch);
    std::string outcome = it == last.end() ? "pending" : it->second.outcome;
    const bool failed = outcome == "rejected" || outcome == "gone" || outcome == "dead_letter";
    if (!outcome_filter.empty() &&
        !(outcome_filter == outcome || (outcome_filter == "failed" && failed)))
      continue;
    rows.push_back({{"message_id", n.message_id},
                    {"channel", ch},
                    {"hire", h},
                    {"decided_at", iso_time(r.recorded_at)},
                    {"audience", n.audience},
                    {"to", n.to_email},
                    {"subject", n.subject},
                    {"outcome", outcome},
                    {"attempts", it == last.end() ? 0 : it->second.attempt},
                    {"code", it == last.end() ? 0 : it->second.code},
                    {"detail", it == last.end() ? "" : it->second.detail},
                    {"catch_up", n.catch_up}});
    if (rows.size() > limit) {  // one row past the page: there is a next
      rows.erase(rows.size() - 1);
      return false;
    }
    next = std::move(key);
  }
  return true;
}

Response list_notifications(ApiContext& api, Ctx& c) {
  std::string outcome_filter = c.query.count("outcome") ? c.query["outcome"] : "";
  static const std::vector<std::string> known = {"",       "pending",     "delivered", "retry",
                                                 "failed", "dead_letter", "redeliver"};
  if (std::find(known.begin(), known.end(), outcome_filter) == known.end())
    return c.fail(400, "bad_parameter",
                  c.t("outcome ska vara pending, delivered, retry, failed, dead_letter eller "
                      "redeliver",
                      "outcome must be pending, delivered, retry, failed, dead_letter or "
                      "redeliver"),
                  "parameter", "outcome");
  std::optional<Response> err;
  const auto page = page_of(c, 4, err);
  if (err) return *err;
  NoteRows found(c, api.engine, outcome_filter, page.limit);
  if (page.after) {
    found.after = note_after(*page.after);
    if (!found.after) return bad_cursor(c);
  }
  const auto today = api.engine.today();
  std::map<std::string, std::string> munis;  // unit -> municipality
  bool full = false;                         // a row past the page was found
  // The hires the caller may read, in the lists' order (unit, hire id);
  // one alone when asked for.
  if (c.query.count("hire")) {
    if (auto l = api.listed(*c.principal, c.query["hire"], today, munis))
      full = !found.add_hire(api.engine, *l);
  } else {
    // From the cursor's hire on: (unit, its id less its last character) is
    // just before it in the visit order; add_hire() skips what lies between.
    After from;
    if (found.after) {
      const std::string& hire = std::get<1>(*found.after);
      from = After{std::get<0>(*found.after), hire.substr(0, hire.size() - 1)};
    }
    api.visit_readable(*c.principal, "", from, today, [&](Listed& l) {
      full = !found.add_hire(api.engine, l);
      return !full;
    });
  }
  Response r = json_response(200, found.rows);
  if (full && found.next) {
    const auto& [unit, hire, version, index] = *found.next;
    r.headers.push_back(
        {"Link", next_link(c, "/v1/notifications", page.limit,
                           {unit, hire, std::to_string(version), std::to_string(index)},
                           {"hire", "outcome"})});
  }
  return r;
}

// Whether a message of that id exists among the hires, and whether `p` may
// see one of its copies (a copy names only its own hire).
std::pair<bool, bool> find_message(ApiContext& api, const Principal& p, const std::string& id) {
  bool seen = false, exists = false;
  for (const auto& h : api.engine.hires()) {
    std::optional<engine::LoadedHire> loaded;
    try {
      loaded = api.engine.load(h);
    } catch (const engine::HireDamaged&) {
      continue;  // one damaged hire must not stop redelivery for the others
    }
    if (!loaded) continue;
    for (const auto& r : loaded->notifications) {
      if (r.type != engine::kNotificationDecided) continue;
      auto n = engine::decode_notification(r.payload);
      if (n.message_id != id) continue;
      exists = true;
      if (api.may_see_message(p, n.hire_ids.empty() ? std::vector<std::string>{h} : n.hire_ids))
        seen = true;
    }
    if (seen) break;  // a copy names only its own hire: look on until one may be seen
  }
  return {exists, seen};
}

Response redeliver(ApiContext& api, Ctx& c) {
  if (c.principal->role != AccessRole::admin)
    return forbidden(c, c.t("Bara en administratör får skicka om", "Only an admin may redeliver"));
  // The admin must see one of the message's hires.
  const auto [exists, seen] = find_message(api, *c.principal, c.params["message"]);
  if (!exists || !seen)
    return c.fail(
        404, "unknown_message",
        std::string(c.t("Inget meddelande med id ", "No message with id ")) + c.params["message"]);
  if (!api.hooks.redeliver)
    return c.fail(503, "no_scheduler",
                  c.t("schemaläggaren körs inte", "the scheduler is not running"));
  ChannelView may{c, api.engine, std::nullopt};
  auto o = api.hooks.redeliver(c.params["message"], c.principal->actor(),
                               [&may](const std::string& ch) { return may(ch); });
  if (!o.ok())
    return c.fail(409, "not_dead_letter",
                  std::string(c.t("Meddelandet är inte en död försändelse: ",
                                  "The message is not a dead letter: ")) +
                      c.params["message"]);
  return json_response(202, json{{"message_id", c.params["message"]}, {"queued", true}});
}

}  // namespace

void add_notification_routes(RouteTable& t) {
  t.add("GET", "/v1/notifications", list_notifications);
  t.add("POST", "/v1/notifications/{message}/redeliver", redeliver);
}

}  // namespace journey::http
