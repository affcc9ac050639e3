#include "looplive/media/codec_config.hpp"

#include "looplive/media/av1_obus.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <optional>
#include <utility>

namespace looplive::media {

namespace {

core::Error error(std::string message) {
  return core::Error{std::move(message)};
}

std::string hex(const char* format, uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// Byte fields of a configuration record. Like BitReader, running off the end
// sets a sticky failure and yields zeros.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint8_t u8() { return has(1) ? bytes_[pos_++] : fail<uint8_t>(); }
  uint16_t u16() {
    uint16_t high = u8();
    return static_cast<uint16_t>(high << 8 | u8());
  }
  uint32_t u32() {
    uint32_t high = u16();
    return high << 16 | u16();
  }
  std::span<const uint8_t> take(size_t count) {
    if (!has(count)) return fail<std::span<const uint8_t>>();
    auto out = bytes_.subspan(pos_, count);
    pos_ += count;
    return out;
  }
  bool ok() const { return !failed_; }

 private:
  bool has(size_t count) const { return !failed_ && bytes_.size() - pos_ >= count; }
  template <class T>
  T fail() {
    failed_ = true;
    return T{};
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// Width and height of a coded picture less its cropping, which must leave
// something and fit the 16 bits TrackInfo holds.
bool cropped_size(uint64_t coded, uint64_t crop, uint16_t& out) {
  if (crop >= coded || coded - crop > UINT16_MAX) return false;
  out = static_cast<uint16_t>(coded - crop);
  return true;
}

// ---- H.264 ----

// Profiles whose SPS carries chroma format, bit depths and scaling matrices.
constexpr uint8_t kHighProfiles[] = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135};

bool h264_has_chroma_info(uint8_t profile_idc) {
  return std::find(std::begin(kHighProfiles), std::end(kHighProfiles), profile_idc) !=
         std::end(kHighProfiles);
}

void skip_scaling_list(BitReader& reader, int size) {
  int last = 8;
  int next = 8;
  for (int i = 0; i < size && reader.ok(); ++i) {
    if (next != 0) {
      int32_t delta = reader.se();
      if (delta < -128 || delta > 127) {
        reader.fail();
        return;
      }
      next = (last + delta + 256) % 256;
    }
    if (next != 0) last = next;
  }
}

// A broken or truncated VUI leaves the frame rate unknown; the picture size
// read before it is still good.
void read_h264_vui_frame_rate(BitReader& reader, H264Config& config) {
  if (reader.flag() && reader.bits(8) == 255) reader.skip(32);  // extended sample aspect ratio
  if (reader.flag()) reader.skip(1);                            // overscan
  if (reader.flag()) {                                          // video signal type
    reader.skip(4);
    if (reader.flag()) reader.skip(24);
  }
  if (reader.flag()) {  // chroma sample location
    reader.ue();
    reader.ue();
  }
  if (!reader.flag()) return;
  uint32_t units_in_tick = reader.bits(32);
  uint32_t time_scale = reader.bits(32);
  // A frame is two field ticks.
  if (reader.ok() && units_in_tick > 0 && time_scale > 0)
    config.frame_rate = time_scale / (2.0 * units_in_tick);
}

std::string avc_codec_string(uint8_t profile, uint8_t compatibility, uint8_t level) {
  return "avc1." + hex("%02x", profile) + hex("%02x", compatibility) + hex("%02x", level);
}

// ---- HEVC ----

core::Result<HevcConfig> parse_hevc_sps(std::span<const uint8_t> nal) {
  BitReader reader(nal, true);
  reader.skip(1);
  uint32_t nal_type = reader.bits(6);
  reader.skip(9);  // layer id, temporal id
  if (!reader.ok() || nal_type != 33) return error("hevc sps: not an SPS NAL unit");

  reader.skip(4);  // sps_video_parameter_set_id
  uint32_t max_sub_layers_minus1 = reader.bits(3);
  reader.skip(1);
  if (max_sub_layers_minus1 > 6) return error("hevc sps: bad sps_max_sub_layers_minus1");

  HevcConfig config;
  config.profile_space = static_cast<uint8_t>(reader.bits(2));
  config.high_tier = reader.flag();
  config.profile_idc = static_cast<uint8_t>(reader.bits(5));
  config.compatibility_flags = reader.bits(32);
  for (auto& byte : config.constraint_flags) byte = static_cast<uint8_t>(reader.bits(8));
  config.level_idc = static_cast<uint8_t>(reader.bits(8));
  bool sub_profile[8] = {};
  bool sub_level[8] = {};
  for (uint32_t i = 0; i < max_sub_layers_minus1; ++i) {
    sub_profile[i] = reader.flag();
    sub_level[i] = reader.flag();
  }
  if (max_sub_layers_minus1 > 0) reader.skip(2 * (8 - static_cast<int>(max_sub_layers_minus1)));
  for (uint32_t i = 0; i < max_sub_layers_minus1; ++i) {
    if (sub_profile[i]) reader.skip(88);
    if (sub_level[i]) reader.skip(8);
  }

  if (reader.ue() > 15) return error("hevc sps: bad sps_seq_parameter_set_id");
  uint32_t chroma_format_idc = reader.ue();
  if (chroma_format_idc > 3) return error("hevc sps: bad chroma_format_idc");
  config.chroma_format_idc = static_cast<uint8_t>(chroma_format_idc);
  bool separate_planes = chroma_format_idc == 3 && reader.flag();
  uint64_t width = reader.ue();
  uint64_t height = reader.ue();
  uint64_t left = 0, right = 0, top = 0, bottom = 0;
  if (reader.flag()) {
    left = reader.ue();
    right = reader.ue();
    top = reader.ue();
    bottom = reader.ue();
  }
  uint32_t bit_depth_minus8 = reader.ue();
  if (!reader.ok()) return error("hevc sps: truncated");
  if (bit_depth_minus8 > 8) return error("hevc sps: bad bit depth");
  config.bit_depth = static_cast<uint8_t>(8 + bit_depth_minus8);

  // Conformance window offsets count chroma samples.
  bool subsampled = !separate_planes && (chroma_format_idc == 1 || chroma_format_idc == 2);
  uint64_t unit_x = subsampled ? 2 : 1;
  uint64_t unit_y = !separate_planes && chroma_format_idc == 1 ? 2 : 1;
  if (!cropped_size(width, unit_x * (left + right), config.width) ||
      !cropped_size(height, unit_y * (top + bottom), config.height))
    return error("hevc sps: bad picture size or conformance window");
  return config;
}

uint32_t reverse_bits(uint32_t value) {
  uint32_t out = 0;
  for (int i = 0; i < 32; ++i, value >>= 1) out = out << 1 | (value & 1);
  return out;
}

// ISO/IEC 14496-15 Annex E.3.
std::string hevc_codec_string(const HevcConfig& config) {
  std::string out = "hvc1.";
  if (config.profile_space > 0) out += static_cast<char>('A' + config.profile_space - 1);
  out += std::to_string(config.profile_idc);
  out += "." + hex("%X", reverse_bits(config.compatibility_flags));
  out += config.high_tier ? ".H" : ".L";
  out += std::to_string(config.level_idc);
  size_t used = config.constraint_flags.size();
  while (used > 0 && config.constraint_flags[used - 1] == 0) --used;
  for (size_t i = 0; i < used; ++i) out += "." + hex("%02X", config.constraint_flags[i]);
  return out;
}

// ---- AV1 ----

// The part of sequence_header_obu() (AV1 spec 5.5) up to the maximum frame size.
core::Status read_av1_sequence_header(std::span<const uint8_t> payload, Av1Config& config) {
  BitReader reader(payload);
  reader.skip(3);  // seq_profile, also in the record
  reader.skip(1);  // still_picture
  bool reduced_still_picture_header = reader.flag();
  if (reduced_still_picture_header) {
    reader.skip(5);
  } else {
    bool decoder_model_info_present = false;
    int buffer_delay_length = 0;
    if (reader.flag()) {  // timing_info_present_flag
      uint32_t units_in_display_tick = reader.bits(32);
      uint32_t time_scale = reader.bits(32);
      if (reader.flag()) {  // equal_picture_interval
        // uvlc() codes values below 2^32 - 1 exactly like ue(v).
        uint64_t ticks_per_picture = uint64_t{reader.ue()} + 1;
        if (reader.ok() && units_in_display_tick > 0 && time_scale > 0)
          config.frame_rate = time_scale / (double(units_in_display_tick) * ticks_per_picture);
      }
      decoder_model_info_present = reader.flag();
      if (decoder_model_info_present) {
        buffer_delay_length = static_cast<int>(reader.bits(5)) + 1;
        reader.skip(32 + 5 + 5);
      }
    }
    bool initial_display_delay_present = reader.flag();
    uint32_t operating_points = reader.bits(5) + 1;
    for (uint32_t i = 0; i < operating_points && reader.ok(); ++i) {
      reader.skip(12);  // operating_point_idc
      if (reader.bits(5) > 7) reader.skip(1);
      if (decoder_model_info_present && reader.flag()) reader.skip(2 * buffer_delay_length + 1);
      if (initial_display_delay_present && reader.flag()) reader.skip(4);
    }
  }
  int width_bits = static_cast<int>(reader.bits(4)) + 1;
  int height_bits = static_cast<int>(reader.bits(4)) + 1;
  uint64_t width = uint64_t{reader.bits(width_bits)} + 1;
  uint64_t height = uint64_t{reader.bits(height_bits)} + 1;
  if (!reader.ok()) return error("av1 sequence header: truncated");
  if (!cropped_size(width, 0, config.width) || !cropped_size(height, 0, config.height))
    return error("av1 sequence header: picture too large");
  return core::Ok{};
}

// configOBUs holds OBUs in low-overhead form; only the sequence header matters.
core::Status read_av1_config_obus(std::span<const uint8_t> obus, Av1Config& config) {
  std::optional<core::Status> read;
  core::Status walked = walk_av1_obus(obus, [&](const Av1Obu& obu) {
    if (obu.type == kObuSequenceHeader) read = read_av1_sequence_header(obu.payload, config);
    return !read;
  });
  if (!walked) return error("av1C: " + walked.error().message);
  return read ? *read : core::Status{core::Ok{}};
}

// ---- AAC ----

constexpr uint32_t kAacSampleRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                        22050, 16000, 12000, 11025, 8000,  7350};

uint8_t read_audio_object_type(BitReader& reader) {
  uint32_t type = reader.bits(5);
  if (type == 31) type = 32 + reader.bits(6);
  return static_cast<uint8_t>(type);
}

std::optional<uint32_t> read_sample_rate(BitReader& reader) {
  uint32_t index = reader.bits(4);
  if (index == 15) return reader.bits(24);
  if (index >= std::size(kAacSampleRates)) return std::nullopt;
  return kAacSampleRates[index];
}

// ISO/IEC 14496-3 table 1.19; 0 means a program config element says.
std::optional<uint8_t> channels_of(uint8_t configuration) {
  switch (configuration) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      return configuration;
    case 7:
    case 12:
    case 14:
      return 8;
    case 11:
      return 7;
    case 13:
      return 24;
    default:
      return std::nullopt;
  }
}

template <class IsRandomAccess>
bool any_nal_unit(std::span<const uint8_t> access_unit, uint8_t nal_length_size,
                  IsRandomAccess is_random_access) {
  if (nal_length_size < 1 || nal_length_size > 4) return false;
  size_t pos = 0;
  while (access_unit.size() - pos > nal_length_size) {
    size_t length = 0;
    for (int i = 0; i < nal_length_size; ++i) length = length << 8 | access_unit[pos++];
    if (length == 0 || length > access_unit.size() - pos) return false;
    if (is_random_access(access_unit[pos])) return true;
    pos += length;
  }
  return false;
}

}  // namespace

