// The engine's outbound delivery port (journey/engine/delivery.h) under the
// names the adapters use, and what the mail adapter adds to it.
#pragma once

#include "journey/engine/delivery.h"

namespace journey::adapters {

using engine::Address;
using engine::DeliveryResult;
using engine::MailMessage;
using engine::MailTransport;
using engine::WebhookEndpoint;
using engine::WebhookEvent;
using engine::WebhookMessage;
using engine::WebhookSender;

// The full RFC 5322 message with MIME headers: UTF-8 subject as RFC 2047
// encoded-words, UTF-8 names in From/To encoded, body quoted-printable with
// charset=UTF-8, CRLF line ends, Message-ID and Date headers.
std::string render_mime(const MailMessage& message);

}  // namespace journey::adapters
