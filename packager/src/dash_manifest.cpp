#include "dash_manifest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "looplive/media/text_format.hpp"
#include "tag_events.hpp"

namespace looplive::packager {

std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

namespace {

// Frame rates must be an integer or a fraction in the MPD.
std::string frame_rate_text(double rate) {
  const double rounded = std::round(rate);
  if (std::abs(rate - rounded) < 0.001) return std::to_string(static_cast<int64_t>(rounded));
  const double ntsc = std::round(rate * 1001 / 1000);
  if (std::abs(rate - ntsc * 1000 / 1001) < 0.001) {
    return std::to_string(static_cast<int64_t>(ntsc) * 1000) + "/1001";
  }
  return std::to_string(std::llround(rate * 1000)) + "/1000";
}

std::span<const SegmentInfo> in_period(std::span<const SegmentInfo> segments, uint64_t period) {
  auto begin = std::find_if(segments.begin(), segments.end(),
                            [&](const SegmentInfo& s) { return s.discontinuity_index == period; });
  auto end = std::find_if(begin, segments.end(),
                          [&](const SegmentInfo& s) { return s.discontinuity_index != period; });
  return {begin, end};
}

// Inside a SegmentTemplate indented by `indent`.
std::string timeline(std::span<const SegmentInfo> segments, const std::string& indent) {
  std::string out = indent + "  <SegmentTimeline>\n";
  size_t i = 0;
  int64_t expected_start = std::numeric_limits<int64_t>::min();
  while (i < segments.size()) {
    const SegmentInfo& s = segments[i];
    size_t repeat = 0;
    while (i + repeat + 1 < segments.size() &&
           segments[i + repeat + 1].duration_ms == s.duration_ms &&
           segments[i + repeat + 1].start_ms == segments[i + repeat].start_ms + s.duration_ms) {
      ++repeat;
    }
    out += indent + "    <S";
    if (s.start_ms != expected_start) out += " t=\"" + std::to_string(s.start_ms) + "\"";
    out += " d=\"" + std::to_string(s.duration_ms) + "\"";
    if (repeat > 0) out += " r=\"" + std::to_string(repeat) + "\"";
    out += "/>\n";
    i += repeat + 1;
    expected_start = segments[i - 1].start_ms + segments[i - 1].duration_ms;
  }
  return out + indent + "  </SegmentTimeline>\n";
}

// The tags that start in [from_ms, to_ms), as the period's EventStream. A
// card still on screen lasts, as far as this MPD knows, to its end
// (`listed_end_ms`): players (dash.js) start an event with no duration only
// when the playhead crosses its start, so a viewer who joins later would
// never see it; the next MPD carries the card on, or its real end.
// Appended to `out`.
void append_event_stream(std::string& out, std::span<const TagRange> events, int64_t from_ms,
                         int64_t to_ms, int64_t period_start_ms, int64_t listed_end_ms,
                         const std::function<const std::string*(uint64_t)>& escaped_cue) {
  bool opened = false;
  for (const TagRange& range : events) {
    const core::ProductTag& tag = *range.tag;
    if (tag.media_time_ms < from_ms || tag.media_time_ms >= to_ms) continue;
    if (!opened) {
      opened = true;
      out += "    <EventStream schemeIdUri=\"" + std::string(kTagScheme) + "\" value=\"" +
             std::string(kTagSchemeValue) + "\" timescale=\"1000\" presentationTimeOffset=\"" +
             std::to_string(period_start_ms) + "\">\n";
    }
    // Still on screen from an earlier period: listed from this one's start.
    const int64_t at = std::max(tag.media_time_ms, period_start_ms);
    const int64_t end = range.end_ms.value_or(std::max(listed_end_ms, at));
    out += "      <Event id=\"";
    out += std::to_string(tag.id);
    out += "\" presentationTime=\"";
    out += std::to_string(at);
    out += "\" duration=\"";
    out += std::to_string(std::max<int64_t>(0, end - at));
    out += "\">";
    const std::string* escaped = escaped_cue ? escaped_cue(tag.id) : nullptr;
    out += escaped != nullptr ? *escaped : xml_text(tag.cue_json);
    out += "</Event>\n";
  }
  if (opened) out += "    </EventStream>\n";
}

bool low_latency(const MpdOptions& options) {
  return options.dynamic && options.chunk_ms > 0;
}

// One track's segments in a period: the tracks of an AdaptationSet.
struct Listed {
  const DashTrack* track;
  std::span<const SegmentInfo> segments;
};

std::string segment_template(const Listed& listed, int64_t period_start_ms,
                             const MpdOptions& options, const std::string& indent) {
  const DashTrack& track = *listed.track;
  const auto segments = listed.segments;
  std::string out = indent + "<SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"" +
                    std::to_string(period_start_ms) + "\"";
  if (track.media_template.find("$Time$") == std::string::npos) {
    out += " startNumber=\"" + std::to_string(segments.front().number) + "\"";
  }
  out += " initialization=\"" + segments.front().init_uri + "\" media=\"" + track.media_template +
         "\"";
  if (low_latency(options) && track.growing) {
    // A segment is listed (and fetchable) once its first chunk exists: its
    // end, as listed, minus this.
    out +=
        " availabilityTimeOffset=\"" +
        media::trimmed_seconds_text(std::max<int64_t>(0, options.growing_ms - options.chunk_ms)) +
        "\" availabilityTimeComplete=\"false\"";
  }
  out += ">\n";
  out += timeline(segments, indent);
  return out + indent + "</SegmentTemplate>\n";
}

// <Representation ...> with its children but without its closing tag when it has any.
std::string representation(const DashTrack& track, const std::string& indent,
                           const std::string& inner) {
  const core::TrackInfo& info = *track.info;
  const bool video = info.kind == core::MediaKind::video;
  const std::string id = std::string(video ? "video" : "audio") +
                         (info.rendition == 0 ? "" : "_" + std::to_string(info.rendition));
  std::string out = indent + "<Representation id=\"" + id + "\" codecs=\"" + info.codec_string +
                    "\" bandwidth=\"" + std::to_string(track.bandwidth) + "\"";
  std::string children = inner;
  if (video) {
    if (info.width > 0 && info.height > 0) {
      out += " width=\"" + std::to_string(info.width) + "\" height=\"" +
             std::to_string(info.height) + "\"";
    }
    if (info.frame_rate > 0) out += " frameRate=\"" + frame_rate_text(info.frame_rate) + "\"";
  } else {
    out += " audioSamplingRate=\"" + std::to_string(info.sample_rate) + "\"";
    children += indent +
                "  <AudioChannelConfiguration "
                "schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"" +
                std::to_string(info.channels) + "\"/>\n";
  }
  if (children.empty()) return out + "/>\n";
  return out + ">\n" + children + indent + "</Representation>\n";
}

// The renditions of one kind in a period. One rendition keeps its
// SegmentTemplate on the AdaptationSet; a ladder gives each Representation
// its own, as their file names differ.
std::string adaptation_set(std::span<const Listed> renditions, int64_t period_start_ms, size_t id,
                           const MpdOptions& options) {
  const bool video = renditions.front().track->info->kind == core::MediaKind::video;
  std::string out = "    <AdaptationSet id=\"" + std::to_string(id) + "\" contentType=\"" +
                    (video ? "video" : "audio") + "\" mimeType=\"" +
                    (video ? "video/mp4" : "audio/mp4") + "\" segmentAlignment=\"true\"";
  // Segments cut between keyframes (a keyframe interval longer than the
  // target duration) do not start with a stream access point.
  const bool independent = std::all_of(renditions.begin(), renditions.end(), [](const Listed& l) {
    return std::all_of(l.segments.begin(), l.segments.end(),
                       [](const SegmentInfo& s) { return s.independent; });
  });
  out += independent ? " startWithSAP=\"1\">\n" : ">\n";
  if (id == 0 && options.inband_events) {
    out += "      <InbandEventStream schemeIdUri=\"" + std::string(kTagScheme) + "\" value=\"" +
           std::string(kTagSchemeValue) + "\"/>\n";
  }
  if (renditions.size() == 1) {
    out += segment_template(renditions.front(), period_start_ms, options, "      ");
    out += representation(*renditions.front().track, "      ", "");
  } else {
    for (const Listed& listed : renditions) {
      out += representation(*listed.track, "      ",
                            segment_template(listed, period_start_ms, options, "        "));
    }
  }
  return out + "    </AdaptationSet>\n";
}

}  // namespace

int64_t dash_target_latency_ms(int64_t chunk_ms) {
  return std::max<int64_t>(1000, 4 * chunk_ms);
}

std::string render_mpd(std::span<const DashTrack> tracks, const MpdOptions& options) {
  struct Span {
    int64_t start = std::numeric_limits<int64_t>::max();
    int64_t end = std::numeric_limits<int64_t>::min();
  };
  const int64_t growing_ms = std::max<int64_t>(1, options.growing_ms);
  const auto lists_growing = [&](const DashTrack& t) { return t.growing && low_latency(options); };
  std::map<uint64_t, Span> periods;
  const auto place = [&](const SegmentInfo& s, int64_t duration_ms) {
    Span& span = periods[s.discontinuity_index];
    span.start = std::min(span.start, s.start_ms);
    span.end = std::max(span.end, s.start_ms + duration_ms);
  };
  for (const auto& t : tracks) {
    for (const auto& s : t.segments) place(s, s.duration_ms);
    if (lists_growing(t)) place(*t.growing, growing_ms);
  }
  if (periods.empty()) return {};
  // Each track's segments as listed: the finished ones, then the one growing.
  // Copied only when AdaptationSets are made, not when they are kept.
  std::vector<std::vector<SegmentInfo>> listed;
  const auto listed_segments = [&]() -> const std::vector<std::vector<SegmentInfo>>& {
    if (!listed.empty()) return listed;
    for (const auto& t : tracks) {
      listed.emplace_back(t.segments.begin(), t.segments.end());
      if (lists_growing(t)) {
        listed.back().push_back(*t.growing);
        listed.back().back().duration_ms = growing_ms;
      }
    }
    return listed;
  };
  // Dynamic periods are placed against availabilityStartTime (media time 0),
  // gaps from reconnects included, so the live edge follows the wall clock. A
  // static presentation plays its periods back to back from zero.
  int64_t total = 0;
  for (const auto& entry : periods) total += entry.second.end - entry.second.start;

  // A show's tags can make this hundreds of kilobytes, rendered at every
  // part: grown once, not doubled (and copied) along the way.
  size_t expected = 2048;
  for (const auto& t : tracks) expected += 1024 + 48 * t.segments.size();
  for (const TagRange& range : options.events) expected += 96 + range.tag->cue_json.size();
  std::string out;
  out.reserve(expected);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
      "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\"";
  if (options.dynamic) {
    out += " type=\"dynamic\" availabilityStartTime=\"" +
           media::utc_timestamp(options.availability_start_ms) + "\" publishTime=\"" +
           media::utc_timestamp(options.publish_ms) + "\" minimumUpdatePeriod=\"" +
           media::iso_duration(low_latency(options) ? options.chunk_ms : options.segment_ms) +
           "\" timeShiftBufferDepth=\"" + media::iso_duration(options.time_shift_ms) +
           "\" suggestedPresentationDelay=\"" + media::iso_duration(options.presentation_delay_ms) +
           "\"";
  } else {
    out += " type=\"static\" mediaPresentationDuration=\"" + media::iso_duration(total) + "\"";
  }
  out += " minBufferTime=\"" + media::iso_duration(options.segment_ms) + "\">\n";
  if (!options.base_url.empty()) out += "  <BaseURL>" + options.base_url + "</BaseURL>\n";
  if (low_latency(options) && options.target_latency_ms > 0) {
    // Players aim for the target and speed up or slow down a little to stay there.
    const int64_t target = options.target_latency_ms;
    out += "  <ServiceDescription id=\"0\">\n    <Latency target=\"" + std::to_string(target) +
           "\" min=\"" + std::to_string(target / 2) + "\" max=\"" + std::to_string(target * 3) +
           "\"/>\n    <PlaybackRate min=\"0.96\" max=\"1.04\"/>\n  </ServiceDescription>\n";
  }
  if (options.kept_tracks != nullptr && !options.reuse_tracks) options.kept_tracks->clear();
  int64_t played = 0;
  for (auto it = periods.begin(); it != periods.end(); ++it) {
    const auto& [period, span] = *it;
    int64_t period_start = span.start;
    if (options.dynamic && options.period_starts != nullptr) {
      if (const auto began = options.period_starts->find(period);
          began != options.period_starts->end())
        period_start = std::min(began->second, span.start);
    }
    const int64_t start = options.dynamic ? period_start : played;
    played += span.end - span.start;
    out += "  <Period id=\"" + std::to_string(period) + "\" start=\"" + media::iso_duration(start) +
           "\">\n";
    const auto next = std::next(it);
    append_event_stream(
        out, options.events,
        it == periods.begin() ? std::numeric_limits<int64_t>::min() : span.start,
        next == periods.end() ? std::numeric_limits<int64_t>::max() : next->second.start,
        period_start, periods.rbegin()->second.end, options.escaped_cue);
    std::string* kept = options.kept_tracks ? &(*options.kept_tracks)[period] : nullptr;
    if (kept != nullptr && options.reuse_tracks && !kept->empty()) {
      out += *kept;
      out += "  </Period>\n";
      continue;
    }
    const size_t tracks_from = out.size();
    // Tracks come video first, then by rendition: one AdaptationSet per kind.
    for (size_t first = 0; first < tracks.size();) {
      const core::MediaKind kind = tracks[first].info->kind;
      std::vector<Listed> renditions;
      size_t next = first;
      for (; next < tracks.size() && tracks[next].info->kind == kind; ++next) {
        const auto segments = in_period(listed_segments()[next], period);
        if (!segments.empty()) renditions.push_back({&tracks[next], segments});
      }
      if (!renditions.empty()) out += adaptation_set(renditions, period_start, first, options);
      first = next;
    }
    if (kept != nullptr) kept->assign(out, tracks_from);
    out += "  </Period>\n";
  }
  out += "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"" +
         options.utc_timing_url + "\"/>\n";
  return out + "</MPD>\n";
}

}  // namespace looplive::packager
