#include "manifest_checker.hpp"

#include <cmath>
#include <optional>
#include <sstream>
#include <string_view>

namespace looplive::test {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The value of NAME=value (quoted or not) in an attribute list.
std::optional<std::string> attribute(std::string_view list, std::string_view name) {
  size_t at = 0;
  while ((at = list.find(name, at)) != std::string_view::npos) {
    const bool boundary = at == 0 || list[at - 1] == ',' || list[at - 1] == ':' ||
                          list[at - 1] == ' ' || list[at - 1] == '<';
    const size_t eq = at + name.size();
    if (boundary && eq < list.size() && list[eq] == '=') {
      std::string_view value = list.substr(eq + 1);
      if (starts_with(value, "\"")) return std::string(value.substr(1, value.find('"', 1) - 1));
      return std::string(value.substr(0, value.find_first_of(", />")));
    }
    at = eq;
  }
  return std::nullopt;
}

// Every NAME=value of a tag's attribute list (after the colon), quotes removed.
std::map<std::string, std::string> attributes(std::string_view line) {
  std::map<std::string, std::string> out;
  std::string_view rest = line.substr(line.find(':') + 1);
  while (!rest.empty()) {
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) break;
    const std::string name(rest.substr(0, eq));
    rest.remove_prefix(eq + 1);
    size_t end = 0;
    if (starts_with(rest, "\"")) {
      end = rest.find('"', 1);
      out[name] = std::string(rest.substr(1, end == std::string_view::npos ? end : end - 1));
      end = end == std::string_view::npos ? rest.size() : end + 1;
    } else {
      end = std::min(rest.find(','), rest.size());
      out[name] = std::string(rest.substr(0, end));
    }
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  return out;
}

int64_t to_int(const std::optional<std::string>& text, int64_t fallback) {
  if (!text || text->empty()) return fallback;
  try {
    return std::stoll(*text);
  } catch (...) {
    return fallback;
  }
}

}  // namespace

std::vector<std::string> segment_uris(const std::string& playlist) {
  std::vector<std::string> uris;
  std::istringstream lines(playlist);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != '#') uris.push_back(line);
  return uris;
}

std::optional<PreloadHint> preload_hint(const std::string& playlist) {
  const std::string tag = "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"";
  const size_t at = playlist.find(tag);
  if (at == std::string::npos) return std::nullopt;
  const size_t start = at + tag.size();
  PreloadHint hint;
  hint.uri = playlist.substr(start, playlist.find('"', start) - start);
  const size_t number = hint.uri.find('_') + 1;
  const size_t part = hint.uri.find("_p", number);
  if (number == 0 || part == std::string::npos) return std::nullopt;
  hint.msn = static_cast<uint64_t>(to_int(hint.uri.substr(number, part - number), -1));
  hint.part = to_int(hint.uri.substr(part + 2, hint.uri.find('.', part) - part - 2), -1);
  if (hint.part < 0) return std::nullopt;
  return hint;
}

size_t ManifestChecker::versions(const std::string& name) const {
  const auto found = seen_.find(name);
  return found == seen_.end() ? 0 : found->second.versions;
}

void ManifestChecker::problem(const std::string& name, const std::string& what) {
  if (problems_.size() < 50) problems_.push_back(name + ": " + what);
}

void ManifestChecker::feed(const std::string& name, int status, const std::string& body) {
  Seen& seen = seen_[name];
  if (status == 404) {
    if (seen.ok_before) problem(name, "404 after it had been served");
    return;
  }
  if (status != 200) return problem(name, "answered " + std::to_string(status));
  seen.ok_before = true;
  if (body.empty()) return problem(name, "200 with an empty body");
  if (body == seen.last_body) return;
  seen.last_body = body;
  ++seen.versions;
  if (name.ends_with(".mpd")) return check_mpd(name, seen, body);
  if (!starts_with(body, "#EXTM3U\n")) return problem(name, "200 without #EXTM3U first");
  if (body.find("#EXT-X-STREAM-INF:") != std::string::npos) return;  // multivariant
  check_media_playlist(name, seen, body);
}

void ManifestChecker::feed_blocking(const std::string& name, uint64_t msn, int64_t part, int status,
                                    const std::string& body) {
  feed(name, status, body);
  if (status != 200) return;
  // Parts are named <prefix>_<msn>_p<part>.m4s, segments <prefix>_<msn>.m4s.
  const auto lists = [&](uint64_t number, int64_t index) {
    const std::string tail = "_" + std::to_string(number) +
                             (index >= 0 ? "_p" + std::to_string(index) : std::string()) + ".m4s";
    for (std::string_view line : lines_of(body)) {
      if (line.find(tail + "\"") != std::string_view::npos || line.ends_with(tail)) return true;
    }
    return false;
  };
  const bool listed = lists(msn, part) || lists(msn, -1) || lists(msn + 1, -1) || lists(msn + 1, 0);
  if (!listed) {
    problem(name, "blocking reload for " + std::to_string(msn) + "/" + std::to_string(part) +
                      " answered without it");
  }
}

