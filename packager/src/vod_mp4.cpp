#include "vod_mp4.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "atomic_file.hpp"
#include "period_spans.hpp"
#include "segment_reader.hpp"

namespace looplive::packager {
namespace {

namespace fs = std::filesystem;

std::vector<SegmentReader::Run> runs_of(const fs::path& dir, std::span<const SegmentInfo> segments,
                                        const std::map<uint64_t, int64_t>& shifts) {
  std::vector<SegmentReader::Run> runs;
  const SegmentInfo* previous = nullptr;
  for (const auto& s : segments) {
    if (previous == nullptr || previous->init_uri != s.init_uri ||
        previous->discontinuity_index != s.discontinuity_index) {
      runs.push_back({{dir / s.init_uri}, shifts.at(s.discontinuity_index)});
    }
    runs.back().files.push_back(dir / s.uri);
    previous = &s;
  }
  return runs;
}

// Owns the output context and the file it writes, which the context does not close itself.
struct Output {
  AVFormatContext* context = nullptr;
  ~Output() {
    if (context == nullptr) return;
    avio_closep(&context->pb);
    avformat_free_context(context);
  }
};

struct Source {
  std::unique_ptr<SegmentReader> reader;
  AVStream* stream = nullptr;
  av::AvPacketPtr next;
  bool ready = false;  // `next` holds a packet
};

core::Status refill(Source& source) {
  auto got = source.reader->read(source.next.get());
  if (!got) return got.error();
  source.ready = got.value();
  return core::Ok{};
}

core::Status fsync_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return core::Error{"open " + path.string() + ": " + std::strerror(errno)};
  const int rc = ::fsync(fd);
  const int code = errno;
  ::close(fd);
  if (rc != 0) return core::Error{"fsync " + path.string() + ": " + std::strerror(code)};
  return core::Ok{};
}

struct Chapter {
  int64_t start_ms = 0;  // on the file's timeline
  int64_t end_ms = 0;
  std::string title;
};

// The tags on the file's timeline, where its periods play back to back: each
// at its time, shifted with the period of the last segment that starts by it.
std::vector<Chapter> chapters_of(std::span<const TagRange> tags,
                                 std::span<const SegmentInfo> segments,
                                 const std::map<uint64_t, int64_t>& shifts, int64_t total_ms) {
  std::vector<Chapter> chapters;
  if (segments.empty()) return chapters;
  for (const TagRange& range : tags) {
    const core::ProductTag& tag = *range.tag;
    const auto after =
        std::upper_bound(segments.begin(), segments.end(), tag.media_time_ms,
                         [](int64_t at, const SegmentInfo& s) { return at < s.start_ms; });
    const SegmentInfo& within = after == segments.begin() ? segments.front() : *(after - 1);
    const int64_t start =
        std::clamp<int64_t>(tag.media_time_ms + shifts.at(within.discontinuity_index), 0, total_ms);
    chapters.push_back(
        {start, total_ms, std::string(core::tag_action_name(tag.action)) + " " + tag.product_id});
  }
  std::stable_sort(chapters.begin(), chapters.end(),
                   [](const Chapter& a, const Chapter& b) { return a.start_ms < b.start_ms; });
  // A chapter track's first sample plays from zero: one from the start to the
  // first tag keeps the tags at their times.
  if (!chapters.empty() && chapters.front().start_ms > 0)
    chapters.insert(chapters.begin(), Chapter{0, 0, "start"});
  for (size_t i = 0; i + 1 < chapters.size(); ++i) chapters[i].end_ms = chapters[i + 1].start_ms;
  return chapters;
}

core::Status add_chapters(AVFormatContext* context, const std::vector<Chapter>& chapters) {
  for (size_t i = 0; i < chapters.size(); ++i) {
    auto* chapter = static_cast<AVChapter*>(av_mallocz(sizeof(AVChapter)));
    if (chapter == nullptr) return core::Error{"out of memory"};
    chapter->id = static_cast<int64_t>(i);
    chapter->time_base = AVRational{1, 1000};
    chapter->start = chapters[i].start_ms;
    chapter->end = chapters[i].end_ms;
    int count = static_cast<int>(context->nb_chapters);
    av_dynarray_add(&context->chapters, &count, chapter);  // frees the chapter if it fails
    if (context->chapters == nullptr) return core::Error{"out of memory"};
    context->nb_chapters = static_cast<unsigned>(count);
    av_dict_set(&chapter->metadata, "title", chapters[i].title.c_str(), 0);
  }
  return core::Ok{};
}

core::Status remux(std::vector<Source>& sources, const fs::path& path,
                   const std::vector<Chapter>& chapters) {
  Output output;
  if (int rc = avformat_alloc_output_context2(&output.context, nullptr, "mp4", path.c_str());
      rc < 0) {
    return av::av_error("mp4 muxer", rc);
  }
  for (auto& source : sources) {
    source.stream = avformat_new_stream(output.context, nullptr);
    if (source.stream == nullptr) return core::Error{"out of memory"};
    const AVCodecParameters& parameters = source.reader->parameters();
    if (int rc = avcodec_parameters_copy(source.stream->codecpar, &parameters); rc < 0) {
      return av::av_error("copy parameters", rc);
    }
    // Keep hvc1 as in the CMAF; other tags are left for the muxer to choose.
    if (parameters.codec_id != AV_CODEC_ID_HEVC) source.stream->codecpar->codec_tag = 0;
    // The CMAF demuxer leaves it unset, and the mp4 muxer wants it for audio timing.
    if (parameters.codec_id == AV_CODEC_ID_AAC && parameters.frame_size == 0) {
      source.stream->codecpar->frame_size = 1024;
    }
    source.stream->time_base = source.reader->time_base();
  }
  if (core::Status added = add_chapters(output.context, chapters); !added) return added;
  if (int rc = avio_open(&output.context->pb, path.c_str(), AVIO_FLAG_WRITE); rc < 0) {
    return av::av_error("open " + path.string(), rc);
  }
  AVDictionary* options = nullptr;
  // faststart moves the moov in front of the media in a second pass over the file.
  av_dict_set(&options, "movflags", "+faststart", 0);
  const int header = avformat_write_header(output.context, &options);
  av_dict_free(&options);
  if (header < 0) return av::av_error("write header", header);

  for (auto& source : sources) {
    if (core::Status status = refill(source); !status) return status;
  }
  while (true) {
    Source* earliest = nullptr;
    for (auto& source : sources) {
      if (!source.ready) continue;
      if (earliest == nullptr ||
          av_compare_ts(source.next->dts, source.reader->time_base(), earliest->next->dts,
                        earliest->reader->time_base()) < 0) {
        earliest = &source;
      }
    }
    if (earliest == nullptr) break;
    AVPacket* packet = earliest->next.get();
    packet->stream_index = earliest->stream->index;
    av_packet_rescale_ts(packet, earliest->reader->time_base(), earliest->stream->time_base);
    if (int rc = av_interleaved_write_frame(output.context, packet); rc < 0) {
      return av::av_error("write packet", rc);
    }
    if (core::Status status = refill(*earliest); !status) return status;
  }
  if (int rc = av_write_trailer(output.context); rc < 0) return av::av_error("write trailer", rc);
  if (int rc = avio_closep(&output.context->pb); rc < 0) return av::av_error("close", rc);
  return core::Ok{};
}

}  // namespace

