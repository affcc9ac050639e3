#include "ladder_sink.hpp"

#include <algorithm>

#include "looplive/core/log.hpp"
#include "looplive/transcode/ladder_plan.hpp"

namespace looplive::transcode {
namespace {

// Rung tracks' ids within a publish, clear of the source's (RTMP has two).
constexpr uint8_t kFirstRungTrack = 100;

bool same_source(const core::TrackInfo& a, const core::TrackInfo& b) {
  return a.codec == b.codec && a.codec_config == b.codec_config && a.width == b.width &&
         a.height == b.height && a.id == b.id;
}

std::string rungs_text(const std::vector<core::TrackInfo>& tracks) {
  std::string out;
  for (const core::TrackInfo& t : tracks) {
    out += (out.empty() ? "" : ", ") + std::to_string(t.width) + "x" + std::to_string(t.height) +
           " " + t.codec_string;
  }
  return out;
}

}  // namespace

LadderSink::LadderSink(std::shared_ptr<core::PacketSink> downstream, const LadderConfig& config,
                       bool compatible_only, std::string stream_id,
                       std::shared_ptr<LadderStatus> status)
    : downstream_(std::move(downstream)),
      config_(config),
      compatible_only_(compatible_only),
      stream_id_(std::move(stream_id)),
      status_(std::move(status)) {
  status_->set(stream_id_, std::nullopt);
}

LadderSink::~LadderSink() = default;

void LadderSink::on_track(const core::TrackInfo& track) {
  downstream_->on_track(track);
  if (track.kind == core::MediaKind::video && track.rendition == 0) start(track);
}

void LadderSink::on_packet(const core::MediaPacket& packet) {
  downstream_->on_packet(packet);
  if (!worker_) return;
  if (packet.track == source_->id) worker_->submit(packet);
  deliver();
}

void LadderSink::finish(core::EndReason reason) {
  if (worker_) {
    worker_->finish();
    deliver();
  }
  worker_.reset();
  status_->set(stream_id_, std::nullopt);  // reported while the publish lasts
  downstream_->finish(reason);
}

void LadderSink::start(const core::TrackInfo& source) {
  // The same configuration again (a ladder stopped for being slow stays stopped).
  if (source_ && same_source(*source_, source)) return;
  worker_.reset();
  source_ = source;
  const auto plan =
      compatible_only_ ? plan_compatible_rung(source) : plan_ladder(source, config_.rungs);
  if (plan.empty()) {
    end_rungs_except({});
    core::logger("transcode")
        ->info("stream {}: no rung for its {}x{} {}{}", stream_id_, source.width, source.height,
               core::codec_name(source.codec),
               compatible_only_ ? " (browsers play it as sent)" : " (none below it)");
    return;
  }
  auto transcoder = Transcoder::open(source, plan, config_, kFirstRungTrack);
  if (!transcoder) {
    end_rungs_except({});
    return stop("it could not start: " + transcoder.error().message);
  }
  const auto& rungs = transcoder.value()->rung_tracks();
  end_rungs_except(rungs);
  for (const core::TrackInfo& rung : rungs) {
    downstream_->on_track(rung);
    rung_ids_.push_back(rung.id);
  }
  core::logger("transcode")
      ->info("stream {}: ladder of {} from {}x{} {}: {}", stream_id_, rungs.size(), source.width,
             source.height, core::codec_name(source.codec), rungs_text(rungs));
  worker_ = std::make_unique<LadderWorker>(std::move(transcoder.value()),
                                           std::chrono::milliseconds(config_.max_delay_ms));
}

void LadderSink::deliver() {
  if (!worker_->take(made_)) return;
  for (const core::MediaPacket& packet : made_.packets) downstream_->on_packet(packet);
  for (const core::TrackInfo& rung : made_.dropped) {
    downstream_->end_track(rung.id);
    std::erase(rung_ids_, rung.id);
    const std::string trouble = "the " + std::to_string(rung.width) + "x" +
                                std::to_string(rung.height) +
                                " rung could not keep real time (too little CPU) and was dropped";
    core::logger("transcode")->warn("stream {}: {}", stream_id_, trouble);
    status_->set(stream_id_, trouble);
  }
  if (made_.stopped) {
    end_rungs_except({});
    stop(made_.stopped);
  }
}

// A new source configuration may plan fewer rungs than the last.
void LadderSink::end_rungs_except(const std::vector<core::TrackInfo>& kept) {
  for (const uint8_t id : rung_ids_) {
    const bool still = std::any_of(kept.begin(), kept.end(),
                                   [id](const core::TrackInfo& t) { return t.id == id; });
    if (!still) downstream_->end_track(id);
  }
  rung_ids_.clear();
}

void LadderSink::stop(std::optional<std::string> trouble) {
  worker_.reset();
  if (!trouble) return;
  core::logger("transcode")
      ->warn("stream {}: ladder stopped, viewers keep the source rendition: {}", stream_id_,
             *trouble);
  status_->set(stream_id_, std::move(trouble));
}

}  // namespace looplive::transcode
