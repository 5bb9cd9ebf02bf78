// mua_imap_response_test: the IMAP client's response reader on transcripts: every kind of
// response, literals (also split at every offset and byte by byte), response codes, and each
// limit.
#include "mua/proto/mua_imap_response.hpp"

#include <gtest/gtest.h>

namespace estafeta::mua {
namespace {

std::vector<ImapResponse> read_all(std::string_view in, std::size_t step = 0,
                                   ImapLimits limits = {}, std::string* error = nullptr) {
  ImapResponseReader r(limits);
  std::vector<ImapResponse> out;
  if (step == 0) step = in.size() ? in.size() : 1;
  for (std::size_t i = 0; i < in.size(); i += step) {
    r.receive(in.substr(i, step));
    while (auto resp = r.next()) out.push_back(std::move(*resp));
  }
  if (error) *error = r.error();
  return out;
}

const char kTranscript[] =
    "* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Estafeta ready\r\n"
    "* 3 EXISTS\r\n"
    "* OK [UIDVALIDITY 1700000000] UIDs valid\r\n"
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    "* 1 FETCH (UID 7 FLAGS (\\Seen) BODY[HEADER.FIELDS (SUBJECT FROM)] {26}\r\n"
    "Subject: hi\r\nFrom: a@b\r\n\r\n RFC822.SIZE 1234)\r\n"
    "+ go ahead\r\n"
    "+\r\n"
    "a1 OK [READ-WRITE] SELECT completed\r\n"
    "a2 NO [NONEXISTENT] Unknown mailbox\r\n"
    "* BYE logging out\r\n";

TEST(MuaImapResponse, ReadsEveryKindWhateverTheSplit) {
  auto check = [](const std::vector<ImapResponse>& rs) {
    ASSERT_EQ(rs.size(), 10u);
    EXPECT_EQ(rs[0].status, "OK");
    EXPECT_EQ(rs[0].code, "CAPABILITY");
    ASSERT_EQ(rs[0].code_values.size(), 3u);
    EXPECT_EQ(rs[0].code_values[1].text, "LITERAL+");
    EXPECT_EQ(rs[0].text, "Estafeta ready");
    EXPECT_EQ(rs[1].number, 3u);
    EXPECT_EQ(rs[1].name, "EXISTS");
    EXPECT_EQ(rs[2].code, "UIDVALIDITY");
    EXPECT_EQ(rs[2].code_args, "1700000000");
    EXPECT_EQ(rs[3].name, "FLAGS");
    ASSERT_EQ(rs[3].values.size(), 1u);
    EXPECT_EQ(rs[3].values[0].items.size(), 5u);
    EXPECT_EQ(rs[4].name, "FETCH");
    EXPECT_EQ(rs[4].number, 1u);
    ASSERT_EQ(rs[4].values.size(), 1u);
    const auto& items = rs[4].values[0].items;
    ASSERT_EQ(items.size(), 8u);
    EXPECT_EQ(items[4].text, "BODY[HEADER.FIELDS (SUBJECT FROM)]");
    EXPECT_EQ(items[5].text, "Subject: hi\r\nFrom: a@b\r\n\r\n");
    EXPECT_EQ(items[7].number(), 1234u);
    EXPECT_EQ(rs[5].type, ImapResponse::Type::continuation);
    EXPECT_EQ(rs[5].text, "go ahead");
    EXPECT_EQ(rs[6].type, ImapResponse::Type::continuation);
    EXPECT_EQ(rs[7].type, ImapResponse::Type::tagged);
    EXPECT_EQ(rs[7].tag, "a1");
    EXPECT_TRUE(rs[7].ok());
    EXPECT_EQ(rs[7].code, "READ-WRITE");
    EXPECT_EQ(rs[8].status, "NO");
    EXPECT_EQ(rs[8].code, "NONEXISTENT");
    EXPECT_EQ(rs[8].text, "Unknown mailbox");
    EXPECT_EQ(rs[9].status, "BYE");
  };
  const std::string_view in(kTranscript);
  check(read_all(in));
  check(read_all(in, 1));
  for (std::size_t cut = 0; cut <= in.size(); ++cut) {
    ImapResponseReader r;
    std::vector<ImapResponse> out;
    r.receive(in.substr(0, cut));
    while (auto x = r.next()) out.push_back(std::move(*x));
    r.receive(in.substr(cut));
    while (auto x = r.next()) out.push_back(std::move(*x));
    ASSERT_FALSE(r.failed()) << cut;
    check(out);
  }
}

TEST(MuaImapResponse, ValuesQuotedNilNestedAndBinaryLiterals) {
  std::string in =
      "* LIST (\\HasNoChildren) \"/\" \"a \\\"q\\\" \\\\ b\"\r\n"
      "* 2 FETCH (ENVELOPE (NIL \"s\" ((\"N\" NIL \"u\" \"h\")) NIL NIL NIL NIL NIL NIL NIL) "
      "BINARY[1] ~{3}\r\nx";
  in += '\0';
  in += "y)\r\n* LIST () NIL {5+}\r\nab\r\nc\r\n";
  auto rs = read_all(in);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].values[2].text, "a \"q\" \\ b");
  EXPECT_EQ(rs[0].values[1].text, "/");
  const auto& f = rs[1].values[0].items;
  ASSERT_EQ(f.size(), 4u);
  EXPECT_TRUE(f[1].items[0].is(ImapValue::Kind::nil));
  EXPECT_EQ(f[1].items[2].items[0].items[2].text, "u");
  EXPECT_EQ(f[3].text, std::string("x\0y", 3));
  EXPECT_TRUE(rs[2].values[1].is(ImapValue::Kind::nil));
  EXPECT_EQ(rs[2].values[2].text, "ab\r\nc");
}

