// fuzz_imap_search: the SEARCH criteria parser (src/imap/proto/imap_search_parser) on arbitrary
// text, as it follows "SEARCH " (RETURN, CHARSET, keys, literals). Checks: no crash, nesting
// and key count within the limits, every node well-formed (NOT and FUZZY have one child, OR
// two), and an error text whenever parsing fails. Also parses the modified UTF-7 decoder's
// input space (src/imap/proto/imap_mutf7), whose output must re-encode to the same text.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "imap/proto/imap_mutf7.hpp"
#include "imap/proto/imap_search_parser.hpp"

using namespace estafeta::imap;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::size_t walk(const SearchKey& k, std::size_t depth, std::size_t& max_depth) {
  if (depth > max_depth) max_depth = depth;
  using K = SearchKey::Kind;
  if (k.kind == K::not_ || k.kind == K::fuzzy) check(k.children.size() == 1);
  if (k.kind == K::or_) check(k.children.size() == 2);
  if (k.kind != K::not_ && k.kind != K::or_ && k.kind != K::and_ && k.kind != K::fuzzy)
    check(k.children.empty());
  if (k.kind == K::and_) check(!k.children.empty());
  std::size_t n = 1;
  for (const SearchKey& c : k.children) n += walk(c, depth + 1, max_depth);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits l;
  l.max_search_depth = 10;
  l.max_search_keys = 50;
  l.max_sequence_ranges = 10;
  std::string err;
  auto s = parse_search_arguments(in, l, &err);
  if (s) {
    std::size_t depth = 0;
    // The top-level AND of several keys is one node above the counted keys.
    check(walk(s->key, 0, depth) <= l.max_search_keys + 1);
    check(depth <= l.max_search_depth);
  } else {
    check(!err.empty());
  }
  if (auto u = mutf7_decode(in)) {
    check(is_valid_utf8(*u));
    check(mutf7_encode(*u) == in);
  }
  if (is_valid_utf8(in)) {
    std::string m = mutf7_encode(in);
    auto back = mutf7_decode(m);
    check(back && *back == in);
  }
  return 0;
}
