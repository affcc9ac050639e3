#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <string_view>

#include "looplive/db/stream_repository.hpp"

namespace looplive::db {

// Shared by the repositories' translation units.

// A timestamptz column read as ISO 8601 UTC text with microseconds.
std::string iso_utc(std::string_view column);
// NULL as nothing.
std::optional<std::string> optional_text(const pqxx::field& field);

bool is_uuid(std::string_view text);
void require_uuid(const std::string& id);  // std::invalid_argument when not a UUID
// The select list read_stream() expects, in its order.
const std::string& stream_columns();
StreamRecord read_stream(const pqxx::row& row);
// Stores a key by its hash and a short prefix, never in clear.
void insert_key(pqxx::work& txn, const std::string& stream_id, const std::string& key);
// Moves the stream (row-locked) to `to` and records the event; false when it
// already was there. Throws ErrorCode::not_found, or conflict from ended.
bool apply_transition(pqxx::work& txn, const std::string& id, StreamStatus to,
                      const std::string& reason);
// A condition on `streams`: held by a process other than the asker ($2)
// whose lease still runs (the holder renews it every third of the lease).
inline constexpr const char* kHeldElsewhere =
    "streams.status <> 'ended' AND streams.owner IS NOT NULL AND streams.owner <> $2"
    " AND streams.owner_until > now()";

}  // namespace looplive::db
