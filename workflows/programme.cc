// Loads a programme from TOML and checks it. The file is edited by hand by municipalities
// adapting the GR programme, so every error names the file, the line, the field path and
// what is wrong: "gr.toml:42: checklists[1].items[3].role: 'XY' is not one of ...".
#include "journey/workflows/programme.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "journey/workflows/value_domain.h"

namespace journey::workflows {

// ---------------------------------------------------------------------------------------------
// Roles, parts, offsets

const char* role_code(Role r) {
  switch (r) {
    case Role::EC:
      return "EC";
    case Role::FirstSocialWorker:
      return "1:e";
    case Role::FA:
      return "FA";
    case Role::AD:
      return "AD";
    case Role::SJ:
      return "SJ";
    case Role::EJ:
      return "EJ";
  }
  return "?";
}

std::optional<Role> parse_role(const std::string& code) {
  for (Role r : {Role::EC, Role::FirstSocialWorker, Role::FA, Role::AD, Role::SJ, Role::EJ}) {
    if (code == role_code(r)) return r;
  }
  return std::nullopt;
}

const char* part_id(Part p) {
  switch (p) {
    case Part::preparation:
      return "preparation";
    case Part::induction:
      return "induction";
    case Part::course:
      return "course";
    case Part::supervision:
      return "supervision";
    case Part::internal_support:
      return "internal_support";
  }
  return "?";
}

namespace {

constexpr Part kAllParts[] = {Part::preparation, Part::induction, Part::course, Part::supervision,
                              Part::internal_support};

std::optional<Part> parse_part(const std::string& text) {
  for (Part p : kAllParts) {
    if (text == part_id(p)) return p;
  }
  return std::nullopt;
}

// Offsets beyond this many units are certainly typos, and the cap keeps month and year
// arithmetic far inside date::year's range (+-32767) and int's.
constexpr int kMaxOffsetCount = 9999;

char unit_char(Offset::Unit u) {
  switch (u) {
    case Offset::Unit::days:
      return 'd';
    case Offset::Unit::weeks:
      return 'w';
    case Offset::Unit::months:
      return 'm';
    case Offset::Unit::years:
      return 'y';
  }
  return '?';
}

date::sys_days add_months(date::sys_days start, int months) {
  const date::year_month_day ymd{start};
  const date::year_month ym = date::year_month{ymd.year(), ymd.month()} + date::months{months};
  // Clamp to the target month's last day: 31 Oct + 4m is the end of February, not 3 March.
  const date::day last =
      date::year_month_day_last{ym.year(), date::month_day_last{ym.month()}}.day();
  return date::sys_days{ym / std::min(ymd.day(), last)};
}

}  // namespace

date::sys_days Offset::from(date::sys_days start) const {
  switch (unit) {
    case Unit::days:
      return start + date::days{count};
    case Unit::weeks:
      return start + date::days{7 * count};
    case Unit::months:
      return add_months(start, count);
    case Unit::years:
      return add_months(start, 12 * count);
  }
  return start;
}

std::string Offset::str() const { return std::to_string(count) + unit_char(unit); }

Offset parse_offset(const std::string& text) {
  const std::string expected =
      "expected an optional sign, a whole number and a unit d, w, m or y (e.g. \"-14d\", \"2w\", "
      "\"4m\", \"1y\")";
  if (text.empty()) throw std::invalid_argument("empty offset; " + expected);
  std::size_t i = 0;
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') {
    negative = text[i] == '-';
    ++i;
  }
  const std::size_t digits_begin = i;
  long long value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    value = value * 10 + (text[i] - '0');
    if (value > kMaxOffsetCount) {
      throw std::invalid_argument("'" + text + "' is too large; at most " +
                                  std::to_string(kMaxOffsetCount) + " units");
    }
    ++i;
  }
  if (i == digits_begin) throw std::invalid_argument("'" + text + "' has no number; " + expected);
  if (i + 1 != text.size()) {
    throw std::invalid_argument("'" + text + "' is not a valid offset; " + expected);
  }
  Offset o;
  switch (text[i]) {
    case 'd':
      o.unit = Offset::Unit::days;
      break;
    case 'w':
      o.unit = Offset::Unit::weeks;
      break;
    case 'm':
      o.unit = Offset::Unit::months;
      break;
    case 'y':
      o.unit = Offset::Unit::years;
      break;
    default:
      throw std::invalid_argument("'" + text + "' has an unknown unit '" + text.substr(i) + "'; " +
                                  expected);
  }
  o.count = static_cast<int>(negative ? -value : value);
  return o;
}

