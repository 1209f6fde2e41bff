// journey_smtp_bench: e-mails per second from adapters::SmtpTransport to the
// local test SMTP server (adapters/mail/smtp_server.py: aiosmtpd, plain SMTP,
// no STARTTLS, no AUTH, on 127.0.0.1 only). A program that prints figures, not
// a test.
//
// The messages are the ones the scheduler really sends: a RocksDB log in a
// temporary folder, the GR programme, --units units with contacts and --hires
// hires (first days 2 to 13 weeks ahead) who do nothing, then the real
// ReminderScheduler ticks at 09:00 on each of --days virtual days, rendering
// through the shipped Swedish templates (task lists, before, on the day,
// overdue, escalations, introducer-hours shortfalls), into a transport that
// only keeps the MailMessage. --messages of them, evenly spread over all that
// was composed (so the mix of kinds is kept), are sent in every run (cycled,
// with a suffixed Message-ID, if fewer were composed).
//
// Runs, against one server started for the benchmark (killed at the end):
//   sequential   one SmtpTransport (one reused connection), one thread
//   parallel     --threads threads, each with its own SmtpTransport; message i
//                goes to thread i % threads
// Each reports e-mails/s (messages / wall time from the first send to the last
// reply), the send() latency p50/p99/max, the first send (connect + EHLO), the
// outcomes (all must be "delivered"), the files the server stored, and the CPU
// seconds of the server process and of this one over the run (the server is a
// single-threaded Python asyncio loop, and fsyncs two files per message; its
// CPU share shows whether it, rather than the client, is the bottleneck).
//
// The spool (where the server writes) is a new folder under --spool-in
// (default: the benchmark's temporary folder under $TMPDIR or /tmp), removed at
// the end; --spool-in /dev/shm (a tmpfs) takes the cost of the server's fsyncs out.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "journey/adapters/delivery.h"
#include "journey/adapters/smtp_transport.h"
#include "journey/engine/journey_engine.h"
#include "journey/engine/scheduler.h"
#include "journey/storage/rocksdb_event_log.h"
#include "journey/test/child_process.h"

namespace fs = std::filesystem;
namespace st = journey::storage;
namespace wf = journey::workflows;
namespace en = journey::engine;
namespace ad = journey::adapters;
using date::days;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Config {
  int messages = 2000;
  int threads = 4;
  int hires = 30;
  int units = 10;
  int days = 100;
  std::string spool_in;
  std::vector<std::string> runs{"sequential", "parallel"};
};

