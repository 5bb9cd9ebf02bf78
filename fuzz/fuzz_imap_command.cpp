// fuzz_imap_command: the IMAP command reader and parser (src/imap/proto/imap_command_reader,
// imap_parser) on arbitrary client bytes, with literals. The first input octet picks the
// split size; the rest goes through net::LineReader and imap::CommandReader exactly as the
// server reads it (continuations, literal octets, drained refused literals), each assembled
// command through parse_command; the raw input is also parsed as one command directly.
// Checks the promises: no crash, errors that are one CRLF-terminated line with a tag,
// results within imap::Limits (small limits here so that they are reached).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "imap/proto/imap_command_reader.hpp"
#include "imap/proto/imap_parser.hpp"
#include "net/proto/net_line_reader.hpp"

using namespace estafeta;
using namespace estafeta::imap;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_error(const CommandError& e) {
  std::string wire = e.response();
  check(wire.size() >= 6 && wire.substr(wire.size() - 2) == "\r\n");
  check(wire.find('\r') == wire.size() - 2 && wire.find('\n') == wire.size() - 1);
  check(!e.tag.empty() && !e.text.empty());
  check(e.tag.find(' ') == std::string::npos);
}

std::size_t key_count(const SearchKey& k, std::size_t depth, std::size_t& max_depth) {
  if (depth > max_depth) max_depth = depth;
  std::size_t n = 1;
  for (const SearchKey& c : k.children) n += key_count(c, depth + 1, max_depth);
  return n;
}

void check_command(const Command& c, const Limits& l) {
  check(!c.tag.empty() && !c.name.empty());
  if (auto* f = std::get_if<Fetch>(&c.body)) {
    check(f->items.size() <= l.max_fetch_items);
    check(f->set.ranges.size() <= l.max_sequence_ranges);
    if (f->vanished) check(f->uid && f->changed_since);
  } else if (auto* s = std::get_if<Search>(&c.body)) {
    std::size_t depth = 0;
    check(key_count(s->key, 0, depth) <= l.max_search_keys + 1);
    check(depth <= l.max_search_depth);
  } else if (auto* a = std::get_if<Append>(&c.body)) {
    check(!a->messages.empty() && a->messages.size() <= l.max_append_messages);
    for (auto& m : a->messages) check(m.flags.size() <= l.max_list_items);
  } else if (auto* st = std::get_if<Store>(&c.body)) {
    check(st->flags.size() <= l.max_list_items);
  } else if (auto* q = std::get_if<SetQuota>(&c.body)) {
    check(q->limits.size() <= l.max_list_items);  // RFC 9208 setquota-list
    for (const auto& [name, limit] : q->limits) check(!name.empty());
  }
}

void parse(std::string_view wire, const Limits& l) {
  ParseResult r = parse_command(wire, l);
  if (r) {
    check_command(*r.command, l);
  } else {
    check_error(r.error);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 16384) return 0;
  std::size_t chunk = data[0] % 16 + 1;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  Limits l;
  l.max_line = 200;
  l.max_command = 1000;
  l.max_literal = 300;
  l.append_limit = 2000;
  l.max_append_total = 3000;
  l.max_append_messages = 3;
  l.max_literals = 8;
  l.max_search_depth = 6;
  l.max_search_keys = 20;
  l.max_sequence_ranges = 10;
  l.max_fetch_items = 6;
  l.max_list_items = 5;

  parse(in, l);

  net::LineReader lines(l.max_line);
  CommandReader reader(l);
  std::string pending;
  std::size_t at = 0;
  auto handle = [&](const CommandReader::Step& s) {
    using Kind = CommandReader::Step::Kind;
    switch (s.kind) {
      case Kind::need_line:
        break;
      case Kind::need_literal:
        if (lines.octets_remaining() == 0) {
          if (s.discard) {
            lines.read_octets(s.size);
          } else {
            check(s.size <= l.append_limit);
            lines.read_octets(s.size);
          }
        }
        break;
      case Kind::complete: {
        std::string cmd = reader.take_command();
        check(cmd.size() <= l.max_command + l.max_append_total);
        parse(cmd, l);
        break;
      }
      case Kind::error:
        check_error(s.error);
        if (s.size > 0) lines.read_octets(s.size);
        break;
    }
    if (s.kind == Kind::need_literal && s.size == 0) return true;
    return false;
  };
  while (at < in.size()) {
    std::size_t n = std::min(chunk, in.size() - at);
    pending.append(in.substr(at, n));
    at += n;
    for (int guard = 0; guard < 100000; ++guard) {
      if (lines.octets_remaining() > 0) {
        std::size_t used = lines.feed(pending);
        if (used == 0) break;
        if (handle(reader.feed_literal(std::string_view(pending).substr(0, used))))
          handle(reader.feed_literal(""));
        pending.erase(0, used);
        continue;
      }
      pending.erase(0, lines.feed(pending));
      if (!lines.line_ready()) break;
      if (handle(reader.feed_line(lines.take_line()))) handle(reader.feed_literal(""));
    }
  }
  return 0;
}
