// journey_scheduler_crash_child: the victim of scheduler_crash_test.cc.
//
//   journey_scheduler_crash_child DATA PORT SEED VIRTUAL_START_S [options]
//
// Runs the real reminder scheduler the way the service does: the RocksDB event
// log in DATA/log, the scheduler's index in DATA/scheduler, the real
// JourneyEngine, the shipped GR programme and templates, MunicipalTime
// (Europe/Stockholm, send hour 08:00, office end 17:00) and SmtpTransport to
// smtp://127.0.0.1:PORT without STARTTLS. It ticks until it is SIGKILLed, or,
// with --final, until it has caught up, and then exits 0.
//
// Every start first makes sure the scenario exists, idempotently (so a kill
// during set-up is just another kill): the programme is published (the same
// text again is a duplicate), the unit's contacts are set and five hires are
// registered, each command under its own idempotency key, with start dates
// 10 to 28 days after the virtual start.
//
// Time: VIRTUAL_START_S (seconds since the epoch) is where virtual time begins
// on the very first run. The clock (StepClock) follows the process's real time
// from the moment set-up is done, speeded up: each real millisecond is
// --office-rate virtual milliseconds inside office hours (Swedish working days,
// 08:00-17:00 local) and --night-rate outside them, so that the nights and
// weekends in which the scheduler does nothing pass quickly. It moves in steps,
// once before each tick, and is constant within a tick. Each new value is
// written to DATA/virtual-time before anything can use it, and a restart
// resumes from that file, so virtual time never goes backwards across kills:
// nothing the dead process did carries a later time than the one the next
// process starts from. Start-up (RocksDB recovery, set-up) takes no virtual
// time; --downtime-min adds some on purpose, as if the service had been down.
//
// Options:
//   --final END_S       tick until virtual time has reached END_S (0: at once)
//                       and then until a tick inside office hours leaves no
//                       decided message without a final delivery outcome and no
//                       timer due; print "F ..." and exit 0. No checklist items
//                       are completed in this mode.
//   --linger-ms N       sleep N ms after each SMTP send, before the scheduler
//                       can record the attempt, and after each append of a
//                       NotificationDecided or DeliveryAttempted, before the
//                       next step: widens the windows the parent aims its
//                       kills at
//   --downtime-min M    before set-up, move virtual time M minutes on: the
//                       scheduler was down that long (missed reminders are
//                       then coalesced into catch-up messages)
//   --office-rate X     virtual per real time inside office hours (default
//                       180000: a real millisecond is three virtual minutes)
//   --night-rate X      virtual per real time outside them (default 900000:
//                       fifteen virtual minutes)
//   --complete-pct P    chance per office-hours tick of completing one open
//                       checklist item through the engine (default 25)
//   --tick-ms N         real sleep between ticks (default 3)
//   --max-real-s N      --final gives up (exit 5) after this long (default 300)
//
// Output, one write(2) per line (a kill leaves at most a torn last line):
//   R <virtual us>                       set-up done, about to tick
//   T <n> <virtual us> <office 0|1> <decided> <delivered> <retried> <failed> <unresolved> <real ms>
//   S <message id> <code> <outcome>      an SMTP transaction ended (printed
//                                        before the scheduler records it)
//   A <type> <stream> <position> <message id>   the log accepted a
//                                        NotificationDecided or DeliveryAttempted
//                                        (printed before the scheduler goes on,
//                                        e.g. to the next hire's stream)
//   C <hire> <item> <outcome>            a checklist item was completed
//   F <virtual us> <ticks> <decided messages>   --final: caught up
// Errors go to stderr: exit 3 on an unexpected failure, 5 when --final does
// not catch up in time, 6 when a message was dead-lettered (the fault budget of
// the test must stay below max_attempts).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
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
#include <vector>

#include "journey/adapters/smtp_transport.h"
#include "journey/engine/scheduler.h"
#include "journey/storage/kv_store.h"
#include "journey/storage/rocksdb_event_log.h"
#include "journey/test/forwarding_log.h"

namespace fs = std::filesystem;
using namespace journey;
using namespace journey::engine;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void die(int status, const std::string& what) {
  std::string line = "journey_scheduler_crash_child: " + what + "\n";
  (void)!write(2, line.data(), line.size());
  std::_Exit(status);
}

