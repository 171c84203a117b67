#pragma once
// A background task that runs a round every `interval` on its own strand until stopped: the batch lifecycle
// and the file-expiry sweep are both one. wake() starts the next round at once; a round that reports a
// backlog is followed by another without waiting.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace batchgate {

class PeriodicLoop {
 public:
  // One round; returns true when work is left over and the next round should start at once.
  using Round = std::function<boost::asio::awaitable<bool>()>;

  // `name` prefixes the log line of a round that threw.
  PeriodicLoop(std::string name, std::chrono::milliseconds interval, Round round);
  ~PeriodicLoop();
  PeriodicLoop(const PeriodicLoop&) = delete;
  PeriodicLoop& operator=(const PeriodicLoop&) = delete;

  void start(boost::asio::any_io_executor executor);
  // Runs the next round now instead of at the end of the interval. Thread-safe.
  void wake();
  // Ends the loop after the round in flight; rounds in flight see stopping() at their next check.
  void stop();
  bool stopping() const;
  // The loop's strand (valid after start): work spawned here never runs beside a round.
  boost::asio::strand<boost::asio::any_io_executor> strand() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace batchgate
