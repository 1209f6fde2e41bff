// journeyd: the engine, the reminder scheduler and the adapters in one process,
// serving the /v1 HTTP API.
//
// Configuration: a TOML file (--config), then environment variables
// JOURNEY_<SECTION>_<KEY> (e.g. JOURNEY_SERVER_LISTEN), then flags. A bad
// value stops start-up with a message that names the key. See journeyd.toml.
//
// Start-up: opens (or creates) DATA/log, installs the shipped programmes into
// an empty log, and on first start issues an all-municipality admin token,
// kept in DATA/admin-token (mode 0600) and printed, so there is something to
// try the API with.
//
// SIGTERM/SIGINT: stop accepting, answer every request already read, finish
// the scheduler's current tick (its deliveries included), close the log. What
// was acknowledged is in the log (every append is synced before its answer),
// and the scheduler's index records how far it got, so a restart picks up
// exactly there.
//
// Exit codes: 0 stopped cleanly, 1 drain timed out, 2 bad configuration,
// 4 storage or start-up error.
#include <fcntl.h>
#include <signal.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "journey/adapters/http_api.h"
#include "journey/adapters/http_server.h"
#include "journey/adapters/smtp_transport.h"
#include "journey/adapters/webhook.h"
#include "journey/adapters/webhook_secrets.h"
#include "journey/engine/access.h"
#include "journey/engine/calendar.h"
#include "journey/engine/scheduler.h"
#include "journey/storage/kv_store.h"
#include "journey/storage/rocksdb_event_log.h"

namespace fs = std::filesystem;
using namespace journey;
using nlohmann::json;

namespace {

struct Config {
  // [server]
  std::string listen = "127.0.0.1:8080";
  std::int64_t io_threads = 2;
  std::int64_t worker_threads = 32;
  std::int64_t max_connections = 1024;
  std::int64_t body_limit_bytes = 1 << 20;
  std::int64_t read_timeout_ms = 10000;
  std::int64_t idle_timeout_ms = 60000;
  std::int64_t header_timeout_ms = 10000;
  std::int64_t drain_timeout_ms = 30000;
  std::string tls_certificate, tls_private_key;
  // [storage]
  std::string data = "./data";
  // [scheduler]
  bool scheduler_enabled = true;
  std::int64_t interval_seconds = 60;
  std::int64_t send_hour = 8;
  // [mail]
  std::string smtp_url, smtp_user, smtp_password_env = "JOURNEY_SMTP_PASSWORD",
                                   starttls = "required", ca_file;
  std::string from = "journey@localhost", from_name = "Journey";
  // [limits]
  double requests_per_second = 200;
  double burst = 400;
  // [web]
  std::string web_root = JOURNEY_WEB_ROOT;  // the built web application (adapters/web/dist)
  // [log]
  std::string log_format = "plain";
  std::string log_level = "info";
};

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One table of every key: its section, name and where it goes.
struct Key {
  std::string section, name;
  std::variant<std::string*, std::int64_t*, bool*, double*> target;
  std::int64_t min = 0, max = 0;  // for integers (max 0: no check)
  std::vector<std::string> allowed = {};
};

std::vector<Key> keys(Config& c) {
  return {
      {"server", "listen", &c.listen},
      {"server", "io_threads", &c.io_threads, 1, 64},
      {"server", "worker_threads", &c.worker_threads, 1, 1024},
      {"server", "max_connections", &c.max_connections, 1, 1000000},
      {"server", "body_limit_bytes", &c.body_limit_bytes, 1024, 1 << 30},
      {"server", "read_timeout_ms", &c.read_timeout_ms, 100, 3600000},
      {"server", "idle_timeout_ms", &c.idle_timeout_ms, 100, 3600000},
      {"server", "header_timeout_ms", &c.header_timeout_ms, 100, 3600000},
      {"server", "drain_timeout_ms", &c.drain_timeout_ms, 0, 3600000},
      {"server", "tls_certificate", &c.tls_certificate},
      {"server", "tls_private_key", &c.tls_private_key},
      {"storage", "data", &c.data},
      {"scheduler", "enabled", &c.scheduler_enabled},
      {"scheduler", "interval_seconds", &c.interval_seconds, 1, 3600},
      {"scheduler", "send_hour", &c.send_hour, 0, 16},
      {"mail", "smtp_url", &c.smtp_url},
      {"mail", "smtp_user", &c.smtp_user},
      {"mail", "smtp_password_env", &c.smtp_password_env},
      {"mail", "starttls", &c.starttls, 0, 0, {"required", "opportunistic", "none"}},
      {"mail", "ca_file", &c.ca_file},
      {"mail", "from", &c.from},
      {"mail", "from_name", &c.from_name},
      {"limits", "requests_per_second", &c.requests_per_second},
      {"limits", "burst", &c.burst},
      {"web", "root", &c.web_root},
      {"log", "format", &c.log_format, 0, 0, {"plain", "json"}},
      {"log", "level", &c.log_level, 0, 0, {"trace", "debug", "info", "warn", "error"}},
  };
}

// Sets one key from text (environment or flag); `where` names the source.
void set_from_text(const Key& k, const std::string& text, const std::string& where) {
  const std::string name = k.section + "." + k.name;
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          *p = text;
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1")
            *p = true;
          else if (text == "false" || text == "0")
            *p = false;
          else
            throw ConfigError(where + ": " + name + ": '" + text + "' is not true or false");
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          std::size_t used = 0;
          try {
            *p = std::stoll(text, &used);
          } catch (...) {
            used = 0;
          }
          if (used != text.size() || text.empty())
            throw ConfigError(where + ": " + name + ": '" + text + "' is not an integer");
        } else {
          std::size_t used = 0;
          try {
            *p = std::stod(text, &used);
          } catch (...) {
            used = 0;
          }
          if (used != text.size() || text.empty())
            throw ConfigError(where + ": " + name + ": '" + text + "' is not a number");
        }
      },
      k.target);
}

