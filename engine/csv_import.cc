// CSV import of hires; see csv_import.h for the accepted format.
#include "journey/engine/csv_import.h"

#include <openssl/evp.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <sstream>

#include "journey/workflows/value_domain.h"

namespace journey::engine {
namespace {

// Splits one CSV record. Returns false on an unterminated quote.
bool split_record(const std::string& line, char sep, std::vector<std::string>& out) {
  out.clear();
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      out.push_back(field);
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  out.push_back(field);
  return !quoted;
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string key_of(const std::vector<std::string>& parts) {
  std::string joined;
  for (const auto& p : parts) joined += p + '\x1f';
  unsigned char h[32];
  unsigned int len = 0;
  EVP_Digest(joined.data(), joined.size(), h, &len, EVP_sha256(), nullptr);
  storage::Sha256 a;
  std::copy(h, h + 32, a.begin());
  return "csv-import:" + storage::to_hex(a);
}

}  // namespace

ImportReport import_hires_csv(JourneyEngine& engine, std::istream& file, const std::string& actor,
                              Language lang, std::function<bool(const std::string&)> unit_allowed) {
  ImportReport report;
  const bool sv = lang == Language::sv;
  // The whole file is text of the value domain or nothing is imported: a file
  // saved as Windows-1252 would register "M\xe4rta", which no later stage can
  // read as text.
  const std::string bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  if (!workflows::valid_utf8(bytes)) {
    std::size_t bad_line = 1;
    for (std::size_t begin = 0; begin < bytes.size(); ++bad_line) {
      std::size_t end = bytes.find('\n', begin);
      if (end == std::string::npos) end = bytes.size();
      if (!workflows::valid_utf8(std::string_view(bytes).substr(begin, end - begin))) break;
      begin = end + 1;
    }
    report.file_error =
        sv ? "Filen är inte UTF-8 (första felet på rad " + std::to_string(bad_line) +
                 "). Spara den som \"CSV UTF-8\" och importera igen; ingenting "
                 "importerades."
           : "The file is not UTF-8 (first error on line " + std::to_string(bad_line) +
                 "). Save it as \"CSV UTF-8\" and import again; nothing was "
                 "imported.";
    return report;
  }
  std::istringstream in(bytes);
  std::string header;
  if (!std::getline(in, header)) {
    report.file_error = sv ? "Filen är tom." : "The file is empty.";
    return report;
  }
  if (header.rfind("\xEF\xBB\xBF", 0) == 0) header.erase(0, 3);  // Excel's UTF-8 BOM
  const char sep =
      header.find(';') != std::string::npos && header.find(',') == std::string::npos ? ';' : ',';
  static const std::map<std::string, std::string> aliases = {
      {"name", "name"},
      {"namn", "name"},
      {"email", "email"},
      {"e-post", "email"},
      {"epost", "email"},
      {"unit", "unit"},
      {"enhet", "unit"},
      {"start", "start"},
      {"startdatum", "start"},
      {"experienced", "experienced"},
      {"erfaren", "experienced"},
      {"introducer", "introducer"},
      {"introduktör", "introducer"},
      {"introduktor", "introducer"},
      {"introducer_email", "introducer_email"},
      {"introduktör_e-post", "introducer_email"},
      {"introduktor_epost", "introducer_email"},
  };
  std::vector<std::string> cols;
  split_record(header, sep, cols);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const std::string name = lower(trim(cols[i]));
    auto it = aliases.find(name);
    if (it == aliases.end()) {
      report.file_error = (sv ? "Okänd kolumn '" : "Unknown column '") + trim(cols[i]) +
                          (sv ? "' i rubrikraden; tillåtna: name, email, unit, start, experienced, "
                                "introducer, introducer_email."
                              : "' in the header; allowed: name, email, unit, start, experienced, "
                                "introducer, introducer_email.");
      return report;
    }
    if (index.count(it->second)) {
      report.file_error = (sv ? "Kolumnen '" : "Column '") + it->second +
                          (sv ? "' finns två gånger." : "' appears twice.");
      return report;
    }
    index[it->second] = i;
  }
  for (const char* required : {"name", "email", "unit", "start"}) {
    if (!index.count(required)) {
      report.file_error = (sv ? "Kolumnen '" : "Column '") + std::string(required) +
                          (sv ? "' saknas i rubrikraden." : "' is missing from the header.");
      return report;
    }
  }

  std::string line;
  int line_no = 1;
  std::vector<std::string> fields;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    ImportRow row;
    row.line = line_no;
    auto reject = [&](std::string msg) {
      row.outcome = ImportRow::Outcome::rejected;
      row.message = std::move(msg);
      ++report.rejected;
      report.rows.push_back(row);
    };
    if (!split_record(line, sep, fields)) {
      reject(sv ? "Citattecken som inte avslutas." : "Unterminated quote.");
      continue;
    }
    if (fields.size() != cols.size()) {
      reject((sv ? "Raden har " : "The row has ") + std::to_string(fields.size()) +
             (sv ? " fält, rubrikraden " : " fields, the header ") + std::to_string(cols.size()) +
             ".");
      continue;
    }
    auto get = [&](const char* c) {
      return index.count(c) ? trim(fields[index.at(c)]) : std::string();
    };
    RegisterHire cmd;
    cmd.name = get("name");
    cmd.email = get("email");
    cmd.unit = get("unit");
    cmd.start = get("start");
    row.name = cmd.name;
    const std::string exp = lower(get("experienced"));
    if (exp == "ja" || exp == "yes" || exp == "true" || exp == "1") {
      cmd.experienced = true;
    } else if (!(exp.empty() || exp == "nej" || exp == "no" || exp == "false" || exp == "0")) {
      reject(Refusal{"field_bad_bool", {{"field", "experienced"}, {"value", get("experienced")}}}
                 .message(lang));
      continue;
    }
    if (!get("introducer").empty())
      cmd.introducer = workflows::Person{get("introducer"), get("introducer_email")};
    if (unit_allowed && !unit_allowed(cmd.unit)) {
      reject((sv ? "Du får inte registrera nyanställda i enheten "
                 : "You may not register hires "
                   "in the unit ") +
             cmd.unit);
      continue;
    }
    if (!cmd.unit.empty() && !engine.unit(cmd.unit)) {
      // Its reminders would have no recipient: the unit's contacts come first.
      reject(Refusal{"unknown_unit", {{"field", "unit"}, {"unit", cmd.unit}}}.message(lang) +
             (sv ? " Lägg upp enheten först (journeyctl unit set, eller PUT /v1/units)."
                 : " Set up the unit first (journeyctl unit set, or PUT /v1/units)."));
      continue;
    }
    CommandContext ctx{actor, key_of({cmd.name, cmd.email, cmd.unit, cmd.start}), std::nullopt};
    auto outcome = engine.register_hire(cmd, ctx);
    row.hire_id = outcome.hire_id;
    if (outcome.kind == CommandOutcome::Kind::accepted) {
      row.outcome = ImportRow::Outcome::registered;
      ++report.registered;
    } else if (outcome.kind == CommandOutcome::Kind::duplicate) {
      row.outcome = ImportRow::Outcome::duplicate;
      row.message = outcome.message(lang);
      ++report.duplicates;
    } else {
      reject(outcome.message(lang));
      continue;
    }
    report.rows.push_back(row);
  }
  return report;
}

}  // namespace journey::engine
