// The reminder scheduler killed with SIGKILL, against a real SMTP server.
//
// The scheduler promises (scheduler.h): a reminder is recorded as
// NotificationDecided before any delivery, each attempt as DeliveryAttempted,
// and a crash between sending and recording re-sends under the same
// Message-ID, so nothing decided is lost and a duplicate is always the same
// message. This test holds it to that the hard way: a real process
// (journey_scheduler_crash_child: RocksDB log and index, the real engine,
// programme, templates and Swedish calendar, SmtpTransport) talks to a real
// SMTP server (adapters/mail/smtp_server.py, aiosmtpd on 127.0.0.1, which
// stores every DATA it receives) and is SIGKILLed again and again:
//   - half the kills are timed at random, 50-400 ms after the child said its
//     set-up was done (one in four of them after fork() instead, so they land
//     in start-up and RocksDB recovery), so they land anywhere in a tick or
//     between ticks;
//   - the other half are aimed: the child lingers a moment after each SMTP
//     transaction and after each record the scheduler appends to a hire's
//     stream, and reports each on stdout; the test kills it on the Nth report
//     of a send (after the server has the message, before the scheduler has
//     recorded the attempt) or of a record (between a message's records on the
//     streams of the several hires it concerns, or between deciding and
//     sending).
// One restart in five comes after virtual downtime (up to three days), so
// that missed reminders are coalesced into catch-up messages.
// After each kill, every message the server has received must already be
// decided in the log (decided BEFORE sent). After the last kill the child runs
// once more, without kills, until it has caught up; then the log and the
// server's spool are checked:
//   1. every decided message arrived (SMTP 250) at least once;
//   2. every message the server received is a decided one, byte for byte what
//      the decided record renders to (Date aside: each attempt is dated);
//   3. a message received more than once is the same message: Subject and
//      body identical (how many duplicates there were is printed);
//   4. every decided message's last attempt is "delivered", on every hire
//      stream that recorded it, and every hire a message concerns recorded it;
//   5. no reminder id is in two different messages, and each message id is the
//      one derived from its reminder ids;
//   6. the log's verify() is ok up to the head;
//   7. no reminder is lost before it was decided: every reminder the plan
//      still holds whose send time has passed (within the catch-up window) was
//      decided.
// A second test does the same against a server that answers 451 to a bounded
// number of DATA commands (at most max_attempts - 1 in all, so that nothing is
// dead-lettered), so that retries and their backoff state cross kills.
//
// Environment:
//   JOURNEY_SCHED_KILLS  kills per test (default 30)
//   JOURNEY_SCHED_SEED   seed of the kill schedule and the children (default: random, printed)
//   JOURNEY_SCHED_KEEP=1 keep the data folders (they are always kept on failure)
#define BOOST_TEST_MODULE scheduler_crash
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "journey/adapters/delivery.h"
#include "journey/engine/scheduler.h"
#include "journey/storage/rocksdb_event_log.h"
#include "journey/test/child_process.h"

#ifndef JOURNEY_SCHEDULER_CRASH_CHILD
#error "JOURNEY_SCHEDULER_CRASH_CHILD must name the child executable (set by CMake)"
#endif

namespace fs = std::filesystem;
using namespace journey;
using namespace journey::engine;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

// Monday 2 February 2026, 07:30 in Stockholm (06:30 UTC): half an hour before
// the first send time of a working week.
const std::int64_t kVirtualStartS = std::chrono::duration_cast<std::chrono::seconds>(
                                        (date::sys_days(date::year(2026) / 2 / 2) +
                                         std::chrono::hours(6) + std::chrono::minutes(30))
                                            .time_since_epoch())
                                        .count();
