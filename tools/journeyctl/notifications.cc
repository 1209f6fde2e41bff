// `notifications` and `redeliver`: who was told what, when, and whether it
// arrived; and trying a dead-lettered message again.
#include <iostream>
#include <map>

#include "cli.h"
#include "scheduler.h"

namespace journey::ctl {

namespace {

struct NotificationOptions {
  std::string hire;
  bool dead = false;
};

// One row per channel of each notification decided for the hire, with the
// last delivery attempt on that channel (engine::notification_rows, the
// API's rule too).
void add_notifications(const Cli& cli, const NotificationOptions& o, const std::string& hire,
                       const LoadedHire& loaded, Table& t, json& j) {
  std::string damage;
  for (const auto& r : notification_rows(loaded.notifications, damage)) {
    if (o.dead && r.outcome != "dead_letter") continue;
    const std::string when =
        date::format("%F %R", date::floor<std::chrono::minutes>(
                                  journey::TimePoint(std::chrono::microseconds(r.decided_at_us))));
    const std::string outcome = r.outcome == "pending" ? cli.t("väntar", "pending") : r.outcome;
    t.add({when, r.message_id, hire, r.channel, r.to_email, r.subject, outcome,
           std::to_string(r.attempts)});
    j.push_back({{"decided_at", when},
                 {"message_id", r.message_id},
                 {"hire", hire},
                 {"channel", r.channel},
                 {"to", r.to_email},
                 {"subject", r.subject},
                 {"outcome", r.outcome},
                 {"attempts", r.attempts},
                 {"catch_up", r.catch_up},
                 {"detail", r.detail}});
  }
  // Damage is never silent: a record that does not decode is named.
  if (!damage.empty()) std::cerr << hire << ": " << damage << '\n';
}

int run_notifications(const Cli& cli, const NotificationOptions& o) {
  auto store = cli.open_reader();
  std::vector<std::string> hires =
      o.hire.empty() ? store->engine->hires() : std::vector<std::string>{o.hire};
  Table t({cli.t("Beslutad (UTC)", "Decided (UTC)"), "Id", cli.t("Nyanställd", "Hire"),
           cli.t("Kanal", "Channel"), cli.t("Till", "To"), cli.t("Ämne", "Subject"),
           cli.t("Utfall", "Outcome"), cli.t("Försök", "Attempts")});
  json j = json::array();
  for (const auto& h : hires) {
    std::optional<LoadedHire> loaded;
    try {
      loaded = store->engine->load(h);
    } catch (const HireDamaged& e) {
      std::cerr << e.what() << '\n';
      continue;
    }
    if (loaded) add_notifications(cli, o, h, *loaded, t, j);
  }
  cli.print(t, j);
  return kDone;
}

int run_redeliver(const Cli& cli, const std::string& id) {
  auto store = cli.open_store(false);
  Templates templates = Templates::load(JOURNEY_TEMPLATES_DIR);
  const MunicipalTime municipal{};
  auto mail = make_mail(cli, MailOptions{});
  auto scheduler = open_scheduler(cli, *store, municipal, templates, *mail, SchedulerConfig{});
  auto o = scheduler->redeliver(id, cli.actor());
  if (!o.ok())
    fail(kRefused, cli.t("Inget dött meddelande med id ", "No dead letter with id ") + id);
  std::cout << cli.t("Köat för ny leverans vid nästa körning: ",
                     "Queued for delivery at the next tick: ")
            << id << '\n';
  return kDone;
}

}  // namespace

void setup_notifications(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<NotificationOptions>();
  auto* notes =
      app.add_subcommand("notifications", "Who was told what, when, and whether it arrived");
  notes->add_option("hire", o->hire, "Only this hire");
  notes->add_flag("--dead", o->dead,
                  "Only dead letters (redeliver with 'journeyctl redeliver ID')");
  cli.run_if_chosen(notes, [&cli, o] { return run_notifications(cli, *o); });

  auto id = std::make_shared<std::string>();
  auto* redeliver = app.add_subcommand("redeliver", "Try a dead-lettered message again");
  redeliver->add_option("message", *id, "Message id (n-…)")->required();
  cli.run_if_chosen(redeliver, [&cli, id] { return run_redeliver(cli, *id); });
}

}  // namespace journey::ctl