TEST(MuaImapResponse, MalformedUntaggedIsMarkedNotFatal) {
  auto rs = read_all("* LIST (\\Noselect \"/\" foo\r\n* 1 EXISTS\r\n");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_TRUE(rs[0].malformed);
  EXPECT_EQ(rs[0].name, "LIST");
  EXPECT_EQ(rs[1].number, 1u);
}

TEST(MuaImapResponse, GarbageFails) {
  std::string error;
  auto rs = read_all("hello\r\n", 0, {}, &error);
  EXPECT_TRUE(rs.empty());
  EXPECT_NE(error.find("without a tag"), std::string::npos) << error;
  rs = read_all("a1 MAYBE fine\r\n", 0, {}, &error);
  EXPECT_TRUE(rs.empty());
  EXPECT_NE(error.find("without OK, NO or BAD"), std::string::npos) << error;
}

TEST(MuaImapResponse, LimitsHold) {
  ImapLimits l;
  l.max_line = 64;
  std::string error;
  read_all("* OK " + std::string(100, 'x') + "\r\n", 7, l, &error);
  EXPECT_NE(error.find("line longer"), std::string::npos) << error;
  // A line that never ends also fails once past the limit.
  ImapResponseReader r(l);
  r.receive(std::string(65, 'y'));
  EXPECT_FALSE(r.next());
  EXPECT_TRUE(r.failed());

  l = ImapLimits{};
  l.max_literal = 10;
  read_all("* 1 FETCH (BODY[] {11}\r\n", 0, l, &error);
  EXPECT_NE(error.find("literal of 11 octets"), std::string::npos) << error;

  l = ImapLimits{};
  l.max_literals = 2;
  read_all("* X {1}\r\na {1}\r\nb {1}\r\nc\r\n", 0, l, &error);
  EXPECT_NE(error.find("too many literals"), std::string::npos) << error;

  l = ImapLimits{};
  l.max_depth = 3;
  auto rs = read_all("* X ((((a))))\r\n* Y (((a)))\r\n", 0, l, &error);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_TRUE(rs[0].malformed);
  EXPECT_FALSE(rs[1].malformed);

  l = ImapLimits{};
  l.max_values = 5;
  rs = read_all("* SEARCH 1 2 3 4 5 6\r\n* SEARCH 1 2 3\r\n", 0, l, &error);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_TRUE(rs[0].malformed);
  EXPECT_FALSE(rs[1].malformed);
}

TEST(MuaImapResponse, LiteralWaitsForItsBytes) {
  ImapResponseReader r;
  r.receive("* 1 FETCH (BODY[] {10}\r\n12345");
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.literal_pending(), 5u);
  r.receive("67890)\r\n");
  auto x = r.next();
  ASSERT_TRUE(x);
  EXPECT_EQ(x->values[0].items[1].text, "1234567890");
  EXPECT_EQ(r.buffered(), 0u);
}

}  // namespace
}  // namespace estafeta::mua
