// The clock is an I/O boundary like the disk: production reads the system clock,
// tests and simulations drive a virtual one. It lives in storage (the lowest
// layer) because the log stamps recorded_at with it; the engine uses the same one.
//
// Thread safety: now() may be called from any thread; VirtualClock::set/advance too.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace journey {

// UTC, microsecond resolution: what the log stores.
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

// Time that moves only when told to (simulation, tests).
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(TimePoint start) : us_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(std::chrono::microseconds(us_.load())); }
  void set(TimePoint t) { us_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::microseconds d) { us_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> us_;
};

}  // namespace journey
