#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "lifecycle_clock.hpp"
#include "looplive/control_api/public_urls.hpp"
#include "looplive/control_api/stream_ender.hpp"
#include "looplive/control_api/webhooks.hpp"
#include "looplive/core/ingest_figures.hpp"
#include "looplive/core/publisher_registry.hpp"
#include "looplive/core/viewer_source.hpp"
#include "looplive/db/stream_repository.hpp"
#include "vod_finalizer.hpp"

namespace looplive::app {

// A stream's life in PostgreSQL: ready -> live (a publish opened) ->
// reconnecting (the publisher went away) -> ended (by the API, or when the
// reconnect window runs out). Listens to the publisher registry, so it hears
// of every publish starting and finishing without being on the packet path,
// and ends streams for the API.
//
// Decisions are taken on one strand; database writes are serialized on a
// strand of the blocking pool (so a stream's transitions land in order), and
// finalizing a recording runs on the blocking pool. Every transition stores
// its webhook in the same transaction.
class StreamLifecycle : public control_api::StreamEnder {
 public:
  struct Dependencies {
    boost::asio::io_context& io;
    boost::asio::thread_pool& blocking;
    db::StreamRepository& streams;
    core::PublisherRegistry& registry;
    VodFinalizer& finalizer;
    control_api::WebhookDispatcher& webhooks;
    control_api::PublicUrls urls;
    const core::ViewerSource* viewers = nullptr;
    core::IngestFiguresRegistry* figures = nullptr;  // an ended stream's are dropped
    std::chrono::milliseconds reconnect_window{10'000};
    // This process among those sharing the database, and how long its hold
    // on a stream lasts unless renewed (renewed every third of it).
    std::string owner;
    std::chrono::milliseconds owner_lease{15'000};
  };

  explicit StreamLifecycle(Dependencies dependencies);
  ~StreamLifecycle() override;

  // At start-up, before ingest accepts publishers (blocks on the database):
  // streams a previous run left live or reconnecting get a fresh window. From
  // then on, the process renews its hold on its streams and adopts those
  // another process left behind (stopped, or gone without renewing); streams
  // another running process holds are left alone.
  void recover();
  void end(const std::string& stream_id,
           std::function<void(control_api::EndOutcome)> done) override;
  void disconnect_elsewhere(const std::string& stream_id) override;
  // Returns once the publisher events heard so far are decided and their
  // database writes done (or after `longest`): a shutdown's last transitions.
  void settle(std::chrono::milliseconds longest);
  // Takes no new decision from now on; what is left is recovered at the next start.
  void stop();

 private:
  using Timer = LifecycleTimer;
  using Waiter = std::function<void(control_api::EndOutcome)>;

  struct Entry {
    uint64_t generation = 0;  // registry token of the latest publish; older news is stale
    bool publishing = false;
    bool record = false;
    bool packaged_here = false;  // this process's packager holds the stream
    bool never_live = false;     // nothing was ever published: nothing to finalize
    bool ending = false;
    bool revoked = false;     // while ending: no publisher can be admitted any more
    bool finalizing = false;  // while ending: the recording is being finalized
    bool automatic = false;   // ended by the window rather than the API: retried on failure
    int holder_polls = 0;     // looks for another holder's end, in this call
    std::string end_reason;
    std::unique_ptr<Timer> timer;  // the reconnect window, or the wait for a kicked publisher
    std::optional<VodResult> vod;  // kept when the database write after finalizing fails
    std::vector<Waiter> waiters;
  };

  // On the decision strand.
  void on_open(const std::string& id, bool record, uint64_t generation);
  void on_finish(const std::string& id, uint64_t generation, core::EndReason reason);
  void arm_timer(const std::string& id, std::chrono::milliseconds after,
                 std::function<void()> fire);
  void start_end(const std::string& id, const std::string& reason, Waiter done, bool automatic);
  void after_revoke(const std::string& id, const db::StreamRecord& stream);
  void finalize(const std::string& id);
  void conclude(const std::string& id, const control_api::EndOutcome& outcome);

  void arm_lease_tick();
  // What API calls on other processes asked of this one (an end, a kick) is
  // read every kAskedPoll; an end asked of another holder is awaited here.
  void arm_asked_poll();
  void act_on(const std::vector<db::HolderRequest>& asked);
  void await_holder(const std::string& id);
  void end_step(const std::string& id, const std::optional<std::string>& ask);  // write strand

  // Off the I/O threads.
  void write(std::function<void()> fn);  // serialized database work
  // Claims each stream and gives it a reconnect window; blocks on the database.
  void adopt(const std::vector<db::StreamRecord>& streams, const char* why);
  db::EventBuilder events(std::string_view type, std::string_view reason = {}) const;
  void store_end(const std::string& id, const std::string& reason, const VodResult& vod);

  Dependencies deps_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::strand<boost::asio::thread_pool::executor_type> writes_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<bool> stopping_{false};
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_set<std::string> ended_;  // in this run: late publishers are turned away
  std::unique_ptr<Timer> lease_timer_;     // on the decision strand
  std::unique_ptr<Timer> asked_timer_;     // on the decision strand
};

}  // namespace looplive::app
