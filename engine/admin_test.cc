// The one service both front-ends call for municipalities, units, tokens,
// programmes and imports (engine/admin.h), over a real log: who may do what,
// and what an omitted field means, whoever asks.
#define BOOST_TEST_MODULE admin
#include "journey/engine/admin.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "journey/test/engine_fixture.h"

using namespace journey;
using namespace journey::engine;
using journey::test::EngineFixture;
using journey::test::ymd;

namespace {

struct Fixture : EngineFixture {
  std::unique_ptr<TokenRegistry> tokens;
  std::unique_ptr<AdminService> admin;
  Principal root = folder_operator("operator");
  Principal gbg_admin, boras_admin, gbg_head;

  Fixture() : EngineFixture(test::utc(ymd(2026, 2, 2), 9), "journey-admin-test") {
    add_unit("Barn och unga Väster", "goteborg");
    add_unit("Familj Borås", "boras");
    tokens = std::make_unique<TokenRegistry>(*engine);
    admin = std::make_unique<AdminService>(*engine, *tokens);
    gbg_admin = issue({AccessRole::admin, "goteborg", {}});
    boras_admin = issue({AccessRole::admin, "boras", {}});
    gbg_head = issue({AccessRole::unit_head, "goteborg", {"Barn och unga Väster"}});
  }
  ~Fixture() {
    admin.reset();
    tokens.reset();
  }
  struct Spec {
    AccessRole role;
    std::string municipality;
    std::vector<std::string> units;
  };
  Principal issue(const Spec& s) {
    Principal p;
    p.role = s.role;
    p.municipality = s.municipality;
    p.units = s.units;
    p.name = std::string(access_role_id(s.role)) + " " + s.municipality;
    p.email = "someone@example.se";
    auto issued = admin->issue_token(root, p, as("setup"));
    BOOST_REQUIRE_MESSAGE(issued.outcome.ok(), issued.outcome.message(Language::en));
    return issued.principal;
  }
  static std::string code(const CommandOutcome& o) { return o.refusal ? o.refusal->code : ""; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(admin_service, Fixture)

// journeyctl derived an omitted municipality from the unit, the API used the
// caller's ("*" for the first admin): the same request was a unit head's token
// in one and a refusal in the other.
BOOST_AUTO_TEST_CASE(AnOmittedMunicipalityIsTheUnitsForTheAdminOfAllAndTheCallersOtherwise) {
  Principal spec;
  spec.role = AccessRole::unit_head;
  spec.name = "Anna";
  spec.units = {"Familj Borås"};
  auto by_root = admin->issue_token(root, spec, as("root"));
  BOOST_TEST_REQUIRE(by_root.outcome.ok(), by_root.outcome.message(Language::en));
  BOOST_TEST(by_root.principal.municipality == "boras");

  spec.units = {"Barn och unga Väster"};
  auto by_gbg = admin->issue_token(gbg_admin, spec, as("gbg"));
  BOOST_TEST_REQUIRE(by_gbg.outcome.ok(), by_gbg.outcome.message(Language::en));
  BOOST_TEST(by_gbg.principal.municipality == "goteborg");

  // An admin with no municipality named is never one of every municipality.
  Principal new_admin;
  new_admin.role = AccessRole::admin;
  new_admin.name = "Ny admin";
  auto a = admin->issue_token(root, new_admin, as("root"));
  BOOST_TEST_REQUIRE(a.outcome.ok());
  BOOST_TEST(a.principal.municipality == "default");
}

BOOST_AUTO_TEST_CASE(AMunicipalitysAdminManagesOnlyItsOwnTokens) {
  Principal spec;
  spec.role = AccessRole::auditor;
  spec.name = "Revisor";
  spec.municipality = "boras";
  BOOST_TEST(code(admin->issue_token(gbg_admin, spec, as("gbg")).outcome) ==
             "forbidden_token_elsewhere");
  spec.municipality = "*";
  spec.role = AccessRole::admin;
  BOOST_TEST(code(admin->issue_token(gbg_admin, spec, as("gbg")).outcome) ==
             "forbidden_token_elsewhere");

  // Another municipality's token is as unknown as one that does not exist.
  BOOST_TEST(code(admin->revoke_token(gbg_admin, boras_admin.token_id, as("gbg"))) ==
             "unknown_token");
  BOOST_TEST(code(admin->revoke_token(gbg_admin, "tok-00000000", as("gbg"))) == "unknown_token");

  const auto seen = admin->tokens(gbg_admin);
  BOOST_TEST(!seen.refusal);
  BOOST_TEST_REQUIRE(seen.tokens.size() == 2u);  // gbg_admin, gbg_head
  for (const auto& p : seen.tokens) BOOST_TEST(p.municipality == "goteborg");
  // An admin of every municipality is no municipality's to see or revoke.
  Principal all_spec;
  all_spec.role = AccessRole::admin;
  all_spec.name = "Admin alla";
  all_spec.municipality = "*";
  const auto all = admin->issue_token(root, all_spec, as("root"));
  BOOST_TEST_REQUIRE(all.outcome.ok());
  BOOST_TEST(admin->tokens(gbg_admin).tokens.size() == 2u);
  BOOST_TEST(code(admin->revoke_token(gbg_admin, all.principal.token_id, as("gbg"))) ==
             "unknown_token");
  BOOST_TEST(admin->tokens(root).tokens.size() == 4u);
  BOOST_TEST(admin->revoke_token(gbg_admin, gbg_head.token_id, as("gbg")).ok());
}

BOOST_AUTO_TEST_CASE(OnlyAnAdminSeesCreatesOrRevokesTokens) {
  BOOST_TEST(admin->tokens(gbg_head).refusal->code == "forbidden_tokens");
  BOOST_TEST(admin->tokens(gbg_head).tokens.empty());
  Principal spec;
  spec.role = AccessRole::auditor;
  spec.name = "X";
  BOOST_TEST(code(admin->issue_token(gbg_head, spec, as("head")).outcome) == "forbidden_tokens");
  BOOST_TEST(code(admin->revoke_token(gbg_head, gbg_admin.token_id, as("head"))) ==
             "forbidden_tokens");
  // A revoked admin is no admin, for tokens, units or imports.
  Principal revoked = gbg_admin;
  revoked.revoked = true;
  BOOST_TEST(code(admin->revoke_token(revoked, gbg_head.token_id, as("x"))) == "forbidden_tokens");
  BOOST_TEST(admin->tokens(revoked).refusal.has_value());
  BOOST_TEST(code(admin->issue_token(revoked, spec, as("x")).outcome) == "forbidden_tokens");
  UnitContacts unit{"Barn och unga Väster",
                    {"Nils Berg", "nils@example.se"},
                    {"Nora Ali", "nora@example.se"},
                    std::nullopt,
                    "goteborg"};
  BOOST_TEST(code(admin->set_unit(revoked, unit, as("x"))) == "forbidden_units");
  BOOST_TEST(admin->set_unit(gbg_admin, unit, as("gbg")).ok());
  std::istringstream csv(
      "name,email,unit,start\nBo Ek,bo@example.se,Barn och unga Väster,2026-03-02\n");
  BOOST_TEST(admin->import_hires(revoked, csv, Language::en, as("x")).rows.empty());
  BOOST_TEST(admin->units(revoked).empty());
}

BOOST_AUTO_TEST_CASE(AMunicipalitysAdminCannotClaimAUnitWhoseHiresBelongToDefault) {
  register_hire("Sara Lind", "sara@example.se", "Barn och unga Norr", "2026-03-02");
  UnitContacts norr{"Barn och unga Norr",
                    {"Nils Berg", "nils@example.se"},
                    {"Nora Ali", "nora@example.se"},
                    std::nullopt,
                    "goteborg"};
  BOOST_TEST(code(admin->set_unit(gbg_admin, norr, as("gbg"))) == "unit_has_hires");
  BOOST_TEST(code(admin->set_unit(boras_admin, norr, as("boras"))) == "forbidden_units");
  // A unit with no hires yet is the municipality's to describe.
  UnitContacts ny = norr;
  ny.unit = "Barn och unga Nya";
  BOOST_TEST(admin->set_unit(gbg_admin, ny, as("gbg")).ok());
  BOOST_TEST(admin->set_unit(root, norr, as("root")).ok());
  // Once it is goteborg's, Borås cannot take it over.
  norr.municipality = "boras";
  BOOST_TEST(code(admin->set_unit(boras_admin, norr, as("boras"))) == "forbidden_unit_elsewhere");
  // Each sees only its own municipality's units.
  const auto boras_units = admin->units(boras_admin);
  BOOST_TEST_REQUIRE(boras_units.size() == 1u);
  BOOST_TEST(boras_units[0].unit == "Familj Borås");
  BOOST_TEST(!admin->unit(boras_admin, "Barn och unga Norr").has_value());
  BOOST_TEST(admin->unit(gbg_head, "Barn och unga Norr").has_value());
}

BOOST_AUTO_TEST_CASE(OnlyTheAdminOfAllChangesMunicipalitiesAndPublishesProgrammes) {
  BOOST_TEST(code(admin->set_municipality(gbg_admin, {"kungalv", "Kungälv"}, as("gbg"))) ==
             "forbidden_municipalities");
  BOOST_TEST(admin->set_municipality(root, {"kungalv", "Kungälvs kommun"}, as("root")).ok());
  BOOST_TEST(admin->municipalities(gbg_admin).size() == 1u);
  BOOST_TEST(code(admin->publish_programme(gbg_admin, "id = 'x'", "t", as("gbg"))) ==
             "forbidden_programmes");
  // The operator gets the engine's own answer: the text is checked.
  BOOST_TEST(code(admin->publish_programme(root, "id = 'x'", "t", as("root"))) ==
             "programme_invalid");
}

BOOST_AUTO_TEST_CASE(BackupsAreTheAdminOfAllsAndSimulationsThoseWhoPlan) {
  BOOST_TEST(!admin->may_back_up(root));
  BOOST_TEST(admin->may_back_up(gbg_admin)->code == "forbidden_backups");
  BOOST_TEST(admin->may_back_up(gbg_head)->code == "forbidden_backups");
  BOOST_TEST(!admin->may_simulate(gbg_admin));
  BOOST_TEST(!admin->may_simulate(gbg_head));
  const Principal auditor = issue({AccessRole::auditor, "goteborg", {}});
  BOOST_TEST(admin->may_simulate(auditor)->code == "forbidden_simulations");
  Principal revoked = gbg_head;
  revoked.revoked = true;
  BOOST_TEST(admin->may_simulate(revoked)->code == "forbidden_simulations");
}

BOOST_AUTO_TEST_CASE(AnImportRegistersOnlyInTheCallersMunicipalities) {
  std::istringstream csv(
      "name,email,unit,start\n"
      "Sara Lind,sara@example.se,Barn och unga Väster,2026-03-02\n"
      "Bo Ek,bo@example.se,Familj Borås,2026-03-02\n");
  auto rep = admin->import_hires(gbg_admin, csv, Language::en, as("gbg"));
  BOOST_TEST(rep.file_error == "");
  BOOST_TEST(rep.registered == 1);
  BOOST_TEST(rep.rejected == 1);
  BOOST_TEST_REQUIRE(rep.rows.size() == 2u);
  BOOST_TEST((rep.rows[1].outcome == ImportRow::Outcome::rejected));

  std::istringstream again("name,email,unit,start\nBo Ek,bo@example.se,Familj Borås,2026-03-02\n");
  auto refused = admin->import_hires(gbg_head, again, Language::sv, as("head"));
  BOOST_TEST(refused.rows.empty());
  BOOST_TEST(refused.file_error == "Bara en administratör får importera nyanställda.");
  // The operator may register anywhere.
  std::istringstream by_root(
      "name,email,unit,start\nBo Ek,bo@example.se,Familj Borås,2026-03-02\n");
  BOOST_TEST(admin->import_hires(root, by_root, Language::en, as("root")).registered == 1);
}

BOOST_AUTO_TEST_SUITE_END()
