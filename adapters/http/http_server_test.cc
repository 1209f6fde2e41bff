// The Beast server over real sockets on 127.0.0.1, with a handler of its own
// (the API is tested by http_api_test and journeyd_api): the connection cap
// (idle connections make room, busy ones do not), accepting again after
// running out of file descriptors, and a drain that outlives its timeout.
#define BOOST_TEST_MODULE http_server
#include "journey/adapters/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace journey::http;
using namespace std::chrono_literals;

namespace {

// A blocking client socket connected to 127.0.0.1:port (-1 if connect failed).
int connect_to(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_get(int fd, const std::string& path) {
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
  BOOST_REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(req.size()));
}

// What arrived within `timeout`: an answer's head and body ("HTTP/1.1 200 OK
// ..."), "" when the server closed the connection without one, nullopt when
// nothing came at all.
std::optional<std::string> read_answer(int fd, std::chrono::milliseconds timeout) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto head_end = got.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto cl = got.find("Content-Length: ");
      const std::size_t body = cl == std::string::npos ? 0 : std::stoul(got.substr(cl + 16));
      if (got.size() >= head_end + 4 + body) return got;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return got.empty() ? std::nullopt : std::optional<std::string>(got);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return got;  // closed (or reset) by the server
    got.append(buf, static_cast<std::size_t>(n));
  }
}

// Puts RLIMIT_NOFILE back however the test leaves (a failed REQUIRE included).
struct RestoreFileLimit {
  rlimit saved{};
  RestoreFileLimit() { BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0); }
  ~RestoreFileLimit() { restore(); }
  bool restore() const { return ::setrlimit(RLIMIT_NOFILE, &saved) == 0; }
};

bool answered_ok(const std::optional<std::string>& a) {
  return a && a->rfind("HTTP/1.1 200", 0) == 0;
}

// A handler waits in pass() until the test calls open(). It waits at most
// 10 s, and OpenAtExit opens it when the test leaves early: a failed REQUIRE
// must not leave a handler, and so ~HttpServer, blocked for ever.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool opened = false;
  void pass() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, 10s, [&] { return opened; });
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mu);
      opened = true;
    }
    cv.notify_all();
  }
};
// Declared after the server, so that it runs before the server is destroyed.
struct OpenAtExit {
  Gate& gate;
  ~OpenAtExit() { gate.open(); }
};

Response ok(const std::string& body) {
  Response r;
  r.content_type = "text/plain";
  r.body = body;
  return r;
}

// Polls `done` every 10 ms for up to `limit`; true once it holds.
bool settles(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  for (auto end = std::chrono::steady_clock::now() + limit; !done();) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A started server with room for two connections, whose handler holds
// "/slow" at the gate and answers every other target at once with its path.
struct TwoConnectionServer {
  Gate gate;
  HttpServer server{config(), [this](const Request& r) {
                      if (r.target == "/slow") gate.pass();
                      return ok(r.target);
                    }};
  OpenAtExit open_at_exit{gate};  // after the server: runs before it is destroyed
  TwoConnectionServer() { server.start(); }
  static ServerConfig config() {
    ServerConfig c;
    c.port = 0;
    c.max_connections = 2;
    c.worker_threads = 2;
    return c;
  }
};

}  // namespace

// At the cap a new client does not wait for an idle keep-alive connection to
// time out (60 s here): the least recently active idle one is closed for it,
// and only that one.
BOOST_AUTO_TEST_CASE(AtTheCapTheLeastRecentlyActiveIdleConnectionMakesRoom) {
  TwoConnectionServer s;
  HttpServer& server = s.server;

  // Two keep-alive connections, both answered and left open; `first` has been
  // idle longer.
  int first = connect_to(server.port()), second = connect_to(server.port());
  BOOST_REQUIRE(first >= 0 && second >= 0);
  send_get(first, "/one");
  BOOST_TEST(answered_ok(read_answer(first, 5s)));
  std::this_thread::sleep_for(20ms);
  send_get(second, "/two");
  BOOST_TEST(answered_ok(read_answer(second, 5s)));
  auto full = server.connections();
  BOOST_TEST(full.open == 2u);
  BOOST_TEST(full.at_cap);

  // A third client is served at once, in place of `first`.
  int third = connect_to(server.port());
  BOOST_REQUIRE(third >= 0);
  send_get(third, "/three");
  auto a = read_answer(third, 5s);
  BOOST_TEST(answered_ok(a));
  BOOST_TEST(a.value_or("").find("/three") != std::string::npos);
  const auto first_got = read_answer(first, 2s);  // "": closed without an answer
  BOOST_TEST((first_got.has_value() && first_got->empty()), "first was closed");
  send_get(second, "/two-again");
  BOOST_TEST(answered_ok(read_answer(second, 5s)), "second stays open");

  auto after = server.connections();
  BOOST_TEST(after.accepted == 3u);
  BOOST_TEST(after.open == 2u);
  BOOST_TEST(after.idle_closed_at_cap == 1u);
  BOOST_TEST(after.at_cap);

  ::close(first);
  ::close(second);
  ::close(third);
  server.stop_accepting();
  BOOST_TEST(server.drain(2s));
}

