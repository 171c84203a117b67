// HttpClient and the retry loop against a real local HTTP(S) server (tests/unit/aws/scripted_http_server.py).
#include "server/aws/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <filesystem>
#include <optional>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/run_coroutine.hpp"

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;

const std::string kServerScript =
    std::string(BATCHGATE_SOURCE_DIR) + "/tests/unit/aws/scripted_http_server.py";

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  return test::run_coroutine(io, std::move(task));
}

HttpRequest get(std::string path, std::string query = "") {
  HttpRequest request;
  request.path = std::move(path);
  request.query = std::move(query);
  return request;
}

RetryPolicy fast_policy(int attempts = 3) {
  RetryPolicy policy;
  policy.max_attempts = attempts;
  policy.random = [] { return 0.01; };
  return policy;
}

class ScriptedServer {
 public:
  // `idle_timeout_s` > 0: the server closes keep-alive connections idle that long (as S3 does).
  explicit ScriptedServer(std::vector<std::string> tls_files = {}, std::uint16_t port = 0,
                          double idle_timeout_s = 0)
      : port_(port != 0 ? port : test::free_port()) {
    std::vector<std::string> argv{"python3", kServerScript};
    if (idle_timeout_s > 0) argv.insert(argv.end(), {"--idle-timeout", std::to_string(idle_timeout_s)});
    argv.push_back(std::to_string(port_));
    argv.insert(argv.end(), tls_files.begin(), tls_files.end());
    process_ = std::make_unique<test::ChildProcess>(argv);
    ready_ = test::wait_for_port(port_, std::chrono::seconds(10));
  }
  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  std::unique_ptr<test::ChildProcess> process_;
  bool ready_ = false;
};

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ScriptedServer(); }
  static void TearDownTestSuite() { delete server_; }
  void SetUp() override { ASSERT_TRUE(server_->ready()) << "scripted server did not start"; }

  Url url() const { return *parse_url("http://127.0.0.1:" + std::to_string(server_->port())); }
  Result<HttpResponse> send(HttpRequest request) { return run(io_, client_.send(url(), std::move(request))); }
  Result<HttpResponse> send_retry(HttpRequest request, RetryPolicy policy) {
    RequestFactory factory = [request]() -> asio::awaitable<Result<HttpRequest>> { co_return request; };
    return run(io_, send_with_retry(client_, url(), factory, std::move(policy)));
  }
  int count(const std::string& id) { return std::stoi(send(get("/count/" + id))->body); }

  static ScriptedServer* server_;
  asio::io_context io_;
  HttpClient client_{io_.get_executor()};
};

ScriptedServer* HttpClientTest::server_ = nullptr;

TEST_F(HttpClientTest, SendsRequestWithHostAndContentLength) {
  HttpRequest request = get("/echo");
  request.method = "PUT";
  request.body = std::string(1000, 'x');
  auto response = send(request);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("\"method\": \"PUT\""), std::string::npos);
  EXPECT_NE(response->body.find("\"host\": \"127.0.0.1:" + std::to_string(server_->port()) + "\""),
            std::string::npos);
  EXPECT_NE(response->body.find("\"content-length\": \"1000\""), std::string::npos);
  EXPECT_NE(response->body.find("\"body_length\": 1000"), std::string::npos);
  EXPECT_EQ(response->header("content-type").value_or(""), "application/json");
}

