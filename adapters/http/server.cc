#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "journey/adapters/http_server.h"

namespace journey::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

// How long a fresh connection may stay silent before, at the cap, it is taken
// for one that will never send (it still gets server.header_timeout otherwise).
constexpr std::chrono::milliseconds kSilentGrace{200};

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection if it is waiting for a next request. `reclaimed`:
  // to make room at the connection cap (counted, see ConnectionStats).
  virtual void close_if_idle(bool reclaimed = false) = 0;
  // Closes the connection from the calling thread. Only once no thread runs
  // the io_context or the worker pool (nothing else can touch the session).
  virtual void close_now() = 0;
  // When it was accepted or last finished a request (steady clock, ns): the
  // least recently active idle connections make room at the cap first.
  std::atomic<std::int64_t> last_active{steady_now_ns()};
  // Between requests of a keep-alive connection that has answered at least one
  // (a fresh connection is about to send its first), as far as other threads
  // can tell; close_if_idle() checks again on the connection's strand.
  std::atomic<bool> waiting{false};
  std::atomic<bool> answered_once{false};
  std::atomic<bool> closed{false};  // close() ran: it goes away shortly
};

}  // namespace

// Declaration order is destruction order in reverse: the io_context (whose
// pending handlers own the sessions) goes before the session registry and the
// TLS context the sessions still use while they are destroyed.
struct HttpServer::Impl {
  ServerConfig config;
  HttpServer::AsyncHandler handler;
  AccessLog access_log;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> in_flight{0};
  std::mutex sessions_mu;
  std::condition_variable sessions_cv;
  std::map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  bool accept_paused = false;  // at max_connections; under sessions_mu
  std::atomic<std::uint64_t> accepted{0}, accept_errors{0}, reclaimed{0};
  bool accept_failing = false;    // in a run of failed accepts; acceptor strand only
  bool watching_backlog = false;  // acceptor strand only
  // The last connection closed to make room (acceptor strand only): while it
  // is still on its way out, no second one is closed for the same client.
  std::weak_ptr<SessionBase> reclaiming;
  std::optional<asio::ssl::context> tls;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry;   // on the acceptor's strand
  std::optional<asio::steady_timer> reclaim_retry;  // on the acceptor's strand
  std::unique_ptr<asio::thread_pool> workers;
  // Set once drain() has stopped the workers: what is posted after (a log's
  // late answer at shutdown) is dropped at once, never queued into a pool
  // that is being destroyed (a dropped command's turn passes on as it goes).
  std::atomic<bool> workers_closed{false};
  std::vector<std::thread> threads;

  std::size_t cap() const { return std::max<std::size_t>(1, config.max_connections); }

  // Acceptor strand. True when there is room for another connection; else
  // accepting pauses until remove_session() makes room.
  bool add_session(const std::shared_ptr<SessionBase>& s) {
    std::lock_guard<std::mutex> lock(sessions_mu);
    sessions[s.get()] = s;
    if (sessions.size() < cap()) return true;
    accept_paused = true;
    return false;
  }
  void remove_session(SessionBase* s) {
    bool resume = false;
    {
      std::lock_guard<std::mutex> lock(sessions_mu);
      sessions.erase(s);
      // Not while stopping: in ~Impl the acceptor may already be gone
      // (~HttpServer calls stop_accepting() first, which sets stopping).
      if (accept_paused && !stopping && sessions.size() < cap()) {
        accept_paused = false;
        resume = true;
      }
      sessions_cv.notify_all();
    }
    if (resume) asio::post(acceptor->get_executor(), [this] { accept(); });
  }
  void request_done() {
    --in_flight;
    std::lock_guard<std::mutex> lock(sessions_mu);
    sessions_cv.notify_all();
  }

  void accept();

  bool paused() {
    std::lock_guard<std::mutex> lock(sessions_mu);
    return accept_paused;
  }

