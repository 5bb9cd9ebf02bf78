// fuzz_net_line_reader: the shared line reader (src/net/proto/net_line_reader) on arbitrary
// input and arbitrary splits. The first two octets choose the line limit (1-4096) and a chunk
// size; the rest is the stream. A line ending in "{N}" (N < 100000) is followed by N raw
// octets, as an IMAP literal is. Checks, against a plain model of RFC 5321 §2.3.8 lines:
// every line and literal is reported identically whole, in chunks and byte by byte; the kept
// text never exceeds the limit; overlong, bare LF, bare CR and NUL are reported exactly.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "net/proto/net_line_reader.hpp"

using estafeta::net::LineReader;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Item {
  bool literal = false;
  std::string text;  // line text or literal octets
  std::uint64_t length = 0;
  bool overlong = false, bare_lf = false, bare_cr = false, nul = false;
  bool operator==(const Item&) const = default;
};

// A literal announced by a line "...{N}" with a small N, or nothing.
std::uint64_t literal_size(const std::string& text, bool overlong) {
  if (overlong || text.size() < 3 || text.back() != '}') return 0;
  auto open = text.rfind('{');
  if (open == std::string::npos || text.size() - open - 2 > 5 || text.size() - open - 2 == 0)
    return 0;
  std::uint64_t n = 0;
  for (std::size_t i = open + 1; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  return n;
}

std::vector<Item> run(std::string_view in, std::size_t max, std::size_t step) {
  LineReader r(max);
  std::vector<Item> out;
  std::string literal;
  bool in_literal = false;
  while (!in.empty()) {
    std::string_view chunk = in.substr(0, step);
    while (!chunk.empty()) {
      std::size_t n = r.feed(chunk);
      check(n > 0 && n <= chunk.size());
      if (in_literal) {
        literal.append(chunk.substr(0, n));
        if (r.octets_remaining() == 0) {
          out.push_back(Item{true, literal});
          literal.clear();
          in_literal = false;
        }
      }
      chunk.remove_prefix(n);
      in.remove_prefix(n);
      if (!r.line_ready()) continue;
      LineReader::Line l = r.take_line();
      check(l.text.size() <= max);
      check(l.length >= l.text.size() + 1);
      check(l.overlong == (l.length > max));
      out.push_back(Item{false, l.text, l.length, l.overlong, l.bare_lf, l.bare_cr, l.nul});
      if (std::uint64_t lit = literal_size(l.text, l.overlong); lit > 0) {
        r.read_octets(lit);
        in_literal = true;
      }
    }
  }
  return out;
}

// The model: lines cut at LF, judged on the whole line at once.
std::vector<Item> model(std::string_view in, std::size_t max) {
  std::vector<Item> out;
  while (!in.empty()) {
    std::size_t lf = in.find('\n');
    if (lf == std::string_view::npos) break;
    std::string_view raw = in.substr(0, lf);
    Item it;
    it.length = lf + 1;
    it.bare_lf = raw.empty() || raw.back() != '\r';
    std::string_view content = it.bare_lf ? raw : raw.substr(0, raw.size() - 1);
    it.overlong = it.length > max;
    it.text = std::string(raw.size() <= max ? content : raw.substr(0, max));
    it.nul = raw.find('\0') != std::string_view::npos;
    it.bare_cr = content.find('\r') != std::string_view::npos;
    out.push_back(it);
    in.remove_prefix(lf + 1);
    if (std::uint64_t lit = literal_size(it.text, it.overlong); lit > 0) {
      if (lit > in.size()) break;  // the literal never completes
      out.push_back(Item{true, std::string(in.substr(0, lit))});
      in.remove_prefix(lit);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 65536) return 0;
  std::size_t max = 1 + (static_cast<std::size_t>(data[0]) * 16 + data[1] % 16) % 4096;
  std::size_t step = 1 + data[1] / 16;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto whole = run(in, max, in.size() + 1);
  auto expected = model(in, max);
  // An unfinished literal is reported by run() only once complete; the model stops before.
  check(whole == expected);
  check(run(in, max, step) == whole);
  if (in.size() <= 4096) check(run(in, max, 1) == whole);
  return 0;
}
