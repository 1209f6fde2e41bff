// One webhook delivery attempt with libcurl.
#include <curl/curl.h>

#include <cctype>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "journey/adapters/webhook.h"

namespace journey::adapters {
namespace {

using Outcome = DeliveryResult::Outcome;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never cleaned up: other code in the process may use libcurl too.
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

struct Body {
  std::string text;
  std::size_t limit = 0;
  bool truncated = false;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  const size_t n = size * count;
  const size_t room = body->limit - body->text.size();
  if (n > room) {
    body->text.append(data, room);
    body->truncated = true;
    return 0;  // stop the transfer: CURLE_WRITE_ERROR, recognised below
  }
  body->text.append(data, n);
  return n;
}

// Printable one-line excerpt of a response body for the detail text.
std::string excerpt(const std::string& body, std::size_t max = 200) {
  std::string out;
  for (unsigned char c : body) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : char(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

// Header values must not be able to smuggle in another header.
bool header_safe(const std::string& v) {
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

DeliveryResult make(Outcome outcome, int code, std::string detail) {
  DeliveryResult r;
  r.outcome = outcome;
  r.code = code;
  r.detail = std::move(detail);
  return r;
}

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(const std::string& raw,
                                                      std::chrono::system_clock::time_point now) {
  const std::string value = trim(raw);
  if (value.empty()) return std::nullopt;
  bool all_digits = true;
  for (unsigned char c : value) all_digits = all_digits && std::isdigit(c);
  if (all_digits) {
    // delta-seconds; absurd values saturate (the backoff caps them anyway).
    constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
    std::int64_t n = 0;
    for (char c : value) {
      n = n * 10 + (c - '0');
      if (n > kMax) {
        n = kMax;
        break;
      }
    }
    return std::chrono::seconds(n);
  }
  // HTTP-date. curl_getdate knows IMF-fixdate, RFC 850 and asctime (and more).
  const time_t when = curl_getdate(value.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t delta = static_cast<std::int64_t>(when) - now_s;
  return std::chrono::seconds(delta > 0 ? delta : 0);
}

CurlWebhookSender::CurlWebhookSender(CurlWebhookConfig config) : config_(std::move(config)) {
  global_init_once();
  if (!config_.now) config_.now = [] { return std::chrono::system_clock::now(); };
}

DeliveryResult CurlWebhookSender::post(const WebhookEndpoint& endpoint,
                                       const WebhookMessage& message) {
  std::string body;
  try {
    body = cloud_event_json(cloud_event_of(message.event));
  } catch (const std::invalid_argument& e) {
    return make(Outcome::rejected, 0, std::string("not sent: ") + e.what());
  }
  return post_bytes(endpoint, message.id, body, message.timestamp);
}

DeliveryResult CurlWebhookSender::post_bytes(const WebhookEndpoint& endpoint, const std::string& id,
                                             const std::string& payload,
                                             std::chrono::system_clock::time_point at) {
  const std::int64_t timestamp =
      std::chrono::floor<std::chrono::seconds>(at.time_since_epoch()).count();
  std::string signature;
  try {
    signature = sign(endpoint.secrets, id, timestamp, payload);
  } catch (const std::invalid_argument& e) {
    return make(Outcome::rejected, 0, std::string("not sent: ") + e.what());
  }
  if (endpoint.url.rfind("http://", 0) != 0 && endpoint.url.rfind("https://", 0) != 0) {
    return make(Outcome::rejected, 0, "not sent: endpoint URL is not http:// or https://");
  }
  if (!header_safe(endpoint.url)) {
    return make(Outcome::rejected, 0, "not sent: endpoint URL contains control characters");
  }

  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle) return make(Outcome::retry, 0, "curl_easy_init failed");
  CURL* h = handle.get();

  curl_slist* raw = nullptr;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const std::string& line :
       {std::string("Content-Type: ") + kCloudEventsContentType, "webhook-id: " + id,
        "webhook-timestamp: " + std::to_string(timestamp), "webhook-signature: " + signature,
        std::string("Expect:")}) {  // no 100-continue round trip
    curl_slist* next = curl_slist_append(raw, line.c_str());
    if (next == nullptr) {
      curl_slist_free_all(raw);
      return make(Outcome::retry, 0, "curl_slist_append failed");
    }
    raw = next;
  }
  headers.reset(raw);

  Body body;
  body.limit = config_.max_response_bytes;
  char error[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_URL, endpoint.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, config_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  if (config_.proxy) curl_easy_setopt(h, CURLOPT_PROXY, config_.proxy->c_str());

  const CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

  std::string transport_error;
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && body.truncated)) {
    transport_error = curl_easy_strerror(rc);
    if (error[0] != '\0') transport_error += std::string(": ") + error;
  }

  if (status == 0 && (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)) {
    return make(Outcome::rejected, 0, "not sent: " + transport_error);  // will not get better
  }
  if (status == 0) {
    // No HTTP response at all: refused, reset, timed out, name not resolved...
    return make(Outcome::retry, 0,
                transport_error.empty() ? std::string("no HTTP response") : transport_error);
  }

  const int code = static_cast<int>(status);
  std::string detail = "HTTP " + std::to_string(code);
  const std::string text = excerpt(body.text);
  if (!text.empty()) detail += ": " + text;
  if (body.truncated) detail += " (response cut off at " + std::to_string(body.limit) + " bytes)";
  if (!transport_error.empty()) detail += " (then " + transport_error + ")";

  if (code >= 200 && code <= 299) return make(Outcome::delivered, code, detail);
  if (code == 410) return make(Outcome::gone, code, detail);
  if (code >= 300 && code <= 399) {
    char* location = nullptr;
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
    detail += std::string(" (redirect not followed") +
              (location ? std::string(" to ") + excerpt(location) : std::string()) +
              "; update the endpoint URL)";
    return make(Outcome::rejected, code, detail);
  }
  if (code == 429 || (code >= 500 && code <= 599)) {
    DeliveryResult r = make(Outcome::retry, code, detail);
    curl_header* header = nullptr;
    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &header) == CURLHE_OK &&
        header != nullptr && header->value != nullptr) {
      r.retry_after = parse_retry_after(header->value, config_.now());
      if (!r.retry_after)
        r.detail += " (unparseable Retry-After ignored: " + excerpt(header->value) + ")";
    }
    return r;
  }
  return make(Outcome::rejected, code, detail);  // other 4xx, 1xx, anything else
}

}  // namespace journey::adapters