  // Acceptor strand, while paused at the cap: once a client waits in the
  // listen backlog, close the least recently active idle keep-alive
  // connection to make room for it (as nginx reuses idle connections), so a
  // new user is not held off until some idle_timeout runs out. One at a time;
  // never one reading or answering a request, one whose next request is
  // arriving, or one that has not answered its first. Look again in 100 ms.
  void watch_backlog() {
    if (watching_backlog || stopping || !acceptor->is_open()) return;
    watching_backlog = true;
    acceptor->async_wait(tcp::acceptor::wait_read, [this](beast::error_code ec) {
      watching_backlog = false;
      if (ec || stopping || !paused()) return;
      auto previous = reclaiming.lock();
      if (!previous || !previous->closed.load()) reclaim_idle();
      reclaim_retry->expires_after(std::chrono::milliseconds(100));
      reclaim_retry->async_wait([this](beast::error_code wec) {
        if (!wec && paused()) watch_backlog();
      });
    });
  }

  // Makes room at the cap. First every silent connection: accepted more than
  // kSilentGrace ago and not a byte sent since (slowloris, or a port scan);
  // a real client sends its request at once, so one just let in is never
  // taken for silent. Failing those, the least recently active connection
  // that waits between requests.
  void reclaim_idle() {
    std::vector<std::shared_ptr<SessionBase>> open;
    {
      std::lock_guard<std::mutex> lock(sessions_mu);
      for (auto& [p, w] : sessions)
        if (auto s = w.lock()) open.push_back(std::move(s));  // not one being destroyed
    }
    // Outside the lock: dropping the last reference runs a session's
    // destructor, which takes the lock.
    const std::int64_t silent_before =
        steady_now_ns() -
        std::chrono::duration_cast<std::chrono::nanoseconds>(kSilentGrace).count();
    std::shared_ptr<SessionBase> oldest;
    bool any_silent = false;
    for (const auto& s : open) {
      if (!s->waiting.load()) continue;
      if (!s->answered_once.load()) {
        if (s->last_active.load() < silent_before) {
          any_silent = true;
          reclaiming = s;
          s->close_if_idle(/*reclaimed=*/true);
        }
        continue;
      }
      if (!oldest || s->last_active.load() < oldest->last_active.load()) oldest = s;
    }
    if (any_silent || !oldest) return;
    reclaiming = oldest;
    oldest->close_if_idle(/*reclaimed=*/true);
  }
};

