#include "server/common/periodic_loop.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

namespace batchgate {
namespace {

using namespace std::chrono_literals;

void turn(boost::asio::io_context& io, std::chrono::milliseconds how_long) {
  io.restart();
  io.run_for(how_long);
}

TEST(PeriodicLoop, RunsARoundEveryIntervalAndWakeRunsOneNow) {
  boost::asio::io_context io;
  int rounds = 0;
  PeriodicLoop loop("test", std::chrono::hours(1), [&]() -> boost::asio::awaitable<bool> {
    ++rounds;
    co_return false;
  });
  loop.start(io.get_executor());
  turn(io, 30ms);
  EXPECT_EQ(rounds, 1) << "the first round runs at start, the next one an hour later";
  loop.wake();
  turn(io, 30ms);
  EXPECT_EQ(rounds, 2);
  loop.stop();
  turn(io, 30ms);
  loop.wake();
  turn(io, 30ms);
  EXPECT_EQ(rounds, 2) << "no round after stop";
}

TEST(PeriodicLoop, ABacklogIsWorkedOffWithoutWaiting) {
  boost::asio::io_context io;
  int rounds = 0;
  PeriodicLoop loop("test", std::chrono::hours(1), [&]() -> boost::asio::awaitable<bool> {
    co_return ++rounds < 5;  // four rounds report work left over
  });
  loop.start(io.get_executor());
  turn(io, 50ms);
  EXPECT_EQ(rounds, 5);
}

TEST(PeriodicLoop, AWakeDuringARoundIsNotLostAndARoundThatThrowsDoesNotEndTheLoop) {
  boost::asio::io_context io;
  int rounds = 0;
  PeriodicLoop* self = nullptr;
  PeriodicLoop loop("test", std::chrono::hours(1), [&]() -> boost::asio::awaitable<bool> {
    ++rounds;
    if (rounds == 1) self->wake();  // arrives while this round runs
    if (rounds == 2) throw std::runtime_error("a failing round");
    co_return false;
  });
  self = &loop;
  loop.start(io.get_executor());
  turn(io, 30ms);
  EXPECT_EQ(rounds, 2);
  loop.wake();
  turn(io, 30ms);
  EXPECT_EQ(rounds, 3) << "the loop goes on after a round threw";
}

}  // namespace
}  // namespace batchgate
