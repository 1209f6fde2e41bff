// Big-endian integers, as the event log's keys and envelope store them (so that
// RocksDB's bytewise order is numeric order). Private to storage/.
#pragma once

#include <cstdint>
#include <string>

namespace journey::storage {

inline void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

// REQUIRES: p points at 8 readable bytes.
inline std::uint64_t get_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

}  // namespace journey::storage
