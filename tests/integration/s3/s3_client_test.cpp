// S3Client against a real moto_server that verifies SigV4: moto accepting our requests is the check that
// our signatures agree with botocore's; a wrong secret must be refused.
#include "server/aws/s3_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "server/aws/sigv4.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/moto_server.hpp"
#include "tests/support/run_coroutine.hpp"

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;
using test::run_coroutine;

constexpr std::size_t kMiB = 1024 * 1024;
const std::string kBucket = "batchgate-it";
const std::string kKmsKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

std::string pattern(std::size_t size, char seed) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return out;
}

class S3ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new test::MotoServer();
    if (moto_->ok()) bucket_ok_ = moto_->create_bucket(kBucket);
  }
  static void TearDownTestSuite() { delete moto_; }

  void SetUp() override {
    ASSERT_TRUE(moto_->ok()) << moto_->error();
    ASSERT_TRUE(bucket_ok_) << "could not create bucket " << kBucket;
  }

  S3Config config(std::string secret = {}) const {
    S3Config c;
    c.endpoint_url = moto_->endpoint();
    c.region = moto_->region();
    c.credentials = static_credentials(Credentials{
        moto_->access_key_id(), secret.empty() ? moto_->secret_access_key() : secret, std::nullopt});
    c.retry.random = [] { return 0.0; };
    c.query_keeps_slash = true;  // moto_server quirk, see MotoNeedsTheQuerySlashCompatibilityFlag
    return c;
  }

  template <typename T>
  T run(asio::awaitable<T> task) {
    return run_coroutine(io_, std::move(task));
  }

  static test::MotoServer* moto_;
  static bool bucket_ok_;
  asio::io_context io_;
  HttpClient http_{io_.get_executor()};
  S3Client s3_{http_, config()};
};

test::MotoServer* S3ClientTest::moto_ = nullptr;
bool S3ClientTest::bucket_ok_ = false;

TEST_F(S3ClientTest, PutGetHeadRoundTrip) {
  auto put = run(s3_.put_object(kBucket, "dir/with space.jsonl", "{\"a\":1}\n", "application/jsonl"));
  ASSERT_TRUE(put) << put.error().to_string();
  EXPECT_EQ(put->etag.front(), '"');

  auto body = run(s3_.get_object_string(kBucket, "dir/with space.jsonl"));
  ASSERT_TRUE(body) << body.error().to_string();
  EXPECT_EQ(*body, "{\"a\":1}\n");

  auto head = run(s3_.head_object(kBucket, "dir/with space.jsonl"));
  ASSERT_TRUE(head) << head.error().to_string();
  EXPECT_EQ(head->content_length, 8u);
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_EQ(head->content_type, "application/jsonl");
  EXPECT_FALSE(head->server_side_encryption);
}

TEST_F(S3ClientTest, RangeReads) {
  ASSERT_TRUE(run(s3_.put_object(kBucket, "range.txt", "0123456789abcdef")));
  auto first = run(s3_.get_object_string(kBucket, "range.txt", "bytes=0-4"));
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(*first, "01234");
  EXPECT_EQ(run(s3_.get_object_string(kBucket, "range.txt", "bytes=10-")).value(), "abcdef");
  EXPECT_EQ(run(s3_.get_object_string(kBucket, "range.txt", "bytes=-3")).value(), "def");

  std::string streamed;
  BodySink sink = [&streamed](std::string_view chunk) -> asio::awaitable<bool> {
    streamed.append(chunk);
    co_return true;
  };
  auto info = run(s3_.get_object(kBucket, "range.txt", sink, "bytes=2-5"));
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->http_status, 206);
  EXPECT_EQ(info->content_range.value_or(""), "bytes 2-5/16");
  EXPECT_EQ(streamed, "2345");

  auto unsatisfiable = run(s3_.get_object_string(kBucket, "range.txt", "bytes=100-200"));
  ASSERT_FALSE(unsatisfiable);
  EXPECT_EQ(unsatisfiable.error().http_status, 416);
  EXPECT_EQ(unsatisfiable.error().code, "InvalidRange");
}

