// The mail adapter against a real SMTP server: aiosmtpd (smtp_server.py)
// on 127.0.0.1, started per test with Debian's /usr/bin/python3, with fault
// modes inside the real server (4xx/5xx replies, slowness, STARTTLS/AUTH
// requirements). What arrives is checked on the received bytes, and decoded
// independently by Python's email package (smtp_server.py decode).
#define BOOST_TEST_MODULE smtp
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "journey/adapters/eml_transport.h"
#include "journey/adapters/smtp_transport.h"
#include "journey/test/child_process.h"
#include "journey/test/temp_dir.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

// Found by argument-dependent lookup: the port's types are the engine's.
namespace journey::engine {
std::ostream& operator<<(std::ostream& os, DeliveryResult::Outcome o) {
  switch (o) {
    case DeliveryResult::Outcome::delivered:
      return os << "delivered";
    case DeliveryResult::Outcome::retry:
      return os << "retry";
    case DeliveryResult::Outcome::rejected:
      return os << "rejected";
    case DeliveryResult::Outcome::gone:
      return os << "gone";
  }
  return os << "?";
}
}  // namespace journey::engine

using namespace journey::adapters;
using Outcome = DeliveryResult::Outcome;

namespace {

using journey::test::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

long long millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string describe(const DeliveryResult& r) {
  std::ostringstream s;
  s << r.outcome << " code=" << r.code << " detail=" << r.detail;
  return s.str();
}

// ---- child processes -------------------------------------------------------

// Child processes: journey::test (tests/support) starts them with
// posix_spawn and an environment in which /usr/bin/python3 sees Debian's
// python3-aiosmtpd.
using journey::test::run;
using journey::test::spawn;

// Python's email package as an independent decoder of what arrived.
json decode_with_python(const fs::path& eml) {
  auto [status, out] =
      run({JOURNEY_SYSTEM_PYTHON, "-B", JOURNEY_SMTP_SERVER_SCRIPT, "decode", eml.string()});
  BOOST_REQUIRE_MESSAGE(status == 0, "python decode failed for " << eml);
  return json::parse(out);
}

json decode_with_python(const std::string& raw) {
  TempDir dir;
  fs::path p = dir.path() / "message.eml";
  std::ofstream(p, std::ios::binary) << raw;
  return decode_with_python(p);
}

// A throw-away self-signed certificate for 127.0.0.1, made with the openssl CLI.
struct TestCertificate {
  TempDir dir;
  fs::path cert = dir.path() / "cert.pem";
  fs::path key = dir.path() / "key.pem";
  TestCertificate() {
    auto [status, out] =
        run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key.string(), "-out", cert.string(), "-days", "2", "-subj",
             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
            (dir.path() / "openssl.log").string());
    BOOST_REQUIRE_MESSAGE(status == 0 && fs::exists(cert) && fs::exists(key),
                          "openssl req failed:\n"
                              << slurp(dir.path() / "openssl.log"));
  }
};

struct Received {
  std::string raw;  // the DATA bytes as the server got them, dot-unstuffed
  json meta;        // envelope, tls, auth, the reply the server gave
  fs::path file;
};

// aiosmtpd on 127.0.0.1:<free port>, with fault modes from smtp_server.py.
// Dies with the test: killed in the destructor, and it exits by itself when
// its stdin (a pipe we hold) closes, so a crashed test leaves nothing behind.
class SmtpServer {
 public:
  explicit SmtpServer(std::vector<std::string> options = {}) {
    fs::create_directories(spool_);
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    std::vector<std::string> args{
        JOURNEY_SYSTEM_PYTHON, "-B", JOURNEY_SMTP_SERVER_SCRIPT, "serve", "--spool",
        spool_.string()};
    args.insert(args.end(), options.begin(), options.end());
    pid_ = spawn(args, in[0], out[1], log_.string());
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    port_ = read_port(out[0]);
    close(out[0]);
    if (port_ <= 0) {
      std::string log = this->log();
      stop();
      BOOST_FAIL("smtp_server.py did not report a port; its log:\n" << log);
    }
  }
  ~SmtpServer() { stop(); }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  std::string url(const char* scheme = "smtp") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
  }
  std::string log() const { return slurp(log_); }

  std::vector<Received> received() const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(spool_))
      if (e.path().extension() == ".eml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Received> out;
    for (const auto& f : files) {
      fs::path meta = f;
      meta.replace_extension(".json");
      out.push_back({slurp(f), json::parse(slurp(meta)), f});
    }
    return out;
  }

 private:
  int read_port(int fd) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + 60s;  // python start-up on a busy machine
    while (line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return -1;
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return -1;
      char buf[64];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return -1;
      line.append(buf, static_cast<std::size_t>(n));
    }
    try {
      return std::stoi(line);
    } catch (...) {
      return -1;
    }
  }

  void stop() {
    if (stdin_ >= 0) {
      close(stdin_);
      stdin_ = -1;
    }
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    pid_ = -1;
  }

  TempDir dir_;
  fs::path spool_ = dir_.path() / "spool";
  fs::path log_ = dir_.path() / "server.log";
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = -1;
};

