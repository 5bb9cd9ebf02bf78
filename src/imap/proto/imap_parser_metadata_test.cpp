// imap_parser_metadata_test: the RFC 5464 grammar: GETMETADATA options before (and, as
// Dovecot, after) the mailbox, one entry or a list, DEPTH and MAXSIZE values, entry name
// rules (§3.2), SETMETADATA with quoted, literal, literal8 and NIL values, and the BAD texts.
#include "imap/proto/imap_parser_metadata.hpp"

#include <gtest/gtest.h>

#include "imap/proto/imap_parser.hpp"

namespace estafeta::imap {
namespace {

template <class T>
T body(std::string_view wire) {
  ParseResult r = parse_command(wire);
  EXPECT_TRUE(r) << wire << " -> " << r.error.text;
  if (!r) return T{};
  const T* b = std::get_if<T>(&r.command->body);
  EXPECT_NE(b, nullptr) << wire;
  return b ? *b : T{};
}

std::string bad(std::string_view wire) {
  ParseResult r = parse_command(wire);
  EXPECT_FALSE(r) << wire;
  return r ? "" : r.error.response().substr(0, r.error.response().size() - 2);
}

TEST(ImapParserMetadata, GetMetadata) {
  GetMetadata g = body<GetMetadata>("a GETMETADATA \"\" /private/Comment");
  EXPECT_EQ(g.mailbox, "");
  EXPECT_EQ(g.entries, (std::vector<std::string>{"/private/comment"}));
  EXPECT_FALSE(g.max_size);
  EXPECT_EQ(g.depth, GetMetadata::Depth::zero);
  g = body<GetMetadata>("a getmetadata INBOX (/shared/comment /private/comment)");
  EXPECT_EQ(g.mailbox, "INBOX");
  EXPECT_EQ(g.entries.size(), 2u);
  g = body<GetMetadata>("a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX /private");
  EXPECT_EQ(g.max_size, 1024u);
  EXPECT_EQ(g.depth, GetMetadata::Depth::infinity);
  EXPECT_EQ(g.entries, (std::vector<std::string>{"/private"}));
  g = body<GetMetadata>("a GETMETADATA (DEPTH 1) INBOX /private/filters/values");
  EXPECT_EQ(g.depth, GetMetadata::Depth::one);
  g = body<GetMetadata>("a GETMETADATA INBOX (DEPTH 1 MAXSIZE 5) /shared");
  EXPECT_EQ(g.depth, GetMetadata::Depth::one);
  EXPECT_EQ(g.max_size, 5u);
  g = body<GetMetadata>("a GETMETADATA {5+}\r\nNotes {18+}\r\n/shared/vendor/x/y");
  EXPECT_EQ(g.mailbox, "Notes");
  EXPECT_EQ(g.entries, (std::vector<std::string>{"/shared/vendor/x/y"}));
  EXPECT_EQ(bad("a GETMETADATA INBOX"), "a BAD Missing metadata entries");
  EXPECT_EQ(bad("a GETMETADATA INBOX /private"), "a BAD Invalid metadata entry name");
  EXPECT_EQ(bad("a GETMETADATA INBOX /comment"), "a BAD Invalid metadata entry name");
  EXPECT_EQ(bad("a GETMETADATA (DEPTH 2) INBOX /shared"), "a BAD Invalid DEPTH");
  EXPECT_EQ(bad("a GETMETADATA (MAXSIZE x) INBOX /shared"), "a BAD Invalid MAXSIZE");
  EXPECT_EQ(bad("a GETMETADATA (MAXSIZE 1 MAXSIZE 2) INBOX /shared/a"), "a BAD Invalid MAXSIZE");
  EXPECT_EQ(bad("a GETMETADATA (FOO 1) INBOX /shared/a"), "a BAD Unknown GETMETADATA option");
  EXPECT_EQ(bad("a GETMETADATA INBOX (/shared/a"), "a BAD Invalid metadata entries");
  EXPECT_EQ(bad("a GETMETADATA INBOX ()"), "a BAD Invalid metadata entry");
  std::string many = "a GETMETADATA INBOX (";
  for (int i = 0; i < 101; ++i) many += (i ? " /shared/e" : "/shared/e") + std::to_string(i);
  EXPECT_EQ(bad(many + ")"), "a BAD Too many metadata entries");
}

TEST(ImapParserMetadata, EntryNames) {
  EXPECT_TRUE(valid_metadata_entry("/private/comment"));
  EXPECT_TRUE(valid_metadata_entry("/SHARED/Vendor/Foo.bar-1"));
  EXPECT_FALSE(valid_metadata_entry("/private"));
  EXPECT_TRUE(valid_metadata_entry("/private", true));
  EXPECT_FALSE(valid_metadata_entry("/private/"));
  EXPECT_FALSE(valid_metadata_entry("/private//x"));
  EXPECT_FALSE(valid_metadata_entry("/private/x*"));
  EXPECT_FALSE(valid_metadata_entry("/private/x%"));
  EXPECT_FALSE(valid_metadata_entry("/private/a b"));
  EXPECT_FALSE(valid_metadata_entry("/private/\xC3\xA9"));
  EXPECT_FALSE(valid_metadata_entry("private/x"));
  EXPECT_FALSE(valid_metadata_entry("/privatex/y"));
  EXPECT_FALSE(valid_metadata_entry("/shared/" + std::string(600, 'x')));
}

TEST(ImapParserMetadata, SetMetadata) {
  const std::string wire(
      "a SETMETADATA INBOX (/private/comment \"My comment\" /shared/Comment NIL "
      "/shared/x {3+}\r\na\r\n /shared/bin ~{3+}\r\na\0b)",
      114);
  SetMetadata s = body<SetMetadata>(wire);
  EXPECT_EQ(s.mailbox, "INBOX");
  ASSERT_EQ(s.entries.size(), 4u);
  EXPECT_EQ(s.entries[0].first, "/private/comment");
  EXPECT_EQ(s.entries[0].second, "My comment");
  EXPECT_EQ(s.entries[1].first, "/shared/comment");
  EXPECT_FALSE(s.entries[1].second);
  EXPECT_EQ(s.entries[2].second, "a\r\n");
  EXPECT_EQ(s.entries[3].second, std::string("a\0b", 3));
  s = body<SetMetadata>("a SETMETADATA \"\" (/private/vendor/x/motd \"\")");
  EXPECT_EQ(s.entries[0].second, "");
  EXPECT_EQ(bad("a SETMETADATA INBOX /private/comment \"x\""), "a BAD Missing metadata entries");
  EXPECT_EQ(bad("a SETMETADATA INBOX (/private/comment)"), "a BAD Missing metadata value");
  EXPECT_EQ(bad("a SETMETADATA INBOX (/private \"x\")"), "a BAD Invalid metadata entry name");
  EXPECT_EQ(bad("a SETMETADATA INBOX (/private/a (x))"), "a BAD Invalid metadata value");
  EXPECT_EQ(bad("a SETMETADATA INBOX (/private/a \"x\""), "a BAD Invalid metadata entries");
  EXPECT_EQ(bad("a SETMETADATA INBOX ()"), "a BAD Invalid metadata entry");
}

}  // namespace
}  // namespace estafeta::imap