// ---- BitReader ----

uint32_t BitReader::bits(int count) {
  if (count < 0 || count > 32) {
    failed_ = true;
    return 0;
  }
  uint64_t value = 0;
  for (int i = 0; i < count && !failed_; ++i) {
    if (bit_ == 0 && !checked_) {
      if (unescape_ && zeros_ >= 2 && byte_ < bytes_.size() && bytes_[byte_] == 0x03) {
        ++byte_;
        zeros_ = 0;
      }
      checked_ = true;
    }
    if (byte_ >= bytes_.size()) {
      failed_ = true;
      break;
    }
    value = value << 1 | ((bytes_[byte_] >> (7 - bit_)) & 1);
    if (++bit_ == 8) {
      zeros_ = bytes_[byte_] == 0 ? zeros_ + 1 : 0;
      ++byte_;
      bit_ = 0;
      checked_ = false;
    }
  }
  return failed_ ? 0 : static_cast<uint32_t>(value);
}

void BitReader::skip(int count) {
  while (count > 0 && !failed_) {
    int step = count < 32 ? count : 32;
    bits(step);
    count -= step;
  }
}

uint32_t BitReader::ue() {
  int leading_zeros = 0;
  while (!failed_ && bits(1) == 0) {
    if (failed_ || ++leading_zeros > 31) {
      failed_ = true;
      return 0;
    }
  }
  if (failed_) return 0;
  uint64_t value = (uint64_t{1} << leading_zeros) - 1 + bits(leading_zeros);
  return failed_ ? 0 : static_cast<uint32_t>(value);
}

