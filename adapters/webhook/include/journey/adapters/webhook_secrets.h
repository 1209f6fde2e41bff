// The engine's WebhookSecrets port (engine/webhooks.h) over files: the
// secrets of subscription <id> in <dir>/<id>, mode 0600, one per line, newest
// first (read_secret_file / write_secret_file: written durably before the log
// records their fingerprints); Standard Webhooks "whsec_" secrets from
// OpenSSL's generator; fingerprints the first 16 hex digits of their SHA-256.
//
// Thread safety: as safe as the files: WebhookService makes one change at a time.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "journey/engine/webhooks.h"

namespace journey::adapters {

class FileWebhookSecrets : public engine::WebhookSecrets {
 public:
  explicit FileWebhookSecrets(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::string generate() override;
  std::string fingerprint(const std::string& secret) override;
  std::vector<std::string> read(const std::string& webhook_id) override;
  void write(const std::string& webhook_id, const std::vector<std::string>& secrets) override;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace journey::adapters