namespace {

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl* server, Stream stream)
      : server_(server),
        stream_(std::move(stream)),
        idle_timer_(stream_.get_executor()),
        accepted_ns_(steady_now_ns()) {}

  ~Session() override { server_->remove_session(this); }

  void run() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      // The handshake is part of the first request: it counts against
      // server.header_timeout, and a client silent through it may be
      // reclaimed at the cap like a plain one that sends nothing.
      handshaking_ = true;
      waiting = true;
      beast::get_lowest_layer(stream_).expires_after(
          std::min(server_->config.read_timeout, header_time_left()));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                self->handshaking_ = false;
                                if (ec) return;
                                self->wait_for_request();
                              });
    } else {
      asio::dispatch(stream_.get_executor(),
                     [self = this->shared_from_this()] { self->wait_for_request(); });
    }
  }

  void close_now() override { close(); }

  // What is left of server.header_timeout since the connection was accepted.
  std::chrono::milliseconds header_time_left() const {
    const auto spent = std::chrono::nanoseconds(steady_now_ns() - accepted_ns_);
    const auto left = server_->config.header_timeout -
                      std::chrono::duration_cast<std::chrono::milliseconds>(spent);
    return std::max(left, std::chrono::milliseconds(1));
  }

  bool bytes_waiting() {
    beast::error_code ec;
    if (buffer_.size() > 0 || beast::get_lowest_layer(stream_).socket().available(ec) > 0)
      return true;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      if (SSL_pending(stream_.native_handle()) > 0) return true;
    }
    return false;
  }

  void close_if_idle(bool reclaimed) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), reclaimed] {
      // Idle: waiting for a first byte, or (TLS, pipelined) reading a request
      // of which nothing has arrived yet. Never while a request is handled.
      if (self->busy_ ||
          !(self->idle_ || self->handshaking_ || (self->parser_ && !self->parser_->got_some())))
        return;
      // To make room, not one whose next request is already on its way in:
      // bytes in the kernel, in our buffer, or (TLS) decrypted in OpenSSL.
      if (reclaimed && self->bytes_waiting()) return;
      if (reclaimed) ++self->server_->reclaimed;
      self->close();
    });
  }

 private:
  // Waits up to the idle timeout for the first byte of the next request.
  // A fresh connection (no request answered yet) must send a whole request
  // header within server.header_timeout of being accepted; between requests
  // of a keep-alive connection the idle timeout applies to the first byte.
  void wait_for_request() {
    if (server_->stopping) return close();
    idle_ = true;
    waiting = true;
    const bool fresh = !answered_once.load();
    const auto wait = fresh ? header_time_left() : server_->config.idle_timeout;
    if (buffer_.size() > 0 || std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      // Pipelined bytes are already here (or TLS may hold decrypted ones):
      // read at once, under the idle timeout for the first request bytes.
      return read_request(wait);
    }
    idle_timer_.expires_after(wait);
    idle_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec && self->idle_) self->close();
    });
    beast::get_lowest_layer(stream_).socket().async_wait(
        tcp::socket::wait_read, [self = this->shared_from_this()](beast::error_code ec) {
          self->idle_timer_.cancel();
          if (ec || !self->idle_) return self->close();
          self->waiting = false;  // a request is coming in
          self->read_request(
              self->answered_once.load()
                  ? self->server_->config.read_timeout
                  : std::min(self->server_->config.read_timeout, self->header_time_left()));
        });
  }

  void read_request(std::chrono::milliseconds timeout) {
    idle_ = false;
    parser_.emplace();
    parser_->body_limit(server_->config.body_limit);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    waiting = false;
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return close();
    }
    if (ec) {
      // The request could not be parsed: answer once, then close.
      Response r = ec == bhttp::error::body_limit
                       ? problem(413, "body_too_large",
                                 "Begäran är större än " +
                                     std::to_string(server_->config.body_limit) + " byte")
                       : problem(400, "bad_http", "Felaktig HTTP-begäran: " + ec.message());
      if (ec == bhttp::error::header_limit)
        r = problem(431, "headers_too_large", "Huvudena är för stora");
      keep_alive_ = false;
      return write(std::move(r), Request{});
    }
    busy_ = true;
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive() && !server_->stopping;
    auto req = std::make_shared<Request>();
    req->method = std::string(msg.method_string());
    req->target = std::string(msg.target());
    for (const auto& f : msg) req->headers[std::string(f.name_string())] = std::string(f.value());
    req->body = std::move(msg.body());
    ++server_->in_flight;
    beast::get_lowest_layer(stream_).expires_never();
    auto run = [self = this->shared_from_this(), req](bool inline_) {
      const auto t0 = std::chrono::steady_clock::now();
      // Called once, on this thread or (a command) from the worker the log's
      // answer was posted to; on this strand only when inline_ and at once.
      auto answered = std::make_shared<std::atomic<bool>>(false);
      const auto here = std::this_thread::get_id();
      auto answer = [self, req, t0, inline_, answered, here](Response r) {
        if (answered->exchange(true)) return;
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        try {
          if (self->server_->access_log) self->server_->access_log(*req, r, secs);
        } catch (...) {
          // A log line must never take the connection (or the process) down.
        }
        if (inline_ && std::this_thread::get_id() == here)
          return self->write(std::move(r), *req, true);
        asio::post(self->stream_.get_executor(), [self, r = std::move(r), req]() mutable {
          self->write(std::move(r), *req, true);
        });
      };
      HttpServer::Impl* srv = self->server_;
      const HttpServer::Post post = [srv](std::function<void()> f) {
        if (srv->workers_closed) return;  // f is destroyed unrun
        asio::post(*srv->workers, std::move(f));
      };
      try {
        self->server_->handler(*req, post, answer);
      } catch (const std::exception& e) {
        answer(problem(500, "internal_error", e.what()));
      } catch (...) {
        answer(problem(500, "internal_error", "unknown exception"));
      }
    };
    // Short reads are answered on this connection's strand. Everything else
    // (commands wait for a synced append; lists and verification may take
    // long) goes to the worker pool, where many commands together make one
    // group commit and a long read does not hold up a network thread.
    if (server_->config.answer_inline && server_->config.answer_inline(*req)) return run(true);
    asio::post(*server_->workers, [run] { run(false); });
  }

  void write(Response r, const Request&, bool counted = false) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(bhttp::field::server, "journeyd");
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    if (server_->stopping) keep_alive_ = false;
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_->config.read_timeout);
    bhttp::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res, counted](beast::error_code ec, std::size_t) {
          self->busy_ = false;
          self->last_active = steady_now_ns();
          self->answered_once = true;
          if (counted) self->server_->request_done();
          if (ec || !self->keep_alive_) return self->close();
          self->wait_for_request();
        });
  }

  void close() {
    idle_ = false;
    waiting = false;
    closed = true;
    idle_timer_.cancel();
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    beast::get_lowest_layer(stream_).close();
  }

  HttpServer::Impl* server_;  // outlives every session (see Impl)
  Stream stream_;
  asio::steady_timer idle_timer_;
  const std::int64_t accepted_ns_;  // steady clock, for server.header_timeout
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  bool idle_ = false;
  bool handshaking_ = false;  // TLS: the handshake has not finished
  bool busy_ = false;         // from a complete request until its answer is written
};

}  // namespace

