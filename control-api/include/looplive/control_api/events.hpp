#pragma once

#include <chrono>
#include <string_view>

#include <nlohmann/json.hpp>

#include "looplive/control_api/public_urls.hpp"
#include "looplive/core/product_tag.hpp"
#include "looplive/db/stream_repository.hpp"

// The `data` of each webhook event type; every one carries streamId, and each
// about the stream's state its status.
namespace looplive::control_api::events {

inline constexpr std::string_view kStreamLive = "stream.live";
inline constexpr std::string_view kStreamReconnecting = "stream.reconnecting";
inline constexpr std::string_view kStreamEnded = "stream.ended";
inline constexpr std::string_view kRecordingReady = "recording.ready";
inline constexpr std::string_view kRecordingFailed = "recording.failed";
inline constexpr std::string_view kPublishRejected = "publish.rejected";
inline constexpr std::string_view kTagAired = "tag.aired";
// A VOD job finished; the data is the job as GET /v1/vod/jobs/{id} shows it (vod_jobs.hpp).
inline constexpr std::string_view kVodReady = "vod.ready";
inline constexpr std::string_view kVodFailed = "vod.failed";

nlohmann::json live(const db::StreamRecord& stream, const PublicUrls& urls);
nlohmann::json reconnecting(const db::StreamRecord& stream, std::chrono::milliseconds window,
                            std::string_view reason);
nlohmann::json ended(const db::StreamRecord& stream, const PublicUrls& urls,
                     std::string_view reason);
nlohmann::json recording_ready(const db::StreamRecord& stream, const PublicUrls& urls);
// `reason` says why; `vodUrl` names what was recorded before, or is null.
nlohmann::json recording_failed(const db::StreamRecord& stream, const PublicUrls& urls);
nlohmann::json publish_rejected(const std::string& stream_id, std::string_view status,
                                std::string_view reason, const std::string& remote_address);
// A product tag reached the origin: it is in what players load.
nlohmann::json tag_aired(const std::string& stream_id, const core::ProductTag& tag);

}  // namespace looplive::control_api::events
