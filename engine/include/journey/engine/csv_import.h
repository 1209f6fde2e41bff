// Importing hires from the HR system's CSV export, with a report per row.
//
// The header row names the columns, in any order, in English or Swedish:
//   name|namn, email|e-post, unit|enhet, start|startdatum            (required)
//   experienced|erfaren, introducer|introduktor, introducer_email    (optional)
// Comma or semicolon separated (Excel in Swedish writes semicolons); RFC 4180
// quoting. Each good row registers one hire atomically; a bad row is named with
// its line and reason and writes nothing. Every row carries an idempotency key
// derived from its content, so importing the same file twice adds no one twice.
#pragma once

#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "journey/engine/journey_engine.h"

namespace journey::engine {

struct ImportRow {
  int line = 0;  // 1-based line in the file
  enum class Outcome { registered, duplicate, rejected } outcome = Outcome::rejected;
  std::string hire_id;
  std::string name;
  std::string message;  // in the requested language
};

struct ImportReport {
  std::vector<ImportRow> rows;
  std::string file_error;  // set when the file as a whole is unusable; no row was imported
  int registered = 0, duplicates = 0, rejected = 0;
};

// `unit_allowed`, if given, is asked for each row's unit; a row whose unit it
// refuses is rejected (the caller may not register hires there).
ImportReport import_hires_csv(JourneyEngine& engine, std::istream& in, const std::string& actor,
                              Language lang,
                              std::function<bool(const std::string& unit)> unit_allowed = {});

}  // namespace journey::engine
