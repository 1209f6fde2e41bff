// Child processes of tests: a real SMTP server, a webhook receiver, Python's
// email package as an independent decoder, the openssl CLI.
//
// Started with posix_spawn (no fork of a sanitised process) and the
// environment minus what could make Debian's /usr/bin/python3 load another
// interpreter's modules (this machine has a separate python3 first on PATH,
// whose PYTHONPATH or PYTHONHOME would hide python3-aiosmtpd).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace journey::test {

// Debian's interpreter, the one that sees python3-aiosmtpd.
inline constexpr const char* kSystemPython = "/usr/bin/python3";

// The environment without PYTHONPATH, PYTHONHOME and PYTHONSTARTUP.
std::vector<std::string> clean_environment();

// Starts `args` (args[0] looked up on PATH) with stdin/stdout from the given
// fds (-1: /dev/null) and stderr appended to stderr_path (empty: inherited).
// Throws std::runtime_error naming the program when it cannot start.
pid_t spawn(const std::vector<std::string>& args, int stdin_fd, int stdout_fd,
            const std::string& stderr_path = "");

// Runs a short command to completion: (exit status, or -1 when killed; stdout).
std::pair<int, std::string> run(const std::vector<std::string>& args,
                                const std::string& stderr_path = "");

// A long-running child that prints one line when it is ready (a server's
// port), stopped in the destructor: SIGTERM, then SIGKILL after a second.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args, const std::string& stderr_path = "");
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The child's next line of stdout, without its '\n'; std::nullopt if none
  // came within `wait` or stdout closed first.
  std::optional<std::string> read_line(std::chrono::milliseconds wait);
  pid_t pid() const { return pid_; }
  void stop();

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

}  // namespace journey::test
