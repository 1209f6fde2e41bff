#include "journey/adapters/http_json.h"

#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "journey/engine/scheduler.h"
#include "journey/workflows/value_domain.h"

namespace journey::http {

using namespace journey::workflows;
using engine::DomainEvent;

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

FieldError domain_error(std::string field, const ValueProblem& p) {
  return FieldError{std::move(field), p.text(Language::en), p.text(Language::sv)};
}

// Reads the fields of one JSON object, remembering which were used so that
// unknown ones can be reported. Throws FieldError.
class Fields {
 public:
  Fields(const json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {
    if (!j_.is_object()) throw FieldError::not_object(prefix_.empty() ? "/" : prefix_);
  }
  std::string ptr(const std::string& name) const { return prefix_ + "/" + name; }
  const json* get(const std::string& name) {
    used_.insert(name);
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  // A string field, checked as a name (one line) or as free text (the value
  // domain's rules, value_domain.h).
  enum class Text { name, free };
  std::optional<std::string> opt_str(const std::string& name, std::size_t max = kMaxNameChars,
                                     Text kind = Text::name) {
    const json* v = get(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw FieldError::not_string(ptr(name));
    auto s = v->get<std::string>();
    auto bad = kind == Text::name ? check_name(s, false, max) : check_text(s, max);
    if (bad) throw domain_error(ptr(name), *bad);
    return s;
  }
  std::string str(const std::string& name, std::size_t max = kMaxNameChars) {
    auto s = opt_str(name, max);
    if (!s) throw FieldError::required(ptr(name));
    if (s->empty()) throw domain_error(ptr(name), ValueProblem{});
    return *s;
  }
  std::string str_or(const std::string& name, std::string fallback) {
    auto s = opt_str(name);
    return s ? *s : fallback;
  }
  std::string text_or(const std::string& name) {
    auto s = opt_str(name, kMaxTextChars, Text::free);
    return s ? *s : std::string();
  }
  std::string email_or(const std::string& name, bool required) {
    auto s = opt_str(name, kMaxEmailChars);
    if (!s && required) throw FieldError::required(ptr(name));
    if (auto bad = check_email(s ? *s : "", required)) throw domain_error(ptr(name), *bad);
    return s ? *s : std::string();
  }
  std::optional<date::sys_days> opt_day(const std::string& name) {
    const json* v = get(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw FieldError::not_date(ptr(name));
    const auto s = v->get<std::string>();
    if (auto bad = check_date_text(s)) throw domain_error(ptr(name), *bad);
    return parse_date(s);
  }
  date::sys_days day(const std::string& name) {
    auto d = opt_day(name);
    if (!d) throw FieldError::required(ptr(name));
    return *d;
  }
  date::sys_days day_or(const std::string& name, date::sys_days fallback) {
    auto d = opt_day(name);
    return d ? *d : fallback;
  }
  int integer(const std::string& name, int lo, int hi) {
    const json* v = get(name);
    if (!v) throw FieldError::required(ptr(name));
    if (!v->is_number_integer())
      throw FieldError{ptr(name), "must be an integer", "ska vara ett heltal"};
    auto n = v->get<std::int64_t>();
    if (n < lo || n > hi)
      throw FieldError{ptr(name),
                       "must be between " + std::to_string(lo) + " and " + std::to_string(hi),
                       "ska vara mellan " + std::to_string(lo) + " och " + std::to_string(hi)};
    return static_cast<int>(n);
  }
  double number_or(const std::string& name, double fallback, double lo, double hi) {
    const json* v = get(name);
    if (!v) return fallback;
    if (!v->is_number()) throw FieldError{ptr(name), "must be a number", "ska vara ett tal"};
    double d = v->get<double>();
    if (auto bad = check_number(d, lo, hi)) throw domain_error(ptr(name), *bad);
    return d;
  }
  bool boolean_or(const std::string& name, bool fallback) {
    const json* v = get(name);
    if (!v) return fallback;
    if (!v->is_boolean()) throw FieldError::not_boolean(ptr(name));
    return v->get<bool>();
  }
  std::optional<Person> person(const std::string& name, bool required) {
    const json* v = get(name);
    if (!v) {
      if (required) throw FieldError::required(ptr(name));
      return std::nullopt;
    }
    Fields f(*v, ptr(name));
    Person p{f.str("name"), f.email_or("email", false)};
    f.done();
    return p;
  }
  // Every field of the object must have been read.
  void done() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!used_.count(it.key())) throw FieldError::unknown(ptr(it.key()));
  }

 private:
  const json& j_;
  std::string prefix_;
  std::set<std::string> used_;
};

using Decoder = std::function<DomainEvent(Fields&, date::sys_days today)>;

const std::map<std::string, Decoder>& decoders() {
  static const std::map<std::string, Decoder> m = {
      {"started",
       [](Fields& f, date::sys_days t) { return DomainEvent(HireStarted{f.day_or("on", t)}); }},
      {"item",
       [](Fields& f, date::sys_days t) {
         auto item = f.str("item", 100);
         return DomainEvent(ChecklistItemCompleted{item, f.day_or("on", t), f.text_or("comment")});
       }},
      {"waive",
       [](Fields& f, date::sys_days) {
         auto item = f.str("item", 100);
         return DomainEvent(ChecklistItemWaived{item, f.text_or("reason")});
       }},
      {"introducer",
       [](Fields& f, date::sys_days t) {
         auto name = f.str("name");
         auto email = f.email_or("email", false);
         return DomainEvent(IntroducerAppointed{Person{name, email}, f.day_or("from", t)});
       }},
      {"mentor",
       [](Fields& f, date::sys_days) {
         auto name = f.str("name");
         auto email = f.email_or("email", false);
         return DomainEvent(MentorAppointed{Person{name, email}, f.person("replacement", false)});
       }},
      {"replacement",
       [](Fields& f, date::sys_days) {
         auto name = f.str("name");
         return DomainEvent(MentorReplacementNamed{Person{name, f.email_or("email", false)}});
       }},
      {"mentor-dropout",
       [](Fields& f, date::sys_days t) {
         auto on = f.day_or("on", t);
         return DomainEvent(MentorDroppedOut{on, f.text_or("reason")});
       }},
      {"course-booked",
       [](Fields& f, date::sys_days) {
         auto starts = f.day("starts");
         return DomainEvent(CourseBooked{starts, f.str_or("cohort", "")});
       }},
      {"module",
       [](Fields& f, date::sys_days t) {
         auto n = f.integer("number", 1, 100);
         return DomainEvent(CourseModuleAttended{n, f.day_or("on", t)});
       }},
      {"bbic",
       [](Fields& f, date::sys_days t) {
         auto part = f.str("part", 10);
         return DomainEvent(BbicPartCompleted{part, f.day_or("on", t)});
       }},
      {"course-completed",
       [](Fields& f, date::sys_days t) {
         auto on = f.day_or("on", t);
         return DomainEvent(CourseCompleted{on, f.text_or("certificate")});
       }},
      {"waive-part",
       [](Fields& f, date::sys_days) {
         auto part = f.str("part", 20);
         return DomainEvent(PartWaived{part, f.text_or("reason")});
       }},
      {"supervision-group",
       [](Fields& f, date::sys_days) {
         auto group = f.str("group");
         auto supervisor = f.str("supervisor");
         return DomainEvent(SupervisionGroupJoined{group, supervisor, f.day("starts")});
       }},
      {"session",
       [](Fields& f, date::sys_days t) {
         auto n = f.integer("number", 1, 1000);
         auto on = f.day_or("on", t);
         return DomainEvent(SupervisionSessionAttended{n, on, f.number_or("hours", 2.0, 0, 24)});
       }},
      {"supervision-completed",
       [](Fields& f, date::sys_days t) {
         auto on = f.day_or("on", t);
         return DomainEvent(SupervisionCompleted{on, f.text_or("certificate")});
       }},
      {"hours",
       [](Fields& f, date::sys_days t) {
         const double hours = f.number_or("hours", -1, 0, 168);
         if (hours < 0) throw FieldError::required(f.ptr("hours"));
         const date::sys_days d = f.day_or("week", t);
         return DomainEvent(IntroducerHoursLogged{d - (date::weekday(d) - date::Monday), hours});
       }},
      {"leave-start",
       [](Fields& f, date::sys_days t) {
         // "kind" names the command itself, so the leave's kind is "leave_kind".
         auto kind = f.str_or("leave_kind", "other");
         if (kind != "parental" && kind != "sick" && kind != "other")
           throw FieldError{f.ptr("leave_kind"), "must be parental, sick or other",
                            "ska vara parental, sick eller other"};
         return DomainEvent(LeaveStarted{kind, f.day_or("from", t)});
       }},
      {"leave-end",
       [](Fields& f, date::sys_days t) { return DomainEvent(LeaveEnded{f.day_or("back", t)}); }},
      {"left",
       [](Fields& f, date::sys_days t) {
         auto on = f.day_or("on", t);
         return DomainEvent(HireLeft{on, f.text_or("reason")});
       }},
      {"completed",
       [](Fields& f, date::sys_days t) {
         return DomainEvent(JourneyCompleted{f.day_or("on", t)});
       }},
  };
  return m;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

const std::vector<std::string>& command_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> k;
    for (const auto& [name, d] : decoders()) k.push_back(name);
    return k;
  }();
  return kinds;
}

namespace {
std::variant<DomainEvent, FieldError> decode_command_at(const json& body, date::sys_days today,
                                                        const std::string& prefix) {
  try {
    Fields f(body, prefix);
    const std::string kind = f.str("kind", 40);
    auto it = decoders().find(kind);
    if (it == decoders().end()) {
      std::string known;
      for (const auto& k : command_kinds()) known += (known.empty() ? "" : ", ") + k;
      return FieldError{"/kind", "'" + kind + "' is not one of " + known,
                        "'" + kind + "' är inte ett av: " + known};
    }
    DomainEvent e = it->second(f, today);
    f.done();
    return e;
  } catch (const FieldError& e) {
    return e;
  }
}
}  // namespace

std::variant<DomainEvent, FieldError> decode_command(const json& body, date::sys_days today) {
  return decode_command_at(body, today, "");
}

json event_json(const DomainEvent& event) {
  auto person = [](const Person& p) { return json{{"name", p.name}, {"email", p.email}}; };
  auto d = [](date::sys_days day) { return format_date(day); };
  return std::visit(
      Overloaded{
          [&](const HireRegistered& v) {
            return json{{"kind", "registration"},
                        {"name", v.name},
                        {"email", v.email},
                        {"unit", v.unit},
                        {"start", d(v.start)},
                        {"experienced", v.experienced},
                        {"programme", v.programme_id},
                        {"programme_version", v.programme_version}};
          },
          [&](const HireStarted& v) {
            return json{{"kind", "started"}, {"on", d(v.on)}};
          },
          [&](const ChecklistItemCompleted& v) {
            return json{{"kind", "item"},
                        {"item", v.item_id},
                        {"on", d(v.done_on)},
                        {"comment", v.comment}};
          },
          [&](const ChecklistItemWaived& v) {
            return json{{"kind", "waive"}, {"item", v.item_id}, {"reason", v.reason}};
          },
          [&](const IntroducerAppointed& v) {
            json j = person(v.introducer);
            j["kind"] = "introducer";
            j["from"] = d(v.from);
            return j;
          },
          [&](const MentorAppointed& v) {
            json j = person(v.mentor);
            j["kind"] = "mentor";
            if (v.replacement) j["replacement"] = person(*v.replacement);
            return j;
          },
          [&](const MentorReplacementNamed& v) {
            json j = person(v.replacement);
            j["kind"] = "replacement";
            return j;
          },
          [&](const MentorDroppedOut& v) {
            return json{{"kind", "mentor-dropout"}, {"on", d(v.on)}, {"reason", v.reason}};
          },
          [&](const CourseBooked& v) {
            return json{
                {"kind", "course-booked"}, {"starts", d(v.starts_on)}, {"cohort", v.cohort}};
          },
          [&](const CourseModuleAttended& v) {
            return json{{"kind", "module"}, {"number", v.module}, {"on", d(v.on)}};
          },
          [&](const BbicPartCompleted& v) {
            return json{{"kind", "bbic"}, {"part", v.part}, {"on", d(v.on)}};
          },
          [&](const CourseCompleted& v) {
            return json{
                {"kind", "course-completed"}, {"on", d(v.on)}, {"certificate", v.certificate}};
          },
          [&](const PartWaived& v) {
            return json{{"kind", "waive-part"}, {"part", v.part}, {"reason", v.reason}};
          },
          [&](const SupervisionGroupJoined& v) {
            return json{{"kind", "supervision-group"},
                        {"group", v.group},
                        {"supervisor", v.supervisor},
                        {"starts", d(v.starts_on)}};
          },
          [&](const SupervisionSessionAttended& v) {
            return json{
                {"kind", "session"}, {"number", v.session}, {"on", d(v.on)}, {"hours", v.hours}};
          },
          [&](const SupervisionCompleted& v) {
            return json{
                {"kind", "supervision-completed"}, {"on", d(v.on)}, {"certificate", v.certificate}};
          },
          [&](const IntroducerHoursLogged& v) {
            return json{{"kind", "hours"}, {"hours", v.hours}, {"week", d(v.week)}};
          },
          [&](const LeaveStarted& v) {
            return json{{"kind", "leave-start"}, {"leave_kind", v.kind}, {"from", d(v.from)}};
          },
          [&](const LeaveEnded& v) {
            return json{{"kind", "leave-end"}, {"back", d(v.back_on)}};
          },
          [&](const HireLeft& v) {
            return json{{"kind", "left"}, {"on", d(v.on)}, {"reason", v.reason}};
          },
          [&](const JourneyCompleted& v) {
            return json{{"kind", "completed"}, {"on", d(v.on)}};
          },
      },
      event);
}

std::variant<CorrectionBody, FieldError> decode_correction_body(const json& body) {
  try {
    Fields f(body, "");
    CorrectionBody c;
    const std::string action = f.str("action", 20);
    if (action != "correct" && action != "retract")
      throw FieldError{"/action", "must be correct or retract", "ska vara correct eller retract"};
    c.retract = action == "retract";
    c.event = static_cast<std::uint64_t>(f.integer("event", 1, 1000000000));
    c.reason = f.text_or("reason");
    if (c.reason.find_first_not_of(" \t\r\n") == std::string::npos)
      throw FieldError{"/reason", "is required: say why the record was wrong",
                       "måste anges: skriv varför uppgiften var fel"};
    const json* r = f.get("replacement");
    if (c.retract && r)
      throw FieldError{"/replacement", "must not be given when retracting",
                       "ska inte anges när en händelse stryks"};
    if (!c.retract) {
      if (!r) throw FieldError::required("/replacement");
      if (!r->is_object()) throw FieldError::not_object("/replacement");
      c.replacement = *r;
    }
    f.done();
    return c;
  } catch (const FieldError& e) {
    return e;
  }
}

std::variant<DomainEvent, FieldError> merge_replacement(const DomainEvent& current,
                                                        const json& changes, date::sys_days today) {
  json merged = event_json(current);
  const std::string kind = merged["kind"];
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    if (it.key() == "kind" && it.value() != kind)
      return FieldError{"/replacement/kind",
                        "must stay '" + kind +
                            "': a correction keeps the kind; retract the event and record the "
                            "right one instead",
                        "ska vara '" + kind +
                            "': en rättelse behåller händelsens typ; stryk händelsen och "
                            "registrera den rätta i stället"};
    if (!merged.contains(it.key()) && !(kind == "mentor" && it.key() == "replacement"))
      return FieldError::unknown("/replacement/" + it.key());
    if (it.value().is_null()) {
      // Null removes what may be absent (a comment, a reason, an optional
      // e-mail, the mentor's replacement); anything else would fall back to
      // a default such as today, which nobody asked for.
      static const std::set<std::string> optional = {"comment", "reason",      "certificate",
                                                     "cohort",  "replacement", "email"};
      if (!optional.count(it.key()) || (kind == "registration" && it.key() == "email"))
        return FieldError{"/replacement/" + it.key(), "cannot be removed; give the right value",
                          "kan inte tas bort; ange det rätta värdet"};
      if (it.key() == "replacement")
        merged.erase("replacement");
      else
        merged[it.key()] = "";
      continue;
    }
    merged[it.key()] = it.value();
  }
  if (kind != "registration") return decode_command_at(merged, today, "/replacement");
  // A registration is not a command of the events route: decoded here, its
  // fixed fields (unit, programme, experienced) checked by the engine.
  const auto& was = std::get<HireRegistered>(current);
  try {
    Fields f(merged, "/replacement");
    f.str("kind", 40);
    HireRegistered r = was;
    r.name = f.str("name");
    r.email = f.email_or("email", true);
    r.unit = f.str("unit");
    r.start = f.day("start");
    r.experienced = f.boolean_or("experienced", was.experienced);
    r.programme_id = f.str("programme");
    r.programme_version = f.integer("programme_version", 1, 100000);
    f.done();
    return DomainEvent(r);
  } catch (const FieldError& e) {
    return e;
  }
}

namespace {
// Where the parser is, for naming a duplicate key or an unreadable number.
struct JsonPath {
  struct Frame {
    bool object = true;
    std::set<std::string> keys;
    std::string key;
    std::size_t index = 0;
  };
  std::vector<Frame> frames;
  static std::string escape(const std::string& k) {
    std::string out;
    for (char c : k) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    return out;
  }
  // The pointer of the value being read now.
  std::string pointer() const {
    std::string p;
    for (const auto& f : frames) p += "/" + (f.object ? escape(f.key) : std::to_string(f.index));
    return p.empty() ? "/" : p;
  }
  void element_done() {
    if (!frames.empty() && !frames.back().object) ++frames.back().index;
  }
};
struct DuplicateKey {
  std::string pointer;
};
}  // namespace

std::variant<json, FieldError> parse_json_strictly(const std::string& body) {
  JsonPath path;
  auto cb = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        path.frames.push_back({true, {}, {}, 0});
        break;
      case json::parse_event_t::array_start:
        path.frames.push_back({false, {}, {}, 0});
        break;
      case json::parse_event_t::key: {
        auto& top = path.frames.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second) throw DuplicateKey{path.pointer()};
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!path.frames.empty()) path.frames.pop_back();
        path.element_done();
        break;
      case json::parse_event_t::value:
        path.element_done();
        break;
    }
    return true;
  };
  try {
    return json::parse(body, cb);
  } catch (const DuplicateKey& d) {
    return FieldError{d.pointer, "appears twice in the object", "förekommer två gånger i objektet"};
  } catch (const json::out_of_range&) {
    // A number too large for a double (1e999): name where it stood.
    return FieldError{path.pointer(), "is a number out of range", "är ett tal utanför gränserna"};
  } catch (const json::exception& e) {
    // Syntax: field "/" and the parser's own description of where and what.
    return FieldError{"/", e.what(), e.what()};
  }
}

