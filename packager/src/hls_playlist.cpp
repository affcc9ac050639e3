#include "hls_playlist.hpp"

#include <algorithm>
#include <string>

#include "looplive/core/base64url.hpp"
#include "looplive/media/text_format.hpp"

namespace looplive::packager {
namespace {

// EXT-X-MAP outside an I-frame playlist is what requires version 6 (RFC 8216
// section 7); nothing used here needs 7, which only adds INSTREAM-ID SERVICE
// values. A delta update's EXT-X-SKIP needs 9, and 10 when it skips date
// ranges too (RFC 8216bis section 8). The multivariant playlist uses no
// versioned feature at all.
int media_playlist_version(DeltaUpdate delta) {
  switch (delta) {
    case DeltaUpdate::none:
      return 6;
    case DeltaUpdate::skip_segments:
      return 9;
    case DeltaUpdate::skip_dateranges_too:
      return 10;
  }
  return 6;
}

uint64_t bits_per_second(uint64_t bytes, int64_t duration_ms) {
  return duration_ms > 0 ? bytes * 8 * 1000 / static_cast<uint64_t>(duration_ms) : 0;
}

}  // namespace

int64_t target_duration_seconds(int64_t segment_ms) {
  return std::max<int64_t>(1, (segment_ms + 999) / 1000);
}

int64_t rounded_seconds(int64_t duration_ms) {
  return (duration_ms + 500) / 1000;
}

int64_t max_segment_ms(int64_t segment_ms) {
  return target_duration_seconds(segment_ms) * 1000 + 400;
}

int64_t skip_until_ms(int64_t target_seconds, int64_t window_ms) {
  const int64_t boundary = 6 * target_seconds * 1000;
  return window_ms > boundary ? boundary : 0;
}

size_t skippable_segments(std::span<const SegmentInfo> segments, int64_t skip_until_ms) {
  if (segments.empty() || skip_until_ms <= 0) return 0;
  const SegmentInfo& last = segments.back();
  const int64_t boundary = last.start_ms + last.duration_ms - skip_until_ms;
  size_t count = 0;
  while (count < segments.size() &&
         segments[count].start_ms + segments[count].duration_ms <= boundary)
    ++count;
  return count;
}

std::string daterange_id(uint64_t tag_id) {
  return "tag-" + std::to_string(tag_id);
}

std::string render_daterange(const TagRange& range) {
  const core::ProductTag& tag = *range.tag;
  std::string out = "#EXT-X-DATERANGE:ID=\"" + daterange_id(tag.id) +
                    "\",CLASS=\"com.looplive.product\",START-DATE=\"" +
                    media::utc_timestamp(tag.wall_clock_ms) + "\"";
  if (const auto duration = range.duration_ms())
    out += ",DURATION=" + media::seconds_text(*duration);
  // The API admits product ids that a quoted string may hold (no quote, no line break).
  out += ",X-PRODUCT-ID=\"" + tag.product_id + "\",X-ACTION=\"" +
         std::string(core::tag_action_name(tag.action)) + "\",X-PAYLOAD=\"" +
         core::base64url(tag.cue_json) + "\"\n";
  return out;
}

std::string render_dateranges(std::span<const TagRange> ranges) {
  std::string out;
  for (const TagRange& range : ranges) out += render_daterange(range);
  return out;
}

std::string render_media_playlist(std::span<const SegmentInfo> segments,
                                  const MediaPlaylistOptions& options) {
  if (segments.empty()) return {};
  const bool low_latency = options.part_target_ms > 0 && !options.ended && !options.vod;
  const int64_t skip_until = low_latency ? options.skip_until_ms : 0;
  const bool delta = options.delta != DeltaUpdate::none;
  const size_t skipped = delta ? skippable_segments(segments, skip_until) : 0;
  if (delta && skipped == 0) return {};
  int64_t target = std::max<int64_t>(1, options.target_seconds);
  for (const auto& s : segments) target = std::max(target, rounded_seconds(s.duration_ms));
  const SegmentInfo& first = segments.front();
  const uint64_t discontinuity_sequence =
      first.discontinuity_index - (first.discontinuity && first.discontinuity_index > 0 ? 1 : 0);

  std::string out;
  // A show's tags can make this hundreds of kilobytes, rendered at every
  // part: grown once, not doubled (and copied) along the way.
  out.reserve(1024 + options.dateranges.size() +
              160 * (segments.size() + options.parts.size() + options.reports.size()));
  out += "#EXTM3U\n";
  out += "#EXT-X-VERSION:" + std::to_string(media_playlist_version(options.delta)) + "\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(target) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first.number) + "\n";
  if (discontinuity_sequence > 0) {
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(discontinuity_sequence) + "\n";
  }
  if (options.vod) out += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  if (low_latency) {
    // PART-HOLD-BACK at three part targets, the least the spec allows.
    out += "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=" +
           media::seconds_text(3 * options.part_target_ms);
    if (skip_until > 0)
      out += ",CAN-SKIP-UNTIL=" + media::seconds_text(skip_until) + ",CAN-SKIP-DATERANGES=YES";
    if (options.hold_back_ms > 0) out += ",HOLD-BACK=" + media::seconds_text(options.hold_back_ms);
    out += "\n#EXT-X-PART-INF:PART-TARGET=" + media::seconds_text(options.part_target_ms) + "\n";
  } else if (options.hold_back_ms > 0 && !options.ended && !options.vod) {
    out += "#EXT-X-SERVER-CONTROL:HOLD-BACK=" + media::seconds_text(options.hold_back_ms) + "\n";
  }
  // Only while every listed segment starts with a keyframe: a keyframe
  // interval longer than the target duration forces cuts between keyframes.
  if (std::all_of(segments.begin(), segments.end(), [](const auto& s) { return s.independent; })) {
    out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  }
  out += options.dateranges;
  const std::string* map = nullptr;
  const auto head = [&](const SegmentInfo& s) {
    if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
    if (map == nullptr || *map != s.init_uri) {
      out += "#EXT-X-MAP:URI=\"" + options.uri_prefix + s.init_uri + "\"\n";
      map = &s.init_uri;
    }
    out += "#EXT-X-PROGRAM-DATE-TIME:" + media::utc_timestamp(s.wall_clock_ms) + "\n";
  };
  std::span<const PartInfo> parts = low_latency ? options.parts : std::span<const PartInfo>{};
  // A segment's parts come before it (RFC 8216bis section 4.4.4.9).
  const auto parts_of = [&](uint64_t number) {
    while (!parts.empty() && parts.front().segment_number < number) parts = parts.subspan(1);
    while (!parts.empty() && parts.front().segment_number == number) {
      const PartInfo& part = parts.front();
      out += "#EXT-X-PART:DURATION=" + media::seconds_text(part.duration_ms) + ",URI=\"" +
             part.uri + "\"";
      out += part.independent ? ",INDEPENDENT=YES\n" : "\n";
      parts = parts.subspan(1);
    }
  };
  // The skipped segments' tags go with them; the client keeps its copy.
  if (skipped > 0) {
    out += "#EXT-X-SKIP:SKIPPED-SEGMENTS=" + std::to_string(skipped);
    if (options.delta == DeltaUpdate::skip_dateranges_too)
      out += ",RECENTLY-REMOVED-DATERANGES=\"" + std::string(options.removed_dateranges) + "\"";
    out += "\n";
  }
  for (const auto& s : segments.subspan(skipped)) {
    head(s);
    parts_of(s.number);
    out += "#EXTINF:" + media::seconds_text(s.duration_ms) + ",\n";
    out += options.uri_prefix + s.uri + "\n";
  }
  if (low_latency) {
    if (options.open_segment != nullptr) {
      head(*options.open_segment);
      parts_of(options.open_segment->number);
    }
    if (!options.preload_hint.empty()) {
      out += "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"" + options.preload_hint + "\"\n";
    }
    for (const auto& report : options.reports) {
      out += "#EXT-X-RENDITION-REPORT:URI=\"" + report.uri +
             "\",LAST-MSN=" + std::to_string(report.last_msn);
      if (report.last_part >= 0) out += ",LAST-PART=" + std::to_string(report.last_part);
      out += "\n";
    }
  }
  if (options.ended || options.vod) out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string render_multivariant_playlist(std::span<const VariantTrack> tracks) {
  std::vector<const VariantTrack*> video;
  std::vector<const VariantTrack*> audio;
  for (const VariantTrack& t : tracks)
    (t.info->kind == core::MediaKind::video ? video : audio).push_back(&t);
  std::string out = "#EXTM3U\n";
  const bool grouped = !video.empty() && !audio.empty();
  if (grouped) {
    for (const VariantTrack* a : audio) {
      const bool first = a == audio.front();
      const std::string name = a->info->rendition == 0
                                   ? std::string("audio")
                                   : "audio_" + std::to_string(a->info->rendition);
      out += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"" + name +
             "\",DEFAULT=" + (first ? "YES" : "NO") + ",AUTOSELECT=YES";
      if (a->info->channels > 0) {
        out += ",CHANNELS=\"" + std::to_string(a->info->channels) + "\"";
      }
      out += ",URI=\"" + a->uri + "\"\n";
    }
  }
  // A variant's bandwidth and codecs count the default audio rendition it plays with.
  const VariantTrack* with_audio = grouped ? audio.front() : nullptr;
  for (const VariantTrack* variant : video.empty() ? audio : video) {
    uint64_t peak = variant->peak_bandwidth;
    uint64_t average = variant->average_bandwidth;
    std::string codecs = variant->info->codec_string;
    if (with_audio != nullptr) {
      peak += with_audio->peak_bandwidth;
      average += with_audio->average_bandwidth;
      codecs += "," + with_audio->info->codec_string;
    }
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(peak);
    out += ",AVERAGE-BANDWIDTH=" + std::to_string(average);
    out += ",CODECS=\"" + codecs + "\"";
    const core::TrackInfo& info = *variant->info;
    if (info.kind == core::MediaKind::video) {
      if (info.width > 0 && info.height > 0) {
        out += ",RESOLUTION=" + std::to_string(info.width) + "x" + std::to_string(info.height);
      }
      if (info.frame_rate > 0) out += ",FRAME-RATE=" + media::fixed3(info.frame_rate);
    }
    if (grouped) out += ",AUDIO=\"audio\"";
    out += "\n" + variant->uri + "\n";
  }
  return out;
}

void BitrateMeter::add(uint64_t bytes, int64_t duration_ms) {
  if (duration_ms <= 0) return;
  peak_ = std::max(peak_, bits_per_second(bytes, duration_ms));
  bytes_ += bytes;
  duration_ms_ += duration_ms;
}

uint64_t BitrateMeter::average() const {
  return bits_per_second(bytes_, duration_ms_);
}

}  // namespace looplive::packager