TEST_F(S3ClientTest, StreamedDownloadArrivesInChunks) {
  const std::string content = pattern(12 * kMiB + 3, 1);
  ASSERT_TRUE(run(s3_.put_object(kBucket, "big/streamed.bin", content)));
  std::size_t chunks = 0;
  std::size_t largest = 0;
  std::string received;
  received.reserve(content.size());
  BodySink sink = [&](std::string_view chunk) -> asio::awaitable<bool> {
    ++chunks;
    largest = std::max(largest, chunk.size());
    received.append(chunk);
    co_return true;
  };
  auto info = run(s3_.get_object(kBucket, "big/streamed.bin", sink));
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->http_status, 200);
  EXPECT_EQ(info->content_length, content.size());
  EXPECT_EQ(received.size(), content.size());
  EXPECT_TRUE(received == content);
  EXPECT_GT(chunks, 10u);
  EXPECT_LE(largest, 64 * 1024u);
}

TEST_F(S3ClientTest, MissingObjectsAndIdempotentDelete) {
  auto get = run(s3_.get_object_string(kBucket, "no/such/key"));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().http_status, 404);
  EXPECT_EQ(get.error().code, "NoSuchKey");
  auto head = run(s3_.head_object(kBucket, "no/such/key"));
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().http_status, 404);
  EXPECT_EQ(head.error().code, "NoSuchKey");

  ASSERT_TRUE(run(s3_.put_object(kBucket, "to-delete.txt", "x")));
  ASSERT_TRUE(run(s3_.delete_object(kBucket, "to-delete.txt")));
  EXPECT_FALSE(run(s3_.head_object(kBucket, "to-delete.txt")));
  EXPECT_TRUE(run(s3_.delete_object(kBucket, "to-delete.txt")));  // already gone: still success

  auto no_bucket = run(s3_.get_object_string("no-such-bucket-here", "k"));
  ASSERT_FALSE(no_bucket);
  EXPECT_EQ(no_bucket.error().code, "NoSuchBucket");
}

TEST_F(S3ClientTest, ListsWithPagingAndDecodesKeys) {
  std::vector<std::string> keys;
  for (int i = 0; i < 7; ++i) keys.push_back("list/item " + std::to_string(i) + ".jsonl");
  for (const auto& key : keys) ASSERT_TRUE(run(s3_.put_object(kBucket, key, "x")));
  ASSERT_TRUE(run(s3_.put_object(kBucket, "list/sub/nested.jsonl", "x")));
  ASSERT_TRUE(run(s3_.put_object(kBucket, "listing-outside.txt", "x")));

  ListObjectsRequest request;
  request.prefix = "list/";
  request.delimiter = "/";
  request.max_keys = 3;
  int pages = 0;
  std::vector<std::string> seen;
  std::vector<std::string> folders;
  while (true) {
    auto page = run(s3_.list_objects_v2(kBucket, request));
    ASSERT_TRUE(page) << page.error().to_string();
    ++pages;
    EXPECT_LE(page->objects.size() + page->common_prefixes.size(), 3u);
    for (const auto& object : page->objects) seen.push_back(object.key);
    folders.insert(folders.end(), page->common_prefixes.begin(), page->common_prefixes.end());
    if (!page->is_truncated) break;
    ASSERT_TRUE(page->next_continuation_token);
    request.continuation_token = page->next_continuation_token;
  }
  EXPECT_EQ(pages, 3);  // 7 objects + 1 common prefix, 3 per page
  EXPECT_EQ(seen, keys);
  EXPECT_EQ(folders, std::vector<std::string>{"list/sub/"});

  auto all = run(s3_.list_all_objects(kBucket, "list/", 2));
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->size(), 8u);  // no delimiter: the nested object too, not listing-outside.txt
  EXPECT_EQ(all->front().key, "list/item 0.jsonl");
  EXPECT_EQ(all->front().size, 1u);
  EXPECT_EQ(all->back().key, "list/sub/nested.jsonl");
}

TEST_F(S3ClientTest, MotoNeedsTheQuerySlashCompatibilityFlag) {
  // Documents why the fixture sets S3Config::query_keeps_slash: moto 5.2.1 refuses a correctly signed
  // prefix=list%2F (botocore's own requests too), and accepts one without '/'.
  S3Config strict = config();
  strict.query_keeps_slash = false;
  S3Client aws_exact(http_, strict);
  ListObjectsRequest with_slash;
  with_slash.prefix = "list/";
  auto refused = run(aws_exact.list_objects_v2(kBucket, with_slash));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "SignatureDoesNotMatch");
  ListObjectsRequest without_slash;
  without_slash.prefix = "list";
  EXPECT_TRUE(run(aws_exact.list_objects_v2(kBucket, without_slash)));
}