// Runs on the acceptor's strand.
void HttpServer::Impl::accept() {
  if (stopping || !acceptor->is_open()) return;
  acceptor->async_accept(asio::make_strand(ioc), [self = this](beast::error_code ec,
                                                               tcp::socket s) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !self->acceptor->is_open()) return;
      ++self->accept_errors;
      if (!self->accept_failing) {
        self->accept_failing = true;
        if (self->config.on_accept_error) self->config.on_accept_error(ec.message());
      }
      // Out of file descriptors (EMFILE, ENFILE) or memory: try again a little
      // later. A timer, not a sleep: this strand runs on a network thread
      // that other connections need.
      self->accept_retry->expires_after(std::chrono::milliseconds(50));
      self->accept_retry->async_wait([self](beast::error_code wec) {
        if (!wec) self->accept();
      });
      return;
    }
    if (self->stopping) return;
    self->accept_failing = false;
    ++self->accepted;
    s.set_option(tcp::no_delay(true), ec);
    bool room = false;
    if (self->tls) {
      auto ss = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          self, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(s)), *self->tls));
      room = self->add_session(ss);
      ss->run();
    } else {
      auto ps = std::make_shared<Session<beast::tcp_stream>>(self, beast::tcp_stream(std::move(s)));
      room = self->add_session(ps);
      ps->run();
    }
    // At the cap, new clients wait in the listen backlog (their connect has
    // succeeded; their request is read once a connection closes, and an idle
    // one is closed for them: watch_backlog).
    if (room)
      self->accept();
    else
      self->watch_backlog();
  });
}

HttpServer::HttpServer(ServerConfig config, Handler handler, AccessLog log)
    : HttpServer(
          std::move(config),
          [h = std::move(handler)](const Request& r, const Post&, Answer answer) { answer(h(r)); },
          std::move(log)) {}

HttpServer::HttpServer(ServerConfig config, AsyncHandler handler, AccessLog log)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->handler = std::move(handler);
  impl_->access_log = std::move(log);
}

HttpServer::~HttpServer() {
  stop_accepting();
  drain(std::chrono::milliseconds(0));
}