// A connection reading or answering a request is never closed to make room:
// the new client waits until one of them is idle again.
BOOST_AUTO_TEST_CASE(AtTheCapAClientWaitsWhileEveryConnectionIsBusy) {
  TwoConnectionServer s;
  HttpServer& server = s.server;

  int first = connect_to(server.port()), second = connect_to(server.port());
  BOOST_REQUIRE(first >= 0 && second >= 0);
  send_get(first, "/slow");
  send_get(second, "/slow");
  BOOST_REQUIRE(settles([&] { return server.in_flight() == 2u; }));

  int third = connect_to(server.port());
  BOOST_REQUIRE(third >= 0);
  send_get(third, "/three");
  BOOST_TEST(!read_answer(third, 500ms).has_value());
  BOOST_TEST(server.connections().idle_closed_at_cap == 0u);

  s.gate.open();  // both answer and turn idle; one of them makes room
  BOOST_TEST(answered_ok(read_answer(first, 5s)));
  BOOST_TEST(answered_ok(read_answer(second, 5s)));
  auto a = read_answer(third, 5s);
  BOOST_TEST(answered_ok(a));
  BOOST_TEST(server.connections().idle_closed_at_cap == 1u);

  ::close(first);
  ::close(second);
  ::close(third);
  server.stop_accepting();
  BOOST_TEST(server.drain(2s));
}

// With one connection busy and one idle, two clients wait. The idle one makes
// room for the first; the first, just let in with its request unread, must
// not be closed for the second (only once answered may it be), and the busy
// one never is.
BOOST_AUTO_TEST_CASE(AtTheCapAClientJustLetInIsNotClosedForTheNextOne) {
  TwoConnectionServer s;
  HttpServer& server = s.server;

  int busy = connect_to(server.port()), idle = connect_to(server.port());
  BOOST_REQUIRE(busy >= 0 && idle >= 0);
  send_get(idle, "/quick");
  BOOST_REQUIRE(answered_ok(read_answer(idle, 5s)));
  BOOST_REQUIRE(settles([&] { return server.in_flight() == 0u; }));
  send_get(busy, "/slow");
  BOOST_REQUIRE(settles([&] { return server.in_flight() == 1u; }));

  int third = connect_to(server.port()), fourth = connect_to(server.port());
  BOOST_REQUIRE(third >= 0 && fourth >= 0);
  send_get(third, "/three");
  send_get(fourth, "/four");
  auto a3 = read_answer(third, 5s);
  BOOST_TEST(answered_ok(a3), a3.value_or("<nothing>"));
  auto a4 = read_answer(fourth, 5s);  // in place of the third, once that one was answered
  BOOST_TEST(answered_ok(a4), a4.value_or("<nothing>"));
  // The busy one is still busy, and open. (The fourth's request counts until
  // the write of its answer completes, a moment after the client has read it.)
  BOOST_TEST(settles([&] { return server.in_flight() == 1u; }, 2s));
  BOOST_TEST(server.connections().idle_closed_at_cap == 2u);

  s.gate.open();
  BOOST_TEST(answered_ok(read_answer(busy, 5s)));
  for (int fd : {busy, idle, third, fourth}) ::close(fd);
  server.stop_accepting();
  BOOST_TEST(server.drain(2s));
}

// 1,030 connections that never sent a byte shut everyone out until the idle
// timeout: only connections that had answered a request could be reclaimed.
// Now silent ones go first at the cap, and each is closed after
// header_timeout anyway.
BOOST_AUTO_TEST_CASE(MoreSilentConnectionsThanTheCapDoNotShutARealClientOut) {
  ServerConfig c;
  c.port = 0;
  c.max_connections = 16;
  c.worker_threads = 2;
  c.header_timeout = 3s;
  HttpServer server{c, [](const Request& r) { return ok(r.target); }};
  server.start();
  std::vector<int> silent;
  for (int i = 0; i < 40; ++i) {
    int fd = connect_to(server.port());  // the kernel's backlog takes those past the cap
    BOOST_REQUIRE(fd >= 0);
    silent.push_back(fd);
  }
  BOOST_REQUIRE(settles([&] { return server.connections().at_cap; }));
  int real = connect_to(server.port());
  BOOST_REQUIRE(real >= 0);
  const auto t0 = std::chrono::steady_clock::now();
  send_get(real, "/real");
  auto a = read_answer(real, 5s);
  const auto waited = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(answered_ok(a), a.value_or("<nothing>"));
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() < 1000);
  BOOST_TEST(server.connections().idle_closed_at_cap >= 16u);
  // Below the cap too, a silent connection is closed once header_timeout is up.
  for (int fd : silent) ::close(fd);
  int lone = connect_to(server.port());
  BOOST_REQUIRE(lone >= 0);
  auto closed = read_answer(lone, 6s);  // "": closed without an answer
  BOOST_TEST((closed.has_value() && closed->empty()), "the silent connection was closed");
  ::close(lone);
  ::close(real);
  server.stop_accepting();
  BOOST_TEST(server.drain(2s));
}