void emit(const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(1, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(4);  // the parent went away
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::int64_t us_of(TimePoint t) { return t.time_since_epoch().count(); }

std::string iso_date(date::sys_days d) {
  const date::year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()));
  return buf;
}

// Real time, speeded up and shifted into the virtual calendar; see the file comment.
class StepClock final : public Clock {
 public:
  StepClock(const MunicipalTime& time, fs::path file, TimePoint start, double office_rate,
            double night_rate)
      : time_(time), file_(std::move(file)), office_rate_(office_rate), night_rate_(night_rate) {
    std::int64_t saved = 0;
    {
      std::ifstream in(file_);
      in >> saved;  // missing or torn (never: it is renamed into place): 0
    }
    const std::int64_t resume = std::max(saved, us_of(start));
    persist(resume);
    now_.store(resume);
    last_real_ = std::chrono::steady_clock::now();
  }

  // Virtual time that passed while nobody was running.
  void skip(std::chrono::minutes downtime) {
    const std::int64_t t =
        now_.load() + std::chrono::duration_cast<std::chrono::microseconds>(downtime).count();
    persist(t);
    now_.store(t);
  }
  // Real time from here on drives the clock (start-up does not count).
  void start_running() { last_real_ = std::chrono::steady_clock::now(); }

  TimePoint now() const override { return TimePoint(std::chrono::microseconds(now_.load())); }

  // Moves virtual time on by the real time since the last step, at the rate
  // of the hours it passes through; persists the new value before any use.
  TimePoint step() {
    const auto real_now = std::chrono::steady_clock::now();
    double real_us = std::chrono::duration<double, std::micro>(real_now - last_real_).count();
    last_real_ = real_now;
    TimePoint t = now();
    while (real_us > 0) {
      const bool office = in_office(t);
      const TimePoint boundary = office ? office_end(t) : next_office_start(t);
      const double rate = office ? office_rate_ : night_rate_;
      const double virtual_left = static_cast<double>((boundary - t).count());
      if (real_us * rate >= virtual_left) {
        t = boundary;
        real_us -= virtual_left / rate;
      } else {
        t += std::chrono::microseconds(static_cast<std::int64_t>(real_us * rate));
        real_us = 0;
      }
    }
    persist(us_of(t));
    now_.store(us_of(t));
    return t;
  }

  bool in_office(TimePoint t) const {
    const auto local = time_.to_local(t);
    const auto day = date::floor<date::days>(local);
    if (!time_.calendar().is_working_day(date::sys_days(day.time_since_epoch()))) return false;
    const auto since_midnight = local - day;
    return since_midnight >= time_.send_at() && since_midnight < std::chrono::hours(kOfficeEndHour);
  }

  static constexpr int kOfficeEndHour = 17;

 private:
  TimePoint office_end(TimePoint t) const {
    const auto day = date::floor<date::days>(time_.to_local(t));
    return time_.to_utc(date::local_time<std::chrono::microseconds>(day) +
                        std::chrono::hours(kOfficeEndHour));
  }
  TimePoint next_office_start(TimePoint t) const {
    const auto local = time_.to_local(t);
    const auto day = date::floor<date::days>(local);
    const date::sys_days civil(day.time_since_epoch());
    if (time_.calendar().is_working_day(civil) && local - day < time_.send_at())
      return time_.send_instant_on(civil);
    return time_.send_time(civil + date::days(1));
  }

  void persist(std::int64_t value) {
    // Renamed into place: a kill leaves the old value or the new one. No fsync:
    // SIGKILL does not lose the page cache.
    const std::string tmp = file_.string() + ".tmp";
    const std::string text = std::to_string(value) + "\n";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die(3, "cannot write " + tmp + ": " + std::strerror(errno));
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      die(3, "short write to " + tmp);
    ::close(fd);
    if (::rename(tmp.c_str(), file_.c_str()) != 0)
      die(3, "cannot rename " + tmp + ": " + std::strerror(errno));
  }

  const MunicipalTime& time_;
  fs::path file_;
  double office_rate_, night_rate_;
  std::atomic<std::int64_t> now_{0};
  std::chrono::steady_clock::time_point last_real_;
};