// ---- messages and checks ------------------------------------------------------

// 2026-03-03 09:05:00 UTC, a Tuesday.
const std::chrono::system_clock::time_point kDate{std::chrono::seconds(1'772'528'700)};

MailMessage swedish_message(std::string id = "n-3f9a0c21e8@journey.local") {
  MailMessage m;
  m.message_id = std::move(id);
  m.from = {"Socialtjänsten Ödeshög", "noreply@odeshog.example"};
  m.to = {"Åsa Ängström", "asa.angstrom@example.se"};
  m.subject = "Påminnelse: Överfallslarm – 3 dagar kvar";
  m.text =
      "Hej Åsa!\n"
      "\n"
      "Ditt beslut om överfallslarm löper ut om 3 dagar (2026-03-06).\n"
      "Handläggare: Björn Öberg, tel. 0144-123 45.\n"
      "\n"
      "Med vänliga hälsningar\n"
      "Socialtjänsten i Ödeshög – äldreomsorg\n";
  m.date = kDate;
  m.language = "sv";
  return m;
}

SmtpConfig plain_config(const SmtpServer& server) {
  SmtpConfig c;
  c.url = server.url();
  c.starttls = SmtpConfig::StartTls::none;
  c.connect_timeout = 5s;
  c.timeout = 30s;
  return c;
}

SmtpConfig tls_config(const SmtpServer& server, const TestCertificate& cert) {
  SmtpConfig c = plain_config(server);
  c.starttls = SmtpConfig::StartTls::required;
  c.ca_file = cert.cert.string();
  return c;
}

std::vector<std::string> crlf_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t end = s.find("\r\n", start);
    if (end == std::string::npos) end = s.size();
    lines.push_back(s.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

std::string headers_of(const std::string& raw) { return raw.substr(0, raw.find("\r\n\r\n") + 2); }
std::string body_of(const std::string& raw) { return raw.substr(raw.find("\r\n\r\n") + 4); }

// 7-bit, CRLF only, header lines <= 78, body lines <= 76.
void check_wire_form(const std::string& raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    BOOST_TEST_REQUIRE(c < 0x80, "8-bit byte at offset " << i);
    if (c == '\n') BOOST_TEST_REQUIRE((i > 0 && raw[i - 1] == '\r'), "bare LF at offset " << i);
    if (c == '\r')
      BOOST_TEST_REQUIRE((i + 1 < raw.size() && raw[i + 1] == '\n'), "bare CR at offset " << i);
  }
  BOOST_TEST((raw.size() >= 2 && raw.compare(raw.size() - 2, 2, "\r\n") == 0));
  BOOST_TEST_REQUIRE(raw.find("\r\n\r\n") != std::string::npos);
  for (const auto& line : crlf_lines(headers_of(raw)))
    BOOST_TEST(line.size() <= 78u, "header line: " << line);
  for (const auto& line : crlf_lines(body_of(raw)))
    BOOST_TEST(line.size() <= 76u, "body line: " << line);
}

std::string base64_decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) break;
    bits = (bits << 6) | static_cast<unsigned>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out += static_cast<char>((bits >> nbits) & 0xFF);
    }
  }
  return out;
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80             ? 1
                    : (b & 0xE0) == 0xC0 ? 2
                    : (b & 0xF0) == 0xE0 ? 3
                    : (b & 0xF8) == 0xF0 ? 4
                                         : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// The encoded-words of one header field (unfolded), for per-word checks.
std::vector<std::string> encoded_words_of(const std::string& raw, const std::string& field) {
  std::string headers = "\r\n" + headers_of(raw);
  std::size_t pos = headers.find("\r\n" + field + ":");
  BOOST_TEST_REQUIRE(pos != std::string::npos, "no " << field << " header");
  pos += 2;
  std::size_t end = headers.find("\r\n", pos);
  std::string value = headers.substr(pos, end - pos);
  while (end + 2 < headers.size() && (headers[end + 2] == ' ' || headers[end + 2] == '\t')) {
    std::size_t next = headers.find("\r\n", end + 2);
    value += headers.substr(end + 2, next - end - 2);
    end = next;
  }
  std::vector<std::string> words;
  std::size_t at = 0;
  while ((at = value.find("=?", at)) != std::string::npos) {
    std::size_t close = value.find("?=", value.find('?', value.find('?', at + 2) + 1) + 1);
    words.push_back(value.substr(at, close + 2 - at));
    at = close + 2;
  }
  return words;
}