BOOST_AUTO_TEST_CASE(AcceptingGoesOnAfterTheProcessRanOutOfFileDescriptors) {
  ServerConfig c;
  c.port = 0;
  c.worker_threads = 1;
  std::mutex mu;
  std::vector<std::string> reported;  // what on_accept_error was told
  c.on_accept_error = [&](const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    reported.push_back(e);
  };
  HttpServer server(c, [](const Request& r) { return ok(r.target); });
  server.start();
  int open_before = connect_to(server.port());  // served all along
  BOOST_REQUIRE(open_before >= 0);
  send_get(open_before, "/before");
  BOOST_REQUIRE(answered_ok(read_answer(open_before, 5s)));

  // The clients' sockets exist before the limit drops: connecting needs no
  // new descriptor here, but the server's accept does, and there is none.
  std::vector<int> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(::socket(AF_INET, SOCK_STREAM, 0));
  for (int fd : clients) BOOST_REQUIRE(fd >= 0);
  RestoreFileLimit limit;
  int first_free = 0;
  while (::fcntl(first_free, F_GETFD) != -1) ++first_free;
  rlimit none = limit.saved;
  none.rlim_cur = static_cast<rlim_t>(first_free);  // every lower number is taken
  BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &none) == 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    BOOST_REQUIRE(::connect(clients[i], reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    send_get(clients[i], "/c" + std::to_string(i));
  }
  // While accept fails, the new clients wait and the open connection is served.
  send_get(open_before, "/during");
  auto during = read_answer(open_before, 2s);
  const bool waited = !read_answer(clients[0], 300ms).has_value();
  BOOST_REQUIRE(limit.restore());
  BOOST_TEST(answered_ok(during));
  BOOST_TEST(waited);
  // The failures were counted (one per 50 ms retry) and reported once.
  BOOST_TEST(server.connections().accept_errors >= 2u);
  {
    std::lock_guard<std::mutex> lock(mu);
    BOOST_REQUIRE(reported.size() == 1u);
    BOOST_TEST(reported[0].find("open files") != std::string::npos, reported[0]);
  }

  // With descriptors to spare again, every waiting client is served.
  for (std::size_t i = 0; i < clients.size(); ++i) {
    auto got = read_answer(clients[i], 5s);
    BOOST_TEST(answered_ok(got), "client " << i);
    BOOST_TEST(got.value_or("").find("/c" + std::to_string(i)) != std::string::npos);
    ::close(clients[i]);
  }
  ::close(open_before);
  server.stop_accepting();
  BOOST_TEST(server.drain(2s));
}

BOOST_AUTO_TEST_CASE(ADrainPastItsTimeoutDropsRequestsNoWorkerHasStarted) {
  Gate gate;
  std::atomic<int> started{0};
  ServerConfig c;
  c.port = 0;
  c.worker_threads = 1;  // one handler at a time: the others queue
  auto server = std::make_unique<HttpServer>(c, [&](const Request& r) {
    ++started;
    gate.pass();
    return ok(r.target);
  });
  OpenAtExit open_at_exit{gate};
  server->start();

  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect_to(server->port()));
    BOOST_REQUIRE(clients.back() >= 0);
    send_get(clients.back(), "/slow" + std::to_string(i));
  }
  // All three read: one running, two queued for the worker.
  settles([&] { return started >= 1 && server->in_flight() >= 3; }, 10s);
  BOOST_REQUIRE(started == 1);
  BOOST_REQUIRE(server->in_flight() == 3u);

  server->stop_accepting();
  // The running handler is let go well after drain() has given up on it (its
  // 100 ms and the 500 ms it gives idle connections to close).
  std::thread releaser([&] {
    std::this_thread::sleep_for(5s);
    gate.open();
  });
  BOOST_TEST(!server->drain(100ms));  // the timeout passed with requests in flight
  releaser.join();
  // The running handler finished; the two that never started were dropped,
  // not run after the drain gave up.
  BOOST_TEST(started == 1);
  // Nobody was answered (the network side stopped first); every client sees
  // its connection closed once drain() returns, none is left hanging.
  for (int fd : clients) {
    auto a = read_answer(fd, 2s);
    BOOST_TEST((a && a->empty()), "answer: " << a.value_or("<nothing within 2 s>"));
    ::close(fd);
  }
  server.reset();
}
