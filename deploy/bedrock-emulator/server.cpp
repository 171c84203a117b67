// The bedrock-emulator executable: a Beast/Asio HTTP/1.1 server around Router, and one coroutine per job
// that walks the status machine of spec/bedrock-batch.md §6 and moves the job's data through S3 (§8).
// With --serve-s3 the same port also answers S3 requests (s3_session.hpp). Everything runs on one thread,
// so neither the job store nor the S3 store needs locking.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>
#include <random>

#include "batch_io.hpp"
#include "options.hpp"
#include "router.hpp"
#include "s3_session.hpp"
#include "server/aws/s3_client.hpp"

namespace batchgate::bedrock_emulator {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kBodyLimit = 16 * 1024 * 1024;
// Large socket reads instead of Beast's 512-byte minimum on an empty buffer.
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr auto kTick = 50ms;

std::string random_job_id(std::mt19937_64& rng) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id;
  for (int i = 0; i < 12; ++i) id += kAlphabet[rng() % 36];
  return id;
}

struct Emulator {
  Emulator(asio::io_context& context, Options opts, StoreSettings settings,
           aws::HttpClientOptions http_options, std::uint64_t seed)
      : io(context),
        options(std::move(opts)),
        rng(seed),
        store(
            std::move(settings), [] { return std::chrono::system_clock::now(); },
            [this] {
              std::string id;
              do id = random_job_id(rng);
              while (store.find(id) != nullptr);
              return id;
            }),
        http(context.get_executor(), std::move(http_options)) {}

  asio::io_context& io;
  Options options;
  Knobs knobs;
  std::mt19937_64 rng;
  JobStore store;
  aws::HttpClient http;
  std::unique_ptr<Router> router;
  std::unique_ptr<S3Routes> s3;  // --serve-s3

  std::optional<aws::S3Client> s3_for(const Job& job) {
    if (!options.s3_endpoint) return std::nullopt;
    aws::S3Config config;
    config.endpoint_url = options.s3_endpoint;
    config.region = options.s3_region;
    config.force_path_style = true;
    config.credentials = aws::static_credentials(
        aws::Credentials{options.s3_access_key_id, options.s3_secret_access_key, std::nullopt});
    // Output objects are SSE-KMS encrypted with the job's key when it has one (spec §8.2).
    config.kms_key_id = job.request.output_kms_key_id;
    return aws::S3Client(http, std::move(config));
  }
};

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(kUseTuple);
}

// Waits out a phase in short ticks; returns false as soon as the user asked to stop.
asio::awaitable<bool> phase(Job& job, double seconds) {
  const auto end =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  while (job.status != JobStatus::kStopping) {
    const auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) co_return true;
    co_await sleep_for(std::min<std::chrono::steady_clock::duration>(left, kTick));
  }
  co_return false;
}

std::string base_name(std::string_view key) {
  const auto slash = key.rfind('/');
  return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
}

using Inputs = std::variant<std::vector<InputFile>, std::string>;

// Spec §8.1: the input URI names one .jsonl object or a prefix whose .jsonl objects are all used.
asio::awaitable<Inputs> load_inputs(aws::S3Client& s3, const std::string& uri) {
  const auto location = parse_s3_uri(uri);
  if (!location) co_return "Invalid input location " + uri;
  std::string prefix = location->key;
  if (!prefix.empty() && !prefix.ends_with('/')) {
    auto object = co_await s3.get_object_string(location->bucket, prefix);
    if (object) {
      if (!prefix.ends_with(".jsonl")) co_return "The input file " + uri + " is not a .jsonl file.";
      auto parsed = parse_input_file(base_name(prefix), *object);
      if (auto* error = std::get_if<std::string>(&parsed)) co_return *error;
      co_return std::vector<InputFile>{std::move(std::get<InputFile>(parsed))};
    }
    if (object.error().code != "NoSuchKey") {
      co_return "Unable to read the input " + uri + ": " + object.error().to_string();
    }
    prefix += '/';
  }
  // moto_server's SigV4 check rejects a ListObjectsV2 whose prefix holds an encoded '/' (botocore's own
  // requests included), so list by the leading plain segment and filter here.
  const std::string list_prefix = prefix.substr(
      0, prefix.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."));
  auto listed = co_await s3.list_all_objects(location->bucket, list_prefix);
  if (!listed) co_return "Unable to list the input " + uri + ": " + listed.error().to_string();
  std::vector<InputFile> files;
  for (const auto& object : *listed) {
    if (!object.key.starts_with(prefix) || !object.key.ends_with(".jsonl")) continue;
    auto body = co_await s3.get_object_string(location->bucket, object.key);
    if (!body) co_return "Unable to read the input s3://" + location->bucket + "/" + object.key;
    auto parsed = parse_input_file(object.key.substr(prefix.size()), *body);
    if (auto* error = std::get_if<std::string>(&parsed)) co_return *error;
    files.push_back(std::move(std::get<InputFile>(parsed)));
  }
  if (files.empty()) co_return "No .jsonl input file was found at " + uri + ".";
  co_return files;
}

asio::awaitable<std::optional<std::string>> write_outputs(Emulator& emu, aws::S3Client& s3, const Job& job,
                                                          const RecordProcessor& processor) {
  const auto location = parse_s3_uri(job.request.output_s3_uri);
  if (!location) co_return "Invalid output location " + job.request.output_s3_uri;
  for (auto& object : processor.outputs()) {
    const std::string key =
        output_key(location->key, job.id, object.name, emu.knobs.processing.output_layout);
    auto put = co_await s3.put_object(location->bucket, key, std::move(object.body));
    if (!put)
      co_return "Unable to write the output s3://" + location->bucket + "/" + key + ": " +
          put.error().to_string();
  }
  co_return std::nullopt;
}

asio::awaitable<void> finish_stopped(Emulator& emu, Job& job) {
  co_await sleep_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(emu.knobs.stopping_seconds)));
  emu.store.transition(job, JobStatus::kStopped, "Job stopped by the user.");
}

