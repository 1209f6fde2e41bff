// clang-format off: Boost.Test wants its module name defined before the first include.
#define BOOST_TEST_MODULE programme
#include <boost/test/unit_test.hpp>
#include <memory>
// clang-format on

#include <unistd.h>

#include <algorithm>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "journey/workflows/programme.h"

// Printers so that failed assertions show values; the library has no stream operators.
namespace journey::workflows {
std::ostream& operator<<(std::ostream& out, Role r) { return out << role_code(r); }
std::ostream& operator<<(std::ostream& out, Part p) { return out << part_id(p); }
std::ostream& operator<<(std::ostream& out, const Offset& o) { return out << o.str(); }
}  // namespace journey::workflows

namespace bdata = boost::unit_test::data;
using journey::workflows::Checklist;
using journey::workflows::ChecklistItem;
using journey::workflows::load_programme_file;
using journey::workflows::load_programme_text;
using journey::workflows::Offset;
using journey::workflows::parse_offset;
using journey::workflows::parse_role;
using journey::workflows::Part;
using journey::workflows::Programme;
using journey::workflows::ProgrammeError;
using journey::workflows::Role;
using journey::workflows::role_code;

namespace {

const std::string kShipped = std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml";

// A small valid programme; each error test breaks exactly one thing in it. Checklist 1 has four
// items so that "checklists[1].items[3]" is a real path.
const std::string kMinimal = R"([programme]
id = "test"
version = 1
name = "Testprogram"
source = "Enhetstest"

[[checklists]]
id = "forsta"
title = "Första listan"
part = "preparation"

  [[checklists.items]]
  id = "a.ett"
  text = "Ett"
  role = "EC"
  due = "-14d"

[[checklists]]
id = "andra"
title = "Andra listan"
part = "induction"

  [[checklists.items]]
  id = "b.ett"
  text = "Ett"
  role = "FA"
  due = "0d"

  [[checklists.items]]
  id = "b.tva"
  text = "Två"
  comment = "En kommentar"
  role = "1:e"
  due = "1w"

  [[checklists.items]]
  id = "b.tre"
  text = "Tre"
  role = "SJ"
  due = "1m"
  waived_if_experienced = true

  [[checklists.items]]
  id = "b.fyra"
  text = "Fyra"
  role = "AD"
  due = "4m"

[course]
title = "Kurs"
start = { from = "4m", to = "12m" }

  [[course.modules]]
  number = 1
  title = "Modul 1"

  [[course.modules]]
  number = 2
  title = "Modul 2"

  [[course.bbic_parts]]
  id = "A"
  title = "Del A"

[supervision]
title = "Handledning"
start = { from = "12m", to = "24m" }
sessions = 10
session_hours = 2.0
duration = "12m"
group_min = 6
group_max = 8

[support]
title = "Stöd"

  [[support.introducer]]
  from = "0m"
  to = "12m"
  hours_per_week = 4

  [[support.introducer]]
  from = "12m"
  to = "24m"
  hours_per_week = 2

[[deadlines]]
id = "induction.complete"
title = "Inskolningen klar"
part = "induction"
due = "4m"

[[deadlines]]
id = "course.start"
title = "Kursen påbörjad"
part = "course"
due = "12m"
)";

// kMinimal with the only occurrence of `from` replaced by `to`.
std::string with(const std::string& from, const std::string& to,
                 const std::string& base = kMinimal) {
  const auto at = base.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "test setup: '" << from << "' not found");
  BOOST_REQUIRE_MESSAGE(base.find(from, at + 1) == std::string::npos,
                        "test setup: '" << from << "' is not unique");
  return base.substr(0, at) + to + base.substr(at + from.size());
}

// 1-based line of the first occurrence of `needle`, so tests do not hard-code line numbers.
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  BOOST_REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