TEST_F(S3ClientTest, MultipartUploadOfTwoParts) {
  const std::string part1 = pattern(5 * kMiB, 2);
  const std::string part2 = pattern(kMiB + 17, 3);
  auto upload_id = run(s3_.create_multipart_upload(kBucket, "multi/two-parts.bin"));
  ASSERT_TRUE(upload_id) << upload_id.error().to_string();
  auto etag2 = run(s3_.upload_part(kBucket, "multi/two-parts.bin", *upload_id, 2, part2));
  auto etag1 = run(s3_.upload_part(kBucket, "multi/two-parts.bin", *upload_id, 1, part1));
  ASSERT_TRUE(etag1 && etag2);
  // Parts given out of order: the client sorts them (S3 rejects InvalidPartOrder).
  auto etag = run(
      s3_.complete_multipart_upload(kBucket, "multi/two-parts.bin", *upload_id, {{2, *etag2}, {1, *etag1}}));
  ASSERT_TRUE(etag) << etag.error().to_string();
  EXPECT_NE(etag->find("-2"), std::string::npos) << *etag;
  auto body = run(s3_.get_object_string(kBucket, "multi/two-parts.bin"));
  ASSERT_TRUE(body);
  EXPECT_TRUE(*body == part1 + part2);
}

TEST_F(S3ClientTest, TooSmallPartIsReportedAtComplete) {
  auto upload_id = run(s3_.create_multipart_upload(kBucket, "multi/small.bin"));
  ASSERT_TRUE(upload_id);
  auto etag1 = run(s3_.upload_part(kBucket, "multi/small.bin", *upload_id, 1, "tiny"));
  auto etag2 = run(s3_.upload_part(kBucket, "multi/small.bin", *upload_id, 2, "tiny"));
  ASSERT_TRUE(etag1 && etag2);
  auto complete =
      run(s3_.complete_multipart_upload(kBucket, "multi/small.bin", *upload_id, {{1, *etag1}, {2, *etag2}}));
  ASSERT_FALSE(complete);
  EXPECT_EQ(complete.error().code, "EntityTooSmall");
  EXPECT_TRUE(run(s3_.abort_multipart_upload(kBucket, "multi/small.bin", *upload_id)));
}

TEST_F(S3ClientTest, AbortedUploadLeavesNothingAndCannotBeAbortedTwice) {
  auto upload_id = run(s3_.create_multipart_upload(kBucket, "multi/aborted.bin"));
  ASSERT_TRUE(upload_id);
  ASSERT_TRUE(run(s3_.upload_part(kBucket, "multi/aborted.bin", *upload_id, 1, pattern(5 * kMiB, 4))));
  ASSERT_TRUE(run(s3_.abort_multipart_upload(kBucket, "multi/aborted.bin", *upload_id)));
  auto again = run(s3_.abort_multipart_upload(kBucket, "multi/aborted.bin", *upload_id));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().http_status, 404);
  EXPECT_EQ(again.error().code, "NoSuchUpload");
  EXPECT_FALSE(run(s3_.head_object(kBucket, "multi/aborted.bin")));
}

TEST_F(S3ClientTest, OpenMultipartUploadsAreListedByPrefix) {
  auto a = run(s3_.create_multipart_upload(kBucket, "open/files/a.jsonl"));
  auto b = run(s3_.create_multipart_upload(kBucket, "open/files/b.jsonl"));
  auto other = run(s3_.create_multipart_upload(kBucket, "elsewhere/c.jsonl"));
  ASSERT_TRUE(a && b && other);
  auto open = run(s3_.list_multipart_uploads(kBucket, "open/files/"));
  ASSERT_TRUE(open) << open.error().to_string();
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].key, "open/files/a.jsonl");
  EXPECT_EQ((*open)[0].upload_id, *a);
  EXPECT_TRUE(parse_iso8601_utc((*open)[1].initiated));
  for (const auto& [key, id] : {std::pair{"open/files/a.jsonl", *a}, std::pair{"open/files/b.jsonl", *b},
                                std::pair{"elsewhere/c.jsonl", *other}})
    ASSERT_TRUE(run(s3_.abort_multipart_upload(kBucket, key, id)));
  EXPECT_TRUE(run(s3_.list_multipart_uploads(kBucket, "open/"))->empty());
}

