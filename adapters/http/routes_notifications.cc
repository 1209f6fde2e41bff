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
// their records' order, so rows come sorted and nothing is held back. The
// views' outcome and webhook indexes keep the same order.
using NoteKey = std::tuple<std::string, std::string, std::uint64_t, std::size_t>;

// The key a cursor's fields name; std::nullopt if they are not one.
std::optional<NoteKey> note_after(const std::vector<std::string>& f) {
  const auto version = whole_number(f[2], 19);
  const auto index = whole_number(f[3], 6);
  if (!engine::is_hire_id(f[1]) || !version || !index) return std::nullopt;
  return NoteKey{f[0], f[1], *version, static_cast<std::size_t>(*index)};
}

// What GET /v1/notifications keeps: rows of one outcome ("failed": any of
// rejected, gone, dead_letter) and of one webhook; empty: any.
struct NoteFilter {
  std::string outcome;
  std::string webhook;
  bool keeps(const engine::NotificationRow& r) const {
    if (!outcome.empty() &&
        !(outcome == r.outcome || (outcome == "failed" && engine::failed_outcome(r.outcome))))
      return false;
    return webhook.empty() || r.channel == "webhook:" + webhook;
  }
};

json row_json(const std::string& hire, const engine::NotificationRow& r) {
  return json{{"message_id", r.message_id},
              {"channel", r.channel},
              {"hire", hire},
              {"decided_at", iso_time(TimePoint(std::chrono::microseconds(r.decided_at_us)))},
              {"audience", r.audience},
              {"to", r.to_email},
              {"subject", r.subject},
              {"outcome", r.outcome},
              {"attempts", r.attempts},
              {"code", r.code},
              {"detail", r.detail},
              {"catch_up", r.catch_up}};
}

// The rows of GET /v1/notifications, gathered in the page's order.
struct NoteRows {
  NoteRows(const Ctx& c, engine::JourneyEngine& engine, NoteFilter f, std::size_t page)
      : filter(std::move(f)), limit(page), shows{c, engine, std::nullopt} {}

  NoteFilter filter;
  std::size_t limit;
  std::optional<NoteKey> after;
  ChannelView shows;
  json rows = json::array();
  std::optional<NoteKey> next;  // set when the page is full and another row exists

  // Every row of a listed hire; false when a row past the page was found.
  bool add_hire(ApiContext& api, const Listed& l, date::sys_days today) {
    if (!l.summary) return true;  // a damaged hire lists no notifications
    const std::string& h = l.id.hire_id;
    if (after && std::tie(l.id.unit, h) < std::tie(std::get<0>(*after), std::get<1>(*after)))
      return true;
    auto found = api.notification_rows(h, today);
    if (!found) return true;
    for (const auto& r : *found)
      if (!add(l.id.unit, h, r)) return false;
    return true;
  }
  // One row, if kept and seen; false when it is past the page.
  bool add(const std::string& unit, const std::string& hire, const engine::NotificationRow& r) {
    if (!filter.keeps(r) || !shows(r.channel)) return true;
    NoteKey key{unit, hire, r.version, r.index};
    if (after && !(key > *after)) return true;
    if (rows.size() == limit) return false;  // a row past the page: there is a next
    rows.push_back(row_json(hire, r));
    next = std::move(key);
    return true;
  }
};

// A filtered list read from the views' outcome or webhook index: only the
// rows that match are visited, not every hire the principal may read. Each
// row is checked against the hire's rows now (the index is as of the last
// apply()); false when a row past the page was found.
bool add_indexed(ApiContext& api, const Principal& p, NoteRows& found, date::sys_days today) {
  engine::HireViews& views = *api.hooks.views;
  std::map<std::string, std::string> munis;
  const auto walk = api.unit_walk(p, munis);
  const char by = found.filter.outcome.empty() ? 'w' : 'o';
  const std::string& value = by == 'o' ? found.filter.outcome : found.filter.webhook;
  std::optional<engine::NoteRef> after;
  if (found.after) {
    const auto& [unit, hire, version, index] = *found.after;
    after = engine::NoteRef{unit, hire, version, static_cast<std::uint32_t>(index)};
  }
  // The (unit, hire) whose rows `rows` holds: a hire moved during the scan
  // is asked again under its new unit.
  std::pair<std::string, std::string> at;
  std::optional<std::vector<engine::NotificationRow>> rows;
  bool full = false;
  auto visit = [&](const engine::NoteRef& n) {
    if (at.first != n.unit || at.second != n.hire) {
      at = {n.unit, n.hire};
      rows.reset();
      auto l = api.listed(p, n.hire, today, munis);
      // A key left by a move is passed over: the hire is listed under its unit now.
      if (l && l->summary && l->id.unit == n.unit) {
        auto notes = views.notifications(n.hire, today);
        if (notes && notes->unit == n.unit) rows = std::move(notes->rows);
      }
    }
    if (!rows) return true;
    auto it = std::lower_bound(rows->begin(), rows->end(), n,
                               [](const engine::NotificationRow& r, const engine::NoteRef& k) {
                                 return std::tie(r.version, r.index) < std::tie(k.version, k.index);
                               });
    if (it == rows->end() || it->version != n.version || it->index != n.index) return true;
    full = !found.add(n.unit, n.hire, *it);
    return !full;
  };
  if (walk->units) {
    for (const auto& u : *walk->units)
      if (!full && (!after || u >= after->unit))
        views.scan_notes(by, value, u, after, nullptr, visit);
  } else {
    views.scan_notes(by, value, "", after, walk->skip, visit);
  }
  return !full;
}