// The real SMTP transport, reporting each transaction on stdout as soon as it
// ends, i.e. after the server has the message and before the scheduler has
// recorded the attempt.
class ReportingTransport final : public adapters::MailTransport {
 public:
  ReportingTransport(adapters::MailTransport& real, int linger_ms)
      : real_(real), linger_ms_(linger_ms) {}
  adapters::DeliveryResult send(const adapters::MailMessage& m) override {
    adapters::DeliveryResult r = real_.send(m);
    const char* outcome = "?";
    switch (r.outcome) {
      case adapters::DeliveryResult::Outcome::delivered:
        outcome = "delivered";
        break;
      case adapters::DeliveryResult::Outcome::retry:
        outcome = "retry";
        break;
      case adapters::DeliveryResult::Outcome::rejected:
        outcome = "rejected";
        break;
      case adapters::DeliveryResult::Outcome::gone:
        outcome = "gone";
        break;
    }
    emit("S " + m.message_id + " " + std::to_string(r.code) + " " + outcome + "\n");
    if (r.outcome != adapters::DeliveryResult::Outcome::delivered &&
        r.outcome != adapters::DeliveryResult::Outcome::retry) {
      // The scenario has no reason for a permanent failure: say why, then let the scheduler record
      // it.
      std::string line =
          "journey_scheduler_crash_child: " + m.message_id + " " + outcome + ": " + r.detail + "\n";
      (void)!write(2, line.data(), line.size());
    }
    if (linger_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(linger_ms_));
    return r;
  }

 private:
  adapters::MailTransport& real_;
  int linger_ms_;
};

// The real log, reporting each scheduler record it accepts (see "A" above).
class ReportingLog final : public test::ForwardingEventLog {
 public:
  ReportingLog(storage::EventLog& real, int linger_ms)
      : ForwardingEventLog(real), real_(real), linger_ms_(linger_ms) {}

  storage::Result<storage::AppendResult> append(storage::AppendRequest req) override {
    std::string type = req.events.empty() ? std::string() : req.events.front().type;
    std::string message;
    if (type == kNotificationDecided) {
      message = decode_notification(req.events.front().payload).message_id;
    } else if (type == kDeliveryAttempted) {
      message = decode_delivery(req.events.front().payload).message_id;
    } else {
      return real_.append(std::move(req));
    }
    const std::string stream = req.stream.str();
    auto r = real_.append(std::move(req));
    if (r.ok()) {
      emit("A " + type + " " + stream + " " + std::to_string(r->last_position.value) + " " +
           message + "\n");
      if (linger_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(linger_ms_));
    }
    return r;
  }

 private:
  storage::EventLog& real_;
  int linger_ms_;
};

// What the log says about each decided message: its last delivery outcome on
// each of its channels.
class OutboxWatch {
 public:
  explicit OutboxWatch(storage::EventLog& log) : log_(log) {}
  void update() {
    for (;;) {
      auto batch = log_.read_all(storage::GlobalPosition{position_ + 1}, 2000);
      if (!batch) die(3, "reading the log: " + batch.error().message);
      if (batch->empty()) return;
      for (const auto& e : *batch) {
        position_ = e.position.value;
        if (!is_hire_id(e.stream.str())) continue;
        if (e.type == kNotificationDecided) {
          const NotificationRecord n = decode_notification(e.payload);
          messages_.insert(n.message_id);
          for (const auto& channel :
               n.channels.empty() ? std::vector<std::string>{n.channel} : n.channels)
            last_.try_emplace(n.message_id + " " + channel, "");
        } else if (e.type == kDeliveryAttempted) {
          const DeliveryRecord d = decode_delivery(e.payload);
          last_[d.message_id + " " + d.channel] = d.outcome;
        }
      }
    }
  }
  std::size_t decided() const { return messages_.size(); }
  // "<message id> <channel>" of decided messages whose last recorded outcome is not final.
  std::vector<std::pair<std::string, std::string>> unfinished() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [id, outcome] : last_)
      if (outcome != "delivered" && outcome != "rejected" && outcome != "gone")
        out.push_back({id, outcome});
    return out;
  }

 private:
  storage::EventLog& log_;
  std::uint64_t position_ = 0;
  std::set<std::string> messages_;
  std::map<std::string, std::string> last_;
};

const char* kUnit = "Barn och unga Hisingen";
constexpr int kHires = 5;
constexpr int kStartOffsetDays[kHires] = {10, 14, 17, 21, 28};

