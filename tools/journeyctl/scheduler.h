// Building the durable reminder scheduler from journeyctl's options, for
// `scheduler run` and `redeliver`.
#pragma once

#include <memory>
#include <string>

#include "cli.h"
#include "journey/engine/scheduler.h"

namespace journey::ctl {

// How reminders reach people: SMTP when smtp_url names a server, else .eml
// files in DATA/outbox.
struct MailOptions {
  std::string smtp_url, smtp_user, smtp_password_env = "JOURNEY_SMTP_PASSWORD",
                                   starttls = "required", ca_file;
  std::string from = "journey@localhost", from_name = "Journey";
};

std::unique_ptr<MailTransport> make_mail(const Cli& cli, const MailOptions& o);

// The scheduler over the store's engine, its timer index in DATA/scheduler.
// REQUIRES: store, municipal, templates and mail outlive it.
std::unique_ptr<ReminderScheduler> open_scheduler(const Cli& cli, Store& store,
                                                  const MunicipalTime& municipal,
                                                  const Templates& templates, MailTransport& mail,
                                                  SchedulerConfig cfg);

}  // namespace journey::ctl
