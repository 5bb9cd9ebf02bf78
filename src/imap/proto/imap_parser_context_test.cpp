// imap_parser_context_test: the CONTEXT=SEARCH grammar (RFC 5267 §5): the UPDATE and CONTEXT
// return options of SEARCH, and CANCELUPDATE with one or more quoted tags and its BAD cases.
#include <gtest/gtest.h>

#include "imap/proto/imap_parser.hpp"

namespace estafeta::imap {
namespace {

std::string bad(std::string_view wire, const Limits& limits = {}) {
  auto r = parse_command(wire, limits);
  EXPECT_FALSE(r) << wire;
  std::string s = r.error.response();
  return s.substr(0, s.size() - 2);
}

TEST(ImapParserContext, UpdateAndContextReturnOptions) {
  auto r = parse_command("a UID SEARCH RETURN (update Context COUNT) SEEN", Limits{});
  ASSERT_TRUE(r) << r.error.text;
  const Search& s = std::get<Search>(r.command->body);
  EXPECT_TRUE(s.uid);
  EXPECT_TRUE(s.ret.update);
  EXPECT_TRUE(s.ret.context);
  EXPECT_TRUE(s.ret.count);
  EXPECT_FALSE(s.ret.all);
}

TEST(ImapParserContext, CancelUpdate) {
  auto r = parse_command("a CANCELUPDATE \"b01\" \"x \\\"y\"", Limits{});
  ASSERT_TRUE(r) << r.error.text;
  EXPECT_EQ(std::get<CancelUpdate>(r.command->body).tags,
            (std::vector<std::string>{"b01", "x \"y"}));
  EXPECT_EQ(bad("a CANCELUPDATE"), "a BAD Missing tag");
  EXPECT_EQ(bad("a CANCELUPDATE b01"), "a BAD Invalid tag");
  EXPECT_EQ(bad("a CANCELUPDATE \"b01\" "), "a BAD Invalid tag");
  Limits l;
  l.max_list_items = 2;
  EXPECT_EQ(bad("a CANCELUPDATE \"1\" \"2\" \"3\"", l), "a BAD Too many tags");
}

}  // namespace
}  // namespace estafeta::imap
