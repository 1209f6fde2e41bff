#include "journey/adapters/smtp_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "journey/adapters/eml_transport.h"
#include "mail_internal.h"

namespace journey::adapters {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("curl_global_init failed");
  });
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The upload: the rendered message, handed to libcurl in chunks. libcurl
// dot-stuffs it and appends the terminating "." line.
struct Upload {
  const std::string* data = nullptr;
  std::size_t offset = 0;
};

std::size_t read_cb(char* buffer, std::size_t size, std::size_t nitems, void* userp) {
  auto* up = static_cast<Upload*>(userp);
  std::size_t n = std::min(size * nitems, up->data->size() - up->offset);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

// Keeps the server's last reply line before libcurl says QUIT: after a
// failing reply libcurl closes the session with QUIT, and the "221 Bye"
// (which CURLINFO_RESPONSE_CODE then reports) must not hide the reply that
// failed. Of what we send, which includes AUTH credentials, only the command
// name QUIT is looked at; nothing we send is stored.
struct Trace {
  std::string last_reply;
  bool quitting = false;
};

int debug_cb(CURL*, curl_infotype type, char* data, std::size_t size, void* userp) {
  auto* trace = static_cast<Trace*>(userp);
  if (trace == nullptr) return 0;  // a QUIT sent from curl_easy_cleanup
  if (type == CURLINFO_HEADER_OUT) {
    trace->quitting = size >= 4 && std::memcmp(data, "QUIT", 4) == 0;
    return 0;
  }
  if (type != CURLINFO_HEADER_IN || trace->quitting) return 0;
  std::string text(data, size);
  // One or more reply lines; keep the last non-empty one.
  std::size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\r' || text[end - 1] == '\n')) --end;
  if (end == 0) return 0;
  std::size_t start = text.find_last_of("\r\n", end - 1);
  start = start == std::string::npos ? 0 : start + 1;
  trace->last_reply = text.substr(start, std::min<std::size_t>(end - start, 512));
  return 0;
}

int reply_code_of(const std::string& line) {
  if (line.size() < 3) return 0;
  for (int i = 0; i < 3; ++i)
    if (line[i] < '0' || line[i] > '9') return 0;
  return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

long use_ssl(SmtpConfig::StartTls mode) {
  switch (mode) {
    case SmtpConfig::StartTls::none:
      return CURLUSESSL_NONE;
    case SmtpConfig::StartTls::opportunistic:
      return CURLUSESSL_TRY;
    case SmtpConfig::StartTls::required:
      return CURLUSESSL_ALL;
  }
  return CURLUSESSL_ALL;
}

// Everything an address could smuggle into the SMTP command line is ruled
// out by mail_internal::invalid_message before this is used.
std::string angle(const std::string& address) { return "<" + address + ">"; }

}  // namespace

struct SmtpTransport::Impl {
  SmtpConfig config;
  CURL* curl = nullptr;
};

SmtpTransport::SmtpTransport(SmtpConfig config) : impl_(std::make_unique<Impl>()) {
  if (!starts_with(config.url, "smtp://") && !starts_with(config.url, "smtps://"))
    throw std::invalid_argument("SMTP url must start with smtp:// or smtps://");
  if (!config.envelope_from.empty() && !mail_internal::is_dot_atom_pair(config.envelope_from, 254))
    throw std::invalid_argument("SMTP envelope sender is not a plain addr-spec");
  global_init_once();
  impl_->config = std::move(config);
  impl_->curl = curl_easy_init();
  if (!impl_->curl) throw std::runtime_error("curl_easy_init failed");
}

SmtpTransport::~SmtpTransport() {
  if (impl_ && impl_->curl) curl_easy_cleanup(impl_->curl);
}

DeliveryResult SmtpTransport::send(const MailMessage& message) {
  DeliveryResult result;
  if (auto why = mail_internal::invalid_message(message); !why.empty()) {
    result.outcome = DeliveryResult::Outcome::rejected;
    result.detail = why;
    return result;
  }

  const SmtpConfig& c = impl_->config;
  CURL* h = impl_->curl;
  // Forget the previous send's options; the open connection (if any) stays
  // in the handle's cache and is reused when it is still alive.
  curl_easy_reset(h);

  const std::string data = render_mime(message);
  Upload upload{&data, 0};
  Trace trace;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_slist* rcpt = curl_slist_append(nullptr, angle(message.to.email).c_str());
  const std::string from = angle(c.envelope_from.empty() ? message.from.email : c.envelope_from);

  curl_easy_setopt(h, CURLOPT_URL, c.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);  // feeds debug_cb; nothing is printed
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &trace);
  curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl(c.starttls));
  if (!c.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c.verify_peer ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c.verify_peer ? 2L : 0L);
  if (!c.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, c.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, c.password.c_str());
    if (!c.sasl_mechanism.empty()) {
      const std::string options = "AUTH=" + c.sasl_mechanism;
      curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, options.c_str());  // copied by libcurl
    }
  }
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(c.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout.count()));
  // libcurl does not apply CURLOPT_TIMEOUT to the QUIT it sends when it
  // closes a connection after a timeout; without a per-reply limit a server
  // stalled after DATA would hold send() for the default 120 s.
  curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                   std::max(1L, static_cast<long>((c.timeout.count() + 999) / 1000)));
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));

  const CURLcode rc = curl_easy_perform(h);

  // The handle keeps pointers to these; drop them before they go away.
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, nullptr);
  curl_easy_setopt(h, CURLOPT_READDATA, nullptr);
  curl_slist_free_all(rcpt);

  const int code = reply_code_of(trace.last_reply);

  if (rc == CURLE_OK) {
    result.outcome = DeliveryResult::Outcome::delivered;
    result.code = code;
    result.detail = trace.last_reply;
    return result;
  }

  result.detail = curl_easy_strerror(rc);
  if (errbuf[0] != '\0') result.detail += std::string(": ") + errbuf;
  if (!trace.last_reply.empty()) result.detail += "; last server reply: " + trace.last_reply;

  // A 4xx/5xx reply ends an SMTP transaction, so when the last reply was
  // one, it is what failed the send. Anything else (refused, TLS failure,
  // timeout while waiting, connection dropped) had no failing reply.
  if (code >= 500 && code < 600) {
    result.outcome = DeliveryResult::Outcome::rejected;
    result.code = code;
  } else if (code >= 400 && code < 500) {
    result.outcome = DeliveryResult::Outcome::retry;
    result.code = code;
  } else {
    result.outcome = DeliveryResult::Outcome::retry;
    result.code = 0;
  }
  return result;
}

std::optional<SmtpConfig::StartTls> parse_starttls(const std::string& text) {
  if (text == "required") return SmtpConfig::StartTls::required;
  if (text == "opportunistic") return SmtpConfig::StartTls::opportunistic;
  if (text == "none") return SmtpConfig::StartTls::none;
  return std::nullopt;
}

std::unique_ptr<MailTransport> make_mail_transport(const MailSettings& s,
                                                   const std::filesystem::path& outbox) {
  if (s.smtp_url.empty()) return std::make_unique<EmlDirectoryTransport>(outbox);
  SmtpConfig c;
  c.url = s.smtp_url;
  c.username = s.username;
  if (const char* pw = std::getenv(s.password_env.c_str())) c.password = pw;
  c.ca_file = s.ca_file;
  c.envelope_from = s.envelope_from;
  const auto starttls = parse_starttls(s.starttls);
  if (!starttls) throw std::invalid_argument("starttls must be required, opportunistic or none");
  c.starttls = *starttls;
  return std::make_unique<SmtpTransport>(c);
}

}  // namespace journey::adapters
