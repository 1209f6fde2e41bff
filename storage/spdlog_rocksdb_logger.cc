// RocksDB's info log through spdlog; see spdlog_rocksdb_logger.h.
#include "spdlog_rocksdb_logger.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>

namespace journey::storage {
namespace {

class SpdlogRocksDbLogger : public rocksdb::Logger {
 public:
  explicit SpdlogRocksDbLogger(std::string name)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), name_(std::move(name)) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;  // SetInfoLogLevel quiets an attempt
    const spdlog::level::level_enum to =
        level >= rocksdb::InfoLogLevel::ERROR_LEVEL  ? spdlog::level::err
        : level == rocksdb::InfoLogLevel::WARN_LEVEL ? spdlog::level::warn
                                                     : spdlog::level::debug;
    auto* out = spdlog::default_logger_raw();
    if (!out->should_log(to)) return;
    char buf[2048];
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(buf, sizeof buf, format, copy);
    va_end(copy);
    if (n < 0) return;
    out->log(to, "{}: {}", name_, buf);  // a longer line is cut at 2 KiB
  }
  // Nothing is buffered here, and no file of the data folder is written.
  void Flush() override {}

 private:
  std::string name_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_spdlog_rocksdb_logger(std::string name) {
  return std::make_shared<SpdlogRocksDbLogger>(std::move(name));
}

}  // namespace journey::storage