void check_encoded_words(const std::string& raw, const std::string& field) {
  auto words = encoded_words_of(raw, field);
  BOOST_TEST_REQUIRE(!words.empty(), field << " has no encoded-words");
  for (const auto& w : words) {
    BOOST_TEST(w.size() <= 75u, "encoded-word longer than 75: " << w);
    BOOST_TEST_REQUIRE(w.rfind("=?UTF-8?B?", 0) == 0u, w);
    std::string payload = w.substr(10, w.size() - 12);
    BOOST_TEST(valid_utf8(base64_decode(payload)), "encoded-word splits a UTF-8 sequence: " << w);
  }
}

// A bound but never listening socket: connecting to its port is refused,
// and nobody else can take the port while we hold it.
struct RefusingPort {
  int fd = -1;
  int port = 0;
  RefusingPort() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~RefusingPort() { close(fd); }
};

}  // namespace

// ---- render_mime on its own --------------------------------------------------

BOOST_AUTO_TEST_SUITE(render)

BOOST_AUTO_TEST_CASE(LongSubjectIsFoldedIntoWholeUtf8EncodedWords) {
  // Runs of 2-, 3- and 4-byte sequences behind 0-3 ASCII bytes: for some
  // padding, a cut at any fixed byte count lands inside a sequence.
  std::string letters;
  for (int i = 0; i < 25; ++i) letters += "ö";
  for (int i = 0; i < 15; ++i) letters += "–";
  for (int i = 0; i < 12; ++i) letters += "🔔";
  for (int pad = 0; pad < 4; ++pad) {
    BOOST_TEST_CONTEXT("padding " << pad) {
      MailMessage m = swedish_message();
      m.subject = std::string(pad, 'x') + letters + " Påminnelse: Överfallslarm – 3 dagar kvar";
      std::string raw = render_mime(m);
      check_wire_form(raw);
      check_encoded_words(raw, "Subject");
      json d = decode_with_python(raw);
      BOOST_TEST(d["subject"].get<std::string>() == m.subject);
      BOOST_TEST(d["defects"].empty(), d["defects"].dump());
    }
  }
}

BOOST_AUTO_TEST_CASE(AsciiSubjectStaysReadableAndFolds) {
  MailMessage m = swedish_message();
  m.subject =
      "Reminder: case 2026/0142 needs a decision before the deadline on Friday, "
      "otherwise the personal alarm will be switched off automatically";
  std::string raw = render_mime(m);
  check_wire_form(raw);
  BOOST_TEST(raw.find("\r\nSubject: Reminder: case 2026/0142") != std::string::npos);
  BOOST_TEST(encoded_words_of(raw, "Subject").empty(), "plain ASCII needs no encoded-words");
  BOOST_TEST(decode_with_python(raw)["subject"].get<std::string>() == m.subject);

  m.subject.clear();
  raw = render_mime(m);
  check_wire_form(raw);
  BOOST_TEST(decode_with_python(raw)["subject"].get<std::string>() == "");
}

