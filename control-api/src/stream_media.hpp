#pragma once

#include <string>

#include "context.hpp"

namespace looplive::control_api {

// Deletes an ended stream everywhere: its files (through the packager), its
// rows and its figures. Blocks on the database and the disk; throws when a
// file cannot be removed, and then keeps the rows so a later try finds it.
void delete_ended_stream(Context& context, const std::string& id);

}  // namespace looplive::control_api
