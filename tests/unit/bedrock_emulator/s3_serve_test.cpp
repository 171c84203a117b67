// batchgate's own S3Client against `bedrock-emulator --serve-s3`: every S3 operation the emulator serves,
// with the ETags, ranges, pages and S3 errors (spec/aws-sigv4-s3.md §3) that the client's readers accept.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "server/aws/s3_client.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/run_coroutine.hpp"

namespace batchgate::test {
namespace {

constexpr const char* kAccessKeyId = "AKIDSERVES3UNIT";
constexpr const char* kSecret = "serve-s3-unit-secret";
constexpr std::size_t kMiB = 1024 * 1024;

std::string md5(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string code_of(const auto& result) {
  return result ? std::string("ok") : result.error().code;
}
int status_of(const auto& result) {
  return result ? 200 : result.error().http_status;
}

class ServeS3Test : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    emulator_ = new EmulatorProcess(
        {"--serve-s3", "--access-key-id", kAccessKeyId, "--secret-access-key", kSecret}, "serve-s3-unit");
  }
  static void TearDownTestSuite() { delete emulator_; }
  void SetUp() override { ASSERT_TRUE(emulator_->ok()) << emulator_->error(); }

  static aws::S3Config config(std::string secret = kSecret) {
    aws::S3Config c;
    c.endpoint_url = emulator_->endpoint();
    c.credentials = aws::static_credentials(aws::Credentials{kAccessKeyId, std::move(secret), std::nullopt});
    c.retry.max_attempts = 1;  // every error as the emulator sent it
    return c;
  }

  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return run_coroutine(io_, std::move(task));
  }

  // CreateBucket is a PUT of the bucket path with an empty body, exactly what put_object sends for an empty
  // key.
  void create_bucket(const std::string& bucket) {
    auto created = run(s3_.put_object(bucket, "", ""));
    ASSERT_TRUE(created) << created.error().to_string();
  }

  // GET /{bucket}?uploads: not in S3Client yet, so sent signed by hand.
  std::string list_uploads_xml(const std::string& bucket, const std::string& prefix) {
    aws::HttpRequest request;
    request.path = "/" + bucket;
    request.query = aws::build_query({{"prefix", prefix}, {"uploads", ""}});
    aws::AwsSigning signing{"us-east-1", "s3", config().credentials, {}, false};
    auto response = run(aws::send_signed(http_, *aws::parse_url(emulator_->endpoint()), request, signing,
                                         aws::RetryPolicy{}));
    EXPECT_TRUE(response && response->status == 200)
        << (response ? response->body : response.error().message());
    return response ? response->body : std::string();
  }

  static EmulatorProcess* emulator_;
  boost::asio::io_context io_;
  aws::HttpClient http_{io_.get_executor()};
  aws::S3Client s3_{http_, config()};
};

EmulatorProcess* ServeS3Test::emulator_ = nullptr;

TEST_F(ServeS3Test, ObjectsRoundTripWithMd5EtagsRangesAndDeletes) {
  create_bucket("objects");
  EXPECT_TRUE(run(s3_.head_object("objects", "")));  // HeadBucket
  EXPECT_EQ(code_of(run(s3_.put_object("objects", "", ""))), "BucketAlreadyOwnedByYou");
  const std::string key = "dir/a b+c.txt";
  auto put = run(s3_.put_object("objects", key, "hello world", "text/plain"));
  ASSERT_TRUE(put) << put.error().to_string();
  EXPECT_EQ(put->etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
  EXPECT_EQ(run(s3_.get_object_string("objects", key)).value(), "hello world");
  EXPECT_EQ(run(s3_.get_object_string("objects", key, "bytes=2-4")).value(), "llo");
  EXPECT_EQ(run(s3_.get_object_string("objects", key, "bytes=-5")).value(), "world");
  EXPECT_EQ(status_of(run(s3_.get_object_string("objects", key, "bytes=20-"))), 416);
  std::string streamed;
  auto got = run(s3_.get_object("objects", key, [&](std::string_view chunk) -> boost::asio::awaitable<bool> {
    streamed += chunk;
    co_return true;
  }));
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(streamed, "hello world");
  auto head = run(s3_.head_object("objects", key));
  ASSERT_TRUE(head) << head.error().to_string();
  EXPECT_EQ(head->content_length, 11u);
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_EQ(head->content_type, "text/plain");
  EXPECT_FALSE(head->last_modified.empty());

  aws::S3Config kms = config();
  kms.kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/test";
  aws::S3Client encrypting(http_, kms);
  ASSERT_TRUE(run(encrypting.put_object("objects", "sealed", "x")));
  auto sealed = run(s3_.head_object("objects", "sealed"));
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->server_side_encryption, "aws:kms");
  EXPECT_EQ(sealed->kms_key_id, kms.kms_key_id);

  EXPECT_TRUE(run(s3_.delete_object("objects", key)));
  EXPECT_TRUE(run(s3_.delete_object("objects", key)));  // idempotent, as on S3
  const auto missing = run(s3_.get_object_string("objects", key));
  EXPECT_EQ(code_of(missing), "NoSuchKey");
  EXPECT_EQ(status_of(missing), 404);
  EXPECT_EQ(status_of(run(s3_.head_object("objects", key))), 404);
}

