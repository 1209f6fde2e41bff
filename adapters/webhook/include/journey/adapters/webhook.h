// Webhook delivery: a CloudEvents 1.0 structured-mode JSON body, signed per the
// Standard Webhooks specification (webhook-id, webhook-timestamp,
// webhook-signature "v1,<base64 HMAC-SHA256>"), posted once by libcurl.
//
// Retrying belongs to the scheduler (see delivery.h). This file gives it the two
// pure pieces it needs: backoff_delay() for when to try again, and
// BackoffPolicy::max_attempts for when to stop and dead-letter.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "journey/adapters/delivery.h"

namespace journey::adapters {

// ---------------------------------------------------------------------------
// CloudEvents 1.0, JSON event format, structured content mode.

// The Content-Type of a structured-mode POST.
inline constexpr const char* kCloudEventsContentType =
    "application/cloudevents+json; charset=utf-8";

struct CloudEvent {
  std::string id;       // required, non-empty; unique per source
  std::string source;   // required URI-reference, e.g. "/journey/kommun-x"
  std::string type;     // required, e.g. "se.journey.reminder.due"
  std::string subject;  // optional (omitted when empty), e.g. a hire id
  std::string time;     // optional (omitted when empty); RFC 3339, e.g. rfc3339_utc(tp)
  // The payload, serialised with datacontenttype "application/json". Used unless
  // data_json is set; a null value (the default) means "no data member".
  nlohmann::json data;
  // Pre-serialised JSON, embedded byte for byte (it must be valid JSON).
  std::optional<std::string> data_json;
};

// The event as one compact JSON object with specversion "1.0" and
// datacontenttype "application/json". Throws std::invalid_argument naming the
// problem for a missing required attribute, a malformed time or source, invalid
// data_json or data that cannot be serialised (e.g. invalid UTF-8).
std::string cloud_event_json(const CloudEvent& event);
// The port's event (engine/delivery.h) as a CloudEvent: data_json spliced in
// as it is ("" : no data).
CloudEvent cloud_event_of(const WebhookEvent& event);

// "2026-01-01T08:30:00Z"; sub-second digits only when the time has them
// (milliseconds precision, e.g. "2026-01-01T08:30:00.250Z").
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

// ---------------------------------------------------------------------------
// Standard Webhooks signatures (symmetric, "v1").

inline constexpr const char* kSecretPrefix = "whsec_";
inline constexpr std::size_t kMinSecretBytes = 24;  // the specification: at least 24 bytes
inline constexpr std::size_t kMaxSecretBytes = 64;  // ... and at most 512 bits

// The raw key of a "whsec_" + base64 secret. Throws std::invalid_argument that
// says what is wrong (missing prefix, not base64, too short or too long); the
// message never contains the secret.
std::vector<unsigned char> decode_secret(const std::string& secret);

// The webhook-signature header value: one "v1,<base64(HMAC-SHA256(key,
// msg_id + "." + timestamp + "." + body))>" per secret, space-separated, in the
// order given. Throws std::invalid_argument for no secrets, a malformed secret,
// or a msg_id that is empty, contains '.' (the specification forbids it: it
// would make the signed content ambiguous) or is not header-safe visible ASCII.
std::string sign(const std::vector<std::string>& secrets, const std::string& msg_id,
                 std::int64_t timestamp, const std::string& body);

// "whsec_" + base64 of 24 bytes from OpenSSL's RAND_bytes. Throws
// std::runtime_error if the generator fails.
std::string generate_secret();

// What the log keeps of a secret: the first 16 hex digits of its SHA-256.
std::string secret_fingerprint(const std::string& secret);

// Secrets live in <dir>/<subscription id> (mode 0600), one per line, the
// newest first; the log keeps only their fingerprints. write_secret_file
// replaces the file atomically and durably (a temporary file created 0600,
// synced, renamed, the folder synced; no secrets: the file removed) and throws
// std::runtime_error naming the path if it cannot.
std::vector<std::string> read_secret_file(const std::filesystem::path& dir, const std::string& id);
void write_secret_file(const std::filesystem::path& dir, const std::string& id,
                       const std::vector<std::string>& secrets);

inline constexpr std::chrono::seconds kDefaultTolerance{5 * 60};

// The receiver's check: true when |now - timestamp| <= tolerance and any "v1,"
// entry of signature_header matches the signature under any of the secrets
// (constant-time comparison). Entries of other versions are ignored. Throws
// std::invalid_argument for a malformed secret, like sign().
bool verify(const std::vector<std::string>& secrets, const std::string& msg_id,
            std::int64_t timestamp, const std::string& body, const std::string& signature_header,
            std::int64_t now_unix_seconds, std::chrono::seconds tolerance = kDefaultTolerance);

// ---------------------------------------------------------------------------
// One delivery attempt over HTTP(S).

struct CurlWebhookConfig {
  std::chrono::milliseconds connect_timeout{5'000};
  // The whole attempt; the specification recommends 15 to 30 s.
  std::chrono::milliseconds total_timeout{15'000};
  // Response bytes kept for DeliveryResult::detail; the transfer is cut off
  // beyond this (the status code still counts).
  std::size_t max_response_bytes = 64 * 1024;
  std::string user_agent = "Journey-Webhooks/0.1";
  // nullopt: libcurl's default (the http_proxy/https_proxy/no_proxy environment
  // variables); "": never a proxy; otherwise the proxy URL.
  std::optional<std::string> proxy;
  // Clock for turning an HTTP-date Retry-After into a delay; system_clock when empty.
  std::function<std::chrono::system_clock::time_point()> now;
};

// Outcome mapping: 2xx delivered; 410 gone; 429 and 5xx retry (with Retry-After
// as delta-seconds or HTTP-date in retry_after); 3xx rejected (redirects are
// never followed: the endpoint's URL should be updated instead); other 4xx and
// 1xx rejected; no response (refused, reset, timeout, DNS) retry with curl's
// error text in detail and code 0. A problem with the endpoint or message
// itself (malformed secret, unsafe id, URL scheme other than http/https) is
// rejected without sending anything. post() does not throw for these.
//
// Thread safety: each post() uses its own curl handle, so one sender may be
// used from several threads at once.
class CurlWebhookSender final : public WebhookSender {
 public:
  explicit CurlWebhookSender(CurlWebhookConfig config = {});
  // Encodes message.event with cloud_event_json() (an event it refuses is
  // `rejected`, not sent) and posts the bytes as post_bytes() does.
  DeliveryResult post(const WebhookEndpoint& endpoint, const WebhookMessage& message) override;
  // One signed POST of `body` exactly as given (webhook-id `id`, stamped with
  // `timestamp`): what post() sends once the event is encoded.
  DeliveryResult post_bytes(const WebhookEndpoint& endpoint, const std::string& id,
                            const std::string& body,
                            std::chrono::system_clock::time_point timestamp);

 private:
  CurlWebhookConfig config_;
};

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850 and asctime
// forms). A date in the past gives 0 s. nullopt if unparseable.
std::optional<std::chrono::seconds> parse_retry_after(const std::string& value,
                                                      std::chrono::system_clock::time_point now);

// ---------------------------------------------------------------------------
// Backoff between attempts (the scheduler does the waiting).

struct BackoffPolicy {
  std::chrono::milliseconds base{30'000};              // ceiling after the first failure
  std::chrono::milliseconds cap{6 * 60 * 60 * 1000};   // largest ceiling
  std::chrono::seconds retry_after_cap{24 * 60 * 60};  // largest Retry-After honoured
  int max_attempts = 8;  // attempts in all, the first included; then dead-letter
};

inline constexpr int kMaxAttempts = BackoffPolicy{}.max_attempts;

// The exponential ceiling after `attempt` failed attempts (attempt >= 1; less is
// taken as 1): min(cap, base * 2^(attempt-1)).
std::chrono::milliseconds backoff_ceiling(int attempt, const BackoffPolicy& policy = {});

// The wait before the next attempt, after `attempt` attempts have failed
// ("full jitter"): a uniform draw from [0, backoff_ceiling(attempt)] in whole
// milliseconds, then raised to retry_after (capped at retry_after_cap) if that
// is larger. Deterministic: the draw is splitmix64(jitter_seed + attempt *
// 0x9E3779B97F4A7C15) mod (ceiling + 1), the same on every platform, so the
// scheduler can record the seed and reproduce the delay.
std::chrono::milliseconds backoff_delay(int attempt,
                                        std::optional<std::chrono::seconds> retry_after,
                                        std::uint64_t jitter_seed,
                                        const BackoffPolicy& policy = {});

}  // namespace journey::adapters
