// Webhook secrets in files, for the engine's WebhookService (webhook_secrets.h).
#include "journey/adapters/webhook_secrets.h"

#include <stdexcept>
#include <system_error>

#include "journey/adapters/webhook.h"

namespace journey::adapters {

std::string FileWebhookSecrets::generate() { return generate_secret(); }

std::string FileWebhookSecrets::fingerprint(const std::string& secret) {
  return secret_fingerprint(secret);
}

std::vector<std::string> FileWebhookSecrets::read(const std::string& webhook_id) {
  // No file: no secrets. A file that cannot be read is not "no secrets": a
  // rotation on top of it would drop the secret receivers check.
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir_ / webhook_id, ec);
  auto secrets = read_secret_file(dir_, webhook_id);
  if (secrets.empty() && (exists || ec))
    throw std::runtime_error("cannot read the secrets in " + (dir_ / webhook_id).string());
  return secrets;
}

void FileWebhookSecrets::write(const std::string& webhook_id,
                               const std::vector<std::string>& secrets) {
  write_secret_file(dir_, webhook_id, secrets);
}

}  // namespace journey::adapters
