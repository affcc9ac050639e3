#pragma once

#include <atomic>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "looplive/core/log.hpp"
#include "looplive/core/packet_sink.hpp"

namespace looplive::app {

// Runs every stream's sink (the packager: muxing, file writes, fsync) on a
// strand of its own over a media thread pool, so a slow disk never stalls an
// RTMP socket and a stream needs no locks. The backlog per stream is bounded:
// past it, packets are dropped and counted rather than memory growing.
class StrandSinkFactory : public core::SinkFactory {
 public:
  StrandSinkFactory(core::SinkFactory& inner, boost::asio::thread_pool& pool, size_t max_backlog = 4096)
      : inner_(inner), pool_(pool), max_backlog_(max_backlog) {}

  std::shared_ptr<core::PacketSink> open(const core::PublishGrant& grant) override {
    return std::make_shared<StrandSink>(inner_.open(grant), pool_, max_backlog_, grant.stream_id);
  }

 private:
  class StrandSink : public core::PacketSink {
   public:
    StrandSink(std::shared_ptr<core::PacketSink> inner, boost::asio::thread_pool& pool, size_t max_backlog,
               std::string stream_id)
        : state_(std::make_shared<State>(std::move(inner), pool)),
          max_backlog_(max_backlog),
          stream_id_(std::move(stream_id)) {}

    void on_track(const core::TrackInfo& track) override {
      boost::asio::post(state_->strand, [state = state_, track] { state->inner->on_track(track); });
    }

    void on_packet(const core::MediaPacket& packet) override {
      if (state_->backlog.load(std::memory_order_relaxed) >= max_backlog_) {
        if (dropped_++ % 500 == 0)
          core::logger("packager")->warn("[stream={}] packager is {} packets behind; dropped {} so far",
                                         stream_id_, max_backlog_, dropped_);
        return;
      }
      state_->backlog.fetch_add(1, std::memory_order_relaxed);
      boost::asio::post(state_->strand, [state = state_, packet] {
        state->backlog.fetch_sub(1, std::memory_order_relaxed);
        state->inner->on_packet(packet);
      });
    }

    void finish(core::EndReason reason) override {
      boost::asio::post(state_->strand, [state = state_, reason] { state->inner->finish(reason); });
    }

   private:
    // Shared with queued work, so the sink may be dropped while packets are still queued.
    struct State {
      State(std::shared_ptr<core::PacketSink> sink, boost::asio::thread_pool& pool)
          : inner(std::move(sink)), strand(boost::asio::make_strand(pool)) {}
      std::shared_ptr<core::PacketSink> inner;
      boost::asio::strand<boost::asio::thread_pool::executor_type> strand;
      std::atomic<size_t> backlog{0};
    };
    std::shared_ptr<State> state_;
    size_t max_backlog_;
    std::string stream_id_;
    uint64_t dropped_ = 0;  // touched only from the publisher's strand
  };

  core::SinkFactory& inner_;
  boost::asio::thread_pool& pool_;
  size_t max_backlog_;
};

}  // namespace looplive::app