void HttpServer::start() {
  auto& c = impl_->config;
  if (!c.tls_certificate.empty() || !c.tls_private_key.empty()) {
    if (c.tls_certificate.empty() || c.tls_private_key.empty())
      throw std::runtime_error("server.tls_certificate and server.tls_private_key go together");
    impl_->tls.emplace(asio::ssl::context::tls_server);
    impl_->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    impl_->tls->use_certificate_chain_file(c.tls_certificate, ec);
    if (ec)
      throw std::runtime_error("server.tls_certificate: cannot use " + c.tls_certificate + ": " +
                               ec.message());
    impl_->tls->use_private_key_file(c.tls_private_key, asio::ssl::context::pem, ec);
    if (ec)
      throw std::runtime_error("server.tls_private_key: cannot use " + c.tls_private_key + ": " +
                               ec.message());
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(c.address, ec);
  if (ec) throw std::runtime_error("server.listen: '" + c.address + "' is not an IP address");
  tcp::endpoint ep{addr, c.port};
  // The acceptor lives on its own strand: accept handlers and close() never
  // run at the same time on two network threads.
  impl_->acceptor.emplace(asio::make_strand(impl_->ioc));
  impl_->accept_retry.emplace(impl_->acceptor->get_executor());
  impl_->reclaim_retry.emplace(impl_->acceptor->get_executor());
  impl_->acceptor->open(ep.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(ep, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("server.listen: cannot listen on " + c.address + ":" +
                             std::to_string(c.port) + ": " + ec.message());
  impl_->workers = std::make_unique<asio::thread_pool>(std::max(1, c.worker_threads));
  impl_->work.emplace(impl_->ioc.get_executor());
  asio::post(impl_->acceptor->get_executor(), [impl = impl_.get()] { impl->accept(); });
  for (int i = 0; i < std::max(1, c.io_threads); ++i)
    impl_->threads.emplace_back([impl = impl_.get()] { impl->ioc.run(); });
}

unsigned short HttpServer::port() const {
  return impl_->acceptor ? impl_->acceptor->local_endpoint().port() : 0;
}

std::size_t HttpServer::in_flight() const { return impl_->in_flight; }

ConnectionStats HttpServer::connections() const {
  ConnectionStats c;
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mu);
    c.open = impl_->sessions.size();
    c.at_cap = impl_->accept_paused;
  }
  c.accepted = impl_->accepted.load();
  c.accept_errors = impl_->accept_errors.load();
  c.idle_closed_at_cap = impl_->reclaimed.load();
  return c;
}

void HttpServer::stop_accepting() {
  impl_->stopping = true;
  if (impl_->acceptor && impl_->acceptor->is_open()) {
    asio::post(impl_->acceptor->get_executor(), [impl = impl_.get()] {
      beast::error_code ec;
      impl->acceptor->close(ec);
      impl->accept_retry->cancel();
      impl->reclaim_retry->cancel();
    });
  }
}

bool HttpServer::drain(std::chrono::milliseconds timeout) {
  if (impl_->threads.empty()) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool clean = true;
  std::vector<std::shared_ptr<SessionBase>> open;
  {
    std::unique_lock<std::mutex> lock(impl_->sessions_mu);
    // Answer everything already read ...
    clean = impl_->sessions_cv.wait_until(lock, deadline, [&] { return impl_->in_flight == 0; });
    for (auto& [p, w] : impl_->sessions)
      if (auto s = w.lock()) open.push_back(std::move(s));
  }
  // ... then close idle keep-alive connections. Outside the lock: dropping the
  // last reference to a session runs its destructor, which takes the lock.
  for (auto& s : open) s->close_if_idle();
  open.clear();
  {
    std::unique_lock<std::mutex> lock(impl_->sessions_mu);
    impl_->sessions_cv.wait_until(lock, deadline + std::chrono::milliseconds(500),
                                  [&] { return impl_->sessions.empty(); });
  }
  {
    // Everything read was answered within the grace period after all.
    std::lock_guard<std::mutex> lock(impl_->sessions_mu);
    clean = clean || impl_->in_flight == 0;
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  if (impl_->workers) {
    // Past the timeout, requests still queued for a worker are dropped: their
    // clients see the connection close unanswered, as after a crash, and may
    // retry with their Idempotency-Key. A handler already running is waited
    // for: it cannot be interrupted. A command whose append is still with
    // the log is not: the append lands, its answer is dropped.
    if (!clean) impl_->workers->stop();
    impl_->workers->join();
    impl_->workers_closed = true;
  }
  // Connections still open (their requests dropped, or their answers never
  // written) close now, not when the server is destroyed.
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mu);
    for (auto& [p, w] : impl_->sessions)
      if (auto s = w.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->close_now();
  open.clear();
  return clean;
}

}  // namespace journey::http
