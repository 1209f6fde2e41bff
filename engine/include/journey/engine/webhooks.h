// Webhook subscriptions as one service that both front-ends call (the HTTP
// API and journeyctl translate; neither decides), so that the order of writes
// and the fingerprints cannot drift apart again.
//
// A subscription's secrets never enter the log (an audit trail must not hold
// them): the WebhookSecrets port keeps them (adapters/webhook: one file per
// subscription, mode 0600, beside the log), and the log keeps their
// fingerprints, always computed from the secrets just written.
//
// Order of writes: a change that adds a secret (create, rotate) writes the
// secrets first, then the subscription in the log; one that only removes
// secrets (retire_old) writes the log first, then the secrets. If the second
// write fails, the first is put back. So the log never names a fingerprint
// whose secret is gone. A crash between the two writes leaves at most a
// secret that no fingerprint names (the scheduler signs with it as well,
// which receivers ignore) or a secret file of a subscription that was never
// recorded (a creation: it is never read).
//
// Thread safety: every member may be called from several threads; changes
// are made one at a time (two rotations cannot lose a secret). Another
// process must not change the same data folder (journeyctl refuses to write
// while journeyd runs).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "journey/engine/journey_engine.h"

namespace journey::engine {

// Where webhook secrets live, and what they are.
class WebhookSecrets {
 public:
  virtual ~WebhookSecrets() = default;
  // A new random secret.
  virtual std::string generate() = 0;
  // What the log keeps of a secret (it must not reveal the secret).
  virtual std::string fingerprint(const std::string& secret) = 0;
  // The subscription's secrets, newest first; empty if it has none. Throws
  // std::runtime_error if they exist but cannot be read.
  virtual std::vector<std::string> read(const std::string& webhook_id) = 0;
  // Replaces them atomically (empty: removes them). Throws std::runtime_error
  // naming what failed; then nothing changed.
  virtual void write(const std::string& webhook_id, const std::vector<std::string>& secrets) = 0;
};

enum class WebhookChange {
  rotate,      // a new secret first; both sign until retire_old
  retire_old,  // keep only the newest secret
  disable,     // stop posting (the secrets stay)
};

struct WebhookResult {
  CommandOutcome outcome;
  WebhookSubscription subscription;  // as recorded (as it would have been, if refused)
  std::string secret;                // a new secret (create, rotate): shown once, never again
};

class WebhookService {
 public:
  // REQUIRES: engine and secrets outlive the service.
  WebhookService(JourneyEngine& engine, WebhookSecrets& secrets);

  // Subscribes `url` to the notifications of `municipality` ("*": of all).
  // A repeated ctx.idempotency_key is refused ("webhook_already_created"):
  // the first answer's secret cannot be shown again. Refused like
  // JourneyEngine::set_webhook for a bad URL or an unknown municipality;
  // "storage_error" (nothing recorded) when the secret cannot be written.
  WebhookResult create(const std::string& url, const std::string& municipality,
                       const CommandContext& ctx);
  // std::nullopt: no subscription with that id.
  std::optional<WebhookResult> change(const std::string& id, WebhookChange what,
                                      const CommandContext& ctx);

 private:
  // Writes `secrets`, then `w` with their fingerprints; the old secrets back
  // if the log does not take it.
  CommandOutcome record(WebhookSubscription& w, const std::vector<std::string>& secrets,
                        const std::vector<std::string>& before, const CommandContext& ctx);

  JourneyEngine& engine_;
  WebhookSecrets& secrets_;
  std::mutex mu_;  // one change at a time
};

}  // namespace journey::engine