std::variant<engine::RegisterHire, FieldError> decode_register(const json& body) {
  try {
    Fields f(body, "");
    engine::RegisterHire r;
    r.name = f.str("name");
    r.email = f.email_or("email", true);
    r.unit = f.str("unit");
    auto start = f.day("start");
    r.start = format_date(start);
    r.experienced = f.boolean_or("experienced", false);
    r.programme_id = f.str_or("programme", r.programme_id);
    if (const json* v = f.get("programme_version")) {
      if (!v->is_number_integer() || v->get<std::int64_t>() < 1 || v->get<std::int64_t>() > 100000)
        throw FieldError{"/programme_version", "must be a positive integer",
                         "ska vara ett positivt heltal"};
      r.programme_version = v->get<int>();
    }
    r.introducer = f.person("introducer", false);
    f.done();
    return r;
  } catch (const FieldError& e) {
    return e;
  }
}

std::variant<engine::UnitContacts, FieldError> decode_unit(const json& body,
                                                           const std::string& unit) {
  try {
    Fields f(body, "");
    engine::UnitContacts u;
    if (auto bad = check_name(unit)) throw domain_error("/unit", *bad);
    u.unit = unit;
    u.municipality = f.str_or("municipality", engine::kDefaultMunicipality);
    auto contact = [&](const std::string& name, bool required) -> std::optional<engine::Contact> {
      const json* v = f.get(name);
      if (!v) {
        if (required) throw FieldError::required("/" + name);
        return std::nullopt;
      }
      Fields c(*v, "/" + name);
      engine::Contact out;
      out.name = c.str("name");
      out.email = c.email_or("email", true);
      auto lang = c.str_or("language", "sv");
      if (lang != "sv" && lang != "en")
        throw FieldError{c.ptr("language"), "must be sv or en", "ska vara sv eller en"};
      out.language = lang == "en" ? Language::en : Language::sv;
      out.digest = c.boolean_or("digest", false);
      c.done();
      return out;
    };
    u.unit_head = *contact("unit_head", true);
    u.administrator = *contact("administrator", true);
    u.escalation = contact("escalation", false);
    f.done();
    return u;
  } catch (const FieldError& e) {
    return e;
  }
}

