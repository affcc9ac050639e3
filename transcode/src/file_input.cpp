#include "file_input.hpp"

#include <filesystem>
#include <string_view>
#include <system_error>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "av_dictionary.hpp"

namespace looplive::transcode {
namespace {

bool is_url(const std::string& source) {
  return source.starts_with("http://") || source.starts_with("https://");
}

core::Error not_media(int code) {
  return core::Error{"not a media file (" + av::av_error_text(code) + ")"};
}

}  // namespace

core::Result<std::unique_ptr<InputFile>> InputFile::open(const std::string& source,
                                                         const FileOptions& options) {
  std::unique_ptr<InputFile> input(new InputFile());
  input->source_ = source;
  input->remote_ = is_url(source);
  input->cancel_asked_ = options.cancelled;
  if (!input->remote_) {
    std::error_code error;
    if (std::filesystem::is_regular_file(source, error) &&
        std::filesystem::file_size(source, error) == 0 && !error)
      return core::Error{"the file is empty"};
  }
  AVFormatContext* context = avformat_alloc_context();
  if (context == nullptr) return core::Error{"out of memory"};
  context->interrupt_callback = AVIOInterruptCB{&InputFile::interrupt, input.get()};
  Dictionary settings;
  // An uploaded playlist must not make the server read its own files or
  // reach other protocols: only what the source itself needs.
  settings.set("protocol_whitelist", input->remote_ ? "http,https,tcp,tls" : "file");
  if (input->remote_) {
    // Microseconds without a byte (connecting included) before a read fails.
    settings.set("rw_timeout", std::to_string(options.io_timeout.count() * 1000));
  }
  // On failure avformat_open_input frees the context.
  if (int rc = avformat_open_input(&context, source.c_str(), nullptr, &settings.entries); rc < 0) {
    if (input->cancelled()) return core::Error{"cancelled"};
    if (rc == AVERROR_INVALIDDATA) return not_media(rc);
    if (rc == AVERROR_EOF) return core::Error{"the file is empty"};
    // A server that cannot be reached now may be reachable later.
    return core::Error{"cannot open " + source + ": " + av::av_error_text(rc),
                       input->remote_ ? core::ErrorCode::unavailable : core::ErrorCode::invalid};
  }
  input->context_.reset(context);
  const std::string_view format = context->iformat->name;
  // libavformat takes any text for ANSI art; an upload never means that.
  if (format == "tty") return not_media(AVERROR_INVALIDDATA);
  // A playlist would have the server read whatever files or URLs it names.
  if (format == "hls" || format == "concat")
    return core::Error{"not a media file (a playlist, not a video)"};
  if (int rc = avformat_find_stream_info(context, nullptr); rc < 0) {
    if (input->cancelled()) return core::Error{"cancelled"};
    return not_media(rc);
  }
  return input;
}

int InputFile::interrupt(void* self) {
  return static_cast<InputFile*>(self)->cancelled() ? 1 : 0;
}

bool InputFile::cancelled() {
  if (!cancelled_ && cancel_asked_ && cancel_asked_()) cancelled_ = true;
  return cancelled_;
}

core::Error InputFile::error(const std::string& step, int code) {
  if (cancelled() || code == AVERROR_EXIT) return core::Error{"cancelled"};
  return av::av_error(step, code);
}

AVStream* InputFile::video() const {
  AVStream* found = nullptr;
  for (unsigned i = 0; i < context_->nb_streams; ++i) {
    AVStream* stream = context_->streams[i];
    // A music file's cover picture is a video stream of one frame.
    if (stream->codecpar->codec_type != AVMEDIA_TYPE_VIDEO ||
        (stream->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0)
      continue;
    if (found == nullptr ||
        static_cast<int64_t>(stream->codecpar->width) * stream->codecpar->height >
            static_cast<int64_t>(found->codecpar->width) * found->codecpar->height)
      found = stream;
  }
  return found;
}

AVStream* InputFile::audio() const {
  const int index = av_find_best_stream(context_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  return index < 0 ? nullptr : context_->streams[index];
}

int64_t InputFile::start_in(const AVStream& stream) const {
  if (context_->start_time == AV_NOPTS_VALUE) return 0;
  return av_rescale_q(context_->start_time, AV_TIME_BASE_Q, stream.time_base);
}

core::Result<av::CodecContextPtr> open_stream_decoder(const AVStream& stream, int threads) {
  const AVCodec* codec = avcodec_find_decoder(stream.codecpar->codec_id);
  if (codec == nullptr)
    return core::Error{std::string("no decoder for ") +
                       avcodec_get_name(stream.codecpar->codec_id)};
  av::CodecContextPtr decoder(avcodec_alloc_context3(codec));
  if (!decoder) return core::Error{"out of memory"};
  if (int rc = avcodec_parameters_to_context(decoder.get(), stream.codecpar); rc < 0)
    return av::av_error("decoder parameters", rc);
  decoder->pkt_timebase = stream.time_base;
  decoder->thread_count = threads;
  if (int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0)
    return av::av_error(std::string("open ") + codec->name + " decoder", rc);
  return decoder;
}

}  // namespace looplive::transcode
