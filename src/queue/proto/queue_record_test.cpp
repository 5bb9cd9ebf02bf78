// queue_record_test: records round-trip (every field, odd octets, several recipients with
// targets), damaged records and trailers are refused with a reason, escaping is reversible.
#include "queue/proto/queue_record.hpp"

#include <gtest/gtest.h>

namespace estafeta::queue {
namespace {

SpoolEnvelope sample() {
  SpoolEnvelope e;
  e.id = "4F2A.abc.1";
  e.mail_from = "\"john doe\"@example.org";
  e.helo = "client.example";
  e.peer_ip = "2001:db8::1";
  e.auth_user = "alice@example.org";
  e.ret = "HDRS";
  e.envid = "x+2Bid";
  e.body = "8BITMIME";
  e.smtputf8 = true;
  e.received_at = 1790000000;
  e.received = "Received: from a\r\n\tby b; Tue, 1 Dec 2026 18:00:00 +0000\r\n";
  e.maildir_name = "1790000000.M1P2Q3.mx";
  e.data_length = 1234;
  e.data_crc = 0xdeadbeef;
  SpoolRecipient r1;
  r1.address = "bob@example.org";
  r1.notify = "SUCCESS,FAILURE";
  r1.orcpt = "rfc822;bob@example.org";
  r1.local.push_back({"bob@example.org", "/var/mail/bob dir", "", "bob@example.org"});
  r1.local.push_back({"bob@example.org", "/var/mail/bob dir", "tag", "bob+tag@example.org"});
  SpoolRecipient r2;
  r2.address = "carol@remote.example";
  r2.state = RcptState::deferred;
  r2.reason = "451 4.3.0 try again\r\nwith a second line %~";
  r2.attempts = 3;
  r2.next_attempt = 1790000600;
  e.recipients = {r1, r2};
  return e;
}

TEST(QueueRecord, RoundTripsEveryField) {
  SpoolEnvelope e = sample();
  std::string text = encode_record(e);
  std::string error;
  auto back = parse_record(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->mail_from, e.mail_from);
  EXPECT_EQ(back->helo, e.helo);
  EXPECT_EQ(back->peer_ip, e.peer_ip);
  EXPECT_EQ(back->auth_user, e.auth_user);
  EXPECT_EQ(back->ret, e.ret);
  EXPECT_EQ(back->envid, e.envid);
  EXPECT_EQ(back->body, e.body);
  EXPECT_TRUE(back->smtputf8);
  EXPECT_EQ(back->received_at, e.received_at);
  EXPECT_EQ(back->received, e.received);
  EXPECT_EQ(back->maildir_name, e.maildir_name);
  EXPECT_EQ(back->data_length, e.data_length);
  EXPECT_EQ(back->data_crc, 0xdeadbeefu);
  ASSERT_EQ(back->recipients.size(), 2u);
  EXPECT_EQ(back->recipients[0].notify, "SUCCESS,FAILURE");
  ASSERT_EQ(back->recipients[0].local.size(), 2u);
  EXPECT_EQ(back->recipients[0].local[0].maildir, "/var/mail/bob dir");
  EXPECT_EQ(back->recipients[0].local[1].folder, "tag");
  EXPECT_EQ(back->recipients[1].state, RcptState::deferred);
  EXPECT_EQ(back->recipients[1].reason, e.recipients[1].reason);
  EXPECT_EQ(back->recipients[1].attempts, 3u);
  EXPECT_EQ(back->recipients[1].next_attempt, 1790000600);
  EXPECT_TRUE(back->recipients[1].local.empty());
  EXPECT_FALSE(back->finished());
}

TEST(QueueRecord, EveryLineIsPrintable) {
  std::string text = encode_record(sample());
  for (char c : text) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << int(c);
}

TEST(QueueRecord, DamagedRecordsAreRefused) {
  std::string good = encode_record(sample());
  std::string error;
  EXPECT_FALSE(parse_record(good.substr(0, good.size() - 4), error));  // no end line
  EXPECT_FALSE(parse_record("estafeta-spool 2\nend\n", error));
  EXPECT_FALSE(parse_record("estafeta-spool 1\nend\n", error));  // no id
  EXPECT_EQ(error, "record has no id");
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\nbogus 1\nend\n", error));
  EXPECT_NE(error.find("bogus"), std::string::npos);
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\ntarget a b c d\nend\n", error));
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\nrcpt weird 0 0 a ~ ~ ~\nend\n", error));
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x%G1\nend\n", error));
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\nend\nid y\n", error));
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\ndata-length -1\nend\n", error));
}

TEST(QueueRecord, RemoteStateRoundTrips) {
  SpoolEnvelope e = sample();
  e.recipients[1].remote_host = "mx1.remote.example";
  e.recipients[1].reply_lost = true;
  e.recipients[1].remote_reply = true;
  std::string text = encode_record(e);
  EXPECT_NE(text.find("\nremote lost,server mx1.remote.example\n"), std::string::npos);
  std::string error;
  auto back = parse_record(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_FALSE(back->recipients[0].reply_lost);
  EXPECT_TRUE(back->recipients[0].remote_host.empty());
  EXPECT_EQ(back->recipients[1].remote_host, "mx1.remote.example");
  EXPECT_TRUE(back->recipients[1].reply_lost);
  EXPECT_TRUE(back->recipients[1].remote_reply);
  EXPECT_FALSE(back->recipients[1].delay_notified);
  e.recipients[1] = SpoolRecipient{};
  e.recipients[1].address = "x@y";
  e.recipients[1].delay_notified = true;
  back = parse_record(encode_record(e), error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->recipients[1].delay_notified);
  EXPECT_TRUE(back->recipients[1].remote_host.empty());
}

TEST(QueueRecord, RecordsWithoutRemoteStateStayReadable) {
  // As written before the outbound queue existed: no "remote" lines.
  std::string old =
      "estafeta-spool 1\nid x\nrcpt deferred 2 1790000600 a@b.example ~ ~ 451%20busy\nend\n";
  std::string error;
  auto back = parse_record(old, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->recipients[0].attempts, 2u);
  EXPECT_FALSE(back->recipients[0].reply_lost);
  EXPECT_FALSE(back->recipients[0].remote_reply);
  // A record without remote state is written as before.
  EXPECT_EQ(encode_record(*back).find("remote"), std::string::npos);
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\nremote lost h\nend\n", error));
  EXPECT_FALSE(
      parse_record("estafeta-spool 1\nid x\nrcpt pending 0 0 a ~ ~ ~\nremote odd h\nend\n", error));
}

TEST(QueueRecord, RequireTlsRoundTripsAndOldRecordsReadWithoutIt) {  // RFC 8689
  SpoolEnvelope e = sample();
  EXPECT_EQ(encode_record(e).find("requiretls"), std::string::npos);  // as before when unset
  e.requiretls = true;
  std::string error;
  auto back = parse_record(encode_record(e), error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->requiretls);
  back = parse_record("estafeta-spool 1\nid x\nsmtputf8 0\nend\n", error);
  ASSERT_TRUE(back) << error;
  EXPECT_FALSE(back->requiretls);
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\nrequiretls 2\nend\n", error));
}

TEST(QueueRecord, PerRecipientSenderRoundTrips) {
  SpoolEnvelope e = sample();
  e.recipients[1].sender = "SRS0=ABCDE=AA=example.org=john doe@fwd.example";
  e.recipients[1].via = "alias list@example.org";
  std::string error;
  auto back = parse_record(encode_record(e), error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->recipients[0].sender.empty());
  EXPECT_TRUE(back->recipients[0].via.empty());
  EXPECT_EQ(back->recipients[1].sender, e.recipients[1].sender);
  EXPECT_EQ(back->recipients[1].via, e.recipients[1].via);
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\nvia a@b\nend\n", error));
  // Records without a "sender" line (all older ones) read as "the message's sender", and
  // such recipients are written without one.
  std::string old = "estafeta-spool 1\nid x\nrcpt pending 0 0 a@b.example ~ ~ ~\nend\n";
  back = parse_record(old, error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->recipients[0].sender.empty());
  EXPECT_EQ(encode_record(*back).find("sender"), std::string::npos);
  EXPECT_FALSE(parse_record("estafeta-spool 1\nid x\nsender a@b\nend\n", error));
  EXPECT_FALSE(
      parse_record("estafeta-spool 1\nid x\nrcpt pending 0 0 a ~ ~ ~\nsender a b\nend\n", error));
}

TEST(QueueRecord, OversizedRecordsAreRefused) {
  std::string error;
  std::string big = "estafeta-spool 1\nid x\nhelo " + std::string(kMaxRecord, 'a') + "\nend\n";
  EXPECT_FALSE(parse_record(big, error));
  EXPECT_EQ(error, "record too large");
  Trailer t{0, static_cast<std::uint32_t>(kMaxRecord + 1), 0};
  auto bytes = encode_trailer(t);
  EXPECT_FALSE(parse_trailer(std::string_view(bytes.data(), bytes.size())));
}

TEST(QueueRecord, EscapingIsReversible) {
  for (std::string v : {std::string(""), std::string("~"), std::string("%"), std::string("a b"),
                        std::string("\x00\x01\xff", 3), std::string("plain")}) {
    auto back = unescape_value(escape_value(v));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, v);
  }
  EXPECT_FALSE(unescape_value(""));
  EXPECT_FALSE(unescape_value("%4"));
  EXPECT_FALSE(unescape_value("a b"));
}

TEST(QueueRecord, TrailerRoundTripAndDamage) {
  Trailer t{12345, 678, 0x0123456789abcdefULL};
  auto bytes = encode_trailer(t);
  auto back = parse_trailer(std::string_view(bytes.data(), bytes.size()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->record_offset, 12345u);
  EXPECT_EQ(back->record_length, 678u);
  EXPECT_EQ(back->mac, 0x0123456789abcdefULL);
  bytes[3] ^= 1;
  EXPECT_FALSE(parse_trailer(std::string_view(bytes.data(), bytes.size())));
  EXPECT_FALSE(parse_trailer("short"));
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(crc32("56789", crc32("1234")), 0xCBF43926u);
}

TEST(QueueRecord, SipHashReferenceVectors) {
  SpoolKey key;
  for (int i = 0; i < 16; ++i) key[i] = static_cast<std::uint8_t>(i);
  std::string msg;
  for (int i = 0; i < 15; ++i) msg += static_cast<char>(i);
  EXPECT_EQ(siphash24(key, ""), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(siphash24(key, msg), 0xa129ca6149be45e5ULL);
  key[0] ^= 1;
  EXPECT_NE(siphash24(key, msg), 0xa129ca6149be45e5ULL);
}

}  // namespace
}  // namespace estafeta::queue
