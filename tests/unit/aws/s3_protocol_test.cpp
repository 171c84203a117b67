// The pure S3 pieces: addressing, queries, XML documents, error mapping.
#include "server/aws/s3_protocol.hpp"

#include <gtest/gtest.h>

namespace batchgate::aws {
namespace {

struct AddressRow {
  std::string name;
  S3Addressing addressing;
  std::string bucket;
  std::string key;
  std::string host_header;
  std::string path;
};

TEST(S3Protocol, AddressingRules) {
  const std::vector<AddressRow> rows = {
      {"virtual hosted",
       {{}, "eu-west-1", false},
       "my-bucket",
       "in put+1.jsonl",
       "my-bucket.s3.eu-west-1.amazonaws.com",
       "/in%20put%2B1.jsonl"},
      {"forced path style",
       {{}, "us-east-1", true},
       "my-bucket",
       "a/b.jsonl",
       "s3.us-east-1.amazonaws.com",
       "/my-bucket/a/b.jsonl"},
      {"dotted bucket",
       {{}, "us-west-2", false},
       "my.bucket",
       "k",
       "s3.us-west-2.amazonaws.com",
       "/my.bucket/k"},
      {"endpoint override",
       {std::string("http://127.0.0.1:5000"), "us-east-1", false},
       "b",
       "x/test$file.text",
       "127.0.0.1:5000",
       "/b/x/test%24file.text"},
      {"bucket level",
       {std::string("http://localhost:4568/base/"), "us-east-1", false},
       "b",
       "",
       "localhost:4568",
       "/base/b"},
      {"bucket level virtual hosted", {{}, "us-east-1", false}, "b", "", "b.s3.us-east-1.amazonaws.com", "/"},
  };
  for (const AddressRow& row : rows) {
    auto target = s3_target(row.addressing, row.bucket, row.key);
    ASSERT_TRUE(target) << row.name;
    EXPECT_EQ(target->endpoint.host_header(), row.host_header) << row.name;
    EXPECT_EQ(target->path, row.path) << row.name;
  }
  EXPECT_TRUE(s3_target({{}, "us-east-1", false}, "b", "k")->endpoint.is_tls());
  EXPECT_FALSE(s3_target({std::string("not a url"), "us-east-1", false}, "b", "k"));
}

TEST(S3Protocol, ByteRangesAndTheirResumption) {
  auto bounded = parse_byte_range("bytes=100-199");
  ASSERT_TRUE(bounded);
  EXPECT_EQ(bounded->first, 100u);
  EXPECT_EQ(bounded->last.value_or(0), 199u);
  EXPECT_EQ(resume_range(bounded, 40), "bytes=140-199");
  auto open_ended = parse_byte_range("bytes=100-");
  ASSERT_TRUE(open_ended);
  EXPECT_FALSE(open_ended->last);
  EXPECT_EQ(resume_range(open_ended, 5), "bytes=105-");
  EXPECT_EQ(resume_range(std::nullopt, 4096), "bytes=4096-");  // whole object
  EXPECT_FALSE(parse_byte_range("bytes=-500"));                // suffix: no fixed offset
  EXPECT_FALSE(parse_byte_range("bytes=0-1,5-9"));
  EXPECT_FALSE(parse_byte_range("bytes=9-1"));
  EXPECT_FALSE(parse_byte_range("items=0-1"));
  EXPECT_FALSE(parse_byte_range("bytes=x-1"));
}

TEST(S3Protocol, BuildQuery) {
  EXPECT_EQ(build_query({{"uploads", ""}}), "uploads");
  EXPECT_EQ(build_query({{"partNumber", "3"}, {"uploadId", "a/b+c=="}}),
            "partNumber=3&uploadId=a%2Fb%2Bc%3D%3D");
  EXPECT_EQ(build_query({{"list-type", "2"}, {"prefix", "out/abc/"}, {"start-after", ""}}),
            "list-type=2&prefix=out%2Fabc%2F&start-after=");
}

TEST(S3Protocol, ParsesListObjectsV2WithUrlEncoding) {
  const std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>my-bucket</Name><Prefix>out%2Fabc%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated><NextContinuationToken>tok+/==</NextContinuationToken>
  <EncodingType>url</EncodingType>
  <Contents><Key>out/abc/job1/records.jsonl.out</Key><LastModified>2024-01-15T12:30:00.000Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>out/abc/a+b%2Bc%20d.jsonl</Key><Size>5</Size></Contents>
  <CommonPrefixes><Prefix>out/abc/sub%20dir/</Prefix></CommonPrefixes>
</ListBucketResult>)";
  auto page = parse_list_objects_v2(body);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token.value_or(""), "tok+/==");  // tokens are opaque, never decoded
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "out/abc/job1/records.jsonl.out");
  EXPECT_EQ(page->objects[0].size, 1234u);
  EXPECT_EQ(page->objects[0].etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
  EXPECT_EQ(page->objects[0].last_modified, "2024-01-15T12:30:00.000Z");
  EXPECT_EQ(page->objects[1].key, "out/abc/a b+c d.jsonl");
  ASSERT_EQ(page->common_prefixes.size(), 1u);
  EXPECT_EQ(page->common_prefixes[0], "out/abc/sub dir/");

  auto last = parse_list_objects_v2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a+b</Key>"
      "</Contents></ListBucketResult>");
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->is_truncated);
  EXPECT_FALSE(last->next_continuation_token);
  EXPECT_EQ(last->objects[0].key, "a+b");  // not url-encoded → kept verbatim
  EXPECT_FALSE(parse_list_objects_v2("<Error><Code>NoSuchBucket</Code></Error>"));
}

