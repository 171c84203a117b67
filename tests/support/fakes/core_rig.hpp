#pragma once
// The batch core wired as the app wires it, on test doubles: a real SQLite store on a temporary file (behind
// a FlakyStore), an in-memory object store, a scriptable runner, a manual clock and counting ids. The
// lifecycle and the expiry sweep run on the rig's io_context; tests turn it with run_until().

#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/background/file_expiry.hpp"
#include "server/background/lifecycle.hpp"
#include "server/batch/batch_core.hpp"
#include "server/batch/files.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/fakes/fake_runner.hpp"
#include "tests/support/fakes/flaky_store.hpp"
#include "tests/support/fakes/memory_object_store.hpp"

namespace batchgate::test {

class ManualClock final : public Clock {
 public:
  std::int64_t now_seconds() const override { return now_; }
  void advance(std::int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<std::int64_t> now_{1'700'000'000};
};

// "00000001", "00000002", …: predictable and unique.
class SequentialIds final : public IdGenerator {
 public:
  std::string base62(std::size_t length) override {
    std::string digits = std::to_string(++next_);
    return std::string(length > digits.size() ? length - digits.size() : 0, '0') + digits;
  }

 private:
  std::atomic<std::uint64_t> next_{0};
};

inline config::Settings rig_settings() {
  config::Settings s;
  config::Model m;
  m.model_name = "claude-batch";
  m.bedrock_model_id = "anthropic.claude-3-5-haiku-20241022-v1:0";
  m.mode = "batch";
  m.aws_region_name = "us-east-1";
  m.aws_batch_role_arn = "arn:aws:iam::123456789012:role/BatchRole";
  m.s3_bucket = m.s3_output_bucket = "rig-bucket";
  m.s3_prefix = m.s3_output_prefix = "pre";
  m.pricing = {0.000002, 0.00001, 0.000001, 0.000005};
  m.min_batch_records = 1;
  s.models.push_back(m);
  s.general.master_key = "sk-master-key";
  s.server.poll_interval_min = std::chrono::seconds(1);
  s.server.poll_interval_max = std::chrono::seconds(4);
  return s;
}

class CoreRig {
 public:
  explicit CoreRig(std::string name, config::Settings settings = rig_settings())
      : settings_(std::move(settings)),
        dir_(std::filesystem::temp_directory_path() /
             ("batchgate-rig-" + std::to_string(::getpid()) + "-" + name)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    runners_.add(runner);
    open();
  }
  ~CoreRig() {
    close();
    std::filesystem::remove_all(dir_);
  }

  // A restart: everything but the database file, the objects and the runner (Bedrock) is made anew.
  void restart() {
    close();
    open();
  }

  void start_background() {
    lifecycle_->start(io.get_executor());
    expiry_->start(io.get_executor());
  }

  // Turns the io_context, one simulated second per turn, until `done` holds; false after `turns`.
  bool run_until(const std::function<bool()>& done, int turns = 200) {
    for (int i = 0; i < turns; ++i) {
      if (done()) return true;
      io.restart();
      io.run_for(std::chrono::milliseconds(15));
      clock.advance(1);
    }
    return done();
  }

  // Runs `task` to its end, the background loops (when started) turning beside it.
  template <class T>
  T run(boost::asio::awaitable<T> task) {
    std::optional<T> out;
    boost::asio::co_spawn(
        io, [&out, &task]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); },
        boost::asio::detached);
    while (!out) {
      io.restart();
      io.run_for(std::chrono::milliseconds(5));
    }
    return std::move(*out);
  }
  void run(boost::asio::awaitable<void> task) {
    run([](boost::asio::awaitable<void> t) -> boost::asio::awaitable<bool> {
      co_await std::move(t);
      co_return true;
    }(std::move(task)));
  }

  storage::BatchRecord batch(const std::string& id) { return **sqlite_->find_batch(id); }
  storage::JobRecord job(const std::string& id) { return sqlite_->batch_jobs(id)->front(); }

  // Registers another runner (e.g. the on-demand one) for new batches in `role`.
  void add_runner(batch::RecordRunner& runner, batch::Runners::Role role) { runners_.add(runner, role); }
  batch::CoreDeps deps() {
    auto objects_of = [this](const config::Model&) -> batch::ObjectStore& { return objects; };
    return {settings_, *store_, *pool_, clock, ids, objects_of};
  }

  const config::Settings& settings() const { return settings_; }
  const config::Model& model() const { return settings_.models.front(); }
  storage::SqliteStore& sqlite() { return *sqlite_; }
  FlakyStore& store() { return *store_; }
  batch::BatchCore& core() { return *core_; }
  batch::Files& files() { return *files_; }
  background::FileExpiry& expiry() { return *expiry_; }

  ManualClock clock;
  SequentialIds ids;
  FakeRunner runner;
  MemoryObjectStore objects;
  boost::asio::io_context io;

 private:
  void open() {
    sqlite_ = std::move(*storage::SqliteStore::open_blocking((dir_ / "rig.db").string()));
    store_ = std::make_unique<FlakyStore>(*sqlite_);
    pool_ = std::make_unique<boost::asio::thread_pool>(2);
    core_ = std::make_unique<batch::BatchCore>(deps(), runners_, batch::CoreHooks{});
    files_ = std::make_unique<batch::Files>(deps());
    lifecycle_ = std::make_unique<background::Lifecycle>(
        *store_, *pool_, clock, *core_, background::LifecycleOptions{std::chrono::milliseconds(2), 4});
    expiry_ = std::make_unique<background::FileExpiry>(*store_, *pool_, clock, *files_,
                                                       std::chrono::milliseconds(2));
  }
  void close() {
    if (lifecycle_) lifecycle_->stop();
    if (expiry_) expiry_->stop();
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
    lifecycle_.reset();
    expiry_.reset();
    if (pool_) pool_->join();
    core_.reset();
    files_.reset();
    store_.reset();
    sqlite_.reset();
    pool_.reset();
  }

  config::Settings settings_;
  std::filesystem::path dir_;
  batch::Runners runners_;
  std::unique_ptr<storage::SqliteStore> sqlite_;
  std::unique_ptr<FlakyStore> store_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::unique_ptr<batch::BatchCore> core_;
  std::unique_ptr<batch::Files> files_;
  std::unique_ptr<background::Lifecycle> lifecycle_;
  std::unique_ptr<background::FileExpiry> expiry_;
};

}  // namespace batchgate::test