void ManifestChecker::check_media_playlist(const std::string& name, Seen& seen,
                                           const std::string& body) {
  int64_t version = 1;
  int64_t target = -1;
  double part_target = -1;
  int64_t sequence = 0;
  int64_t discontinuities = 0;
  std::optional<double> extinf;
  for (std::string_view line : lines_of(body)) {
    if (starts_with(line, "#EXT-X-VERSION:")) {
      version = to_int(std::string(line.substr(15)), 1);
    } else if (starts_with(line, "#EXT-X-TARGETDURATION:")) {
      target = to_int(std::string(line.substr(22)), -1);
    } else if (starts_with(line, "#EXT-X-PART-INF:")) {
      part_target = std::stod(attribute(line, "PART-TARGET").value_or("-1"));
    } else if (starts_with(line, "#EXT-X-MEDIA-SEQUENCE:")) {
      sequence = to_int(std::string(line.substr(22)), 0);
      if (sequence < seen.media_sequence) {
        problem(name, "media sequence went back from " + std::to_string(seen.media_sequence) +
                          " to " + std::to_string(sequence));
      }
      seen.media_sequence = sequence;
    } else if (starts_with(line, "#EXT-X-DISCONTINUITY-SEQUENCE:")) {
      discontinuities = to_int(std::string(line.substr(30)), 0);
    } else if (starts_with(line, "#EXT-X-SKIP:")) {
      // A delta update: the skipped segments keep their numbers.
      if (body.find("CAN-SKIP-UNTIL=") == std::string::npos) {
        problem(name, "a delta update from a playlist that offers none");
      }
      // RFC 8216bis section 8: EXT-X-SKIP needs version 9, and 10 when it
      // replaces date ranges (it then names those recently removed).
      const bool skips_dateranges = attribute(line, "RECENTLY-REMOVED-DATERANGES").has_value();
      if (version < (skips_dateranges ? 10 : 9)) {
        problem(name, "a delta update at EXT-X-VERSION " + std::to_string(version));
      }
      sequence += to_int(attribute(line, "SKIPPED-SEGMENTS"), 0);
    } else if (starts_with(line, "#EXT-X-PART:")) {
      const double duration = std::stod(attribute(line, "DURATION").value_or("0"));
      if (part_target > 0 && duration > part_target + 1e-9) {
        problem(name, "part of " + std::to_string(duration) + " s over the part target");
      }
    } else if (starts_with(line, "#EXT-X-DATERANGE:")) {
      check_daterange(name, seen, line, body);
    } else if (starts_with(line, "#EXTINF:")) {
      extinf = std::stod(std::string(line.substr(8)));
    } else if (!line.empty() && line[0] != '#' && extinf) {
      if (target >= 0 && std::llround(*extinf) > target) {
        problem(name, std::string(line) + " lasts " + std::to_string(*extinf) +
                          " s, over the target duration " + std::to_string(target));
      }
      const auto [it, fresh] = seen.uris.emplace(sequence, std::string(line));
      if (!fresh && it->second != line) {
        problem(name, "media sequence " + std::to_string(sequence) + " named " + it->second +
                          ", now " + std::string(line));
      }
      ++sequence;
      extinf.reset();
    }
  }
  if (target < 0) return problem(name, "no EXT-X-TARGETDURATION");
  const bool live_low_latency = part_target > 0 && body.find("#EXT-X-ENDLIST") == std::string::npos;
  if (live_low_latency && body.find("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=") == std::string::npos) {
    problem(name, "a live LL-HLS playlist without a preload hint");
  }
  if (seen.target >= 0 && target != seen.target) {
    problem(name, "target duration changed from " + std::to_string(seen.target) + " to " +
                      std::to_string(target));
  }
  seen.target = target;
  if (seen.part_target >= 0 && part_target != seen.part_target) {
    problem(name, "part target changed");
  }
  if (part_target >= 0) seen.part_target = part_target;
  if (discontinuities < seen.discontinuity_sequence) {
    problem(name, "discontinuity sequence went back");
  }
  seen.discontinuity_sequence = discontinuities;
}

