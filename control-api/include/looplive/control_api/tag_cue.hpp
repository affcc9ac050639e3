#pragma once

#include "looplive/core/product_tag.hpp"
#include "looplive/db/tag_repository.hpp"

namespace looplive::control_api {

// A stored tag as the packager carries it, with the cue players receive
// (docs/tags.md): what the API places, and what a replay made after a restart
// takes back from the database.
core::ProductTag placed_tag(const db::TagRecord& record);

}  // namespace looplive::control_api
