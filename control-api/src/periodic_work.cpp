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

void PeriodicWork::wake() {
  woken_ = true;
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void PeriodicWork::arm() {
  timer_.expires_after(woken_.exchange(false) ? std::chrono::milliseconds(0) : interval_);
  // Cancelled by stop() or by wake(): only stop() ends the runs.
  timer_.async_wait([this](boost::system::error_code) {
    if (stopping_) return;
    boost::asio::post(pool_, [this] {
      if (stopping_) return;
      woken_ = false;  // this run serves every wake so far
      work_();
      boost::asio::post(timer_.get_executor(), [this] {
        if (!stopping_) arm();
      });
    });
  });
}

}  // namespace looplive::control_api