// The final run goes on to at least this far (virtual) if the killed runs did
// not get there: three weeks, past the first two hires' first days.
const std::int64_t kFinalEndS = kVirtualStartS + 21 * 86400;
const char* kSenderDomain = "kommun.example";
constexpr int kMaxAttempts = 8;  // SchedulerConfig's default, which the child uses

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  BOOST_REQUIRE_MESSAGE(end != v && *end == '\0', name << " is not a number: " << v);
  return n;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail(const std::string& s, std::size_t n = 4000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// ---- the SMTP server -----------------------------------------------------------

// smtp_server.py serve on 127.0.0.1:<free port>, storing into `spool`. It dies
// with the test: stopped in the destructor, and it exits by itself when its
// stdin (a pipe we hold) closes.
class SmtpServer {
 public:
  SmtpServer(const fs::path& spool, const fs::path& log, std::vector<std::string> options)
      : spool_(spool), log_(log) {
    fs::create_directories(spool_);
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    std::vector<std::string> args{
        JOURNEY_SYSTEM_PYTHON, "-B", JOURNEY_SMTP_SERVER_SCRIPT, "serve", "--spool",
        spool_.string()};
    args.insert(args.end(), options.begin(), options.end());
    std::string failure;
    try {
      pid_ = test::spawn(args, in[0], out[1], log_.string());
    } catch (const std::exception& e) {
      failure = e.what();
    }
    close(in[0]);
    close(out[1]);
    if (!failure.empty()) {
      close(in[1]);
      close(out[0]);
      pid_ = -1;
      BOOST_FAIL(failure);
    }
    stdin_ = in[1];
    port_ = read_port(out[0]);
    close(out[0]);
    if (port_ <= 0) {
      stop();
      BOOST_FAIL("smtp_server.py did not report a port; its log:\n" << tail(slurp(log_)));
    }
  }
  ~SmtpServer() { stop(); }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;
  int port() const { return port_; }

  void stop() {
    if (stdin_ >= 0) {
      close(stdin_);
      stdin_ = -1;
    }
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = Steady::now() + 5s;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (Steady::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    pid_ = -1;
  }

 private:
  static int read_port(int fd) {
    std::string line;
    const auto deadline = Steady::now() + 60s;  // python start-up on a busy machine
    while (line.find('\n') == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
      if (left <= 0ms) return -1;
      pollfd p{fd, POLLIN, 0};
      const int r = poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return -1;
      char buf[64];
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return -1;
      line.append(buf, static_cast<std::size_t>(n));
    }
    try {
      return std::stoi(line);
    } catch (...) {
      return -1;
    }
  }

  fs::path spool_, log_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = -1;
};

// One message as the server stored it.
struct Received {
  fs::path file;
  std::string raw;         // the DATA bytes, dot-unstuffed
  std::string message_id;  // the notification's id: Message-ID without <> and @domain
  std::string domain;
  int reply = 0;  // what the server answered after DATA (250, 451, ...)
};

// The value of header `name` (unfolded: continuation lines joined, CRLFs kept
// out), or nullopt. Only the header section is searched.
std::optional<std::string> header(const std::string& raw, const std::string& name,
                                  std::string* raw_lines = nullptr) {
  const std::size_t end = raw.find("\r\n\r\n");
  const std::string head = raw.substr(0, end == std::string::npos ? raw.size() : end + 2);
  std::size_t at = 0;
  while (at < head.size()) {
    std::size_t eol = head.find("\r\n", at);
    if (eol == std::string::npos) eol = head.size();
    if (head.compare(at, name.size() + 1, name + ":") == 0) {
      std::string value = head.substr(at + name.size() + 1, eol - at - name.size() - 1);
      std::size_t next = eol + 2;
      while (next < head.size() && (head[next] == ' ' || head[next] == '\t')) {
        std::size_t e2 = head.find("\r\n", next);
        if (e2 == std::string::npos) e2 = head.size();
        value += head.substr(next, e2 - next);
        next = e2 + 2;
      }
      if (raw_lines) *raw_lines = head.substr(at, std::min(next, head.size()) - at);
      const std::size_t first = value.find_first_not_of(" \t");
      return first == std::string::npos ? std::string() : value.substr(first);
    }
    at = eol + 2;
  }
  return std::nullopt;
}

std::string body_of(const std::string& raw) {
  const std::size_t end = raw.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : raw.substr(end + 4);
}

// The message without its Date header line (each attempt is dated anew).
std::string without_date(const std::string& raw) {
  std::string lines;
  if (!header(raw, "Date", &lines)) return raw;
  std::string out = raw;
  out.erase(out.find(lines), lines.size());
  return out;
}

// Every message in the spool folders, in arrival order per folder.
std::vector<Received> read_spools(const std::vector<fs::path>& spools) {
  std::vector<Received> out;
  for (const auto& spool : spools) {
    if (!fs::exists(spool)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(spool))
      if (e.path().extension() == ".eml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      Received r;
      r.file = f;
      r.raw = slurp(f);
      if (auto id = header(r.raw, "Message-ID")) {
        std::string v = *id;
        if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
        const std::size_t at = v.find('@');
        r.message_id = v.substr(0, at);
        r.domain = at == std::string::npos ? "" : v.substr(at + 1);
      }
      // json.dumps(meta): ..."reply": "250 2.0.0 OK ..."... The .json is renamed
      // into place before the .eml, so it is there.
      fs::path meta = f;
      meta.replace_extension(".json");
      const std::string m = slurp(meta);
      const std::size_t at = m.find("\"reply\": \"");
      if (at != std::string::npos) r.reply = std::atoi(m.c_str() + at + 10);
      out.push_back(std::move(r));
    }
  }
  return out;
}

// ---- the child ---------------------------------------------------------------

struct ChildRun {
  bool ready = false;              // it said "R": set-up done
  std::vector<std::string> lines;  // complete lines
  int ticks = 0, office_ticks = 0, sends = 0, records = 0, completions = 0;
  std::vector<std::string> sent_ids;  // S lines, in order
  bool killed = false;                // ended by our SIGKILL
  bool killed_on_send = false;        // by the aimed kill on an S line, not its fallback
  int exit_status = -1;               // when it exited by itself
  std::string how_it_ended;
  std::string final_line;  // "F ..." of a --final run
};

struct KillPlan {
  enum class Kind {
    after_fork,
    after_ready,
    after_sends,
    after_records,
    none
  } kind = Kind::after_ready;
  // after_fork: from fork; after_ready: from "R" (or from fork if it does not
  // come within a minute); after_sends, after_records: the fallback, from "R"
  // too, so that a slow start-up (a sanitizer build) does not use it up
  std::chrono::milliseconds delay{0};
  int nth = 1;  // after_sends: kill on this S line; after_records: on this A line
  std::chrono::seconds give_up{600};  // none: kill (and fail) after this long
};

ChildRun run_child(const std::vector<std::string>& args, const fs::path& stderr_path,
                   const KillPlan& plan) {
  ChildRun out;
  // Everything is built before fork(): between fork and exec only
  // async-signal-safe calls (the parent may have RocksDB threads).
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& s : copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int fds[2];
  if (err < 0 || pipe2(fds, O_CLOEXEC) != 0) {
    out.how_it_ended = std::string("cannot set up the child: ") + std::strerror(errno);
    return out;
  }
  const auto started = Steady::now();
  auto deadline =
      started + (plan.kind == KillPlan::Kind::none         ? Steady::duration(plan.give_up)
                 : plan.kind == KillPlan::Kind::after_fork ? Steady::duration(plan.delay)
                                                           : Steady::duration(60s));
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  close(err);
  if (pid < 0) {
    close(fds[0]);
    out.how_it_ended = std::string("fork: ") + std::strerror(errno);
    return out;
  }

  std::string buf;
  char chunk[65536];
  bool sent_kill = false;
  auto kill_now = [&] {
    if (!sent_kill) kill(pid, SIGKILL);
    sent_kill = true;
  };
  for (bool eof = false; !eof;) {
    int timeout_ms = -1;
    if (!sent_kill) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
      if (left.count() <= 0) {
        kill_now();
      } else {
        timeout_ms = static_cast<int>(left.count()) + 1;
      }
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
      continue;
    }
    buf.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (line.rfind("R ", 0) == 0) {
        out.ready = true;
        if (plan.kind != KillPlan::Kind::after_fork && plan.kind != KillPlan::Kind::none) {
          deadline = Steady::now() + plan.delay;
        }
      } else if (line.rfind("T ", 0) == 0) {
        ++out.ticks;
        std::istringstream in(line);
        std::string t, n_, now, office;
        in >> t >> n_ >> now >> office;
        out.office_ticks += office == "1";
      } else if (line.rfind("S ", 0) == 0) {
        ++out.sends;
        std::istringstream in(line);
        std::string s, id;
        in >> s >> id;
        out.sent_ids.push_back(id);
        if (plan.kind == KillPlan::Kind::after_sends && out.sends == plan.nth && !sent_kill) {
          kill_now();
          out.killed_on_send = true;
        }
      } else if (line.rfind("A ", 0) == 0) {
        ++out.records;
        if (plan.kind == KillPlan::Kind::after_records && out.records == plan.nth) kill_now();
      } else if (line.rfind("C ", 0) == 0) {
        ++out.completions;
      } else if (line.rfind("F ", 0) == 0) {
        out.final_line = line;
      }
      out.lines.push_back(std::move(line));
    }
  }
  close(fds[0]);
  if (!sent_kill && plan.kind != KillPlan::Kind::none)
    kill_now();  // it ended its output early: make sure
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    out.killed = sent_kill && WTERMSIG(status) == SIGKILL;
    out.how_it_ended = std::string("signal ") + strsignal(WTERMSIG(status));
  } else if (WIFEXITED(status)) {
    out.exit_status = WEXITSTATUS(status);
    out.how_it_ended = "exit status " + std::to_string(out.exit_status);
  }
  return out;
}