// RFC 8216 section 4.4.5.1: an ID and a START-DATE; a DURATION that is not
// negative; a playlist with dates has program date times; and a range seen
// again keeps every attribute it had (players drop one that changes).
void ManifestChecker::check_daterange(const std::string& name, Seen& seen, std::string_view line,
                                      const std::string& body) {
  const auto now = attributes(line);
  const auto id = now.find("ID");
  if (id == now.end()) return problem(name, "a DATERANGE without an ID");
  if (!now.contains("START-DATE")) problem(name, "DATERANGE " + id->second + " without START-DATE");
  if (const auto duration = now.find("DURATION");
      duration != now.end() && std::stod(duration->second) < 0)
    problem(name, "DATERANGE " + id->second + " lasts less than nothing");
  if (body.find("#EXT-X-PROGRAM-DATE-TIME:") == std::string::npos)
    problem(name, "a DATERANGE in a playlist without EXT-X-PROGRAM-DATE-TIME");
  auto& before = seen.dateranges[id->second];
  for (const auto& [attribute, value] : now) {
    const auto [it, fresh] = before.emplace(attribute, value);
    if (!fresh && it->second != value)
      problem(name, "DATERANGE " + id->second + " changed " + attribute + " from " + it->second +
                        " to " + value);
  }
}

void ManifestChecker::check_mpd(const std::string& name, Seen& seen, const std::string& body) {
  const bool whole = (starts_with(body, "<?xml") || starts_with(body, "<MPD")) &&
                     body.find("</MPD>") != std::string::npos;
  if (!whole) return problem(name, "200 without a whole MPD");
  bool dynamic = false;
  std::string period = "?";
  std::string kind = "?";
  int64_t number = 0;
  int64_t time = 0;
  bool by_time = false;
  // availabilityTimeComplete="false": the template's last segment is still
  // growing, listed with the longest it may last.
  bool low_latency = false;
  std::vector<std::pair<std::string, int64_t>> listed;  // this template's keys and values
  const auto settle = [&] {
    for (size_t i = 0; i < listed.size(); ++i) {
      const auto& [key, value] = listed[i];
      if (low_latency && by_time && i + 1 == listed.size()) {
        const auto [it, fresh] = seen.growing.emplace(key, value);
        if (!fresh && it->second != value)
          problem(name, "growing segment " + key + " was listed to last up to " +
                            std::to_string(it->second) + ", now " + std::to_string(value));
        if (const auto done = seen.times.find(key); done != seen.times.end())
          problem(name, "segment " + key + " is listed as growing again after it was complete");
        continue;
      }
      if (const auto bound = seen.growing.find(key);
          bound != seen.growing.end() && value > bound->second) {
        problem(name, "segment " + key + " lasted " + std::to_string(value) + ", more than the " +
                          std::to_string(bound->second) + " listed while it grew");
      }
      const auto [it, fresh] = seen.times.emplace(key, value);
      if (!fresh && it->second != value) {
        problem(name, "segment " + key + (by_time ? " lasted " : " was at t=") +
                          std::to_string(it->second) + ", now " + std::to_string(value));
      }
    }
    listed.clear();
  };
  for (std::string_view line : lines_of(body)) {
    const size_t open = line.find('<');
    if (open == std::string_view::npos) continue;
    line.remove_prefix(open);
    if (starts_with(line, "<MPD")) {
      dynamic = attribute(line, "type").value_or("") == "dynamic";
    } else if (starts_with(line, "<Period")) {
      period = attribute(line, "id").value_or("?");
      const std::string start = attribute(line, "start").value_or("?");
      if (dynamic) {
        const auto [it, fresh] = seen.period_starts.emplace(period, start);
        if (!fresh && it->second != start)
          problem(name, "live period " + period + " started at " + it->second + ", now " + start);
      }
    } else if (starts_with(line, "<AdaptationSet")) {
      kind = attribute(line, "contentType").value_or("?");
    } else if (starts_with(line, "<SegmentTemplate")) {
      number = to_int(attribute(line, "startNumber"), 1);
      by_time = attribute(line, "media").value_or("").find("$Time$") != std::string::npos;
      low_latency = attribute(line, "availabilityTimeComplete").value_or("") == "false";
      time = 0;
    } else if (starts_with(line, "</SegmentTimeline")) {
      settle();
    } else if (starts_with(line, "<S ")) {
      time = to_int(attribute(line, "t"), time);
      const int64_t duration = to_int(attribute(line, "d"), 0);
      const int64_t repeat = to_int(attribute(line, "r"), 0);
      for (int64_t i = 0; i <= repeat; ++i) {
        // $Number$: a number names one start time; $Time$: a start time names one segment.
        const std::string key = period + "/" + kind + "/" + std::to_string(by_time ? time : number);
        listed.emplace_back(key, by_time ? duration : time);
        ++number;
        time += duration;
      }
    }
  }
}

}  // namespace looplive::test