TEST_F(ServeS3Test, ListingFollowsContinuationTokens) {
  create_bucket("listing");
  for (const char* key : {"in/5", "in/1", "in/3", "in/ä b", "in/2", "in/4", "in+", "out/1"}) {
    ASSERT_TRUE(run(s3_.put_object("listing", key, std::string(key))));
  }
  aws::ListObjectsRequest request;
  request.prefix = "in/";
  request.max_keys = 4;
  auto first = run(s3_.list_objects_v2("listing", request));
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_EQ(first->objects.size(), 4u);
  EXPECT_EQ(first->objects[0].key, "in/1");
  EXPECT_EQ(first->objects[0].size, 4u);
  EXPECT_EQ(first->objects[0].etag, "\"" + aws::hex_encode(md5("in/1")) + "\"");
  EXPECT_TRUE(first->is_truncated);
  ASSERT_TRUE(first->next_continuation_token);
  request.continuation_token = first->next_continuation_token;
  auto second = run(s3_.list_objects_v2("listing", request));
  ASSERT_TRUE(second) << second.error().to_string();
  ASSERT_EQ(second->objects.size(), 2u);
  EXPECT_EQ(second->objects[1].key, "in/ä b");  // encoding-type=url, decoded by the client
  EXPECT_FALSE(second->is_truncated);
  auto all = run(s3_.list_all_objects("listing", "in", 3));
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(all->size(), 7u);
  EXPECT_EQ(code_of(run(s3_.list_all_objects("no-such-bucket", ""))), "NoSuchBucket");
}

TEST_F(ServeS3Test, MultipartUploadOfTwoFullPartsAndATail) {
  create_bucket("multipart");
  auto id = run(s3_.create_multipart_upload("multipart", "big.bin"));
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_NE(list_uploads_xml("multipart", "big").find("<UploadId>" + *id + "</UploadId>"), std::string::npos);
  const std::vector<std::string> parts{std::string(5 * kMiB, 'a'), std::string(5 * kMiB, 'b'),
                                       std::string(1000, 'c')};
  std::vector<aws::CompletedPart> completed;
  std::string part_md5s;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto etag = run(s3_.upload_part("multipart", "big.bin", *id, static_cast<int>(i) + 1, parts[i]));
    ASSERT_TRUE(etag) << etag.error().to_string();
    EXPECT_EQ(*etag, "\"" + aws::hex_encode(md5(parts[i])) + "\"");
    completed.push_back({static_cast<int>(i) + 1, *etag});
    part_md5s += md5(parts[i]);
  }
  auto etag = run(s3_.complete_multipart_upload("multipart", "big.bin", *id, completed));
  ASSERT_TRUE(etag) << etag.error().to_string();
  EXPECT_EQ(*etag, "\"" + aws::hex_encode(md5(part_md5s)) + "-3\"");
  EXPECT_EQ(list_uploads_xml("multipart", "big").find("<Upload>"), std::string::npos);

  std::uint64_t size = 0;
  std::string joined_md5_input;
  auto got =
      run(s3_.get_object("multipart", "big.bin", [&](std::string_view chunk) -> boost::asio::awaitable<bool> {
        size += chunk.size();
        joined_md5_input += chunk;
        co_return true;
      }));
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(size, 10 * kMiB + 1000);
  EXPECT_EQ(joined_md5_input, parts[0] + parts[1] + parts[2]);
  EXPECT_EQ(run(s3_.get_object_string("multipart", "big.bin", "bytes=5242878-5242881")).value(), "aabb");
  EXPECT_EQ(code_of(run(s3_.abort_multipart_upload("multipart", "big.bin", *id))), "NoSuchUpload");

  // The uploader batchgate writes outputs with: full parts as they fill, the tail at finish.
  aws::MultipartUploader uploader(s3_, "multipart", "streamed.jsonl", aws::MultipartUploader::kMinPartSize);
  const std::string line(1000, 'x');
  for (int i = 0; i < 11 * 1024; ++i) ASSERT_TRUE(run(uploader.write(line)));
  ASSERT_TRUE(run(uploader.finish()));
  EXPECT_EQ(uploader.parts_started(), 3);
  EXPECT_EQ(run(s3_.head_object("multipart", "streamed.jsonl"))->content_length, 11u * 1024 * 1000);
}

TEST_F(ServeS3Test, MultipartFailuresAreS3Errors) {
  create_bucket("failures");
  auto id = run(s3_.create_multipart_upload("failures", "k"));
  ASSERT_TRUE(id);
  auto e1 = run(s3_.upload_part("failures", "k", *id, 1, "small"));
  auto e2 = run(s3_.upload_part("failures", "k", *id, 2, "tail"));
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(code_of(run(s3_.complete_multipart_upload("failures", "k", *id, {{1, *e1}, {2, *e2}}))),
            "EntityTooSmall");
  EXPECT_EQ(code_of(run(s3_.complete_multipart_upload("failures", "k", *id, {{1, *e2}}))), "InvalidPart");
  EXPECT_EQ(code_of(run(s3_.upload_part("failures", "k", "no-such-upload", 1, "x"))), "NoSuchUpload");
  EXPECT_TRUE(run(s3_.abort_multipart_upload("failures", "k", *id)));
  const auto aborted = run(s3_.upload_part("failures", "k", *id, 3, "x"));
  EXPECT_EQ(code_of(aborted), "NoSuchUpload");
  EXPECT_EQ(status_of(aborted), 404);
}

TEST_F(ServeS3Test, SignaturesAreChecked) {
  create_bucket("signed");
  aws::S3Client wrong(http_, config("not-the-secret"));
  const auto refused = run(wrong.put_object("signed", "k", std::string(3 * kMiB, 'x')));
  EXPECT_EQ(code_of(refused), "SignatureDoesNotMatch");
  EXPECT_EQ(status_of(refused), 403);
  EXPECT_EQ(code_of(run(s3_.get_object_string("signed", "k"))), "NoSuchKey");
  // The refused body was read and dropped: the client saw the 403 rather than a reset connection.
  EXPECT_TRUE(run(s3_.put_object("signed", "k", "v")));
}

}  // namespace
}  // namespace batchgate::test