// The scenario, idempotently: every command carries an idempotency key.
void set_up(JourneyEngine& engine, const MunicipalTime& time, TimePoint virtual_start) {
  std::ifstream f(std::string(JOURNEY_PROGRAMMES_DIR) + "/gr-forsta-aren.toml");
  std::stringstream text;
  text << f.rdbuf();
  auto p = engine.publish_programme(text.str(), "gr", "setup");
  if (!p.ok()) die(3, "publish_programme: " + p.message(Language::en));
  UnitContacts unit{kUnit,
                    {"Anna Berg", "anna@example.se"},
                    {"Omar Ali", "omar@example.se"},
                    Contact{"Ingrid Ek", "ingrid@example.se", Language::sv, true}};
  auto u = engine.set_unit(unit, {"admin", "crash-setup/unit", std::nullopt});
  if (!u.ok()) die(3, "set_unit: " + u.message(Language::en));
  const date::sys_days first_day = time.local_date(virtual_start);
  for (int i = 0; i < kHires; ++i) {
    const std::string n = std::to_string(i + 1);
    RegisterHire cmd;
    cmd.name = "Nyanställd " + n;
    cmd.email = "hire" + n + "@example.se";
    cmd.unit = kUnit;
    cmd.start = iso_date(first_day + date::days(kStartOffsetDays[i]));
    cmd.experienced = i % 2 == 1;
    cmd.introducer = workflows::Person{"Fadder " + n, "fadder" + n + "@example.se"};
    auto o = engine.register_hire(cmd, {"anna", "crash-setup/hire/" + n, std::nullopt});
    if (!o.ok()) die(3, "register_hire " + n + ": " + o.message(Language::en));
  }
}

void complete_something(JourneyEngine& engine, std::mt19937_64& rng) {
  auto hires = engine.hires();
  if (hires.empty()) return;
  const std::string hire = hires[rng() % hires.size()];
  const date::sys_days today = engine.today();
  auto status = engine.status(hire, today);
  if (!status) return;
  std::vector<std::string> open;
  for (const auto& item : status->items) {
    if (item.state.status == workflows::ItemState::Status::open &&
        item.role != workflows::Role::EJ && item.due <= today + date::days(7))
      open.push_back(item.id);
  }
  if (open.empty()) return;
  const std::string item = open[rng() % open.size()];
  auto o = engine.execute(hire, workflows::ChecklistItemCompleted{item, today, "crash test"},
                          {"anna", "crash-complete/" + hire + "/" + item, std::nullopt});
  const char* what = o.kind == CommandOutcome::Kind::accepted    ? "accepted"
                     : o.kind == CommandOutcome::Kind::duplicate ? "duplicate"
                     : o.kind == CommandOutcome::Kind::refused   ? "refused"
                     : o.kind == CommandOutcome::Kind::conflict  ? "conflict"
                                                                 : "failed";
  if (o.kind == CommandOutcome::Kind::failed)
    die(3, "completing " + item + ": " + o.message(Language::en));
  emit("C " + hire + " " + item + " " + what + "\n");
}

std::int64_t parse_int(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') die(2, std::string("bad ") + what + ": " + s);
  return v;
}
double parse_double(const char* s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v > 0)) die(2, std::string("bad ") + what + ": " + s);
  return v;
}

