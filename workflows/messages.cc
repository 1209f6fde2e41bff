// What users read: refusal texts and display names, Swedish by default with
// English available. Placeholders {name} are filled from Refusal::args.
#include <map>

#include "journey/workflows/journey_machine.h"

namespace journey::workflows {
namespace {

struct Text {
  const char* sv;
  const char* en;
};

const std::map<std::string, Text>& refusal_texts() {
  static const std::map<std::string, Text> texts = {
      {"not_registered", {"Den nyanställda är inte registrerad.", "The hire is not registered."}},
      {"already_registered",
       {"Den nyanställda är redan registrerad.", "The hire is already registered."}},
      {"hire_left",
       {"Den nyanställda har slutat ({date}); inget mer kan registreras.",
        "The hire left on {date}; nothing more can be recorded."}},
      {"journey_completed",
       {"Introduktionen är avslutad ({date}); bara att personen slutar kan registreras.",
        "The journey was completed on {date}; only leaving can be recorded."}},
      {"programme_mismatch",
       {"Programmet {programme} stämmer inte med det inlästa programmet {loaded}.",
        "Programme {programme} does not match the loaded programme {loaded}."}},
      {"unknown_item",
       {"Momentet '{item}' finns inte i programmet.", "Item '{item}' is not in the programme."}},
      {"item_already_done",
       {"Momentet '{item}' är redan klart ({date}).", "Item '{item}' is already done ({date})."}},
      {"item_waived",
       {"Momentet '{item}' är markerat EJ (behöver ingen introduktion).",
        "Item '{item}' is marked EJ (no introduction needed)."}},
      {"not_started",
       {"Den nyanställda har inte börjat ännu; registrera första arbetsdagen först.",
        "The hire has not started yet; record the first working day first."}},
      {"on_leave",
       {"Den nyanställda är tjänstledig sedan {since}.",
        "The hire has been on leave since {since}."}},
      {"leave_end_before_start",
       {"Återkomsten {back} måste vara efter ledighetens början {from}.",
        "The return date {back} must be after the leave began ({from})."}},
      {"leave_overlaps",
       {"Ny ledighet kan inte börja före återkomsten {back} från förra ledigheten.",
        "A new leave cannot begin before the return ({back}) from the previous one."}},
      {"date_before_start",
       {"Datumet {date} är före första arbetsdagen {start}.",
        "The date {date} is before the first working day {start}."}},
      {"journey_incomplete",
       {"Introduktionen kan inte avslutas; kvar: {missing}.",
        "The journey cannot be completed; still open: {missing}."}},
      {"part_not_waivable",
       {"Delen '{part}' kan inte markeras som ej behövd (bara course eller supervision).",
        "Part '{part}' cannot be waived (only course or supervision)."}},
      {"unknown_module",
       {"Modul {module} finns inte; kursen har modul 1–{count}.",
        "Module {module} does not exist; the course has modules 1–{count}."}},
      {"module_already_attended",
       {"Modul {module} är redan genomförd ({date}).",
        "Module {module} was already attended ({date})."}},
      {"unknown_bbic_part",
       {"BBIC-delen '{part}' finns inte.", "BBIC part '{part}' does not exist."}},
      {"bbic_already_done",
       {"BBIC del {part} är redan genomförd ({date}).",
        "BBIC part {part} was already completed ({date})."}},
      {"course_incomplete",
       {"Introduktionsprogrammet kan inte avslutas: moduler som saknas: {modules}; BBIC-delar som "
        "saknas: {bbic}.",
        "The course cannot be completed: missing modules: {modules}; missing BBIC parts: {bbic}."}},
      {"unknown_session",
       {"Träff {session} finns inte; handledningen har träff 1–{count}.",
        "Session {session} does not exist; supervision has sessions 1–{count}."}},
      {"session_already_attended",
       {"Handledningsträff {session} är redan registrerad ({date}).",
        "Supervision session {session} is already recorded ({date})."}},
      {"supervision_incomplete",
       {"Handledningen kan inte avslutas: {attended} av {required} träffar genomförda.",
        "Supervision cannot be completed: {attended} of {required} sessions attended."}},
      {"week_not_monday",
       {"Veckan ska anges med sin måndag; {date} är inte en måndag.",
        "A week is given by its Monday; {date} is not a Monday."}},
      {"hours_out_of_range",
       {"Antalet timmar {hours} måste vara större än 0 och högst {max}.",
        "Hours {hours} must be more than 0 and at most {max}."}},
      {"before_part_start",
       {"Datumet {date} är före starten {start}.",
        "The date {date} is before the start on {start}."}},
      {"date_in_future",
       {"Datumet {date} ligger i framtiden.", "The date {date} is in the future."}},
      {"not_allowed",
       {"'{event}' är inte tillåtet när {region} är '{state}'.",
        "'{event}' is not allowed while {region} is '{state}'."}},
      {"internal_error", {"Internt fel: {what}", "Internal error: {what}"}},
      {"hire_damaged",
       {"Den nyanställdas historik ({hire}) är skadad och kan inte läsas: {reason}. Inget mer "
        "kan registreras förrän den skadade händelsen har rättats eller strukits, eller en "
        "administratör har återställt loggen från en säkerhetskopia.",
        "The hire's history ({hire}) is damaged and cannot be read: {reason}. Nothing more can "
        "be recorded until the damaged event has been corrected or retracted, or an admin has "
        "restored the log from a backup."}},
      {"correction_unknown_event",
       {"Den nyanställda har ingen händelse {event} att rätta.",
        "The hire has no event {event} to correct."}},
      {"correction_not_a_fact",
       {"Händelse {event} ({title_sv}) är ingen uppgift om resan och kan inte rättas; bara "
        "registrerade händelser kan rättas eller strykas.",
        "Event {event} ({title_en}) is not a fact of the journey and cannot be corrected; only "
        "recorded events can be corrected or retracted."}},
      {"correction_target_retracted",
       {"Händelse {event} är redan struken (i händelse {by}); registrera den på nytt i stället.",
        "Event {event} was already retracted (by event {by}); record it anew instead."}},
      {"correction_type_mismatch",
       {"Händelse {event} är av typen {title_sv}; en rättelse ska vara av samma typ, inte "
        "{replacement_sv}. "
        "Stryk händelsen och registrera den rätta i stället.",
        "Event {event} is of type {title_en}; a correction must be of the same type, not "
        "{replacement_en}. "
        "Retract the event and record the right one instead."}},
      {"correction_target_changed",
       {"Händelse {event} har rättats under tiden (i händelse {by}); läs in den igen och försök "
        "på nytt.",
        "Event {event} was corrected meanwhile (by event {by}); reload it and try again."}},
      {"correction_unchanged",
       {"Rättelsen ändrar ingenting i händelse {event}.",
        "The correction changes nothing in event {event}."}},
      {"correction_field_fixed",
       {"Fältet '{name}' i registreringen kan inte rättas (bara namn, e-post och första "
        "arbetsdag).",
        "Field '{name}' of the registration cannot be corrected (only name, e-mail and first "
        "working day)."}},
      {"registration_cannot_be_retracted",
       {"Registreringen kan inte strykas; rätta den, eller registrera att personen har slutat.",
        "The registration cannot be retracted; correct it, or record that the hire left."}},
      {"correction_inconsistent",
       {"Rättelsen skulle göra resan motsägelsefull: händelse {event} ({title_sv}) skulle då inte "
        "gälla: {reason_sv} Rätta eller stryk händelse {event} först.",
        "The correction would leave the journey inconsistent: event {event} ({title_en}) would "
        "then "
        "not hold: {reason_en} Correct or retract event {event} first."}},
      {"unknown_hire",
       {"Det finns ingen nyanställd med id '{hire}'.", "There is no hire with id '{hire}'."}},
      {"version_conflict",
       {"Någon annan har ändrat resan: förväntad version {expected}, aktuell version {actual}. Läs "
        "in och försök igen.",
        "Someone else changed the journey: expected version {expected}, current version {actual}. "
        "Reload and retry."}},
      {"storage_error",
       {"Händelseloggen kunde inte skrivas: {what}", "The event log could not be written: {what}"}},
      {"storage_full",
       {"Lagringsutrymmet är fullt; ingenting sparades: {what}",
        "The disk is full; nothing was saved: {what}"}},
      {"storage_closed",
       {"Händelseloggen stänger; försök igen strax.", "The event log is closing; retry shortly."}},
      {"unknown_municipality",
       {"Det finns ingen kommun med id '{municipality}'.",
        "There is no municipality with id '{municipality}'."}},
      {"unknown_unit",
       {"Det finns ingen enhet som heter '{unit}'.", "There is no unit named '{unit}'."}},
      {"unknown_token", {"Det finns ingen token '{token}'.", "There is no token '{token}'."}},
      // Who may not do what (engine/admin.h): HTTP answers these 403.
      {"forbidden_municipalities",
       {"Bara administratören för alla kommuner får skapa eller ändra kommuner.",
        "Only the all-municipality admin may create or change municipalities."}},
      {"forbidden_units",
       {"Bara kommunens administratör får ändra dess enheter.",
        "Only the municipality's admin may change its units."}},
      {"forbidden_unit_elsewhere",
       {"Enheten '{unit}' tillhör en annan kommun.",
        "The unit '{unit}' belongs to another municipality."}},
      {"unit_has_hires",
       {"Det finns redan nyanställda i enheten '{unit}'; bara administratören för alla kommuner "
        "kan ge den en kommun.",
        "Hires are already registered in the unit '{unit}'; only the all-municipality admin can "
        "give it a municipality."}},
      {"forbidden_tokens",
       {"Bara en administratör ser, skapar och återkallar tokens.",
        "Only an admin sees, creates and revokes tokens."}},
      {"forbidden_token_elsewhere",
       {"Du får bara skapa tokens i en kommun du administrerar, inte i '{municipality}'.",
        "You may only create tokens in a municipality you administer, not in '{municipality}'."}},
      {"forbidden_programmes",
       {"Bara administratören för alla kommuner får publicera program.",
        "Only the all-municipality admin may publish programmes."}},
      {"forbidden_backups",
       {"Bara administratören för alla kommuner tar säkerhetskopior.",
        "Only the all-municipality admin takes backups."}},
      {"forbidden_simulations",
       {"Simuleringen är till för administratörer och enhetschefer.",
        "Simulations are for admins and unit heads."}},
      {"forbidden_import",
       {"Bara en administratör får importera nyanställda.", "Only an admin may import hires."}},
      {"webhook_already_created",
       {"En webhook skapades redan med nyckeln '{key}'; hemligheten visas bara en gång (rotera "
        "för en ny).",
        "A webhook was already created with the key '{key}'; its secret is shown only once "
        "(rotate for a new one)."}},
      {"webhook_secrets_not_retired",
       {"Prenumerationen är ändrad i loggen, men de gamla hemligheterna kunde inte tas bort ur "
        "sin fil: {what}. Kör retire-old igen.",
        "The subscription was changed in the log, but the old secrets could not be removed from "
        "their file: {what}. Run retire-old again."}},
      {"token_already_issued",
       {"En token skapades redan med nyckeln '{key}'; den visas bara en gång.",
        "A token was already issued with the key '{key}'; it is shown only once."}},
      {"programme_invalid",
       {"Programfilen är felaktig: {what}", "The programme file is invalid: {what}"}},
      {"programme_version_exists",
       {"Programmet {programme} version {version} finns redan med annat innehåll; öka "
        "versionsnumret.",
        "Programme {programme} version {version} already exists with other content; raise the "
        "version."}},
      {"programme_not_found",
       {"Programmet {programme} är inte installerat (kör 'journeyctl init').",
        "Programme {programme} is not installed (run 'journeyctl init')."}},
      {"field_empty",
       {"Fältet '{field}' får inte vara tomt.", "Field '{field}' must not be empty."}},
      {"field_bad_email",
       {"Fältet '{field}': '{value}' är ingen giltig e-postadress.",
        "Field '{field}': '{value}' is not a valid e-mail address."}},
      {"field_bad_date",
       {"Fältet '{field}': '{value}' är inget datum på formen ÅÅÅÅ-MM-DD.",
        "Field '{field}': '{value}' is not a date of the form YYYY-MM-DD."}},
      // The value domain's problems (value_domain.h) carry their own predicate.
      {"field_not_utf8", {"Fältet '{field}' {problem_sv}.", "Field '{field}' {problem_en}."}},
      {"field_control_character",
       {"Fältet '{field}' {problem_sv}.", "Field '{field}' {problem_en}."}},
      {"field_too_long", {"Fältet '{field}' {problem_sv}.", "Field '{field}' {problem_en}."}},
      {"field_date_out_of_range",
       {"Fältet '{field}': {value} {problem_sv}.", "Field '{field}': {value} {problem_en}."}},
      {"field_not_finite", {"Fältet '{field}' {problem_sv}.", "Field '{field}' {problem_en}."}},
      {"field_out_of_range",
       {"Fältet '{field}': {value} {problem_sv}.", "Field '{field}': {value} {problem_en}."}},
      {"field_bad_bool",
       {"Fältet '{field}': '{value}' ska vara ja/nej.",
        "Field '{field}': '{value}' must be yes/no."}},
      {"field_bad_value",
       {"Fältet '{field}': '{value}' är inte tillåtet.",
        "Field '{field}': '{value}' is not allowed."}},
  };
  return texts;
}

const std::map<std::string, Text>& state_texts() {
  static const std::map<std::string, Text> texts = {
      {"NotRegistered", {"ej registrerad", "not registered"}},
      {"Preboarding", {"inför start", "preboarding"}},
      {"Active", {"aktiv", "active"}},
      {"OnLeave", {"tjänstledig", "on leave"}},
      {"Completed", {"avslutad", "completed"}},
      {"Left", {"slutat", "left"}},
      {"PreparationOpen", {"pågår", "open"}},
      {"PreparationReady", {"klar", "ready"}},
      {"InductionOpen", {"pågår", "open"}},
      {"InductionDone", {"klar", "done"}},
      {"CourseNotBooked", {"ej bokad", "not booked"}},
      {"CourseBookedState", {"bokad", "booked"}},
      {"CourseInProgress", {"pågår", "in progress"}},
      {"CourseDone", {"klar", "done"}},
      {"CourseWaived", {"behövs ej", "waived"}},
      {"SupervisionNotStarted", {"ej påbörjad", "not started"}},
      {"SupervisionGroupAssigned", {"grupp tilldelad", "group assigned"}},
      {"SupervisionInProgress", {"pågår", "in progress"}},
      {"SupervisionDone", {"klar", "done"}},
      {"SupervisionWaived", {"behövs ej", "waived"}},
      {"NoIntroducer", {"ingen introduktör", "no introducer"}},
      {"IntroducerAssigned", {"introduktör utsedd", "introducer appointed"}},
      {"NoMentor", {"ingen mentor", "no mentor"}},
      {"MentorAssigned", {"mentor utsedd", "mentor appointed"}},
      // region names, used in the generic refusal
      {"lifecycle", {"anställningen", "the employment"}},
      {"preparation", {"förberedelserna", "the preparation"}},
      {"induction", {"inskolningen", "the induction"}},
      {"course", {"introduktionsprogrammet", "the course"}},
      {"supervision", {"handledningen", "supervision"}},
      {"introducer", {"introduktören", "the introducer"}},
      {"mentor", {"mentorn", "the mentor"}},
  };
  return texts;
}

const std::map<std::string, Text>& event_texts() {
  static const std::map<std::string, Text> texts = {
      {"HireRegistered", {"Nyanställd registrerad", "Hire registered"}},
      {"HireStarted", {"Första arbetsdagen", "First working day"}},
      {"ChecklistItemCompleted", {"Moment klart", "Checklist item done"}},
      {"ChecklistItemWaived", {"Moment EJ", "Checklist item waived"}},
      {"IntroducerAppointed", {"Introduktör utsedd", "Introducer appointed"}},
      {"MentorAppointed", {"Mentor utsedd", "Mentor appointed"}},
      {"MentorReplacementNamed", {"Ersättare utsedd", "Mentor replacement named"}},
      {"MentorDroppedOut", {"Mentor avhoppad", "Mentor dropped out"}},
      {"CourseBooked", {"Kurs bokad", "Course booked"}},
      {"CourseModuleAttended", {"Kursmodul genomförd", "Course module attended"}},
      {"BbicPartCompleted", {"BBIC-del genomförd", "BBIC part completed"}},
      {"CourseCompleted", {"Introduktionsprogram klart", "Course completed"}},
      {"PartWaived", {"Del behövs ej", "Part waived"}},
      {"SupervisionGroupJoined", {"Handledningsgrupp", "Supervision group joined"}},
      {"SupervisionSessionAttended", {"Handledningsträff", "Supervision session attended"}},
      {"SupervisionCompleted", {"Handledning klar", "Supervision completed"}},
      {"IntroducerHoursLogged", {"Introduktörstimmar", "Introducer hours logged"}},
      {"LeaveStarted", {"Tjänstledighet börjar", "Leave started"}},
      {"LeaveEnded", {"Tillbaka från ledighet", "Back from leave"}},
      {"HireLeft", {"Slutat", "Left"}},
      {"JourneyCompleted", {"Introduktion avslutad", "Journey completed"}},
      {"EventCorrected", {"Rättelse", "Correction"}},
      {"EventRetracted", {"Struken händelse", "Retraction"}},
      {"NotificationDecided", {"Påminnelse beslutad", "Notification decided"}},
      {"DeliveryAttempted", {"Leveransförsök", "Delivery attempt"}},
  };
  return texts;
}

std::string pick(const std::map<std::string, Text>& texts, const std::string& key, Language lang) {
  auto it = texts.find(key);
  if (it == texts.end()) return key;
  return lang == Language::sv ? it->second.sv : it->second.en;
}

}  // namespace

std::optional<Language> parse_language(const std::string& code) {
  if (code == "sv") return Language::sv;
  if (code == "en") return Language::en;
  return std::nullopt;
}

std::string Refusal::message(Language lang) const {
  std::string text = pick(refusal_texts(), code, lang);
  if (text == code) text = code;  // unknown code: show it rather than nothing
  std::map<std::string, std::string> shown = args;
  // The generic refusal names an event, a region and a state: show their titles.
  if (code == "not_allowed") {
    if (auto e = args.find("event"); e != args.end()) shown["event"] = event_title(e->second, lang);
    if (auto r = args.find("region"); r != args.end())
      shown["region"] = state_title(r->second, lang);
    if (auto s = args.find("state"); s != args.end()) shown["state"] = state_title(s->second, lang);
  }
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      auto close = text.find('}', i);
      if (close != std::string::npos) {
        auto it = shown.find(text.substr(i + 1, close - i - 1));
        out += it != shown.end() ? it->second : text.substr(i, close - i + 1);
        i = close;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string part_title(Part p, Language lang) {
  static const std::map<Part, Text> titles = {
      {Part::preparation, {"Förberedelser", "Preparation"}},
      {Part::induction, {"Inskolning (checklista)", "Induction (checklist)"}},
      {Part::course, {"Introduktionsprogram", "Introduction course"}},
      {Part::supervision, {"Yrkesinriktad handledning", "Professional supervision"}},
      {Part::internal_support, {"Internt stöd", "Internal support"}},
  };
  const Text& t = titles.at(p);
  return lang == Language::sv ? t.sv : t.en;
}

std::string state_title(const std::string& state, Language lang) {
  return pick(state_texts(), state, lang);
}
std::string event_title(const std::string& type, Language lang) {
  return pick(event_texts(), type, lang);
}

}  // namespace journey::workflows
