// The webhook service (engine/webhooks.h) over the real secret files and a
// real RocksDB log: the secrets are written before the log, the fingerprints
// the log keeps are always those of the secrets on file, and a change the log
// does not take leaves the secrets as they were.
#define BOOST_TEST_MODULE webhook_secrets
#include "journey/adapters/webhook_secrets.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "journey/adapters/webhook.h"
#include "journey/storage/rocksdb_event_log.h"

namespace fs = std::filesystem;
using namespace journey;

namespace {

struct Fixture {
  fs::path dir;
  SystemClock clock;
  std::unique_ptr<storage::EventLog> log;
  std::unique_ptr<engine::JourneyEngine> engine;
  std::unique_ptr<adapters::FileWebhookSecrets> secrets;
  std::unique_ptr<engine::WebhookService> service;
  const engine::CommandContext ctx{"admin@test", "", std::nullopt};

  Fixture() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("journey-webhook-secrets-" + std::to_string(rd()));
    fs::create_directories(dir);
    log = std::move(storage::open_rocksdb_event_log({dir / "log"}, clock).value());
    engine = std::make_unique<engine::JourneyEngine>(*log, clock);
    use_secrets(dir / "webhook-secrets");
  }
  ~Fixture() {
    service.reset();
    engine.reset();
    log.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void use_secrets(const fs::path& at) {
    secrets = std::make_unique<adapters::FileWebhookSecrets>(at);
    service = std::make_unique<engine::WebhookService>(*engine, *secrets);
  }
  std::optional<engine::WebhookSubscription> recorded(const std::string& id) {
    for (const auto& w : engine->webhooks())
      if (w.id == id) return w;
    return std::nullopt;
  }
  std::vector<std::string> fingerprints_on_file(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& s : secrets->read(id)) out.push_back(adapters::secret_fingerprint(s));
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(webhook_service, Fixture)

BOOST_AUTO_TEST_CASE(ACreatedSubscriptionHasItsSecretOnFileAndOnlyItsFingerprintInTheLog) {
  auto r = service->create("https://hooks.example.se/journey", "default", ctx);
  BOOST_REQUIRE(r.outcome.ok());
  BOOST_TEST(r.secret.rfind("whsec_", 0) == 0u);
  BOOST_TEST(secrets->read(r.subscription.id) == std::vector<std::string>{r.secret});
  struct stat st {};
  BOOST_REQUIRE(::stat((secrets->dir() / r.subscription.id).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  auto w = recorded(r.subscription.id);
  BOOST_REQUIRE(w);
  BOOST_TEST(w->secret_fingerprints == fingerprints_on_file(r.subscription.id));
  BOOST_TEST(w->municipality == "default");
  // The log holds no secret, in any event's bytes.
  auto all = log->read_all(storage::GlobalPosition{1}, 1000).value();
  for (const auto& e : all) BOOST_TEST(e.payload.find(r.secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(ARefusedCreationLeavesNoSecretAndNoSubscription) {
  auto r = service->create("https://hooks.example.se/x", "nowhere", ctx);
  BOOST_TEST(!r.outcome.ok());
  BOOST_REQUIRE(r.outcome.refusal);
  BOOST_TEST(r.outcome.refusal->code == "unknown_municipality");
  BOOST_TEST(r.secret.empty());  // never shown: it is the secret of nothing
  BOOST_TEST(secrets->read(r.subscription.id).empty());
  BOOST_TEST(engine->webhooks().empty());
  auto bad_url = service->create("ftp://hooks.example.se/x", "default", ctx);
  BOOST_TEST(!bad_url.outcome.ok());
  BOOST_TEST(engine->webhooks().empty());
}

BOOST_AUTO_TEST_CASE(ASecretThatCannotBeWrittenRecordsNothing) {
  // The secrets' folder is a file: nothing can be written under it.
  std::ofstream(dir / "not-a-folder") << "x";
  use_secrets(dir / "not-a-folder");
  const auto head = log->head().value;
  auto r = service->create("https://hooks.example.se/x", "default", ctx);
  BOOST_TEST(!r.outcome.ok());
  BOOST_REQUIRE(r.outcome.refusal);
  BOOST_TEST(r.outcome.refusal->code == "storage_error");
  BOOST_TEST(r.secret.empty());
  BOOST_TEST(log->head().value == head);
  BOOST_TEST(engine->webhooks().empty());
}

BOOST_AUTO_TEST_CASE(RotationAndRetirementKeepTheLogsFingerprintsThoseOnFile) {
  auto created = service->create("https://hooks.example.se/x", "*", ctx);
  BOOST_REQUIRE(created.outcome.ok());
  const std::string id = created.subscription.id;
  auto rotated = service->change(id, engine::WebhookChange::rotate, ctx);
  BOOST_REQUIRE(rotated && rotated->outcome.ok());
  BOOST_TEST(rotated->secret != created.secret);
  BOOST_TEST(secrets->read(id) == (std::vector<std::string>{rotated->secret, created.secret}));
  BOOST_TEST(recorded(id)->secret_fingerprints == fingerprints_on_file(id));
  auto retired = service->change(id, engine::WebhookChange::retire_old, ctx);
  BOOST_REQUIRE(retired && retired->outcome.ok());
  BOOST_TEST(retired->secret.empty());
  BOOST_TEST(secrets->read(id) == std::vector<std::string>{rotated->secret});
  BOOST_TEST(recorded(id)->secret_fingerprints == fingerprints_on_file(id));
  BOOST_TEST(!service->change("wh-00000000", engine::WebhookChange::rotate, ctx));
}

BOOST_AUTO_TEST_CASE(ARotationTheLogRefusesPutsTheOldSecretsBack) {
  auto created = service->create("https://hooks.example.se/x", "default", ctx);
  BOOST_REQUIRE(created.outcome.ok());
  const std::string id = created.subscription.id;
  const engine::CommandContext nobody{"", "", std::nullopt};  // the log refuses: no actor
  auto rotated = service->change(id, engine::WebhookChange::rotate, nobody);
  BOOST_REQUIRE(rotated);
  BOOST_TEST(!rotated->outcome.ok());
  BOOST_TEST(rotated->secret.empty());
  BOOST_TEST(secrets->read(id) == std::vector<std::string>{created.secret});
  BOOST_TEST(recorded(id)->secret_fingerprints == fingerprints_on_file(id));
}

BOOST_AUTO_TEST_CASE(ARepeatedKeyIsRefusedRatherThanASecondSecret) {
  const engine::CommandContext keyed{"admin@test", "hook-1", std::nullopt};
  auto first = service->create("https://hooks.example.se/x", "default", keyed);
  BOOST_REQUIRE(first.outcome.ok());
  auto again = service->create("https://hooks.example.se/x", "default", keyed);
  BOOST_TEST(!again.outcome.ok());
  BOOST_REQUIRE(again.outcome.refusal);
  BOOST_TEST(again.outcome.refusal->code == "webhook_already_created");
  BOOST_TEST(again.secret.empty());
  BOOST_TEST(engine->webhooks().size() == 1u);
}

BOOST_AUTO_TEST_CASE(SecretsThatCannotBeReadAreNotRotatedAway) {
  auto created = service->create("https://hooks.example.se/x", "default", ctx);
  BOOST_REQUIRE(created.outcome.ok());
  const std::string id = created.subscription.id;
  // Where the secrets are, something that cannot be read as them: reading
  // it must fail, not answer "none" (a rotation would drop the secret the
  // receivers check).
  const fs::path file = secrets->dir() / id;
  fs::remove(file);
  fs::create_directories(file);
  const auto head = log->head().value;
  auto rotated = service->change(id, engine::WebhookChange::rotate, ctx);
  BOOST_REQUIRE(rotated);
  BOOST_TEST(!rotated->outcome.ok());
  BOOST_REQUIRE(rotated->outcome.refusal);
  BOOST_TEST(rotated->outcome.refusal->code == "storage_error");
  BOOST_TEST(rotated->secret.empty());
  BOOST_TEST(log->head().value == head);
  BOOST_TEST(recorded(id)->secret_fingerprints == created.subscription.secret_fingerprints);
}

BOOST_AUTO_TEST_CASE(ASubscriptionWhoseSecretsWereLostCanStillBeDisabled) {
  auto created = service->create("https://hooks.example.se/x", "default", ctx);
  BOOST_REQUIRE(created.outcome.ok());
  const std::string id = created.subscription.id;
  fs::remove(secrets->dir() / id);  // a data folder restored without its secrets
  auto disabled = service->change(id, engine::WebhookChange::disable, ctx);
  BOOST_REQUIRE(disabled);
  BOOST_TEST(disabled->outcome.ok());
  auto w = recorded(id);
  BOOST_TEST(!w->enabled);
  BOOST_TEST(w->disabled_reason == "disabled by admin@test");
  BOOST_TEST(w->secret_fingerprints == created.subscription.secret_fingerprints);
}

BOOST_AUTO_TEST_SUITE_END()
