#include "looplive/transcode/config.hpp"

namespace looplive::transcode {

void read_rungs(core::ConfigSection& s, const std::string& key, std::vector<core::Rung>& rungs) {
  std::vector<std::string> texts;
  s.read_list(key, texts);
  if (!texts.empty()) rungs.clear();
  for (const std::string& text : texts) {
    auto rung = core::parse_rung(text);
    if (!rung) s.fail(s.key_path(key), rung.error().message);
    rungs.push_back(*rung);
  }
  if (rungs.size() > 4) s.fail(s.key_path(key), "at most 4 rungs");
}

void read_config(core::ConfigSection s, LadderConfig& c) {
  std::string mode(core::ladder_mode_text(c.by_default).value_or("auto"));
  s.read("default", mode);
  const auto choice = core::parse_ladder_mode(mode);
  if (!choice) s.fail(s.key_path("default"), "must be off, auto or compatible");
  c.by_default = *choice;
  read_rungs(s, "rungs", c.rungs);
  s.read("encoder", c.encoder);
  if (c.encoder.empty()) s.fail(s.key_path("encoder"), "must not be empty");
  s.read("preset", c.preset);
  s.read_int("threads", c.threads, 1, 16);
  s.read_int("max_delay_ms", c.max_delay_ms, 500, 10'000);
  s.finish();
}

}  // namespace looplive::transcode
