#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace looplive::db {

// Notifications (PostgreSQL's LISTEN/NOTIFY) on one channel: how a process
// sharing the database learns at once that another asked something of it,
// instead of at its next poll. A connection of its own waits for them on a
// thread of its own and `on_notice` runs there with each payload. A lost
// connection is opened again a second later; notifications sent meanwhile
// are lost, so whoever listens keeps polling, only less often.
class Listener {
 public:
  Listener(std::string conninfo, std::string channel,
           std::function<void(const std::string& payload)> on_notice);
  ~Listener();  // stops the thread (within a fifth of a second)
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

 private:
  void run();

  const std::string conninfo_;
  const std::string channel_;
  const std::function<void(const std::string&)> on_notice_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace looplive::db
