#pragma once
// The composition root: store, thread pools, router, HTTP server and (later) the batch lifecycle, wired once.

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "config/settings.hpp"

namespace batchgate {

class App {
 public:
  // Blocks: opens the store and applies migrations. The error is a message for the operator.
  static boost::system::result<std::unique_ptr<App>, std::string> create(config::Settings settings);
  ~App();

  // Binds host:port (port 0 picks a free one), starts the worker threads, returns the bound port.
  boost::system::result<std::uint16_t, std::string> start();
  // Begins a graceful shutdown: stop accepting, let requests in flight finish, then stop the threads.
  void request_stop();
  // Blocks until the app has stopped (after request_stop, or SIGINT/SIGTERM when handle_signals was set).
  void wait();
  // Installs SIGINT/SIGTERM handlers that call request_stop.
  void handle_signals();

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace batchgate
