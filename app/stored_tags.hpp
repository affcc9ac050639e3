#pragma once

#include <string>
#include <vector>

#include "looplive/core/product_tag.hpp"

namespace looplive::db {
class TagRepository;
}

namespace looplive::app {

// A stream's tags as the database holds them, for an earlier run's cards
// (the replay, a stream resumed after a restart); none when the database
// cannot say, with a warning that `why_it_matters` (what then lacks them).
std::vector<core::ProductTag> stored_tags(db::TagRepository* tags, const std::string& stream_id,
                                          const char* why_it_matters);

}  // namespace looplive::app