int32_t BitReader::se() {
  int64_t code = ue();
  return static_cast<int32_t>(code & 1 ? (code + 1) / 2 : -(code / 2));
}

// ---- Records ----

core::Result<H264Config> parse_h264_sps(std::span<const uint8_t> nal) {
  BitReader reader(nal, true);
  reader.skip(3);  // forbidden_zero_bit, nal_ref_idc
  if (reader.bits(5) != 7 || !reader.ok()) return error("h264 sps: not an SPS NAL unit");

  H264Config config;
  config.profile_idc = static_cast<uint8_t>(reader.bits(8));
  config.compatibility = static_cast<uint8_t>(reader.bits(8));
  config.level_idc = static_cast<uint8_t>(reader.bits(8));
  if (reader.ue() > 31) return error("h264 sps: bad seq_parameter_set_id");
  bool separate_planes = false;
  if (h264_has_chroma_info(config.profile_idc)) {
    uint32_t chroma_format_idc = reader.ue();
    if (chroma_format_idc > 3) return error("h264 sps: bad chroma_format_idc");
    config.chroma_format_idc = static_cast<uint8_t>(chroma_format_idc);
    if (chroma_format_idc == 3) separate_planes = reader.flag();
    uint32_t luma_depth_minus8 = reader.ue();
    uint32_t chroma_depth_minus8 = reader.ue();
    if (luma_depth_minus8 > 6 || chroma_depth_minus8 > 6) return error("h264 sps: bad bit depth");
    config.bit_depth = static_cast<uint8_t>(8 + luma_depth_minus8);
    reader.skip(1);       // qpprime_y_zero_transform_bypass_flag
    if (reader.flag()) {  // seq_scaling_matrix_present_flag
      int lists = chroma_format_idc == 3 ? 12 : 8;
      for (int i = 0; i < lists && reader.ok(); ++i)
        if (reader.flag()) skip_scaling_list(reader, i < 6 ? 16 : 64);
    }
  }
  if (reader.ue() > 12) return error("h264 sps: bad log2_max_frame_num_minus4");
  uint32_t poc_type = reader.ue();
  if (poc_type == 0) {
    if (reader.ue() > 12) return error("h264 sps: bad log2_max_pic_order_cnt_lsb_minus4");
  } else if (poc_type == 1) {
    reader.skip(1);
    reader.se();
    reader.se();
    uint32_t cycle = reader.ue();
    if (cycle > 255) return error("h264 sps: bad num_ref_frames_in_pic_order_cnt_cycle");
    for (uint32_t i = 0; i < cycle && reader.ok(); ++i) reader.se();
  } else if (poc_type != 2) {
    return error("h264 sps: bad pic_order_cnt_type");
  }
  reader.ue();     // max_num_ref_frames
  reader.skip(1);  // gaps_in_frame_num_value_allowed_flag
  uint64_t width_in_mbs = uint64_t{reader.ue()} + 1;
  uint64_t height_in_map_units = uint64_t{reader.ue()} + 1;
  config.frame_mbs_only = reader.flag();
  if (!config.frame_mbs_only) reader.skip(1);  // mb_adaptive_frame_field_flag
  reader.skip(1);                              // direct_8x8_inference_flag
  uint64_t left = 0, right = 0, top = 0, bottom = 0;
  if (reader.flag()) {
    left = reader.ue();
    right = reader.ue();
    top = reader.ue();
    bottom = reader.ue();
  }
  if (!reader.ok()) return error("h264 sps: truncated");

  // Cropping counts chroma samples, and field pairs when frames may be coded as fields.
  uint32_t chroma_array_type = separate_planes ? 0 : config.chroma_format_idc;
  uint64_t field_factor = config.frame_mbs_only ? 1 : 2;
  uint64_t unit_x = chroma_array_type == 1 || chroma_array_type == 2 ? 2 : 1;
  uint64_t unit_y = (chroma_array_type == 1 ? 2 : 1) * field_factor;
  if (!cropped_size(width_in_mbs * 16, unit_x * (left + right), config.width) ||
      !cropped_size(height_in_map_units * 16 * field_factor, unit_y * (top + bottom),
                    config.height))
    return error("h264 sps: bad picture size or cropping");

  if (reader.flag()) read_h264_vui_frame_rate(reader, config);
  config.codec_string =
      avc_codec_string(config.profile_idc, config.compatibility, config.level_idc);
  return config;
}

