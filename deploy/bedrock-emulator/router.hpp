#pragma once

// Request handling of the emulator without any transport: SigV4 verification, fault injection, the four
// operations of spec/bedrock-batch.md §3–§6, bedrock-runtime's InvokeModel (invoke_model.hpp) and the
// unsigned admin endpoints. The Beast server only moves bytes in and out of Router::handle.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "auth_settings.hpp"
#include "emulator_http.hpp"
#include "invoke_model.hpp"
#include "job_store.hpp"
#include "knobs.hpp"

namespace batchgate::bedrock_emulator {

class Router {
 public:
  using Random = std::function<double()>;  // uniform in [0, 1), for fault injection
  using JobStarted = std::function<void(Job&)>;

  Router(JobStore& store, Knobs& knobs, AuthSettings auth, Random random, JobStarted on_created);

  EmulatorResponse handle(const EmulatorRequest& request);

  std::size_t create_calls() const { return create_calls_; }
  const InvokeModelService& invocations() const { return invoke_; }

 private:
  std::optional<ApiError> verify_signature(const EmulatorRequest& request) const;
  EmulatorResponse route(const EmulatorRequest& request, std::string_view path, std::string_view query);
  EmulatorResponse route_runtime(const EmulatorRequest& request, std::string_view path);
  EmulatorResponse admin(const EmulatorRequest& request, std::string_view path);
  nlohmann::json stats_json() const;
  EmulatorResponse create_job(const EmulatorRequest& request);
  EmulatorResponse get_job(std::string_view label);
  EmulatorResponse stop_job(std::string_view label);
  EmulatorResponse list_jobs(std::string_view query);
  EmulatorResponse json_response(int status, const nlohmann::json& body);
  EmulatorResponse error_response(const ApiError& error);
  EmulatorResponse stamped(EmulatorResponse response);  // adds x-amzn-RequestId

  JobStore& store_;
  Knobs& knobs_;
  AuthSettings auth_;
  Random random_;
  JobStarted on_created_;
  InvokeModelService invoke_;
  std::size_t create_calls_ = 0;
  std::size_t peak_active_jobs_ = 0;  // the most non-terminal jobs there ever were at once
  std::size_t stop_calls_ = 0;
  std::uint64_t request_counter_ = 0;
};

}  // namespace batchgate::bedrock_emulator