TEST(S3Protocol, ListMultipartUploadsPagesAndDecodesKeys) {
  auto page = parse_list_multipart_uploads(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><EncodingType>url</EncodingType><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>files%2Fb%2Finput.jsonl</NextKeyMarker><NextUploadIdMarker>up-2</NextUploadIdMarker>
  <MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>
  <Upload><Key>files%2Fa%2Foriginal.jsonl</Key><UploadId>up-1</UploadId>
    <Initiated>2024-01-15T10:00:00.000Z</Initiated></Upload>
  <Upload><Key>files%2Fb%2Finput.jsonl</Key><UploadId>up-2</UploadId>
    <Initiated>2024-02-29T23:59:59.000Z</Initiated></Upload>
</ListMultipartUploadsResult>)");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->uploads.size(), 2u);
  EXPECT_EQ(page->uploads[0].key, "files/a/original.jsonl");
  EXPECT_EQ(page->uploads[1].upload_id, "up-2");
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_key_marker, "files/b/input.jsonl");
  EXPECT_EQ(page->next_upload_id_marker, "up-2");
  EXPECT_EQ(parse_iso8601_utc(page->uploads[0].initiated), 1705312800);
  EXPECT_EQ(parse_iso8601_utc(page->uploads[1].initiated), 1709251199);
  EXPECT_EQ(parse_iso8601_utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_FALSE(parse_iso8601_utc("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc("yesterday"));
  EXPECT_FALSE(parse_list_multipart_uploads("<ListBucketResult/>"));
}

TEST(S3Protocol, MultipartDocuments) {
  EXPECT_EQ(
      parse_initiate_multipart_upload(
          R"(<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket>)"
          "<Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>")
          .value_or(""),
      "VXBsb2FkIElE");
  EXPECT_FALSE(parse_initiate_multipart_upload("<InitiateMultipartUploadResult/>"));
  EXPECT_EQ(
      complete_multipart_upload_body({{1, "\"e1\""}, {2, "\"e2\""}}),
      R"(<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber>)"
      R"(<ETag>"e1"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"e2"</ETag></Part>)"
      "</CompleteMultipartUpload>");
  EXPECT_EQ(parse_complete_multipart_upload(
                "<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket>"
                "<Key>k</Key><ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>")
                .value_or(""),
            "\"abc-2\"");
  // moto names the root CompleteMultipartUploadResponse; botocore does not check the name either.
  EXPECT_EQ(parse_complete_multipart_upload("<CompleteMultipartUploadResponse><ETag>\"m-2\"</ETag>"
                                            "</CompleteMultipartUploadResponse>")
                .value_or(""),
            "\"m-2\"");
  EXPECT_FALSE(parse_complete_multipart_upload("<Error><Code>InternalError</Code><ETag>x</ETag></Error>"));
}

TEST(S3Protocol, ErrorsFromBodiesAndBodilessStatuses) {
  // A 200 whose body is an <Error> document, after S3's whitespace keep-alives (spec §3.2).
  HttpResponse complete_failed{
      200, {}, "\n  \n<Error><Code>InternalError</Code><Message>try again</Message></Error>"};
  EXPECT_TRUE(is_error_document(complete_failed.body));
  S3Error error = s3_error_from_response(complete_failed);
  EXPECT_EQ(error.http_status, 200);
  EXPECT_EQ(error.code, "InternalError");
  EXPECT_EQ(error.message, "try again");
  EXPECT_FALSE(is_error_document("<CompleteMultipartUploadResult/>"));

  struct Row {
    int status;
    std::string code;
  };
  for (const Row& row : std::vector<Row>{
           {404, "NoSuchKey"}, {403, "AccessDenied"}, {412, "PreconditionFailed"}, {400, "HTTP 400"}}) {
    EXPECT_EQ(s3_error_from_response(HttpResponse{row.status, {}, ""}).code, row.code);
  }
  EXPECT_EQ((S3Error{403, "SignatureDoesNotMatch", "bad", {}}.to_string()),
            "S3 error 403 SignatureDoesNotMatch: bad");
  EXPECT_EQ((S3Error{0, {}, {}, "Connection refused"}.to_string()), "S3 request failed: Connection refused");
}

}  // namespace
}  // namespace batchgate::aws
