// The webhook adapter against a real HTTP receiver (receiver.py on 127.0.0.1,
// started per test with fork/exec): what arrives is checked on the received
// bytes, and the receiver verifies the signatures with Python's own hmac, an
// implementation independent of the C++ signer. Faults are the receiver's
// real behaviour: 500, 410, 503 + Retry-After, a stalled answer, a TCP reset.
#define BOOST_TEST_MODULE webhook
#include "journey/adapters/webhook.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "journey/test/webhook_receiver.h"

namespace fs = std::filesystem;
namespace bdata = boost::unit_test::data;
using namespace journey::adapters;
using namespace std::chrono_literals;
using Outcome = DeliveryResult::Outcome;
using nlohmann::json;

namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<Outcome> {
  void operator()(std::ostream& os, Outcome o) {
    static const char* names[] = {"delivered", "retry", "rejected", "gone"};
    os << names[static_cast<int>(o)];
  }
};
}  // namespace boost::test_tools::tt_detail

namespace {

// The Standard Webhooks reference test vector (used by the specification's own
// libraries). Re-derived here with the openssl CLI:
//   KEY=$(echo -n MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p -c 256)
//   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' |
//     openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -binary | base64
const std::string kRefSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kRefId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::int64_t kRefTimestamp = 1614265330;
const std::string kRefBody = "{\"test\": 2432232314}";
const std::string kRefSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

using Receiver = journey::test::WebhookReceiver;

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

std::string header(const json& record, std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  for (const auto& kv : record.at("headers")) {
    std::string k = kv.at(0).get<std::string>();
    std::transform(k.begin(), k.end(), k.begin(), ::tolower);
    if (k == name) return kv.at(1).get<std::string>();
  }
  return "<absent>";
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Two fresh secrets; the receiver knows both, and each endpoint picks its own.
struct ReceiverFixture {
  std::string secret1 = generate_secret();
  std::string secret2 = generate_secret();
  Receiver receiver{{secret1, secret2}};
  CurlWebhookConfig config() const {
    CurlWebhookConfig c;
    c.proxy = "";  // loopback: never through an http_proxy from the environment
    c.connect_timeout = 2s;
    c.total_timeout = 10s;
    return c;
  }
  WebhookEndpoint endpoint(const std::string& path) const {
    return WebhookEndpoint{"ep-1", receiver.url(path), {secret1}};
  }
  WebhookMessage message(std::string data = "{\"hello\":\"v\\u00e4rlden\"}") const {
    return WebhookMessage{
        "n-3f9a0c21e8",
        WebhookEvent{"n-3f9a0c21e8", "/journey", "se.journey.notification.decided", "hire-3f9a0c21",
                     "2026-03-02T08:00:00Z", std::move(data)},
        std::chrono::system_clock::now()};
  }
  DeliveryResult post(const std::string& path) const {
    CurlWebhookSender sender(config());
    return sender.post(endpoint(path), message());
  }
};

CloudEvent reminder_event() {
  CloudEvent e;
  e.id = "n-3f9a0c21e8";
  e.source = "/journey/kommun-x";
  e.type = "se.journey.reminder.due";
  e.subject = "hire-2026-0042";
  e.time = "2026-03-02T07:00:00Z";
  e.data = json{{"hire", "hire-2026-0042"}, {"step", "uppf\xc3\xb6ljning"}, {"due", "2026-03-09"}};
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(signing)

BOOST_AUTO_TEST_CASE(SignMatchesTheStandardWebhooksReferenceVector) {
  BOOST_TEST(sign({kRefSecret}, kRefId, kRefTimestamp, kRefBody) == kRefSignature);
}

BOOST_AUTO_TEST_CASE(SignMatchesAnOpensslCliVectorForAUtf8Body) {
  // Key bytes 0x00..0x1f. Computed with:
  //   KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
  //   printf '%s' 'n-3f9a0c21e8.1767225600.{"data":{"namn":"Åsa Öberg"},"specversion":"1.0"}' |
  //     openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -binary | base64
  const std::string secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  const std::string body =
      "{\"data\":{\"namn\":\"\xc3\x85sa \xc3\x96"
      "berg\"},\"specversion\":\"1.0\"}";
  BOOST_TEST(sign({secret}, "n-3f9a0c21e8", 1767225600, body) ==
             "v1,5PtSrfEGaGJtQ9K/1pKf86x4YSs9dgPMwtbnBMzrfKI=");
}

BOOST_AUTO_TEST_CASE(RotationSignsWithEverySecretInOrder) {
  const std::string other = generate_secret();
  const std::string header = sign({kRefSecret, other}, kRefId, kRefTimestamp, kRefBody);
  BOOST_TEST(header.rfind(kRefSignature + " v1,", 0) == 0u);
  BOOST_TEST(std::count(header.begin(), header.end(), ' ') == 1);
  BOOST_TEST(verify({other}, kRefId, kRefTimestamp, kRefBody, header, kRefTimestamp));
  BOOST_TEST(verify({kRefSecret}, kRefId, kRefTimestamp, kRefBody, header, kRefTimestamp));
}

BOOST_AUTO_TEST_CASE(VerifyRejectsTamperingAndStaleTimestamps) {
  const auto s = kRefSecret;
  BOOST_TEST(verify({s}, kRefId, kRefTimestamp, kRefBody, kRefSignature, kRefTimestamp + 300));
  BOOST_TEST(verify({s}, kRefId, kRefTimestamp, kRefBody, kRefSignature, kRefTimestamp - 300));
  BOOST_TEST(!verify({s}, kRefId, kRefTimestamp, kRefBody, kRefSignature, kRefTimestamp + 301));
  BOOST_TEST(!verify({s}, kRefId, kRefTimestamp, kRefBody, kRefSignature, kRefTimestamp - 301));
  BOOST_TEST(!verify({s}, kRefId, kRefTimestamp, kRefBody + " ", kRefSignature, kRefTimestamp));
  BOOST_TEST(!verify({s}, kRefId + "x", kRefTimestamp, kRefBody, kRefSignature, kRefTimestamp));
  BOOST_TEST(!verify({s}, kRefId, kRefTimestamp + 1, kRefBody, kRefSignature, kRefTimestamp));
  BOOST_TEST(
      !verify({generate_secret()}, kRefId, kRefTimestamp, kRefBody, kRefSignature, kRefTimestamp));
  // Another version's entry with the same bytes does not count; a later v1 does.
  const std::string sig = kRefSignature.substr(3);
  BOOST_TEST(!verify({s}, kRefId, kRefTimestamp, kRefBody, "v1a," + sig, kRefTimestamp));
  BOOST_TEST(verify({s}, kRefId, kRefTimestamp, kRefBody, "v1a,xyz v1,bogus " + kRefSignature,
                    kRefTimestamp));
  BOOST_TEST(!verify({s}, kRefId, kRefTimestamp, kRefBody, "", kRefTimestamp));
}

BOOST_AUTO_TEST_CASE(MalformedSecretIsRejected) {
  auto message_of = [](const std::string& secret) -> std::string {
    try {
      decode_secret(secret);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  BOOST_TEST(contains(message_of("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "whsec_"));
  BOOST_TEST(contains(message_of("whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "whsec_"));
  BOOST_TEST(contains(message_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w"), "base64"));
  BOOST_TEST(contains(message_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"), "base64"));
  BOOST_TEST(contains(message_of("whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "base64"));
  BOOST_TEST(contains(message_of("whsec_"), "base64"));
  BOOST_TEST(contains(message_of("whsec_c2hvcnQ="), "decodes to 5 bytes"));
  BOOST_TEST(contains(message_of("whsec_" + std::string(88, 'A')), "decodes to 66 bytes"));
  BOOST_TEST(message_of(kRefSecret) == "accepted");
  // The error names the problem and which secret, and never echoes the secret.
  try {
    sign({kRefSecret, "whsec_c2hvcnQ="}, kRefId, kRefTimestamp, kRefBody);
    BOOST_FAIL("sign accepted a 5-byte secret");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(contains(e.what(), "secret #2"));
    BOOST_TEST(!contains(e.what(), "c2hvcnQ"));
  }
  BOOST_CHECK_THROW(sign({}, kRefId, kRefTimestamp, kRefBody), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(MessageIdThatCouldForgeTheSignedContentIsRejected) {
  BOOST_CHECK_THROW(sign({kRefSecret}, "a.b", 1, "{}"), std::invalid_argument);
  BOOST_CHECK_THROW(sign({kRefSecret}, "", 1, "{}"), std::invalid_argument);
  BOOST_CHECK_THROW(sign({kRefSecret}, "id\r\nX-Evil: 1", 1, "{}"), std::invalid_argument);
  BOOST_CHECK_THROW(sign({kRefSecret}, "id with space", 1, "{}"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(GeneratedSecretsAreWellFormedAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string s = generate_secret();
    BOOST_TEST(s.rfind("whsec_", 0) == 0u);
    BOOST_TEST(s.size() == 6u + 32u);  // 24 bytes -> 32 base64 characters
    BOOST_TEST(decode_secret(s).size() == 24u);
    seen.insert(s);
  }
  BOOST_TEST(seen.size() == 50u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(cloud_events)

BOOST_AUTO_TEST_CASE(EventHasTheRequiredAttributesAndData) {
  const json j = json::parse(cloud_event_json(reminder_event()));
  BOOST_TEST(j.at("specversion") == "1.0");
  BOOST_TEST(j.at("id") == "n-3f9a0c21e8");
  BOOST_TEST(j.at("source") == "/journey/kommun-x");
  BOOST_TEST(j.at("type") == "se.journey.reminder.due");
  BOOST_TEST(j.at("subject") == "hire-2026-0042");
  BOOST_TEST(j.at("time") == "2026-03-02T07:00:00Z");
  BOOST_TEST(j.at("datacontenttype") == "application/json");
  BOOST_TEST(j.at("data") == reminder_event().data);
  BOOST_TEST(j.size() == 8u);
}

BOOST_AUTO_TEST_CASE(OptionalAttributesAreOmittedWhenEmpty) {
  CloudEvent e = reminder_event();
  e.subject.clear();
  e.time.clear();
  e.data = nullptr;
  const json j = json::parse(cloud_event_json(e));
  BOOST_TEST(!j.contains("subject"));
  BOOST_TEST(!j.contains("time"));
  BOOST_TEST(!j.contains("data"));
}

BOOST_AUTO_TEST_CASE(PreSerialisedDataIsEmbeddedByteForByte) {
  CloudEvent e = reminder_event();
  e.data_json = "{\"b\":1.50,\"a\":[1, 2]}";  // key order and number spelling kept
  const std::string text = cloud_event_json(e);
  BOOST_TEST(contains(text, ",\"data\":{\"b\":1.50,\"a\":[1, 2]}}"));
  BOOST_TEST(json::parse(text).at("data").at("a").size() == 2u);
  e.data_json = "{\"unterminated\":";
  BOOST_CHECK_THROW(cloud_event_json(e), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(InvalidEventIsRefusedNamingTheAttribute) {
  auto problem = [](CloudEvent e) -> std::string {
    try {
      cloud_event_json(e);
    } catch (const std::invalid_argument& ex) {
      return ex.what();
    }
    return "accepted";
  };
  CloudEvent e = reminder_event();
  e.id.clear();
  BOOST_TEST(contains(problem(e), "id"));
  e = reminder_event();
  e.source.clear();
  BOOST_TEST(contains(problem(e), "source"));
  e.source = "/journey/kommun x";
  BOOST_TEST(contains(problem(e), "source"));
  e = reminder_event();
  e.type.clear();
  BOOST_TEST(contains(problem(e), "type"));
  for (const char* bad : {"2026-03-02 07:00:00Z", "2026-03-02T07:00:00", "2026-13-02T07:00:00Z",
                          "2026-03-02T07:00:00.Z", "2026-03-02T07:00:00+0100", "yesterday"}) {
    e = reminder_event();
    e.time = bad;
    BOOST_TEST(contains(problem(e), "time"), bad);
  }
  for (const char* good : {"2026-03-02T07:00:00.123456Z", "2026-03-02T08:00:00+01:00"}) {
    e = reminder_event();
    e.time = good;
    BOOST_TEST(problem(e) == "accepted", good);
  }
  e = reminder_event();
  e.data = json{{"name", "\xff\xfe"}};  // not UTF-8
  BOOST_TEST(contains(problem(e), "serialise"));
}

BOOST_AUTO_TEST_CASE(Rfc3339UtcFormatsWholeAndFractionalSeconds) {
  const std::chrono::system_clock::time_point t{std::chrono::seconds(1767225600)};
  BOOST_TEST(rfc3339_utc(t) == "2026-01-01T00:00:00Z");
  BOOST_TEST(rfc3339_utc(t + 250ms + 61s) == "2026-01-01T00:01:01.250Z");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_FIXTURE_TEST_SUITE(over_http, ReceiverFixture)

BOOST_AUTO_TEST_CASE(SignatureVerifiesInAnIndependentImplementation) {
  CurlWebhookSender sender(config());
  const WebhookMessage msg = message();
  const DeliveryResult r = sender.post(endpoint("/ok"), msg);
  BOOST_TEST(r.outcome == Outcome::delivered);
  BOOST_TEST(r.code == 204);
  const auto recs = receiver.records(1);
  BOOST_REQUIRE(recs.size() == 1u);
  const json& rec = recs[0];
  BOOST_TEST(rec.at("method") == "POST");
  BOOST_TEST(rec.at("path") == "/ok");
  // The encoder's bytes, unchanged, with the data spliced in as given.
  const std::string body = cloud_event_json(cloud_event_of(msg.event));
  BOOST_TEST(from_hex(rec.at("body_hex")) == body);
  BOOST_TEST(body.find(",\"data\":" + msg.event.data_json + "}") != std::string::npos, body);
  BOOST_TEST(header(rec, "webhook-id") == msg.id);
  BOOST_TEST(header(rec, "webhook-timestamp") == std::to_string(unix_seconds(msg.timestamp)));
  BOOST_TEST(header(rec, "webhook-signature") ==
             sign({secret1}, msg.id, unix_seconds(msg.timestamp), body));
  BOOST_TEST(header(rec, "content-type") == "application/cloudevents+json; charset=utf-8");
  BOOST_TEST(header(rec, "expect") == "<absent>");
  BOOST_TEST(rec.at("verified") == true);  // Python's hmac agrees
  BOOST_TEST(rec.at("verified_per_secret") == json::parse("[true,false]"));
  BOOST_TEST(rec.at("timestamp_ok") == true);
}

BOOST_AUTO_TEST_CASE(RotationSignsWithEverySecret) {
  CurlWebhookSender sender(config());
  WebhookEndpoint ep = endpoint("/ok");
  ep.secrets = {secret2, secret1};  // new first, old still signing
  BOOST_TEST(sender.post(ep, message()).outcome == Outcome::delivered);
  const auto recs = receiver.records(1);
  BOOST_REQUIRE(recs.size() == 1u);
  const json& sigs = recs[0].at("signatures");
  BOOST_REQUIRE(sigs.size() == 2u);
  BOOST_TEST(sigs[0].at("version") == "v1");
  BOOST_TEST(sigs[0].at("matches_secret") == 1);  // secret2 is the receiver's second
  BOOST_TEST(sigs[1].at("version") == "v1");
  BOOST_TEST(sigs[1].at("matches_secret") == 0);
  BOOST_TEST(recs[0].at("verified_per_secret") == json::parse("[true,true]"));
}

BOOST_AUTO_TEST_CASE(BodyIsStructuredCloudEvent) {
  CurlWebhookSender sender(config());
  BOOST_TEST(sender
                 .post_bytes(endpoint("/ok200"), "n-3f9a0c21e8", cloud_event_json(reminder_event()),
                             std::chrono::system_clock::now())
                 .outcome == Outcome::delivered);
  const auto recs = receiver.records(1);
  BOOST_REQUIRE(recs.size() == 1u);
  BOOST_TEST(header(recs[0], "content-type") == kCloudEventsContentType);
  const json body = json::parse(from_hex(recs[0].at("body_hex")));
  BOOST_TEST(body.at("specversion") == "1.0");
  BOOST_TEST(body.at("id") == "n-3f9a0c21e8");
  BOOST_TEST(body.at("source") == "/journey/kommun-x");
  BOOST_TEST(body.at("type") == "se.journey.reminder.due");
  BOOST_TEST(body.at("subject") == "hire-2026-0042");
  BOOST_TEST(body.at("time") == "2026-03-02T07:00:00Z");
  BOOST_TEST(body.at("datacontenttype") == "application/json");
  BOOST_TEST(body.at("data").at("step") == "uppf\xc3\xb6ljning");
  BOOST_TEST(recs[0].at("verified") == true);
}

BOOST_AUTO_TEST_CASE(ServerErrorIsRetry) {
  const DeliveryResult r = post("/fail500");
  BOOST_TEST(r.outcome == Outcome::retry);
  BOOST_TEST(r.code == 500);
  BOOST_TEST(contains(r.detail, "internal error in receiver"), r.detail);
  BOOST_TEST(!r.retry_after.has_value());
  BOOST_TEST(receiver.records(1).size() == 1u);
}

BOOST_AUTO_TEST_CASE(GoneDisablesEndpoint) {
  const DeliveryResult r = post("/gone");
  BOOST_TEST(r.outcome == Outcome::gone);
  BOOST_TEST(r.code == 410);
}

BOOST_AUTO_TEST_CASE(RetryAfterIsHonoured) {
  const DeliveryResult r = post("/busy");
  BOOST_TEST(r.outcome == Outcome::retry);
  BOOST_TEST(r.code == 503);
  BOOST_REQUIRE(r.retry_after.has_value());
  BOOST_TEST(r.retry_after->count() == 120);
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    BOOST_TEST_REQUIRE(backoff_delay(1, r.retry_after, seed).count() >= 120'000);
  }
}

BOOST_AUTO_TEST_CASE(RetryAfterHttpDateIsHonoured) {
  const DeliveryResult r = post("/busy-date");
  BOOST_TEST(r.outcome == Outcome::retry);
  BOOST_REQUIRE(r.retry_after.has_value());
  BOOST_TEST(r.retry_after->count() >= 115);  // whole seconds, a moment has passed
  BOOST_TEST(r.retry_after->count() <= 121);
}

BOOST_AUTO_TEST_CASE(TooManyRequestsIsRetry) {
  const DeliveryResult r = post("/throttle");
  BOOST_TEST(r.outcome == Outcome::retry);
  BOOST_TEST(r.code == 429);
  BOOST_REQUIRE(r.retry_after.has_value());
  BOOST_TEST(r.retry_after->count() == 7);
}

BOOST_AUTO_TEST_CASE(TimeoutIsRetry) {
  CurlWebhookConfig c = config();
  c.total_timeout = 1s;  // the receiver answers /slow after 5 s
  CurlWebhookSender sender(c);
  const auto start = std::chrono::steady_clock::now();
  const DeliveryResult r = sender.post(endpoint("/slow"), message());
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(r.outcome == Outcome::retry);
  BOOST_TEST(r.code == 0);
  BOOST_TEST((contains(r.detail, "imeout") || contains(r.detail, "timed out")), r.detail);
  const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  BOOST_TEST(took_ms >= 900);
  BOOST_TEST(took_ms < 4000);
  BOOST_TEST(receiver.records(1).size() == 1u);  // it did arrive; the answer did not
}

BOOST_AUTO_TEST_CASE(ConnectionResetIsRetry) {
  const DeliveryResult r = post("/reset");
  BOOST_TEST(r.outcome == Outcome::retry);
  BOOST_TEST(r.code == 0);
  BOOST_TEST(!r.detail.empty());
  BOOST_TEST_MESSAGE("reset detail: " << r.detail);
  BOOST_TEST(receiver.records(1).size() == 1u);
}

BOOST_AUTO_TEST_CASE(RedirectIsNotFollowed) {
  const DeliveryResult r = post("/redirect");
  BOOST_TEST(r.outcome == Outcome::rejected);
  BOOST_TEST(r.code == 302);
  BOOST_TEST(contains(r.detail, "redirect not followed"), r.detail);
  std::this_thread::sleep_for(200ms);
  const auto recs = receiver.records(1);
  BOOST_REQUIRE(recs.size() == 1u);  // no second request to /ok
  BOOST_TEST(recs[0].at("path") == "/redirect");
}

BOOST_AUTO_TEST_CASE(OtherClientErrorIsRejected) {
  BOOST_TEST(post("/bad400").outcome == Outcome::rejected);
  const DeliveryResult r = post("/no-such-path");
  BOOST_TEST(r.outcome == Outcome::rejected);
  BOOST_TEST(r.code == 404);
}

BOOST_AUTO_TEST_CASE(HugeResponseIsCutOffAndStillCounts) {
  CurlWebhookConfig c = config();
  c.max_response_bytes = 1024;
  CurlWebhookSender sender(c);
  const DeliveryResult r = sender.post(endpoint("/big"), message());
  BOOST_TEST(r.outcome == Outcome::delivered);
  BOOST_TEST(r.code == 200);
  BOOST_TEST(contains(r.detail, "cut off at 1024 bytes"), r.detail);
  BOOST_TEST(r.detail.size() < 400u);
}

BOOST_AUTO_TEST_CASE(MalformedSecretIsRejectedWithoutSending) {
  CurlWebhookSender sender(config());
  WebhookEndpoint ep = endpoint("/ok");
  ep.secrets = {secret1, "whsec_not base64"};
  const DeliveryResult r = sender.post(ep, message());
  BOOST_TEST(r.outcome == Outcome::rejected);
  BOOST_TEST(contains(r.detail, "secret #2"), r.detail);
  ep.secrets.clear();
  BOOST_TEST(sender.post(ep, message()).outcome == Outcome::rejected);
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(receiver.records().empty());
}

// What the scheduler hands over is encoded by the validating encoder: an
// event it refuses is not sent, and says why (the scheduler records that as
// the attempt, instead of posting a body no receiver can read).
BOOST_AUTO_TEST_CASE(AnEventTheEncoderRefusesIsNotSent) {
  CurlWebhookSender sender(config());
  WebhookMessage bad_time = message();
  bad_time.event.time = "2026-03-02 08:00";
  WebhookMessage bad_data = message("{\"hello\":");
  WebhookMessage no_type = message();
  no_type.event.type.clear();
  for (const auto& [msg, why] : {std::pair{bad_time, "RFC 3339"}, std::pair{bad_data, "JSON"},
                                 std::pair{no_type, "type is required"}}) {
    const DeliveryResult r = sender.post(endpoint("/ok"), msg);
    BOOST_TEST(r.outcome == Outcome::rejected);
    BOOST_TEST(contains(r.detail, "not sent"), r.detail);
    BOOST_TEST(contains(r.detail, why), r.detail);
  }
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(receiver.records().empty());
}

BOOST_AUTO_TEST_CASE(HeaderInjectionThroughTheMessageIdIsRejected) {
  CurlWebhookSender sender(config());
  WebhookMessage msg = message();
  msg.id = "n-1\r\nX-Evil: yes";
  const DeliveryResult r = sender.post(endpoint("/ok"), msg);
  BOOST_TEST(r.outcome == Outcome::rejected);
  BOOST_TEST(r.code == 0);
  std::this_thread::sleep_for(200ms);
  BOOST_TEST(receiver.records().empty());
}

BOOST_AUTO_TEST_CASE(SameMessageCarriesTheSameIdOnRetry) {
  CurlWebhookSender sender(config());
  WebhookMessage msg = message();
  BOOST_TEST(sender.post(endpoint("/fail500"), msg).outcome == Outcome::retry);
  msg.timestamp += 30s;  // a later attempt: new timestamp, same id
  BOOST_TEST(sender.post(endpoint("/ok"), msg).outcome == Outcome::delivered);
  const auto recs = receiver.records(2);
  BOOST_REQUIRE(recs.size() == 2u);
  BOOST_TEST(header(recs[0], "webhook-id") == header(recs[1], "webhook-id"));
  BOOST_TEST(header(recs[0], "webhook-timestamp") != header(recs[1], "webhook-timestamp"));
  BOOST_TEST(recs[1].at("verified") == true);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(no_receiver)

BOOST_AUTO_TEST_CASE(ConnectionRefusedIsRetry) {
  // A port that was just free: bind, read the number, close.
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(s >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  BOOST_REQUIRE(getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(s);
  CurlWebhookConfig c;
  c.proxy = "";
  CurlWebhookSender sender(c);
  const WebhookEndpoint ep{
      "ep", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", {generate_secret()}};
  const DeliveryResult r = sender.post_bytes(ep, "n-1", "{}", std::chrono::system_clock::now());
  BOOST_TEST(r.outcome == Outcome::retry);
  BOOST_TEST(r.code == 0);
  BOOST_TEST(contains(r.detail, "onnect"), r.detail);
}

BOOST_AUTO_TEST_CASE(NonHttpUrlIsRejectedWithoutSending) {
  CurlWebhookSender sender;
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/",
                          "127.0.0.1:80/x", "http://[::1/x", "http://exa mple.se/"}) {
    const DeliveryResult r =
        sender.post_bytes(WebhookEndpoint{"ep", url, {kRefSecret}}, "n-1", "{}", {});
    BOOST_TEST(r.outcome == Outcome::rejected, url);
    BOOST_TEST(contains(r.detail, "not sent"), url);
  }
}

BOOST_AUTO_TEST_CASE(RetryAfterParsesSecondsAndHttpDates) {
  const std::chrono::system_clock::time_point now{
      std::chrono::seconds(1445412480)};  // 2015-10-21 07:28:00 UTC
  BOOST_TEST(parse_retry_after("120", now).value().count() == 120);
  BOOST_TEST(parse_retry_after(" 0 ", now).value().count() == 0);
  BOOST_TEST(parse_retry_after("99999999999999999999", now).value().count() == 2147483647);
  BOOST_TEST(parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now).value().count() == 120);
  BOOST_TEST(parse_retry_after("Wednesday, 21-Oct-15 07:30:00 GMT", now).value().count() == 120);
  BOOST_TEST(parse_retry_after("Wed Oct 21 07:30:00 2015", now).value().count() == 120);
  BOOST_TEST(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now).value().count() == 0);
  BOOST_TEST(!parse_retry_after("", now).has_value());
  BOOST_TEST(!parse_retry_after("soon", now).has_value());
  BOOST_TEST(!parse_retry_after("-5", now).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(backoff)

// attempt -> exponential ceiling with the default policy (base 30 s, cap 6 h).
const std::vector<int> kAttempts = {1, 2, 3, 4, 8, 10, 11, 12, 20, 64, 1000};
const std::vector<long long> kCeilingsMs = {30'000,     60'000,     120'000,    240'000,
                                            3'840'000,  15'360'000, 21'600'000, 21'600'000,
                                            21'600'000, 21'600'000, 21'600'000};

BOOST_DATA_TEST_CASE(BackoffGrowsAndIsCapped, bdata::make(kAttempts) ^ bdata::make(kCeilingsMs),
                     attempt, ceiling_ms) {
  BOOST_TEST(backoff_ceiling(attempt).count() == ceiling_ms);
  long long largest = 0;
  long long sum = 0;
  for (std::uint64_t seed = 0; seed < 2000; ++seed) {
    const long long d = backoff_delay(attempt, std::nullopt, seed).count();
    BOOST_TEST_REQUIRE(d >= 0);
    BOOST_TEST_REQUIRE(d <= ceiling_ms);
    largest = std::max(largest, d);
    sum += d;
  }
  // Full jitter: spread over the whole range, mean near half the ceiling.
  BOOST_TEST(largest >= ceiling_ms * 95 / 100);
  const double mean = static_cast<double>(sum) / 2000;
  BOOST_TEST(mean > ceiling_ms * 0.4);
  BOOST_TEST(mean < ceiling_ms * 0.6);
}

BOOST_AUTO_TEST_CASE(BackoffIsReproducibleFromItsSeed) {
  // Expected values from the documented formula, computed independently in Python:
  //   splitmix64(seed + attempt * 0x9E3779B97F4A7C15) % (ceiling + 1)
  BOOST_TEST(backoff_delay(1, std::nullopt, 0).count() == 10542);
  BOOST_TEST(backoff_delay(2, std::nullopt, 0).count() == 8068);
  BOOST_TEST(backoff_delay(5, std::nullopt, 42).count() == 37593);
  BOOST_TEST(backoff_delay(8, std::nullopt, 42).count() == 2560381);
  BOOST_TEST(backoff_delay(12, std::nullopt, 0xDEADBEEF).count() == 524136);
  BOOST_TEST(backoff_delay(3, std::nullopt, 7).count() ==
             backoff_delay(3, std::nullopt, 7).count());
  BOOST_TEST(backoff_delay(0, std::nullopt, 7).count() ==
             backoff_delay(1, std::nullopt, 7).count());
  BOOST_TEST(backoff_delay(-3, std::nullopt, 7).count() ==
             backoff_delay(1, std::nullopt, 7).count());
}

BOOST_AUTO_TEST_CASE(RetryAfterIsALowerBoundCappedAtADay) {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    // The draw (<= 30 s at attempt 1) is below 120 s, so the delay is exactly 120 s.
    BOOST_TEST_REQUIRE(backoff_delay(1, 120s, seed).count() == 120'000);
    BOOST_TEST_REQUIRE(backoff_delay(1, 0s, seed).count() ==
                       backoff_delay(1, std::nullopt, seed).count());
    const auto drawn = backoff_delay(20, std::nullopt, seed).count();
    BOOST_TEST_REQUIRE(backoff_delay(20, 10s, seed).count() == std::max<long long>(drawn, 10'000));
  }
  BOOST_TEST(backoff_delay(1, std::chrono::seconds(7 * 24 * 3600), 1).count() ==
             24LL * 3600 * 1000);
  BOOST_TEST(backoff_delay(1, std::chrono::seconds(-5), 1).count() ==
             backoff_delay(1, std::nullopt, 1).count());
}

BOOST_AUTO_TEST_CASE(MaxAttemptsIsEight) {
  BOOST_TEST(kMaxAttempts == 8);
  BOOST_TEST(BackoffPolicy{}.max_attempts == kMaxAttempts);
}

BOOST_AUTO_TEST_SUITE_END()
