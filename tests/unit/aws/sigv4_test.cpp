// Every SigV4 vector of spec/aws-sigv4-s3.md §2 (suite, S3 docs, Bedrock, path-style/temp creds).
#include "server/aws/sigv4.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace batchgate::aws {
namespace {

constexpr std::string_view kSuiteKey = "AKIDEXAMPLE";
constexpr std::string_view kSuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kS3DocKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kS3DocSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// Exactly the 445 bytes botocore sends for CreateModelInvocationJob (spec/bedrock-batch.md §3).
constexpr std::string_view kCreateJobBody =
    R"json({"jobName": "my-job-1", "roleArn": "arn:aws:iam::123456789012:role/BedrockBatchRole", "clientRequestToken": "tok-123", "modelId": "anthropic.claude-3-haiku-20240307-v1:0", "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://in-bucket/batch/job1/input.jsonl", "s3InputFormat": "JSONL"}}, "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://out-bucket/batch/job1/"}}, "timeoutDurationInHours": 24, "tags": [{"key": "k", "value": "v"}]})json";

std::chrono::system_clock::time_point parse_amz_date(const std::string& amz) {
  std::tm tm{};
  strptime(amz.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

struct Vector {
  std::string name;
  std::string access_key;
  std::string secret;
  std::optional<std::string> token;
  std::string service;
  std::string amz_date;
  std::string method;
  std::string host;
  std::string path;
  std::string query;  // wire query string
  Headers headers;    // without X-Amz-Date / token / x-amz-content-sha256 (sign() adds them)
  std::string body;
  std::optional<std::string> payload_hash;  // overrides sha256(body), e.g. UNSIGNED-PAYLOAD
  std::string signed_headers;
  std::string creq_contains;  // a fragment the canonical request must contain ("" = no check)
  std::string creq_hash;      // "" when the spec gives none
  std::string signing_key;    // "" when the spec gives none
  std::string signature;
};

std::vector<Vector> vectors() {
  const std::string suite_host = "example.amazonaws.com";
  const std::string suite_date = "20150830T123600Z";
  const std::string suite_key = "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75";
  const std::string s3_host = "examplebucket.s3.amazonaws.com";
  const std::string s3_date = "20130524T000000Z";
  const std::string s3_key = "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378";
  const std::string br_host = "bedrock.us-east-1.amazonaws.com";
  const std::string br_date = "20240115T120000Z";
  const std::string br_key = "d4de7750f444a5199cbf173bfcceb1ef9613ceccaf3e489ccd1a1e1d5755047f";
  const std::string k(kSuiteKey), s(kSuiteSecret), dk(kS3DocKey), ds(kS3DocSecret);
  const std::string e(kEmptyPayloadHash);
  const std::string kms_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  return {
      // §2.1 AWS SigV4 test suite.
      {"get_vanilla",
       k,
       s,
       {},
       "service",
       suite_date,
       "GET",
       suite_host,
       "/",
       "",
       {},
       "",
       {},
       "host;x-amz-date",
       "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + e,
       "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       suite_key,
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"post_vanilla",
       k,
       s,
       {},
       "service",
       suite_date,
       "POST",
       suite_host,
       "/",
       "",
       {},
       "",
       {},
       "host;x-amz-date",
       "POST\n/\n\n",
       "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
       suite_key,
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"get_vanilla_query_order_key_case",
       k,
       s,
       {},
       "service",
       suite_date,
       "GET",
       suite_host,
       "/",
       "Param2=value2&Param1=value1",
       {},
       "",
       {},
       "host;x-amz-date",
       "GET\n/\nParam1=value1&Param2=value2\n",
       "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
       suite_key,
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get_utf8",
       k,
       s,
       {},
       "service",
       suite_date,
       "GET",
       suite_host,
       "/\xE1\x88\xB4",
       "",
       {},
       "",
       {},
       "host;x-amz-date",
       "GET\n/%E1%88%B4\n",
       "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
       suite_key,
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get_vanilla_with_session_token",
       k,
       s,
       std::string("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
       "service",
       suite_date,
       "GET",
       suite_host,
       "/",
       "",
       {},
       "",
       {},
       "host;x-amz-date;x-amz-security-token",
       "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\n"
       "host;x-amz-date;x-amz-security-token\n",
       "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
       suite_key,
       "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
      {"post_x_www_form_urlencoded",
       k,
       s,
       {},
       "service",
       suite_date,
       "POST",
       suite_host,
       "/",
       "",
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       {},
       "content-type;host;x-amz-date",
       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
       suite_key,
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"normalize_path_get_space",
       k,
       s,
       {},
       "service",
       suite_date,
       "GET",
       suite_host,
       "/example space/",
       "",
       {},
       "",
       {},
       "host;x-amz-date",
       "GET\n/example%20space/\n",
       "",
       suite_key,
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      // §2.2 S3 documentation examples.
      {"s3_get_object_range",
       dk,
       ds,
       {},
       "s3",
       s3_date,
       "GET",
       s3_host,
       "/test.txt",
       "",
       {{"Range", "bytes=0-9"}},
       "",
       {},
       "host;range;x-amz-content-sha256;x-amz-date",
       "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" + e +
           "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" + e,
       "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
       s3_key,
       "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
      {"s3_put_object",
       dk,
       ds,
       {},
       "s3",
       s3_date,
       "PUT",
       s3_host,
       "/test%24file.text",
       "",
       {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
       "Welcome to Amazon S3.",
       {},
       "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
       "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
       "host:examplebucket.s3.amazonaws.com\n"
       "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n",
       "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
       s3_key,
       "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
      {"s3_get_lifecycle",
       dk,
       ds,
       {},
       "s3",
       s3_date,
       "GET",
       s3_host,
       "/",
       "lifecycle",
       {},
       "",
       {},
       "host;x-amz-content-sha256;x-amz-date",
       "GET\n/\nlifecycle=\n",
       "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
       s3_key,
       "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
      {"s3_list_max_keys_prefix",
       dk,
       ds,
       {},
       "s3",
       s3_date,
       "GET",
       s3_host,
       "/",
       "max-keys=2&prefix=J",
       {},
       "",
       {},
       "host;x-amz-content-sha256;x-amz-date",
       "GET\n/\nmax-keys=2&prefix=J\n",
       "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
       s3_key,
       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
      // §2.3 Bedrock control plane.
      {"bedrock_create_job",
       k,
       s,
       {},
       "bedrock",
       br_date,
       "POST",
       br_host,
       "/model-invocation-job",
       "",
       {{"Content-Type", "application/json"}},
       std::string(kCreateJobBody),
       {},
       "content-type;host;x-amz-date",
       "8b49c17953e3ccd767618edbc2bc78279b3106fa6ed38c969ca2e49cd271c275",
       "f77c73c858ad42c74ffe4867a4e798b5b04194bfcb5ca8947cfdd233797241bb",
       br_key,
       "f77d9d32fdb151da8f1d00f6673933d82d34e029259a8a5e0f318f163f8139cc"},
      {"bedrock_get_job_by_arn",
       k,
       s,
       {},
       "bedrock",
       br_date,
       "GET",
       br_host,
       "/model-invocation-job/"
       "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Amodel-invocation-job%2Fabcdefghij12",
       "",
       {},
       "",
       {},
       "host;x-amz-date",
       "GET\n/model-invocation-job/"
       "arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Amodel-invocation-job%252Fabcdefghij12\n",
       "3eef46d3c794dc96e1df843ade3282a87fd6e6af8f50dc46ee5fe7fdebdd386d",
       br_key,
       "b0aa567e408d6494a074b238d544067de846dae55454014bf9b0651e47594b79"},
      {"bedrock_list_jobs",
       k,
       s,
       {},
       "bedrock",
       br_date,
       "GET",
       br_host,
       "/model-invocation-jobs",
       "maxResults=10&statusEquals=InProgress&nameContains=job&sortBy=CreationTime&sortOrder=Descending&"
       "submitTimeAfter=2024-01-01T00%3A00%3A00Z",
       {},
       "",
       {},
       "host;x-amz-date",
       "\nmaxResults=10&nameContains=job&sortBy=CreationTime&sortOrder=Descending&statusEquals=InProgress&"
       "submitTimeAfter=2024-01-01T00%3A00%3A00Z\n",
       "e78d921842c27911beab69d0fa7ee37c4b90741e3de3e7194ee55aa6ab34a52d",
       br_key,
       "1c0185b4e469fc45b47cf5fbc0b786a2e215907d26fd074c2da90f26242f10a0"},
      {"bedrock_stop_job",
       k,
       s,
       {},
       "bedrock",
       br_date,
       "POST",
       br_host,
       "/model-invocation-job/abcdefghij12/stop",
       "",
       {},
       "",
       {},
       "host;x-amz-date",
       "",
       "d3a1417471299909155002a36b77db9c2cc91a8b3a97a0980fc114fe89ed64fe",
       br_key,
       "ee7c8d96782d717f9722ec6077b1fef075da6f6a8604ae991bcfac91f8f50cc8"},
      // §2.4 path-style, ports, temporary credentials, SSE-KMS.
      {"s3rver_put_unsigned_payload",
       "S3RVER",
       "S3RVER",
       {},
       "s3",
       br_date,
       "PUT",
       "localhost:4568",
       "/batch-bucket/inputs/job1.jsonl",
       "",
       {},
       "",
       std::string(kUnsignedPayload),
       "host;x-amz-content-sha256;x-amz-date",
       "\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD",
       "00a87e333121803d4ff123e79fbc66438dd84064c76a08b5fb55ad725d729dc2",
       "",
       "305cf9fef7ca630d3340ac44fc5f92acb6abafe0dbfdb165c5b7685bf313f34f"},
      {"s3_put_temp_creds_sse_kms_port",
       k,
       s,
       std::string("SESSIONTOKEN"),
       "s3",
       "20261121T235243Z",
       "PUT",
       "127.0.0.1:9000",
       "/my-bucket/batch/in%20put%2B1.jsonl",
       "",
       {{"x-amz-checksum-crc32", "NjowIA=="},
        {"x-amz-sdk-checksum-algorithm", "CRC32"},
        {"x-amz-server-side-encryption", "aws:kms"},
        {"x-amz-server-side-encryption-aws-kms-key-id", kms_arn}},
       "hello\n",
       {},
       "host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm;"
       "x-amz-security-token;x-amz-server-side-encryption;x-amz-server-side-encryption-aws-kms-key-id",
       "x-amz-content-sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n",
       "",
       "",
       "b1c17372ea46e2d83ab00a023805e5ebf42a3f1173ace880ddccc1ccfa1d3abf"},
      {"s3_list_v2_temp_creds",
       k,
       s,
       std::string("SESSIONTOKEN"),
       "s3",
       "20261121T235243Z",
       "GET",
       "127.0.0.1:9000",
       "/my-bucket",
       "list-type=2&prefix=out%2Fabc%2F&continuation-token=tok%3D%3D&max-keys=1000&encoding-type=url",
       {},
       "",
       {},
       "host;x-amz-content-sha256;x-amz-date;x-amz-security-token",
       "\ncontinuation-token=tok%3D%3D&encoding-type=url&list-type=2&max-keys=1000&prefix=out%2Fabc%2F\n",
       "",
       "",
       "840ec485003e4debf804237dd0676613c1db5efa4bee199f2fb6d587e9a824a1"},
      {"s3_create_multipart_temp_creds",
       k,
       s,
       std::string("SESSIONTOKEN"),
       "s3",
       "20261121T235243Z",
       "POST",
       "127.0.0.1:9000",
       "/my-bucket/big.jsonl",
       "uploads",
       {},
       "",
       {},
       "host;x-amz-content-sha256;x-amz-date;x-amz-security-token",
       "\nuploads=\n",
       "",
       "",
       "a2c66e2eb28e4db4ebec8680d09e7a4c8090a7fc05dabcdd198fef59a79615da"},
  };
}

SigningRequest to_signing_request(const Vector& v) {
  return SigningRequest{v.method,  v.host,
                        v.path,    parse_query_string(v.query),
                        v.headers, v.payload_hash.value_or(sha256_hex(v.body))};
}

class SigV4Vectors : public ::testing::TestWithParam<Vector> {};

// sign() yields the spec's Authorization header.
TEST_P(SigV4Vectors, SignProducesExpectedAuthorization) {
  const Vector& v = GetParam();
  Credentials credentials{v.access_key, v.secret, v.token};
  Headers added =
      sign(to_signing_request(v), credentials, "us-east-1", v.service, parse_amz_date(v.amz_date));
  ASSERT_FALSE(added.empty());
  EXPECT_EQ(added.front().name, "X-Amz-Date");
  EXPECT_EQ(added.front().value, v.amz_date);
  EXPECT_EQ(find_header(added, "X-Amz-Security-Token").has_value(), v.token.has_value());
  EXPECT_EQ(find_header(added, "x-amz-content-sha256").has_value(), v.service == "s3");
  auto authorization = find_header(added, "Authorization");
  ASSERT_TRUE(authorization.has_value());
  std::string scope = v.amz_date.substr(0, 8) + "/us-east-1/" + v.service + "/aws4_request";
  EXPECT_EQ(*authorization, "AWS4-HMAC-SHA256 Credential=" + v.access_key + "/" + scope +
                                ", SignedHeaders=" + v.signed_headers + ", Signature=" + v.signature);
}

// Each intermediate step (canonical request, its hash, string to sign, signing key) matches the spec.
TEST_P(SigV4Vectors, IntermediateStepsMatch) {
  const Vector& v = GetParam();
  Credentials credentials{v.access_key, v.secret, v.token};
  SigningRequest request = to_signing_request(v);
  Headers added = sign(request, credentials, "us-east-1", v.service, parse_amz_date(v.amz_date));
  added.pop_back();  // Authorization
  request.headers.insert(request.headers.end(), added.begin(), added.end());

  std::vector<std::string> signed_headers = default_signed_headers(request);
  std::string creq = canonical_request(request, signed_headers, uri_rules_for(v.service));
  if (!v.creq_contains.empty()) {
    EXPECT_NE(creq.find(v.creq_contains), std::string::npos) << creq;
  }
  if (!v.creq_hash.empty()) {
    EXPECT_EQ(sha256_hex(creq), v.creq_hash) << creq;
  }

  SigningScope scope{v.amz_date, "us-east-1", v.service};
  std::string sts = string_to_sign(scope, creq);
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n" + v.amz_date + "\n" + scope.credential_scope() + "\n" + sha256_hex(creq));
  std::string key = signing_key(v.secret, scope);
  if (!v.signing_key.empty()) {
    EXPECT_EQ(hex_encode(key), v.signing_key);
  }
  EXPECT_EQ(compute_signature(key, sts), v.signature);
}

// What the Bedrock emulator does: parse the received Authorization and recompute the signature.
TEST_P(SigV4Vectors, ServerSideVerificationAcceptsAndRejects) {
  const Vector& v = GetParam();
  Credentials credentials{v.access_key, v.secret, v.token};
  SigningRequest request = to_signing_request(v);
  Headers added = sign(request, credentials, "us-east-1", v.service, parse_amz_date(v.amz_date));
  std::string authorization = added.back().value;
  added.pop_back();
  request.headers.insert(request.headers.end(), added.begin(), added.end());
  request.headers.push_back({"Host", v.host});
  request.headers.push_back({"User-Agent", "unsigned/1.0"});

  auto parsed = parse_authorization(authorization);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->access_key_id, v.access_key);
  EXPECT_EQ(parsed->service, v.service);
  EXPECT_EQ(parsed->region, "us-east-1");
  EXPECT_EQ(parsed->date, v.amz_date.substr(0, 8));
  EXPECT_TRUE(
      signatures_equal(signature_for_received(request, *parsed, v.amz_date, v.secret), parsed->signature));
  EXPECT_FALSE(signatures_equal(signature_for_received(request, *parsed, v.amz_date, "wrong-secret"),
                                parsed->signature));
  request.method = v.method == "GET" ? "DELETE" : "GET";
  EXPECT_FALSE(
      signatures_equal(signature_for_received(request, *parsed, v.amz_date, v.secret), parsed->signature));
}

INSTANTIATE_TEST_SUITE_P(Spec, SigV4Vectors, ::testing::ValuesIn(vectors()),
                         [](const auto& info) { return info.param.name; });

TEST(SigV4, CreateJobBodyIsTheExact445Bytes) {
  EXPECT_EQ(kCreateJobBody.size(), 445u);
  EXPECT_EQ(sha256_hex(kCreateJobBody), "8b49c17953e3ccd767618edbc2bc78279b3106fa6ed38c969ca2e49cd271c275");
  EXPECT_EQ(sha256_hex(""), kEmptyPayloadHash);
}

TEST(SigV4, VerifiesBotocoreCreateJobRequestAsReceived) {
  // The exact headers botocore sent (spec/bedrock-batch.md §3), as the emulator receives them.
  auto parsed = parse_authorization(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/bedrock/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date, "
      "Signature=f77d9d32fdb151da8f1d00f6673933d82d34e029259a8a5e0f318f163f8139cc");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->signed_headers, (std::vector<std::string>{"content-type", "host", "x-amz-date"}));
  SigningRequest received{"POST",
                          "",
                          "/model-invocation-job",
                          {},
                          {{"Host", "bedrock.us-east-1.amazonaws.com"},
                           {"Content-Type", "application/json"},
                           {"X-Amz-Date", "20240115T120000Z"},
                           {"Content-Length", "445"}},
                          sha256_hex(kCreateJobBody)};
  EXPECT_EQ(signature_for_received(received, *parsed, "20240115T120000Z", kSuiteSecret), parsed->signature);
}

TEST(SigV4, SignRequestSignsAWholeHttpRequest) {
  HttpRequest stop{"POST", "/model-invocation-job/abcdefghij12/stop", "", {{"User-Agent", "batchgate"}}, "", {}};
  HttpRequest signed_stop = sign_request(stop, "bedrock.us-east-1.amazonaws.com",
                                         Credentials{std::string(kSuiteKey), std::string(kSuiteSecret), {}},
                                         "us-east-1", "bedrock", parse_amz_date("20240115T120000Z"));
  EXPECT_EQ(find_header(signed_stop.headers, "Host").value_or(""), "bedrock.us-east-1.amazonaws.com");
  EXPECT_FALSE(find_header(signed_stop.headers, "x-amz-content-sha256"));  // Bedrock does not send it
  EXPECT_NE(find_header(signed_stop.headers, "Authorization")
                .value_or("")
                .find("SignedHeaders=host;x-amz-date, "
                      "Signature=ee7c8d96782d717f9722ec6077b1fef075da6f6a8604ae991bcfac91f8f50cc8"),
            std::string::npos);

  // S3 with UNSIGNED-PAYLOAD chosen by the caller (spec §2.4 a).
  HttpRequest put{"PUT",
                  "/batch-bucket/inputs/job1.jsonl",
                  "",
                  {{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}},
                  "body bytes not hashed",
                  {}};
  HttpRequest signed_put = sign_request(put, "localhost:4568", Credentials{"S3RVER", "S3RVER", {}},
                                        "us-east-1", "s3", parse_amz_date("20240115T120000Z"));
  EXPECT_EQ(find_header(signed_put.headers, "x-amz-content-sha256").value_or(""), "UNSIGNED-PAYLOAD");
  EXPECT_NE(find_header(signed_put.headers, "Authorization")
                .value_or("")
                .find("Signature=305cf9fef7ca630d3340ac44fc5f92acb6abafe0dbfdb165c5b7685bf313f34f"),
            std::string::npos);
  // Re-signing replaces the previous signature headers instead of duplicating them.
  HttpRequest resigned = sign_request(signed_put, "localhost:4568", Credentials{"S3RVER", "S3RVER", {}},
                                      "us-east-1", "s3", parse_amz_date("20240115T120000Z"));
  EXPECT_EQ(resigned.headers.size(), signed_put.headers.size());
}

TEST(SigV4, ReceivedRequestsVerifyAsTheEmulatorSeesThem) {
  // S3 ListObjectsV2 with temporary credentials (spec §2.4 c), as a server receives it.
  Headers headers{{"Host", "127.0.0.1:9000"},
                  {"X-Amz-Date", "20261121T235243Z"},
                  {"x-amz-content-sha256", std::string(kEmptyPayloadHash)},
                  {"X-Amz-Security-Token", "SESSIONTOKEN"},
                  {"User-Agent", "Boto3/1.43.11"}};
  SigningRequest received =
      received_signing_request("GET",
                               "/my-bucket?list-type=2&prefix=out%2Fabc%2F&continuation-token=tok%3D%3D&max-"
                               "keys=1000&encoding-type=url",
                               headers, "");
  EXPECT_EQ(received.path, "/my-bucket");
  EXPECT_EQ(received.host, "127.0.0.1:9000");
  ParsedAuthorization auth{"AKIDEXAMPLE",
                           "20261121",
                           "us-east-1",
                           "s3",
                           {"host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"},
                           ""};
  EXPECT_EQ(signature_for_received(received, auth, "20261121T235243Z", kSuiteSecret),
            "840ec485003e4debf804237dd0676613c1db5efa4bee199f2fb6d587e9a824a1");

  // Bedrock create: no x-amz-content-sha256, the body is hashed.
  SigningRequest create = received_signing_request("POST", "/model-invocation-job",
                                                   {{"Host", "bedrock.us-east-1.amazonaws.com"},
                                                    {"Content-Type", "application/json"},
                                                    {"X-Amz-Date", "20240115T120000Z"}},
                                                   kCreateJobBody);
  ParsedAuthorization create_auth{
      "AKIDEXAMPLE", "20240115", "us-east-1", "bedrock", {"content-type", "host", "x-amz-date"}, ""};
  EXPECT_EQ(signature_for_received(create, create_auth, "20240115T120000Z", kSuiteSecret),
            "f77d9d32fdb151da8f1d00f6673933d82d34e029259a8a5e0f318f163f8139cc");
}

TEST(SigV4, ParseAuthorizationAcceptsCommaWithoutSpaceAndRejectsGarbage) {
  auto parsed = parse_authorization(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
      "SignedHeaders=host;range;x-amz-date,Signature="
      "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->service, "s3");
  EXPECT_EQ(parsed->signed_headers.size(), 3u);
  EXPECT_FALSE(parse_authorization("Bearer sk-123").has_value());
  EXPECT_FALSE(parse_authorization("AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3, "
                                   "SignedHeaders=host, Signature=ab")
                   .has_value());
  EXPECT_FALSE(
      parse_authorization("AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request").has_value());
}

TEST(SigV4, UriEncodeAndQueryHelpers) {
  EXPECT_EQ(uri_encode("a b+c/d~e", true), "a%20b%2Bc/d~e");
  EXPECT_EQ(uri_encode("a b+c/d~e", false), "a%20b%2Bc%2Fd~e");
  EXPECT_EQ(uri_encode("\xE1\x88\xB4", false), "%E1%88%B4");
  EXPECT_EQ(uri_decode("out%2Fabc%2F+x%zz%4"), "out/abc/+x%zz%4");
  auto query = parse_query_string("uploads&partNumber=2&uploadId=a%3Db");
  ASSERT_EQ(query.size(), 3u);
  EXPECT_EQ(query[0], (std::pair<std::string, std::string>{"uploads", ""}));
  EXPECT_EQ(query[2].second, "a=b");
  EXPECT_EQ(canonical_query(query), "partNumber=2&uploadId=a%3Db&uploads=");
  // moto_server compatibility mode only (SigningRequest::query_keeps_slash).
  EXPECT_EQ(canonical_query({{"prefix", "out/abc/"}, {"delimiter", "/"}}, true),
            "delimiter=/&prefix=out/abc/");
  EXPECT_EQ(canonical_query({{"prefix", "out/abc/"}}), "prefix=out%2Fabc%2F");
}

TEST(SigV4, CanonicalUriRules) {
  EXPECT_EQ(canonical_uri("", UriRules::kS3), "/");
  EXPECT_EQ(canonical_uri("/b//a/./../k", UriRules::kS3), "/b//a/./../k");
  EXPECT_EQ(canonical_uri("/a//b/./c/../d/", UriRules::kStandard), "/a/b/d/");
  EXPECT_EQ(canonical_uri("/job%2F1", UriRules::kStandard), "/job%252F1");
}

TEST(SigV4, HeaderValuesAreTrimmedCollapsedAndDuplicatesJoined) {
  SigningRequest request{"GET", "h", "/", {}, {{"My-Header1", "  value1  a   b  "}, {"my-header1", "value2"}},
                         ""};
  EXPECT_EQ(canonical_headers(request, {"host", "my-header1"}), "host:h\nmy-header1:value1 a b,value2\n");
  SigningRequest with_blacklisted{
      "GET", "h", "/", {}, {{"User-Agent", "x"}, {"Expect", "100-continue"}, {"Content-Type", "a"}}, ""};
  EXPECT_EQ(default_signed_headers(with_blacklisted), (std::vector<std::string>{"content-type", "host"}));
}

TEST(SigV4, FormatAmzDate) {
  EXPECT_EQ(format_amz_date(parse_amz_date("20150830T123600Z")), "20150830T123600Z");
  EXPECT_EQ(format_amz_date(std::chrono::system_clock::time_point{}), "19700101T000000Z");
}

}  // namespace
}  // namespace batchgate::aws
