// Errors as values for the storage layer (LevelDB Status style), carried in a
// small Result<T>. RocksDB and OS errors are mapped to these in one place
// (rocksdb_event_log.cc: from_rocksdb()).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace journey::storage {

enum class ErrorCode {
  invalid_argument,        // the request itself is malformed
  wrong_expected_version,  // optimistic concurrency check failed
  not_found,
  corruption,  // bytes in the store do not decode or do not match
  io_error,    // the disk or the OS said no
  no_space,    // the disk is full
  closed,      // the log is shutting down
  read_only,   // the log was opened for reading (a secondary instance)
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
  // Set with wrong_expected_version: the stream's actual version.
  std::optional<std::uint64_t> actual_version;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  // By value: a reference into a temporary Result would dangle in a range-for.
  T value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T operator*() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};

// The value, or std::runtime_error("<what>: <the error>"): for code whose
// contract is to throw, such as the scheduler's and the hire views' passes.
template <class T>
T value_or_throw(Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
  return std::move(r).value();
}

}  // namespace journey::storage
