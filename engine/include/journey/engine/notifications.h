// From planned reminders to messages people read: who the recipient is (from
// the unit's contacts, the hire's introducer, or the hire), and the text, from
// template files a municipality can edit without recompiling
// (workflows/templates/<lang>/<kind>.txt; see the README there).
//
// A message's identity is derived from the reminders it carries, so a retry of
// the same message has the same Message-ID and webhook-id.
//
// Thread safety: Templates is immutable after load() and may be shared.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "journey/engine/reminders.h"

namespace journey::engine {

struct Recipient {
  Audience audience = Audience::unit_head;
  std::string name;
  std::string email;
  workflows::Language language = workflows::Language::sv;
  bool digest = false;
};

// The person a reminder goes to. Escalations go to the unit's escalation contact
// and, where the unit has none, to its unit head. std::nullopt when the data has
// nobody to tell (no unit contacts recorded, no introducer e-mail): the caller
// reports that instead of guessing an address.
std::optional<Recipient> resolve_recipient(const PlannedReminder& r, const HireStatus& hire,
                                           const std::optional<UnitContacts>& unit);

class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Templates {
 public:
  // Reads every <dir>/<lang>/<kind>.txt; throws TemplateError naming a missing
  // file or one without a "Subject:" first line.
  static Templates load(const std::string& dir);

  struct Rendered {
    std::string subject;
    std::string body;
  };
  Rendered render(const std::string& kind, workflows::Language lang,
                  const std::map<std::string, std::string>& vars,
                  const std::map<std::string, std::vector<std::string>>& lists) const;

 private:
  std::map<std::string, std::string> files_;  // "sv/before" -> text
};

// Placeholder expansion, public for tests: {{name}}, and {{#list}}…{{.}}…{{/list}}.
std::string expand(const std::string& text, const std::map<std::string, std::string>& vars,
                   const std::map<std::string, std::vector<std::string>>& lists);

struct ReminderForMessage {
  PlannedReminder reminder;
  const HireStatus* hire = nullptr;  // REQUIRES: outlives the compose() call
};

struct OutgoingMessage {
  std::string id;  // "n-<24 hex>", from the sorted reminder ids
  Recipient to;
  std::string subject;
  std::string body;
  std::vector<std::string> reminder_ids;
  std::vector<std::string> hire_ids;  // each hire whose stream records this message
};

// One message for one recipient: a single reminder uses its kind's template,
// several (a digest, or what piled up during downtime) use digest.txt.
OutgoingMessage compose(const Templates& templates, const Recipient& to,
                        const std::vector<ReminderForMessage>& reminders, date::sys_days today);

std::string message_id_for(std::vector<std::string> reminder_ids);

}  // namespace journey::engine
