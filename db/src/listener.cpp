#include "looplive/db/listener.hpp"

#include <pqxx/pqxx>

#include <chrono>

#include "looplive/core/log.hpp"

namespace looplive::db {
namespace {

// How long a wait for a notification lasts before the thread looks whether
// it should stop.
constexpr long kWaitMicroseconds = 200'000;
constexpr auto kReconnectAfter = std::chrono::seconds(1);

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const std::string& channel,
           const std::function<void(const std::string&)>& on_notice)
      : pqxx::notification_receiver(connection, channel), on_notice_(on_notice) {}
  void operator()(const std::string& payload, int) override { on_notice_(payload); }

 private:
  const std::function<void(const std::string&)>& on_notice_;
};

}  // namespace

Listener::Listener(std::string conninfo, std::string channel,
                   std::function<void(const std::string& payload)> on_notice)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      on_notice_(std::move(on_notice)),
      thread_([this] { run(); }) {}

Listener::~Listener() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void Listener::run() {
  bool reported = false;
  while (!stopping_) {
    try {
      pqxx::connection connection(conninfo_);
      Receiver receiver(connection, channel_, on_notice_);  // sends LISTEN
      reported = false;
      while (!stopping_) connection.await_notification(0, kWaitMicroseconds);
    } catch (const std::exception& error) {
      if (!reported)
        core::logger("db")->warn("not listening for {} (polling only): {}", channel_, error.what());
      reported = true;
      for (auto waited = std::chrono::milliseconds(0); waited < kReconnectAfter && !stopping_;
           waited += std::chrono::milliseconds(100))
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace looplive::db