// Runs InProgress: records at knobs.records_per_second in 100 ms slices until done, stopped or expired.
asio::awaitable<void> process_records(Emulator& emu, Job& job, RecordProcessor& processor) {
  double credit = 0.0;
  while (!processor.finished() && job.status != JobStatus::kStopping &&
         emu.store.now() <= job.expiration_time) {
    credit += emu.knobs.records_per_second * 0.1;
    const auto count = static_cast<std::int64_t>(credit);
    credit -= static_cast<double>(count);
    processor.process(count);
    RecordCounts counts = processor.counts();
    job.counts = counts;
    co_await sleep_for(100ms);
  }
}

asio::awaitable<void> run_job(Emulator& emu, std::string job_id) {
  Job& job = *emu.store.find(job_id);
  if (!co_await phase(job, emu.knobs.submitted_seconds)) co_return co_await finish_stopped(emu, job);
  emu.store.transition(job, JobStatus::kValidating);
  if (!co_await phase(job, emu.knobs.validating_seconds)) co_return co_await finish_stopped(emu, job);
  auto s3 = emu.s3_for(job);
  if (!s3) {
    emu.store.transition(job, JobStatus::kFailed, "The emulator has no S3 endpoint (--s3-endpoint).");
    co_return;
  }
  auto inputs = co_await load_inputs(*s3, job.request.input_s3_uri);
  if (job.status == JobStatus::kStopping) co_return co_await finish_stopped(emu, job);
  if (auto* error = std::get_if<std::string>(&inputs)) {
    emu.store.transition(job, JobStatus::kFailed, *error);
    co_return;
  }
  const auto family = family_for_model(job.request.model_id);
  RecordProcessor processor(*family, job.request.invocation_type == "Converse", job.request.model_id,
                            std::move(std::get<std::vector<InputFile>>(inputs)), emu.knobs.processing);
  if (auto error = check_record_count(processor.total(), emu.knobs.limits)) {
    emu.store.transition(job, JobStatus::kFailed, *error);
    co_return;
  }
  job.counts = processor.counts();
  emu.store.transition(job, JobStatus::kScheduled);
  if (!co_await phase(job, emu.knobs.scheduled_seconds)) co_return co_await finish_stopped(emu, job);
  if (emu.store.now() > job.expiration_time) {
    emu.store.transition(job, JobStatus::kExpired, "The job timed out before it started.");
    co_return;
  }
  emu.store.transition(job, JobStatus::kInProgress);
  co_await process_records(emu, job, processor);
  job.counts = processor.counts();
  // Outputs are written in every ending, partial ones included (spec §6 Stopped/PartiallyCompleted).
  auto write_error = co_await write_outputs(emu, *s3, job, processor);
  if (job.status == JobStatus::kStopping) co_return co_await finish_stopped(emu, job);
  if (write_error) {
    emu.store.transition(job, JobStatus::kFailed, *write_error);
  } else if (processor.fails() && processor.finished()) {
    // failAfterFraction: the job fails part-way, its partial output written (as write_outputs did).
    emu.store.transition(job, JobStatus::kFailed,
                         "The job failed after processing " + std::to_string(processor.counts().processed) +
                             " of " + std::to_string(processor.total()) +
                             " records: an internal error occurred while running the model.");
  } else if (processor.counts().processed < processor.total()) {
    emu.store.transition(job, JobStatus::kPartiallyCompleted,
                         "Not every record could be processed before the job ended; processed " +
                             std::to_string(processor.counts().processed) + " of " +
                             std::to_string(processor.total()) + " records.");
  } else {
    emu.store.transition(job, JobStatus::kCompleted);
  }
}

EmulatorRequest to_emulator_request(const http::request<http::string_body>& request) {
  EmulatorRequest out{
      std::string(request.method_string()), std::string(request.target()), {}, request.body()};
  for (const auto& field : request)
    out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  return out;
}

