// CloudEvents 1.0 JSON event format (structured content mode).
#include <cctype>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "journey/adapters/webhook.h"

namespace journey::adapters {
namespace {

bool digits(const std::string& s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int number(const std::string& s, std::size_t at, std::size_t n) {
  return std::stoi(s.substr(at, n));
}

// RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM).
bool is_rfc3339(const std::string& t) {
  if (!digits(t, 0, 4) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2) || t[7] != '-' ||
      !digits(t, 8, 2) || t[10] != 'T' || !digits(t, 11, 2) || t[13] != ':' || !digits(t, 14, 2) ||
      t[16] != ':' || !digits(t, 17, 2)) {
    return false;
  }
  const int month = number(t, 5, 2), day = number(t, 8, 2), hour = number(t, 11, 2),
            minute = number(t, 14, 2), second = number(t, 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == start) return false;
  }
  if (i < t.size() && t[i] == 'Z') return i + 1 == t.size();
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    return i + 6 == t.size() && digits(t, i + 1, 2) && t[i + 3] == ':' && digits(t, i + 4, 2) &&
           number(t, i + 1, 2) <= 23 && number(t, i + 4, 2) <= 59;
  }
  return false;
}

// A URI-reference has only visible ASCII and none of the characters RFC 3986
// never allows unescaped. (A full grammar check is not attempted.)
bool plausible_uri_reference(const std::string& s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
    switch (c) {
      case '"':
      case '<':
      case '>':
      case '\\':
      case '^':
      case '`':
      case '{':
      case '|':
      case '}':
        return false;
      default:
        break;
    }
  }
  return true;
}

}  // namespace

std::string cloud_event_json(const CloudEvent& event) {
  if (event.id.empty()) throw std::invalid_argument("CloudEvent: id is required");
  if (event.source.empty()) throw std::invalid_argument("CloudEvent: source is required");
  if (!plausible_uri_reference(event.source)) {
    throw std::invalid_argument("CloudEvent: source is not a URI-reference: " + event.source);
  }
  if (event.type.empty()) throw std::invalid_argument("CloudEvent: type is required");
  if (!event.time.empty() && !is_rfc3339(event.time)) {
    throw std::invalid_argument("CloudEvent: time is not an RFC 3339 timestamp: " + event.time);
  }
  if (event.data_json && !nlohmann::json::accept(*event.data_json)) {
    throw std::invalid_argument("CloudEvent: data_json is not valid JSON");
  }

  nlohmann::ordered_json out;
  out["specversion"] = "1.0";
  out["id"] = event.id;
  out["source"] = event.source;
  out["type"] = event.type;
  if (!event.subject.empty()) out["subject"] = event.subject;
  if (!event.time.empty()) out["time"] = event.time;
  out["datacontenttype"] = "application/json";
  const bool has_data = event.data_json.has_value() || !event.data.is_null();
  if (has_data && !event.data_json) out["data"] = event.data;

  std::string text;
  try {
    text = out.dump();  // strict: invalid UTF-8 anywhere throws
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("CloudEvent: cannot serialise: ") + e.what());
  }
  if (event.data_json) {
    // Splice the caller's bytes in unchanged rather than re-serialising them.
    text.pop_back();  // the closing '}'
    text += ",\"data\":";
    text += *event.data_json;
    text += '}';
  }
  return text;
}

CloudEvent cloud_event_of(const WebhookEvent& e) {
  CloudEvent c{e.id, e.source, e.type, e.subject, e.time, nullptr, std::nullopt};
  if (!e.data_json.empty()) c.data_json = e.data_json;
  return c;
}

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time).time_since_epoch().count();
  const auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int frac = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr)
    throw std::invalid_argument("rfc3339_utc: time out of range");
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s(buf, n);
  if (frac != 0) {
    char f[8];
    std::snprintf(f, sizeof f, ".%03d", frac);
    s += f;
  }
  return s + "Z";
}

}  // namespace journey::adapters