// ---------------------------------------------------------------------------------------------
// Programme lookups

void Programme::index_items() {
  item_index.clear();
  item_count = 0;
  for (std::size_t c = 0; c < checklists.size(); ++c) {
    for (std::size_t i = 0; i < checklists[c].items.size(); ++i)
      item_index.emplace(checklists[c].items[i].id, ItemSlot{c, i, item_count++});
  }
}

std::optional<Programme::ItemLocation> Programme::locate(const std::string& item_id) const {
  if (!item_index.empty()) {
    auto it = item_index.find(item_id);
    if (it == item_index.end()) return std::nullopt;
    const ItemSlot& s = it->second;
    return ItemLocation{&checklists[s.checklist], &checklists[s.checklist].items[s.item],
                        s.ordinal};
  }
  std::size_t ordinal = 0;
  for (const Checklist& c : checklists) {
    for (const ChecklistItem& i : c.items) {
      if (i.id == item_id) return ItemLocation{&c, &i, ordinal};
      ++ordinal;
    }
  }
  return std::nullopt;
}

const ChecklistItem* Programme::find_item(const std::string& item_id) const {
  auto l = locate(item_id);
  return l ? l->item : nullptr;
}

const Checklist* Programme::checklist_of(const std::string& item_id) const {
  auto l = locate(item_id);
  return l ? l->checklist : nullptr;
}

const Deadline* Programme::find_deadline(const std::string& deadline_id) const {
  for (const Deadline& d : deadlines) {
    if (d.id == deadline_id) return &d;
  }
  return nullptr;
}