core::Result<H264Config> parse_avcc(std::span<const uint8_t> record) {
  ByteReader bytes(record);
  uint8_t version = bytes.u8();
  uint8_t profile = bytes.u8();
  uint8_t compatibility = bytes.u8();
  uint8_t level = bytes.u8();
  uint8_t length_size = static_cast<uint8_t>((bytes.u8() & 0x03) + 1);
  uint8_t sps_count = bytes.u8() & 0x1F;
  if (!bytes.ok()) return error("avcC: truncated");
  if (version != 1) return error("avcC: unsupported version " + std::to_string(version));
  if (length_size == 3) return error("avcC: bad NAL unit length size");
  if (sps_count == 0) return error("avcC: no SPS");
  std::span<const uint8_t> first_sps;
  for (int i = 0; i < sps_count; ++i) {
    auto sps = bytes.take(bytes.u16());
    if (i == 0) first_sps = sps;
  }
  uint8_t pps_count = bytes.u8();
  for (int i = 0; i < pps_count; ++i) bytes.take(bytes.u16());
  if (!bytes.ok()) return error("avcC: truncated");

  auto config = parse_h264_sps(first_sps);
  if (!config) return config.error().wrap("avcC");
  // The record's fields are what players match the codec string against.
  config->profile_idc = profile;
  config->compatibility = compatibility;
  config->level_idc = level;
  config->nal_length_size = length_size;
  config->codec_string = avc_codec_string(profile, compatibility, level);
  return config;
}

