#pragma once

// Runs one coroutine to completion on an io_context (tests only).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <utility>

namespace batchgate::test {

template <typename T>
T run_coroutine(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&out, &task]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); },
      boost::asio::detached);
  io.restart();
  io.run();
  return std::move(*out);
}

}  // namespace batchgate::test