// ---- what the log says -----------------------------------------------------------

struct Decided {
  NotificationRecord record;      // the owner's: the whole message
  std::set<std::string> streams;  // hire streams that recorded it
  std::uint64_t first_position = 0;
  // Every stream's record, to compare with what the owner's implies.
  std::vector<std::tuple<std::uint64_t, std::string, std::string>> copies;  // position, hire, bytes
};

struct LogView {
  std::map<std::string, Decided> decided;  // by message id
  // (message id, hire stream, channel) -> attempts in stream order
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<DeliveryRecord>> attempts;
  std::vector<std::string> problems;  // contradictions found while reading
  std::vector<std::string> hires;
  std::size_t delivery_records = 0, retry_records = 0, catch_up = 0;
};

LogView read_log(JourneyEngine& engine) {
  LogView v;
  v.hires = engine.hires();
  for (const auto& hire : v.hires) {
    const auto loaded = engine.load(hire);
    if (!loaded) {
      v.problems.push_back("hire " + hire + " is listed but does not load");
      continue;
    }
    for (const auto& e : loaded->notifications) {
      if (e.type == kNotificationDecided) {
        NotificationRecord n = decode_notification(e.payload);
        Decided& d = v.decided[n.message_id];
        d.copies.emplace_back(e.position.value, hire, e.payload);
        if (!d.streams.insert(hire).second)
          v.problems.push_back("message " + n.message_id + " is decided twice on " + hire);
      } else if (e.type == kDeliveryAttempted) {
        DeliveryRecord d = decode_delivery(e.payload);
        ++v.delivery_records;
        v.retry_records += d.outcome == "retry";
        v.attempts[{d.message_id, hire, d.channel}].push_back(std::move(d));
      }
    }
  }
  // The first record of a message is its owner's, the whole message; every
  // other stream holds exactly the copy the owner's implies (scheduler.h).
  for (auto& [id, d] : v.decided) {
    std::sort(d.copies.begin(), d.copies.end());
    const auto& [position, owner, bytes] = d.copies.front();
    d.record = decode_notification(bytes);
    d.first_position = position;
    v.catch_up += d.record.catch_up;
    if (d.record.hire_ids.empty() || d.record.hire_ids.front() != owner)
      v.problems.push_back("message " + id + " is first recorded on " + owner +
                           ", not on the first hire it names");
    for (std::size_t i = 1; i < d.copies.size(); ++i) {
      const auto& [p, hire, b] = d.copies[i];
      if (b != encode_notification(notification_copy_for(d.record, hire)))
        v.problems.push_back("message " + id + " is recorded differently on " + hire +
                             " than its owner's record implies");
    }
  }
  return v;
}