TEST_F(HttpClientTest, ReusesKeepAliveConnection) {
  auto first = send(get("/peer"));
  auto second = send(get("/peer"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, second->body) << "second request should reuse the pooled connection";
}

TEST_F(HttpClientTest, HeadResponseHasNoBodyAndDoesNotHang) {
  HttpRequest request = get("/echo");
  request.method = "HEAD";
  auto response = send(request);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
  EXPECT_TRUE(send(get("/peer")));  // the connection is still usable
}

TEST_F(HttpClientTest, RetriesServiceUnavailableUntilSuccess) {
  auto response = send_retry(get("/flaky/r503", "fail=2&status=503"), fast_policy());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok r503");
  EXPECT_EQ(count("r503"), 3);
}

TEST_F(HttpClientTest, GivesUpAfterMaxAttemptsOnThrottling) {
  auto response =
      send_retry(get("/flaky/r429", "fail=10&status=429&code=ThrottlingException"), fast_policy());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(count("r429"), 3);
}

TEST_F(HttpClientTest, RetriesS3SlowDownAndThrottlingCodeOn400) {
  auto slow = send_retry(get("/flaky/slowdown", "fail=1&status=503&code=SlowDown&xml=1"), fast_policy());
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 200);
  EXPECT_EQ(count("slowdown"), 2);
  auto sts = send_retry(get("/flaky/sts", "fail=1&status=400&code=Throttling&xml=1"), fast_policy());
  ASSERT_TRUE(sts);
  EXPECT_EQ(sts->status, 200);
  EXPECT_EQ(count("sts"), 2);
}

TEST_F(HttpClientTest, NeverRetriesValidationErrors) {
  auto response = send_retry(get("/flaky/r400", "fail=1&status=400&code=ValidationException"), fast_policy());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(count("r400"), 1);
}

TEST_F(HttpClientTest, AttemptCountIsConfigurable) {
  auto response =
      send_retry(get("/flaky/five", "fail=4&status=500&code=InternalServerException"), fast_policy(5));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(count("five"), 5);
}

TEST_F(HttpClientTest, RetriesConnectionErrorsThenReportsThem) {
  int attempts = 0;
  RequestFactory factory = [&attempts]() -> asio::awaitable<Result<HttpRequest>> {
    ++attempts;
    co_return get("/");
  };
  Url closed = *parse_url("http://127.0.0.1:" + std::to_string(test::free_port()));
  auto response = run(io_, send_with_retry(client_, closed, factory, fast_policy()));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), asio::error::connection_refused);
  EXPECT_EQ(attempts, 3);
}

TEST_F(HttpClientTest, StreamsLargeBodiesInChunks) {
  constexpr std::size_t kBytes = 10 * 1024 * 1024 + 7;
  std::size_t total = 0;
  std::size_t chunks = 0;
  std::size_t largest = 0;
  bool pattern_ok = true;
  BodySink sink = [&](std::string_view chunk) -> asio::awaitable<bool> {
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      pattern_ok = pattern_ok && static_cast<unsigned char>(chunk[i]) == (total + i) % 251;
    }
    total += chunk.size();
    ++chunks;
    largest = std::max(largest, chunk.size());
    co_return true;
  };
  auto response =
      run(io_, client_.send_streaming(url(), get("/big", "bytes=" + std::to_string(kBytes)), sink));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
  EXPECT_EQ(total, kBytes);
  EXPECT_TRUE(pattern_ok);
  EXPECT_GT(chunks, 100u);
  EXPECT_LE(largest, 64u * 1024u);
}

TEST_F(HttpClientTest, SinkCanAbortTheTransfer) {
  BodySink sink = [](std::string_view) -> asio::awaitable<bool> { co_return false; };
  auto response = run(io_, client_.send_streaming(url(), get("/big", "bytes=1000000"), sink));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpErrc::kSinkAborted);
  EXPECT_TRUE(send(get("/peer")));  // the aborted connection was not returned to the pool
}

TEST_F(HttpClientTest, StreamingErrorBodyIsReturnedAsString) {
  BodySink sink = [](std::string_view) -> asio::awaitable<bool> { co_return true; };
  auto response = run(io_, client_.send_streaming(url(), get("/missing"), sink));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "no route");
}