json unit_json(const engine::UnitContacts& u) {
  auto c = [](const engine::Contact& c) {
    return json{{"name", c.name},
                {"email", c.email},
                {"language", c.language == Language::en ? "en" : "sv"},
                {"digest", c.digest}};
  };
  json j{{"unit", u.unit},
         {"municipality", u.municipality},
         {"unit_head", c(u.unit_head)},
         {"administrator", c(u.administrator)}};
  if (u.escalation) j["escalation"] = c(*u.escalation);
  return j;
}

json verify_json(const storage::VerifyReport& r) {
  json j{{"ok", r.ok()},
         {"events_checked", r.events_checked},
         {"head_hash", storage::to_hex(r.head_hash)}};
  if (r.first_bad) j["first_bad_position"] = r.first_bad->value;
  if (!r.problem.empty()) j["problem"] = r.problem;
  return j;
}

std::string iso_day(date::sys_days d) { return format_date(d); }

std::string iso_time(TimePoint t) {
  return date::format("%FT%TZ", std::chrono::time_point_cast<std::chrono::microseconds>(t));
}

json status_json(const engine::HireStatus& s) {
  auto day = iso_day;
  json j{{"hire", s.hire_id},
         {"name", s.hire.name},
         {"email", s.hire.email},
         {"unit", s.hire.unit},
         {"start", day(s.hire.start)},
         {"experienced", s.hire.experienced},
         {"programme", {{"id", s.hire.programme_id}, {"version", s.hire.programme_version}}},
         {"as_of", day(s.as_of)},
         {"lifecycle", s.lifecycle},
         {"hours",
          {{"owed", s.hours_owed},
           {"logged", s.hours_logged},
           {"balance", s.hours_logged - s.hours_owed}}},
         {"leave_days", s.leave_days}};
  for (const auto& r : s.regions) j["regions"][r.region] = r.state;
  for (const auto& p : s.parts) {
    j["parts"].push_back({{"part", part_id(p.part)},
                          {"state", p.state},
                          {"done", p.done},
                          {"total", p.total},
                          {"finished", p.finished}});
  }
  for (const auto& r : s.roles) {
    j["roles"].push_back(
        {{"role", role_code(r.role)}, {"done", r.done}, {"waived", r.waived}, {"total", r.total}});
  }
  for (const auto& d : s.deadlines) {
    j["deadlines"].push_back({{"id", d.id},
                              {"title", d.title},
                              {"nominal", day(d.nominal)},
                              {"due", day(d.due)},
                              {"met", d.met},
                              {"overdue", d.overdue}});
  }
  if (s.next_deadline) {
    j["next_deadline"] = {{"id", s.next_deadline->id},
                          {"title", s.next_deadline->title},
                          {"due", day(s.next_deadline->due)}};
  }
  j["overdue"] = json::array();
  for (const auto& i : s.overdue_items) {
    j["overdue"].push_back({{"id", i.id},
                            {"text", i.text},
                            {"role", role_code(i.role)},
                            {"due", day(i.due)},
                            {"deadline", false}});
  }
  for (const auto& d : s.deadlines) {
    if (d.overdue)
      j["overdue"].push_back(
          {{"id", d.id}, {"text", d.title}, {"due", day(d.due)}, {"deadline", true}});
  }
  for (const auto& w : s.weeks) {
    j["weeks"].push_back({{"week", date::format("%G-W%V", w.monday)},
                          {"monday", day(w.monday)},
                          {"owed", w.owed},
                          {"logged", w.logged}});
  }
  j["items"] = json::array();
  for (const auto& i : s.items) {
    const char* state = i.state.status == ItemState::Status::done     ? "done"
                        : i.state.status == ItemState::Status::waived ? "waived"
                                                                      : "open";
    json item{{"id", i.id},
              {"text", i.text},
              {"checklist", i.checklist},
              {"role", role_code(i.role)},
              {"due", day(i.due)},
              {"state", state},
              {"overdue", i.overdue}};
    if (i.state.done_on) item["done_on"] = day(*i.state.done_on);
    if (!i.state.note.empty()) item["note"] = i.state.note;
    j["items"].push_back(item);
  }
  j["leaves"] = json::array();
  for (const auto& l : s.leaves) {
    json leave{{"kind", l.kind}, {"from", day(l.from)}};
    if (l.back_on) leave["back_on"] = day(*l.back_on);
    j["leaves"].push_back(leave);
  }
  if (s.started_on) j["started_on"] = day(*s.started_on);
  if (s.left_on) j["left_on"] = day(*s.left_on);
  if (s.completed_on) j["completed_on"] = day(*s.completed_on);
  if (s.introducer)
    j["introducer"] = {{"name", s.introducer->introducer.name},
                       {"email", s.introducer->introducer.email}};
  if (s.mentor) j["mentor"] = {{"name", s.mentor->name}, {"email", s.mentor->email}};
  if (s.mentor_replacement) j["mentor_replacement"] = {{"name", s.mentor_replacement->name}};
  j["modules"] = json::array();
  for (const auto& [n, on] : s.modules) j["modules"].push_back({{"number", n}, {"on", day(on)}});
  j["bbic"] = json::array();
  for (const auto& [part, on] : s.bbic) j["bbic"].push_back({{"part", part}, {"on", day(on)}});
  j["sessions"] = json::array();
  for (const auto& [n, a] : s.sessions)
    j["sessions"].push_back({{"number", n}, {"on", day(a.on)}, {"hours", a.hours}});
  return j;
}