int run(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DATA PORT SEED VIRTUAL_START_S [options]\n", argv[0]);
    return 2;
  }
  const fs::path data = argv[1];
  const std::int64_t port = parse_int(argv[2], "port");
  const std::uint64_t seed = static_cast<std::uint64_t>(parse_int(argv[3], "seed"));
  const TimePoint virtual_start{std::chrono::seconds(parse_int(argv[4], "virtual start"))};
  bool final_mode = false;
  TimePoint final_end{};
  int linger_ms = 0, complete_pct = 25, tick_ms = 3;
  std::int64_t downtime_min = 0;
  double office_rate = 180000, night_rate = 900000;
  std::int64_t max_real_s = 300;
  for (int i = 5; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) die(2, "option " + a + " needs a value");
    const char* v = argv[++i];
    if (a == "--final") {
      final_mode = true;
      final_end = TimePoint(std::chrono::seconds(parse_int(v, "--final")));
    } else if (a == "--linger-ms") {
      linger_ms = static_cast<int>(parse_int(v, a.c_str()));
    } else if (a == "--downtime-min") {
      downtime_min = parse_int(v, a.c_str());
    } else if (a == "--office-rate") {
      office_rate = parse_double(v, a.c_str());
    } else if (a == "--night-rate") {
      night_rate = parse_double(v, a.c_str());
    } else if (a == "--complete-pct") {
      complete_pct = static_cast<int>(parse_int(v, a.c_str()));
    } else if (a == "--tick-ms") {
      tick_ms = static_cast<int>(parse_int(v, a.c_str()));
    } else if (a == "--max-real-s") {
      max_real_s = parse_int(v, a.c_str());
    } else {
      die(2, "unknown option " + a);
    }
  }
  const auto real_start = std::chrono::steady_clock::now();
  std::mt19937_64 rng(seed);

  fs::create_directories(data);
  const MunicipalTime municipal(std::chrono::hours(8));
  StepClock clock(municipal, data / "virtual-time", virtual_start, office_rate, night_rate);
  if (downtime_min > 0) clock.skip(std::chrono::minutes(downtime_min));

  auto opened = storage::open_rocksdb_event_log(storage::RocksDbOptions{data / "log"}, clock);
  if (!opened) die(3, "cannot open the log: " + opened.error().message);
  std::unique_ptr<storage::EventLog> rocksdb = std::move(opened.value());
  ReportingLog reporting_log(*rocksdb, final_mode ? 0 : linger_ms);
  storage::EventLog* log = &reporting_log;
  JourneyEngine engine(*log, clock);
  const Templates templates = Templates::load(JOURNEY_TEMPLATES_DIR);
  set_up(engine, municipal, virtual_start);

  adapters::SmtpConfig smtp_config;
  smtp_config.url = "smtp://127.0.0.1:" + std::to_string(port);
  smtp_config.starttls = adapters::SmtpConfig::StartTls::none;
  smtp_config.connect_timeout = 5s;
  smtp_config.timeout = 30s;
  adapters::SmtpTransport smtp(smtp_config);
  ReportingTransport mail(smtp, final_mode ? 0 : linger_ms);

  SchedulerConfig cfg;
  cfg.index_path = data / "scheduler";
  cfg.sender = {"Journey", "journey@kommun.example"};
  cfg.office_end_hour = StepClock::kOfficeEndHour;
  auto index = storage::open_rocksdb_kv(cfg.index_path);
  if (!index) die(3, "cannot open the scheduler index: " + index.error().message);
  ReminderScheduler scheduler(engine, municipal, templates, mail, clock, cfg,
                              std::move(index.value()));
  OutboxWatch outbox(*log);

  clock.start_running();
  emit("R " + std::to_string(us_of(clock.now())) + "\n");
  for (std::uint64_t n = 1;; ++n) {
    const TimePoint now = clock.step();
    const auto tick_start = std::chrono::steady_clock::now();
    const TickReport r = scheduler.tick();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - tick_start);
    emit("T " + std::to_string(n) + " " + std::to_string(us_of(now)) + " " +
         (r.outside_office_hours ? "0" : "1") + " " + std::to_string(r.messages_decided) + " " +
         std::to_string(r.delivered) + " " + std::to_string(r.retried) + " " +
         std::to_string(r.failed) + " " + std::to_string(r.unresolved) + " " +
         std::to_string(took.count()) + "\n");
    if (final_mode) {
      outbox.update();
      const auto unfinished = outbox.unfinished();
      for (const auto& [id, outcome] : unfinished)
        if (outcome == "dead_letter") die(6, "message " + id + " was dead-lettered");
      const auto next = scheduler.next_due();
      if (now >= final_end && !r.outside_office_hours && unfinished.empty() &&
          (!next || *next > now)) {
        emit("F " + std::to_string(us_of(now)) + " " + std::to_string(n) + " " +
             std::to_string(outbox.decided()) + "\n");
        return 0;
      }
      if (std::chrono::steady_clock::now() - real_start > std::chrono::seconds(max_real_s)) {
        std::string why = "did not catch up within " + std::to_string(max_real_s) +
                          " s: " + std::to_string(unfinished.size()) + " messages unfinished";
        if (!unfinished.empty())
          why += " (first " + unfinished.front().first + ": '" + unfinished.front().second + "')";
        if (next && *next <= now) why += ", a timer due at " + std::to_string(us_of(*next));
        die(5, why);
      }
    } else if (!r.outside_office_hours && static_cast<int>(rng() % 100) < complete_pct) {
      complete_something(engine, rng);
    }
    if (tick_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(tick_ms));
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    die(3, std::string("unexpected exception: ") + e.what());
  }
}