TEST_F(S3ClientTest, StreamingUploaderFedLineByLine) {
  MultipartUploader uploader(s3_, kBucket, "stream/lines.jsonl", MultipartUploader::kMinPartSize,
                             "application/jsonl");
  std::string expected;
  int line_number = 0;
  while (expected.size() < 11 * kMiB) {
    std::string line =
        "{\"line\":" + std::to_string(line_number++) + ",\"pad\":\"" + pattern(900, 5) + "\"}\n";
    expected += line;
    auto written = run(uploader.write(line));
    ASSERT_TRUE(written) << written.error().to_string();
  }
  EXPECT_EQ(uploader.parts_started(), 2);  // two full 5 MiB parts so far, the rest still buffered
  auto etag = run(uploader.finish());
  ASSERT_TRUE(etag) << etag.error().to_string();
  EXPECT_EQ(uploader.parts_started(), 3);
  EXPECT_EQ(uploader.bytes_written(), expected.size());
  EXPECT_NE(etag->find("-3"), std::string::npos);
  auto body = run(s3_.get_object_string(kBucket, "stream/lines.jsonl"));
  ASSERT_TRUE(body);
  EXPECT_TRUE(*body == expected);
  auto head = run(s3_.head_object(kBucket, "stream/lines.jsonl"));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->content_type, "application/jsonl");
}

TEST_F(S3ClientTest, StreamingUploaderUsesSinglePutForSmallAndEmptyObjects) {
  MultipartUploader small(s3_, kBucket, "stream/small.jsonl");
  ASSERT_TRUE(run(small.write("{\"a\":1}\n")));
  ASSERT_TRUE(run(small.write("{\"a\":2}\n")));
  auto etag = run(small.finish());
  ASSERT_TRUE(etag) << etag.error().to_string();
  EXPECT_FALSE(small.upload_id());
  EXPECT_EQ(run(s3_.get_object_string(kBucket, "stream/small.jsonl")).value(), "{\"a\":1}\n{\"a\":2}\n");

  MultipartUploader empty(s3_, kBucket, "stream/empty.jsonl");
  ASSERT_TRUE(run(empty.finish()));
  EXPECT_EQ(run(s3_.head_object(kBucket, "stream/empty.jsonl"))->content_length, 0u);
  EXPECT_FALSE(run(empty.write("late")));  // closed after finish
}

TEST_F(S3ClientTest, StreamingUploaderAbortLeavesNoObject) {
  MultipartUploader uploader(s3_, kBucket, "stream/abandoned.jsonl");
  ASSERT_TRUE(run(uploader.write(pattern(9 * kMiB, 6))));
  ASSERT_EQ(uploader.parts_started(), 1);
  std::string upload_id = uploader.upload_id().value();
  ASSERT_TRUE(run(uploader.abort()));
  EXPECT_FALSE(run(s3_.head_object(kBucket, "stream/abandoned.jsonl")));
  // The multipart upload itself is gone too.
  auto again = run(s3_.abort_multipart_upload(kBucket, "stream/abandoned.jsonl", upload_id));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "NoSuchUpload");
  EXPECT_TRUE(run(uploader.abort()));  // idempotent
}

TEST_F(S3ClientTest, SseKmsHeadersAreSentAndEchoed) {
  S3Config kms_config = config();
  kms_config.kms_key_id = kKmsKey;
  S3Client kms(http_, kms_config);
  auto put = run(kms.put_object(kBucket, "kms/object.jsonl", "secret\n"));
  ASSERT_TRUE(put) << put.error().to_string();
  EXPECT_EQ(put->server_side_encryption.value_or(""), "aws:kms");
  EXPECT_EQ(put->kms_key_id.value_or(""), kKmsKey);
  auto head = run(s3_.head_object(kBucket, "kms/object.jsonl"));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->server_side_encryption.value_or(""), "aws:kms");
  EXPECT_EQ(head->kms_key_id.value_or(""), kKmsKey);

  MultipartUploader uploader(kms, kBucket, "kms/multipart.bin");
  ASSERT_TRUE(run(uploader.write(pattern(9 * kMiB, 7))));
  ASSERT_TRUE(run(uploader.finish()));
  auto multipart_head = run(s3_.head_object(kBucket, "kms/multipart.bin"));
  ASSERT_TRUE(multipart_head);
  EXPECT_EQ(multipart_head->server_side_encryption.value_or(""), "aws:kms");
  EXPECT_EQ(multipart_head->kms_key_id.value_or(""), kKmsKey);
}