asio::awaitable<void> serve_session(Emulator& emu, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  buffer.reserve(kReadBufferBytes);
  // Object bytes follow their response header in separate writes: no Nagle delay before them.
  beast::error_code no_delay_error;
  if (emu.s3) stream.socket().set_option(tcp::no_delay(true), no_delay_error);
  for (;;) {
    stream.expires_after(120s);
    // The header first: an S3 upload's body goes straight into object storage, with its own limit.
    http::request_parser<http::empty_body> head;
    head.body_limit(boost::none);
    auto [head_error, head_bytes] = co_await http::async_read_header(stream, buffer, head, kUseTuple);
    if (head_error) break;
    if (emu.s3) {
      const S3Served served = co_await serve_s3(stream, buffer, head, *emu.s3);
      if (served == S3Served::kClose) break;
      if (served == S3Served::kKeepAlive) continue;
    }
    http::request_parser<http::string_body> parser(std::move(head));
    parser.body_limit(kBodyLimit);
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (read_error) break;
    const auto& request = parser.get();
    const EmulatorResponse out = emu.router->handle(to_emulator_request(request));
    // invokeLatencyMs: a timer, so the other connections are served while this one waits.
    if (out.delay > std::chrono::milliseconds::zero()) {
      co_await sleep_for(out.delay);
      stream.expires_after(120s);
    }
    http::response<http::string_body> response{static_cast<http::status>(out.status), request.version()};
    for (const auto& header : out.headers) response.set(header.name, header.value);
    response.set(http::field::server, "bedrock-emulator");
    response.body() = out.body;
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [write_error, written] = co_await http::async_write(stream, response, kUseTuple);
    if (write_error || !response.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(Emulator& emu, tcp::acceptor acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kUseTuple);
    if (error) {
      if (error == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), serve_session(emu, std::move(socket)), asio::detached);
  }
}

// http://ADDR:PORT of the listening socket; a wildcard address is reached over loopback.
std::string own_url(const asio::ip::address& address, std::uint16_t port) {
  if (address.is_v6()) {
    const auto v6 = address.is_unspecified() ? asio::ip::address_v6::loopback() : address.to_v6();
    return "http://[" + v6.to_string() + "]:" + std::to_string(port);
  }
  const auto v4 = address.is_unspecified() ? asio::ip::address_v4::loopback() : address.to_v4();
  return "http://" + v4.to_string() + ":" + std::to_string(port);
}

int run(Options options) {
  asio::io_context io;
  StoreSettings settings;
  settings.region = options.region;
  settings.account_id = options.account_id;
  settings.default_timeout_hours = options.default_timeout_hours;
  aws::HttpClientOptions http_options;
  http_options.max_body_bytes = std::size_t{1} << 30;  // input files up to Bedrock's 1 GB (spec §9)
  const std::uint64_t seed = options.seed.value_or(std::random_device{}());
  Emulator emu(io, options, settings, http_options, seed);
  if (auto error = apply_knobs(options.knobs, emu.knobs, emu.store)) {
    std::cerr << "bedrock-emulator: " << *error << "\n";
    return 2;
  }
  AuthSettings auth;
  auth.verify = options.verify_signatures;
  auth.accept_session_credentials = options.accept_session_credentials;
  auth.secrets = options.credentials;
  auth.region = options.region;
  emu.router = std::make_unique<Router>(
      emu.store, emu.knobs, auth,
      [&emu] { return std::uniform_real_distribution<double>(0.0, 1.0)(emu.rng); },
      [&emu](Job& job) { asio::co_spawn(emu.io, run_job(emu, job.id), asio::detached); });

  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    std::cerr << "bedrock-emulator: invalid --host " << options.host << "\n";
    return 2;
  }
  tcp::acceptor acceptor(io);
  acceptor.open(address.is_v6() ? tcp::v6() : tcp::v4());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind({address, options.port}, ec);
  if (ec) {
    std::cerr << "bedrock-emulator: cannot listen on " << options.host << ":" << options.port << ": "
              << ec.message() << "\n";
    return 1;
  }
  acceptor.listen();
  const auto port = acceptor.local_endpoint().port();
  if (options.serve_s3) {
    emu.s3 = std::make_unique<S3Routes>(auth, [] { return std::chrono::system_clock::now(); });
    // Job I/O goes through the same S3Client code path to this very S3 (options.cpp use_own_s3).
    if (!emu.options.s3_endpoint) emu.options.s3_endpoint = own_url(address, port);
  }
  std::cout << "listening on " << options.host << ":" << port << std::endl;
  asio::co_spawn(io, accept_loop(emu, std::move(acceptor)), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  io.run();
  return 0;
}

}  // namespace

}  // namespace batchgate::bedrock_emulator

int main(int argc, char** argv) {
  using namespace batchgate::bedrock_emulator;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_options(args, [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::cerr << "bedrock-emulator: " << *error << "\n" << usage_text();
    return 2;
  }
  auto& options = std::get<Options>(parsed);
  if (options.help) {
    std::cout << usage_text();
    return 0;
  }
  return run(std::move(options));
}
