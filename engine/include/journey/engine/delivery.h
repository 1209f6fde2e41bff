// The outbound delivery port: what the scheduler (scheduler.h) needs of the
// world to deliver a notification, a mail transport and a webhook sender,
// which the adapters (adapters/mail, adapters/webhook) implement. Kept here,
// beside what consumes it, so that the engine depends on no adapter. Each
// transport makes ONE delivery attempt and says how it went; retrying,
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

namespace journey::engine {

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

struct WebhookEndpoint {
  std::string id;
  std::string url;  // http:// or https://
  // "whsec_" + base64 secrets. The first signs; all sign during rotation, so
  // the header carries one "v1,<sig>" per secret.
  std::vector<std::string> secrets;
};

// A CloudEvents 1.0 event as the scheduler states it. The sender encodes it
// (structured mode, application/cloudevents+json) with the webhook adapter's
// validating encoder, so no caller writes the envelope by hand; an event the
// encoder refuses (a malformed time, data that is not JSON) is not sent and
// is answered `rejected`, naming why.
struct WebhookEvent {
  std::string id;         // required: the message id, stable across retries
  std::string source;     // required URI-reference, e.g. "/journey"
  std::string type;       // required, e.g. "se.journey.notification.decided"
  std::string subject;    // optional (omitted when empty): the hire id
  std::string time;       // optional (omitted when empty): RFC 3339
  std::string data_json;  // the data as serialised JSON; "" for none
};

struct WebhookMessage {
  // webhook-id, stable across retries. No '.', spaces or control characters
  // (Standard Webhooks signs "id.timestamp.body"), e.g. "n-3f9a0c21e8d4".
  std::string id;
  WebhookEvent event;
  // webhook-timestamp: the time of THIS attempt, not of the event. Receivers
  // refuse timestamps older than about 5 minutes, so a retry must re-stamp.
  std::chrono::system_clock::time_point timestamp;
};

class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  virtual DeliveryResult post(const WebhookEndpoint& endpoint, const WebhookMessage& message) = 0;
};

}  // namespace journey::engine