TEST_F(S3ClientTest, WrongSecretIsRefused) {
  S3Client wrong(http_, config("not-the-secret"));
  auto get = run(wrong.put_object(kBucket, "refused.txt", "x"));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().http_status, 403);
  EXPECT_EQ(get.error().code, "SignatureDoesNotMatch");
  auto head = run(s3_.head_object(kBucket, "refused.txt"));
  EXPECT_FALSE(head) << "a refused PUT must not have stored the object";

  S3Config unknown = config();
  unknown.credentials = static_credentials(Credentials{"AKIAUNKNOWNKEY000000", "whatever", std::nullopt});
  S3Client stranger(http_, unknown);
  auto list = run(stranger.list_objects_v2(kBucket, {}));
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, "InvalidAccessKeyId");
}

TEST_F(S3ClientTest, TemporaryCredentialsSignTheSessionToken) {
  auto temporary = moto_->assume_role("batchgate-s3-role");
  ASSERT_FALSE(temporary.access_key_id.empty()) << "AssumeRole against moto failed";
  S3Config with_token = config();
  with_token.credentials = static_credentials(
      Credentials{temporary.access_key_id, temporary.secret_access_key, temporary.session_token});
  S3Client client(http_, with_token);
  auto put = run(client.put_object(kBucket, "temporary/creds.txt", "via role"));
  ASSERT_TRUE(put) << put.error().to_string();
  EXPECT_EQ(run(client.get_object_string(kBucket, "temporary/creds.txt")).value(), "via role");

  with_token.credentials = static_credentials(
      Credentials{temporary.access_key_id, temporary.secret_access_key, std::string("forged-token")});
  S3Client forged(http_, with_token);
  auto refused = run(forged.get_object_string(kBucket, "temporary/creds.txt"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().http_status, 400);  // S3 answers a malformed token with 400 InvalidToken
  EXPECT_EQ(refused.error().code, "InvalidToken");
}

TEST_F(S3ClientTest, CredentialsProviderIsAskedOnEveryRequest) {
  int calls = 0;
  S3Config counting = config();
  counting.credentials = credentials_from([&calls] {
    ++calls;
    return Credentials{moto_->access_key_id(), moto_->secret_access_key(), std::nullopt};
  });
  S3Client client(http_, counting);
  ASSERT_TRUE(run(client.put_object(kBucket, "creds.txt", "x")));
  ASSERT_TRUE(run(client.get_object_string(kBucket, "creds.txt")));
  EXPECT_EQ(calls, 2);
}

// Failure shapes moto cannot produce, from tests/unit/aws/scripted_http_server.py (no signature check).
class S3ClientScripted : public ::testing::Test {
 protected:
  static constexpr std::size_t kResumableSize = 3 * 1000 * 1000 + 7;  // RESUMABLE_SIZE in the script

  S3ClientScripted()
      : port_(test::free_port()),
        server_({"python3", std::string(BATCHGATE_SOURCE_DIR) + "/tests/unit/aws/scripted_http_server.py",
                 std::to_string(port_)}) {}

  void SetUp() override { ASSERT_TRUE(test::wait_for_port(port_, std::chrono::seconds(10))); }

  S3Client client(int max_attempts) {
    S3Config config;
    config.endpoint_url = "http://127.0.0.1:" + std::to_string(port_);
    config.credentials = static_credentials(Credentials{"AKID", "SECRET", std::nullopt});
    config.retry.max_attempts = max_attempts;
    config.retry.random = [] { return 0.0; };
    return S3Client(http_, config);
  }

  int requests_for(const std::string& name) {
    auto url = parse_url("http://127.0.0.1:" + std::to_string(port_));
    HttpRequest request;
    request.path = "/count/resumable-" + name;
    return std::stoi(run_coroutine(io_, http_.send(*url, request))->body);
  }

  std::uint16_t port_;
  test::ChildProcess server_;
  asio::io_context io_;
  HttpClient http_{io_.get_executor()};
};

TEST_F(S3ClientScripted, PartFailingWhileTheNextFillsSurfacesAndAbortsTheUpload) {
  S3Client s3 = client(1);
  MultipartUploader uploader(s3, "parts", "fail-2", MultipartUploader::kMinPartSize);
  const std::string part(MultipartUploader::kMinPartSize, 'x');
  ASSERT_TRUE(run_coroutine(io_, uploader.write(part)));  // part 1 sent
  ASSERT_TRUE(run_coroutine(io_, uploader.write(part)));  // part 1 done; part 2 sent (refused by the server)
  EXPECT_EQ(uploader.parts_started(), 2);
  auto third = run_coroutine(io_, uploader.write(part));  // part 3 waits for part 2: its error comes here
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, "InvalidPart");
  auto url = parse_url("http://127.0.0.1:" + std::to_string(port_));
  HttpRequest count;
  count.path = "/count/parts-abort";
  EXPECT_EQ(run_coroutine(io_, http_.send(*url, count))->body, "1");  // aborted once, after part 2 ended
  EXPECT_FALSE(run_coroutine(io_, uploader.finish()));                // closed
  EXPECT_TRUE(run_coroutine(io_, uploader.abort()));                  // nothing left to cancel
}

