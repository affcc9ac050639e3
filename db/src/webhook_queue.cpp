#include "looplive/db/webhook_queue.hpp"

#include "connection_pool.hpp"
#include "outbox.hpp"

namespace looplive::db {

void insert_deliveries(pqxx::work& txn, const std::vector<NewDelivery>& deliveries) {
  for (const auto& delivery : deliveries) {
    txn.exec_params(
        "INSERT INTO webhook_deliveries (event_id, event_type, stream_id, url, body)"
        " VALUES ($1::uuid, $2, $3::uuid, $4, $5) ON CONFLICT (event_id, url) DO NOTHING",
        delivery.event_id, delivery.event_type, delivery.stream_id, delivery.url, delivery.body);
  }
}

void WebhookQueue::enqueue(const std::vector<NewDelivery>& deliveries) {
  if (deliveries.empty()) return;
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    insert_deliveries(txn, deliveries);
    txn.commit();
  });
}

std::vector<Delivery> WebhookQueue::due(size_t limit) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto rows = txn.exec_params(
        "SELECT id, event_id::text, event_type, url, body, attempts FROM webhook_deliveries"
        " WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()"
        " ORDER BY next_attempt_at, id LIMIT $1",
        static_cast<int64_t>(limit));
    std::vector<Delivery> out;
    for (const auto& row : rows) {
      out.push_back(Delivery{row[0].as<int64_t>(), row[1].as<std::string>(),
                             row[2].as<std::string>(), row[3].as<std::string>(),
                             row[4].as<std::string>(), row[5].as<int>()});
    }
    return out;
  });
}

std::optional<std::chrono::milliseconds> WebhookQueue::next_due() {
  return database_.pool().run(
      [&](pqxx::connection& connection) -> std::optional<std::chrono::milliseconds> {
        pqxx::work txn(connection);
        const auto row = txn.exec1(
            "SELECT greatest(0, ceil(extract(epoch FROM min(next_attempt_at) - now()) * 1000))"
            "::bigint FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL");
        if (row[0].is_null()) return std::nullopt;
        return std::chrono::milliseconds(row[0].as<int64_t>());
      });
}

bool WebhookQueue::claim(int64_t id, std::chrono::milliseconds lease) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    // A second claimant waits for the first one's row lock, then finds the
    // row no longer due: one attempt at a time, whichever process asks.
    const auto result = txn.exec_params(
        "UPDATE webhook_deliveries SET next_attempt_at = now() + $2 * interval '1 millisecond'"
        " WHERE id = $1 AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= "
        "now()",
        id, static_cast<int64_t>(lease.count()));
    txn.commit();
    return result.affected_rows() == 1;
  });
}

void WebhookQueue::release(int64_t id) {
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params(
        "UPDATE webhook_deliveries SET next_attempt_at = now()"
        " WHERE id = $1 AND delivered_at IS NULL AND failed_at IS NULL",
        id);
    txn.commit();
  });
}

void WebhookQueue::delivered(int64_t id, int status) {
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = now(),"
        " last_status = $2, last_error = NULL WHERE id = $1",
        id, status);
    txn.commit();
  });
}

void WebhookQueue::retry_later(int64_t id, int status, const std::string& error,
                               std::chrono::milliseconds delay) {
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params(
        "UPDATE webhook_deliveries SET attempts = attempts + 1,"
        " next_attempt_at = now() + $4 * interval '1 millisecond',"
        " last_status = nullif($2, 0), last_error = $3 WHERE id = $1",
        id, status, error, static_cast<int64_t>(delay.count()));
    txn.commit();
  });
}

void WebhookQueue::give_up(int64_t id, int status, const std::string& error) {
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, failed_at = now(),"
        " last_status = nullif($2, 0), last_error = $3 WHERE id = $1",
        id, status, error);
    txn.commit();
  });
}

uint64_t WebhookQueue::prune(std::chrono::seconds age) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto result = txn.exec_params(
        "DELETE FROM webhook_deliveries"
        " WHERE coalesce(delivered_at, failed_at) < now() - $1 * interval '1 second'",
        static_cast<int64_t>(age.count()));
    txn.commit();
    return static_cast<uint64_t>(result.affected_rows());
  });
}

DeliveryCounts WebhookQueue::counts() {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    const auto row = txn.exec1(
        "SELECT count(*) FILTER (WHERE delivered_at IS NULL AND failed_at IS NULL),"
        " count(*) FILTER (WHERE delivered_at IS NOT NULL),"
        " count(*) FILTER (WHERE failed_at IS NOT NULL) FROM webhook_deliveries");
    return DeliveryCounts{row[0].as<uint64_t>(), row[1].as<uint64_t>(), row[2].as<uint64_t>()};
  });
}

}  // namespace looplive::db
