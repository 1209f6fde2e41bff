#include "journey/adapters/eml_transport.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "mail_internal.h"

namespace journey::adapters {
namespace {

namespace fs = std::filesystem;

std::atomic<unsigned long> g_temp_counter{0};

DeliveryResult retry(std::string detail) {
  DeliveryResult r;
  r.outcome = DeliveryResult::Outcome::retry;
  r.detail = std::move(detail);
  return r;
}

std::string errno_text(const char* what, const fs::path& path, int err) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(err);
}

// Closes on scope exit; close errors on the write path are checked explicitly.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

}  // namespace

EmlDirectoryTransport::EmlDirectoryTransport(fs::path folder) : folder_(std::move(folder)) {
  fs::create_directories(folder_);
}

fs::path EmlDirectoryTransport::path_for(const std::string& message_id) const {
  return folder_ / (message_id + ".eml");
}

DeliveryResult EmlDirectoryTransport::send(const MailMessage& message) {
  if (auto why = mail_internal::invalid_message(message); !why.empty()) {
    DeliveryResult r;
    r.outcome = DeliveryResult::Outcome::rejected;
    r.detail = why;
    return r;
  }
  // atext allows '/', a file name does not; dot-atom already forbids a
  // leading '.', so ".." and hidden names cannot occur.
  if (message.message_id.find('/') != std::string::npos) {
    DeliveryResult r;
    r.outcome = DeliveryResult::Outcome::rejected;
    r.detail = "message_id contains '/', which cannot be part of a file name: '" +
               message.message_id + "'";
    return r;
  }

  std::error_code ec;
  fs::create_directories(folder_, ec);  // the folder may have been removed meanwhile
  if (ec) return retry("cannot create " + folder_.string() + ": " + ec.message());

  const std::string data = render_mime(message);
  const fs::path final_path = path_for(message.message_id);
  const fs::path temp_path =
      folder_ / ("." + message.message_id + ".eml.tmp." + std::to_string(::getpid()) + "." +
                 std::to_string(g_temp_counter.fetch_add(1)));

  Fd file;
  file.fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (file.fd < 0) return retry(errno_text("cannot create", temp_path, errno));

  auto fail = [&](const char* what, int err) {
    ::unlink(temp_path.c_str());
    return retry(errno_text(what, temp_path, err));
  };

  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(file.fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(file.fd) != 0) return fail("cannot fsync", errno);
  if (::close(file.release()) != 0) return fail("cannot close", errno);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0)
    return fail("cannot rename into place", errno);

  Fd dir;
  dir.fd = ::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir.fd < 0) return retry(errno_text("cannot open folder to fsync", folder_, errno));
  if (::fsync(dir.fd) != 0) return retry(errno_text("cannot fsync folder", folder_, errno));

  DeliveryResult r;
  r.outcome = DeliveryResult::Outcome::delivered;
  r.detail = "written to " + final_path.string();
  return r;
}

}  // namespace journey::adapters
