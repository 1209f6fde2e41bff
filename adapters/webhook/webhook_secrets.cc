// Webhook secrets in files, for the engine's WebhookService (webhook_secrets.h).
#include "journey/adapters/webhook_secrets.h"

#include "journey/adapters/webhook.h"

namespace journey::adapters {

std::string FileWebhookSecrets::generate() { return generate_secret(); }

std::string FileWebhookSecrets::fingerprint(const std::string& secret) {
  return secret_fingerprint(secret);
}

std::vector<std::string> FileWebhookSecrets::read(const std::string& webhook_id) {
  return read_secret_file(dir_, webhook_id);
}

void FileWebhookSecrets::write(const std::string& webhook_id,
                               const std::vector<std::string>& secrets) {
  write_secret_file(dir_, webhook_id, secrets);
}

}  // namespace journey::adapters
