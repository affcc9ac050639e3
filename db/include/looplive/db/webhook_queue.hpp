#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "looplive/db/database.hpp"

namespace looplive::db {

// One event for one receiver, to be stored in the outbox.
struct NewDelivery {
  std::string event_id;  // UUID, shared by the event's rows for every receiver
  std::string event_type;
  std::optional<std::string> stream_id;
  std::string url;
  std::string body;  // the exact JSON that is sent and signed
};

// A stored delivery that is due.
struct Delivery {
  int64_t id = 0;
  std::string event_id;
  std::string event_type;
  std::string url;
  std::string body;
  int attempts = 0;  // made so far
};

struct DeliveryCounts {
  uint64_t pending = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;  // given up
};

// The webhook outbox in PostgreSQL, so a restart loses no event. Every
// method blocks and throws core::Failure (unavailable) when the database cannot be reached.
class WebhookQueue {
 public:
  explicit WebhookQueue(Database& database) : database_(database) {}

  void enqueue(const std::vector<NewDelivery>& deliveries);
  // Pending deliveries whose time has come, oldest first.
  std::vector<Delivery> due(size_t limit);
  // How long until the earliest pending delivery is due (zero when one is
  // due now); nothing when none is pending.
  std::optional<std::chrono::milliseconds> next_due();
  // Takes a due delivery for one attempt, for at most `lease` (then it is due
  // again, should this process die while sending): false when another process
  // on the same database took it first, or it is no longer due.
  bool claim(int64_t id, std::chrono::milliseconds lease);
  // Gives back a claimed delivery that was not attempted after all.
  void release(int64_t id);
  void delivered(int64_t id, int status);
  // Counts the attempt and schedules the next one after `delay`.
  void retry_later(int64_t id, int status, const std::string& error,
                   std::chrono::milliseconds delay);
  // Counts the attempt and stops trying.
  void give_up(int64_t id, int status, const std::string& error);
  DeliveryCounts counts();
  // Deletes deliveries delivered or abandoned longer than `age` ago; how many.
  uint64_t prune(std::chrono::seconds age);

 private:
  Database& database_;
};

}  // namespace looplive::db
