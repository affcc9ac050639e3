#include "periodic_work.hpp"

#include <boost/asio/post.hpp>

namespace looplive::control_api {

PeriodicWork::PeriodicWork(boost::asio::io_context& io, boost::asio::thread_pool& pool,
                           std::chrono::milliseconds interval, std::function<void()> work)
    : pool_(pool), interval_(interval), work_(std::move(work)), timer_(io) {}

void PeriodicWork::start() {
  arm();
}

void PeriodicWork::stop() {
  stopping_ = true;
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void PeriodicWork::arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    boost::asio::post(pool_, [this] {
      if (stopping_) return;
      work_();
      boost::asio::post(timer_.get_executor(), [this] {
        if (!stopping_) arm();
      });
    });
  });
}

}  // namespace looplive::control_api
