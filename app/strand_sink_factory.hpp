#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "looplive/core/log.hpp"
#include "looplive/core/packet_sink.hpp"

namespace looplive::app {

// Runs every stream's sink (the packager: muxing, file writes, fsync) on a
// strand of its own over a media thread pool, so a slow disk never stalls an
// RTMP socket and a stream needs no locks. The strand belongs to the stream,
// not to one publish: a publisher that reconnects opens its sink only after
// the previous publish's last packets and finish() have run, so two publishes
// of one stream never overlap. The backlog per publish is bounded: past it,
// packets are dropped and counted rather than memory growing.
class StrandSinkFactory : public core::SinkFactory {
 public:
  StrandSinkFactory(core::SinkFactory& inner, boost::asio::thread_pool& pool,
                    size_t max_backlog = 4096)
      : inner_(inner), pool_(pool), max_backlog_(max_backlog) {}

  std::shared_ptr<core::PacketSink> open(const core::PublishGrant& grant) override {
    auto sink =
        std::make_shared<StrandSink>(strand_of(grant.stream_id), max_backlog_, grant.stream_id);
    sink->open_inner(inner_, grant);
    return sink;
  }

 private:
  using Strand = boost::asio::strand<boost::asio::thread_pool::executor_type>;
  struct StreamStrand {
    explicit StreamStrand(boost::asio::thread_pool& pool)
        : strand(boost::asio::make_strand(pool)) {}
    Strand strand;
  };

  std::shared_ptr<StreamStrand> strand_of(const std::string& stream_id) {
    std::lock_guard lock(mutex_);
    std::erase_if(strands_, [](const auto& entry) { return entry.second.expired(); });
    auto& weak = strands_[stream_id];
    auto strand = weak.lock();
    if (!strand) {
      strand = std::make_shared<StreamStrand>(pool_);
      weak = strand;
    }
    return strand;
  }

  class StrandSink : public core::PacketSink {
   public:
    StrandSink(std::shared_ptr<StreamStrand> strand, size_t max_backlog, std::string stream_id)
        : state_(std::make_shared<State>(std::move(strand))),
          max_backlog_(max_backlog),
          stream_id_(std::move(stream_id)) {}

    void open_inner(core::SinkFactory& factory, const core::PublishGrant& grant) {
      post([&factory, grant](State& state) {
        try {
          state.inner = factory.open(grant);
        } catch (const std::exception& error) {
          core::logger("packager")
              ->error("[stream={}] cannot open: {}", grant.stream_id, error.what());
        }
      });
    }

    void on_track(const core::TrackInfo& track) override {
      post([track](State& state) {
        if (state.inner) state.inner->on_track(track);
      });
    }

    void on_packet(const core::MediaPacket& packet) override {
      if (state_->backlog.load(std::memory_order_relaxed) >= max_backlog_) {
        if (dropped_++ % 500 == 0)
          core::logger("packager")
              ->warn("[stream={}] packager is {} packets behind; dropped {} so far", stream_id_,
                     max_backlog_, dropped_);
        return;
      }
      state_->backlog.fetch_add(1, std::memory_order_relaxed);
      post([packet](State& state) {
        state.backlog.fetch_sub(1, std::memory_order_relaxed);
        if (state.inner) state.inner->on_packet(packet);
      });
    }

    void finish(core::EndReason reason) override {
      post([reason](State& state) {
        if (state.inner) state.inner->finish(reason);
        state.inner.reset();
      });
    }

   private:
    // Shared with queued work, so the sink may be dropped while packets are still queued.
    struct State {
      explicit State(std::shared_ptr<StreamStrand> s) : strand(std::move(s)) {}
      std::shared_ptr<StreamStrand> strand;
      std::shared_ptr<core::PacketSink> inner;
      std::atomic<size_t> backlog{0};
    };

    template <class Fn>
    void post(Fn fn) {
      boost::asio::post(state_->strand->strand,
                        [state = state_, fn = std::move(fn)]() mutable { fn(*state); });
    }

    std::shared_ptr<State> state_;
    size_t max_backlog_;
    std::string stream_id_;
    uint64_t dropped_ = 0;  // touched only from the publisher's strand
  };

  core::SinkFactory& inner_;
  boost::asio::thread_pool& pool_;
  size_t max_backlog_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<StreamStrand>> strands_;
};

}  // namespace looplive::app