double cpu_seconds(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// utime + stime of a process, in seconds.
double process_cpu(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream is(s.substr(close + 2));
  std::string field;
  std::vector<std::string> fields;
  while (is >> field) fields.push_back(field);
  // After "pid (comm) ": state is field 3, utime 14, stime 15 -> indices 11, 12.
  if (fields.size() < 13) return -1;
  return (std::stod(fields[11]) + std::stod(fields[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100.0 * static_cast<double>(v.size());
  std::size_t i = rank <= 1 ? 0 : static_cast<std::size_t>(std::ceil(rank)) - 1;
  return v[std::min(i, v.size() - 1)];
}

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

date::sys_days ymd(int y, unsigned m, unsigned d) { return date::sys_days(date::year(y) / m / d); }

// ---------------------------------------------------------------------------
// The server

class SmtpServer {
 public:
  SmtpServer(const fs::path& spool, const fs::path& log) : spool_(spool) {
    fs::create_directories(spool);
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    std::vector<std::string> args{
        JOURNEY_SYSTEM_PYTHON, "-B", JOURNEY_SMTP_SERVER_SCRIPT, "serve", "--spool",
        spool.string()};
    // Started as the tests start it (tests/support: posix_spawn, an
    // environment in which /usr/bin/python3 sees python3-aiosmtpd).
    std::string failure;
    try {
      pid_ = journey::test::spawn(args, in[0], out[1], log.string());
    } catch (const std::exception& e) {
      failure = e.what();
    }
    close(in[0]);
    close(out[1]);
    if (!failure.empty()) throw std::runtime_error("cannot start the SMTP server: " + failure);
    stdin_ = in[1];  // the server exits when this closes
    port_ = read_port(out[0]);
    close(out[0]);
    if (port_ <= 0) {
      stop();
      throw std::runtime_error("smtp_server.py did not report a port; its log:\n" + read_text(log));
    }
  }
  ~SmtpServer() { stop(); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::size_t stored() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(spool_)) n += e.path().extension() == ".eml";
    return n;
  }
  void stop() {
    if (stdin_ >= 0) {
      close(stdin_);
      stdin_ = -1;
    }
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (SteadyClock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }

 private:
  static int read_port(int fd) {
    std::string line;
    const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
              .count();
      if (left <= 0) return -1;
      pollfd p{fd, POLLIN, 0};
      const int r = poll(&p, 1, static_cast<int>(left));
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

  fs::path spool_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = -1;
};

// ---------------------------------------------------------------------------
// The messages: what the real scheduler composes

class Capture final : public ad::MailTransport {
 public:
  std::vector<ad::MailMessage> messages;
  ad::DeliveryResult send(const ad::MailMessage& m) override {
    messages.push_back(m);
    return {ad::DeliveryResult::Outcome::delivered, 250, "captured", {}};
  }
};

const char* const kFirst[] = {"Sara", "Ahmed", "Linnéa", "Johan", "Fatima",
                              "Erik", "Maja",  "Omar",   "Åsa",   "Björn"};
const char* const kLast[] = {"Lind", "Hassan", "Berg",     "Nilsson", "Ali",
                             "Ek",   "Holm",   "Sandberg", "Öberg",   "Strömberg"};
const char* const kUnitBase[] = {"Barn och unga Hisingen", "Barn och unga Centrum",
                                 "Barn och unga Nordost", "Barn och unga Sydväst",
                                 "Mottagning barn och unga"};

std::vector<ad::MailMessage> scheduler_messages(const Config& c, const fs::path& dir) {
  const en::MunicipalTime municipal{std::chrono::hours(8)};
  const en::Templates templates = en::Templates::load(JOURNEY_TEMPLATES_DIR);
  const date::sys_days monday = ymd(2027, 2, 1);
  auto at_nine = [&](date::sys_days d) {
    return municipal.to_utc(date::local_days(d.time_since_epoch()) + std::chrono::hours(9));
  };
  journey::VirtualClock clock(at_nine(monday));
  auto log = st::open_rocksdb_event_log({dir / "log"}, clock);
  if (!log) throw std::runtime_error(log.error().message);
  en::JourneyEngine engine(*log.value(), clock);
  const std::string toml = read_text(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
  if (!engine.publish_programme(toml, "gr-forsta-aren.toml", "bench").ok())
    throw std::runtime_error("publish");
  auto unit_name = [](int u) {
    return std::string(kUnitBase[u % 5]) + " " + std::to_string(u / 5 + 1);
  };
  for (int u = 0; u < c.units; ++u) {
    const std::string n = std::to_string(u + 1);
    en::UnitContacts uc{
        unit_name(u),
        {"Anna Berg", "enhetschef" + n + "@kommun.example", wf::Language::sv, false},
        {"Omar Ali", "administrator" + n + "@kommun.example", wf::Language::sv, false},
        en::Contact{"Ingrid Ek", "ifo-chef" + n + "@kommun.example", wf::Language::sv, false}};
    if (!engine.set_unit(uc, {"bench", "", std::nullopt}).ok())
      throw std::runtime_error("set_unit");
  }
  for (int i = 0; i < c.hires; ++i) {
    en::RegisterHire cmd;
    cmd.name = std::string(kFirst[i % 10]) + " " + kLast[(i / 10) % 10];
    cmd.email = "ny" + std::to_string(i + 1) + "@kommun.example";
    cmd.unit = unit_name(i % c.units);
    cmd.start = wf::format_date(monday + days(7 * (2 + i % 12)));
    cmd.introducer =
        wf::Person{"Karin Ek", "introduktor" + std::to_string(i % 37 + 1) + "@kommun.example"};
    auto o = engine.register_hire(cmd, {"bench", "", std::nullopt});
    if (!o.ok()) throw std::runtime_error("register_hire: " + o.message(wf::Language::en));
  }
  Capture capture;
  en::SchedulerConfig cfg;
  cfg.index_path = dir / "scheduler";
  cfg.sender = {"Journey", "journey@kommun.example"};
  auto kv = st::open_rocksdb_kv(cfg.index_path);
  if (!kv) throw std::runtime_error(kv.error().message);
  en::ReminderScheduler scheduler(engine, municipal, templates, capture, clock, cfg,
                                  std::move(kv.value()));
  const auto t0 = SteadyClock::now();
  for (int day = 0; day < c.days; ++day) {
    clock.set(at_nine(monday + days(day)));
    scheduler.tick();
  }
  std::printf(
      "  the scheduler composed %zu messages for %d hires over %d virtual days (%.1f s, not timed "
      "below)\n",
      capture.messages.size(), c.hires, c.days,
      std::chrono::duration<double>(SteadyClock::now() - t0).count());
  return std::move(capture.messages);
}

// ---------------------------------------------------------------------------
// One run

struct RunResult {
  double wall = 0;
  std::vector<double> latency_ms;
  std::vector<double> first_ms;
  std::map<std::string, int> outcomes;
};

// The template a message came from, by its Swedish subject line.
std::string kind_of(const std::string& subject) {
  static const std::pair<const char*, const char*> prefixes[] = {
      {"Ny medarbetare", "task_list"},
      {"Påminnelse:", "before"},
      {"Idag:", "on_day"},
      {"Försenat:", "overdue"},
      {"Eskalering:", "escalation"},
      {"Introduktörstid", "hours_shortfall"},
      {"Journey:", "digest"}};
  for (const auto& [p, k] : prefixes)
    if (subject.rfind(p, 0) == 0) return k;
  return "other";
}

const char* outcome_name(ad::DeliveryResult::Outcome o) {
  switch (o) {
    case ad::DeliveryResult::Outcome::delivered:
      return "delivered";
    case ad::DeliveryResult::Outcome::retry:
      return "retry";
    case ad::DeliveryResult::Outcome::rejected:
      return "rejected";
    case ad::DeliveryResult::Outcome::gone:
      return "gone";
  }
  return "?";
}

RunResult run(const std::vector<ad::MailMessage>& messages, int threads, const std::string& url) {
  RunResult out;
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
  std::vector<std::map<std::string, int>> outcomes(static_cast<std::size_t>(threads));
  std::vector<std::string> first_error(static_cast<std::size_t>(threads));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  auto work = [&](int t) {
    ad::SmtpConfig cfg;
    cfg.url = url + "/journey-bench";  // EHLO name
    cfg.starttls = ad::SmtpConfig::StartTls::none;
    ad::SmtpTransport transport(cfg);
    ++ready;
    while (!go.load()) std::this_thread::yield();
    for (std::size_t i = static_cast<std::size_t>(t); i < messages.size();
         i += static_cast<std::size_t>(threads)) {
      const auto t0 = SteadyClock::now();
      const auto r = transport.send(messages[i]);
      lat[static_cast<std::size_t>(t)].push_back(
          std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
      ++outcomes[static_cast<std::size_t>(t)][outcome_name(r.outcome)];
      if (r.outcome != ad::DeliveryResult::Outcome::delivered &&
          first_error[static_cast<std::size_t>(t)].empty()) {
        first_error[static_cast<std::size_t>(t)] = std::to_string(r.code) + " " + r.detail;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  while (ready.load() < threads) std::this_thread::yield();
  const auto t0 = SteadyClock::now();
  go = true;
  for (auto& t : pool) t.join();
  out.wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  for (int t = 0; t < threads; ++t) {
    const auto& v = lat[static_cast<std::size_t>(t)];
    if (!v.empty()) out.first_ms.push_back(v.front());
    out.latency_ms.insert(out.latency_ms.end(), v.begin(), v.end());
    for (const auto& [k, n] : outcomes[static_cast<std::size_t>(t)]) out.outcomes[k] += n;
    if (!first_error[static_cast<std::size_t>(t)].empty()) {
      std::printf("  thread %d first failure: %s\n", t,
                  first_error[static_cast<std::size_t>(t)].c_str());
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{
      "journey_smtp_bench: e-mails/s from SmtpTransport to the local aiosmtpd test server"};
  app.add_option("--messages", c.messages, "Messages per run")->capture_default_str();
  app.add_option("--threads", c.threads,
                 "Threads (each with its own transport) in the parallel run")
      ->capture_default_str();
  app.add_option("--hires", c.hires, "Hires whose reminders make the messages")
      ->capture_default_str();
  app.add_option("--units", c.units, "Units")->capture_default_str();
  app.add_option("--days", c.days, "Virtual days of scheduler ticks to compose messages")
      ->capture_default_str();
  app.add_option("--spool-in", c.spool_in,
                 "The server's spool is a new folder in here (default: the temporary folder)");
  app.add_option("--run", c.runs, "sequential, parallel (repeatable; default both)")
      ->check(CLI::IsMember({"sequential", "parallel"}))
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/journey-smtp-bench.XXXXXX";
  if (!mkdtemp(templ.data())) {
    std::perror("mkdtemp");
    return 4;
  }
  const fs::path base = templ;
  fs::path spool_made;
  int rc = 0;
  try {
    std::printf("journey_smtp_bench: %u hardware threads; load average %s; work folder %s\n",
                std::thread::hardware_concurrency(), loadavg().c_str(), base.c_str());
    auto composed = scheduler_messages(c, base / "compose");
    if (composed.empty()) throw std::runtime_error("the scheduler composed no messages");
    // Evenly spread over what was composed (so the mix of kinds is kept); cycled
    // with a suffixed Message-ID if fewer were composed than wanted.
    std::vector<ad::MailMessage> messages;
    const std::size_t n = composed.size(), want = static_cast<std::size_t>(c.messages);
    for (std::size_t i = 0; i < want; ++i) {
      ad::MailMessage m = composed[n >= want ? i * n / want : i % n];
      if (n < want && i >= n) {
        const auto at = m.message_id.find('@');
        m.message_id.insert(at == std::string::npos ? m.message_id.size() : at,
                            "-r" + std::to_string(i));
      }
      messages.push_back(std::move(m));
    }
    std::vector<double> sizes;
    std::map<std::string, int> subjects;
    for (const auto& m : messages) {
      sizes.push_back(static_cast<double>(ad::render_mime(m).size()));
      ++subjects[kind_of(m.subject)];
    }
    std::printf(
        "  %d messages; rendered MIME size p50 %.0f B, max %.0f B, mean %.0f B\n", c.messages,
        percentile(sizes, 50), *std::max_element(sizes.begin(), sizes.end()),
        std::accumulate(sizes.begin(), sizes.end(), 0.0) / static_cast<double>(sizes.size()));
    std::printf("  kinds (by the template's subject line):");
    for (const auto& [k, count] : subjects) std::printf(" %s %d", k.c_str(), count);
    std::printf("\n  e.g. \"%s\"\n", messages.back().subject.c_str());

    fs::path spool = base / "spool";
    if (!c.spool_in.empty()) {
      std::string t = c.spool_in + "/journey-smtp-spool.XXXXXX";
      if (!mkdtemp(t.data())) throw std::runtime_error("cannot create a folder in " + c.spool_in);
      spool = t;
      spool_made = spool;
    }
    SmtpServer server(spool, base / "server.log");
    const std::string url = "smtp://127.0.0.1:" + std::to_string(server.port());
    std::printf(
        "  server: smtp_server.py serve (aiosmtpd, plain, no auth) pid %d on %s, spool %s\n",
        static_cast<int>(server.pid()), url.c_str(), spool.c_str());
    std::size_t expected_stored = 0;
    for (const auto& name : c.runs) {
      const int threads = name == "sequential" ? 1 : c.threads;
      const double server0 = process_cpu(server.pid()),
                   self0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
      const std::string la = loadavg();
      RunResult r = run(messages, threads, url);
      const double server_cpu = process_cpu(server.pid()) - server0;
      const double self_cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - self0;
      expected_stored += static_cast<std::size_t>(r.outcomes["delivered"]);
      std::printf("\n== %s: %d thread%s, %zu messages (load average before %s)\n", name.c_str(),
                  threads, threads == 1 ? "" : "s", messages.size(), la.c_str());
      std::printf("  %.1f e-mails/s (%.3f s wall)\n", static_cast<double>(messages.size()) / r.wall,
                  r.wall);
      std::printf(
          "  send() latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms; first send per transport "
          "(connect + EHLO):",
          percentile(r.latency_ms, 50), percentile(r.latency_ms, 99),
          *std::max_element(r.latency_ms.begin(), r.latency_ms.end()));
      for (double f : r.first_ms) std::printf(" %.1f", f);
      std::printf(" ms\n  outcomes:");
      for (const auto& [k, n] : r.outcomes) std::printf(" %s %d", k.c_str(), n);
      std::printf("; server stored %zu .eml in total (expected %zu)\n", server.stored(),
                  expected_stored);
      std::printf(
          "  cpu over the run: server %.2f s (%.0f %% of one core), this process %.2f s (%.0f "
          "%%)\n",
          server_cpu, 100 * server_cpu / r.wall, self_cpu, 100 * self_cpu / r.wall);
      if (r.outcomes.size() != 1 || !r.outcomes.count("delivered")) rc = 1;
    }
    server.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    rc = 4;
  }
  std::error_code ec;
  fs::remove_all(base, ec);
  if (!spool_made.empty()) fs::remove_all(spool_made, ec);
  return rc;
}