TEST_F(HttpClientTest, BodyLimitApplies) {
  HttpClientOptions options;
  options.max_body_bytes = 1000;
  HttpClient small(io_.get_executor(), options);
  auto response = run(io_, small.send(url(), get("/big", "bytes=5000")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpErrc::kBodyTooLarge);
}

TEST_F(HttpClientTest, ReadTimeoutFailsFast) {
  HttpClientOptions options;
  options.io_timeout = std::chrono::milliseconds(300);
  HttpClient impatient(io_.get_executor(), options);
  auto start = std::chrono::steady_clock::now();
  auto response = run(io_, impatient.send(url(), get("/slow", "ms=3000")));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), boost::beast::error::timeout);
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_F(HttpClientTest, TruncatedBodyIsAnErrorNotAHang) {
  auto response = send(get("/truncate", "bytes=100000"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), boost::beast::http::error::partial_message) << response.error().message();
  EXPECT_TRUE(send(get("/peer")));
}

TEST(HttpClientRestart, PooledConnectionToARestartedServerIsReplacedTransparently) {
  asio::io_context io;
  HttpClient client(io.get_executor());
  auto server = std::make_unique<ScriptedServer>();
  ASSERT_TRUE(server->ready());
  const std::uint16_t port = server->port();
  const Url url = *parse_url("http://127.0.0.1:" + std::to_string(port));
  auto before = test::run_coroutine(io, client.send(url, get("/peer")));
  ASSERT_TRUE(before);

  // Kill the server: the pooled connection is now dead. A new server takes the same port.
  server.reset();
  server = std::make_unique<ScriptedServer>(std::vector<std::string>{}, port);
  ASSERT_TRUE(server->ready());
  auto after = test::run_coroutine(io, client.send(url, get("/peer")));  // one attempt, no retry loop
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->status, 200);
  EXPECT_NE(after->body, before->body) << "a fresh connection must have been opened";
}

// Sends `n` requests at once on one client, so that the pool ends up holding `n` connections.
std::vector<Result<HttpResponse>> send_together(asio::io_context& io, HttpClient& client, const Url& url,
                                                const HttpRequest& request, int n) {
  std::vector<std::optional<Result<HttpResponse>>> results(n);
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(
        io, [&, i]() -> asio::awaitable<void> { results[i].emplace(co_await client.send(url, request)); },
        asio::detached);
  }
  io.restart();
  io.run();
  std::vector<Result<HttpResponse>> out;
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

TEST(HttpClientIdle, ConnectionsTheServerClosedWhileIdleNeverFailARequest) {
  // The server closes keep-alive connections idle for 1 s. Three requests at once leave three pooled
  // connections; after a pause longer than the server's timeout all three are dead. The next upload must
  // succeed on its one attempt (no retry loop around it), and so must three more at once.
  ScriptedServer server({}, 0, 1.0);
  ASSERT_TRUE(server.ready());
  asio::io_context io;
  HttpClientOptions options;
  options.max_idle_time = std::chrono::minutes(5);  // only the closed-by-peer detection can help here
  HttpClient client(io.get_executor(), options);
  const Url url = *parse_url("http://127.0.0.1:" + std::to_string(server.port()));
  HttpRequest slow = get("/slow", "ms=300");
  for (auto& r : send_together(io, client, url, slow, 3)) ASSERT_TRUE(r) << r.error().message();

  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  HttpRequest put = get("/echo");
  put.method = "PUT";
  put.body = std::string(6 * 1024 * 1024, 'x');
  auto uploaded = run(io, client.send(url, put));
  ASSERT_TRUE(uploaded) << uploaded.error().message();
  EXPECT_EQ(uploaded->status, 200);
  EXPECT_NE(uploaded->body.find("\"body_length\": 6291456"), std::string::npos) << uploaded->body;

  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  for (auto& r : send_together(io, client, url, put, 3)) {
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200);
  }
}

TEST(HttpClientIdle, ConnectionsIdleLongerThanMaxIdleTimeAreNotReused) {
  ScriptedServer server;
  ASSERT_TRUE(server.ready());
  asio::io_context io;
  HttpClientOptions options;
  options.max_idle_time = std::chrono::milliseconds(200);
  HttpClient client(io.get_executor(), options);
  const Url url = *parse_url("http://127.0.0.1:" + std::to_string(server.port()));
  auto first = run(io, client.send(url, get("/peer")));
  auto soon = run(io, client.send(url, get("/peer")));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto later = run(io, client.send(url, get("/peer")));
  ASSERT_TRUE(first && soon && later);
  EXPECT_EQ(first->body, soon->body) << "a connection idle for less than max_idle_time is reused";
  EXPECT_NE(soon->body, later->body) << "a connection idle for longer is replaced";
}

