// Waiting, on the calling thread, for work written to answer later.
//
// An asynchronous call (JourneyEngine::execute_async, Api::handle_async) takes
// `post`, where it sends what follows the log's answer, and `done`, which it
// calls exactly once. run_here() gives it a `post` that queues on this thread
// and runs the queue here until `done` has been called: the synchronous forms
// are the asynchronous ones, with no pool and no second copy of the logic.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace journey::engine {

using Post = std::function<void(std::function<void()>)>;

template <class T>
T run_here(const std::function<void(const Post&, std::function<void(T)>)>& start) {
  struct Loop {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;  // GUARDED_BY(mu)
    std::optional<T> out;                     // GUARDED_BY(mu)
  };
  // Shared: what is posted after this returns (nothing should be) still has
  // somewhere to go, and is destroyed unrun with the last copy of `post`.
  auto loop = std::make_shared<Loop>();
  const Post post = [loop](std::function<void()> f) {
    {
      std::lock_guard<std::mutex> lock(loop->mu);
      loop->queue.push_back(std::move(f));
    }
    loop->cv.notify_one();
  };
  start(post, [loop](T v) {
    {
      std::lock_guard<std::mutex> lock(loop->mu);
      loop->out = std::move(v);
    }
    loop->cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(loop->mu);
  for (;;) {
    loop->cv.wait(lock, [&] { return loop->out || !loop->queue.empty(); });
    if (loop->queue.empty()) return std::move(*loop->out);
    auto f = std::move(loop->queue.front());
    loop->queue.pop_front();
    lock.unlock();
    f();
    lock.lock();
  }
}

}  // namespace journey::engine
