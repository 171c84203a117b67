// The in-memory S3 of --serve-s3 without sockets: multipart rules (spec/aws-sigv4-s3.md §3.3), listing
// order and pages, which requests are S3's, ranges and the SigV4 check.

#include <gtest/gtest.h>

#include "md5.hpp"
#include "s3_routes.hpp"
#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {
namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kHost = "127.0.0.1:9000";

TimePoint fixed_now() {
  return *parse_iso8601("2024-01-15T12:00:00Z");
}

Bytes bytes(std::size_t size, char fill) {
  return std::make_shared<const std::string>(size, fill);
}

template <typename T>
std::string failure_code(const std::variant<T, S3Failure>& outcome) {
  const auto* failure = std::get_if<S3Failure>(&outcome);
  return failure ? failure->code : "";
}

std::string failure_code(const std::optional<S3Failure>& failure) {
  return failure ? failure->code : "";
}

TEST(S3StoreTest, CompleteChecksThePartListAndJoinsThePartsWithoutCopying) {
  S3Store store(fixed_now);
  ASSERT_FALSE(store.create_bucket("bucket"));
  const std::string id = std::get<std::string>(store.create_upload("bucket", "big", {}));
  const Bytes first = bytes(S3Store::kMinPartSize, 'a');
  const Bytes small = bytes(10, 'b');
  const Bytes tail = bytes(3, 'c');
  const std::string e1 =
      std::get<std::string>(store.upload_part("bucket", "big", id, 1, first, md5_digest(*first)));
  const std::string e2 =
      std::get<std::string>(store.upload_part("bucket", "big", id, 2, small, md5_digest(*small)));
  EXPECT_EQ(failure_code(store.upload_part("bucket", "big", id, 10001, tail, "")), "InvalidArgument");
  EXPECT_EQ(failure_code(store.upload_part("bucket", "other", id, 3, tail, "")), "NoSuchUpload");

  EXPECT_EQ(failure_code(store.complete_upload("bucket", "big", id, {})), "MalformedXML");
  EXPECT_EQ(failure_code(store.complete_upload("bucket", "big", id, {{2, e2}, {1, e1}})), "InvalidPartOrder");
  EXPECT_EQ(failure_code(store.complete_upload("bucket", "big", id, {{1, e2}, {2, e2}})), "InvalidPart");
  EXPECT_EQ(failure_code(store.complete_upload("bucket", "big", id, {{1, e1}, {4, e2}})), "InvalidPart");
  // Part 2 is below 5 MiB, so it may only be the last one.
  const std::string e3 =
      std::get<std::string>(store.upload_part("bucket", "big", id, 3, tail, md5_digest(*tail)));
  EXPECT_EQ(failure_code(store.complete_upload("bucket", "big", id, {{1, e1}, {2, e2}, {3, e3}})),
            "EntityTooSmall");

  const auto done = store.complete_upload("bucket", "big", id, {{1, e1}, {3, e3}});
  ASSERT_TRUE(std::holds_alternative<ObjectPtr>(done)) << failure_code(done);
  const ObjectPtr object = std::get<ObjectPtr>(done);
  ASSERT_EQ(object->segments.size(), 2u);
  EXPECT_EQ(object->segments[0], first);
  EXPECT_EQ(object->segments[1], tail);
  EXPECT_EQ(object->size, S3Store::kMinPartSize + 3);
  EXPECT_EQ(object->etag,
            "\"" + aws::hex_encode(md5_digest(md5_digest(*first) + md5_digest(*tail))) + "-2\"");
  EXPECT_EQ(std::get<ObjectPtr>(store.get_object("bucket", "big")), object);
  EXPECT_EQ(failure_code(store.abort_upload("bucket", "big", id)), "NoSuchUpload");
}

