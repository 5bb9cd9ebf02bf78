// queue_sendmail_args_test: the command lines real callers use (cron, mail(1), PHP, git
// send-email, mutt), joined and separate option values, the null sender, ignored options, and
// clear errors for unknown options and missing values.
#include "queue/proto/queue_sendmail_args.hpp"

#include <gtest/gtest.h>

namespace estafeta::queue {
namespace {

SendmailArgs ok(std::vector<std::string> args) {
  std::string error;
  auto r = parse_sendmail_args(args, error);
  EXPECT_TRUE(r) << error;
  return r ? *r : SendmailArgs{};
}

TEST(QueueSendmailArgs, WhatCallersSend) {
  // cron (Debian): -FCronDaemon -i -B8BITMIME -oem root
  auto cron = ok({"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"});
  EXPECT_EQ(cron.fullname, "CronDaemon");
  EXPECT_FALSE(cron.dot_ends_input);
  EXPECT_EQ(cron.recipients, (std::vector<std::string>{"root"}));
  // PHP's mail(): sendmail -t -i; git send-email: -i -f me@x a@y b@z; mutt: -oem -oi -- a@y
  auto php = ok({"-t", "-i"});
  EXPECT_TRUE(php.extract_recipients);
  EXPECT_TRUE(php.recipients.empty());
  auto git = ok({"-i", "-f", "me@example.org", "a@example.net", "b@example.net"});
  EXPECT_EQ(git.from, "me@example.org");
  EXPECT_EQ(git.recipients.size(), 2u);
  auto mutt = ok({"-oem", "-oi", "--", "-odd@example.org"});
  EXPECT_EQ(mutt.recipients, (std::vector<std::string>{"-odd@example.org"}));
  EXPECT_TRUE(ok({"-bs"}).smtp_on_stdin);
  EXPECT_TRUE(ok({"-odi", "-v", "-bm", "x@y"}).dot_ends_input);
}

TEST(QueueSendmailArgs, SenderForms) {
  EXPECT_EQ(ok({"-fme@x"}).from, "me@x");
  EXPECT_EQ(ok({"-r", "<me@x>"}).from, "me@x");
  EXPECT_EQ(ok({"-f", "<>"}).from, "");
  EXPECT_EQ(ok({"-f", ""}).from, "");
  EXPECT_FALSE(ok({"a@b"}).from);
  auto dsn = ok({"-N", "success,failure", "-R", "hdrs", "-V", "id1", "-C", "/etc/e.toml", "a@b"});
  EXPECT_EQ(dsn.notify, "success,failure");
  EXPECT_EQ(dsn.ret, "hdrs");
  EXPECT_EQ(dsn.envid, "id1");
  EXPECT_EQ(dsn.config_file, "/etc/e.toml");
}

TEST(QueueSendmailArgs, Errors) {
  std::string error;
  EXPECT_FALSE(parse_sendmail_args({"-q"}, error));
  EXPECT_EQ(error, "unknown option -q");
  EXPECT_FALSE(parse_sendmail_args({"-f"}, error));
  EXPECT_EQ(error, "option -f needs a value");
  EXPECT_FALSE(parse_sendmail_args({"-bp"}, error));
  EXPECT_NE(error.find("-bp"), std::string::npos);
  EXPECT_FALSE(parse_sendmail_args({"-tx"}, error));
}

}  // namespace
}  // namespace estafeta::queue