struct OpenLog {
  VirtualClock clock;
  std::unique_ptr<storage::EventLog> log;
  std::unique_ptr<JourneyEngine> engine;
  OpenLog(const fs::path& dir, TimePoint now) : clock(now) {
    auto opened = storage::open_rocksdb_event_log(storage::RocksDbOptions{dir / "log"}, clock);
    BOOST_REQUIRE_MESSAGE(opened.ok(),
                          "cannot open the log: " << (opened.ok() ? "" : opened.error().message));
    log = std::move(opened.value());
    engine = std::make_unique<JourneyEngine>(*log, clock);
  }
};

// What the child would send for a decided record (scheduler.cc, deliver()).
std::string render_decided(const NotificationRecord& n) {
  adapters::MailMessage m;
  m.message_id = n.message_id + "@" + kSenderDomain;
  m.from = {"Journey", std::string("journey@") + kSenderDomain};
  m.to = {n.to_name, n.to_email};
  m.subject = n.subject;
  m.text = n.body;
  m.language = n.language;
  return adapters::render_mime(m);
}

std::int64_t read_virtual_time(const fs::path& dir) {
  std::ifstream in(dir / "virtual-time");
  std::int64_t v = 0;
  in >> v;
  return v;
}

// ---- the scenario ---------------------------------------------------------------

struct Scenario {
  std::string name;
  std::uint64_t kills = 30;
  std::uint64_t seed = 1;
  // Servers to run, one after another: (first round, options). A server is
  // replaced at the start of the round named; each gets its own spool folder.
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> servers;
};

