// queue_sendmail_headers_test: -t recipients from To/Cc/Bcc (folded fields, groups, display
// names, LF and CRLF), Bcc removed and nothing else touched, the body never read for
// recipients; the lone-dot end of input.
#include "queue/queue_sendmail_headers.hpp"

#include <gtest/gtest.h>

namespace estafeta::queue {
namespace {

TEST(QueueSendmailHeaders, RecipientsFromHeadersAndBccRemoved) {
  std::string m =
      "From: me@example.org\nTo: \"A, B\" <a@example.org>,\n b@example.net\nSubject: x\n"
      "CC: team: c@example.org, d@example.org;\nBcc: hidden@example.org\n\t, h2@example.org\n"
      "\nTo: not-a-header@example.org\n";
  auto r = extract_recipients(m);
  EXPECT_EQ(r, (std::vector<std::string>{"a@example.org", "b@example.net", "c@example.org",
                                         "d@example.org", "hidden@example.org", "h2@example.org"}));
  EXPECT_EQ(m,
            "From: me@example.org\nTo: \"A, B\" <a@example.org>,\n b@example.net\nSubject: x\n"
            "CC: team: c@example.org, d@example.org;\n\nTo: not-a-header@example.org\n");
  std::string crlf = "Bcc: x@example.org\r\nTo: y@example.org\r\n\r\nbody\r\n";
  EXPECT_EQ(extract_recipients(crlf), (std::vector<std::string>{"x@example.org", "y@example.org"}));
  EXPECT_EQ(crlf, "To: y@example.org\r\n\r\nbody\r\n");
  std::string none = "Subject: nobody\n\nbody\n";
  EXPECT_TRUE(extract_recipients(none).empty());
}

TEST(QueueSendmailHeaders, LoneDotEndsInput) {
  EXPECT_EQ(up_to_lone_dot("a\n.\nb\n"), "a\n");
  EXPECT_EQ(up_to_lone_dot("a\r\n.\r\nb"), "a\r\n");
  EXPECT_EQ(up_to_lone_dot("a\n..\n. \nb"), "a\n..\n. \nb");
  EXPECT_EQ(up_to_lone_dot(".\n"), "");
  EXPECT_EQ(up_to_lone_dot("no end"), "no end");
}

}  // namespace
}  // namespace estafeta::queue
