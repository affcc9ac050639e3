#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "looplive/core/result.hpp"

// Parsers for the codec configuration records that RTMP encoders send in
// sequence headers: what a packager needs for its init segment and for the
// CODECS attribute, read straight from the bitstream.
namespace looplive::media {

// Reads bits MSB first. A read past the end sets a sticky failure and yields
// zeros, so a parser can run to a checkpoint and ask ok() once instead of
// checking every field. With `unescape`, emulation prevention bytes
// (00 00 03) of H.264/HEVC NAL units are skipped on the fly.
class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> bytes, bool unescape = false)
      : bytes_(bytes), unescape_(unescape) {}

  uint32_t bits(int count);  // 0..32 bits
  bool flag() { return bits(1) != 0; }
  void skip(int count);
  uint32_t ue();  // unsigned exp-Golomb, up to 2^32 - 2
  int32_t se();   // signed exp-Golomb

  bool ok() const { return !failed_; }
  void fail() { failed_ = true; }

 private:
  std::span<const uint8_t> bytes_;
  bool unescape_;
  bool failed_ = false;
  size_t byte_ = 0;
  int bit_ = 0;           // bits already taken from bytes_[byte_]
  int zeros_ = 0;         // zero bytes seen in a row, for emulation prevention
  bool checked_ = false;  // whether bytes_[byte_] was checked for being an escape
};

struct H264Config {
  uint8_t profile_idc = 0;
  uint8_t compatibility = 0;  // constraint_set flags
  uint8_t level_idc = 0;
  uint8_t nal_length_size = 4;
  uint8_t chroma_format_idc = 1;
  uint8_t bit_depth = 8;
  bool frame_mbs_only = true;
  uint16_t width = 0;  // after cropping
  uint16_t height = 0;
  double frame_rate = 0;     // from VUI timing info; 0 when absent
  std::string codec_string;  // "avc1.64001f"
};

// An AVCDecoderConfigurationRecord (avcC); reads its first SPS.
core::Result<H264Config> parse_avcc(std::span<const uint8_t> record);
// One SPS NAL unit, header byte included. Fills everything but
// nal_length_size, and a codec string from the SPS's own fields.
core::Result<H264Config> parse_h264_sps(std::span<const uint8_t> nal);

struct HevcConfig {
  uint8_t profile_space = 0;
  bool high_tier = false;
  uint8_t profile_idc = 0;
  uint32_t compatibility_flags = 0;  // general_profile_compatibility_flag[0] is the MSB
  std::array<uint8_t, 6> constraint_flags{};
  uint8_t level_idc = 0;
  uint8_t nal_length_size = 4;
  uint8_t chroma_format_idc = 1;
  uint8_t bit_depth = 8;
  uint16_t width = 0;  // after the conformance window
  uint16_t height = 0;
  double frame_rate = 0;     // from the record's avgFrameRate; 0 when unspecified
  std::string codec_string;  // "hvc1.1.6.L93.B0"
};

// An HEVCDecoderConfigurationRecord (hvcC); reads the first SPS of its arrays.
core::Result<HevcConfig> parse_hvcc(std::span<const uint8_t> record);

struct Av1Config {
  uint8_t seq_profile = 0;
  uint8_t seq_level_idx = 0;
  bool high_tier = false;
  uint8_t bit_depth = 8;
  bool monochrome = false;
  bool subsampling_x = true;
  bool subsampling_y = true;
  uint16_t width = 0;  // max_frame_width from the sequence header; 0 when absent
  uint16_t height = 0;
  double frame_rate = 0;     // from the sequence header's timing info; 0 when absent
  std::string codec_string;  // "av01.0.08M.08"
};

// An AV1CodecConfigurationRecord (av1C), with its sequence header OBU when
// configOBUs carries one.
core::Result<Av1Config> parse_av1c(std::span<const uint8_t> record);

struct AacConfig {
  uint8_t object_type = 0;   // 2 = LC, 5 = SBR, 29 = PS...
  uint32_t sample_rate = 0;  // output rate: the extension rate for explicit SBR
  uint8_t channel_configuration = 0;
  uint8_t channels = 0;      // 0 when a program config element defines them
  std::string codec_string;  // "mp4a.40.2"
};

core::Result<AacConfig> parse_audio_specific_config(std::span<const uint8_t> config);

// Whether an access unit of length-prefixed NAL units holds an IDR picture
// (H.264) or an IRAP picture (HEVC). A malformed length ends the scan.
bool h264_has_idr(std::span<const uint8_t> access_unit, uint8_t nal_length_size);
bool hevc_has_irap(std::span<const uint8_t> access_unit, uint8_t nal_length_size);

}  // namespace looplive::media