TEST(S3StoreTest, ListingsPageInKeyOrder) {
  S3Store store(fixed_now);
  ASSERT_FALSE(store.create_bucket("bucket"));
  EXPECT_EQ(store.create_bucket("bucket")->code, "BucketAlreadyOwnedByYou");
  EXPECT_EQ(store.create_bucket("No_Such")->code, "InvalidBucketName");
  for (const char* key : {"in/b", "in/a", "in/c", "out/a", "in0"}) {
    ASSERT_TRUE(std::holds_alternative<std::string>(store.put_object("bucket", key, bytes(1, 'x'), "", {})));
  }
  auto page = std::get<ObjectPage>(store.list_objects("bucket", {"in/", "", 2}));
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].first, "in/a");
  EXPECT_EQ(page.objects[1].first, "in/b");
  EXPECT_TRUE(page.truncated);
  page = std::get<ObjectPage>(store.list_objects("bucket", {"in/", "in/b", 2}));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].first, "in/c");
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(failure_code(store.list_objects("nobucket", {})), "NoSuchBucket");

  const std::string u1 = std::get<std::string>(store.create_upload("bucket", "k2", {}));
  const std::string u2 = std::get<std::string>(store.create_upload("bucket", "k1", {}));
  const std::string u3 = std::get<std::string>(store.create_upload("bucket", "k1", {}));
  auto uploads = std::get<UploadPage>(store.list_uploads("bucket", {"k", "", "", 2}));
  ASSERT_EQ(uploads.uploads.size(), 2u);
  EXPECT_EQ(uploads.uploads[0].upload_id, u2);
  EXPECT_EQ(uploads.uploads[1].upload_id, u3);
  EXPECT_TRUE(uploads.truncated);
  uploads = std::get<UploadPage>(store.list_uploads("bucket", {"k", "k1", u3, 2}));
  ASSERT_EQ(uploads.uploads.size(), 1u);
  EXPECT_EQ(uploads.uploads[0].upload_id, u1);
  EXPECT_FALSE(uploads.truncated);
}

class S3RoutesTest : public testing::Test {
 protected:
  S3RoutesTest() : routes_(auth(), fixed_now) {}

  static AuthSettings auth() {
    AuthSettings a;
    a.secrets["AKIDEXAMPLE"] = kSecret;
    return a;
  }

  // Signed as our S3Client signs: x-amz-content-sha256 holds the payload hash.
  static aws::Headers signed_headers(std::string method, std::string target, aws::Headers extra = {},
                                     std::string service = "s3", std::string secret = kSecret) {
    aws::Headers headers{{"Host", kHost}};
    for (auto& header : extra) headers.push_back(std::move(header));
    aws::SigningRequest s;
    s.method = std::move(method);
    s.host = kHost;
    const auto q = target.find('?');
    s.path = target.substr(0, q);
    if (q != std::string::npos) s.query = aws::parse_query_string(target.substr(q + 1));
    s.headers = headers;
    s.payload_hash = std::string(aws::kEmptyPayloadHash);
    for (auto& h : aws::sign(s, aws::Credentials{"AKIDEXAMPLE", secret, std::nullopt}, "us-east-1", service,
                             fixed_now())) {
      headers.push_back(std::move(h));
    }
    return headers;
  }

  S3Reply call(const std::string& method, const std::string& target, aws::Headers headers,
               std::string body = {}) {
    auto classified = routes_.classify(method, target, headers);
    if (!classified) {
      S3Reply unclaimed;
      unclaimed.status = 0;
      return unclaimed;
    }
    if (classified->rejection) return *classified->rejection;
    auto stored = std::make_shared<const std::string>(std::move(body));
    return routes_.handle(*classified, headers, {stored, md5_digest(*stored)});
  }

  S3Reply send(const std::string& method, const std::string& target, aws::Headers extra = {},
               std::string body = {}) {
    return call(method, target, signed_headers(method, target, std::move(extra)), std::move(body));
  }

  static std::string code(const S3Reply& reply) {
    const auto begin = reply.body.find("<Code>");
    if (begin == std::string::npos) return "";
    return reply.body.substr(begin + 6, reply.body.find("</Code>") - begin - 6);
  }

  S3Routes routes_;
};