struct Totals {
  std::uint64_t kills = 0, aimed_sends = 0, landed_on_send = 0, aimed_records = 0, downtimes = 0,
                in_start_up = 0, ticks = 0, office_ticks = 0, sends_reported = 0, completions = 0;
  std::size_t decided = 0, received = 0, accepted = 0, duplicates = 0, refused_copies = 0,
              retry_records = 0, catch_up = 0, multi_hire = 0;
};

class Run {
 public:
  explicit Run(Scenario s) : s_(std::move(s)) {
    std::random_device rd;
    dir_ =
        fs::temp_directory_path() / ("journey-sched-crash-" + s_.name + "-" + std::to_string(rd()));
    fs::create_directories(dir_);
    BOOST_TEST_MESSAGE(s_.name << ": seed " << s_.seed << ", " << s_.kills << " kills, data in "
                               << dir_);
  }
  ~Run() {
    const bool keep = env_u64("JOURNEY_SCHED_KEEP", 0) != 0;
    const auto id = boost::unit_test::framework::current_test_case().p_id;
    if (!keep && boost::unit_test::results_collector.results(id).passed()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    } else {
      BOOST_TEST_MESSAGE(s_.name << ": data kept in " << dir_);
    }
  }

  Totals go() {
    std::mt19937_64 rng(s_.seed);
    std::size_t next_server = 0;
    std::unique_ptr<SmtpServer> server;
    auto start_server = [&](std::size_t i) {
      server.reset();
      spools_.push_back(dir_ / ("spool-" + std::to_string(i)));
      server = std::make_unique<SmtpServer>(
          spools_.back(), dir_ / ("server-" + std::to_string(i) + ".log"), s_.servers[i].second);
    };
    for (std::uint64_t round = 0; round < s_.kills; ++round) {
      while (next_server < s_.servers.size() && s_.servers[next_server].first <= round)
        start_server(next_server++);
      KillPlan plan;
      if (rng() % 2 == 0) {
        plan.kind = rng() % 4 == 0 ? KillPlan::Kind::after_fork : KillPlan::Kind::after_ready;
        plan.delay = std::chrono::milliseconds(50 + rng() % 351);
      } else {
        // Aimed, while the child lingers: on the 1st-3rd send, or on the 1st-8th
        // record. If none comes (nights, weekends), a random kill after a
        // virtual day or so.
        if (rng() % 3 != 0) {
          plan.kind = KillPlan::Kind::after_sends;
          plan.nth = 1 + static_cast<int>(rng() % 3);
          ++t_.aimed_sends;
        } else {
          plan.kind = KillPlan::Kind::after_records;
          plan.nth = 1 + static_cast<int>(rng() % 8);
          ++t_.aimed_records;
        }
        plan.delay = std::chrono::milliseconds(600 + rng() % 1400);
      }
      std::vector<std::string> args = child_args(server->port(), s_.seed * 1000 + round);
      if (plan.kind == KillPlan::Kind::after_sends || plan.kind == KillPlan::Kind::after_records) {
        args.push_back("--linger-ms");
        args.push_back("40");
      }
      if (round > 0 && rng() % 5 == 0) {
        const std::uint64_t minutes = 60 + rng() % (3 * 24 * 60 - 60);
        args.push_back("--downtime-min");
        args.push_back(std::to_string(minutes));
        ++t_.downtimes;
      }
      const ChildRun r = run_child(args, dir_ / "child.log", plan);
      BOOST_REQUIRE_MESSAGE(r.killed, s_.name << " round " << round
                                              << ": the child was not killed by us but ended by "
                                              << r.how_it_ended << "; its stderr:\n"
                                              << tail(slurp(dir_ / "child.log")));
      ++t_.kills;
      t_.landed_on_send += r.killed_on_send;
      t_.in_start_up += !r.ready;
      t_.ticks += static_cast<std::uint64_t>(r.ticks);
      t_.office_ticks += static_cast<std::uint64_t>(r.office_ticks);
      t_.sends_reported += static_cast<std::uint64_t>(r.sends);
      t_.completions += static_cast<std::uint64_t>(r.completions);
      check_sent_only_what_was_decided(round);
    }
    // Servers not started yet (a scenario with more servers than rounds) are skipped;
    // the final run uses the last one.
    if (!server) start_server(next_server++);

    KillPlan none;
    none.kind = KillPlan::Kind::none;
    none.give_up = 240s;
    std::vector<std::string> args = child_args(server->port(), s_.seed * 1000 + 999);
    args.insert(args.end(), {"--final", std::to_string(kFinalEndS), "--max-real-s", "200"});
    const ChildRun last = run_child(args, dir_ / "child.log", none);
    BOOST_REQUIRE_MESSAGE(last.exit_status == 0 && !last.final_line.empty(),
                          s_.name << ": the final catch-up ended by " << last.how_it_ended
                                  << "; its stderr:\n"
                                  << tail(slurp(dir_ / "child.log")));
    t_.ticks += static_cast<std::uint64_t>(last.ticks);
    t_.office_ticks += static_cast<std::uint64_t>(last.office_ticks);
    t_.sends_reported += static_cast<std::uint64_t>(last.sends);
    server.reset();  // every stored message is complete: files are renamed into place
    check_final(last);
    return t_;
  }

