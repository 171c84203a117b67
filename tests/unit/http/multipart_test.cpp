#include "server/http/multipart.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace batchgate::http {
namespace {

struct Parsed {
  struct Part {
    PartInfo info;
    std::string data;
  };
  std::vector<Part> parts;
  std::string error;
  bool done = false;
};

// Feeds `body` in pieces of `chunk` bytes and collects what the parser reports.
Parsed parse(const std::string& boundary, const std::string& body, size_t chunk) {
  MultipartParser p(boundary);
  Parsed out;
  auto drain = [&] {
    for (;;) {
      auto e = p.next();
      switch (e.type) {
        case MultipartParser::EventType::kNeedMore:
          return true;
        case MultipartParser::EventType::kPartBegin:
          out.parts.push_back({p.part(), {}});
          break;
        case MultipartParser::EventType::kData:
          out.parts.back().data.append(e.data);
          break;
        case MultipartParser::EventType::kPartEnd:
          break;
        case MultipartParser::EventType::kDone:
          out.done = true;
          return false;
        case MultipartParser::EventType::kError:
          out.error = std::string(e.error);
          return false;
      }
    }
  };
  for (size_t i = 0; i < body.size(); i += chunk) {
    p.feed(std::string_view(body).substr(i, chunk));
    if (!drain()) return out;
  }
  p.finish();
  drain();
  return out;
}

// What the OpenAI Node SDK sends for files.create({file, purpose}): the file part first.
const std::string kBoundary = "openai-0123456789";
const std::string kFile = "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\r\n\r\n--not-the-boundary\n";
const std::string kBody =
    "--" + kBoundary +
    "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"my \\\"batch\\\".jsonl\"\r\n"
    "Content-Type: application/octet-stream\r\n\r\n" +
    kFile + "\r\n--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" +
    kBoundary + "--\r\n";

TEST(Multipart, ParsesTheSdkShapeAtEverySplitSize) {
  for (size_t chunk : {1, 2, 3, 7, 16, 31, 64, 1000}) {
    auto r = parse(kBoundary, kBody, chunk);
    ASSERT_TRUE(r.error.empty()) << r.error << " chunk " << chunk;
    ASSERT_TRUE(r.done) << chunk;
    ASSERT_EQ(r.parts.size(), 2u) << chunk;
    EXPECT_EQ(r.parts[0].info.name, "file");
    EXPECT_TRUE(r.parts[0].info.has_filename);
    EXPECT_EQ(r.parts[0].info.filename, "my \"batch\".jsonl");
    EXPECT_EQ(r.parts[0].info.content_type, "application/octet-stream");
    EXPECT_EQ(r.parts[0].data, kFile) << chunk;
    EXPECT_EQ(r.parts[1].info.name, "purpose");
    EXPECT_FALSE(r.parts[1].info.has_filename);
    EXPECT_EQ(r.parts[1].data, "batch");
  }
}

TEST(Multipart, PreambleAndEmptyPartsAreFine) {
  std::string body = "preamble\r\n--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--b--";
  auto r = parse("b", body, 5);
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].info.name, "x");
  EXPECT_EQ(r.parts[0].data, "");
}

TEST(Multipart, TruncatedOrMalformedBodiesAreErrors) {
  struct Row {
    std::string body;
    std::string expect;
  };
  const Row rows[] = {
      {"no boundary at all", "no multipart boundary"},
      {"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nhalf a file", "no closing boundary"},
      {"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "Content-Disposition"},
      {"--b\r\nContent-Disposition: form-data; name=\"f\"", "inside multipart part headers"},
      {"--b\r\n" + std::string(20000, 'h'), "too large"},
  };
  for (const auto& row : rows) {
    auto r = parse("b", row.body, 4096);
    EXPECT_FALSE(r.done) << row.body.substr(0, 40);
    EXPECT_NE(r.error.find(row.expect), std::string::npos) << r.error;
  }
}

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=openai-abc"), "openai-abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"q b\""), "q b");
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
}

}  // namespace
}  // namespace batchgate::http