void check(const Key& k, const std::string& where) {
  const std::string name = k.section + "." + k.name;
  if (auto* i = std::get_if<std::int64_t*>(&k.target); i && k.max != 0) {
    if (**i < k.min || **i > k.max)
      throw ConfigError(where + ": " + name + ": " + std::to_string(**i) + " is not between " +
                        std::to_string(k.min) + " and " + std::to_string(k.max));
  }
  if (auto* d = std::get_if<double*>(&k.target); d && **d < 0)
    throw ConfigError(where + ": " + name + ": must not be negative");
  if (auto* s = std::get_if<std::string*>(&k.target); s && !k.allowed.empty()) {
    if (std::find(k.allowed.begin(), k.allowed.end(), **s) == k.allowed.end()) {
      std::string list;
      for (const auto& a : k.allowed) list += (list.empty() ? "" : ", ") + a;
      throw ConfigError(where + ": " + name + ": '" + **s + "' is not one of " + list);
    }
  }
}

void load_toml(Config& c, const std::string& path) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << path << ":" << e.source().begin.line << ": " << e.description();
    throw ConfigError(os.str());
  }
  auto ks = keys(c);
  for (auto&& [section, node] : t) {
    const std::string sec(section.str());
    auto* tab = node.as_table();
    if (!tab) throw ConfigError(path + ": " + sec + ": must be a table [" + sec + "]");
    for (auto&& [name, value] : *tab) {
      const std::string key(name.str());
      auto it = std::find_if(ks.begin(), ks.end(),
                             [&](const Key& k) { return k.section == sec && k.name == key; });
      const std::string where = path + ":" + std::to_string(value.source().begin.line);
      if (it == ks.end()) throw ConfigError(where + ": " + sec + "." + key + ": unknown key");
      std::visit(
          [&](auto* p) {
            using T = std::remove_pointer_t<decltype(p)>;
            if constexpr (std::is_same_v<T, double>) {
              if (auto v = value.value<double>())
                *p = *v;
              else
                throw ConfigError(where + ": " + sec + "." + key + ": must be a number");
            } else {
              if (auto v = value.value_exact<T>())
                *p = *v;
              else
                throw ConfigError(where + ": " + sec + "." + key + ": must be " +
                                  (std::is_same_v<T, bool>          ? "true or false"
                                   : std::is_same_v<T, std::string> ? "a string"
                                                                    : "an integer"));
            }
          },
          it->target);
    }
  }
}

std::pair<std::string, unsigned short> split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw ConfigError("server.listen: '" + listen + "' is not HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoi(port) > 65535)
    throw ConfigError("server.listen: '" + port + "' is not a port number");
  return {host, static_cast<unsigned short>(std::stoi(port))};
}