 private:
  std::vector<std::string> child_args(int port, std::uint64_t seed) const {
    return {JOURNEY_SCHEDULER_CRASH_CHILD, (dir_ / "data").string(), std::to_string(port),
            std::to_string(seed), std::to_string(kVirtualStartS)};
  }

  // Decided before sent: whatever the server holds after a kill is in the log.
  void check_sent_only_what_was_decided(std::uint64_t round) {
    if (!fs::exists(dir_ / "data" / "log")) return;  // killed before the log existed
    const auto received = read_spools(spools_);
    if (received.empty()) return;
    OpenLog open(dir_ / "data",
                 TimePoint(std::chrono::microseconds(read_virtual_time(dir_ / "data"))));
    const LogView v = read_log(*open.engine);
    for (const auto& r : received) {
      BOOST_CHECK_MESSAGE(v.decided.count(r.message_id) == 1,
                          s_.name << " after kill " << round << ": the server received "
                                  << r.file.filename() << " (" << r.message_id
                                  << ") but the log has no NotificationDecided for it");
    }
  }

  void check_final(const ChildRun& last) {
    const std::int64_t final_us = read_virtual_time(dir_ / "data");
    const TimePoint final_now{std::chrono::microseconds(final_us)};
    OpenLog open(dir_ / "data", final_now);
    const LogView v = read_log(*open.engine);
    for (const auto& p : v.problems) BOOST_ERROR(s_.name << ": " << p);
    const auto received = read_spools(spools_);

    t_.decided = v.decided.size();
    t_.received = received.size();
    t_.retry_records = v.retry_records;
    t_.catch_up = v.catch_up;
    BOOST_TEST_REQUIRE(t_.decided > 0u,
                       s_.name << ": nothing was ever decided; the scenario does not work");

    // 2. Every received message is a decided one, as it was decided.
    std::map<std::string, std::vector<const Received*>> accepted;
    for (const auto& r : received) {
      if (r.reply == 250) {
        accepted[r.message_id].push_back(&r);
      } else {
        ++t_.refused_copies;
      }
      auto d = v.decided.find(r.message_id);
      if (d == v.decided.end()) {
        BOOST_ERROR(s_.name << ": " << r.file << " (Message-ID " << r.message_id
                            << ") was sent but never recorded as decided");
        continue;
      }
      BOOST_CHECK_MESSAGE(r.domain == kSenderDomain,
                          s_.name << ": " << r.file << " has Message-ID domain " << r.domain);
      BOOST_CHECK_MESSAGE(without_date(r.raw) == without_date(render_decided(d->second.record)),
                          s_.name << ": " << r.file << " is not the message decided as "
                                  << r.message_id << "; received:\n"
                                  << r.raw << "\nrecorded renders to:\n"
                                  << render_decided(d->second.record));
    }

    // 1. Every decided message arrived.
    for (const auto& [id, d] : v.decided) {
      BOOST_CHECK_MESSAGE(accepted.count(id) == 1,
                          s_.name << ": message " << id << " to " << d.record.to_email
                                  << " (reminders " << d.record.reminder_ids.size() << ", first "
                                  << d.record.reminder_ids.front()
                                  << ") was decided but never arrived");
      t_.multi_hire += d.record.hire_ids.size() > 1;
    }
    t_.accepted = 0;
    // 3. A duplicate is the same message.
    for (const auto& [id, copies] : accepted) {
      t_.accepted += copies.size();
      t_.duplicates += copies.size() - 1;
      std::string subject0;
      header(copies.front()->raw, "Subject", &subject0);
      for (std::size_t i = 1; i < copies.size(); ++i) {
        std::string subject;
        header(copies[i]->raw, "Subject", &subject);
        BOOST_CHECK_MESSAGE(
            subject == subject0 && body_of(copies[i]->raw) == body_of(copies.front()->raw),
            s_.name << ": " << copies[i]->file << " and " << copies.front()->file
                    << " share Message-ID " << id << " but differ");
      }
    }

    // 4. Every decided message's last attempt is "delivered", on every stream
    //    that recorded it; every hire it concerns recorded it.
    for (const auto& [id, d] : v.decided) {
      for (const auto& hire : d.record.hire_ids) {
        BOOST_CHECK_MESSAGE(d.streams.count(hire) == 1,
                            s_.name << ": message " << id << " concerns " << hire
                                    << " but that hire's stream has no NotificationDecided for it");
      }
      const std::vector<std::string> channels = d.record.channels.empty()
                                                    ? std::vector<std::string>{d.record.channel}
                                                    : d.record.channels;
      for (const auto& [hire, channel] : [&] {
             std::vector<std::pair<std::string, std::string>> all;
             for (const auto& h : d.streams)
               for (const auto& c : channels) all.push_back({h, c});
             return all;
           }()) {
        auto a = v.attempts.find({id, hire, channel});
        const bool delivered = a != v.attempts.end() && a->second.back().outcome == "delivered";
        BOOST_CHECK_MESSAGE(
            delivered,
            s_.name << ": message " << id << " (" << channel << ") on " << hire << " has "
                    << (a == v.attempts.end() ? std::string("no attempt recorded")
                                              : "last attempt '" + a->second.back().outcome + "'")
                    << ", not a final 'delivered'");
        if (a != v.attempts.end()) {
          for (const auto& attempt : a->second)
            BOOST_CHECK_MESSAGE(attempt.outcome == "delivered" || attempt.outcome == "retry",
                                s_.name << ": message " << id << " attempt " << attempt.attempt
                                        << " was '" << attempt.outcome << "' (" << attempt.code
                                        << " " << attempt.detail << ")");
        }
      }
    }
    for (const auto& [key, list] : v.attempts) {
      BOOST_CHECK_MESSAGE(v.decided.count(std::get<0>(key)) == 1,
                          s_.name << ": " << std::get<1>(key) << " records an attempt of "
                                  << std::get<0>(key) << " that was never decided");
    }

    // 5. A reminder is decided once, and a message's id is its reminders' id.
    std::map<std::string, std::string> reminder_to_message;
    std::size_t reminders = 0;
    for (const auto& [id, d] : v.decided) {
      BOOST_CHECK_MESSAGE(
          message_id_for(d.record.reminder_ids) == id,
          s_.name << ": message " << id << " does not carry the id of its reminders");
      for (const auto& r : d.record.reminder_ids) {
        ++reminders;
        auto [it, fresh] = reminder_to_message.emplace(r, id);
        BOOST_CHECK_MESSAGE(fresh || it->second == id,
                            s_.name << ": reminder " << r << " was decided in message "
                                    << it->second << " and again in " << id);
      }
    }

    // 6. The log is whole.
    auto report = open.log->verify();
    BOOST_REQUIRE_MESSAGE(report.ok(),
                          s_.name << ": verify(): " << (report.ok() ? "" : report.error().message));
    BOOST_CHECK_MESSAGE(report->ok(), s_.name << ": verify() found a problem at "
                                              << (report->first_bad ? report->first_bad->value : 0)
                                              << ": " << report->problem);
    BOOST_CHECK_MESSAGE(report->events_checked == open.log->head().value,
                        s_.name << ": verify() checked " << report->events_checked
                                << " events, head is " << open.log->head().value);

    // 7. Nothing due was lost before being decided: every reminder the plan
    //    holds at the end whose send time has passed, within the catch-up
    //    window and after registration, was decided.
    const MunicipalTime municipal(std::chrono::hours(8));
    const date::sys_days today = municipal.local_date(final_now);
    const TimePoint oldest =
        final_now - std::chrono::hours(24 * 14);  // SchedulerConfig::catch_up_days
    std::size_t due_checked = 0;
    for (const auto& hire : v.hires) {
      const auto loaded = open.engine->load(hire);
      if (!loaded) continue;
      const HireStatus status = project_status(hire, loaded->machine, today);
      for (const auto& r : plan_reminders(status, *loaded->programme, loaded->registered_on)) {
        if (r.fire_on < loaded->registered_on) continue;
        const TimePoint send = municipal.send_time(r.fire_on);
        if (send > final_now || send < oldest) continue;
        ++due_checked;
        BOOST_CHECK_MESSAGE(reminder_to_message.count(r.id) == 1,
                            s_.name << ": reminder " << r.id << " (" << kind_id(r.kind)
                                    << ", fire on " << date::year_month_day(r.fire_on)
                                    << ") was due at " << send.time_since_epoch().count()
                                    << " us but never decided; final time " << final_us << " us");
      }
    }

    std::ostringstream s;
    s << s_.name << " (seed " << s_.seed << "): " << t_.kills << " kills (" << t_.aimed_sends
      << " aimed after a send, " << t_.landed_on_send << " of them on a send, " << t_.aimed_records
      << " after a record, " << t_.in_start_up << " in start-up), " << t_.downtimes
      << " restarts after downtime, " << t_.ticks << " ticks (" << t_.office_ticks
      << " in office hours), " << t_.completions << " checklist items completed, " << v.hires.size()
      << " hires; " << t_.decided << " messages decided (" << reminders << " reminders, "
      << t_.catch_up << " catch-up, " << t_.multi_hire << " for several hires), " << t_.received
      << " received by the server (" << t_.accepted << " accepted, " << t_.refused_copies
      << " answered 4xx), " << t_.duplicates << " duplicates, " << t_.retry_records
      << " retries recorded, " << v.delivery_records << " attempts recorded; " << due_checked
      << " due reminders checked against the plan; final virtual time "
      << date::format("%F %H:%M", std::chrono::time_point_cast<std::chrono::seconds>(final_now))
      << " UTC (" << last.final_line << ")";
    BOOST_TEST_MESSAGE(s.str());
  }

