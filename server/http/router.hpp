#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "server/http/message.hpp"
#include "server/http/path_pattern.hpp"

namespace batchgate::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

struct Route {
  beast_http::verb method;
  PathPattern pattern;
  Handler handler;
  std::uint64_t body_limit = 0;  // every route has an explicit limit (STYLE.md rule 15)
  bool streaming = false;        // the handler reads the body itself through Request::body_reader
};

class Router {
 public:
  void add(beast_http::verb method, std::string_view pattern, std::uint64_t body_limit, Handler handler,
           bool streaming = false) {
    routes_.push_back(Route{method, PathPattern(pattern), std::move(handler), body_limit, streaming});
  }

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    bool path_known = false;  // some route has this path with another method → 405
  };
  Match match(beast_http::verb method, std::string_view path) const {
    Match m;
    for (const auto& r : routes_) {
      auto params = r.pattern.match(path);
      if (!params) continue;
      m.path_known = true;
      if (r.method != method) continue;
      m.route = &r;
      m.params = std::move(*params);
      return m;
    }
    return m;
  }

 private:
  std::vector<Route> routes_;
};

}  // namespace batchgate::http
