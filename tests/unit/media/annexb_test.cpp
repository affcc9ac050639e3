// Encoder output in Annex B form turned into what MP4 carries.
#include "looplive/media/annexb.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "codec_records.hpp"
#include "looplive/media/codec_config.hpp"

using namespace looplive::media;

namespace {

std::vector<uint8_t> joined(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// The SPS and PPS inside the captured 1080p avcC record.
const std::vector<uint8_t> kSps(test_records::kAvcc1080p.begin() + 8,
                                test_records::kAvcc1080p.begin() + 8 + 0x1b);
const std::vector<uint8_t> kPps(test_records::kAvcc1080p.begin() + 8 + 0x1b + 3,
                                test_records::kAvcc1080p.begin() + 8 + 0x1b + 3 + 6);

}  // namespace

TEST_CASE("an encoder's Annex B header becomes the avcC record the encoder's MP4 has", "[annexb]") {
  const auto header = joined({{0, 0, 0, 1}, kSps, {0, 0, 1}, kPps});
  const auto record = avcc_from_annexb(header);
  REQUIRE(record);
  CHECK(std::vector<uint8_t>(record->data(), record->data() + record->size()) ==
        test_records::kAvcc1080p);
  const auto parsed = parse_avcc(record->span());
  REQUIRE(parsed);
  CHECK(parsed->width == 1920);
  CHECK(parsed->height == 1080);
  CHECK(parsed->codec_string == "avc1.640028");
}

TEST_CASE("a header without both parameter sets is refused", "[annexb]") {
  CHECK_FALSE(avcc_from_annexb(joined({{0, 0, 0, 1}, kSps})));
  CHECK_FALSE(avcc_from_annexb(joined({{0, 0, 1}, kPps})));
  CHECK_FALSE(avcc_from_annexb(std::vector<uint8_t>{}));
}

TEST_CASE("Annex B access units split on 3- and 4-byte start codes into length-prefixed units",
          "[annexb]") {
  const std::vector<uint8_t> sei{0x06, 0x05, 0x01, 0x80};
  const std::vector<uint8_t> idr{0x65, 0x88, 0x80, 0x00, 0x00, 0x03, 0x00, 0x10};
  const auto stream = joined({{0, 0, 0, 1, 0x09, 0xf0},
                              {0, 0, 0, 1},
                              kSps,
                              {0, 0, 1},
                              kPps,
                              {0, 0, 1},
                              sei,
                              {0, 0, 0, 1},
                              idr});
  const auto units = annexb_nal_units(stream);
  REQUIRE(units.size() == 5);
  CHECK(std::vector<uint8_t>(units[1].begin(), units[1].end()) == kSps);
  // The emulation prevention byte (00 00 03) inside a unit is not a start code.
  CHECK(std::vector<uint8_t>(units[4].begin(), units[4].end()) == idr);

  // The delimiter and the parameter sets stay out; SEI and slice go in, in order.
  const auto prefixed = length_prefixed_access_unit(stream);
  const auto expected = joined({{0, 0, 0, 4}, sei, {0, 0, 0, 8}, idr});
  CHECK(std::vector<uint8_t>(prefixed.data(), prefixed.data() + prefixed.size()) == expected);
  CHECK(annexb_nal_units(std::vector<uint8_t>{1, 2, 3}).empty());
}
