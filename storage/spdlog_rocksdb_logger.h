// RocksDB's info log through spdlog, private to storage/.
//
// RocksDB's own info log (the LOG file) is a file like any other: on a full
// disk its writes fail, and Debian's librocksdb keeps assertions on, so
// PosixLogger's `sync_without_flush_called_` assertion aborted journeyd twice
// in a full-disk test. This logger writes nothing to the data folder: every
// line goes to spdlog's default logger (journeyd's JSON or text lines, stderr
// for the tools), named "rocksdb". RocksDB's INFO and HEADER lines (the option
// dump at open, every flush and compaction) are spdlog debug; WARN is warn,
// ERROR and FATAL are error.
//
// Thread safety: RocksDB calls Logv from any of its threads; spdlog's default
// logger is thread-safe.
#pragma once

#include <rocksdb/env.h>

#include <memory>
#include <string>

namespace journey::storage {

std::shared_ptr<rocksdb::Logger> make_spdlog_rocksdb_logger(std::string name);

}  // namespace journey::storage