// The payload as one JSON string, for the lines the libraries log through
// spdlog's default logger (the engine's damaged hires, RocksDB's info log):
// their text may hold quotes or any byte.
class JsonStringPayload : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& m, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string s = json(std::string(m.payload.data(), m.payload.size()))
                              .dump(-1, ' ', false, json::error_handler_t::replace);
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonStringPayload>();
  }
};

// Log lines: plain text for a terminal, or one JSON object per line.
struct Logger {
  bool json_lines = false;
  std::shared_ptr<spdlog::logger> events;  // journeyd's own lines, "event": a JSON object
  void log(spdlog::level::level_enum level, const std::string& msg, json fields = json::object()) {
    if (json_lines) {
      fields["msg"] = msg;
      // Replace invalid UTF-8 (a request target may carry any byte) instead of throwing.
      events->log(level, "{}", fields.dump(-1, ' ', false, json::error_handler_t::replace));
    } else {
      std::string extra;
      for (auto it = fields.begin(); it != fields.end(); ++it)
        extra += " " + it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
      events->log(level, "{}{}", msg, extra);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  std::string config_file;
  CLI::App app{"journeyd: the Journey HTTP service (engine, scheduler, adapters)"};
  app.add_option("--config", config_file,
                 "TOML configuration file (see tools/journeyd/journeyd.toml)");
  std::string listen_flag, data_flag, log_format_flag;
  bool no_scheduler = false;
  app.add_option("--listen", listen_flag, "HOST:PORT (server.listen)");
  app.add_option("--data", data_flag, "Data folder (storage.data)");
  app.add_option("--log-format", log_format_flag, "plain or json (log.format)");
  app.add_flag("--no-scheduler", no_scheduler, "Do not send reminders (scheduler.enabled = false)");
  CLI11_PARSE(app, argc, argv);

  try {
    if (!config_file.empty()) load_toml(cfg, config_file);
    for (const auto& k : keys(cfg)) {
      std::string env = "JOURNEY_" + k.section + "_" + k.name;
      std::transform(env.begin(), env.end(), env.begin(), ::toupper);
      if (const char* v = std::getenv(env.c_str())) set_from_text(k, v, env);
    }
    if (!listen_flag.empty()) cfg.listen = listen_flag;
    if (!data_flag.empty()) cfg.data = data_flag;
    if (!log_format_flag.empty()) cfg.log_format = log_format_flag;
    if (no_scheduler) cfg.scheduler_enabled = false;
    for (const auto& k : keys(cfg)) check(k, config_file.empty() ? "configuration" : config_file);
    split_listen(cfg.listen);
  } catch (const ConfigError& e) {
    std::cerr << "journeyd: bad configuration: " << e.what() << '\n';
    return 2;
  }

  Logger logger{cfg.log_format == "json", spdlog::stdout_logger_mt("journeyd")};
  // Everything else logs through the default logger: its own sink, so that
  // in JSON mode its text is escaped into {"msg": ...}.
  spdlog::set_default_logger(spdlog::stdout_logger_mt("journeyd-libraries"));
  if (logger.json_lines) {
    logger.events->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","event":%v})",
                               spdlog::pattern_time_type::utc);
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<JsonStringPayload>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","event":{"msg":%*}})");
    spdlog::default_logger()->set_formatter(std::move(f));
  } else {
    logger.events = spdlog::default_logger();
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  logger.events->set_level(spdlog::level::from_str(cfg.log_level));
  logger.events->flush_on(spdlog::level::info);
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::flush_on(spdlog::level::info);

  // Signals go to the main thread only: block them before any thread starts.
  // A shell that starts us in the background (no job control) leaves SIGINT
  // ignored, and an ignored signal never reaches sigwait: restore the default.
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  const fs::path data(cfg.data);
  std::unique_ptr<storage::EventLog> log;
  {
    std::error_code ec;
    fs::create_directories(data, ec);
    storage::RocksDbOptions o;
    o.path = data / "log";
    o.create_if_missing = true;
    auto opened = storage::open_rocksdb_event_log(o, clock);
    if (!opened) {
      logger.log(spdlog::level::critical, "cannot open the event log",
                 {{"path", o.path.string()}, {"error", opened.error().message}});
      return 4;
    }
    log = std::move(opened.value());
  }
  engine::JourneyEngine eng(*log, clock);
  engine::TokenRegistry tokens(eng);
  std::string issued_admin_token;  // printed once, on the start that issued it
  try {
    if (eng.programmes().empty()) {
      for (const auto& entry : fs::directory_iterator(JOURNEY_PROGRAMMES_DIR)) {
        if (entry.path().extension() != ".toml") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        auto o = eng.publish_programme(text.str(), entry.path().string(), "journeyd");
        logger.log(
            o.ok() ? spdlog::level::info : spdlog::level::err, "programme installed",
            {{"file", entry.path().string()}, {"outcome", o.message(workflows::Language::en)}});
      }
    }
    if (tokens.list().empty()) {
      engine::Principal p;
      p.role = engine::AccessRole::admin;
      p.name = "journeyd bootstrap admin";
      p.municipality = "*";
      auto issued = tokens.issue(p, {"journeyd", "", std::nullopt});
      if (!issued.outcome.ok())
        throw std::runtime_error("bootstrap admin token: " +
                                 issued.outcome.message(workflows::Language::en));
      // Created 0600 from the start (not chmod'ed after being written).
      const fs::path f = data / "admin-token";
      const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      const std::string line = issued.token + "\n";
      if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
          ::close(fd) != 0)
        throw std::runtime_error("cannot write " + f.string());
      issued_admin_token = issued.token;
      logger.log(spdlog::level::info, "bootstrap admin token issued",
                 {{"token_id", issued.principal.token_id}, {"file", f.string()}});
    }
  } catch (const std::exception& e) {
    logger.log(spdlog::level::critical, "start-up failed", {{"error", e.what()}});
    return 4;
  }

