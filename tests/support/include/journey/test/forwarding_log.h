// An EventLog that passes every call to another, real one: the base of the
// fault-injecting wrappers tests put around the real log (a full disk,
// appends held back, failing reads). A wrapper overrides what it breaks and
// inherits the rest, so a member added to EventLog is forwarded in one place.
//
// append_async() goes through this object's append(), as EventLog's own
// default does, so a wrapper that overrides append() sees every append,
// however it was made. One that needs the real log's pipeline (appends in
// flight together, answered from its syncer) overrides append_async() and
// calls real().append_async().
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "journey/storage/event_log.h"

namespace journey::test {

class ForwardingEventLog : public storage::EventLog {
 public:
  explicit ForwardingEventLog(storage::EventLog& real) : real_(real) {}

  storage::Result<storage::AppendResult> append(storage::AppendRequest req) override {
    return real_.append(std::move(req));
  }
  void append_async(storage::AppendRequest req, storage::AppendCallback done) override {
    done(append(std::move(req)));
  }
  storage::Result<std::vector<storage::RecordedEvent>> read_stream(const storage::StreamId& s,
                                                                   storage::StreamVersion from,
                                                                   std::size_t n) override {
    return real_.read_stream(s, from, n);
  }
  storage::Result<storage::Unit> visit_stream(
      const storage::StreamId& s, storage::StreamVersion from,
      const std::function<void(const storage::RecordedEvent&)>& f) override {
    return real_.visit_stream(s, from, f);
  }
  storage::Result<std::vector<storage::RecordedEvent>> read_all(storage::GlobalPosition from,
                                                                std::size_t n) override {
    return real_.read_all(from, n);
  }
  storage::Result<storage::StreamVersion> stream_version(const storage::StreamId& s) override {
    return real_.stream_version(s);
  }
  storage::Result<std::optional<storage::AppendResult>> find_idempotency_key(
      const std::string& key) override {
    return real_.find_idempotency_key(key);
  }
  storage::Result<std::vector<storage::StreamId>> list_streams(const std::string& p) override {
    return real_.list_streams(p);
  }
  storage::GlobalPosition head() const override { return real_.head(); }
  std::unique_ptr<storage::Subscription> subscribe(storage::GlobalPosition from,
                                                   storage::EventHandler h) override {
    return real_.subscribe(from, std::move(h));
  }
  storage::Result<storage::VerifyReport> verify() override { return real_.verify(); }
  storage::LogStats stats() const override { return real_.stats(); }
  storage::Result<storage::BackupReport> backup(const std::filesystem::path& dir) override {
    return real_.backup(dir);
  }

 protected:
  storage::EventLog& real() { return real_; }

 private:
  storage::EventLog& real_;
};

}  // namespace journey::test
