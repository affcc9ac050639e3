#pragma once

#include <functional>
#include <memory>
#include <string>

#include "looplive/av/decoder.hpp"
#include "looplive/av/ffmpeg_ptr.hpp"
#include "looplive/core/result.hpp"
#include "looplive/transcode/file_transcode.hpp"

namespace looplive::transcode {

// An uploaded file or URL opened with libavformat, its stream information
// read. Reading gives up when the job is cancelled (the interrupt callback
// asks on every blocking step) or an http(s) source stalls.
class InputFile {
 public:
  // Errors are the sentences users see ("the file is empty", "not a media
  // file (...)", "cannot open <source>: <reason>", "cancelled").
  static core::Result<std::unique_ptr<InputFile>> open(const std::string& source,
                                                       const FileOptions& options);
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  AVFormatContext* context() const { return context_.get(); }
  const std::string& source() const { return source_; }
  bool remote() const { return remote_; }
  // Asks the job's callback; once true, stays true.
  bool cancelled();
  // A failed libavformat/libavcodec step as users see it: "cancelled" when
  // the job was.
  core::Error error(const std::string& step, int code);

  // The video (not cover art) and audio streams to use; nullptr: none.
  AVStream* video() const;
  AVStream* audio() const;
  // Where the file's timeline starts, in `stream`'s time base.
  int64_t start_in(const AVStream& stream) const;

 private:
  InputFile() = default;
  static int interrupt(void* self);

  std::string source_;
  bool remote_ = false;
  std::function<bool()> cancel_asked_;
  bool cancelled_ = false;
  av::AvInputPtr context_;
};

// The figures probe_file reports; fails on files that cannot be a video
// job: no video, no known length or size.
core::Result<FileProbe> describe(InputFile& input);

// A libavcodec decoder for one of the file's streams, timed in its time base.
core::Result<av::CodecContextPtr> open_stream_decoder(const AVStream& stream, int threads);

}  // namespace looplive::transcode