  // The scheduler: one thread, ticking; redeliver from the API takes the same lock.
  std::mutex scheduler_mu;
  std::unique_ptr<adapters::MailTransport> mail = adapters::make_mail_transport(
      {cfg.smtp_url, cfg.smtp_user, cfg.smtp_password_env, cfg.ca_file, cfg.from, cfg.starttls},
      data / "outbox");
  const fs::path secrets_dir = data / "webhook-secrets";
  adapters::CurlWebhookSender webhook_sender{adapters::CurlWebhookConfig{}};
  engine::Templates templates = engine::Templates::load(JOURNEY_TEMPLATES_DIR);
  const engine::MunicipalTime municipal{std::chrono::minutes(std::chrono::hours(cfg.send_hour))};
  std::unique_ptr<engine::ReminderScheduler> scheduler;
  std::string scheduler_off;  // why there is no scheduler although it is enabled
  {
    engine::SchedulerConfig sc;
    sc.index_path = data / "scheduler";
    sc.sender = {cfg.from_name, cfg.from};
    sc.webhooks = &webhook_sender;
    sc.webhook_secrets = [secrets_dir](const std::string& id) {
      return adapters::read_secret_file(secrets_dir, id);
    };
    sc.backoff = [](int attempt, std::optional<std::chrono::seconds> retry_after) {
      return adapters::backoff_delay(attempt, retry_after, std::random_device{}());
    };
    auto index = storage::open_rocksdb_kv(sc.index_path);
    if (!index && index.error().code == storage::ErrorCode::no_space) {
      // Reads still matter on a full disk; reminders wait for a restart with
      // space (the index is rebuilt from the log if it must be).
      scheduler_off = "the scheduler index cannot be opened: " + index.error().message;
      logger.log(spdlog::level::err, "scheduler off: disk full", {{"error", scheduler_off}});
    } else if (!index) {
      logger.log(spdlog::level::critical, "cannot open the scheduler index",
                 {{"error", index.error().message}});
      return 4;
    } else {
      scheduler = std::make_unique<engine::ReminderScheduler>(eng, municipal, templates, *mail,
                                                              clock, sc, std::move(index.value()));
    }
  }
  std::atomic<std::uint64_t> delivered{0}, retried{0}, failed{0}, ticks{0}, tick_errors{0};

