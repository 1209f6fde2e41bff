// `correct` and `retract`: a new record that names the fact it corrects,
// never an edit of the log.
#include "cli.h"
#include "journey/adapters/http_json.h"

namespace journey::ctl {

namespace {

struct CorrectionOptions {
  std::string hire, reason, key;
  std::uint64_t event = 0, expect = 0;
  std::vector<std::string> sets;
};

// The --set FIELD=VALUE pairs as a JSON object, as the API's command body has them.
json changes_from_sets(const Cli& cli, const std::vector<std::string>& sets, const json& current) {
  // Each value is read as the field's recorded type: a number stays
  // a number, anything else is text ("2026" as a cohort stays text).
  json changes = json::object();
  for (const auto& set : sets) {
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
      fail(kRefused, "--set: '" + set + cli.t("' ska vara FÄLT=VÄRDE.", "' must be FIELD=VALUE."));
    const std::string field = set.substr(0, eq), value = set.substr(eq + 1);
    const auto it = current.find(field);
    if (it != current.end() && (it->is_number() || it->is_boolean())) {
      auto parsed = json::parse(value, nullptr, false);
      if (parsed.is_discarded() || parsed.type() != it->type())
        if (!(it->is_number() && parsed.is_number()))
          fail(kRefused, "--set " + field + ": '" + value + cli.t("' ska vara ", "' must be ") +
                             (it->is_boolean() ? "true/false" : cli.t("ett tal", "a number")) +
                             ".");
      changes[field] = parsed;
    } else {
      changes[field] = value;
    }
  }
  return changes;
}

// The event as it should have been, or a refusal naming why it cannot be corrected.
Correction correction_with_replacement(const Cli& cli, JourneyEngine& engine,
                                       const CorrectionOptions& o) {
  const std::string event = std::to_string(o.event);
  auto target = engine.correction_target(o.hire, o.event);
  if (target && target->fact && !target->retracted && !target->current) {
    fail(kRefused, cli.t("Händelse ", "Event ") + event +
                       cli.t(" kan inte läsas och därför inte rättas; stryk den med 'retract' "
                             "och registrera den rätta.",
                             " cannot be read, so it cannot be corrected; retract it with "
                             "'retract' and record the right one."));
  } else if (!target) {
    fail(kRefused, Refusal{"correction_unknown_event", {{"event", event}}}.message(cli.language()));
  } else if (!target->fact) {
    fail(kRefused, Refusal{"correction_not_a_fact",
                           {{"event", event},
                            {"title_sv", event_title(target->type, Language::sv)},
                            {"title_en", event_title(target->type, Language::en)}}}
                       .message(cli.language()));
  } else if (target->retracted) {
    fail(kRefused, Refusal{"correction_target_retracted",
                           {{"event", event}, {"by", std::to_string(target->superseded_by)}}}
                       .message(cli.language()));
  }
  Correction corr{o.event, std::nullopt, o.reason};
  corr.basis = target->superseded_by;
  const json current = http::event_json(*target->current);
  const json changes = changes_from_sets(cli, o.sets, current);
  auto merged = http::merge_replacement(*target->current, changes, engine.today());
  if (auto* e = std::get_if<http::FieldError>(&merged)) {
    std::string field = e->field;
    if (field.rfind("/replacement/", 0) == 0) field = field.substr(13);
    fail(kRefused, "--set " + field + ": " + e->text(cli.language() == Language::sv));
  }
  corr.replacement = std::get<DomainEvent>(merged);
  return corr;
}

int run_correction(const Cli& cli, const CorrectionOptions& o, bool retract) {
  auto store = cli.open_store(false);
  auto& engine = *store->engine;
  if (!engine.identify(o.hire))
    fail(kRefused, Refusal{"unknown_hire", {{"hire", o.hire}}}.message(cli.language()));
  const Correction corr = retract ? Correction{o.event, std::nullopt, o.reason}
                                  : correction_with_replacement(cli, engine, o);
  CommandContext ctx{cli.actor(), o.key,
                     o.expect ? std::optional<std::uint64_t>(o.expect) : std::nullopt};
  auto outcome = engine.correct(o.hire, corr, ctx);
  return cli.report(outcome, retract ? cli.t("Händelsen struken för", "Event retracted for")
                                     : cli.t("Händelsen rättad för", "Event corrected for"));
}

void add_correction(CLI::App& app, Cli& cli, const char* name, const char* help, bool retract) {
  auto o = std::make_shared<CorrectionOptions>();
  auto* c = app.add_subcommand(name, help);
  c->add_option("hire", o->hire, "Hire id (hire-…)")->required();
  c->add_option("event", o->event, "The event's version, the 'Ver' column of 'history'")
      ->required();
  c->add_option("--reason", o->reason, "Why the record was wrong (required)")->required();
  if (!retract)
    c->add_option("--set", o->sets,
                  "FIELD=VALUE as in the API's command body (on=2026-03-02, comment=..., "
                  "hours=4); fields left out keep their recorded value")
        ->required();
  c->add_option("--key", o->key, "Idempotency key: the same key twice records once");
  c->add_option("--expect-version", o->expect,
                "Refuse if the journey is no longer at this version");
  cli.run_if_chosen(c, [&cli, o, retract] { return run_correction(cli, *o, retract); });
}

}  // namespace

void setup_corrections(CLI::App& app, Cli& cli) {
  add_correction(app, cli, "correct",
                 "Correct a recorded event: a new record with the event as it should have been",
                 false);
  add_correction(app, cli, "retract", "Retract a recorded event that should not be there", true);
}

}  // namespace journey::ctl
