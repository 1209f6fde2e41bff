// Standard Webhooks symmetric signatures ("v1", HMAC-SHA256), with OpenSSL.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "journey/adapters/webhook.h"

namespace journey::adapters {
namespace {

std::string base64_encode(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Strict RFC 4648 base64 (standard alphabet, '=' padding to a multiple of 4).
// EVP_DecodeBlock alone would accept whitespace and count padding as zero bytes.
std::optional<std::vector<unsigned char>> base64_decode(const std::string& in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (in[in.size() - 1] == '=') ++pad;
  if (in[in.size() - 2] == '=') ++pad;
  for (std::size_t i = 0; i < in.size() - pad; ++i) {
    if (!is_base64_char(in[i])) return std::nullopt;
  }
  std::vector<unsigned char> out(in.size() / 4 * 3);
  const int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
  if (len < 0 || static_cast<std::size_t>(len) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);
  return out;
}

void check_msg_id(const std::string& msg_id) {
  if (msg_id.empty()) throw std::invalid_argument("webhook-id is empty");
  for (unsigned char c : msg_id) {
    if (c == '.') {
      throw std::invalid_argument(
          "webhook-id contains '.', which the Standard Webhooks specification forbids");
    }
    if (c <= 0x20 || c >= 0x7f) {
      throw std::invalid_argument(
          "webhook-id contains a space, control or non-ASCII character (not header-safe)");
    }
  }
}

std::string signature_v1(const std::vector<unsigned char>& key, const std::string& msg_id,
                         std::int64_t timestamp, const std::string& body) {
  const std::string prefix = msg_id + "." + std::to_string(timestamp) + ".";
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw std::runtime_error("OpenSSL: HMAC is not available");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  if (ctx == nullptr) throw std::runtime_error("OpenSSL: EVP_MAC_CTX_new failed");
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t out_len = 0;
  const bool ok =
      EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(prefix.data()), prefix.size()) ==
          1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1 &&
      EVP_MAC_final(ctx, out, &out_len, sizeof out) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok) throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  return base64_encode(out, out_len);
}

}  // namespace

std::vector<unsigned char> decode_secret(const std::string& secret) {
  const std::string prefix = kSecretPrefix;
  if (secret.compare(0, prefix.size(), prefix) != 0) {
    throw std::invalid_argument("webhook secret does not start with \"whsec_\"");
  }
  auto key = base64_decode(secret.substr(prefix.size()));
  if (!key) {
    throw std::invalid_argument(
        "webhook secret is not valid base64 after \"whsec_\" (standard alphabet, '=' padding)");
  }
  if (key->size() < kMinSecretBytes || key->size() > kMaxSecretBytes) {
    throw std::invalid_argument("webhook secret decodes to " + std::to_string(key->size()) +
                                " bytes; Standard Webhooks requires " +
                                std::to_string(kMinSecretBytes) + " to " +
                                std::to_string(kMaxSecretBytes));
  }
  return std::move(*key);
}

std::string sign(const std::vector<std::string>& secrets, const std::string& msg_id,
                 std::int64_t timestamp, const std::string& body) {
  if (secrets.empty()) throw std::invalid_argument("webhook endpoint has no secret to sign with");
  check_msg_id(msg_id);
  std::string header;
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    std::vector<unsigned char> key;
    try {
      key = decode_secret(secrets[i]);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("secret #" + std::to_string(i + 1) + ": " + e.what());
    }
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += signature_v1(key, msg_id, timestamp, body);
    OPENSSL_cleanse(key.data(), key.size());
  }
  return header;
}

std::string generate_secret() {
  unsigned char bytes[kMinSecretBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed to generate a webhook secret");
  }
  std::string secret = kSecretPrefix + base64_encode(bytes, sizeof bytes);
  OPENSSL_cleanse(bytes, sizeof bytes);
  return secret;
}

std::string secret_fingerprint(const std::string& secret) {
  unsigned char h[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(secret.data(), secret.size(), h, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 8 && i < len; ++i) {
    out.push_back(digits[h[i] >> 4]);
    out.push_back(digits[h[i] & 15]);
  }
  return out;
}

std::vector<std::string> read_secret_file(const std::filesystem::path& dir, const std::string& id) {
  std::vector<std::string> out;
  std::ifstream in(dir / id);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

void write_secret_file(const std::filesystem::path& dir, const std::string& id,
                       const std::vector<std::string>& secrets) {
  std::filesystem::create_directories(dir);
  auto failed = [](const std::string& what, const std::filesystem::path& p, int err) {
    return std::runtime_error("cannot " + what + " " + p.string() + ": " + std::strerror(err));
  };
  const auto sync_dir = [&] {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) throw failed("open", dir, errno);
    const int err = ::fsync(dfd) == 0 ? 0 : errno;
    ::close(dfd);
    if (err != 0) throw failed("sync", dir, err);
  };
  if (secrets.empty()) {  // none: no file
    std::filesystem::remove(dir / id);
    sync_dir();
    return;
  }
  const std::filesystem::path tmp = dir / (id + ".tmp");
  std::string text;
  for (const auto& s : secrets) text += s + '\n';
  // A new file, created 0600 (a leftover temporary file, whatever its mode,
  // is removed first: never readable by others, not even for a moment),
  // synced, renamed over the old one and the folder synced: once this
  // returns, the secrets survive a power loss. A failure to sync the folder
  // after the rename throws too; the new file is then in place, perhaps not
  // durably.
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw failed("write", tmp, errno);
  std::size_t done = 0;
  int err = 0;
  while (done < text.size() && err == 0) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0)
      done += static_cast<std::size_t>(n);
    else if (n < 0 && errno != EINTR)
      err = errno;
    else if (n == 0)
      err = EIO;
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err == 0 && ::rename(tmp.c_str(), (dir / id).c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw failed("write", tmp, err);
  }
  sync_dir();
}

bool verify(const std::vector<std::string>& secrets, const std::string& msg_id,
            std::int64_t timestamp, const std::string& body, const std::string& signature_header,
            std::int64_t now_unix_seconds, std::chrono::seconds tolerance) {
  // Written to avoid overflow for any pair of int64 values.
  const bool early =
      timestamp > now_unix_seconds && timestamp - now_unix_seconds > tolerance.count();
  const bool late =
      now_unix_seconds > timestamp && now_unix_seconds - timestamp > tolerance.count();
  if (early || late) return false;
  try {
    check_msg_id(msg_id);
  } catch (const std::invalid_argument&) {
    return false;
  }
  std::vector<std::string> expected;
  for (const auto& secret : secrets) {
    auto key = decode_secret(secret);
    expected.push_back(signature_v1(key, msg_id, timestamp, body));
    OPENSSL_cleanse(key.data(), key.size());
  }
  bool match = false;
  std::size_t pos = 0;
  while (pos < signature_header.size()) {
    std::size_t end = signature_header.find(' ', pos);
    if (end == std::string::npos) end = signature_header.size();
    const std::string entry = signature_header.substr(pos, end - pos);
    pos = end + 1;
    if (entry.compare(0, 3, "v1,") != 0) continue;
    const std::string given = entry.substr(3);
    for (const auto& want : expected) {
      // Lengths are public (a SHA-256 signature is always 44 characters).
      if (given.size() == want.size() &&
          CRYPTO_memcmp(given.data(), want.data(), want.size()) == 0) {
        match = true;  // keep going: no early exit on a match either
      }
    }
  }
  return match;
}

}  // namespace journey::adapters
