#pragma once

#include <string>

extern "C" {
#include <libavutil/dict.h>
}

namespace looplive::transcode {

// Options for avcodec_open2 / avformat_open_input, freed with whatever
// the call left unused.
struct Dictionary {
  AVDictionary* entries = nullptr;
  Dictionary() = default;
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  ~Dictionary() { av_dict_free(&entries); }
  void set(const char* key, const std::string& value) {
    av_dict_set(&entries, key, value.c_str(), 0);
  }
};

}  // namespace looplive::transcode
