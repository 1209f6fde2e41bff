// adapters/webhook/receiver.py as a child process on 127.0.0.1:<port>: a real
// HTTP server that checks Standard Webhooks signatures with Python's own
// hmac (an independent implementation) and records every request it gets as
// a JSON file (method, path, headers, body_hex, verified, ...). Its paths
// choose its answer: /ok (204), /ok200, /fail500, /gone410, /slow, /big, ...
// (see receiver.py).
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "journey/test/child_process.h"
#include "journey/test/temp_dir.h"

namespace journey::test {

class WebhookReceiver {
 public:
  // Knows `secrets` (whsec_…); answers slow paths after `slow_seconds`.
  explicit WebhookReceiver(const std::vector<std::string>& secrets, int slow_seconds = 5);
  ~WebhookReceiver();

  int port() const { return port_; }
  std::string url(const std::string& path) const;
  // The recorded requests in arrival order, waiting up to `wait` for `at_least`.
  std::vector<nlohmann::json> records(
      std::size_t at_least = 0,
      std::chrono::milliseconds wait = std::chrono::milliseconds(5000)) const;

 private:
  TempDir dir_{"journey-webhook-receiver"};
  std::unique_ptr<Child> child_;
  int port_ = -1;
};

}  // namespace journey::test