namespace {
struct HistoryRow {
  const storage::RecordedEvent* r;
  std::string details;
  std::string message_id;                       // notification records
  std::string outcome;                          // delivery attempts
  const engine::HistoryEntry* entry = nullptr;  // journey records
};
std::vector<HistoryRow> history_rows(const engine::LoadedHire& h) {
  std::vector<HistoryRow> rows;
  for (std::size_t i = 0; i < h.records.size(); ++i)
    rows.push_back({&h.records[i], h.entries[i].details, "", "", &h.entries[i]});
  for (const auto& r : h.notifications) {
    if (r.type == engine::kNotificationDecided) {
      auto n = engine::decode_notification(r.payload);
      rows.push_back(
          {&r, n.message_id + " till " + n.to_email + ": " + n.subject, n.message_id, ""});
    } else {
      auto d = engine::decode_delivery(r.payload);
      rows.push_back({&r,
                      d.message_id + " försök " + std::to_string(d.attempt) + ": " + d.outcome +
                          (d.code ? " (" + std::to_string(d.code) + ")" : "") +
                          (d.detail.empty() ? "" : " " + d.detail),
                      d.message_id, d.outcome});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const HistoryRow& a, const HistoryRow& b) {
    return a.r->position.value < b.r->position.value;
  });
  return rows;
}
}  // namespace

