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

TEST(QueueSendmailHeaders, HeaderEndsAtTheFirstLineThatIsNoField) {
  EXPECT_EQ(find_header_end("Subject: x\r\n\r\nbody\r\n").offset, 12u);
  EXPECT_TRUE(find_header_end("Subject: x\r\n\r\nbody\r\n").empty_line);
  // Bare text: the header is empty and the body starts at once.
  EXPECT_EQ(find_header_end("disk full on /var\n").offset, 0u);
  EXPECT_FALSE(find_header_end("disk full on /var\n").empty_line);
  // A field, a folded one, then text without the empty line.
  const std::string_view m = "Subject: a\n b\nX-Y : z\nThe backup failed: see the log\n";
  EXPECT_EQ(find_header_end(m).offset, m.find("The"));
  EXPECT_FALSE(find_header_end(m).empty_line);
  EXPECT_EQ(find_header_end(" indented\n").offset, 0u);  // no field to continue
  EXPECT_EQ(find_header_end("Subject: only\n").offset, 14u);
  EXPECT_EQ(find_header_end("").offset, 0u);
  // -t reads no recipients past that line.
  std::string t = "To: a@example.org\nnot a field\nCc: b@example.org\n";
  EXPECT_EQ(extract_recipients(t), (std::vector<std::string>{"a@example.org"}));
}

TEST(QueueSendmailHeaders, MboxFromLineIsDropped) {
  EXPECT_EQ(without_mbox_from("From me@example.org Wed Dec  2 10:00:00 2026\nSubject: x\n"),
            "Subject: x\n");
  EXPECT_EQ(without_mbox_from("From: me@example.org\n"), "From: me@example.org\n");
  EXPECT_EQ(without_mbox_from("From nobody"), "");
}

TEST(QueueSendmailHeaders, CommandLineRecipientsAreAddressLists) {
  EXPECT_EQ(addresses_in("root"), (std::vector<std::string>{"root"}));
  EXPECT_EQ(addresses_in(" root\r\n"), (std::vector<std::string>{"root"}));  // "To: root"
  EXPECT_EQ(addresses_in("Alice <a@example.org>, b@example.net"),
            (std::vector<std::string>{"a@example.org", "b@example.net"}));
  EXPECT_TRUE(addresses_in("").empty());
  EXPECT_TRUE(addresses_in("<>").empty());
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