double Programme::introducer_hours_for(date::sys_days start, date::sys_days week_monday) const {
  // A week belongs to the period in force on its Monday, so the week in which a period
  // changes is owed at one rate only, never at both.
  for (const IntroducerPeriod& p : support.introducer) {
    if (p.from.from(start) <= week_monday && week_monday < p.to.from(start)) {
      return p.hours_per_week;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Loader

namespace {

// Offsets are compared as "for every possible start date". Offsets of the same kind
// (days/weeks, or months/years) compare exactly by their counts, since month arithmetic with
// clamping is monotonic. Mixed kinds ("30d" against "1m") depend on the start date, so all
// start dates of one 400-year Gregorian cycle are tried: the calendar repeats after it, so
// that covers every start date there is.
bool day_based(const Offset& o) {
  return o.unit == Offset::Unit::days || o.unit == Offset::Unit::weeks;
}
long long normalized(const Offset& o) {
  switch (o.unit) {
    case Offset::Unit::days:
      return o.count;
    case Offset::Unit::weeks:
      return 7LL * o.count;
    case Offset::Unit::months:
      return o.count;
    case Offset::Unit::years:
      return 12LL * o.count;
  }
  return 0;
}

// Returns a start date at which `ok(a.from(start), b.from(start))` fails, if there is one.
std::optional<date::sys_days> counterexample(
    const Offset& a, const Offset& b,
    const std::function<bool(date::sys_days, date::sys_days)>& ok) {
  const date::sys_days fixed = date::sys_days{date::year{2000} / date::January / 1};
  if (day_based(a) == day_based(b)) {
    // Same kind: for months, a smaller count always lands in an earlier month whatever the
    // clamping does, so the counts decide for every start date alike.
    if (ok(fixed + date::days{normalized(a)}, fixed + date::days{normalized(b)})) {
      return std::nullopt;
    }
    return fixed;
  }
  constexpr int kGregorianCycleDays = 146097;
  for (int i = 0; i < kGregorianCycleDays; ++i) {
    const date::sys_days s = fixed + date::days{i};
    if (!ok(a.from(s), b.from(s))) return s;
  }
  return std::nullopt;
}

std::string format_date(date::sys_days d) {
  std::ostringstream out;
  out << date::year_month_day{d};
  return out.str();
}

const char* type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown value";
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string element_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
}

// Ids end up in events, file names and command lines, so they are kept to a safe alphabet
// and to the length the API's fields take.
constexpr std::size_t kMaxIdChars = 100;
bool valid_id(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

class Loader {
 public:
  explicit Loader(std::string origin) : origin_(std::move(origin)) {}

  Programme load(const toml::table& root) {
    Programme p;
    check_keys(
        root, "",
        {"programme", "checklists", "course", "supervision", "support", "deadlines", "reminders"});
    load_header(table(root, "", "programme"), "programme", p);
    load_checklists(root, p);
    load_course(table(root, "", "course"), "course", p.course);
    load_supervision(table(root, "", "supervision"), "supervision", p.supervision);
    load_support(table(root, "", "support"), "support", p.support);
    load_deadlines(root, p);
    load_reminders(root, p);
    p.index_items();
    return p;
  }

 private:
  [[noreturn]] void fail(const toml::source_region& where, const std::string& path,
                         const std::string& what) const {
    std::string msg = origin_;
    if (where.begin.line > 0) msg += ":" + std::to_string(where.begin.line);
    msg += ": " + path + ": " + what;
    throw ProgrammeError(msg);
  }
  [[noreturn]] void fail(const toml::node& at, const std::string& path,
                         const std::string& what) const {
    fail(at.source(), path, what);
  }

  // Rejects keys the schema does not know, so that a typo ("rol = ...") is reported instead of
  // silently leaving the real key at its default. Reports the first unknown key in file order.
  void check_keys(const toml::table& t, const std::string& path,
                  std::initializer_list<std::string_view> allowed) const {
    const toml::key* first = nullptr;
    for (auto&& [k, v] : t) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
      if (first == nullptr || k.source().begin.line < first->source().begin.line) first = &k;
    }
    if (first == nullptr) return;
    std::string list;
    for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    fail(first->source(), join(path, first->str()),
         "unknown key '" + std::string(first->str()) + "'; expected one of: " + list);
  }

  const toml::node& required(const toml::table& t, const std::string& path,
                             std::string_view key) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) fail(t, join(path, key), "missing required key");
    return *n;
  }

  [[noreturn]] void wrong_type(const toml::node& n, const std::string& path,
                               const char* expected) const {
    fail(n, path, std::string("expected ") + expected + ", found " + type_name(n.type()));
  }

  const toml::table& table(const toml::table& t, const std::string& path,
                           std::string_view key) const {
    const toml::node& n = required(t, path, key);
    if (!n.is_table()) wrong_type(n, join(path, key), "a table");
    return *n.as_table();
  }

  // An array whose every element is a table ([[name]] in TOML). Returns nullptr if optional
  // and absent.
  const toml::array* tables(const toml::table& t, const std::string& path, std::string_view key,
                            bool is_required) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (is_required) fail(t, join(path, key), "missing required key");
      return nullptr;
    }
    if (!n->is_array()) wrong_type(*n, join(path, key), "an array of tables");
    const toml::array& a = *n->as_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_table()) wrong_type(a[i], element_path(join(path, key), i), "a table");
    }
    return &a;
  }

  std::string string_value(const toml::node& n, const std::string& path) const {
    if (!n.is_string()) wrong_type(n, path, "a string");
    std::string s = n.as_string()->get();
    if (blank(s)) fail(n, path, "must not be empty");
    // The value domain's free text (value_domain.h): what the programme
    // says is shown in e-mails and pages, and stored in the log.
    if (auto bad = check_text(s)) fail(n, path, bad->text(Language::en));
    return s;
  }

  std::string string(const toml::table& t, const std::string& path, std::string_view key) const {
    return string_value(required(t, path, key), join(path, key));
  }

  std::string optional_string(const toml::table& t, const std::string& path,
                              std::string_view key) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return {};
    // An explicitly empty optional string is more likely a forgotten text than a choice.
    return string_value(*n, join(path, key));
  }

  std::string id(const toml::table& t, const std::string& path, std::string_view key) const {
    const toml::node& n = required(t, path, key);
    std::string s = string_value(n, join(path, key));
    if (!valid_id(s)) {
      fail(n, join(path, key),
           "'" + s + "' is not a valid id; use lowercase a-z, digits, '.', '-' and '_'");
    }
    // An item id is what the API's "item" field takes (at most kMaxIdChars).
    if (s.size() > kMaxIdChars) {
      fail(n, join(path, key),
           "'" + s.substr(0, 20) + "…' is longer than " + std::to_string(kMaxIdChars) +
               " characters");
    }
    return s;
  }

  int integer(const toml::table& t, const std::string& path, std::string_view key) const {
    const toml::node& n = required(t, path, key);
    if (!n.is_integer()) wrong_type(n, join(path, key), "an integer");
    const std::int64_t v = n.as_integer()->get();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      fail(n, join(path, key), std::to_string(v) + " is out of range");
    }
    return static_cast<int>(v);
  }

  // Hours may be written "2" or "2.0"; both are what a person means.
  double number(const toml::table& t, const std::string& path, std::string_view key) const {
    const toml::node& n = required(t, path, key);
    double v = 0;
    if (n.is_integer()) {
      v = static_cast<double>(n.as_integer()->get());
    } else if (n.is_floating_point()) {
      v = n.as_floating_point()->get();
    } else {
      wrong_type(n, join(path, key), "a number");
    }
    if (!std::isfinite(v)) fail(n, join(path, key), "must be a finite number");
    return v;
  }

  bool optional_bool(const toml::table& t, const std::string& path, std::string_view key,
                     bool fallback) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return fallback;
    if (!n->is_boolean()) wrong_type(*n, join(path, key), "a boolean (true or false)");
    return n->as_boolean()->get();
  }

  Offset offset(const toml::table& t, const std::string& path, std::string_view key) const {
    const toml::node& n = required(t, path, key);
    if (!n.is_string()) wrong_type(n, join(path, key), "an offset string such as \"4m\"");
    try {
      return parse_offset(n.as_string()->get());
    } catch (const std::invalid_argument& e) {
      fail(n, join(path, key), e.what());
    }
  }

  Part part(const toml::table& t, const std::string& path, std::string_view key) const {
    const toml::node& n = required(t, path, key);
    const std::string s = string_value(n, join(path, key));
    if (auto p = parse_part(s)) return *p;
    fail(n, join(path, key),
         "'" + s +
             "' is not one of preparation, induction, course, supervision, "
             "internal_support");
  }

  // Requires a <= b (or a < b when `strict`) for every start date; `what` explains a failure,
  // the labels name the two offsets in the message.
  void require_order(const Offset& a, const std::string& a_label, const Offset& b,
                     const std::string& b_label, bool strict, const toml::node& at,
                     const std::string& path, const std::string& what) const {
    auto ok = [strict](date::sys_days x, date::sys_days y) { return strict ? x < y : x <= y; };
    if (auto s = counterexample(a, b, ok)) {
      std::string msg = what + " (" + a_label + " = " + a.str() + ", " + b_label + " = " + b.str();
      if (day_based(a) != day_based(b)) msg += "; e.g. for a start on " + format_date(*s);
      fail(at, path, msg + ")");
    }
  }

  Window window(const toml::table& t, const std::string& path, std::string_view key) const {
    const std::string p = join(path, key);
    const toml::table& w = table(t, path, key);
    check_keys(w, p, {"from", "to"});
    Window out{offset(w, p, "from"), offset(w, p, "to")};
    require_order(out.from, "from", out.to, "to", /*strict=*/false, w, p,
                  "window ends before it starts");
    return out;
  }

  void load_header(const toml::table& t, const std::string& path, Programme& p) const {
    check_keys(t, path, {"id", "version", "name", "source"});
    p.id = id(t, path, "id");
    p.version = integer(t, path, "version");
    if (p.version < 1) fail(required(t, path, "version"), join(path, "version"), "must be >= 1");
    p.name = string(t, path, "name");
    p.source = string(t, path, "source");
  }

  void load_checklists(const toml::table& root, Programme& p) const {
    const toml::array& lists = *tables(root, "", "checklists", /*is_required=*/true);
    if (lists.empty()) fail(lists, "checklists", "at least one checklist is required");
    std::set<std::string> checklist_ids, item_ids;
    for (std::size_t ci = 0; ci < lists.size(); ++ci) {
      const toml::table& t = *lists[ci].as_table();
      const std::string path = element_path("checklists", ci);
      check_keys(t, path, {"id", "title", "part", "items"});
      Checklist c;
      c.id = id(t, path, "id");
      if (!checklist_ids.insert(c.id).second) {
        fail(*t.get("id"), join(path, "id"), "duplicate checklist id '" + c.id + "'");
      }
      c.title = string(t, path, "title");
      c.part = part(t, path, "part");
      const toml::array& items = *tables(t, path, "items", /*is_required=*/true);
      if (items.empty()) fail(items, join(path, "items"), "a checklist needs at least one item");
      for (std::size_t ii = 0; ii < items.size(); ++ii) {
        const toml::table& it = *items[ii].as_table();
        const std::string ipath = element_path(join(path, "items"), ii);
        check_keys(it, ipath, {"id", "text", "comment", "role", "due", "waived_if_experienced"});
        ChecklistItem item;
        item.id = id(it, ipath, "id");
        // Unique across the programme: events name an item by id alone.
        if (!item_ids.insert(item.id).second) {
          fail(*it.get("id"), join(ipath, "id"), "duplicate item id '" + item.id + "'");
        }
        item.text = string(it, ipath, "text");
        item.comment = optional_string(it, ipath, "comment");
        const toml::node& role_node = required(it, ipath, "role");
        const std::string role = string_value(role_node, join(ipath, "role"));
        if (auto r = parse_role(role)) {
          item.role = *r;
        } else {
          fail(role_node, join(ipath, "role"),
               "'" + role + "' is not one of EC, 1:e, FA, AD, SJ, EJ");
        }
        item.due = offset(it, ipath, "due");
        item.waived_if_experienced = optional_bool(it, ipath, "waived_if_experienced", false);
        c.items.push_back(std::move(item));
      }
      p.checklists.push_back(std::move(c));
    }
  }

  void load_course(const toml::table& t, const std::string& path, Course& c) const {
    check_keys(t, path, {"title", "start", "modules", "bbic_parts"});
    c.title = string(t, path, "title");
    c.start = window(t, path, "start");
    const std::string mpath = join(path, "modules");
    const toml::array& modules = *tables(t, path, "modules", /*is_required=*/true);
    if (modules.empty()) fail(modules, mpath, "at least one module is required");
    for (std::size_t i = 0; i < modules.size(); ++i) {
      const toml::table& m = *modules[i].as_table();
      const std::string p = element_path(mpath, i);
      check_keys(m, p, {"number", "title"});
      CourseModule mod;
      mod.number = integer(m, p, "number");
      // Numbered 1..N in file order: the certificate and the booking refer to "modul 3".
      if (mod.number != static_cast<int>(i) + 1) {
        fail(*m.get("number"), join(p, "number"),
             "modules must be numbered 1..N in order; expected " + std::to_string(i + 1) +
                 ", found " + std::to_string(mod.number));
      }
      mod.title = string(m, p, "title");
      c.modules.push_back(std::move(mod));
    }
    const std::string bpath = join(path, "bbic_parts");
    if (const toml::array* parts = tables(t, path, "bbic_parts", /*is_required=*/false)) {
      std::set<std::string> seen;
      for (std::size_t i = 0; i < parts->size(); ++i) {
        const toml::table& b = *(*parts)[i].as_table();
        const std::string p = element_path(bpath, i);
        check_keys(b, p, {"id", "title"});
        BbicPart part;
        part.id = string(b, p, "id");
        if (auto bad = check_name(part.id, true, 10))
          fail(*b.get("id"), p + ".id", bad->text(Language::en));
        if (!seen.insert(part.id).second) {
          fail(*b.get("id"), join(p, "id"), "duplicate BBIC part id '" + part.id + "'");
        }
        part.title = string(b, p, "title");
        c.bbic_parts.push_back(std::move(part));
      }
    }
  }

  void load_supervision(const toml::table& t, const std::string& path, Supervision& s) const {
    check_keys(
        t, path,
        {"title", "start", "sessions", "session_hours", "duration", "group_min", "group_max"});
    s.title = string(t, path, "title");
    s.start = window(t, path, "start");
    s.sessions = integer(t, path, "sessions");
    if (s.sessions <= 0) fail(*t.get("sessions"), join(path, "sessions"), "must be > 0");
    s.session_hours = number(t, path, "session_hours");
    if (s.session_hours <= 0) {
      fail(*t.get("session_hours"), join(path, "session_hours"), "must be > 0");
    }
    s.duration = offset(t, path, "duration");
    if (s.duration.count <= 0) fail(*t.get("duration"), join(path, "duration"), "must be > 0");
    s.group_min = integer(t, path, "group_min");
    if (s.group_min <= 0) fail(*t.get("group_min"), join(path, "group_min"), "must be > 0");
    s.group_max = integer(t, path, "group_max");
    if (s.group_max < s.group_min) {
      fail(*t.get("group_max"), join(path, "group_max"),
           "must be >= group_min (" + std::to_string(s.group_min) + ")");
    }
  }

  void load_support(const toml::table& t, const std::string& path, InternalSupport& s) const {
    check_keys(t, path, {"title", "introducer"});
    s.title = string(t, path, "title");
    const std::string ipath = join(path, "introducer");
    const toml::array& periods = *tables(t, path, "introducer", /*is_required=*/true);
    for (std::size_t i = 0; i < periods.size(); ++i) {
      const toml::table& pt = *periods[i].as_table();
      const std::string p = element_path(ipath, i);
      check_keys(pt, p, {"from", "to", "hours_per_week"});
      IntroducerPeriod period;
      period.from = offset(pt, p, "from");
      period.to = offset(pt, p, "to");
      require_order(period.from, "from", period.to, "to", /*strict=*/true, *pt.get("to"),
                    join(p, "to"), "period must end after it starts");
      period.hours_per_week = number(pt, p, "hours_per_week");
      if (period.hours_per_week < 0) {
        fail(*pt.get("hours_per_week"), join(p, "hours_per_week"), "must be >= 0");
      }
      if (!s.introducer.empty()) {
        // Ascending and non-overlapping, so that a week is owed at one rate only.
        const std::string previous = element_path(ipath, i - 1);
        require_order(s.introducer.back().to, previous + ".to", period.from, "from",
                      /*strict=*/false, *pt.get("from"), join(p, "from"),
                      "periods must be in ascending order and must not overlap; this one starts "
                      "before " +
                          previous + " ends");
      }
      s.introducer.push_back(period);
    }
  }

  void load_deadlines(const toml::table& root, Programme& p) const {
    const toml::array& list = *tables(root, "", "deadlines", /*is_required=*/true);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const toml::table& t = *list[i].as_table();
      const std::string path = element_path("deadlines", i);
      check_keys(t, path, {"id", "title", "part", "due"});
      Deadline d;
      d.id = id(t, path, "id");
      if (!seen.insert(d.id).second) {
        fail(*t.get("id"), join(path, "id"), "duplicate deadline id '" + d.id + "'");
      }
      d.title = string(t, path, "title");
      d.part = part(t, path, "part");
      d.due = offset(t, path, "due");
      p.deadlines.push_back(std::move(d));
    }
  }

  void load_reminders(const toml::table& root, Programme& p) const {
    const toml::array* list = tables(root, "", "reminders", /*is_required=*/false);
    if (list == nullptr) return;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::table& t = *(*list)[i].as_table();
      const std::string path = element_path("reminders", i);
      check_keys(t, path, {"obligation", "ladder", "escalate_after"});
      ReminderRule r;
      const toml::node& ob = required(t, path, "obligation");
      r.obligation = string(t, path, "obligation");
      if (r.obligation != "checklist" && p.find_deadline(r.obligation) == nullptr) {
        fail(ob, join(path, "obligation"),
             "'" + r.obligation + "' is neither \"checklist\" nor a deadline id");
      }
      if (!seen.insert(r.obligation).second) {
        fail(ob, join(path, "obligation"), "a second rule for '" + r.obligation + "'");
      }
      const toml::node& ladder = required(t, path, "ladder");
      const toml::array* rungs = ladder.as_array();
      if (rungs == nullptr || rungs->empty()) {
        fail(ladder, join(path, "ladder"),
             "must be a non-empty list of offsets such as [\"-3d\", \"0d\"]");
      }
      for (std::size_t k = 0; k < rungs->size(); ++k) {
        const std::string rpath = element_path(join(path, "ladder"), k);
        const toml::node& n = (*rungs)[k];
        if (!n.is_string()) wrong_type(n, rpath, "an offset string such as \"-3d\"");
        try {
          r.ladder.push_back(parse_offset(n.as_string()->get()));
        } catch (const std::invalid_argument& e) {
          fail(n, rpath, e.what());
        }
        if (k > 0) {
          require_order(r.ladder[k - 1], element_path(join(path, "ladder"), k - 1), r.ladder[k],
                        rpath,
                        /*strict=*/true, n, rpath, "rungs must be in ascending order");
        }
      }
      if (t.contains("escalate_after")) {
        r.escalate_after = offset(t, path, "escalate_after");
        if (r.escalate_after->count <= 0) {
          fail(*t.get("escalate_after"), join(path, "escalate_after"),
               "must be after the due date, e.g. \"7d\"");
        }
      }
      p.reminders.push_back(std::move(r));
    }
  }

  std::string origin_;
};

}  // namespace

Programme load_programme_text(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(toml_text), std::string_view(origin));
  } catch (const toml::parse_error& e) {
    const toml::source_position& at = e.source().begin;
    throw ProgrammeError(origin + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                         ": " + std::string(e.description()));
  }
  return Loader(origin).load(root);
}

Programme load_programme_file(const std::string& path) {
  // A directory opens fine as a stream and reads as empty, which would be reported as a
  // programme without keys.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ProgrammeError(path + ": cannot read programme file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ProgrammeError(path + ": cannot open programme file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ProgrammeError(path + ": cannot read programme file");
  return load_programme_text(text.str(), path);
}

}  // namespace journey::workflows
