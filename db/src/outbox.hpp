#pragma once

#include <pqxx/pqxx>

#include <vector>

#include "looplive/db/webhook_queue.hpp"

namespace looplive::db {

// Stores deliveries inside the caller's transaction, so an event is queued
// exactly when the change it announces commits. A repeated (event, url) pair
// is stored once.
void insert_deliveries(pqxx::work& txn, const std::vector<NewDelivery>& deliveries);

}  // namespace looplive::db
