#pragma once
// Runs blocking work (SQLite, file I/O) on the blocking pool and resumes the coroutine on its own executor,
// so I/O threads never block (STYLE.md rule 7).

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>

namespace batchgate::http {

// Not a coroutine itself: co_spawn owns the function object until it has run, so no lambda temporary lives
// in a coroutine frame of ours (g++ 12 mishandles those, PR 101367).
template <class F>
auto run_blocking(boost::asio::thread_pool& pool, F f) -> boost::asio::awaitable<std::invoke_result_t<F>> {
  using R = std::invoke_result_t<F>;
  return boost::asio::co_spawn(
      pool, [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
      boost::asio::use_awaitable);
}

}  // namespace batchgate::http