Response list_notifications(ApiContext& api, Ctx& c) {
  NoteFilter filter;
  filter.outcome = c.query.count("outcome") ? c.query["outcome"] : "";
  static const std::vector<std::string> known = {"",       "pending",     "delivered", "retry",
                                                 "failed", "dead_letter", "redeliver"};
  if (std::find(known.begin(), known.end(), filter.outcome) == known.end())
    return c.fail(400, "bad_parameter",
                  c.t("outcome ska vara pending, delivered, retry, failed, dead_letter eller "
                      "redeliver",
                      "outcome must be pending, delivered, retry, failed, dead_letter or "
                      "redeliver"),
                  "parameter", "outcome");
  filter.webhook = c.query.count("webhook") ? c.query["webhook"] : "";
  if (!filter.webhook.empty() && !engine::is_webhook_id(filter.webhook))
    return c.fail(400, "bad_parameter",
                  c.t("webhook ska vara ett webhook-id: wh- och 1–40 av a–z, 0–9 och -",
                      "webhook must be a webhook id: wh- and 1-40 of a-z, 0-9 and -"),
                  "parameter", "webhook");
  std::optional<Response> err;
  const auto page = page_of(c, 4, err);
  if (err) return *err;
  NoteRows found(c, api.engine, filter, page.limit);
  if (page.after) {
    found.after = note_after(*page.after);
    if (!found.after) return bad_cursor(c);
  }
  const auto today = api.engine.today();
  std::map<std::string, std::string> munis;  // unit -> municipality
  bool full = false;                         // a row past the page was found
  // A webhook this principal does not manage (or none): no row of it is hers.
  const bool hidden = !filter.webhook.empty() && !found.shows("webhook:" + filter.webhook);
  bool indexed = !hidden && api.hooks.views && !c.query.count("hire") &&
                 (!filter.outcome.empty() || !filter.webhook.empty()) &&
                 c.principal->role != AccessRole::introducer;
  if (indexed) {
    try {
      api.hooks.views->apply();  // the index holds every row committed before this read
      full = !add_indexed(api, *c.principal, found, today);
    } catch (const std::exception&) {
      // The views cannot be read or written (a full disk): the page from the hires.
      indexed = false;
      found.rows = json::array();
      found.next.reset();
      full = false;
    }
  }
  if (hidden || indexed) {
    // Answered.
  } else if (c.query.count("hire")) {
    if (auto l = api.listed(*c.principal, c.query["hire"], today, munis))
      full = !found.add_hire(api, *l, today);
  } else {
    // The hires the caller may read, in the lists' order (unit, hire id),
    // from the cursor's hire on: (unit, its id less its last character) is
    // just before it in the visit order; add_hire() skips what lies between.
    After from;
    if (found.after) {
      const std::string& hire = std::get<1>(*found.after);
      from = After{std::get<0>(*found.after), hire.substr(0, hire.size() - 1)};
    }
    api.visit_readable(*c.principal, "", from, today, [&](Listed& l) {
      full = !found.add_hire(api, l, today);
      return !full;
    });
  }
  Response r = json_response(200, found.rows);
  if (full && found.next) {
    const auto& [unit, hire, version, index] = *found.next;
    r.headers.push_back(
        {"Link", next_link(c, "/v1/notifications", page.limit,
                           {unit, hire, std::to_string(version), std::to_string(index)},
                           {"hire", "outcome", "webhook"})});
  }
  return r;
}

// Whether a message of that id exists among the hires, and whether `p` may
// see one of its copies (a copy names only its own hire).
// With the views, one look at their message index (every hire with a record
// of it, the owner and each copy's); without, every hire's records.
std::pair<bool, bool> find_message(ApiContext& api, const Principal& p, const std::string& id) {
  if (api.hooks.views) {
    try {
      api.hooks.views->apply();  // a message decided just before is in the index
      // Each hire is asked for its rows now: a key the index kept by
      // mistake (rows that no longer decode) lets no one in.
      std::vector<std::string> hires;
      for (auto& h : api.hooks.views->hires_of_message(id)) {
        auto rows = api.notification_rows(h, api.engine.today());
        if (rows && std::any_of(rows->begin(), rows->end(), [&](const engine::NotificationRow& r) {
              return r.message_id == id;
            }))
          hires.push_back(std::move(h));
      }
      return {!hires.empty(), !hires.empty() && api.may_see_message(p, hires)};
    } catch (const std::exception&) {
      // The views cannot be read (a full disk): ask the log.
    }
  }
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
      engine::NotificationRecord n;
      try {
        n = engine::decode_notification(r.payload);
      } catch (const std::exception&) {
        continue;  // one record that does not decode hides no other
      }
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