  Scenario s_;
  fs::path dir_;
  std::vector<fs::path> spools_;
  Totals t_;
};

std::uint64_t seed_from_env() {
  std::uint64_t seed = env_u64("JOURNEY_SCHED_SEED", 0);
  if (seed == 0) seed = std::random_device{}() % 1'000'000 + 1;
  return seed;
}

}  // namespace

BOOST_AUTO_TEST_CASE(EveryDecidedReminderArrivesAfterSigkills) {
  Scenario s;
  s.name = "sigkill";
  s.kills = env_u64("JOURNEY_SCHED_KILLS", 30);
  s.seed = seed_from_env();
  s.servers = {{0, {}}};
  const Totals t = Run(s).go();
  // The point is the window between sending and recording: with enough aimed
  // kills, some must have landed in it, and each that did leaves a message the
  // server has but the log does not know was delivered: it is sent again.
  if (t.aimed_sends >= 5) {
    BOOST_CHECK_MESSAGE(t.landed_on_send > 0, "no kill landed between sending and recording (seed "
                                                  << s.seed << "): the test did not test");
  }
  if (t.landed_on_send > 0) {
    BOOST_CHECK_MESSAGE(t.duplicates > 0, t.landed_on_send
                                              << " kills landed between sending and recording, "
                                                 "yet no message was sent twice (seed "
                                              << s.seed << ")");
  }
}

