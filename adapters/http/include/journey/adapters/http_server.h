// The HTTP/1.1 server that carries bytes to and from Api::handle(): Boost.Beast
// on Asio, asynchronous, optionally HTTPS (OpenSSL) when a certificate and key
// are configured. Beast is included only by server.cc.
//
// Per connection: one strand (all its handlers run in order), keep-alive, an
// idle timeout while waiting for the next request, a read timeout for a whole
// request once its first byte arrived (a client trickling headers a byte a
// second is cut off when it runs out), and a body limit (413 beyond it).
//
// Requests that config.answer_inline says are short (e.g. one hire's status)
// are answered on the connection's strand; every other request runs on a
// separate worker pool, not on the network threads: a long read must not
// hold up a network thread. A command (with an AsyncHandler) hands its
// append to the log and frees its worker; many commands in the log's queue
// together are what it commits as one group.
//
// Shutdown: stop_accepting() closes the listening socket; drain() waits until
// every request already read has been answered (those answers say
// "Connection: close"), closes idle connections, and returns false if the
// timeout passed first. Past the timeout, requests still queued for a worker
// are dropped unanswered (their connections close, as after a crash; a client
// retries with its Idempotency-Key); a handler already running is waited for.
//
// Connections: at most config.max_connections at once. At the cap the server
// stops accepting; new clients wait in the kernel's listen backlog until a
// connection closes. While one waits there, the least recently active idle
// keep-alive connection is closed to make room, one at a time (never one
// reading or answering a request, one whose next request is already arriving,
// or one that has not answered its first yet), so a waiting client gets in as
// soon as any connection is idle, not after idle_timeout. When
// accept fails (out of file descriptors) it is retried after 50 ms; the first
// failure of a run of them goes to config.on_accept_error, and connections()
// counts them all, for the operator's metrics.
//
// Thread safety: start/stop_accepting/drain from one controlling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "journey/adapters/http_api.h"

namespace journey::http {

struct ServerConfig {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (see HttpServer::port())
  int io_threads = 2;
  int worker_threads = 32;
  std::size_t max_connections = 1024;  // open connections, idle keep-alive ones included
  std::size_t body_limit = 1 << 20;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  // A new connection's first request header must be complete this soon after
  // it was accepted, or it is closed. At the cap, connections that have sent
  // nothing for 0.2 s are closed first to let waiting clients in.
  std::chrono::milliseconds header_timeout{10000};
  std::string tls_certificate;  // PEM chain; with tls_private_key: HTTPS
  std::string tls_private_key;
  // True for requests cheap enough to answer on a network thread.
  std::function<bool(const Request&)> answer_inline;
  // Told (on a network thread) when accepting starts failing, e.g. "Too many
  // open files", once per run of failures rather than once per 50 ms retry.
  std::function<void(const std::string& error)> on_accept_error;
};

// What connections() reports; counters are since start().
struct ConnectionStats {
  std::size_t open = 0;                  // connections now, idle keep-alive ones included
  bool at_cap = false;                   // accepting paused at max_connections
  std::uint64_t accepted = 0;            // connections accepted
  std::uint64_t accept_errors = 0;       // failed accepts (each retried after 50 ms)
  std::uint64_t idle_closed_at_cap = 0;  // idle connections closed to let a new client in
};

class HttpServer {
 public:
  using Handler = std::function<Response(const Request&)>;
  // A handler that may answer later: it gets `post`, which runs a function
  // on the server's worker pool, and `answer`, to be called exactly once,
  // from any thread, with the response. A command hands its append to the
  // log and returns; the log's answer is posted back and answered from
  // there, so no worker sleeps while the log syncs. Until `answer` is called
  // the request counts as in flight (drain() waits for it).
  using Post = std::function<void(std::function<void()>)>;
  using Answer = std::function<void(Response)>;
  using AsyncHandler = std::function<void(const Request&, const Post&, Answer)>;
  // Called once per answered request (for access logs).
  using AccessLog = std::function<void(const Request&, const Response&, double seconds)>;

  HttpServer(ServerConfig config, Handler handler, AccessLog log = {});
  HttpServer(ServerConfig config, AsyncHandler handler, AccessLog log = {});
  ~HttpServer();

  // Binds and starts serving. Throws std::runtime_error naming the address
  // (or the certificate file) when it cannot.
  void start();
  unsigned short port() const;
  void stop_accepting();
  bool drain(std::chrono::milliseconds timeout);
  std::size_t in_flight() const;
  ConnectionStats connections() const;

  struct Impl;  // defined in server.cc (public so its sessions can name it)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace journey::http
