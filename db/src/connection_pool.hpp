#pragma once

#include <pqxx/pqxx>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "looplive/db/database.hpp"

namespace looplive::db {

// "database unreachable: connection refused" from a libpq message, which can
// run over several lines and name the host; the connection string (and any
// password in it) never appears.
std::string unreachable_message(std::string_view libpq_message);

// Whether an idle connection can be handed out: still open, and the server
// has not closed it since it was last used.
bool looks_alive(pqxx::connection& connection);

// Whether a statement failed because the session is gone (server shutting
// down, connection lost) rather than because of the statement itself.
bool is_connection_failure(const pqxx::sql_error& error);

// Idle connections kept on a stack, opened on demand up to a limit. A caller
// that finds every connection borrowed waits for one to come back.
class ConnectionPool {
 public:
  ConnectionPool(std::string conninfo, size_t limit);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Calls fn(pqxx::connection&) with a connection of its own and returns what
  // it returns. Lost connections become ErrorCode::unavailable; fn may run twice when an
  // idle connection turns out to be dead, so it must be a whole transaction
  // (or several) that is safe to repeat after a failure before commit.
  template <class Fn>
  std::invoke_result_t<Fn&, pqxx::connection&> run(Fn&& fn);

  const std::string& conninfo() const { return conninfo_; }
  size_t idle_count() const;
  size_t open_count() const;  // idle and borrowed

 private:
  struct Borrowed {
    std::unique_ptr<pqxx::connection> connection;
    bool reused = false;  // came off the idle stack rather than freshly opened
  };

  Borrowed acquire();
  void give_back(std::unique_ptr<pqxx::connection> connection);
  // Forgets a dead connection; with drop_idle, the idle ones too, since a
  // server restart kills them all at once.
  void discard(std::unique_ptr<pqxx::connection> connection, bool drop_idle);

  const std::string conninfo_;
  const size_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t open_ = 0;
};

template <class Fn>
std::invoke_result_t<Fn&, pqxx::connection&> ConnectionPool::run(Fn&& fn) {
  using Result = std::invoke_result_t<Fn&, pqxx::connection&>;
  for (int attempt = 0;; ++attempt) {
    Borrowed borrowed = acquire();
    // Only a connection that sat idle earns a retry: its death says nothing
    // about whether the server is up now, while a fresh one's does.
    const bool may_retry = borrowed.reused && attempt == 0;
    try {
      if constexpr (std::is_void_v<Result>) {
        fn(*borrowed.connection);
        give_back(std::move(borrowed.connection));
        return;
      } else {
        Result result = fn(*borrowed.connection);
        give_back(std::move(borrowed.connection));
        return result;
      }
    } catch (const pqxx::in_doubt_error& error) {
      discard(std::move(borrowed.connection), true);
      throw core::Failure(
          core::ErrorCode::unavailable,
          "database connection lost during commit (outcome unknown): " + std::string(error.what()));
    } catch (const pqxx::broken_connection& error) {
      discard(std::move(borrowed.connection), true);
      if (may_retry) continue;
      throw core::Failure(core::ErrorCode::unavailable, unreachable_message(error.what()));
    } catch (const pqxx::sql_error& error) {
      if (borrowed.connection && !is_connection_failure(error) && borrowed.connection->is_open()) {
        give_back(std::move(borrowed.connection));
        throw;
      }
      discard(std::move(borrowed.connection), true);
      if (may_retry) continue;
      throw core::Failure(core::ErrorCode::unavailable, unreachable_message(error.what()));
    } catch (...) {
      if (borrowed.connection && borrowed.connection->is_open())
        give_back(std::move(borrowed.connection));
      else
        discard(std::move(borrowed.connection), false);
      throw;
    }
  }
}

}  // namespace looplive::db