json history_json(const engine::LoadedHire& h) {
  json j = json::array();
  for (const auto& row : history_rows(h)) {
    const auto& r = *row.r;
    j.push_back({{"position", r.position.value},
                 {"version", r.version.value},
                 {"recorded_at", iso_time(r.recorded_at)},
                 {"effective_at", iso_day(engine::swedish_day(r.effective_at))},
                 {"actor", r.actor},
                 {"type", r.type},
                 {"schema_version", r.schema_version},
                 {"details", row.details},
                 {"idempotency_key", r.idempotency_key},
                 {"hash", storage::to_hex(r.hash)},
                 {"prev_hash", storage::to_hex(r.prev_hash)}});
    if (!row.message_id.empty()) j.back()["message_id"] = row.message_id;
    if (!row.outcome.empty()) j.back()["outcome"] = row.outcome;
    if (const auto* e = row.entry) {
      if (e->correction) {
        // What this record corrects or strikes, and why; `replacement` is the
        // fact as it should have been, in the shape the events route takes.
        auto& c = j.back();
        c[e->correction->replacement ? "corrects" : "retracts"] = e->correction->version;
        c["reason"] = e->correction->reason;
        if (e->correction->replacement) c["replacement"] = event_json(*e->correction->replacement);
      } else if (e->superseded_by) {
        j.back()[e->retracted ? "retracted_by" : "corrected_by"] = e->superseded_by;
      }
      if (e->event) j.back()["event"] = event_json(*e->event);
      if (!e->damage.empty()) j.back()["damage"] = e->damage;
    }
  }
  return j;
}

std::string history_csv(const engine::LoadedHire& h) {
  std::ostringstream os;
  os << "position,version,recorded_at,effective_at,actor,type,details,hash,prev_hash\r\n";
  for (const auto& row : history_rows(h)) {
    const auto& r = *row.r;
    os << r.position.value << ',' << r.version.value << ',' << iso_time(r.recorded_at) << ','
       << iso_day(engine::swedish_day(r.effective_at)) << ',' << csv_field(r.actor) << ','
       << csv_field(r.type) << ',' << csv_field(row.details) << ',' << storage::to_hex(r.hash)
       << ',' << storage::to_hex(r.prev_hash) << "\r\n";
  }
  return os.str();
}

}  // namespace journey::http
