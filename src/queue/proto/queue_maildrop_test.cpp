// queue_maildrop_test: the maildrop file format round-trips (null sender, absent sender, names
// and addresses with spaces and non-ASCII), and every malformed file is refused with a reason.
#include "queue/proto/queue_maildrop.hpp"

#include <gtest/gtest.h>

namespace estafeta::queue {
namespace {

TEST(QueueMaildrop, RoundTrip) {
  MaildropHeader h;
  h.from = "cron daemon@example.org";
  h.fullname = "Cr\xc3\xb3n Job";
  h.recipients = {"a@example.org", "b c@example.net"};
  const std::string file = encode_maildrop_header(h) + "Subject: x\n\nbody\n";
  MaildropHeader got;
  std::string error;
  auto msg = parse_maildrop(file, got, error);
  ASSERT_TRUE(msg) << error;
  EXPECT_EQ(*msg, "Subject: x\n\nbody\n");
  EXPECT_EQ(got.from, h.from);
  EXPECT_EQ(got.fullname, h.fullname);
  EXPECT_EQ(got.recipients, h.recipients);
  EXPECT_EQ(got.notify, std::vector<std::string>(2));
}

TEST(QueueMaildrop, DsnParametersRoundTrip) {
  MaildropHeader h;
  h.recipients = {"a@example.org", "b@example.net", "c@example.com"};
  h.notify = {"SUCCESS,FAILURE", "", "NEVER"};
  h.orcpt = {"", "rfc822;b+2Bx@example.net"};
  h.ret = "HDRS";
  h.envid = "QQ314159";
  MaildropHeader got;
  std::string error;
  ASSERT_TRUE(parse_maildrop(encode_maildrop_header(h) + "x\n", got, error)) << error;
  EXPECT_EQ(got.notify, h.notify);
  EXPECT_EQ(got.orcpt, (std::vector<std::string>{"", "rfc822;b+2Bx@example.net", ""}));
  EXPECT_EQ(got.ret, "HDRS");
  EXPECT_EQ(got.envid, "QQ314159");
  EXPECT_FALSE(parse_maildrop("ESTAFETA-MAILDROP 1\nnotify NEVER\nrcpt a@b\n\nx", got, error));
  EXPECT_NE(error.find("before any rcpt"), std::string::npos);
}

TEST(QueueMaildrop, NullAndAbsentSender) {
  MaildropHeader h;
  h.from = "";
  h.recipients = {"a@example.org"};
  MaildropHeader got;
  std::string error;
  ASSERT_TRUE(parse_maildrop(encode_maildrop_header(h) + "x", got, error));
  ASSERT_TRUE(got.from);
  EXPECT_EQ(*got.from, "");
  h.from.reset();
  ASSERT_TRUE(parse_maildrop(encode_maildrop_header(h), got, error));
  EXPECT_FALSE(got.from);
}

TEST(QueueMaildrop, MalformedFilesAreRefused) {
  MaildropHeader got;
  std::string error;
  const std::pair<std::string, std::string> cases[] = {
      {"", "blank line"},
      {"Subject: x\n\nbody", "not a maildrop file"},
      {"ESTAFETA-MAILDROP 1\nfrom a@b\n\nbody", "no recipients"},
      {"ESTAFETA-MAILDROP 1\nrcpt\n\n", "without a value"},
      {"ESTAFETA-MAILDROP 1\nrcpt a%zz\n\n", "badly escaped"},
      {"ESTAFETA-MAILDROP 1\nfrom a\nfrom b\nrcpt c\n\n", "two from"},
      {"ESTAFETA-MAILDROP 1\nrcpt " + std::string(1001, 'a') + "\n\n", "too long"},
      {"ESTAFETA-MAILDROP 1\nrcpt a\n" + std::string(300000, 'x'), "too long"},
  };
  for (const auto& [file, why] : cases) {
    EXPECT_FALSE(parse_maildrop(file, got, error)) << why;
    EXPECT_NE(error.find(why), std::string::npos) << error;
  }
  std::string many = "ESTAFETA-MAILDROP 1\n";
  for (std::size_t i = 0; i <= kMaxMaildropRecipients; ++i) many += "rcpt a@b\n";
  EXPECT_FALSE(parse_maildrop(many + "\n", got, error));
  EXPECT_EQ(error, "too many recipients");
}

}  // namespace
}  // namespace estafeta::queue
