// Tags handed from the process an API call reached to the one packaging the stream.
#include <algorithm>

#include "connection_pool.hpp"
#include "looplive/db/tag_repository.hpp"
#include "stream_rows.hpp"

namespace looplive::db {

std::optional<uint64_t> TagRepository::ask_holder(const std::string& stream_id,
                                                  const std::string& asker,
                                                  const std::string& body_json) {
  require_uuid(stream_id);
  return database_.pool().run([&](pqxx::connection& connection) -> std::optional<uint64_t> {
    pqxx::nontransaction txn(connection);
    // The holder hears of it at once, on kTagChannel; its poll is the fallback.
    const auto rows = txn.exec_params(
        std::string("WITH holder AS (SELECT id, owner FROM streams WHERE id = $1::uuid AND ") +
            kHeldElsewhere +
            "), asked AS (INSERT INTO tag_requests (stream_id, body) SELECT id, $3::jsonb FROM"
            " holder RETURNING id) SELECT asked.id, pg_notify('" +
            kTagChannel + "', 'asked ' || holder.owner) FROM asked, holder",
        stream_id, asker, body_json);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<uint64_t>();
  });
}

std::vector<TagAsk> TagRepository::take_asked(const std::string& owner) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::nontransaction txn(connection);
    // Nothing asked (the usual answer) is one look at an empty partial index.
    // Taken in the same statement, so the asker can no longer withdraw them.
    const auto rows = txn.exec_params(
        "UPDATE tag_requests r SET taken_at = now() FROM streams s"
        " WHERE s.id = r.stream_id AND r.taken_at IS NULL AND s.owner = $1"
        " AND s.status <> 'ended' RETURNING r.id, r.stream_id::text, r.body::text",
        owner);
    std::vector<TagAsk> asked;
    for (const auto& row : rows)
      asked.push_back({row[0].as<uint64_t>(), row[1].as<std::string>(), row[2].as<std::string>()});
    std::sort(asked.begin(), asked.end(),
              [](const TagAsk& a, const TagAsk& b) { return a.id < b.id; });
    return asked;
  });
}

void TagRepository::answer(uint64_t request_id, const TagAnswer& answer) {
  database_.pool().run([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params(
        "UPDATE tag_requests SET answer_status = $2, answer_body = $3, answered_at = now()"
        " WHERE id = $1",
        request_id, answer.status, answer.body_json);
    // Delivered at the commit: the asker finds the answer stored when it looks.
    txn.exec_params("SELECT pg_notify($1, 'answered ' || $2)", std::string(kTagChannel),
                    std::to_string(request_id));
    // Requests whose asker never came back (it stopped): the table stays small.
    txn.exec("DELETE FROM tag_requests WHERE created_at < now() - interval '1 minute'");
    txn.commit();
  });
}

std::optional<TagAnswer> TagRepository::take_answer(uint64_t request_id) {
  return database_.pool().run([&](pqxx::connection& connection) -> std::optional<TagAnswer> {
    pqxx::nontransaction txn(connection);
    const auto rows = txn.exec_params(
        "DELETE FROM tag_requests WHERE id = $1 AND answered_at IS NOT NULL"
        " RETURNING answer_status, answer_body",
        request_id);
    if (rows.empty()) return std::nullopt;
    return TagAnswer{rows[0][0].as<int>(), rows[0][1].as<std::string>()};
  });
}

bool TagRepository::withdraw(uint64_t request_id) {
  return database_.pool().run([&](pqxx::connection& connection) {
    pqxx::nontransaction txn(connection);
    return txn.exec_params("DELETE FROM tag_requests WHERE id = $1 AND taken_at IS NULL",
                           request_id)
               .affected_rows() == 1;
  });
}

}  // namespace looplive::db
