// `scheduler run` and `scheduler rebuild`: the durable scheduler that sends
// reminders by mail and webhook, and its timer index.
#include "scheduler.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "journey/adapters/smtp_transport.h"
#include "journey/adapters/webhook.h"

namespace journey::ctl {

namespace fs = std::filesystem;

std::unique_ptr<MailTransport> make_mail(const Cli& cli, const MailOptions& o) {
  return adapters::make_mail_transport(
      {o.smtp_url, o.smtp_user, o.smtp_password_env, o.ca_file, o.from, o.starttls},
      fs::path(cli.data) / "outbox");
}

std::unique_ptr<ReminderScheduler> open_scheduler(const Cli& cli, Store& store,
                                                  const MunicipalTime& municipal,
                                                  const Templates& templates,
                                                  adapters::MailTransport& mail,
                                                  SchedulerConfig cfg) {
  cfg.index_path = fs::path(cli.data) / "scheduler";
  auto index = storage::open_rocksdb_kv(cfg.index_path);
  if (!index) fail(kStorageError, index.error().message);
  return std::make_unique<ReminderScheduler>(*store.engine, municipal, templates, mail, store.clock,
                                             cfg, std::move(index.value()));
}

namespace {

struct RunOptions {
  MailOptions mail;
  int send_hour = 8, interval = 60;
  bool once = false;
};

std::atomic<bool> stop_requested{false};

void print_tick(const Cli& cli, const date::local_seconds& now, const TickReport& r) {
  std::cout << date::format("%F %T", now) << "  " << cli.t("omplanerade ", "replanned ")
            << r.hires_replanned << cli.t(", beslutade ", ", decided ") << r.reminders_decided
            << cli.t(" påminnelser i ", " reminders in ") << r.messages_decided
            << cli.t(" meddelanden", " messages") << " (" << r.catch_up_messages
            << cli.t(" ikapp)", " catch-up)") << cli.t(", levererade ", ", delivered ")
            << r.delivered << cli.t(", försöker igen ", ", retrying ") << r.retried
            << cli.t(", misslyckade ", ", failed ") << r.failed
            << (r.unresolved ? std::string(cli.t(", utan mottagare ", ", no recipient ")) +
                                   std::to_string(r.unresolved)
                             : "")
            << (r.outside_office_hours ? cli.t("  [utanför kontorstid]", "  [outside office hours]")
                                       : "")
            << std::endl;
}

int run_scheduler(const Cli& cli, const RunOptions& o) {
  auto store = cli.open_store(false);
  Templates templates = Templates::load(JOURNEY_TEMPLATES_DIR);
  const MunicipalTime municipal{std::chrono::minutes(std::chrono::hours(o.send_hour))};
  auto mail = make_mail(cli, o.mail);
  SchedulerConfig cfg;
  cfg.sender = {o.mail.from_name, o.mail.from};
  adapters::CurlWebhookSender webhooks{adapters::CurlWebhookConfig{}};
  cfg.webhooks = &webhooks;
  cfg.webhook_secrets = [dir = cli.webhook_secrets_dir()](const std::string& id) {
    return adapters::read_secret_file(dir, id);
  };
  cfg.backoff = [](int attempt, std::optional<std::chrono::seconds> retry_after) {
    return adapters::backoff_delay(attempt, retry_after, std::random_device{}());
  };
  auto scheduler = open_scheduler(cli, *store, municipal, templates, *mail, cfg);
  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::signal(SIGTERM, [](int) { stop_requested = true; });
  do {
    auto r = scheduler->tick();
    print_tick(cli, date::floor<std::chrono::seconds>(municipal.to_local(store->clock.now())), r);
    for (int i = 0; i < o.interval * 10 && !o.once && !stop_requested; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } while (!o.once && !stop_requested);
  return kDone;
}

int run_rebuild(const Cli& cli) {
  // First: a running journeyd holds the index too; this names it (and the
  // HTTP route to use) instead of RocksDB's lock error.
  auto store = cli.open_store(false);
  auto index = storage::open_rocksdb_kv(fs::path(cli.data) / "scheduler");
  if (!index) fail(kStorageError, index.error().message);
  auto cleared = index.value()->clear();
  if (!cleared) fail(kStorageError, cleared.error().message);
  std::cout << cli.t("Schemaläggarens index tömt; nästa körning bygger om det från loggen.\n",
                     "Scheduler index cleared; the next tick rebuilds it from the log.\n");
  return kDone;
}

void add_mail_options(CLI::App* c, RunOptions& o) {
  c->add_option("--smtp", o.mail.smtp_url,
                "SMTP URL, e.g. smtp://mail.kommun.se:587 (default: .eml files in DATA/outbox)");
  c->add_option("--smtp-user", o.mail.smtp_user, "SMTP AUTH user");
  c->add_option("--smtp-password-env", o.mail.smtp_password_env,
                "Environment variable holding the SMTP password")
      ->capture_default_str();
  c->add_option("--starttls", o.mail.starttls, "required, opportunistic or none")
      ->check(CLI::IsMember({"required", "opportunistic", "none"}))
      ->capture_default_str();
  c->add_option("--ca-file", o.mail.ca_file, "CA certificate for the SMTP server");
  c->add_option("--from", o.mail.from, "Sender address")->capture_default_str();
  c->add_option("--send-hour", o.send_hour, "Local hour reminders go out")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
}

}  // namespace

void setup_scheduler(CLI::App& app, Cli& cli) {
  auto* sched = app.add_subcommand("scheduler", "Send reminders: run the durable scheduler");
  sched->require_subcommand(1);
  auto o = std::make_shared<RunOptions>();
  auto* run = sched->add_subcommand("run", "Tick until SIGINT/SIGTERM (or once with --once)");
  add_mail_options(run, *o);
  run->add_flag("--once", o->once, "One tick and exit (for cron)");
  run->add_option("--interval", o->interval, "Seconds between ticks")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cli.run_if_chosen(run, [&cli, o] { return run_scheduler(cli, *o); });
  auto* rebuild = sched->add_subcommand(
      "rebuild", "Forget the timer index; the next tick derives it from the log");
  cli.run_if_chosen(rebuild, [&cli] { return run_rebuild(cli); });
}

}  // namespace journey::ctl
