// Recipients, templates and message composition; see notifications.h.
#include "journey/engine/notifications.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace journey::engine {

using namespace workflows;

namespace {

const char* const kKinds[] = {"task_list",  "before",          "on_day", "overdue",
                              "escalation", "hours_shortfall", "digest"};

std::string hours(double h) {
  std::ostringstream os;
  os << std::round(h * 10) / 10;
  return os.str();
}

}  // namespace

std::optional<Recipient> resolve_recipient(const PlannedReminder& r, const HireStatus& hire,
                                           const std::optional<UnitContacts>& unit) {
  auto from_contact = [&](const Contact& c) {
    return Recipient{r.audience, c.name, c.email, c.language, c.digest};
  };
  switch (r.audience) {
    case Audience::unit_head:
      if (unit) return from_contact(unit->unit_head);
      return std::nullopt;
    case Audience::administrator:
      if (unit) return from_contact(unit->administrator);
      return std::nullopt;
    case Audience::escalation:
      if (unit && unit->escalation) return from_contact(*unit->escalation);
      if (unit) return from_contact(unit->unit_head);
      return std::nullopt;
    case Audience::introducer:
      if (hire.introducer && !hire.introducer->introducer.email.empty()) {
        return Recipient{r.audience, hire.introducer->introducer.name,
                         hire.introducer->introducer.email, Language::sv, false};
      }
      return std::nullopt;
    case Audience::hire:
      return Recipient{r.audience, hire.hire.name, hire.hire.email, Language::sv, false};
  }
  return std::nullopt;
}

std::string expand(const std::string& text, const std::map<std::string, std::string>& vars,
                   const std::map<std::string, std::vector<std::string>>& lists) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find("{{", i);
    if (open == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    out.append(text, i, open - i);
    const auto close = text.find("}}", open);
    if (close == std::string::npos) {
      out.append(text, open, std::string::npos);
      break;
    }
    const std::string name = text.substr(open + 2, close - open - 2);
    if (!name.empty() && name[0] == '#') {
      const std::string list = name.substr(1);
      const std::string end_tag = "{{/" + list + "}}";
      const auto end = text.find(end_tag, close);
      if (end == std::string::npos) {
        out.append(text, open, close + 2 - open);
        i = close + 2;
        continue;
      }
      const std::string block = text.substr(close + 2, end - close - 2);
      if (auto it = lists.find(list); it != lists.end()) {
        for (const auto& element : it->second) {
          auto with_dot = vars;
          with_dot["."] = element;
          out += expand(block, with_dot, {});
        }
      }
      i = end + end_tag.size();
      continue;
    }
    if (auto it = vars.find(name); it != vars.end()) {
      out += it->second;
    } else {
      out.append(text, open, close + 2 - open);  // a typo stays visible
    }
    i = close + 2;
  }
  return out;
}

Templates Templates::load(const std::string& dir) {
  Templates t;
  for (const char* lang : {"sv", "en"}) {
    for (const char* kind : kKinds) {
      const std::string path = dir + "/" + lang + "/" + kind + ".txt";
      std::ifstream in(path, std::ios::binary);
      if (!in) throw TemplateError(path + ": template file is missing or unreadable");
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      if (text.rfind("Subject: ", 0) != 0)
        throw TemplateError(path + ":1: the first line must be 'Subject: ...'");
      t.files_[std::string(lang) + "/" + kind] = text;
    }
  }
  return t;
}

Templates::Rendered Templates::render(
    const std::string& kind, Language lang, const std::map<std::string, std::string>& vars,
    const std::map<std::string, std::vector<std::string>>& lists) const {
  const std::string& text = files_.at(std::string(lang == Language::en ? "en" : "sv") + "/" + kind);
  const std::string expanded = expand(text, vars, lists);
  const auto eol = expanded.find('\n');
  Rendered r;
  r.subject = expanded.substr(9, eol == std::string::npos ? std::string::npos : eol - 9);
  std::string body = eol == std::string::npos ? "" : expanded.substr(eol + 1);
  while (!body.empty() && body.front() == '\n') body.erase(body.begin());
  r.body = body;
  return r;
}

std::string message_id_for(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  std::string joined;
  for (const auto& id : ids) joined += id + '\n';
  unsigned char h[32];
  unsigned int len = 0;
  EVP_Digest(joined.data(), joined.size(), h, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out = "n-";
  for (int i = 0; i < 12; ++i) {
    out.push_back(hex[h[i] >> 4]);
    out.push_back(hex[h[i] & 15]);
  }
  return out;
}

OutgoingMessage compose(const Templates& templates, const Recipient& to,
                        const std::vector<ReminderForMessage>& reminders, date::sys_days today) {
  OutgoingMessage m;
  m.to = to;
  std::vector<std::string> bodies;
  Templates::Rendered single;
  std::set<std::string> hires;
  for (const auto& rm : reminders) {
    const PlannedReminder& r = rm.reminder;
    const HireStatus& h = *rm.hire;
    const int days = static_cast<int>(std::abs((r.due - today).count()));
    std::map<std::string, std::string> vars = {
        {"recipient", to.name},
        {"hire", h.hire.name},
        {"hire_email", h.hire.email},
        {"unit", h.hire.unit},
        {"start", format_date(h.hire.start)},
        {"title", r.title},
        {"due", format_date(r.due)},
        {"days", std::to_string(days)},
        {"week", r.obligation.rfind("hours/", 0) == 0 ? r.obligation.substr(6) : ""},
        {"hours_owed", hours(r.hours_owed)},
        {"hours_logged", hours(r.hours_logged)},
        {"hours_balance", hours(r.hours_balance)},
    };
    const std::map<std::string, std::vector<std::string>> lists = {
        {"items", r.items.size() > 1 || (r.items.size() == 1 && r.items[0] != r.title)
                      ? r.items
                      : std::vector<std::string>{}}};
    single = templates.render(kind_id(r.kind), to.language, vars, lists);
    bodies.push_back(single.subject + "\n\n" + single.body);
    m.reminder_ids.push_back(r.id);
    hires.insert(r.hire_id);
  }
  m.hire_ids.assign(hires.begin(), hires.end());
  m.id = message_id_for(m.reminder_ids);
  if (reminders.size() == 1) {
    m.subject = single.subject;
    m.body = single.body;
  } else {
    auto digest =
        templates.render("digest", to.language,
                         {{"recipient", to.name}, {"count", std::to_string(reminders.size())}},
                         {{"entries", bodies}});
    m.subject = digest.subject;
    m.body = digest.body;
  }
  return m;
}

}  // namespace journey::engine