std::string error_of(const std::string& text, const std::string& origin = "test.toml") {
  try {
    load_programme_text(text, origin);
  } catch (const ProgrammeError& e) {
    return e.what();
  }
  BOOST_FAIL("expected a ProgrammeError");
  return {};
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// "test.toml:LINE: path: " where LINE is the line of `needle` in `text`.
std::string at(const std::string& text, const std::string& needle, const std::string& path) {
  return "test.toml:" + std::to_string(line_of(text, needle)) + ": " + path + ": ";
}

date::sys_days ymd(int y, unsigned m, unsigned d) {
  return date::sys_days{date::year{y} / date::month{m} / date::day{d}};
}

const Checklist* checklist(const Programme& p, const std::string& id) {
  for (const Checklist& c : p.checklists) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The shipped GR programme

BOOST_AUTO_TEST_CASE(ShippedGrProgrammeLoadsWithEveryChecklist) {
  const Programme p = load_programme_file(kShipped);
  BOOST_TEST(p.id == "gr-forsta-aren");
  BOOST_TEST(p.version == 1);
  BOOST_TEST(p.name ==
             "De första åren som socialsekreterare inom myndighetsutövning barn och unga");
  BOOST_TEST(!p.source.empty());

  BOOST_REQUIRE_EQUAL(p.checklists.size(), 3u);
  const Checklist* ec = checklist(p, "ec-forbereda-ankomst");
  const Checklist* ad = checklist(p, "ad-forbereda-ankomst");
  const Checklist* intro = checklist(p, "introduktion-nyanstallda");
  BOOST_REQUIRE(ec && ad && intro);
  BOOST_TEST(ec->title == "Checklista enhetschef förbereda ankomst");
  BOOST_TEST(ad->title == "Checklista administratör förbereda ankomst");
  BOOST_TEST(intro->title == "Checklista för introduktion av nyanställda");
  BOOST_TEST(ec->part == Part::preparation);
  BOOST_TEST(ad->part == Part::preparation);
  BOOST_TEST(intro->part == Part::induction);
  BOOST_TEST(ec->items.size() == 10u);
  BOOST_TEST(ad->items.size() == 12u);
  // 61 rows in the source (as domain.md reads it, with "Vem möter? Vad händer första dagen?" and
  // "Den egna delegationen" as items) minus the repeated Postfack, Säkerhetsrutiner, Intranät.
  BOOST_TEST(intro->items.size() == 58u);

  const date::sys_days start = ymd(2025, 3, 3);
  for (const ChecklistItem& i : ec->items) {
    BOOST_TEST_CONTEXT(i.id) {
      BOOST_TEST(starts_with(i.id, "ec."));
      BOOST_TEST(i.role == Role::EC);
      BOOST_TEST((i.due.from(start) < start));  // prepared before the first day
    }
  }
  for (const ChecklistItem& i : ad->items) {
    BOOST_TEST_CONTEXT(i.id) {
      BOOST_TEST(starts_with(i.id, "ad."));
      BOOST_TEST(i.role == Role::AD);
      BOOST_TEST((i.due.from(start) < start));
    }
  }
  std::set<std::string> waived;
  for (const ChecklistItem& i : intro->items) {
    BOOST_TEST_CONTEXT(i.id) {
      BOOST_TEST(starts_with(i.id, "intro."));
      BOOST_TEST(i.role != Role::EJ);  // EJ is decided per hire, not in the programme
      BOOST_TEST((i.due.from(start) >= start));
      BOOST_TEST((i.due.from(start) <= Offset{4, Offset::Unit::months}.from(start)));
    }
    if (i.waived_if_experienced) waived.insert(i.id);
  }
  const std::set<std::string> profession_items = {
      "intro.socialtjanstlagen", "intro.lvu-lvm",       "intro.bbic",
      "intro.lex-sarah",         "intro.arbetsmetoder", "intro.forkortningar"};
  BOOST_TEST(waived == profession_items, boost::test_tools::per_element());

  // Items the source lists twice are kept once.
  for (const std::string text : {"Postfack", "Säkerhetsrutiner", "Intranätet"}) {
    BOOST_TEST(std::count_if(intro->items.begin(), intro->items.end(),
                             [&](const auto& i) { return i.text == text; }) == 1,
               text);
  }

  BOOST_TEST(p.course.title == "Introduktionsprogram");
  BOOST_TEST(p.course.start.from == (Offset{4, Offset::Unit::months}));
  BOOST_TEST(p.course.start.to == (Offset{12, Offset::Unit::months}));
  BOOST_REQUIRE_EQUAL(p.course.modules.size(), 8u);
  for (std::size_t i = 0; i < p.course.modules.size(); ++i) {
    BOOST_TEST(p.course.modules[i].number == static_cast<int>(i) + 1);
    BOOST_TEST(starts_with(p.course.modules[i].title, "Modul " + std::to_string(i + 1) + ": "));
  }
  BOOST_REQUIRE_EQUAL(p.course.bbic_parts.size(), 4u);
  BOOST_TEST(p.course.bbic_parts[0].id == "A");
  BOOST_TEST(p.course.bbic_parts[3].id == "D");

  BOOST_TEST(p.supervision.title == "Yrkesinriktad handledning");
  BOOST_TEST(p.supervision.start.from == (Offset{12, Offset::Unit::months}));
  BOOST_TEST(p.supervision.start.to == (Offset{24, Offset::Unit::months}));
  BOOST_TEST(p.supervision.sessions == 10);
  BOOST_TEST(p.supervision.session_hours == 2.0);
  BOOST_TEST(p.supervision.duration == (Offset{12, Offset::Unit::months}));
  BOOST_TEST(p.supervision.group_min == 6);
  BOOST_TEST(p.supervision.group_max == 8);

  BOOST_TEST(p.support.title == "Internt stöd");
  BOOST_REQUIRE_EQUAL(p.support.introducer.size(), 2u);

  BOOST_REQUIRE_EQUAL(p.deadlines.size(), 5u);
  const std::vector<std::pair<std::string, std::string>> deadlines = {
      {"preparation.ready", "0d"},
      {"induction.complete", "4m"},
      {"course.start", "12m"},
      {"supervision.start", "24m"},
      {"supervision.complete", "36m"}};
  for (const auto& [id, due] : deadlines) {
    const auto* d = p.find_deadline(id);
    BOOST_REQUIRE_MESSAGE(d != nullptr, id);
    BOOST_TEST(d->due.str() == due, id);
    BOOST_TEST(!d->title.empty(), id);
  }
  BOOST_TEST(p.find_deadline("preparation.ready")->part == Part::preparation);
  BOOST_TEST(p.find_deadline("supervision.complete")->part == Part::supervision);
}

BOOST_AUTO_TEST_CASE(LookupsFindItemsChecklistsAndDeadlines) {
  const Programme p = load_programme_file(kShipped);
  const auto* keys = p.find_item("intro.nycklar");
  BOOST_REQUIRE(keys != nullptr);
  BOOST_TEST(keys->text == "Nycklar");
  BOOST_TEST(keys->role == Role::AD);
  BOOST_TEST(p.checklist_of("intro.nycklar") == checklist(p, "introduktion-nyanstallda"));
  BOOST_TEST(p.checklist_of("ad.it-bestallning") == checklist(p, "ad-forbereda-ankomst"));
  BOOST_TEST(p.checklist_of("ec.informera-enheten") == checklist(p, "ec-forbereda-ankomst"));
  BOOST_TEST(p.find_item("intro.finns-inte") == nullptr);
  BOOST_TEST(p.checklist_of("intro.finns-inte") == nullptr);
  BOOST_TEST(p.find_deadline("finns.inte") == nullptr);
}

// The index holds positions, not pointers: a copy of a programme must find its
// own items, and ordinals number every item once, in the programme's order.
BOOST_AUTO_TEST_CASE(LocateNumbersEveryItemOnceAndACopyFindsItsOwnItems) {
  auto original = std::make_unique<Programme>(load_programme_file(kShipped));
  const Programme copy = *original;
  original.reset();
  std::size_t ordinal = 0;
  for (const auto& cl : copy.checklists) {
    for (const auto& item : cl.items) {
      const auto loc = copy.locate(item.id);
      BOOST_REQUIRE_MESSAGE(loc.has_value(), item.id);
      BOOST_TEST(loc->item == &item, item.id);
      BOOST_TEST(loc->checklist == &cl, item.id);
      BOOST_TEST(loc->ordinal == ordinal++, item.id);
    }
  }
  BOOST_TEST(copy.item_count == ordinal);
  BOOST_TEST(!copy.locate("intro.finns-inte").has_value());
  // A programme built by hand and never indexed is scanned, with the same answers.
  Programme unindexed = copy;
  unindexed.item_index.clear();
  BOOST_TEST(unindexed.locate("intro.nycklar")->ordinal == copy.locate("intro.nycklar")->ordinal);
  BOOST_TEST(unindexed.checklist_of("intro.nycklar") ==
             checklist(unindexed, "introduktion-nyanstallda"));
}

// ---------------------------------------------------------------------------------------------
// The loader maps every field

BOOST_AUTO_TEST_CASE(MinimalProgrammeLoadsEveryField) {
  const Programme p = load_programme_text(kMinimal, "test.toml");
  BOOST_TEST(p.id == "test");
  BOOST_TEST(p.source == "Enhetstest");
  BOOST_REQUIRE_EQUAL(p.checklists.size(), 2u);
  const auto& items = p.checklists[1].items;
  BOOST_REQUIRE_EQUAL(items.size(), 4u);
  BOOST_TEST(items[0].comment.empty());  // optional, absent
  BOOST_TEST(items[1].comment == "En kommentar");
  BOOST_TEST(items[1].role == Role::FirstSocialWorker);
  BOOST_TEST(items[1].due == (Offset{1, Offset::Unit::weeks}));
  BOOST_TEST(!items[1].waived_if_experienced);  // default
  BOOST_TEST(items[2].waived_if_experienced);
  BOOST_TEST(p.checklists[0].items[0].due == (Offset{-14, Offset::Unit::days}));
  BOOST_TEST(p.course.bbic_parts.size() == 1u);
  BOOST_TEST(p.support.introducer[0].hours_per_week == 4.0);  // integer accepted as hours
  BOOST_TEST(p.deadlines[1].part == Part::course);
}

BOOST_AUTO_TEST_CASE(RoleAndPartCodesRoundTrip) {
  for (Role r : {Role::EC, Role::FirstSocialWorker, Role::FA, Role::AD, Role::SJ, Role::EJ}) {
    BOOST_TEST((parse_role(role_code(r)) == r), role_code(r));
  }
  BOOST_TEST(std::string(role_code(Role::FirstSocialWorker)) == "1:e");
  BOOST_TEST(!parse_role("ec").has_value());
  BOOST_TEST(!parse_role("").has_value());
  BOOST_TEST(std::string(journey::workflows::part_id(Part::internal_support)) ==
             "internal_support");
}

// ---------------------------------------------------------------------------------------------
// Errors name the origin, the line and the field

BOOST_AUTO_TEST_CASE(UnknownKeyIsNamedWithLine) {
  const std::string text = with("  role = \"SJ\"\n", "  rol = \"SJ\"\n");
  const std::string msg = error_of(text);
  BOOST_TEST(starts_with(msg, at(text, "rol = ", "checklists[1].items[2].rol")), msg);
  BOOST_TEST(contains(msg, "unknown key 'rol'"), msg);
}

BOOST_AUTO_TEST_CASE(UnknownTopLevelTableIsNamed) {
  const std::string text = kMinimal + "\n[kurs]\ntitle = \"x\"\n";
  const std::string msg = error_of(text);
  BOOST_TEST(starts_with(msg, at(text, "[kurs]", "kurs")), msg);
}

BOOST_AUTO_TEST_CASE(UnknownKeyInInlineWindowIsNamed) {
  const std::string text =
      with("start = { from = \"4m\", to = \"12m\" }", "start = { from = \"4m\", till = \"12m\" }");
  const std::string msg = error_of(text);
  BOOST_TEST(starts_with(msg, at(text, "till = ", "course.start.till")), msg);
}

BOOST_AUTO_TEST_CASE(BadRoleNamesFieldAndLine) {
  const std::string text = with("role = \"AD\"", "role = \"XY\"");
  BOOST_TEST(error_of(text) == at(text, "role = \"XY\"", "checklists[1].items[3].role") +
                                   "'XY' is not one of EC, 1:e, FA, AD, SJ, EJ");
}

BOOST_AUTO_TEST_CASE(MissingRequiredKeyNamesTableLine) {
  // Without `due` the error points at the item's [[checklists.items]] header.
  const std::string text = with("  due = \"1w\"\n", "");
  const std::string msg = error_of(text);
  const std::string header_of_b_tva =
      "test.toml:" + std::to_string(line_of(text, "id = \"b.tva\"") - 1) +
      ": checklists[1].items[1].due: missing required key";
  BOOST_TEST(msg == header_of_b_tva);
}

BOOST_AUTO_TEST_CASE(MissingTopLevelTableNamed) {
  const std::string text = with("[supervision]", "[supervisionx]");
  const std::string msg = error_of(text);
  BOOST_TEST(contains(msg, "supervisionx: unknown key"), msg);
  const std::string cut = kMinimal.substr(0, kMinimal.find("[supervision]")) +
                          kMinimal.substr(kMinimal.find("[support]"));
  BOOST_TEST(error_of(cut) == "test.toml:1: supervision: missing required key");
}

BOOST_AUTO_TEST_CASE(WrongTypeNamesExpectedAndFound) {
  const std::string text = with("version = 1", "version = \"1\"");
  BOOST_TEST(error_of(text) ==
             at(text, "version", "programme.version") + "expected an integer, found a string");
  const std::string flag = with("waived_if_experienced = true", "waived_if_experienced = \"ja\"");
  BOOST_TEST(starts_with(error_of(flag), at(flag, "waived_if_experienced",
                                            "checklists[1].items[2].waived_if_experienced")));
  const std::string items = with("[[course.modules]]\n  number = 2", "[course.x]\n  number = 2");
  BOOST_TEST(contains(error_of(items), "course.x: unknown key"));
}

BOOST_AUTO_TEST_CASE(EmptyUserFacingStringRejected) {
  const std::string text = with("text = \"Två\"", "text = \"  \"");
  BOOST_TEST(error_of(text) ==
             at(text, "text = \"  \"", "checklists[1].items[1].text") + "must not be empty");
  const std::string comment = with("comment = \"En kommentar\"", "comment = \"\"");
  BOOST_TEST(
      starts_with(error_of(comment), at(comment, "comment = ", "checklists[1].items[1].comment")));
  const std::string title = with("title = \"Modul 2\"", "title = \"\"");
  BOOST_TEST(starts_with(error_of(title), at(title, "title = \"\"", "course.modules[1].title")));
}

// The programme loader is an entrance like the API: its texts are the value
// domain's free text and its ids fit the API's fields (value_domain.h).
BOOST_AUTO_TEST_CASE(ProgrammeTextsAndIdsAreHeldToTheValueDomain) {
  const std::string control = with("text = \"Två\"", "text = \"Tv\\u0001\"");
  BOOST_TEST(
      starts_with(error_of(control), at(control, "text = \"Tv", "checklists[1].items[1].text")));
  BOOST_TEST(contains(error_of(control), "control character"), error_of(control));
  const std::string long_text = with("text = \"Två\"", "text = \"" + std::string(2001, 'x') + "\"");
  BOOST_TEST(contains(error_of(long_text), "checklists[1].items[1].text"));
  BOOST_TEST(contains(error_of(long_text), "2000"), error_of(long_text));
  const std::string long_id = with("id = \"b.ett\"", "id = \"b." + std::string(99, 'e') + "\"");
  BOOST_TEST(
      starts_with(error_of(long_id), at(long_id, "id = \"b.eee", "checklists[1].items[0].id")));
  BOOST_TEST(contains(error_of(long_id), "longer than 100"), error_of(long_id));
}

BOOST_AUTO_TEST_CASE(VersionBelowOneRejected) {
  const std::string text = with("version = 1", "version = 0");
  BOOST_TEST(error_of(text) == at(text, "version", "programme.version") + "must be >= 1");
}

BOOST_AUTO_TEST_CASE(InvalidIdRejected) {
  const std::string text = with("id = \"b.ett\"", "id = \"b.Ett ett\"");
  BOOST_TEST(starts_with(error_of(text), at(text, "b.Ett ett", "checklists[1].items[0].id")));
  const std::string empty = with("id = \"forsta\"", "id = \"\"");
  BOOST_TEST(starts_with(error_of(empty), at(empty, "id = \"\"", "checklists[0].id")));
}

BOOST_AUTO_TEST_CASE(DuplicateItemIdRejected) {
  // Across checklists too: events name items by id alone.
  const std::string text = with("id = \"b.fyra\"", "id = \"a.ett\"");
  BOOST_TEST(error_of(text) ==
             at(text, "id = \"a.ett\"\n  text = \"Fyra\"", "checklists[1].items[3].id") +
                 "duplicate item id 'a.ett'");
}

BOOST_AUTO_TEST_CASE(DuplicateChecklistIdRejected) {
  const std::string text = with("id = \"andra\"", "id = \"forsta\"");
  const std::string msg = error_of(text);
  BOOST_TEST(msg == at(text, "id = \"forsta\"\ntitle = \"Andra listan\"", "checklists[1].id") +
                        "duplicate checklist id 'forsta'");
}

BOOST_AUTO_TEST_CASE(DuplicateDeadlineIdRejected) {
  const std::string text = with("id = \"course.start\"", "id = \"induction.complete\"");
  BOOST_TEST(
      starts_with(error_of(text),
                  "test.toml:" + std::to_string(line_of(text, "title = \"Kursen påbörjad\"") - 1) +
                      ": deadlines[1].id: duplicate deadline id"));
}

BOOST_AUTO_TEST_CASE(UnknownPartRejected) {
  const std::string text = with("part = \"course\"", "part = \"kurs\"");
  BOOST_TEST(starts_with(error_of(text), at(text, "part = \"kurs\"", "deadlines[1].part") +
                                             "'kurs' is not one of preparation"));
}

// Malformed offsets, each rejected by parse_offset and named by the loader.
const std::vector<std::string> kBadOffsets = {
    "",    "14", "d",   "14x", "1.5m", " 4m",  "4m ",    "--1d",
    "4 m", "+",  "4mm", "m4",  "4M",   "0x1d", "10000d", "99999999999999999999d"};

BOOST_DATA_TEST_CASE(MalformedOffsetRejected, bdata::make(kBadOffsets), bad) {
  BOOST_CHECK_THROW(parse_offset(bad), std::invalid_argument);
  const std::string text = with("due = \"1w\"", "due = \"" + bad + "\"");
  BOOST_TEST(
      starts_with(error_of(text), at(text, "due = \"" + bad + "\"", "checklists[1].items[1].due")),
      error_of(text));
}

const std::vector<std::string> kGoodOffsets = {"-14d", "0d",    "-0d",    "+2w", "4m",
                                               "1y",   "9999d", "-9999y", "36m"};

BOOST_DATA_TEST_CASE(WellFormedOffsetsParseAndPrint, bdata::make(kGoodOffsets), good) {
  const Offset o = parse_offset(good);
  BOOST_TEST(parse_offset(o.str()) == o);
  BOOST_TEST(o.str() == (good == "+2w" ? "2w" : good == "-0d" ? "0d" : good));
}

BOOST_AUTO_TEST_CASE(OffsetOfWrongTypeRejected) {
  const std::string text = with("role = \"AD\"\n  due = \"4m\"", "role = \"AD\"\n  due = 4");
  BOOST_TEST(starts_with(error_of(text), at(text, "due = 4", "checklists[1].items[3].due") +
                                             "expected an offset string"));
}

BOOST_AUTO_TEST_CASE(WindowEndingBeforeStartRejected) {
  const std::string text =
      with("start = { from = \"4m\", to = \"12m\" }", "start = { from = \"12m\", to = \"4m\" }");
  BOOST_TEST(starts_with(error_of(text), at(text, "from = \"12m\", to = \"4m\"", "course.start") +
                                             "window ends before it starts"),
             error_of(text));
  // A plain deadline (from == to) is a valid window.
  BOOST_CHECK_NO_THROW(load_programme_text(
      with("start = { from = \"4m\", to = \"12m\" }", "start = { from = \"1y\", to = \"12m\" }"),
      "test.toml"));
}

BOOST_AUTO_TEST_CASE(MixedUnitWindowCheckedForEveryStartDate) {
  // 30 days is more than a month from 31 January (to 28 February), so "30d".."1m" is inverted
  // for some hires even though it looks fine from 1 January.
  const std::string text =
      with("start = { from = \"12m\", to = \"24m\" }", "start = { from = \"30d\", to = \"1m\" }");
  const std::string msg = error_of(text);
  BOOST_TEST(starts_with(msg, at(text, "from = \"30d\"", "supervision.start") +
                                  "window ends before it starts"),
             msg);
  BOOST_TEST(contains(msg, "for a start on"), msg);
  // A month is never shorter than 28 days.
  BOOST_CHECK_NO_THROW(load_programme_text(
      with("start = { from = \"12m\", to = \"24m\" }", "start = { from = \"28d\", to = \"1m\" }"),
      "test.toml"));
}

BOOST_AUTO_TEST_CASE(ModulesNotConsecutiveRejected) {
  const std::string text = with("number = 2", "number = 3");
  BOOST_TEST(error_of(text) == at(text, "number = 3", "course.modules[1].number") +
                                   "modules must be numbered 1..N in order; expected 2, found 3");
  const std::string zero = with("number = 1", "number = 0");
  BOOST_TEST(starts_with(error_of(zero), at(zero, "number = 0", "course.modules[0].number")));
}

BOOST_AUTO_TEST_CASE(NoModulesRejected) {
  const std::string base = with("  [[course.modules]]\n  number = 2\n  title = \"Modul 2\"\n", "");
  const std::string text =
      with("  [[course.modules]]\n  number = 1\n  title = \"Modul 1\"\n", "", base);
  BOOST_TEST(contains(error_of(text), "course.modules: missing required key"), error_of(text));
}

BOOST_AUTO_TEST_CASE(DuplicateBbicPartRejected) {
  const std::string text = kMinimal + "\n[[course.bbic_parts]]\nid = \"A\"\ntitle = \"Igen\"\n";
  BOOST_TEST(starts_with(error_of(text),
                         "test.toml:" + std::to_string(line_of(text, "title = \"Igen\"") - 1) +
                             ": course.bbic_parts[1].id: duplicate BBIC part id 'A'"));
}

BOOST_AUTO_TEST_CASE(SupervisionNumbersChecked) {
  const std::string sessions = with("sessions = 10", "sessions = 0");
  BOOST_TEST(error_of(sessions) ==
             at(sessions, "sessions = 0", "supervision.sessions") + "must be > 0");
  const std::string hours = with("session_hours = 2.0", "session_hours = -1.5");
  BOOST_TEST(error_of(hours) ==
             at(hours, "session_hours", "supervision.session_hours") + "must be > 0");
  const std::string groups = with("group_max = 8", "group_max = 5");
  BOOST_TEST(error_of(groups) ==
             at(groups, "group_max", "supervision.group_max") + "must be >= group_min (6)");
  const std::string duration = with("duration = \"12m\"", "duration = \"0d\"");
  BOOST_TEST(error_of(duration) ==
             at(duration, "duration", "supervision.duration") + "must be > 0");
  const std::string nan = with("session_hours = 2.0", "session_hours = nan");
  BOOST_TEST(starts_with(error_of(nan), at(nan, "session_hours", "supervision.session_hours")));
}

BOOST_AUTO_TEST_CASE(IntroducerPeriodsMustAscendWithoutOverlap) {
  const std::string overlap =
      with("from = \"12m\"\n  to = \"24m\"", "from = \"11m\"\n  to = \"24m\"");
  BOOST_TEST(
      starts_with(error_of(overlap), at(overlap, "from = \"11m\"", "support.introducer[1].from") +
                                         "periods must be in ascending order"),
      error_of(overlap));
  const std::string empty =
      with("to = \"12m\"\n  hours_per_week = 4", "to = \"0m\"\n  hours_per_week = 4");
  BOOST_TEST(starts_with(error_of(empty), at(empty, "to = \"0m\"", "support.introducer[0].to") +
                                              "period must end after it starts"),
             error_of(empty));
  const std::string negative = with("hours_per_week = 2", "hours_per_week = -2");
  BOOST_TEST(error_of(negative) ==
             at(negative, "hours_per_week = -2", "support.introducer[1].hours_per_week") +
                 "must be >= 0");
}

BOOST_AUTO_TEST_CASE(TomlSyntaxErrorNamesLine) {
  const std::string text = with("group_min = 6", "group_min = ");
  const std::string msg = error_of(text);
  BOOST_TEST(starts_with(msg, "test.toml:" + std::to_string(line_of(text, "group_min = ")) + ":"),
             msg);
  // origin:line:col: message
  const std::string after_line = msg.substr(msg.find(':', std::string("test.toml:").size()) + 1);
  BOOST_TEST(std::isdigit(static_cast<unsigned char>(after_line[0])), msg);
  BOOST_TEST(contains(after_line, ": "), msg);
}

BOOST_AUTO_TEST_CASE(MissingFileNamesPath) {
  const std::string path = "/nonexistent/journey/no-such-programme.toml";
  try {
    load_programme_file(path);
    BOOST_FAIL("expected a ProgrammeError");
  } catch (const ProgrammeError& e) {
    BOOST_TEST(starts_with(e.what(), path + ": "), e.what());
  }
}

BOOST_AUTO_TEST_CASE(FileErrorsUseThePathAsOrigin) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("journey-programme-test-" + std::to_string(::getpid()) + ".toml");
  const std::string text = with("role = \"AD\"", "role = \"XY\"");
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  std::string msg;
  try {
    load_programme_file(path.string());
  } catch (const ProgrammeError& e) {
    msg = e.what();
  }
  std::filesystem::remove(path);
  BOOST_TEST(starts_with(msg, path.string() + ":" + std::to_string(line_of(text, "\"XY\"")) +
                                  ": checklists[1].items[3].role: "),
             msg);
}

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic

struct OffsetCase {
  date::sys_days start;
  std::string offset;
  date::sys_days expected;
};
std::ostream& operator<<(std::ostream& out, const OffsetCase& c) {
  return out << date::year_month_day{c.start} << " + " << c.offset << " = "
             << date::year_month_day{c.expected};
}

const std::vector<OffsetCase> kOffsetCases = {
    {ymd(2025, 10, 31), "4m", ymd(2026, 2, 28)},  // clamped, common year
    {ymd(2023, 10, 31), "4m", ymd(2024, 2, 29)},  // clamped, leap year
    {ymd(2024, 1, 31), "1m", ymd(2024, 2, 29)},
    {ymd(2025, 1, 31), "1m", ymd(2025, 2, 28)},
    {ymd(2100, 1, 31), "1m", ymd(2100, 2, 28)},  // century, not leap
    {ymd(2000, 1, 31), "1m", ymd(2000, 2, 29)},  // 400-year leap
    {ymd(2025, 8, 31), "1m", ymd(2025, 9, 30)},
    {ymd(2025, 12, 31), "2m", ymd(2026, 2, 28)},  // across the year end
    {ymd(2025, 1, 15), "12m", ymd(2026, 1, 15)},
    {ymd(2025, 3, 3), "36m", ymd(2028, 3, 3)},
    {ymd(2024, 2, 29), "1y", ymd(2025, 2, 28)},
    {ymd(2024, 2, 29), "4y", ymd(2028, 2, 29)},
    {ymd(2024, 2, 29), "12m", ymd(2025, 2, 28)},  // same as 1y
    {ymd(2024, 3, 31), "-1m", ymd(2024, 2, 29)},  // backwards, clamped
    {ymd(2025, 3, 31), "-1m", ymd(2025, 2, 28)},
    {ymd(2024, 8, 31), "-6m", ymd(2024, 2, 29)},
    {ymd(2026, 1, 31), "-2m", ymd(2025, 11, 30)},  // backwards across the year end
    {ymd(2025, 2, 28), "-1y", ymd(2024, 2, 28)},
    {ymd(2025, 3, 1), "-1d", ymd(2025, 2, 28)},
    {ymd(2024, 2, 28), "1d", ymd(2024, 2, 29)},
    {ymd(2025, 1, 1), "2w", ymd(2025, 1, 15)},
    {ymd(2025, 1, 1), "-14d", ymd(2024, 12, 18)},
    {ymd(2025, 1, 10), "-3w", ymd(2024, 12, 20)},
    {ymd(2025, 5, 5), "0m", ymd(2025, 5, 5)},
};

BOOST_DATA_TEST_CASE(MonthOffsetClampsToMonthEnd, bdata::make(kOffsetCases), c) {
  BOOST_TEST((parse_offset(c.offset).from(c.start) == c.expected), c);
}

BOOST_AUTO_TEST_CASE(IntroducerHoursYearOneAndTwo) {
  const Programme p = load_programme_file(kShipped);
  // A Wednesday start: the week of the first day began before the start, so it is owed nothing;
  // each week is owed the rate of the period its Monday falls in.
  const date::sys_days start = ymd(2025, 3, 5);
  BOOST_TEST(p.introducer_hours_for(start, ymd(2025, 2, 24)) == 0.0);  // before the start
  BOOST_TEST(p.introducer_hours_for(start, ymd(2025, 3, 3)) == 0.0);   // Monday before day 1
  BOOST_TEST(p.introducer_hours_for(start, ymd(2025, 3, 10)) == 4.0);  // first full week
  BOOST_TEST(p.introducer_hours_for(start, ymd(2025, 12, 29)) == 4.0);
  BOOST_TEST(p.introducer_hours_for(start, ymd(2026, 3, 2)) == 4.0);  // 12m is Thu 5 March
  BOOST_TEST(p.introducer_hours_for(start, ymd(2026, 3, 9)) == 2.0);  // year two
  BOOST_TEST(p.introducer_hours_for(start, ymd(2027, 3, 1)) == 2.0);  // 24m is Fri 5 March
  BOOST_TEST(p.introducer_hours_for(start, ymd(2027, 3, 8)) == 0.0);  // programme over

  // A Monday start: the boundaries fall on Mondays and are half-open.
  const date::sys_days monday = ymd(2025, 3, 3);
  BOOST_TEST(p.introducer_hours_for(monday, monday) == 4.0);
  BOOST_TEST(p.introducer_hours_for(monday, ymd(2026, 2, 23)) == 4.0);
  BOOST_TEST(p.introducer_hours_for(monday, ymd(2026, 3, 2)) == 4.0);  // 12m is Tue 3 March
  BOOST_TEST(p.introducer_hours_for(monday, ymd(2026, 3, 9)) == 2.0);
  BOOST_TEST(p.introducer_hours_for(ymd(2025, 3, 2), ymd(2026, 3, 2)) == 2.0);  // 12m on Monday
}

BOOST_AUTO_TEST_CASE(NoIntroducerPeriodsOweNothing) {
  const std::string base = kMinimal.substr(0, kMinimal.find("  [[support.introducer]]")) +
                           "introducer = []\n\n" + kMinimal.substr(kMinimal.find("[[deadlines]]"));
  const Programme p = load_programme_text(base, "test.toml");
  BOOST_TEST(p.support.introducer.empty());
  BOOST_TEST(p.introducer_hours_for(ymd(2025, 3, 3), ymd(2025, 3, 10)) == 0.0);
}

std::string read_shipped() {
  std::ifstream in(kShipped, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

BOOST_AUTO_TEST_CASE(ShippedProgrammeHasALadderForEveryDeadline) {
  const Programme p =
      load_programme_file(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
  BOOST_REQUIRE_EQUAL(p.reminders.size(), p.deadlines.size() + 1);
  BOOST_TEST(p.reminders[0].obligation == "checklist");
  BOOST_TEST(p.reminders[2].ladder.size() == 4u);
  BOOST_TEST(p.reminders[2].escalate_after->str() == "7d");
}

BOOST_AUTO_TEST_CASE(ReminderForAnUnknownObligationIsNamed) {
  std::string text = read_shipped();
  text += "\n[[reminders]]\nobligation = \"course.finish\"\nladder = [\"0d\"]\n";
  BOOST_CHECK_EXCEPTION(
      load_programme_text(text, "gr.toml"), ProgrammeError, [](const ProgrammeError& e) {
        const std::string m = e.what();
        return m.find("gr.toml:") == 0 && m.find("reminders[6].obligation") != std::string::npos &&
               m.find("course.finish") != std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(LadderOutOfOrderIsRejected) {
  std::string text = read_shipped();
  const std::string from = "ladder = [\"-3d\", \"0d\", \"1d\"]";
  text.replace(text.find(from), from.size(), "ladder = [\"0d\", \"-3d\"]");
  BOOST_CHECK_EXCEPTION(
      load_programme_text(text, "gr.toml"), ProgrammeError, [](const ProgrammeError& e) {
        return std::string(e.what()).find(
                   "reminders[0].ladder[1]: rungs must be in ascending order") != std::string::npos;
      });
}