TEST_F(S3ClientScripted, TwoHundredWithErrorBodyFailsComplete) {
  S3Client s3 = client(1);
  auto complete =
      run_coroutine(io_, s3.complete_multipart_upload("complete-error", "k", "upload-1", {{1, "\"e\""}}));
  ASSERT_FALSE(complete);
  EXPECT_EQ(complete.error().http_status, 200);
  EXPECT_EQ(complete.error().code, "InternalError");
  EXPECT_EQ(complete.error().message, "We encountered an internal error. Please try again.");
}

TEST_F(S3ClientScripted, BrokenDownloadResumesWhereItStopped) {
  S3Client s3 = client(3);
  std::string received;
  BodySink sink = [&received](std::string_view chunk) -> asio::awaitable<bool> {
    received.append(chunk);
    co_return true;
  };
  auto info = run_coroutine(io_, s3.get_object("resumable", "object-1", sink));
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->http_status, 200);
  EXPECT_EQ(info->content_length, kResumableSize);
  EXPECT_EQ(info->etag, "\"v1\"");
  ASSERT_EQ(received.size(), kResumableSize);
  bool every_byte_once_in_order = true;
  for (std::size_t i = 0; i < received.size(); ++i) {
    every_byte_once_in_order = every_byte_once_in_order && static_cast<unsigned char>(received[i]) == i % 251;
  }
  EXPECT_TRUE(every_byte_once_in_order);
  EXPECT_EQ(requests_for("object-1"), 3);  // broken, resumed and broken, resumed to the end
}

TEST_F(S3ClientScripted, BrokenDownloadFailsWhenAttemptsRunOut) {
  S3Client s3 = client(2);
  std::size_t received = 0;
  BodySink sink = [&received](std::string_view chunk) -> asio::awaitable<bool> {
    received += chunk.size();
    co_return true;
  };
  auto info = run_coroutine(io_, s3.get_object("resumable", "object-2", sink));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().http_status, 0) << info.error().to_string();
  EXPECT_LT(received, kResumableSize);
  EXPECT_EQ(requests_for("object-2"), 2);
}

TEST_F(S3ClientScripted, ObjectReplacedDuringResumeIsReported) {
  S3Client s3 = client(3);
  BodySink sink = [](std::string_view) -> asio::awaitable<bool> { co_return true; };
  auto info = run_coroutine(io_, s3.get_object("resumable", "changed-1", sink));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().http_status, 412);
  EXPECT_EQ(info.error().code, "PreconditionFailed");
}

TEST_F(S3ClientScripted, ResumeIgnoringRangeIsNotDeliveredTwice) {
  S3Client s3 = client(3);
  std::size_t received = 0;
  BodySink sink = [&received](std::string_view chunk) -> asio::awaitable<bool> {
    received += chunk.size();
    co_return true;
  };
  auto info = run_coroutine(io_, s3.get_object("resumable", "ignore-1", sink));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, "InvalidResponse");
  EXPECT_LT(received, kResumableSize);
}

}  // namespace
}  // namespace batchgate::aws
