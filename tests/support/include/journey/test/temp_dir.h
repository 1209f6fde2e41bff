// A folder of its own under the system's temporary directory, removed with
// everything in it when the TempDir goes: what every test that opens a real
// RocksDB, writes files or points a child process somewhere needs.
//
// The name is made by mkdtemp(3) from `prefix`, so two tests (or two runs of
// one) never share a folder.
#pragma once

#include <filesystem>
#include <string>

namespace journey::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "journey-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace journey::test