  // The maintained hire views (engine/views.h): derived, rebuilt from the log
  // when their format differs. Without them (they cannot be opened, e.g. on a
  // full disk) every list replays every hire: slower, the same answers.
  std::unique_ptr<engine::HireViews> views;
  {
    const auto t0 = std::chrono::steady_clock::now();
    auto index = storage::open_rocksdb_kv(data / "views");
    if (!index) {
      logger.log(spdlog::level::err, "hire views off: lists replay every hire",
                 {{"error", index.error().message}});
    } else {
      try {
        // A rebuild (after an upgrade changed the format) runs on the views
        // thread below; lists replay until it is through. A stop during it
        // ends it (HireViews::stop()), and the next start rebuilds.
        views = std::make_unique<engine::HireViews>(eng, std::move(index.value()),
                                                    /*defer_rebuild=*/true);
        if (views->rebuild_pending())
          logger.log(spdlog::level::warn,
                     "hire views: rebuilding in the background; lists replay every hire until "
                     "it is through");
        else
          logger.log(spdlog::level::info, "hire views ready",
                     {{"applied", views->applied()},
                      {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - t0)
                                 .count()}});
      } catch (const std::exception& e) {
        logger.log(spdlog::level::err, "hire views off: lists replay every hire",
                   {{"error", e.what()}});
      }
    }
  }

  http::ApiHooks hooks;
  hooks.redeliver = [&](const std::string& id, const std::string& actor,
                        const std::function<bool(const std::string&)>& may) {
    std::lock_guard<std::mutex> lock(scheduler_mu);
    if (!scheduler) {
      engine::CommandOutcome o;
      o.refusal = workflows::Refusal{"storage_full", {{"what", scheduler_off}}};
      return o;
    }
    return scheduler->redeliver(id, actor, may);
  };
  adapters::FileWebhookSecrets webhook_secrets(secrets_dir);
  hooks.webhook_secrets = &webhook_secrets;
  hooks.backups_dir = (data / "backups").string();
  hooks.views = views.get();
  hooks.degraded = [&]() -> std::string {
    return cfg.scheduler_enabled && !scheduler ? "no reminders are sent: " + scheduler_off : "";
  };
  std::atomic<std::size_t> timers_pending{0}, dead_letters{0};
  // Set once the server exists; its handlers (and so /metrics) stop before it goes.
  std::atomic<const http::HttpServer*> http_server{nullptr};
  hooks.extra_metrics = [&] {
    std::ostringstream os;
    if (const http::HttpServer* srv = http_server.load()) {
      const http::ConnectionStats c = srv->connections();
      os << "# HELP journey_http_connections Open connections (idle keep-alive ones included).\n"
         << "# TYPE journey_http_connections gauge\n"
         << "journey_http_connections " << c.open << '\n'
         << "# HELP journey_http_connections_at_cap 1 while accepting is paused at "
            "server.max_connections.\n"
         << "# TYPE journey_http_connections_at_cap gauge\n"
         << "journey_http_connections_at_cap " << (c.at_cap ? 1 : 0) << '\n'
         << "# HELP journey_http_accepted_total Connections accepted.\n"
         << "# TYPE journey_http_accepted_total counter\n"
         << "journey_http_accepted_total " << c.accepted << '\n'
         << "# HELP journey_http_accept_errors_total Failed accepts (e.g. out of file "
            "descriptors), each retried after 50 ms.\n"
         << "# TYPE journey_http_accept_errors_total counter\n"
         << "journey_http_accept_errors_total " << c.accept_errors << '\n'
         << "# HELP journey_http_idle_closed_at_cap_total Idle keep-alive connections closed "
            "to let a waiting client in at server.max_connections.\n"
         << "# TYPE journey_http_idle_closed_at_cap_total counter\n"
         << "journey_http_idle_closed_at_cap_total " << c.idle_closed_at_cap << '\n';
    }
    os << "# HELP journey_timers_pending Reminder timers waiting in the scheduler index.\n"
       << "# TYPE journey_timers_pending gauge\n"
       << "journey_timers_pending " << timers_pending << '\n'
       << "# HELP journey_dead_letters Messages waiting for redeliver.\n"
       << "# TYPE journey_dead_letters gauge\n"
       << "journey_dead_letters " << dead_letters << '\n'
       << "# HELP journey_deliveries_total Delivery attempts by outcome.\n"
       << "# TYPE journey_deliveries_total counter\n"
       << "journey_deliveries_total{outcome=\"delivered\"} " << delivered << '\n'
       << "journey_deliveries_total{outcome=\"retry\"} " << retried << '\n'
       << "journey_deliveries_total{outcome=\"failed\"} " << failed << '\n'
       << "# HELP journey_scheduler_ticks_total Scheduler passes (errors: failed passes).\n"
       << "# TYPE journey_scheduler_ticks_total counter\n"
       << "journey_scheduler_ticks_total " << ticks << '\n'
       << "journey_scheduler_tick_errors_total " << tick_errors << '\n';
    return os.str();
  };
  http::ApiLimits limits{cfg.requests_per_second, cfg.burst};
  http::Api api(eng, tokens, hooks, limits);
  if (!cfg.web_root.empty()) {
    if (fs::exists(fs::path(cfg.web_root) / "index.html"))
      api.serve_files(cfg.web_root);
    else
      logger.log(spdlog::level::warn, "web application not built; serving the API only",
                 {{"web.root", cfg.web_root}});
  }

  http::ServerConfig sc;
  std::tie(sc.address, sc.port) = split_listen(cfg.listen);
  sc.io_threads = static_cast<int>(cfg.io_threads);
  sc.worker_threads = static_cast<int>(cfg.worker_threads);
  sc.max_connections = static_cast<std::size_t>(cfg.max_connections);
  sc.body_limit = static_cast<std::size_t>(cfg.body_limit_bytes);
  sc.read_timeout = std::chrono::milliseconds(cfg.read_timeout_ms);
  sc.idle_timeout = std::chrono::milliseconds(cfg.idle_timeout_ms);
  sc.header_timeout = std::chrono::milliseconds(cfg.header_timeout_ms);
  sc.tls_certificate = cfg.tls_certificate;
  sc.tls_private_key = cfg.tls_private_key;
  sc.answer_inline = &http::Api::answers_quickly;
  sc.on_accept_error = [&logger](const std::string& error) {
    logger.log(spdlog::level::warn,
               "cannot accept connections; retrying every 50 ms (new clients wait meanwhile)",
               {{"error", error}});
  };
  // Every connection is a file descriptor, and RocksDB (which keeps its table
  // files open), the outbox and the logs need some too: raise the soft limit
  // towards the hard one if the configured connections would not fit (Debian's
  // default soft limit is 1024); if it cannot be raised, take fewer connections.
  {
    constexpr rlim_t kReserve = 256;
    const rlim_t need = static_cast<rlim_t>(cfg.max_connections) + kReserve;
    struct rlimit rl {};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
      rl.rlim_cur = std::min(need, rl.rlim_max);
      setrlimit(RLIMIT_NOFILE, &rl);
      if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
        sc.max_connections =
            static_cast<std::size_t>(rl.rlim_cur > kReserve + 16 ? rl.rlim_cur - kReserve : 16);
        logger.log(spdlog::level::warn,
                   "the open-file limit is too low for server.max_connections; taking fewer "
                   "connections (raise LimitNOFILE / ulimit -n to get them all)",
                   {{"server.max_connections", cfg.max_connections},
                    {"connections_taken", sc.max_connections},
                    {"open_file_limit", static_cast<std::uint64_t>(rl.rlim_cur)}});
      }
    }
  }
  const bool debug_access = spdlog::should_log(spdlog::level::debug);
  http::HttpServer server(
      sc,
      http::HttpServer::AsyncHandler([&api](const http::Request& r,
                                            const http::HttpServer::Post& post,
                                            http::HttpServer::Answer answer) {
        api.handle_async(r, post, std::move(answer));
      }),
      [&](const http::Request& req, const http::Response& res, double secs) {
        if (res.status >= 500 || debug_access)
          logger.log(res.status >= 500 ? spdlog::level::err : spdlog::level::debug, "request",
                     {{"method", req.method},
                      {"target", req.target.substr(0, 200)},
                      {"status", res.status},
                      {"ms", secs * 1000}});
      });
  http_server = &server;
  try {
    server.start();
  } catch (const std::exception& e) {
    logger.log(spdlog::level::critical, "cannot start the server", {{"error", e.what()}});
    return 2;
  }

  const std::string scheme = sc.tls_certificate.empty() ? "http" : "https";
  const std::string url = scheme + "://" + sc.address + ":" + std::to_string(server.port());
  const std::string admin_token = issued_admin_token;
  logger.log(spdlog::level::info, "journeyd listening",
             {{"url", url},
              {"data", fs::absolute(data).string()},
              {"scheduler", cfg.scheduler_enabled},
              {"mail", cfg.smtp_url.empty() ? (data / "outbox").string() : cfg.smtp_url}});
  std::cout << "\njourneyd lyssnar på " << url << "  (listening)\n";
  if (!admin_token.empty())
    std::cout << "Administratörstoken (admin token, " << (data / "admin-token").string() << "):\n  "
              << admin_token << "\nPröva (try):\n  curl -H 'Authorization: Bearer " << admin_token
              << "' " << url << "/v1/hires\n\n";
  else
    std::cout << "Administratörstoken finns i (admin token in) " << (data / "admin-token").string()
              << "\n\n";
  std::cout.flush();

  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  std::thread scheduler_thread([&] {
    if (!cfg.scheduler_enabled || !scheduler) return;
    while (!stopping) {
      try {
        std::lock_guard<std::mutex> lock(scheduler_mu);
        auto r = scheduler->tick();
        delivered += r.delivered;
        retried += r.retried;
        failed += r.failed;
        ++ticks;
        timers_pending = scheduler->pending_timers();
        dead_letters = scheduler->dead_letters();
        if (r.messages_decided || r.delivered || r.failed)
          logger.log(spdlog::level::info, "scheduler tick",
                     {{"decided", r.messages_decided},
                      {"delivered", r.delivered},
                      {"retried", r.retried},
                      {"failed", r.failed}});
      } catch (const std::exception& e) {
        ++tick_errors;
        logger.log(spdlog::level::err, "scheduler tick failed", {{"error", e.what()}});
      }
      std::unique_lock<std::mutex> lock(stop_mu);
      stop_cv.wait_for(lock, std::chrono::seconds(cfg.interval_seconds),
                       [&] { return stopping.load(); });
    }
  });

  // Keeps the views close to the log, so that reads rarely recompute: folds
  // new events a few times a second, and once a day recomputes every entry
  // for the new date (overdue flags move without an event).
  std::thread views_thread([&] {
    if (!views) return;
    date::sys_days day{};  // the last day whose pass went through
    auto next_pass = std::chrono::steady_clock::time_point{};
    std::string last_error;  // logged once until it changes (a full disk fails every pass)
    while (!stopping) {
      try {
        const auto t0 = std::chrono::steady_clock::now();
        if (views->rebuild_if_pending())
          logger.log(spdlog::level::info, "hire views rebuilt",
                     {{"applied", views->applied()},
                      {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - t0)
                                 .count()}});
        if (views->rebuild_pending())
          break;  // stopped during the rebuild: the next start redoes it
        views->apply();
        last_error.clear();
        // The day's pass, until it is through: one that an entry of another
        // day (a read straddling midnight) kept from marking the day is
        // tried again a minute later, so the task lists go back to the index.
        const auto today = eng.today();
        if (today != day && std::chrono::steady_clock::now() >= next_pass) {
          const auto n = views->refresh_day();
          if (views->all_of_day(today))
            day = today;
          else
            next_pass = std::chrono::steady_clock::now() + std::chrono::minutes(1);
          if (n) logger.log(spdlog::level::info, "hire views: a new day", {{"recomputed", n}});
        }
      } catch (const std::exception& e) {
        if (last_error != e.what())
          logger.log(spdlog::level::err, "hire views: maintenance failed", {{"error", e.what()}});
        last_error = e.what();
      }
      std::unique_lock<std::mutex> lock(stop_mu);
      stop_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return stopping.load(); });
    }
  });

  int sig = 0;
  sigwait(&signals, &sig);
  logger.log(spdlog::level::info, "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  api.set_ready(false);  // /readyz and new requests on open connections: 503
  server.stop_accepting();
  const bool drained = server.drain(std::chrono::milliseconds(cfg.drain_timeout_ms));
  {
    std::lock_guard<std::mutex> lock(stop_mu);
    stopping = true;
  }
  stop_cv.notify_all();
  if (views) views->stop();  // a rebuild in the background is not waited for
  scheduler_thread.join();   // finishes its current tick, deliveries included
  views_thread.join();
  scheduler.reset();
  views.reset();
  log.reset();  // waits for the writer: every acknowledged append is synced
  logger.log(spdlog::level::info, "stopped", {{"drained", drained}});
  return drained ? 0 : 1;
}
