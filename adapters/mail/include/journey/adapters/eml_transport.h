// The embedded default when no SMTP server is configured: every message is
// written as <folder>/<message_id>.eml, the exact render_mime() bytes.
//
// Writes are atomic and durable: a hidden temporary file in the same folder
// is written, fsync'ed, renamed over the final name, and the folder is
// fsync'ed. A reader never sees a partial file, and sending the same
// message id again replaces the file, so a retried notification leaves one
// file, never two. Files are created mode 0600 (they hold personal data).
// A crash mid-write can leave a ".<id>.eml.tmp.*" file behind; it is never
// mistaken for a message (hidden, wrong suffix).
//
// Outcomes: delivered once the rename is durable; retry on I/O errors
// (disk full, permissions), with errno text in detail; rejected for a
// message id that cannot be a file name (empty, '/', leading '.', ...).
//
// Safe to use from several threads or processes on the same folder.
#pragma once

#include <filesystem>
#include <string>

#include "journey/adapters/delivery.h"

namespace journey::adapters {

class EmlDirectoryTransport final : public MailTransport {
 public:
  // Creates the folder (and parents) if missing; throws
  // std::filesystem::filesystem_error if that fails.
  explicit EmlDirectoryTransport(std::filesystem::path folder);

  DeliveryResult send(const MailMessage& message) override;

  const std::filesystem::path& folder() const { return folder_; }
  // Where a message with this id is (or would be) stored.
  std::filesystem::path path_for(const std::string& message_id) const;

 private:
  std::filesystem::path folder_;
};

}  // namespace journey::adapters
