#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "looplive/core/ingest_figures.hpp"
#include "looplive/db/stream_repository.hpp"

namespace looplive::control_api {

// Encoder diagnostics a seller can act on: each check has a level (ok, info,
// warning), what was measured in plain words and, when something is off, the
// setting to change. The report's level is its worst check's, or "idle" when
// no publisher has sent anything yet.
nlohmann::json health_report(const db::StreamRecord& stream,
                             const std::optional<core::IngestFigures>& figures,
                             std::chrono::milliseconds segment_duration,
                             const std::optional<std::string>& ladder_trouble = std::nullopt);

}  // namespace looplive::control_api
