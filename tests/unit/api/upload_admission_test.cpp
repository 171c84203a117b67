#include "server/api/upload_admission.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <optional>
#include <vector>

#include "tests/support/run_coroutine.hpp"

namespace batchgate::api {
namespace {

using Admitted = std::variant<UploadAdmission::Ticket, ApiError>;

TEST(UploadAdmission, TheBudgetIsSharedAndAWaitingUploadGetsTheFreedShare) {
  boost::asio::io_context io;
  UploadAdmission admission(3 * UploadAdmission::kChargePerUpload, 0, std::chrono::milliseconds(200));
  ASSERT_EQ(admission.slots(), 3u);
  std::vector<Admitted> held;
  for (std::int64_t key = 1; key <= 3; ++key) {
    held.push_back(test::run_coroutine(io, admission.admit(key)));
    ASSERT_TRUE(std::holds_alternative<UploadAdmission::Ticket>(held.back()));
  }
  // A fourth waits, then is refused with 503 (uploads_busy) when nothing frees in time.
  Admitted busy = test::run_coroutine(io, admission.admit(4));
  ASSERT_TRUE(std::holds_alternative<ApiError>(busy));
  EXPECT_EQ(std::get<ApiError>(busy).kind, ErrorKind::kUnavailable);
  EXPECT_EQ(std::get<ApiError>(busy).code, "uploads_busy");
  held.pop_back();  // an upload ends: its share is free again
  EXPECT_TRUE(std::holds_alternative<UploadAdmission::Ticket>(test::run_coroutine(io, admission.admit(4))));
}

TEST(UploadAdmission, AKeyOverItsCountIsRefusedAtOnceWith429) {
  boost::asio::io_context io;
  UploadAdmission admission(0, 2, std::chrono::milliseconds(10'000));
  Admitted a = test::run_coroutine(io, admission.admit(7));
  Admitted b = test::run_coroutine(io, admission.admit(7));
  Admitted c = test::run_coroutine(io, admission.admit(7));
  ASSERT_TRUE(std::holds_alternative<ApiError>(c));
  EXPECT_EQ(std::get<ApiError>(c).kind, ErrorKind::kRateLimited);
  EXPECT_EQ(std::get<ApiError>(c).code, "too_many_uploads");
  EXPECT_TRUE(std::holds_alternative<UploadAdmission::Ticket>(test::run_coroutine(io, admission.admit(8))));
}

}  // namespace
}  // namespace batchgate::api
