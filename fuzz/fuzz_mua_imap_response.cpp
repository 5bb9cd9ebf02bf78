// fuzz_mua_imap_response: the mail client's IMAP response reader and typed parsers
// (src/mua/proto/mua_imap_response, mua_imap_parse) on arbitrary server bytes. The first
// input byte picks a split point; the rest is what the server sends. Checks that the
// responses are the same whatever the split, that every bound holds (tiny limits here), and
// that every typed parser accepts or refuses each response without crashing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mua/proto/mua_imap_parse.hpp"
#include "mua/proto/mua_imap_response.hpp"

using namespace estafeta::mua;

namespace {

void check_at(bool ok, int line) {
  if (!ok) {
    std::fprintf(stderr, "check failed at line %d\n", line);
    std::abort();
  }
}
#define check(x) check_at((x), __LINE__)

std::size_t count_values(const std::vector<ImapValue>& vs, std::size_t depth,
                         std::size_t& max_depth) {
  std::size_t n = 0;
  if (depth > max_depth) max_depth = depth;
  for (const auto& v : vs) n += 1 + count_values(v.items, depth + 1, max_depth);
  return n;
}

std::string summary(const ImapResponse& r) {
  std::string s = std::to_string(static_cast<int>(r.type)) + r.tag + "|" + r.status + "|" + r.code +
                  "|" + r.code_args + "|" + r.text + "|" + r.name + "|" +
                  std::to_string(r.values.size()) + (r.malformed ? "M" : "");
  return s;
}

std::vector<std::string> read(std::string_view in, std::size_t cut, const ImapLimits& limits,
                              bool& failed) {
  ImapResponseReader reader(limits);
  std::vector<std::string> out;
  for (std::string_view part : {in.substr(0, cut), in.substr(cut)}) {
    reader.receive(part);
    while (auto r = reader.next()) {
      std::size_t depth = 0;
      check(count_values(r->values, 1, depth) <= limits.max_values);
      check(depth <= limits.max_depth + 1);
      (void)parse_capabilities(r->values);
      (void)parse_capabilities(r->code_values);
      (void)parse_list(*r, false);
      (void)parse_list(*r, true);
      (void)parse_status(*r);
      if (auto s = parse_search(*r, 100)) check(s->size() <= 100);
      if (auto e = parse_esearch(*r, 100)) check(e->all.size() <= 100);
      if (auto f = parse_fetch(*r)) check(f->seq == r->number);
      if (auto v = parse_vanished(*r, 100)) check(v->size() <= 100);
      (void)parse_internal_date(r->text);
      out.push_back(summary(*r));
    }
    check(reader.buffered() <= in.size());
  }
  failed = reader.failed();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  const std::uint8_t first = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  ImapLimits limits;
  limits.max_line = 512;
  limits.max_literal = 1024;
  limits.max_response = 4096;
  limits.max_literals = 8;
  limits.max_values = 200;
  limits.max_depth = 8;
  bool failed_whole = false, failed_split = false;
  auto whole = read(in, in.size(), limits, failed_whole);
  auto split = read(in, first % (in.size() + 1), limits, failed_split);
  check(failed_whole == failed_split);
  check(whole == split);
  return 0;
}