TEST(HttpClientStall, WriteStallTimesOut) {
  // A listener that never accepts: the kernel completes the handshake, nobody reads, the socket buffers
  // fill up and the upload stalls.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length);

  asio::io_context io;
  HttpClientOptions options;
  options.io_timeout = std::chrono::milliseconds(300);
  HttpClient client(io.get_executor(), options);
  HttpRequest put = get("/upload");
  put.method = "PUT";
  put.body = std::string(64 * 1024 * 1024, 'x');
  auto start = std::chrono::steady_clock::now();
  auto response =
      run(io, client.send(*parse_url("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port))), put));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ::close(listener);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), boost::beast::error::timeout) << response.error().message();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(HttpClientTest, RejectsUnknownMethod) {
  HttpRequest request = get("/");
  request.method = "FETCH ME";
  auto response = send(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpErrc::kInvalidMethod);
}

// TLS: certificate chain and host name are verified.
class HttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("batchgate-tls-" + std::to_string(::getpid())));
    std::filesystem::create_directories(*dir_);
    std::string d = dir_->string();
    auto [status, output] = test::run_command(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " + d +
        "/key.pem -out " + d + "/cert.pem -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>&1");
    ASSERT_EQ(status, 0) << output;
    server_ = new ScriptedServer({d + "/cert.pem", d + "/key.pem"});
    auto [other_status, other_output] = test::run_command(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other.example -keyout " + d +
        "/other-key.pem -out " + d + "/other.pem -addext subjectAltName=DNS:other.example 2>&1");
    ASSERT_EQ(other_status, 0) << other_output;
    other_server_ = new ScriptedServer({d + "/other.pem", d + "/other-key.pem"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete other_server_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  Result<HttpResponse> fetch(const std::string& host, const std::string& ca_file, std::uint16_t port = 0) {
    HttpClientOptions options;
    options.ca_file = ca_file;
    HttpClient client(io_.get_executor(), options);
    if (port == 0) port = server_->port();
    return run(io_,
               client.send(*parse_url("https://" + host + ":" + std::to_string(port)), get("/flaky/tls")));
  }

  static std::filesystem::path* dir_;
  static ScriptedServer* server_;
  static ScriptedServer* other_server_;
  asio::io_context io_;
};

std::filesystem::path* HttpsTest::dir_ = nullptr;
ScriptedServer* HttpsTest::server_ = nullptr;
ScriptedServer* HttpsTest::other_server_ = nullptr;

TEST_F(HttpsTest, TrustedCertificateWithMatchingNameIsAccepted) {
  ASSERT_TRUE(server_->ready());
  auto response = fetch("localhost", (*dir_ / "cert.pem").string());
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok tls");
}

TEST_F(HttpsTest, IpAddressIsVerifiedAgainstTheCertificatesIpNames) {
  ASSERT_TRUE(server_->ready());
  auto response = fetch("127.0.0.1", (*dir_ / "cert.pem").string());
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200);
  // other.pem names only other.example: an IP address does not match it.
  auto mismatch = fetch("127.0.0.1", (*dir_ / "other.pem").string(), other_server_->port());
  ASSERT_FALSE(mismatch);
}

TEST_F(HttpsTest, UntrustedCertificateIsRefused) {
  ASSERT_TRUE(server_->ready());
  auto response = fetch("localhost", "");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().category(), asio::error::get_ssl_category()) << response.error().message();
}

TEST_F(HttpsTest, HostNameMismatchIsRefused) {
  ASSERT_TRUE(other_server_->ready());
  // other.pem is trusted but names only other.example.
  auto response = fetch("localhost", (*dir_ / "other.pem").string(), other_server_->port());
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().category(), asio::error::get_ssl_category()) << response.error().message();
}

}  // namespace
}  // namespace batchgate::aws
