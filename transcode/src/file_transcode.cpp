#include "looplive/transcode/file_transcode.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "audio_encoder.hpp"
#include "file_input.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/media/text_format.hpp"
#include "looplive/transcode/ladder_plan.hpp"
#include "packet_interleaver.hpp"
#include "picture_rotation.hpp"
#include "rung_encoder.hpp"

namespace looplive::transcode {
namespace {

// Packets are timed in milliseconds, as RTMP's are: the packager takes no other unit.
constexpr uint32_t kTimescale = 1000;
constexpr uint16_t kMaxDefaultHeight = 1080;
// Progress reports at most this often.
constexpr auto kProgressInterval = std::chrono::milliseconds(250);

// The rungs for the file: the wanted ones the source is large enough for,
// else one at the source's own size; renditions from 0, the largest. A rung's
// height is the picture's shorter side, as quality names go: a portrait
// 1080x1920 video's "1080p" rung is 1080 wide.
std::vector<RungPlan> plan_rungs(const FileProbe& probe, const std::vector<core::Rung>& wanted) {
  const bool portrait = probe.height > probe.width;
  core::TrackInfo source;
  source.kind = core::MediaKind::video;
  source.width = portrait ? probe.height : probe.width;
  source.height = portrait ? probe.width : probe.height;
  std::vector<core::Rung> rungs;
  for (const core::Rung& rung : wanted)
    if (rung.height <= source.height) rungs.push_back(rung);
  if (rungs.empty()) {
    const auto height =
        static_cast<uint16_t>(std::min<int>(source.height / 2 * 2, kMaxDefaultHeight));
    rungs.push_back({std::max<uint16_t>(height, 2), usual_bitrate(height)});
  }
  std::vector<RungPlan> plan = plan_ladder(source, rungs);
  for (RungPlan& rung : plan) {
    rung.rendition = static_cast<uint8_t>(rung.rendition - 1);
    if (portrait) std::swap(rung.width, rung.height);
  }
  return plan;
}

// One transcode_file call: reads the file once, decodes its video and audio,
// encodes the rungs and the AAC track, and hands the packets on in order.
class FileTranscode {
 public:
  FileTranscode(const FileTranscodeOptions& options, core::PacketSink& sink)
      : options_(options), sink_(sink) {}

  core::Result<FileTranscodeResult> run(const std::string& source);
  bool announced() const { return announced_; }
  bool cancelled() const { return input_ && input_->cancelled(); }

 private:
  core::Status open(const std::string& source);
  core::Status read_all();
  core::Status decode_video(const AVPacket* packet);
  core::Status encode_picture(const AVFrame& picture);
  core::Status decode_audio(const AVPacket* packet);
  core::Status finish();
  void report_progress(const AVPacket& packet);

