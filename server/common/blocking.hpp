#pragma once
// Runs blocking work (SQLite, file I/O, child processes) on a pool and resumes the coroutine on its own
// executor, so I/O threads never block (STYLE.md rule 7). The one way the server leaves its I/O threads.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

namespace batchgate {

// `where` is the pool (a boost::asio::thread_pool&) or one of its executors. Not a coroutine itself:
// co_spawn owns the function object until it has run, so no lambda temporary lives in a coroutine frame of
// ours (g++ 12 destroys such temporaries twice, GCC PR 101367).
template <class Where, class F>
auto run_blocking(Where& where, F f) -> boost::asio::awaitable<std::invoke_result_t<F>> {
  using R = std::invoke_result_t<F>;
  return boost::asio::co_spawn(
      where, [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
      boost::asio::use_awaitable);
}

}  // namespace batchgate
