// Checks shared by the mail transports (not part of the public interface).
#pragma once

#include <string>
#include <string_view>

#include "journey/adapters/delivery.h"

namespace journey::adapters::mail_internal {

// RFC 5322 dot-atom-text: atext runs separated by single dots.
inline bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

inline bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

// left@right, both dot-atom-text: the shape of an addr-spec without quoted
// local parts or domain literals, and of a msg-id without its brackets.
inline bool is_dot_atom_pair(std::string_view s, std::size_t max_length) {
  if (s.size() > max_length) return false;
  auto at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) return false;
  return is_dot_atom(s.substr(0, at)) && is_dot_atom(s.substr(at + 1));
}

// Empty when the message can be rendered safely; otherwise why not. Anything
// that render_mime would have to alter (and so silently change the message)
// is refused here: a header injection attempt is a bug upstream.
inline std::string invalid_message(const MailMessage& m) {
  if (!is_dot_atom_pair(m.message_id, 200))
    return "message_id is not of the form left@right with dot-atom text (max 200 chars): '" +
           m.message_id + "'";
  if (!is_dot_atom_pair(m.from.email, 254)) return "from address is not a plain addr-spec";
  if (!is_dot_atom_pair(m.to.email, 254)) return "to address is not a plain addr-spec";
  return {};
}

}  // namespace journey::adapters::mail_internal
