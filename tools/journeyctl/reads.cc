// `status` and `history`: one hire's journey as it stands, and every record
// behind it, optionally as known (or as in effect) at an earlier date.
#include <iostream>

#include "cli.h"
#include "journey/adapters/http_json.h"
#include "journey/engine/scheduler.h"  // the notification records

namespace journey::ctl {

namespace {

struct ReadOptions {
  std::string hire, as_of;
  bool effective = false;
};

std::string iso_week(date::sys_days monday) { return date::format("%G-W%V", monday); }

std::optional<AsOf> as_of_option(const Cli& cli, const ReadOptions& o) {
  if (o.as_of.empty()) return std::nullopt;
  return AsOf{cli.parse_day(o.as_of, "--as-of"),
              o.effective ? AsOf::Basis::effective : AsOf::Basis::recorded};
}

void print_status_head(const Cli& cli, const HireStatus& s) {
  const Language L = cli.language();
  std::cout << s.hire.name << " <" << s.hire.email << ">  " << s.hire_id << '\n'
            << cli.t("Enhet: ", "Unit: ") << s.hire.unit << "   Start: " << day(s.hire.start)
            << cli.t("   Program: ", "   Programme: ") << s.hire.programme_id << " v"
            << s.hire.programme_version
            << (s.hire.experienced ? cli.t("   (erfaren)", "   (experienced)") : "") << '\n'
            << cli.t("Läge: ", "State: ") << state_title(s.lifecycle, L)
            << cli.t("   per ", "   as of ") << day(s.as_of) << '\n'
            << cli.t("Introduktör: ", "Introducer: ")
            << (s.introducer ? s.introducer->introducer.name : "–")
            << "   Mentor: " << (s.mentor ? s.mentor->name : "–")
            << cli.t("   Ersättare: ", "   Replacement: ")
            << (s.mentor_replacement ? s.mentor_replacement->name : "–") << '\n';
  if (!s.leaves.empty()) {
    std::cout << cli.t("Ledighet: ", "Leave: ") << s.leave_days << cli.t(" dagar", " days");
    for (const auto& l : s.leaves) {
      std::cout << " (" << l.kind << " " << day(l.from) << " – "
                << (l.back_on ? day(*l.back_on) : "") << ")";
    }
    std::cout << '\n';
  }
  std::cout << '\n';
}

void print_status_parts(const Cli& cli, const HireStatus& s) {
  const Language L = cli.language();
  Table parts({cli.t("Del", "Part"), cli.t("Läge", "State"), cli.t("Klart", "Done")});
  for (const auto& p : s.parts) {
    parts.add({part_title(p.part, L), state_title(p.state, L),
               std::to_string(p.done) + "/" + std::to_string(p.total)});
  }
  parts.print(std::cout);
  std::cout << '\n';
  Table roles({cli.t("Ansvar", "Role"), cli.t("Klart", "Done"), cli.t("Totalt", "Total"), "EJ"});
  for (const auto& r : s.roles) {
    roles.add({role_code(r.role), std::to_string(r.done), std::to_string(r.total),
               std::to_string(r.waived)});
  }
  roles.print(std::cout);
  std::cout << '\n';
}

void print_status_deadlines(const Cli& cli, const HireStatus& s) {
  Table dl({"Id", cli.t("Tidsgräns", "Due"), cli.t("Flyttad till", "Moved to"), "Status",
            cli.t("Beskrivning", "Title")});
  for (const auto& d : s.deadlines) {
    dl.add({d.id, day(d.nominal), d.due != d.nominal ? day(d.due) : "",
            d.met       ? cli.t("klar", "met")
            : d.overdue ? cli.t("FÖRSENAD", "OVERDUE")
                        : cli.t("öppen", "open"),
            d.title});
  }
  dl.print(std::cout);
  if (s.next_deadline) {
    std::cout << '\n'
              << cli.t("Nästa: ", "Next: ") << day(s.next_deadline->due) << "  "
              << s.next_deadline->title << " (" << s.next_deadline->id << ")\n";
  }
  if (!s.overdue_items.empty()) {
    std::cout << '\n'
              << cli.t("Försenade moment", "Overdue items") << " (" << s.overdue_items.size()
              << "):\n";
    Table od({"Id", cli.t("Ansvar", "Role"), cli.t("Senast", "Due"), cli.t("Moment", "Item")});
    for (const auto& i : s.overdue_items) od.add({i.id, role_code(i.role), day(i.due), i.text});
    od.print(std::cout);
  }
}

void print_status_hours(const Cli& cli, const HireStatus& s) {
  if (s.weeks.empty()) return;
  std::cout << '\n'
            << cli.t("Introduktörstimmar: skuld ", "Introducer hours: owed ") << num(s.hours_owed)
            << cli.t(" h, loggat ", " h, logged ") << num(s.hours_logged)
            << cli.t(" h, saldo ", " h, balance ") << num(s.hours_logged - s.hours_owed) << " h\n";
  Table w({cli.t("Vecka", "Week"), cli.t("Skuld", "Owed"), cli.t("Loggat", "Logged")});
  const std::size_t from = s.weeks.size() > 8 ? s.weeks.size() - 8 : 0;
  for (std::size_t i = from; i < s.weeks.size(); ++i) {
    w.add({iso_week(s.weeks[i].monday), num(s.weeks[i].owed), num(s.weeks[i].logged)});
  }
  w.print(std::cout);
  if (from > 0)
    std::cout << cli.t("(de senaste 8 veckorna; --json visar alla)\n",
                       "(last 8 weeks; --json shows all)\n");
}

int run_status(const Cli& cli, const ReadOptions& o) {
  auto store = cli.open_reader();
  cli.require_hire(*store->engine, o.hire);
  const auto as_of = as_of_option(cli, o);
  auto s = store->engine->status(o.hire, store->engine->today(), as_of);
  if (!s)
    fail(kRefused,
         cli.t("Den nyanställda var inte registrerad per ", "The hire was not registered as of ") +
             o.as_of);
  if (cli.json) {
    std::cout << http::status_json(*s).dump(2) << '\n';
    return kDone;
  }
  print_status_head(cli, *s);
  print_status_parts(cli, *s);
  print_status_deadlines(cli, *s);
  print_status_hours(cli, *s);
  return kDone;
}

std::string recorded_second(const TimePoint& t) {
  return date::format("%F %T", std::chrono::time_point_cast<std::chrono::seconds>(t));
}

void add_event_rows(const Cli& cli, const LoadedHire& h, Table& t, json& j) {
  for (std::size_t i = 0; i < h.records.size(); ++i) {
    const auto& r = h.records[i];
    const auto& e = h.entries[i];
    const std::string eff = day(engine::swedish_day(r.effective_at));
    const std::string hash = storage::to_hex(r.hash);
    t.add(
        {std::to_string(r.position.value), std::to_string(r.version.value),
         recorded_second(r.recorded_at), eff, r.actor, event_title(r.type, cli.language()),
         e.damage.empty() ? e.details : e.details + cli.t(" — SKADAD: ", " — DAMAGED: ") + e.damage,
         hash.substr(0, 12)});
    const std::string rec_iso = date::format(
        "%FT%TZ", std::chrono::time_point_cast<std::chrono::microseconds>(r.recorded_at));
    j.push_back({{"position", r.position.value},
                 {"version", r.version.value},
                 {"recorded_at", rec_iso},
                 {"effective_at", eff},
                 {"actor", r.actor},
                 {"type", r.type},
                 {"details", e.details},
                 {"idempotency_key", r.idempotency_key},
                 {"hash", hash},
                 {"prev_hash", storage::to_hex(r.prev_hash)}});
    if (e.correction) {
      j.back()[e.correction->replacement ? "corrects" : "retracts"] = e.correction->version;
      j.back()["reason"] = e.correction->reason;
      if (e.correction->replacement)
        j.back()["replacement"] = http::event_json(*e.correction->replacement);
    } else if (e.superseded_by) {
      j.back()[e.retracted ? "retracted_by" : "corrected_by"] = e.superseded_by;
    }
    if (!e.damage.empty()) j.back()["damage"] = e.damage;
  }
}

void add_notification_rows(const Cli& cli, const LoadedHire& h, Table& t, json& j) {
  for (const auto& r : h.notifications) {
    std::string details;
    if (r.type == kNotificationDecided) {
      auto n = decode_notification(r.payload);
      details = n.message_id + cli.t(" till ", " to ") + n.to_email + ": " + n.subject;
    } else {
      auto d = decode_delivery(r.payload);
      details = d.message_id + cli.t(" försök ", " attempt ") + std::to_string(d.attempt) + ": " +
                d.outcome + (d.code ? " (" + std::to_string(d.code) + ")" : "") +
                (d.detail.empty() ? "" : " " + d.detail);
    }
    const std::string title = r.type == kNotificationDecided
                                  ? cli.t("Påminnelse beslutad", "Notification decided")
                                  : cli.t("Leveransförsök", "Delivery attempt");
    t.add({std::to_string(r.position.value), std::to_string(r.version.value),
           recorded_second(r.recorded_at), day(engine::swedish_day(r.effective_at)), r.actor, title,
           details, storage::to_hex(r.hash).substr(0, 12)});
    j.push_back({{"position", r.position.value},
                 {"version", r.version.value},
                 {"actor", r.actor},
                 {"type", r.type},
                 {"details", details},
                 {"hash", storage::to_hex(r.hash)}});
  }
}

int run_history(const Cli& cli, const ReadOptions& o) {
  auto store = cli.open_reader();
  if (!store->engine->identify(o.hire))
    fail(kRefused, Refusal{"unknown_hire", {{"hire", o.hire}}}.message(cli.language()));
  std::optional<LoadedHire> h;
  try {
    h = store->engine->load(o.hire, as_of_option(cli, o));
  } catch (const HireDamaged& e) {
    // What is damaged, and where: every record decoded as far as it goes,
    // so the damaged one can be corrected or retracted.
    if (!o.as_of.empty()) throw;
    std::cerr << cli.t("Skadad: ", "Damaged: ") << e.what() << '\n';
    h = store->engine->records_of(o.hire);
  }
  json j = json::array();
  Table t({cli.t("Löpnr", "Seq"), "Ver", cli.t("Registrerad (UTC)", "Recorded (UTC)"),
           cli.t("Gäller", "Effective"), cli.t("Av", "Actor"), cli.t("Händelse", "Event"),
           cli.t("Detaljer", "Details"), "Hash"});
  if (h) {
    add_event_rows(cli, *h, t, j);
    add_notification_rows(cli, *h, t, j);
    t.sort_by_first_number();
  }
  cli.print(t, j);
  return kDone;
}

}  // namespace

void setup_reads(CLI::App& app, Cli& cli) {
  // One options struct for both: only one of them runs.
  auto o = std::make_shared<ReadOptions>();
  auto* status =
      app.add_subcommand("status", "A hire's journey: parts, deadlines, overdue, introducer hours");
  status->add_option("hire", o->hire)->required();
  status->add_option("--as-of", o->as_of, "As known at the end of this date (what we knew then)");
  status->add_flag("--effective", o->effective,
                   "With --as-of: what had happened by then, as known today");
  cli.run_if_chosen(status, [&cli, o] { return run_status(cli, *o); });
  auto* history = app.add_subcommand(
      "history", "Every event of a hire: who recorded what, when, effective when");
  history->add_option("hire", o->hire)->required();
  history->add_option("--as-of", o->as_of, "Only what was recorded by the end of this date");
  history->add_flag("--effective", o->effective, "With --as-of: what had taken effect by then");
  cli.run_if_chosen(history, [&cli, o] { return run_history(cli, *o); });
}

}  // namespace journey::ctl
