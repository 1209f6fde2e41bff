// E-mail over SMTP with libcurl: one send() is one SMTP transaction (EHLO,
// optional STARTTLS, optional AUTH, MAIL FROM, RCPT TO, DATA) carrying the
// render_mime() bytes unchanged. libcurl dot-stuffs the DATA stream.
//
// Outcome mapping (see DeliveryResult):
//   250 after DATA                                   -> delivered
//   no connection, TLS failure, timeout, 4xx reply   -> retry
//   5xx reply (550 at RCPT, 554 after DATA, 535 AUTH) -> rejected
// code is the SMTP reply that ended the transaction (0 when the transaction
// ended without one, e.g. refused connection or timeout); detail carries
// libcurl's error text and the server's last reply line. The password never
// appears in detail.
//
// A timeout after the message was sent is ambiguous: the server may have
// accepted it. The Message-ID (the notification's identity) is what lets the
// receiver recognise the retried copy.
//
// Not thread-safe: one thread at a time (the libcurl handle and its
// connection are reused across sends).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "journey/adapters/delivery.h"

namespace journey::adapters {

struct SmtpConfig {
  enum class StartTls {
    none,           // never upgrade (CURLUSESSL_NONE)
    opportunistic,  // upgrade when offered, else send in clear (CURLUSESSL_TRY)
    required,       // fail (retry) unless the session is encrypted (CURLUSESSL_ALL)
  };

  // "smtp://host:port" (STARTTLS per `starttls`) or "smtps://host:port"
  // (TLS from the first byte). A path, "smtp://host/name", is the EHLO name;
  // without one libcurl sends this machine's host name.
  std::string url;
  StartTls starttls = StartTls::required;
  // AUTH when username is non-empty. sasl_mechanism ("PLAIN", "LOGIN", ...)
  // forces one; empty lets libcurl pick the best the server offers.
  std::string username;
  std::string password;
  std::string sasl_mechanism;
  // Certificate checks: ca_file adds a trust anchor file (e.g. a self-signed
  // test certificate) instead of the system store; verify_peer=false turns
  // off both peer and host name verification (never in production).
  std::string ca_file;
  bool verify_peer = true;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // whole transaction
  // Envelope sender (MAIL FROM); empty uses the message's From address.
  std::string envelope_from;
};

// "required", "opportunistic" or "none" (as in configuration files and flags);
// anything else is std::nullopt.
std::optional<SmtpConfig::StartTls> parse_starttls(const std::string& text);

// Where reminders go, as journeyd's configuration and journeyctl's options
// both say it: no SMTP URL is .eml files in `outbox`; else SMTP, the
// password read from the environment variable `password_env`. One rule for
// both front-ends. Throws std::invalid_argument for a bad URL or STARTTLS mode.
struct MailSettings {
  std::string smtp_url, username, password_env, ca_file, envelope_from;
  std::string starttls = "required";
};
std::unique_ptr<MailTransport> make_mail_transport(const MailSettings& s,
                                                   const std::filesystem::path& outbox);

class SmtpTransport final : public MailTransport {
 public:
  // Throws std::invalid_argument for a URL that is not smtp:// or smtps://.
  explicit SmtpTransport(SmtpConfig config);
  ~SmtpTransport() override;
  SmtpTransport(const SmtpTransport&) = delete;
  SmtpTransport& operator=(const SmtpTransport&) = delete;

  DeliveryResult send(const MailMessage& message) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace journey::adapters
