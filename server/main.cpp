// batchgate: an OpenAI-compatible batch gateway for Amazon Bedrock.
#include <malloc.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "config/loader.hpp"
#include "server/app.hpp"
#include "server/common/json_log.hpp"
#include "server/http/access_log.hpp"

namespace {

constexpr const char* kUsage =
    "usage: batchgate --config <config.yaml> [--host HOST] [--port PORT] [--check-config]\n"
    "  --config PATH    LiteLLM-compatible config (default: $BATCHGATE_CONFIG)\n"
    "  --host, --port   override batchgate_settings.host/port\n"
    "  --check-config   validate the configuration and exit\n";

void setup_logging() {
  // Operational messages to stderr; one JSON line per request to stdout.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("batchgate"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  // Access lines are flushed once a second (or per 64 KiB) rather than per line: a write(2) per request cost
  // a quarter of GET throughput.
  batchgate::http::install_access_logger(STDOUT_FILENO);
  spdlog::flush_every(std::chrono::seconds(1));
}

// environment_variables: the loader already resolved os.environ/ references through them; exporting them too
// lets what reads the process environment later see them as LiteLLM's users expect — above all the AWS
// default credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_CONTAINER_*, …) and credential_process
// children. They win over the inherited environment, as in LiteLLM. Done before the app starts the threads
// that read the environment (setenv is not thread-safe).
void export_environment(const batchgate::config::Settings& settings) {
  for (const auto& [name, value] : settings.environment_variables) ::setenv(name.c_str(), value.c_str(), 1);
  if (!settings.environment_variables.empty())
    spdlog::info("config: environment_variables set {} variable(s)", settings.environment_variables.size());
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena; with the I/O, blocking and resolver threads each
  // holding freed part buffers, a 1 GB upload peaked near 75 MB instead of 54 MB. Two arenas suffice on the
  // machines we target (bench/README.md); MALLOC_ARENA_MAX still overrides.
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
  // glibc raises its mmap threshold to the size of every large block freed: after the first 5 MiB S3 part
  // buffer, part buffers came from the heap and fragmented it (1 GB upload: 75 MB peak, 40 MB with a fixed
  // threshold). A fixed threshold keeps large buffers in mmap; MALLOC_MMAP_THRESHOLD_ still overrides.
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  std::string config_path = std::getenv("BATCHGATE_CONFIG") ? std::getenv("BATCHGATE_CONFIG") : "";
  std::string host;
  int port = -1;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << arg << "\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--config") config_path = value();
    else if (arg == "--host") host = value();
    else if (arg == "--port") port = std::atoi(value().c_str());
    else if (arg == "--check-config") check_only = true;
    else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "unknown argument " << arg << "\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  setup_logging();

  auto loaded = batchgate::config::load_from_file_blocking(config_path, batchgate::config::process_env());
  if (loaded.settings && loaded.settings->server.log_format == "json")
    spdlog::default_logger()->set_formatter(std::make_unique<batchgate::JsonLogFormatter>());
  for (const auto& w : loaded.warnings) spdlog::warn("config: {}", w.to_string());
  if (!loaded.errors.empty()) {
    std::cerr << "batchgate: " << loaded.errors.size() << " error(s) in " << config_path << ":\n";
    for (const auto& e : loaded.errors) std::cerr << "  " << e.to_string() << "\n";
    return 1;
  }
  auto settings = std::move(*loaded.settings);
  export_environment(settings);
  if (!host.empty()) settings.server.host = host;
  if (port >= 0 && port <= 65535) settings.server.port = std::uint16_t(port);
  if (check_only) {
    std::cout << "config ok: " << settings.models.size() << " model(s)\n";
    return 0;
  }

  auto app = batchgate::App::create(std::move(settings));
  if (app.has_error()) {
    spdlog::critical("{}", app.error());
    return 1;
  }
  (*app)->handle_signals();
  auto bound = (*app)->start();
  if (bound.has_error()) {
    spdlog::critical("{}", bound.error());
    return 1;
  }
  (*app)->wait();
  spdlog::shutdown();  // writes the access lines still pending
  return 0;
}
