// Exponential backoff with full jitter, deterministic given a seed.
#include <algorithm>

#include "journey/adapters/webhook.h"

namespace journey::adapters {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

std::chrono::milliseconds backoff_ceiling(int attempt, const BackoffPolicy& policy) {
  const std::int64_t base = std::max<std::int64_t>(policy.base.count(), 0);
  const std::int64_t cap = std::max<std::int64_t>(policy.cap.count(), 0);
  std::int64_t ceiling = std::min(base, cap);
  for (int i = 1; i < attempt && ceiling < cap; ++i) {
    ceiling = ceiling > cap / 2 ? cap : std::min(cap, ceiling * 2);
  }
  return std::chrono::milliseconds(ceiling);
}

std::chrono::milliseconds backoff_delay(int attempt,
                                        std::optional<std::chrono::seconds> retry_after,
                                        std::uint64_t jitter_seed, const BackoffPolicy& policy) {
  attempt = std::max(attempt, 1);
  const auto ceiling = static_cast<std::uint64_t>(backoff_ceiling(attempt, policy).count());
  const std::uint64_t draw =
      splitmix64(jitter_seed + static_cast<std::uint64_t>(attempt) * 0x9E3779B97F4A7C15ull);
  std::chrono::milliseconds delay(static_cast<std::int64_t>(draw % (ceiling + 1)));
  if (retry_after) {
    const auto honoured = std::clamp(*retry_after, std::chrono::seconds(0), policy.retry_after_cap);
    delay = std::max<std::chrono::milliseconds>(delay, honoured);
  }
  return delay;
}

}  // namespace journey::adapters
