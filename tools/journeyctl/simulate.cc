// `simulate`: what the scheduler would send, in virtual time, for synthetic
// hires; nothing is read from or written to the data folder.
#include <chrono>
#include <iostream>

#include "cli.h"
#include "journey/engine/simulation.h"

namespace journey::ctl {

namespace {

struct SimulateOptions {
  SimulationConfig sim;
  std::string from;
  int send_hour = 8;
  bool summary_only = false;
};

void print_notification(const Cli& cli, const MunicipalTime& municipal,
                        const SimulatedNotification& n) {
  const auto local = municipal.to_local(n.send_at);
  const std::string kind = n.reminders.size() > 1 ? "digest" : kind_id(n.reminders.front().kind);
  if (cli.json) {
    json ids = json::array();
    for (const auto& r : n.reminders) ids.push_back(r.id);
    std::cout << json{{"date", day(n.date)},
                      {"local_time",
                       date::format("%F %R", date::floor<std::chrono::minutes>(local))},
                      {"to", n.to.email},
                      {"role", audience_id(n.to.audience)},
                      {"kind", kind},
                      {"subject", n.subject},
                      {"message_id", n.message_id},
                      {"reminders", ids}}
                     .dump()
              << '\n';
    return;
  }
  std::string to = n.to.name + " <" + n.to.email + ">";
  std::string padded_to =
      to + std::string(to.size() < 40 ? 40 - journey::tools::display_width(to) : 1, ' ');
  std::string padded_kind = kind + std::string(kind.size() < 17 ? 17 - kind.size() : 1, ' ');
  std::cout << date::format("%F  %R", date::floor<std::chrono::minutes>(local)) << "  " << padded_to
            << padded_kind << n.subject << '\n';
}

void print_summary(const Cli& cli, const SimulationConfig& sim, const SimulationSummary& summary,
                   double secs) {
  std::ostream& os = cli.json ? std::cerr : std::cout;
  os << '\n'
     << cli.t("Simulering: ", "Simulation: ") << summary.hires
     << cli.t(" nyanställda, ", " hires, ") << sim.days << cli.t(" dagar från ", " days from ")
     << day(sim.first_day) << ", " << summary.events << cli.t(" händelser, ", " events, ")
     << summary.reminders << cli.t(" påminnelser i ", " reminders in ") << summary.messages
     << cli.t(" meddelanden", " messages") << " (" << secs << " s)\n";
  for (const auto& [k, n] : summary.by_kind) os << "  " << k << ": " << n << '\n';
  for (const auto& [a, n] : summary.by_audience) os << "  -> " << a << ": " << n << '\n';
  if (summary.unresolved)
    os << cli.t("  utan mottagare: ", "  without recipient: ") << summary.unresolved << '\n';
  os << cli.t("  utskick på helg- eller helgdag: ", "  sends on weekends or holidays: ")
     << summary.weekend_or_holiday_sends << '\n';
}

int run_simulate(const Cli& cli, SimulateOptions& o) {
  SystemClock clock;
  const date::sys_days today = engine::swedish_day(clock.now());
  o.sim.first_day = o.from.empty() ? today + (date::Monday - date::weekday(today))
                                   : cli.parse_day(o.from, "--from");
  Programme programme;
  try {
    programme = load_programme_file(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
  } catch (const ProgrammeError& e) {
    fail(kRefused, e.what());
  }
  Templates templates = Templates::load(JOURNEY_TEMPLATES_DIR);
  const MunicipalTime municipal{std::chrono::minutes(std::chrono::hours(o.send_hour))};
  const auto started = std::chrono::steady_clock::now();
  if (!o.summary_only && !cli.json) {
    std::cout << cli.t(
        "Datum       Tid    Mottagare                               Typ              Ämne\n",
        "Date        Time   Recipient                               Kind             "
        "Subject\n");
  }
  auto summary =
      simulate(programme, templates, municipal, o.sim, [&](const SimulatedNotification& n) {
        if (!o.summary_only) print_notification(cli, municipal, n);
      });
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  print_summary(cli, o.sim, summary, secs);
  return summary.weekend_or_holiday_sends == 0 ? kDone : kStorageError;
}

}  // namespace

void setup_simulate(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<SimulateOptions>();
  SimulationConfig& sim = o->sim;
  auto* c = app.add_subcommand(
      "simulate",
      "Run the programme for N synthetic hires in virtual time and print every notification");
  c->add_option("--hires", sim.hires, "Number of hires")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  c->add_option("--units", sim.units, "Number of units")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  c->add_option("--days", sim.days, "Days to simulate")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  c->add_option("--from", o->from, "First simulated day (default: next Monday)");
  c->add_option("--seed", sim.seed, "Random seed (same seed, same run)")->capture_default_str();
  c->add_option("--send-hour", o->send_hour, "Local hour reminders go out")
      ->capture_default_str()
      ->check(CLI::Range(0, 23));
  c->add_option("--late", sim.late_share, "Share of tasks done late")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--never", sim.never_share, "Share of tasks never done")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_flag("--summary", o->summary_only, "Only the totals, not every message");
  cli.run_if_chosen(c, [&cli, o] { return run_simulate(cli, *o); });
}

}  // namespace journey::ctl