TEST_F(S3RoutesTest, BedrockPathsKeepPriorityAndOnlyBucketsOrS3SignaturesAreClaimed) {
  EXPECT_FALSE(
      routes_.classify("POST", "/model-invocation-job", signed_headers("POST", "/model-invocation-job")));
  EXPECT_FALSE(routes_.classify("PUT", "/model", signed_headers("PUT", "/model")));
  EXPECT_FALSE(routes_.classify("GET", "/_emulator/stats", {}));
  // Unsigned (or Bedrock-signed) requests for a bucket that does not exist are the Bedrock router's.
  EXPECT_FALSE(routes_.classify("GET", "/bucket/key", {}));
  EXPECT_FALSE(routes_.classify("GET", "/bucket/key", signed_headers("GET", "/bucket/key", {}, "bedrock")));
  EXPECT_EQ(code(send("GET", "/bucket/key")), "NoSuchBucket");
  EXPECT_EQ(send("PUT", "/bucket").status, 200);
  EXPECT_TRUE(routes_.classify("GET", "/bucket/key", {}));
  EXPECT_EQ(code(call("GET", "/bucket/key", {})), "AccessDenied");
  EXPECT_EQ(code(call("GET", "/bucket/key", signed_headers("GET", "/bucket/key", {}, "s3", "wrong"))),
            "SignatureDoesNotMatch");
  EXPECT_EQ(code(call("GET", "/bucket/key", signed_headers("GET", "/bucket/key", {}, "bedrock"))),
            "AuthorizationHeaderMalformed");
  EXPECT_EQ(send("PUT", "/bucket").status, 409);
  EXPECT_EQ(code(send("GET", "/bucket/key")), "NoSuchKey");
  const S3Reply head = send("HEAD", "/bucket/key");
  EXPECT_EQ(head.status, 404);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(code(send("GET", "/bucket?list-type=2&delimiter=%2F")), "NotImplemented");
  EXPECT_EQ(code(send("PUT", "/bucket/copy", {{"x-amz-copy-source", "/bucket/key"}})), "NotImplemented");
}

TEST_F(S3RoutesTest, GetHonoursRangesAndIfMatch) {
  ASSERT_EQ(send("PUT", "/bucket").status, 200);
  const S3Reply put =
      send("PUT", "/bucket/dir/a%20b%2Bc.txt", {{"Content-Type", "text/plain"}}, "hello world");
  ASSERT_EQ(put.status, 200);
  EXPECT_EQ(*aws::find_header(put.headers, "ETag"), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
  const auto range = [&](std::string header) {
    const S3Reply reply = send("GET", "/bucket/dir/a%20b%2Bc.txt", {{"Range", std::move(header)}});
    return std::to_string(reply.status) + " " + std::to_string(reply.offset) + "+" +
           std::to_string(reply.length);
  };
  EXPECT_EQ(range("bytes=2-4"), "206 2+3");
  EXPECT_EQ(range("bytes=6-"), "206 6+5");
  EXPECT_EQ(range("bytes=-5"), "206 6+5");
  EXPECT_EQ(range("bytes=3-100"), "206 3+8");
  EXPECT_EQ(range("bytes=0-1,4-5"), "200 0+11");  // multi-range: ignored, as S3 does
  EXPECT_EQ(range("bytes=11-"), "416 0+0");
  const S3Reply whole = send("GET", "/bucket/dir/a%20b%2Bc.txt");
  EXPECT_EQ(*aws::find_header(whole.headers, "Content-Type"), "text/plain");
  EXPECT_EQ(*aws::find_header(whole.headers, "Last-Modified"), "Mon, 15 Jan 2024 12:00:00 GMT");
  EXPECT_EQ(whole.content_length(), 11u);
  EXPECT_EQ(send("GET", "/bucket/dir/a%20b%2Bc.txt", {{"If-Match", "\"other\""}}).status, 412);
  const S3Reply listed = send("GET", "/bucket?encoding-type=url&list-type=2&prefix=dir%2F");
  EXPECT_NE(listed.body.find("<Key>dir/a%20b%2Bc.txt</Key>"), std::string::npos) << listed.body;
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
