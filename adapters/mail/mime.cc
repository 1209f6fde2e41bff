// render_mime: one text/plain message, RFC 5322 + MIME (RFC 2045-2047).
//
// Everything produced is 7-bit ASCII with CRLF line ends, so it passes any
// SMTP server unchanged (no SMTPUTF8 or 8BITMIME needed):
//   - Subject and non-ASCII display names: RFC 2047 "B" encoded-words of at
//     most 42 bytes of UTF-8 each (68 characters per word, below the limit
//     of 75), cut only between UTF-8 sequences, folded so that no header
//     line exceeds 78 characters. Adjacent encoded-words are joined without
//     the folding space when decoded (RFC 2047 section 6.2), so the cuts
//     are invisible to the reader.
//   - Body: quoted-printable, lines of at most 76 characters, '=' escaped,
//     trailing space/tab encoded, UTF-8 sequences kept on one line. A line
//     starting with '.' is left alone: SMTP dot-stuffing is the transport's
//     job (libcurl does it), and an .eml file must hold the real bytes.
#include <array>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "journey/adapters/delivery.h"
#include "mail_internal.h"

namespace journey::adapters {
namespace {

constexpr std::size_t kMaxHeaderLine = 78;
constexpr std::size_t kEncodedWordBytes = 42;  // base64 -> 56 chars, word -> 68 chars
constexpr std::size_t kMaxBodyLine = 76;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                      (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    std::uint32_t v =
        (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool is_continuation(char c) { return (std::uint8_t(c) & 0xC0) == 0x80; }

// Length of the UTF-8 sequence starting at s[i] if it is well formed in
// shape (lead byte plus the right number of continuation bytes), else 1.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = std::uint8_t(s[i]);
  std::size_t n = b < 0x80             ? 1
                  : (b & 0xE0) == 0xC0 ? 2
                  : (b & 0xF0) == 0xE0 ? 3
                  : (b & 0xF8) == 0xF0 ? 4
                                       : 1;
  if (i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k)
    if (!is_continuation(s[i + k])) return 1;
  return n;
}

// RFC 2047 encoded-words for arbitrary UTF-8 text, each holding whole UTF-8
// sequences only (malformed bytes count as sequences of one).
std::vector<std::string> encoded_words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    while (end < text.size()) {
      std::size_t n = utf8_length(text, end);
      if (end + n - start > kEncodedWordBytes) break;
      end += n;
    }
    words.push_back("=?UTF-8?B?" + base64(text.substr(start, end - start)) + "?=");
    start = end;
  }
  return words;
}

bool is_printable_ascii(std::string_view s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

// Text that can stand in a header as it is: printable ASCII words separated
// by single spaces (so folding at a space and unfolding give it back), no
// encoded-word look-alikes, no word too long to fit a folded line.
bool is_plain_words(std::string_view s, std::size_t max_word) {
  if (s.empty() || !is_printable_ascii(s) || s.front() == ' ' || s.back() == ' ') return false;
  if (s.find("  ") != std::string_view::npos || s.find("=?") != std::string_view::npos)
    return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(' ', start);
    if (end == std::string_view::npos) end = s.size();
    if (end - start > max_word) return false;
    start = end + 1;
  }
  return true;
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(' ', start);
    if (end == std::string_view::npos) end = s.size();
    words.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// "Name: tok tok tok\r\n", folded (CRLF + space replaces a separating space)
// before a token that would take the line past 78 characters.
std::string header(std::string_view name, const std::vector<std::string>& tokens) {
  std::string out(name);
  out += ':';
  std::size_t line = out.size();
  bool line_has_token = false;
  for (const auto& token : tokens) {
    if (line + 1 + token.size() > kMaxHeaderLine && line_has_token) {
      out += "\r\n";
      line = 0;
    }
    out += ' ';
    out += token;
    line += 1 + token.size();
    line_has_token = true;
  }
  out += "\r\n";
  return out;
}

// Only what may appear in an addr-spec or msg-id; render_mime must never
// let a CR, LF or bracket through into a header (transports refuse such
// messages before rendering; this is the last line of defence).
std::string header_safe(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c > 0x20 && c < 0x7F && c != '<' && c != '>') out += c;
  return out;
}

bool is_atom_phrase(std::string_view name) {
  if (!is_plain_words(name, 60)) return false;
  for (char c : name)
    if (c != ' ' && !mail_internal::is_atext(c)) return false;
  return true;
}

std::string address_header(std::string_view field, const Address& a) {
  std::vector<std::string> tokens;
  const std::string email = header_safe(a.email);
  if (a.name.empty()) return header(field, {email});
  if (is_atom_phrase(a.name)) {
    tokens = split_words(a.name);
  } else if (is_printable_ascii(a.name) && a.name.size() <= 60 &&
             a.name.find("=?") == std::string::npos) {
    std::string quoted = "\"";
    for (char c : a.name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    tokens.push_back(std::move(quoted));
  } else {
    tokens = encoded_words(a.name);
  }
  tokens.push_back("<" + email + ">");
  return header(field, tokens);
}

std::string subject_header(std::string_view subject) {
  if (subject.empty()) return "Subject:\r\n";
  if (is_plain_words(subject, kMaxHeaderLine - 10)) return header("Subject", split_words(subject));
  return header("Subject", encoded_words(subject));
}

std::string two_digits(int v) {
  std::string s = std::to_string(v);
  return s.size() < 2 ? "0" + s : s;
}

// RFC 5322 section 3.3, always in UTC. Spelled out rather than strftime so
// the process locale cannot turn "Tue" into "tis".
std::string date_header(std::chrono::system_clock::time_point tp) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto seconds = std::chrono::floor<std::chrono::seconds>(tp.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return std::string("Date: ") + kDays[tm.tm_wday] + ", " + two_digits(tm.tm_mday) + " " +
         kMonths[tm.tm_mon] + " " + std::to_string(tm.tm_year + 1900) + " " +
         two_digits(tm.tm_hour) + ":" + two_digits(tm.tm_min) + ":" + two_digits(tm.tm_sec) +
         " +0000\r\n";
}

void append_hex(std::string& out, std::uint8_t b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '=';
  out += kHex[b >> 4];
  out += kHex[b & 15];
}

void quoted_printable_line(std::string_view line, std::string& out) {
  std::size_t length = 0;
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t n = utf8_length(line, i);
    bool last = i + n == line.size();
    std::string token;
    for (std::size_t k = i; k < i + n; ++k) {
      auto b = std::uint8_t(line[k]);
      if ((b >= 33 && b <= 126 && b != '=') || ((b == ' ' || b == '\t') && !last))
        token += char(b);
      else
        append_hex(token, b);
    }
    // Room for the soft break '=' unless this token ends the line.
    if (length + token.size() > (last ? kMaxBodyLine : kMaxBodyLine - 1)) {
      out += "=\r\n";
      length = 0;
    }
    out += token;
    length += token.size();
    i += n;
  }
  out += "\r\n";
}

// Body lines end in '\n' (a '\r\n' pair counts as one end); every line of
// the result ends in CRLF, including the last one.
std::string quoted_printable(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
    if (end == std::string_view::npos) end = text.size();
    std::size_t stop = end;
    if (stop > start && text[stop - 1] == '\r' && end < text.size()) --stop;
    quoted_printable_line(text.substr(start, stop - start), out);
    start = next;
  }
  return out;
}

