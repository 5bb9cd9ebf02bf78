// Tests of pop3_command: keywords, arguments and the -ERR texts of malformed lines.
#include "pop3/proto/pop3_command.hpp"

#include <gtest/gtest.h>

namespace estafeta::pop3 {
namespace {

Command ok(std::string_view line) {
  ParseResult r = parse_command(line);
  EXPECT_TRUE(r.command) << line << ": " << r.error;
  return r.command ? *r.command : Command{};
}

std::string error(std::string_view line) {
  ParseResult r = parse_command(line);
  EXPECT_FALSE(r.command) << line;
  return r.error;
}

TEST(Pop3Command, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(ok("stat").verb, Verb::stat);
  EXPECT_EQ(ok("Capa").verb, Verb::capa);
  EXPECT_EQ(ok("top 1 2").verb, Verb::top);
  EXPECT_EQ(ok("utf8").verb, Verb::utf8);
  EXPECT_EQ(ok("STLS").verb, Verb::stls);
}

TEST(Pop3Command, UnknownCommandsEchoOnlyASafeKeyword) {
  EXPECT_EQ(error("LAST"), "Unknown command: LAST");
  EXPECT_EQ(error("xyzzy 1"), "Unknown command: XYZZY");
  EXPECT_EQ(error(""), "Unknown command.");
  EXPECT_EQ(error(" STAT"), "Unknown command.");
  EXPECT_EQ(error("ST\x01T"), "Unknown command.");
  EXPECT_EQ(error(std::string(40, 'A')), "Unknown command.");
}

TEST(Pop3Command, UserAndPassTakeTheRestOfTheLine) {
  Command c = ok("PASS my secret  phrase ");
  EXPECT_EQ(c.verb, Verb::pass);
  EXPECT_EQ(c.text, "my secret  phrase ");
  EXPECT_EQ(ok("USER alice@example.org").text, "alice@example.org");
  EXPECT_EQ(error("USER"), "Missing argument.");
  EXPECT_EQ(error("PASS "), "Missing argument.");
}

TEST(Pop3Command, MessageNumbers) {
  EXPECT_EQ(ok("RETR 12").number, 12u);
  EXPECT_EQ(ok("LIST").number, std::nullopt);
  EXPECT_EQ(ok("LIST  3 ").number, 3u);
  EXPECT_EQ(ok("DELE 99999999999999999999").number, 4294967295u);
  EXPECT_EQ(ok("RETR 0").number, 0u);
  EXPECT_EQ(error("RETR"), "Missing argument.");
  EXPECT_EQ(error("RETR x"), "Invalid message number.");
  EXPECT_EQ(error("RETR -1"), "Invalid message number.");
  EXPECT_EQ(error("RETR 1 2"), "Too many arguments.");
  EXPECT_EQ(error("UIDL 1 2"), "Too many arguments.");
  EXPECT_EQ(error("STAT 1"), "Too many arguments.");
}

TEST(Pop3Command, Top) {
  Command c = ok("TOP 2 10");
  EXPECT_EQ(c.number, 2u);
  EXPECT_EQ(c.lines, 10u);
  EXPECT_EQ(ok("TOP 1 99999999999999999999999").lines, 18446744073709551615u);
  EXPECT_EQ(error("TOP 1"), "Missing argument.");
  EXPECT_EQ(error("TOP 1 x"), "Invalid number of lines.");
  EXPECT_EQ(error("TOP a 1"), "Invalid message number.");
}

TEST(Pop3Command, AuthAndApop) {
  EXPECT_EQ(ok("AUTH").text, "");
  Command c = ok("auth plain AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(c.text, "PLAIN");
  EXPECT_EQ(c.text2, "AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(ok("AUTH LOGIN").text2, std::nullopt);
  EXPECT_EQ(error("AUTH PLAIN a b"), "Too many arguments.");
  c = ok("APOP mrose c4c9334bac560ecc979e58001b3e22fb");
  EXPECT_EQ(c.text, "mrose");
  EXPECT_EQ(c.text2, "c4c9334bac560ecc979e58001b3e22fb");
  EXPECT_EQ(error("APOP mrose"), "Missing argument.");
}

TEST(Pop3Command, Keyword) {
  EXPECT_EQ(command_keyword("pass x"), "PASS");
  EXPECT_EQ(command_keyword(""), "");
  EXPECT_EQ(command_keyword(std::string(100, 'a')), std::string(16, 'A'));
}

}  // namespace
}  // namespace estafeta::pop3
