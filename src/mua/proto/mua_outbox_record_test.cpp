// Tests for mua_outbox_record: round trip and each malformation.
#include "mua/proto/mua_outbox_record.hpp"

#include <gtest/gtest.h>

namespace estafeta::mua {
namespace {

TEST(OutboxRecord, RoundTrip) {
  OutboxRecord r;
  r.sender = "alice@example.org";
  r.recipients = {"bob@example.org", "j\xC3\xBC@example.org"};
  r.sent_copy = true;
  r.bcc = "Carol <carol@example.org>";
  r.attempts = 3;
  r.last_error = "451 4.3.0 try\r\nlater";
  r.message = "Subject: x\r\n\r\nbody\r\n";
  auto p = parse_outbox_record(serialize(r));
  ASSERT_TRUE(p.ok()) << p.error().text;
  EXPECT_EQ(p->sender, r.sender);
  EXPECT_EQ(p->recipients, r.recipients);
  EXPECT_TRUE(p->sent_copy);
  EXPECT_EQ(p->bcc, r.bcc);
  EXPECT_EQ(p->attempts, 3u);
  EXPECT_EQ(p->last_error, "451 4.3.0 try  later");  // flattened
  EXPECT_EQ(p->message, r.message);
  r.sender = "";  // the null sender survives
  r.bcc.clear();
  p = parse_outbox_record(serialize(r));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sender, "");
}

TEST(OutboxRecord, Malformed) {
  auto bad = [](const std::string& data, const char* expect) {
    auto p = parse_outbox_record(data);
    ASSERT_FALSE(p.ok()) << data;
    EXPECT_NE(p.error().text.find(expect), std::string::npos) << p.error().text;
  };
  bad("", "empty file");
  bad("hello\n\nx", "not an outbox file");
  bad("estafeta-outbox 1\nsender a@b\nrecipient c@d\n", "not terminated");
  bad("estafeta-outbox 1\nrecipient c@d\n\nmsg", "no sender");
  bad("estafeta-outbox 1\nsender a@b\n\nmsg", "no recipient");
  bad("estafeta-outbox 1\nsender a@b\nrecipient c@d\n\n", "no message");
  bad("estafeta-outbox 1\nsender a@b\nrecipient c@d\nattempts x\n\nm", "attempts");
  bad("estafeta-outbox 1\nsender a@b\nrecipient c@d\nsent-copy maybe\n\nm", "sent-copy");
  bad("estafeta-outbox 1\nsender a@b\nrecipient c@d\ncolour red\n\nm", "unknown line");
  bad("estafeta-outbox 1\nsender a@b\r\nrecipient c@d\n\nm", "control character");
  std::string many = "estafeta-outbox 1\nsender a@b\n";
  for (int i = 0; i < 10001; ++i) many += "recipient x@y\n";
  bad(many + "\nm", "more than 10000");
  bad("estafeta-outbox 1\nbcc " + std::string(2 * 1024 * 1024, 'x') + "\n\nm", "1 MiB");
}

}  // namespace
}  // namespace estafeta::mua