// Header text is one line: a CR, LF or other control character (a template
// bug or an injection attempt) becomes a space, runs of them one space.
// Encoded-words could carry them, but receivers refuse or mangle such
// headers (Python's email package rejects a display name with CR/LF).
std::string one_line(std::string_view s) {
  std::string out;
  bool in_run = false;
  for (char c : s) {
    bool control = (c >= 0 && c < 0x20) || c == 0x7F;
    if (control) {
      if (!in_run) out += ' ';
      in_run = true;
    } else {
      out += c;
      in_run = false;
    }
  }
  return out;
}

std::string language_tags(std::string_view s) {
  std::string out;
  for (char c : s)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == ',' || c == ' ')
      out += c;
  return out;
}

}  // namespace

std::string render_mime(const MailMessage& message) {
  std::string out;
  out += date_header(message.date);
  out += address_header("From", {one_line(message.from.name), message.from.email});
  out += address_header("To", {one_line(message.to.name), message.to.email});
  out += subject_header(one_line(message.subject));
  out += "Message-ID: <" + header_safe(message.message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  if (auto lang = language_tags(message.language); !lang.empty())
    out += "Content-Language: " + lang + "\r\n";
  out += "\r\n";
  out += quoted_printable(message.text);
  return out;
}

}  // namespace journey::adapters
