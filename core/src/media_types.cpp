#include "looplive/core/media_types.hpp"

#include "looplive/core/packet_sink.hpp"

namespace looplive::core {

std::string_view codec_name(Codec codec) {
  switch (codec) {
    case Codec::h264:
      return "h264";
    case Codec::hevc:
      return "hevc";
    case Codec::av1:
      return "av1";
    case Codec::aac:
      return "aac";
    case Codec::opus:
      return "opus";
  }
  return "unknown";
}

MediaKind codec_kind(Codec codec) {
  return codec == Codec::aac || codec == Codec::opus ? MediaKind::audio : MediaKind::video;
}

std::string_view end_reason_name(EndReason reason) {
  switch (reason) {
    case EndReason::publisher_closed:
      return "publisher closed";
    case EndReason::publisher_timeout:
      return "publisher timed out";
    case EndReason::protocol_error:
      return "protocol error";
    case EndReason::kicked:
      return "ended by the server";
    case EndReason::shutdown:
      return "server shutdown";
  }
  return "unknown";
}

}  // namespace looplive::core
