// A small ordered key-value store for derived indexes (the scheduler's timers),
// so that only storage/ knows RocksDB. Nothing in it is the truth: every
// index built on it must be rebuildable from the event log.
//
// Durability: write() applies a batch atomically; with sync = true it returns
// after the WAL is fsynced. Thread safety: safe from several threads.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "journey/storage/result.h"

namespace journey::storage {

struct KvWrite {
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> deletes;
  bool empty() const { return puts.empty() && deletes.empty(); }
};

class KvStore {
 public:
  virtual ~KvStore() = default;
  virtual Result<std::optional<std::string>> get(const std::string& key) = 0;
  virtual Result<Unit> write(const KvWrite& batch, bool sync = false) = 0;
  // Calls f(key, value) for keys in [from, to) in order until f returns false.
  virtual Result<Unit> scan(
      const std::string& from, const std::string& to,
      const std::function<bool(const std::string&, const std::string&)>& f) = 0;
  // Removes every key (a rebuild starts from nothing).
  virtual Result<Unit> clear() = 0;
};

Result<std::unique_ptr<KvStore>> open_rocksdb_kv(const std::filesystem::path& path);

// Big-endian encoding so that byte order is numeric order.
std::string be64(std::uint64_t v);
std::uint64_t from_be64(const std::string& s, std::size_t at = 0);

}  // namespace journey::storage
