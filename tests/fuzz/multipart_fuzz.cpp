// The streaming multipart/form-data parser (server/http/multipart.hpp) as an upload drives it.
// Input: one byte choosing how the body arrives in chunks, the Content-Type header value up to the first
// '\n', then the body. The body is parsed twice, whole and in chunks: both must give the same events (the
// network decides where chunks end, the result must not depend on it; only the data of a part cut short by
// an error may differ), and each run must keep the contract
// file_upload.cpp relies on: no kNeedMore after finish(), data only inside a part, every part ended.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/multipart.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using batchgate::http::MultipartParser;
using Type = MultipartParser::EventType;

// What one run produced, data of a part joined whatever the chunking: comparable between runs.
using Events = std::vector<std::string>;

struct Run {
  MultipartParser parser;
  Events events;
  bool in_part = false;
  bool ended = false;  // kDone or kError seen
  std::size_t steps = 0;
};

// Calls next() until the parser needs more bytes (or ends), checking every event against the contract.
void drain(Run& run, bool finished, std::size_t step_limit) {
  while (!run.ended) {
    const MultipartParser::Event ev = run.parser.next();
    FUZZ_CHECK(++run.steps <= step_limit);  // every event consumes input: no endless loop
    switch (ev.type) {
      case Type::kNeedMore:
        FUZZ_CHECK(!finished);  // after finish() the caller would take a cut body as complete
        return;
      case Type::kPartBegin: {
        FUZZ_CHECK(!run.in_part);
        run.in_part = true;
        const auto& part = run.parser.part();
        run.events.push_back("begin " + part.name + "|" + part.filename + "|" +
                             (part.has_filename ? "1" : "0") + "|" + part.content_type);
        break;
      }
      case Type::kData:
        FUZZ_CHECK(run.in_part);
        FUZZ_CHECK(!ev.data.empty());
        if (run.events.back().rfind("data ", 0) != 0) run.events.push_back("data ");
        run.events.back().append(ev.data);
        break;
      case Type::kPartEnd:
        FUZZ_CHECK(run.in_part);
        run.in_part = false;
        run.events.push_back("end");
        break;
      case Type::kDone:
        FUZZ_CHECK(!run.in_part);
        run.events.push_back("done");
        run.ended = true;
        break;
      case Type::kError:
        FUZZ_CHECK(!ev.error.empty());
        run.events.push_back("error " + std::string(ev.error));
        run.ended = true;
        break;
    }
  }
}

// A body that ends in an error may have delivered part of its last part first (only what arrived before
// the parser saw the problem): that data is not compared.
void drop_data_before_error(Events& events) {
  if (events.size() < 2 || events.back().rfind("error ", 0) != 0) return;
  if (events[events.size() - 2].rfind("data ", 0) == 0) events.erase(events.end() - 2);
}

// Feeds `body` cut at the given offsets (ascending), then finish().
Events parse(const std::string& boundary, std::string_view body, const std::vector<std::size_t>& cuts) {
  Run run{MultipartParser(boundary), {}, false, false, 0};
  const std::size_t step_limit = 4 * (body.size() + 8);
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    run.parser.feed(body.substr(from, cut - from));
    drain(run, false, step_limit);
    from = cut;
  }
  run.parser.feed(body.substr(from));
  run.parser.finish();
  drain(run, true, step_limit);
  FUZZ_CHECK(run.ended);
  drop_data_before_error(run.events);
  return run.events;
}

// Below 128: two chunks, cut at a point proportional to the byte; from 128: chunks of (byte - 127) bytes.
std::vector<std::size_t> cuts_for(std::uint8_t how, std::size_t size) {
  std::vector<std::size_t> cuts;
  if (how < 128) {
    cuts.push_back(size * how / 128);
    return cuts;
  }
  const std::size_t chunk = how - 127u;
  for (std::size_t at = chunk; at < size; at += chunk) cuts.push_back(at);
  return cuts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t how = data[0];
  std::string_view body = batchgate::fuzz::as_text(data + 1, size - 1);
  const std::string_view content_type = batchgate::fuzz::take_line(body);
  // A header without a usable boundary is refused before any parsing; the body is still worth parsing.
  const std::string boundary =
      batchgate::http::multipart_boundary(content_type).value_or("batchgate-fuzz-boundary");

  const Events whole = parse(boundary, body, {});
  const Events chunked = parse(boundary, body, cuts_for(how, body.size()));
  FUZZ_CHECK(whole == chunked);
  return 0;
}