  const FileTranscodeOptions& options_;
  core::PacketSink& sink_;
  std::unique_ptr<InputFile> input_;
  FileProbe probe_;
  AVStream* video_ = nullptr;
  AVStream* audio_ = nullptr;
  av::CodecContextPtr video_decoder_;
  av::CodecContextPtr audio_decoder_;
  std::vector<std::unique_ptr<RungEncoder>> rungs_;
  std::unique_ptr<AudioEncoder> audio_encoder_;
  std::vector<core::TrackInfo> tracks_;
  std::optional<PacketInterleaver> interleaver_;
  av::AvFramePtr frame_;
  std::optional<PictureRotation> rotation_;
  std::vector<core::MediaPacket> made_;
  bool announced_ = false;
  std::optional<int64_t> last_pts_;  // of the last picture encoded, in milliseconds
  int64_t next_keyframe_ = 0;
  uint64_t pictures_ = 0;
  int last_decode_error_ = 0;
  std::chrono::steady_clock::time_point last_progress_{};
};

core::Result<FileTranscodeResult> FileTranscode::run(const std::string& source) {
  if (core::Status status = open(source); !status) return status.error();
  if (core::Status status = read_all(); !status) return status.error();
  if (core::Status status = finish(); !status) return status.error();
  FileTranscodeResult result;
  result.tracks = tracks_;
  result.video_frames = pictures_;
  const double frame = probe_.frame_rate > 0 ? 1.0 / probe_.frame_rate : 0;
  result.media_seconds =
      std::max(last_pts_ ? static_cast<double>(*last_pts_) / kTimescale + frame : 0.0,
               audio_encoder_ ? audio_encoder_->end_seconds() : 0.0);
  const double missing = probe_.duration_seconds - result.media_seconds;
  if (missing > std::max(1.0, 0.05 * probe_.duration_seconds))
    return core::Error{
        "the file is truncated: its media stops at " +
        media::trimmed_seconds_text(std::llround(1000 * result.media_seconds)) + " s of " +
        media::trimmed_seconds_text(std::llround(1000 * probe_.duration_seconds)) + " s"};
  if (options_.progress) options_.progress(1.0);
  sink_.finish(core::EndReason::publisher_closed);
  return result;
}

core::Status FileTranscode::open(const std::string& source) {
  auto input = InputFile::open(source, options_.file);
  if (!input) return input.error();
  input_ = std::move(input.value());
  auto probe = describe(*input_);
  if (!probe) return probe.error();
  probe_ = probe.value();
  video_ = input_->video();
  audio_ = input_->audio();
  const int threads = static_cast<int>(std::max<uint32_t>(1, options_.threads));
  auto video_decoder = open_stream_decoder(*video_, threads);
  if (!video_decoder) return video_decoder.error();
  video_decoder_ = std::move(video_decoder.value());
  EncoderSettings settings;
  settings.encoder = options_.encoder;
  settings.preset = options_.preset;
  settings.threads = threads;
  settings.low_latency = false;  // a file may wait for libx264's lookahead
  for (const RungPlan& plan : plan_rungs(probe_, options_.rungs)) {
    auto rung = RungEncoder::open(plan, settings, kTimescale, probe_.frame_rate,
                                  static_cast<uint8_t>(rungs_.size()));
    if (!rung) return rung.error();
    tracks_.push_back(rung.value()->track());
    rungs_.push_back(std::move(rung.value()));
  }
  if (audio_ != nullptr) {
    auto audio_decoder = open_stream_decoder(*audio_, 1);
    if (!audio_decoder) return audio_decoder.error();
    audio_decoder_ = std::move(audio_decoder.value());
    auto encoder = AudioEncoder::open(*audio_->codecpar, options_.audio_bitrate,
                                      static_cast<uint8_t>(rungs_.size()));
    if (!encoder) return encoder.error();
    audio_encoder_ = std::move(encoder.value());
    tracks_.push_back(audio_encoder_->track());
  }
  frame_.reset(av_frame_alloc());
  if (!frame_) return core::Error{"out of memory"};
  rotation_.emplace(probe_.rotation);
  interleaver_.emplace(tracks_);
  for (const core::TrackInfo& track : tracks_) sink_.on_track(track);
  announced_ = true;
  return core::Ok{};
}

core::Status FileTranscode::read_all() {
  av::AvPacketPtr packet(av_packet_alloc());
  if (!packet) return core::Error{"out of memory"};
  while (true) {
    if (input_->cancelled()) return core::Error{"cancelled"};
    const int rc = av_read_frame(input_->context(), packet.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      if (input_->cancelled() || rc == AVERROR_EXIT) return core::Error{"cancelled"};
      // A download that stops is an error; a local file that does is
      // truncated, which finish() tells by the media's end.
      if (input_->remote())
        return core::Error{"cannot read " + input_->source() + ": " + av::av_error_text(rc),
                           core::ErrorCode::unavailable};
      break;
    }
    core::Status status = core::Ok{};
    if (packet->stream_index == video_->index) {
      report_progress(*packet);
      status = decode_video(packet.get());
    } else if (audio_ != nullptr && packet->stream_index == audio_->index) {
      status = decode_audio(packet.get());
    }
    av_packet_unref(packet.get());
    if (!status) return status;
    for (core::MediaPacket& made : made_) interleaver_->push(std::move(made));
    made_.clear();
    interleaver_->drain(sink_, false);
  }
  return core::Ok{};
}

core::Status FileTranscode::decode_video(const AVPacket* packet) {
  AVCodecContext* decoder = video_decoder_.get();
  const int sent = avcodec_send_packet(decoder, packet);
  // A damaged packet is skipped: the decoder conceals what follows it.
  if (sent < 0 && sent != AVERROR_EOF) last_decode_error_ = sent;
  int rc = 0;
  while ((rc = avcodec_receive_frame(decoder, frame_.get())) >= 0) {
    core::Status status = encode_picture(*frame_);
    av_frame_unref(frame_.get());
    if (!status) return status;
  }
  if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) last_decode_error_ = rc;
  return core::Ok{};
}

core::Status FileTranscode::encode_picture(const AVFrame& picture) {
  const int64_t gop = std::max<int64_t>(1, options_.gop.count() * kTimescale / 1000);
  int64_t pts = 0;
  if (picture.best_effort_timestamp != AV_NOPTS_VALUE) {
    pts = av_rescale_q(picture.best_effort_timestamp - input_->start_in(*video_), video_->time_base,
                       AVRational{1, static_cast<int>(kTimescale)});
  } else if (last_pts_) {
    // No time: the next frame's, by the frame rate.
    pts = *last_pts_ +
          static_cast<int64_t>(kTimescale / (probe_.frame_rate > 0 ? probe_.frame_rate : 30));
  }
  // Variable frame rate or broken files: times must only go up.
  if (last_pts_ && pts <= *last_pts_) return core::Ok{};
  const bool keyframe = !last_pts_ || pts >= next_keyframe_;
  if (keyframe) {
    const int64_t slot = pts >= 0 ? pts / gop : -((-pts + gop - 1) / gop);
    next_keyframe_ = (slot + 1) * gop;
  }
  last_pts_ = pts;
  ++pictures_;
  auto upright = rotation_->apply(picture);
  if (!upright) return upright.error();
  for (auto& rung : rungs_)
    if (core::Status status = rung->encode(*upright.value(), keyframe, pts, pts, made_); !status)
      return status;
  return core::Ok{};
}

core::Status FileTranscode::decode_audio(const AVPacket* packet) {
  AVCodecContext* decoder = audio_decoder_.get();
  // Damaged audio is skipped; the video decides whether the file is usable.
  avcodec_send_packet(decoder, packet);
  int rc = 0;
  while ((rc = avcodec_receive_frame(decoder, frame_.get())) >= 0) {
    double seconds = 0;
    if (frame_->best_effort_timestamp != AV_NOPTS_VALUE)
      seconds = static_cast<double>(frame_->best_effort_timestamp - input_->start_in(*audio_)) *
                av_q2d(audio_->time_base);
    core::Status status = audio_encoder_->encode(*frame_, seconds, made_);
    av_frame_unref(frame_.get());
    if (!status) return status;
  }
  return core::Ok{};
}

core::Status FileTranscode::finish() {
  if (core::Status status = decode_video(nullptr); !status) return status;
  if (pictures_ == 0)
    return core::Error{"no picture could be decoded" +
                       (last_decode_error_ != 0 ? " (" + av::av_error_text(last_decode_error_) + ")"
                                                : std::string())};
  for (auto& rung : rungs_)
    if (core::Status status = rung->flush(made_); !status) return status;
  if (audio_encoder_) {
    if (core::Status status = decode_audio(nullptr); !status) return status;
    if (core::Status status = audio_encoder_->flush(made_); !status) return status;
  }
  for (core::MediaPacket& made : made_) interleaver_->push(std::move(made));
  made_.clear();
  interleaver_->drain(sink_, true);
  return core::Ok{};
}

void FileTranscode::report_progress(const AVPacket& packet) {
  if (!options_.progress || probe_.duration_seconds <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_progress_ < kProgressInterval) return;
  const int64_t time = packet.pts != AV_NOPTS_VALUE ? packet.pts : packet.dts;
  if (time == AV_NOPTS_VALUE) return;
  last_progress_ = now;
  const double seconds =
      static_cast<double>(time - input_->start_in(*video_)) * av_q2d(video_->time_base);
  options_.progress(std::clamp(seconds / probe_.duration_seconds, 0.0, 1.0));
}

}  // namespace

core::Result<FileTranscodeResult> transcode_file(const std::string& source,
                                                 const FileTranscodeOptions& options,
                                                 core::PacketSink& sink) {
  FileTranscode job(options, sink);
  auto result = job.run(source);
  // The sink was told about tracks: it must hear that they end, and why.
  if (!result && job.announced())
    sink.finish(job.cancelled() ? core::EndReason::shutdown : core::EndReason::protocol_error);
  return result;
}

}  // namespace looplive::transcode
