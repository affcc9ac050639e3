#include "connection_pool.hpp"

#include <poll.h>

#include <cctype>

namespace looplive::db {

std::string unreachable_message(std::string_view libpq_message) {
  std::string_view reason = libpq_message.substr(0, libpq_message.find('\n'));
  // libpq prefixes connection failures with the host and port; the reason after it is what matters.
  constexpr std::string_view kFailed = "failed: ";
  if (auto at = reason.find(kFailed); at != std::string_view::npos)
    reason.remove_prefix(at + kFailed.size());
  while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.front())))
    reason.remove_prefix(1);
  while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.back())))
    reason.remove_suffix(1);
  std::string text(reason.empty() ? std::string_view("connection failed") : reason);
  // "Connection refused" comes from strerror; lower case reads better after the colon.
  if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
      std::islower(static_cast<unsigned char>(text[1])))
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return "database unreachable: " + text;
}

bool looks_alive(pqxx::connection& connection) {
  if (!connection.is_open()) return false;
  // An idle session has nothing to say. Readable means the server has ended
  // it (a FATAL message and end of file, as on a restart), which is caught
  // here because using such a connection leaks a result inside libpqxx 6.
  pollfd socket{connection.sock(), POLLIN, 0};
  if (socket.fd < 0) return false;
  return ::poll(&socket, 1, 0) == 0;
}

bool is_connection_failure(const pqxx::sql_error& error) {
  const std::string& state = error.sqlstate();
  // Class 08 is "connection exception"; 57P01..57P03 are the server shutting
  // down, crashing or not accepting connections yet.
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03";
}

ConnectionPool::ConnectionPool(std::string conninfo, size_t limit)
    : conninfo_(std::move(conninfo)), limit_(limit == 0 ? 1 : limit) {
  // With room for every connection reserved, giving one back cannot fail.
  idle_.reserve(limit_);
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Borrowed ConnectionPool::acquire() {
  for (;;) {
    std::unique_ptr<pqxx::connection> stale;  // closed outside the lock
    {
      std::unique_lock lock(mutex_);
      returned_.wait(lock, [this] { return !idle_.empty() || open_ < limit_; });
      if (idle_.empty()) {
        ++open_;
        break;
      }
      std::unique_ptr<pqxx::connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (looks_alive(*connection)) return Borrowed{std::move(connection), true};
      --open_;
      stale = std::move(connection);
    }
    returned_.notify_one();
  }
  // Connecting can take up to connect_timeout, so it happens outside the lock.
  try {
    return Borrowed{std::make_unique<pqxx::connection>(conninfo_), false};
  } catch (const std::exception& error) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    returned_.notify_one();
    throw core::Failure(core::ErrorCode::unavailable, unreachable_message(error.what()));
  }
}

void ConnectionPool::give_back(std::unique_ptr<pqxx::connection> connection) {
  if (!connection || !connection->is_open()) {
    discard(std::move(connection), false);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  returned_.notify_one();
}

void ConnectionPool::discard(std::unique_ptr<pqxx::connection> connection, bool drop_idle) {
  std::vector<std::unique_ptr<pqxx::connection>> dropped;
  {
    std::lock_guard lock(mutex_);
    if (connection) --open_;
    if (drop_idle) {
      open_ -= idle_.size();
      dropped.swap(idle_);
      idle_.reserve(limit_);
    }
  }
  returned_.notify_all();
  // `dropped` and `connection` are closed on return, outside the lock: closing talks to the server.
}

size_t ConnectionPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

size_t ConnectionPool::open_count() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace looplive::db
