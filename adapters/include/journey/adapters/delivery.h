// The outbound I/O boundaries of the scheduler: a mail transport and a webhook
// sender. Each makes ONE delivery attempt and says how it went; retrying,
// backoff and dead letters are the scheduler's business (it records every
// attempt as an event), so a transport never sleeps or loops.
//
// Identity: a message's id is derived from the notification's identity by the
// caller, so a retried send of the same notification carries the same
// Message-ID / webhook-id and a receiver can recognise the duplicate.
//
// Thread safety: a transport may be used from one thread at a time unless its
// class comment says otherwise.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace journey::adapters {

struct Address {
  std::string name;   // UTF-8, may be empty
  std::string email;  // ASCII addr-spec
};

struct MailMessage {
  std::string message_id;  // without angle brackets, e.g. "n-3f9a0c21e8@journey.local"
  Address from;
  Address to;
  std::string subject;  // UTF-8
  std::string text;     // UTF-8 plain-text body, '\n' line ends
  std::chrono::system_clock::time_point date;
  std::string language = "sv";  // Content-Language
};

struct DeliveryResult {
  enum class Outcome {
    delivered,  // accepted by the receiver (SMTP 250 after DATA, HTTP 2xx)
    retry,      // transient: try again later (4xx SMTP, 5xx/429 HTTP, timeout, refused connection)
    rejected,   // permanent for this message (5xx SMTP): retrying will not help
    gone,       // HTTP 410: the endpoint asks to be disabled
  };
  Outcome outcome = Outcome::retry;
  int code = 0;        // SMTP reply or HTTP status; 0 when no reply
  std::string detail;  // human-readable: server text or transport error
  std::optional<std::chrono::seconds> retry_after;  // from an HTTP Retry-After header
};

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  virtual DeliveryResult send(const MailMessage& message) = 0;
};

// The full RFC 5322 message with MIME headers: UTF-8 subject as RFC 2047
// encoded-words, UTF-8 names in From/To encoded, body quoted-printable with
// charset=UTF-8, CRLF line ends, Message-ID and Date headers.
std::string render_mime(const MailMessage& message);

struct WebhookEndpoint {
  std::string id;
  std::string url;  // http:// or https://
  // "whsec_" + base64 secrets. The first signs; all sign during rotation, so
  // the header carries one "v1,<sig>" per secret.
  std::vector<std::string> secrets;
};

struct WebhookMessage {
  // webhook-id, stable across retries. No '.', spaces or control characters
  // (Standard Webhooks signs "id.timestamp.body"), e.g. "n-3f9a0c21e8d4".
  std::string id;
  std::string body;  // the CloudEvents 1.0 structured JSON
  // webhook-timestamp: the time of THIS attempt, not of the event. Receivers
  // refuse timestamps older than about 5 minutes, so a retry must re-stamp.
  std::chrono::system_clock::time_point timestamp;
};

class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  virtual DeliveryResult post(const WebhookEndpoint& endpoint, const WebhookMessage& message) = 0;
};

}  // namespace journey::adapters
