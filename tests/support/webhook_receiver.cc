#include "journey/test/webhook_receiver.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace journey::test {

WebhookReceiver::WebhookReceiver(const std::vector<std::string>& secrets, int slow_seconds) {
  std::vector<std::string> args = {
      kSystemPython,    JOURNEY_WEBHOOK_RECEIVER,
      "--record-dir",   dir_.path().string(),
      "--slow-seconds", std::to_string(slow_seconds),
      "--lifetime",     "280"};  // the receiver ends itself after a crashed test
  for (const auto& s : secrets) {
    args.push_back("--secret");
    args.push_back(s);
  }
  child_ = std::make_unique<Child>(args);
  const auto line = child_->read_line(std::chrono::seconds(30));
  if (line) port_ = std::atoi(line->c_str());
  if (port_ <= 0) {
    child_->stop();
    throw std::runtime_error("receiver.py did not print its port");
  }
}

WebhookReceiver::~WebhookReceiver() = default;

std::string WebhookReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<nlohmann::json> WebhookReceiver::records(std::size_t at_least,
                                                     std::chrono::milliseconds wait) const {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir_.path()))
      if (e.path().extension() == ".json") files.push_back(e.path());
    if (files.size() >= at_least || std::chrono::steady_clock::now() > deadline) {
      std::sort(files.begin(), files.end());
      std::vector<nlohmann::json> out;
      for (const auto& f : files) out.push_back(nlohmann::json::parse(std::ifstream(f)));
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace journey::test
