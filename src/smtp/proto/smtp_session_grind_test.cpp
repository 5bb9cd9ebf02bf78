// smtp_session_grind_test: one long dialogue (commands, DATA with stuffing and a refused
// message, BDAT, AUTH, errors) fed whole, split in two at every offset, and byte by byte: the
// replies, stored messages and trace lines must be identical every time (Beast parsegrind).
#include <gtest/gtest.h>

#include <string>

#include "smtp/proto/smtp_test_harness.hpp"

namespace estafeta::smtp {
namespace {

const std::string kDialogue =
    "EHLO grind.example\r\n"
    "AUTH PLAIN\r\n"
    "AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==\r\n"
    "MAIL FROM:<alice@example.org> BODY=8BITMIME SIZE=100\r\n"
    "RCPT TO:<bob@example.org> NOTIFY=FAILURE\r\n"
    "RCPT TO:<nobody@example.org>\r\n"
    "DATA\r\n"
    "Subject: grind\r\n\r\n..one\r\n.\r\n"
    "NOOP\r\n"
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<alice@example.org>\r\n"
    "DATA\r\n"
    "bare\nLF\r\n.\r\n"
    "BOGUS\r\n"
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<alice@example.org>\r\n"
    "BDAT 6\r\nab\r\n\r\n"
    "BDAT 3 LAST\r\ncd\n"
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<Postmaster>\r\n"
    "BDAT 4 LAST\r\nxy\r\n"
    "NOOP\n"
    "VRFY x\r\n"
    "QUIT\r\n"
    "NOOP\r\n";

struct Result {
  std::string output;
  std::vector<std::string> messages;
  std::vector<std::string> traces;
  int closes = 0;
};

template <class Feed>
Result run(Feed feed) {
  SessionInfo info = testing::mx_info();
  info.tls_active = true;
  info.tls_version = "TLSv1.3";
  info.tls_cipher = "X";
  testing::Harness h(info);
  h.start();
  feed(h);
  Result r;
  r.output = h.all_output;
  for (const auto& m : h.stored) r.messages.push_back(m.message);
  r.traces = h.traces;
  r.closes = h.closes;
  return r;
}

void expect_same(const Result& a, const Result& b, std::size_t where) {
  EXPECT_EQ(a.output, b.output) << "split at " << where;
  EXPECT_EQ(a.messages, b.messages) << "split at " << where;
  EXPECT_EQ(a.traces, b.traces) << "split at " << where;
  EXPECT_EQ(a.closes, b.closes) << "split at " << where;
}

TEST(SessionGrind, EverySplitAndByteByByte) {
  Result whole = run([](testing::Harness& h) { h.feed(kDialogue); });
  // The reference itself is right: spot-check it.
  EXPECT_EQ(whole.messages.size(), 2u);  // the two bare-LF messages are refused
  EXPECT_NE(whole.output.find("550 5.6.2"), std::string::npos);
  EXPECT_NE(whole.output.find("500 5.5.2 Bare LF"), std::string::npos);
  EXPECT_EQ(whole.closes, 1);
  for (std::size_t k = 1; k < kDialogue.size(); ++k) {
    Result split = run([&](testing::Harness& h) {
      h.feed(std::string_view(kDialogue).substr(0, k));
      h.feed(std::string_view(kDialogue).substr(k));
    });
    expect_same(whole, split, k);
    if (::testing::Test::HasFailure()) return;
  }
  Result bytes = run([](testing::Harness& h) {
    for (char c : kDialogue) h.feed(std::string_view(&c, 1));
  });
  expect_same(whole, bytes, 0);
}

TEST(SessionGrind, ThreeWaySplits) {
  Result whole = run([](testing::Harness& h) { h.feed(kDialogue); });
  for (std::size_t a = 1; a < kDialogue.size(); a += 7) {
    for (std::size_t b = a + 1; b < kDialogue.size(); b += 13) {
      Result split = run([&](testing::Harness& h) {
        std::string_view d(kDialogue);
        h.feed(d.substr(0, a));
        h.feed(d.substr(a, b - a));
        h.feed(d.substr(b));
      });
      expect_same(whole, split, a * 10000 + b);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace estafeta::smtp
