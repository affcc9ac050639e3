#include "recording_sink.hpp"

namespace looplive::test {

size_t RecordedPublish::count(uint8_t track) const {
  size_t n = 0;
  for (const auto& p : packets) n += p.track == track;
  return n;
}

bool RecordedPublish::monotonic() const {
  std::map<uint8_t, int64_t> last;
  for (const auto& p : packets) {
    auto it = last.find(p.track);
    if (it != last.end() && p.dts < it->second) return false;
    last[p.track] = p.dts;
  }
  return true;
}

const core::TrackInfo* RecordedPublish::track(core::MediaKind kind) const {
  for (auto it = tracks.rbegin(); it != tracks.rend(); ++it)
    if (it->kind == kind) return &*it;
  return nullptr;
}

class RecordingSinkFactory::Sink : public core::PacketSink {
 public:
  Sink(std::mutex& mutex, std::shared_ptr<RecordedPublish> publish)
      : mutex_(mutex), publish_(std::move(publish)) {}
  void on_track(const core::TrackInfo& track) override {
    std::lock_guard lock(mutex_);
    publish_->tracks.push_back(track);
  }
  void on_packet(const core::MediaPacket& packet) override {
    std::lock_guard lock(mutex_);
    publish_->packets.push_back(packet);
  }
  void finish(core::EndReason reason) override {
    std::lock_guard lock(mutex_);
    publish_->end = reason;
  }

 private:
  std::mutex& mutex_;
  std::shared_ptr<RecordedPublish> publish_;
};

std::shared_ptr<core::PacketSink> RecordingSinkFactory::open(const core::PublishGrant& grant) {
  std::lock_guard lock(mutex_);
  auto publish = std::make_shared<RecordedPublish>();
  publish->stream_id = grant.stream_id;
  all_.push_back(publish);
  return std::make_shared<Sink>(mutex_, publish);
}

std::vector<RecordedPublish> RecordingSinkFactory::publishes(const std::string& stream_id) const {
  std::lock_guard lock(mutex_);
  std::vector<RecordedPublish> out;
  for (const auto& p : all_)
    if (p->stream_id == stream_id) out.push_back(*p);
  return out;
}

size_t RecordingSinkFactory::opened() const {
  std::lock_guard lock(mutex_);
  return all_.size();
}

}  // namespace looplive::test