core::Result<HevcConfig> parse_hvcc(std::span<const uint8_t> record) {
  ByteReader bytes(record);
  uint8_t version = bytes.u8();
  HevcConfig header;
  uint8_t profile = bytes.u8();
  header.profile_space = profile >> 6;
  header.high_tier = (profile >> 5) & 1;
  header.profile_idc = profile & 0x1F;
  header.compatibility_flags = bytes.u32();
  for (auto& byte : header.constraint_flags) byte = bytes.u8();
  header.level_idc = bytes.u8();
  bytes.take(3);  // min_spatial_segmentation_idc, parallelismType
  header.chroma_format_idc = bytes.u8() & 0x03;
  header.bit_depth = static_cast<uint8_t>((bytes.u8() & 0x07) + 8);
  bytes.u8();  // bitDepthChromaMinus8
  uint16_t average_frame_rate = bytes.u16();
  header.nal_length_size = static_cast<uint8_t>((bytes.u8() & 0x03) + 1);
  uint8_t array_count = bytes.u8();
  if (!bytes.ok()) return error("hvcC: truncated");
  // Version 0 comes from muxers that predate the final record layout, which is otherwise the same.
  if (version > 1) return error("hvcC: unsupported version " + std::to_string(version));
  if (header.nal_length_size == 3) return error("hvcC: bad NAL unit length size");

  std::span<const uint8_t> sps;
  for (int i = 0; i < array_count && bytes.ok(); ++i) {
    uint8_t nal_type = bytes.u8() & 0x3F;
    uint16_t count = bytes.u16();
    for (int j = 0; j < count && bytes.ok(); ++j) {
      auto nal = bytes.take(bytes.u16());
      if (nal_type == 33 && sps.empty()) sps = nal;
    }
  }
  if (!bytes.ok()) return error("hvcC: truncated");
  if (sps.empty()) return error("hvcC: no SPS");

  auto parsed = parse_hevc_sps(sps);
  if (!parsed) return parsed.error().wrap("hvcC");
  header.width = parsed->width;
  header.height = parsed->height;
  // avgFrameRate counts frames per 256 seconds.
  header.frame_rate = average_frame_rate / 256.0;
  header.codec_string = hevc_codec_string(header);
  return header;
}

