#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "looplive/db/tag_repository.hpp"

namespace looplive::control_api {

// The cue: what players receive in every carrier (emsg, EXT-X-DATERANGE,
// EventStream), compact JSON. docs/tags.md shows it.
std::string cue_json(uint64_t id, const db::NewTag& tag);
// A tag as the API answers it.
nlohmann::json tag_json(const db::TagRecord& record);
// GET /v1/streams/{id}'s "tags": how many, where the timeline is, and the
// chapters by product.
nlohmann::json tags_summary_json(const std::string& stream_id, uint64_t count,
                                 const std::vector<db::TagChapter>& chapters);

}  // namespace looplive::control_api
