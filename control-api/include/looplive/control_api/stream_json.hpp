#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "looplive/control_api/public_urls.hpp"
#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/viewer_source.hpp"
#include "looplive/db/stream_repository.hpp"

namespace looplive::control_api {

// The JSON shapes of the API and of webhook data, field names in camelCase as
// the backend's contract has them. Times are ISO 8601 UTC with "+00:00".

// "2025-10-18T07:01:01.399012Z" as "2025-10-18T07:01:01.399012+00:00".
std::string api_time(const std::string& iso_utc);
nlohmann::json api_time(const std::optional<std::string>& iso_utc);
std::string iso_now();  // the current time, in the same form

// POST /v1/streams: the only answer, with rotation, that carries the key.
nlohmann::json created_json(const db::CreatedStream& created, const PublicUrls& urls);
// GET /v1/streams/{id}: status, times, live ingest figures, viewers, recording.
nlohmann::json stream_json(const db::StreamRecord& stream, const PublicUrls& urls,
                           const std::optional<core::IngestFigures>& ingest,
                           const core::ViewerFigures& viewers);
// POST /v1/streams/{id}/end, and the data of the stream.ended webhook.
nlohmann::json end_json(const db::StreamRecord& stream, const PublicUrls& urls);
nlohmann::json ingest_json(const core::IngestFigures& figures);
nlohmann::json viewers_json(const core::ViewerFigures& viewers);

}  // namespace looplive::control_api