core::Result<Av1Config> parse_av1c(std::span<const uint8_t> record) {
  ByteReader bytes(record);
  uint8_t marker_version = bytes.u8();
  uint8_t profile_level = bytes.u8();
  uint8_t flags = bytes.u8();
  bytes.u8();  // initial_presentation_delay
  if (!bytes.ok()) return error("av1C: truncated");
  if (marker_version != 0x81) return error("av1C: bad marker or version");

  Av1Config config;
  config.seq_profile = profile_level >> 5;
  config.seq_level_idx = profile_level & 0x1F;
  config.high_tier = flags & 0x80;
  bool high_bitdepth = flags & 0x40;
  bool twelve_bit = flags & 0x20;
  config.bit_depth = high_bitdepth ? (twelve_bit ? 12 : 10) : 8;
  config.monochrome = flags & 0x10;
  config.subsampling_x = flags & 0x08;
  config.subsampling_y = flags & 0x04;

  auto status = read_av1_config_obus(record.subspan(4), config);
  if (!status) return status.error();
  // AV1 ISOBMFF binding, codecs parameter: av01.P.LLT.DD
  config.codec_string = "av01." + std::to_string(config.seq_profile) + "." +
                        hex("%02u", config.seq_level_idx) + (config.high_tier ? "H" : "M") + "." +
                        hex("%02u", config.bit_depth);
  return config;
}

core::Result<AacConfig> parse_audio_specific_config(std::span<const uint8_t> bytes) {
  BitReader reader(bytes);
  AacConfig config;
  config.object_type = read_audio_object_type(reader);
  auto sample_rate = read_sample_rate(reader);
  config.channel_configuration = static_cast<uint8_t>(reader.bits(4));
  // Explicit SBR/PS signalling: the output rate follows, then the core object type.
  bool explicit_extension = config.object_type == 5 || config.object_type == 29;
  if (explicit_extension && sample_rate) sample_rate = read_sample_rate(reader);
  if (!reader.ok()) return error("AudioSpecificConfig: truncated");
  if (config.object_type == 0) return error("AudioSpecificConfig: null object type");
  if (!sample_rate || *sample_rate == 0)
    return error("AudioSpecificConfig: bad sampling frequency");
  auto channels = channels_of(config.channel_configuration);
  if (!channels) return error("AudioSpecificConfig: bad channel configuration");
  config.sample_rate = *sample_rate;
  // Parametric stereo turns one coded channel into two.
  config.channels = config.object_type == 29 && *channels == 1 ? 2 : *channels;
  config.codec_string = "mp4a.40." + std::to_string(config.object_type);
  return config;
}

bool h264_has_idr(std::span<const uint8_t> access_unit, uint8_t nal_length_size) {
  return any_nal_unit(access_unit, nal_length_size,
                      [](uint8_t header) { return (header & 0x1F) == 5; });
}

bool hevc_has_irap(std::span<const uint8_t> access_unit, uint8_t nal_length_size) {
  return any_nal_unit(access_unit, nal_length_size, [](uint8_t header) {
    int type = (header >> 1) & 0x3F;
    return type >= 16 && type <= 23;
  });
}

}  // namespace looplive::media