core::Result<int64_t> write_vod_mp4(const fs::path& dir, std::span<const SegmentInfo> video,
                                    std::span<const SegmentInfo> audio, const fs::path& target,
                                    std::span<const TagRange> tags) {
  PeriodSpans spans;
  for (const auto& s : video) spans.add(s);
  for (const auto& s : audio) spans.add(s);
  const auto shifts = spans.shifts();
  std::vector<Source> sources;
  for (const auto segments : {video, audio}) {
    if (segments.empty()) continue;
    auto reader = SegmentReader::open(runs_of(dir, segments, shifts));
    if (!reader) return reader.error();
    Source source;
    source.reader = std::move(reader.value());
    source.next.reset(av_packet_alloc());
    if (!source.next) return core::Error{"out of memory"};
    sources.push_back(std::move(source));
  }
  if (sources.empty()) return core::Error{"no segments"};

  const fs::path temporary = target.parent_path() / ("." + target.filename().string() + ".tmp");
  const auto chapters = chapters_of(tags, video.empty() ? audio : video, shifts, spans.total_ms());
  core::Status status = remux(sources, temporary, chapters);
  if (status) status = fsync_file(temporary);
  std::error_code error;
  if (status) {
    fs::rename(temporary, target, error);
    if (error) status = core::Error{"rename " + target.string() + ": " + error.message()};
  }
  if (!status) {
    fs::remove(temporary, error);
    return status.error().wrap(target.string());
  }
  if (core::Status synced = sync_directory(target.parent_path()); !synced) return synced.error();
  return spans.total_ms();
}

}  // namespace looplive::packager