BOOST_AUTO_TEST_CASE(AsciiNamesAreQuotedOnlyWhenNeeded) {
  MailMessage m = swedish_message();
  m.from = {"Journey Notiser", "noreply@journey.example"};
  m.to = {"Doe, John \"JD\" \\ Jr.", "john@example.com"};
  std::string raw = render_mime(m);
  check_wire_form(raw);
  BOOST_TEST(
      raw.find("\r\nFrom: Journey Notiser <noreply@journey.example>\r\n") != std::string::npos,
      raw);
  BOOST_TEST(raw.find("\r\nTo: \"Doe, John \\\"JD\\\" \\\\ Jr.\" <john@example.com>\r\n") !=
                 std::string::npos,
             raw);
  json d = decode_with_python(raw);
  BOOST_TEST(d["from_name"].get<std::string>() == m.from.name);
  BOOST_TEST(d["to_name"].get<std::string>() == m.to.name);
  BOOST_TEST(d["to_addr"].get<std::string>() == m.to.email);
  BOOST_TEST(d["defects"].empty(), d["defects"].dump());

  m.to = {"", "john@example.com"};
  BOOST_TEST(render_mime(m).find("\r\nTo: john@example.com\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(DateIsRfc5322InUtcWhateverTheLocale) {
  MailMessage m = swedish_message();
  m.date = kDate + 999ms;
  std::string raw = render_mime(m);
  BOOST_TEST(raw.rfind("Date: Tue, 03 Mar 2026 09:05:00 +0000\r\n", 0) == 0u, raw.substr(0, 60));
  json d = decode_with_python(raw);
  BOOST_TEST(d["date"].get<std::string>() == "2026-03-03T09:05:00+00:00");
}

BOOST_AUTO_TEST_CASE(HeaderInjectionInSubjectOrNameStaysInside) {
  MailMessage m = swedish_message();
  m.subject = "Hej\r\nBcc: evil@example.com";
  m.to.name = "Åsa\r\nBcc: evil@example.com";
  std::string raw = render_mime(m);
  check_wire_form(raw);
  BOOST_TEST(raw.find("\nBcc:") == std::string::npos);
  json d = decode_with_python(raw);
  for (const auto& name : d["header_names"]) BOOST_TEST(name.get<std::string>() != "Bcc");
  BOOST_TEST(d["subject"].get<std::string>() == "Hej Bcc: evil@example.com");
  BOOST_TEST(d["to_name"].get<std::string>() == "Åsa Bcc: evil@example.com");
  BOOST_TEST(d["defects"].empty(), d["defects"].dump());
}

BOOST_AUTO_TEST_CASE(BodyLineEndsBecomeCrlfWhateverTheInput) {
  MailMessage m = swedish_message();
  m.text = "unix\nwindows\r\nlone\rcr\nno final newline";
  std::string raw = render_mime(m);
  check_wire_form(raw);
  json d = decode_with_python(raw);
  // Every line ends in CRLF on the wire, so the last line gains its newline.
  BOOST_TEST(d["body"].get<std::string>() == "unix\nwindows\nlone\rcr\nno final newline\n");
}

BOOST_AUTO_TEST_CASE(MessagesThatCannotBeRenderedSafelyAreRejected) {
  RefusingPort nobody;  // must not even be contacted
  SmtpConfig c;
  c.url = "smtp://127.0.0.1:" + std::to_string(nobody.port);
  c.starttls = SmtpConfig::StartTls::none;
  SmtpTransport smtp(c);
  TempDir dir;
  EmlDirectoryTransport eml(dir.path() / "outbox");

  MailMessage bad_to = swedish_message();
  bad_to.to.email = "asa@example.se>\r\nRCPT TO:<evil@example.com";
  MailMessage bad_id = swedish_message("../../etc/passwd@x");
  MailMessage slash_id = swedish_message("a/b@journey.local");
  for (const auto* m : {&bad_to, &bad_id}) {
    auto r = smtp.send(*m);
    BOOST_TEST(r.outcome == Outcome::rejected, describe(r));
    BOOST_TEST(r.code == 0);
    r = eml.send(*m);
    BOOST_TEST(r.outcome == Outcome::rejected, describe(r));
  }
  auto r = eml.send(slash_id);
  BOOST_TEST(r.outcome == Outcome::rejected, describe(r));
  BOOST_TEST(fs::is_empty(dir.path() / "outbox"));
  BOOST_TEST(!fs::exists(dir.path() / "etc"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- SMTP against aiosmtpd ---------------------------------------------------

BOOST_AUTO_TEST_SUITE(smtp)

BOOST_AUTO_TEST_CASE(SwedishSubjectAndBodyArriveIntact) {
  SmtpServer server;
  SmtpTransport transport(plain_config(server));
  MailMessage m = swedish_message();
  auto r = transport.send(m);
  BOOST_TEST_REQUIRE(r.outcome == Outcome::delivered, describe(r) << "\n" << server.log());
  BOOST_TEST(r.code == 250);
  BOOST_TEST(r.detail.find("queued as journey-test") != std::string::npos, r.detail);

  auto got = server.received();
  BOOST_TEST_REQUIRE(got.size() == 1u);
  // Byte for byte what render_mime produced: no header added, nothing re-encoded.
  BOOST_TEST(got[0].raw == render_mime(m));
  BOOST_TEST(got[0].meta["mail_from"].get<std::string>() == "noreply@odeshog.example");
  BOOST_TEST(got[0].meta["rcpt_tos"] == json::array({"asa.angstrom@example.se"}));
  check_wire_form(got[0].raw);
  check_encoded_words(got[0].raw, "Subject");
  check_encoded_words(got[0].raw, "From");
  check_encoded_words(got[0].raw, "To");

  json d = decode_with_python(got[0].file);
  BOOST_TEST(d["subject"].get<std::string>() == "Påminnelse: Överfallslarm – 3 dagar kvar");
  BOOST_TEST(d["body"].get<std::string>() == m.text);
  BOOST_TEST(d["from_name"].get<std::string>() == "Socialtjänsten Ödeshög");
  BOOST_TEST(d["from_addr"].get<std::string>() == "noreply@odeshog.example");
  BOOST_TEST(d["to_name"].get<std::string>() == "Åsa Ängström");
  BOOST_TEST(d["to_addr"].get<std::string>() == "asa.angstrom@example.se");
  BOOST_TEST(d["date"].get<std::string>() == "2026-03-03T09:05:00+00:00");
  BOOST_TEST(d["mime_version"].get<std::string>() == "1.0");
  BOOST_TEST(d["content_type"].get<std::string>() == "text/plain");
  BOOST_TEST(d["charset"].get<std::string>() == "utf-8");
  BOOST_TEST(d["cte"].get<std::string>() == "quoted-printable");
  BOOST_TEST(d["language"].get<std::string>() == "sv");
  BOOST_TEST(d["defects"].empty(), d["defects"].dump());
}

BOOST_AUTO_TEST_CASE(MessageIdIsTheNotificationIdentity) {
  // The first DATA gets 451; the scheduler retries the same notification.
  SmtpServer server({"--data-reply", "451 4.3.0 Try again later", "--fault-count", "1"});
  SmtpTransport transport(plain_config(server));
  MailMessage m = swedish_message("n-3f9a0c21e8@journey.local");
  auto first = transport.send(m);
  BOOST_TEST(first.outcome == Outcome::retry, describe(first));
  auto second = transport.send(m);
  BOOST_TEST_REQUIRE(second.outcome == Outcome::delivered, describe(second) << "\n"
                                                                            << server.log());
  MailMessage other = swedish_message("n-77aa01b2c3@journey.local");
  BOOST_TEST_REQUIRE(transport.send(other).outcome == Outcome::delivered);

  auto got = server.received();
  BOOST_TEST_REQUIRE(got.size() == 3u);
  BOOST_TEST(got[0].meta["reply"].get<std::string>().rfind("451", 0) == 0u);
  BOOST_TEST(got[1].meta["reply"].get<std::string>().rfind("250", 0) == 0u);
  // The retried attempt is the same message, recognisable by its Message-ID.
  BOOST_TEST(got[0].raw == got[1].raw);
  BOOST_TEST(decode_with_python(got[0].file)["message_id"].get<std::string>() ==
             "<n-3f9a0c21e8@journey.local>");
  BOOST_TEST(decode_with_python(got[1].file)["message_id"].get<std::string>() ==
             "<n-3f9a0c21e8@journey.local>");
  BOOST_TEST(decode_with_python(got[2].file)["message_id"].get<std::string>() ==
             "<n-77aa01b2c3@journey.local>");
}

BOOST_AUTO_TEST_CASE(StartTlsAndAuthAreUsed) {
  TestCertificate cert;
  SmtpServer server({"--tls-cert", cert.cert.string(), "--tls-key", cert.key.string(),
                     "--require-starttls", "--auth", "journey:s3cret-lösen"});
  const std::string password = "s3cret-lösen";

  for (const char* mechanism : {"PLAIN", "LOGIN"}) {
    BOOST_TEST_CONTEXT("AUTH " << mechanism) {
      SmtpConfig c = tls_config(server, cert);
      c.username = "journey";
      c.password = password;
      c.sasl_mechanism = mechanism;
      SmtpTransport transport(c);
      auto r = transport.send(swedish_message());
      BOOST_TEST(r.outcome == Outcome::delivered, describe(r) << "\n" << server.log());
    }
  }
  auto got = server.received();
  BOOST_TEST_REQUIRE(got.size() == 2u);
  for (const auto& g : got) {
    BOOST_TEST(g.meta["tls"].get<bool>());
    BOOST_TEST(g.meta["authenticated"].get<bool>());
    BOOST_TEST(g.meta["auth_user"].get<std::string>() == "journey");
  }

  {  // No credentials: the server refuses MAIL FROM until AUTH.
    SmtpTransport transport(tls_config(server, cert));
    auto r = transport.send(swedish_message());
    BOOST_TEST(r.outcome == Outcome::rejected, describe(r));
    BOOST_TEST(r.code == 530, describe(r));
  }
  {  // Wrong password: 535, and the password is nowhere in the result.
    SmtpConfig c = tls_config(server, cert);
    c.username = "journey";
    c.password = "wrong-" + password;
    SmtpTransport transport(c);
    auto r = transport.send(swedish_message());
    BOOST_TEST(r.outcome == Outcome::rejected, describe(r));
    BOOST_TEST(r.code == 535, describe(r));
    BOOST_TEST(r.detail.find(password) == std::string::npos);
  }
  {  // No STARTTLS although the server demands it: refused before MAIL.
    SmtpConfig c = plain_config(server);
    c.username = "journey";
    c.password = password;
    SmtpTransport transport(c);
    auto r = transport.send(swedish_message());
    BOOST_TEST(r.outcome != Outcome::delivered, describe(r));
    BOOST_TEST(r.code == 530, describe(r));
  }
  BOOST_TEST(server.received().size() == 2u);
}

BOOST_AUTO_TEST_CASE(RequiredStartTlsNeverFallsBackToPlaintext) {
  SmtpServer server;  // offers no STARTTLS
  SmtpConfig c = plain_config(server);
  c.starttls = SmtpConfig::StartTls::required;
  auto r = SmtpTransport(c).send(swedish_message());
  BOOST_TEST(r.outcome == Outcome::retry, describe(r));
  BOOST_TEST(r.code == 0, describe(r));
  BOOST_TEST(server.received().empty());

  c.starttls = SmtpConfig::StartTls::opportunistic;
  r = SmtpTransport(c).send(swedish_message());
  BOOST_TEST(r.outcome == Outcome::delivered, describe(r));
  auto got = server.received();
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(!got[0].meta["tls"].get<bool>());
}

BOOST_AUTO_TEST_CASE(UntrustedCertificateIsRetry) {
  TestCertificate cert;
  SmtpServer server(
      {"--tls-cert", cert.cert.string(), "--tls-key", cert.key.string(), "--require-starttls"});
  SmtpConfig c = tls_config(server, cert);
  c.ca_file.clear();  // the system store does not know our self-signed certificate
  auto r = SmtpTransport(c).send(swedish_message());
  BOOST_TEST(r.outcome == Outcome::retry, describe(r));
  BOOST_TEST(r.code == 0, describe(r));
  BOOST_TEST(r.detail.find("certificate") != std::string::npos, r.detail);
  BOOST_TEST(server.received().empty());

  c.verify_peer = false;  // the same server is fine once the check is off
  r = SmtpTransport(c).send(swedish_message());
  BOOST_TEST(r.outcome == Outcome::delivered, describe(r));
}

BOOST_AUTO_TEST_CASE(ImplicitTlsSmtpsDelivers) {
  TestCertificate cert;
  SmtpServer server({"--tls-cert", cert.cert.string(), "--tls-key", cert.key.string(),
                     "--implicit-tls", "--auth", "journey:pw"});
  SmtpConfig c = tls_config(server, cert);
  c.url = server.url("smtps");
  c.username = "journey";
  c.password = "pw";
  auto r = SmtpTransport(c).send(swedish_message());
  BOOST_TEST_REQUIRE(r.outcome == Outcome::delivered, describe(r) << "\n" << server.log());
  auto got = server.received();
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].meta["auth_user"].get<std::string>() == "journey");
  BOOST_TEST(got[0].raw == render_mime(swedish_message()));
}

BOOST_AUTO_TEST_CASE(ServerDownIsRetry) {
  RefusingPort nobody;
  SmtpConfig c;
  c.url = "smtp://127.0.0.1:" + std::to_string(nobody.port);
  c.starttls = SmtpConfig::StartTls::none;
  c.connect_timeout = 5s;
  c.timeout = 10s;
  auto start = std::chrono::steady_clock::now();
  auto r = SmtpTransport(c).send(swedish_message());
  BOOST_TEST(r.outcome == Outcome::retry, describe(r));
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.detail.find("connect") != std::string::npos, r.detail);
  BOOST_TEST(millis(std::chrono::steady_clock::now() - start) < 5000);
}

BOOST_AUTO_TEST_CASE(TemporaryReplyIsRetry) {
  {
    SmtpServer server({"--data-reply", "451 4.3.0 Mailbox temporarily locked"});
    auto r = SmtpTransport(plain_config(server)).send(swedish_message());
    BOOST_TEST(r.outcome == Outcome::retry, describe(r));
    BOOST_TEST(r.code == 451, describe(r));
    BOOST_TEST(r.detail.find("Mailbox temporarily locked") != std::string::npos, r.detail);
  }
  {
    SmtpServer server({"--rcpt-reply", "450 4.2.1 Greylisted, come back later"});
    auto r = SmtpTransport(plain_config(server)).send(swedish_message());
    BOOST_TEST(r.outcome == Outcome::retry, describe(r));
    BOOST_TEST(r.code == 450, describe(r));
    BOOST_TEST(r.detail.find("Greylisted") != std::string::npos, r.detail);
    BOOST_TEST(server.received().empty());
  }
}

BOOST_AUTO_TEST_CASE(PermanentReplyIsRejected) {
  {
    SmtpServer server({"--rcpt-reply", "550 5.1.1 Mailbox unavailable"});
    auto r = SmtpTransport(plain_config(server)).send(swedish_message());
    BOOST_TEST(r.outcome == Outcome::rejected, describe(r));
    BOOST_TEST(r.code == 550, describe(r));
    BOOST_TEST(r.detail.find("Mailbox unavailable") != std::string::npos, r.detail);
    BOOST_TEST(server.received().empty());
  }
  {
    SmtpServer server({"--data-reply", "554 5.6.0 Message content rejected"});
    auto r = SmtpTransport(plain_config(server)).send(swedish_message());
    BOOST_TEST(r.outcome == Outcome::rejected, describe(r));
    BOOST_TEST(r.code == 554, describe(r));
    BOOST_TEST(r.detail.find("content rejected") != std::string::npos, r.detail);
  }
}

BOOST_AUTO_TEST_CASE(SlowServerTimesOut) {
  for (const char* phase : {"ehlo", "data"}) {
    BOOST_TEST_CONTEXT("slow " << phase) {
      SmtpServer server({"--slow", phase, "60"});
      SmtpConfig c = plain_config(server);
      c.timeout = 2s;
      auto start = std::chrono::steady_clock::now();
      auto r = SmtpTransport(c).send(swedish_message());
      auto took = std::chrono::steady_clock::now() - start;
      BOOST_TEST_MESSAGE("slow " << phase << ": send() took " << millis(took) << " ms");
      BOOST_TEST(r.outcome == Outcome::retry, describe(r));
      BOOST_TEST(r.code == 0, describe(r));
      BOOST_TEST(r.detail.find("imeout") != std::string::npos, r.detail);
      BOOST_TEST(millis(took) >= 1900);
      BOOST_TEST(millis(took) < 10000);
      if (std::string(phase) == "data") {
        // The server has the message but never said so: a retry will send
        // it again, and the Message-ID is what identifies the duplicate.
        BOOST_TEST(server.received().size() == 1u);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(DotAtLineStartSurvives) {
  SmtpServer server;
  SmtpTransport transport(plain_config(server));
  MailMessage m = swedish_message();
  // A lone "." would end DATA early without dot-stuffing; ".." would lose a dot.
  m.text = "Första raden\n.\n..\n.punkt först\n" + std::string(75, 'a') +
           ".efter mjuk radbrytning\nSista raden\n";
  auto r = transport.send(m);
  BOOST_TEST_REQUIRE(r.outcome == Outcome::delivered, describe(r));
  auto got = server.received();
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].raw == render_mime(m));
  BOOST_TEST(got[0].raw.find("\r\n.\r\n..\r\n.punkt") != std::string::npos);
  BOOST_TEST(got[0].raw.find("=\r\n.efter") != std::string::npos,
             "the soft break should put '.' first");
  BOOST_TEST(decode_with_python(got[0].file)["body"].get<std::string>() == m.text);
}

BOOST_AUTO_TEST_CASE(LongLinesAreSoftWrapped) {
  SmtpServer server;
  SmtpTransport transport(plain_config(server));
  MailMessage m = swedish_message();
  std::string longline;
  for (int i = 0; i < 40; ++i)
    longline += "Överfallslarm=på för Åsa–Ängström ";  // '=' must be escaped
  m.text = longline + "\n" + "slutar med blanksteg   \n" + "slutar med tab\t\n" +
           std::string(300, 'x') + "\n";
  auto r = transport.send(m);
  BOOST_TEST_REQUIRE(r.outcome == Outcome::delivered, describe(r));
  auto got = server.received();
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].raw == render_mime(m));
  check_wire_form(got[0].raw);
  std::string body = body_of(got[0].raw);
  BOOST_TEST(body.find("=3D") != std::string::npos);
  BOOST_TEST(body.find("=C3=96") != std::string::npos);   // Ö
  BOOST_TEST(body.find("=20\r\n") != std::string::npos);  // trailing space kept, encoded
  BOOST_TEST(body.find("=09\r\n") != std::string::npos);  // trailing tab
  for (const auto& line : crlf_lines(body)) {
    BOOST_TEST((line.empty() || (line.back() != ' ' && line.back() != '\t')),
               "trailing whitespace: " << line);
    // A soft break never cuts an escape or a UTF-8 sequence in two.
    BOOST_TEST(!(line.size() >= 2 && line[line.size() - 2] == '=' && line.back() != '='));
  }
  BOOST_TEST(decode_with_python(got[0].file)["body"].get<std::string>() == m.text);
}

BOOST_AUTO_TEST_CASE(OneTransportSendsManyMessages) {
  SmtpServer server;
  SmtpTransport transport(plain_config(server));  // one handle, connection reused
  for (int i = 0; i < 5; ++i) {
    auto r = transport.send(swedish_message("n-" + std::to_string(i) + "@journey.local"));
    BOOST_TEST(r.outcome == Outcome::delivered, describe(r));
  }
  auto got = server.received();
  BOOST_TEST_REQUIRE(got.size() == 5u);
  for (int i = 0; i < 5; ++i) {
    BOOST_TEST(got[i].raw ==
               render_mime(swedish_message("n-" + std::to_string(i) + "@journey.local")));
    // One SMTP session for all five: the connection is kept and reused.
    BOOST_TEST(got[i].meta["peer_port"] == got[0].meta["peer_port"]);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the .eml folder -------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(eml)

BOOST_AUTO_TEST_CASE(EmlFolderHoldsOneFilePerMessage) {
  TempDir data;
  const fs::path outbox = data.path() / "data" / "outbox";
  MailMessage m = swedish_message("n-3f9a0c21e8@journey.local");
  {
    EmlDirectoryTransport transport(outbox);
    auto r = transport.send(m);
    BOOST_TEST_REQUIRE(r.outcome == Outcome::delivered, describe(r));
    r = transport.send(m);  // the retried notification
    BOOST_TEST_REQUIRE(r.outcome == Outcome::delivered, describe(r));
  }
  {  // A new transport (a restarted process) on the same folder.
    EmlDirectoryTransport transport(outbox);
    BOOST_TEST_REQUIRE(transport.send(m).outcome == Outcome::delivered);
    BOOST_TEST_REQUIRE(transport.send(swedish_message("n-77aa01b2c3@journey.local")).outcome ==
                       Outcome::delivered);
    BOOST_TEST(transport.path_for(m.message_id) == outbox / "n-3f9a0c21e8@journey.local.eml");
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(outbox))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  BOOST_TEST(names == (std::vector<std::string>{"n-3f9a0c21e8@journey.local.eml",
                                                "n-77aa01b2c3@journey.local.eml"}),
             boost::test_tools::per_element());
  const fs::path file = outbox / "n-3f9a0c21e8@journey.local.eml";
  BOOST_TEST(slurp(file) == render_mime(m));
  BOOST_TEST(static_cast<int>(fs::status(file).permissions() & fs::perms::all) == 0600);
  json d = decode_with_python(file);
  BOOST_TEST(d["subject"].get<std::string>() == m.subject);
  BOOST_TEST(d["body"].get<std::string>() == m.text);
}

BOOST_AUTO_TEST_CASE(EmlUnwritableFolderIsRetry) {
  if (geteuid() == 0) {
    // root ignores permission bits; use a path whose parent is a file instead.
    TempDir data;
    std::ofstream(data.path() / "not-a-folder") << "x";
    EmlDirectoryTransport transport(data.path() / "outbox");
    fs::remove_all(data.path() / "outbox");
    fs::rename(data.path() / "not-a-folder", data.path() / "outbox");
    auto r = transport.send(swedish_message());
    BOOST_TEST(r.outcome == Outcome::retry, describe(r));
    BOOST_TEST(!r.detail.empty());
    return;
  }
  TempDir data;
  EmlDirectoryTransport transport(data.path() / "outbox");
  fs::permissions(data.path() / "outbox", fs::perms::owner_read | fs::perms::owner_exec);
  auto r = transport.send(swedish_message());
  fs::permissions(data.path() / "outbox", fs::perms::owner_all);
  BOOST_TEST(r.outcome == Outcome::retry, describe(r));
  BOOST_TEST(r.detail.find("Permission denied") != std::string::npos, r.detail);
}

BOOST_AUTO_TEST_SUITE_END()