BOOST_AUTO_TEST_CASE(RetriesAfter451SurviveSigkills) {
  Scenario s;
  s.name = "sigkill-451";
  s.kills = env_u64("JOURNEY_SCHED_KILLS", 30);
  s.seed = seed_from_env() + 1;
  // A new server every quarter of the rounds, each answering 451 after DATA to
  // its first few transactions: 2 + 2 + 2 + 1 = max_attempts - 1 refusals in
  // all, so no message can be dead-lettered, and a retry can be pending at any
  // kill of the round that meets a fresh server.
  static_assert(kMaxAttempts - 1 == 7, "the fault budget below must stay under max_attempts");
  const std::string reply = "451 4.3.0 Try again later";
  s.servers = {{0, {"--data-reply", reply, "--fault-count", "2"}},
               {s.kills / 4, {"--data-reply", reply, "--fault-count", "2"}},
               {s.kills / 2, {"--data-reply", reply, "--fault-count", "2"}},
               {3 * s.kills / 4, {"--data-reply", reply, "--fault-count", "1"}}};
  const Totals t = Run(s).go();
  BOOST_CHECK_MESSAGE(t.refused_copies > 0,
                      "the server never answered 451: no retry was exercised");
  BOOST_CHECK_MESSAGE(t.retry_records > 0, "no retry was recorded");
}
