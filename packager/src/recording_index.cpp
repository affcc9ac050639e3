#include "recording_index.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "looplive/media/text_format.hpp"

namespace looplive::packager {
namespace {

constexpr std::string_view kTrackTag = "#LOOPLIVE-TRACK:";
constexpr std::string_view kSegmentTag = "#LOOPLIVE-SEGMENT:";
constexpr std::string_view kMapTag = "#EXT-X-MAP:URI=\"";

using Attributes = std::map<std::string, std::string, std::less<>>;

// KEY=VALUE,KEY="VALUE",... as in HLS attribute lists.
Attributes parse_attributes(std::string_view text) {
  Attributes out;
  while (!text.empty()) {
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) break;
    std::string key(text.substr(0, equals));
    text.remove_prefix(equals + 1);
    std::string value;
    if (!text.empty() && text.front() == '"') {
      const size_t close = text.find('"', 1);
      value = text.substr(1, close == std::string_view::npos ? text.npos : close - 1);
      text.remove_prefix(close == std::string_view::npos ? text.size() : close + 1);
    } else {
      value = text.substr(0, text.find(','));
      text.remove_prefix(value.size());
    }
    if (!text.empty() && text.front() == ',') text.remove_prefix(1);
    out[std::move(key)] = std::move(value);
  }
  return out;
}

template <class T>
bool number(const Attributes& attributes, std::string_view key, T& out) {
  const auto found = attributes.find(key);
  if (found == attributes.end()) return false;
  const std::string& text = found->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

std::string double_text(double value) {
  char text[64];
  const auto [end, error] = std::to_chars(text, text + sizeof text, value);
  return error == std::errc{} ? std::string(text, end) : "0";
}

bool codec_named(std::string_view name, core::Codec& out) {
  for (const core::Codec codec : {core::Codec::h264, core::Codec::hevc, core::Codec::av1,
                                  core::Codec::aac, core::Codec::opus}) {
    if (core::codec_name(codec) == name) {
      out = codec;
      return true;
    }
  }
  return false;
}

core::Result<core::TrackInfo> parse_track(std::string_view text) {
  const Attributes attributes = parse_attributes(text);
  core::TrackInfo track;
  const auto kind = attributes.find("KIND");
  const auto codec = attributes.find("CODEC");
  const auto codecs = attributes.find("CODECS");
  if (kind == attributes.end() || codec == attributes.end() || codecs == attributes.end() ||
      !codec_named(codec->second, track.codec)) {
    return core::Error{"bad track line"};
  }
  track.kind = core::codec_kind(track.codec);
  if (kind->second != (track.kind == core::MediaKind::video ? "video" : "audio")) {
    return core::Error{"track kind does not match its codec"};
  }
  track.codec_string = codecs->second;
  unsigned channels = 0;
  // Indexes written before ladders have no RENDITION: theirs is the source's.
  unsigned rendition = 0;
  if (attributes.contains("RENDITION") &&
      (!number(attributes, "RENDITION", rendition) || rendition > 255))
    return core::Error{"bad track line"};
  track.rendition = static_cast<uint8_t>(rendition);
  if (!number(attributes, "WIDTH", track.width) || !number(attributes, "HEIGHT", track.height) ||
      !number(attributes, "FRAME-RATE", track.frame_rate) ||
      !number(attributes, "SAMPLE-RATE", track.sample_rate) ||
      !number(attributes, "CHANNELS", channels) || channels > 255) {
    return core::Error{"bad track line"};
  }
  track.channels = static_cast<uint8_t>(channels);
  return track;
}

bool parse_segment(std::string_view text, SegmentInfo& segment) {
  const Attributes attributes = parse_attributes(text);
  // Absent from indexes written before it was kept: no B-frame lead.
  if (attributes.contains("LEAD") && !number(attributes, "LEAD", segment.presentation_offset_ms))
    return false;
  return number(attributes, "NUMBER", segment.number) &&
         number(attributes, "START", segment.start_ms) &&
         number(attributes, "DURATION", segment.duration_ms) &&
         number(attributes, "PERIOD", segment.discontinuity_index) &&
         number(attributes, "WALL", segment.wall_clock_ms);
}

}  // namespace

int64_t recording_target_seconds(int64_t longest_ms) {
  return std::max<int64_t>(1, (longest_ms + 999) / 1000);
}

std::string render_recording_entry(const SegmentInfo* previous, const SegmentInfo& s) {
  std::string out;
  if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
  if (previous == nullptr || previous->init_uri != s.init_uri)
    out += std::string(kMapTag) + s.init_uri + "\"\n";
  out += "#EXT-X-PROGRAM-DATE-TIME:" + media::utc_timestamp(s.wall_clock_ms) + "\n";
  out += std::string(kSegmentTag) + "NUMBER=" + std::to_string(s.number) +
         ",START=" + std::to_string(s.start_ms) + ",DURATION=" + std::to_string(s.duration_ms) +
         ",PERIOD=" + std::to_string(s.discontinuity_index) +
         ",WALL=" + std::to_string(s.wall_clock_ms);
  if (s.presentation_offset_ms != 0) out += ",LEAD=" + std::to_string(s.presentation_offset_ms);
  out += "\n";
  out += "#EXTINF:" + media::seconds_text(s.duration_ms) + ",\n" + s.uri + "\n";
  return out;
}

std::string render_recording_index(const core::TrackInfo& track,
                                   std::span<const SegmentInfo> segments) {
  int64_t longest = 0;
  for (const auto& s : segments) longest = std::max(longest, s.duration_ms);
  std::string out = "#EXTM3U\n#EXT-X-VERSION:6\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(recording_target_seconds(longest));
  out += "\n#EXT-X-MEDIA-SEQUENCE:" + std::to_string(segments.empty() ? 1 : segments[0].number);
  out += "\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  out +=
      std::string(kTrackTag) + "KIND=" + (track.kind == core::MediaKind::video ? "video" : "audio");
  if (track.rendition != 0) out += ",RENDITION=" + std::to_string(track.rendition);
  out += ",CODEC=" + std::string(core::codec_name(track.codec)) + ",CODECS=\"" +
         track.codec_string + "\",WIDTH=" + std::to_string(track.width) +
         ",HEIGHT=" + std::to_string(track.height) +
         ",FRAME-RATE=" + double_text(track.frame_rate) +
         ",SAMPLE-RATE=" + std::to_string(track.sample_rate) +
         ",CHANNELS=" + std::to_string(track.channels) + "\n";
  const SegmentInfo* previous = nullptr;
  for (const auto& s : segments) {
    out += render_recording_entry(previous, s);
    previous = &s;
  }
  return out;
}

core::Result<RecordedTrack> parse_recording_index(std::string_view text) {
  RecordedTrack out;
  bool have_track = false;
  bool discontinuity = false;
  bool pending = false;
  std::string init_uri;
  SegmentInfo segment;
  size_t line_number = 0;
  // Every append ends with a newline: text after the last one is a cut-off append.
  if (const size_t last = text.rfind('\n'); last != std::string_view::npos)
    text = text.substr(0, last + 1);
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line != "#EXTM3U") return core::Error{"not a playlist"};
    if (line.starts_with(kTrackTag)) {
      auto track = parse_track(line.substr(kTrackTag.size()));
      if (!track) return track.error().wrap("line " + std::to_string(line_number));
      out.track = std::move(track.value());
      have_track = true;
    } else if (line == "#EXT-X-DISCONTINUITY") {
      discontinuity = true;
    } else if (line.starts_with(kMapTag) && line.ends_with("\"")) {
      init_uri = line.substr(kMapTag.size(), line.size() - kMapTag.size() - 1);
    } else if (line.starts_with(kSegmentTag)) {
      segment = SegmentInfo{};
      pending = parse_segment(line.substr(kSegmentTag.size()), segment);
      if (!pending) return core::Error{"line " + std::to_string(line_number) + ": bad segment"};
    } else if (!line.empty() && line.front() != '#' && pending) {
      segment.uri = line;
      segment.init_uri = init_uri;
      segment.discontinuity = std::exchange(discontinuity, false);
      out.segments.push_back(std::move(segment));
      pending = false;
    }
  }
  if (!have_track) return core::Error{"no track description"};
  return out;
}

}  // namespace looplive::packager
