// queue_retry_schedule_test: the pure decisions of the outbound queue: Postfix's backoff
// (300 s doubling to 4000 s), destination domains (case, address literals, quoted local
// parts), NOTIFY parsing, and what one reply makes of a recipient (expiry, lost replies,
// delay notices, the reply line kept as the reason).
#include "queue/queue_retry_schedule.hpp"

#include <gtest/gtest.h>

namespace estafeta::queue {
namespace {

TEST(RetrySchedule, BackoffDoublesUpToTheMaximum) {
  RetryPolicy p;
  EXPECT_EQ(backoff_seconds(1, p), 300);
  EXPECT_EQ(backoff_seconds(2, p), 600);
  EXPECT_EQ(backoff_seconds(3, p), 1200);
  EXPECT_EQ(backoff_seconds(4, p), 2400);
  EXPECT_EQ(backoff_seconds(5, p), 4000);
  EXPECT_EQ(backoff_seconds(1000000, p), 4000);
  EXPECT_EQ(backoff_seconds(0, p), 300);
  p.max_backoff = std::chrono::seconds(10);  // below the first: the first wins
  EXPECT_EQ(backoff_seconds(3, p), 300);
}

TEST(RetrySchedule, DestinationDomains) {
  EXPECT_EQ(destination_domain("bob@Example.ORG"), "example.org");
  EXPECT_EQ(destination_domain("\"a@b\"@example.org"), "example.org");
  EXPECT_EQ(destination_domain("bob@[192.0.2.1]"), "[192.0.2.1]");
  EXPECT_EQ(destination_domain("bob@[IPv6:2001:DB8::1]"), "[ipv6:2001:db8::1]");
  EXPECT_EQ(destination_domain("bob@example.org."), "example.org");
  EXPECT_EQ(destination_domain("postmaster"), "");
  EXPECT_EQ(destination_domain("bob@"), "");
}

TEST(RetrySchedule, Notify) {
  EXPECT_TRUE(notify_wants("", NotifyOn::failure));
  EXPECT_TRUE(notify_wants("", NotifyOn::delay));
  EXPECT_FALSE(notify_wants("", NotifyOn::success));
  EXPECT_FALSE(notify_wants("NEVER", NotifyOn::failure));
  EXPECT_FALSE(notify_wants("never", NotifyOn::delay));
  EXPECT_TRUE(notify_wants("success,Failure", NotifyOn::failure));
  EXPECT_TRUE(notify_wants("SUCCESS,FAILURE", NotifyOn::success));
  EXPECT_FALSE(notify_wants("SUCCESS,FAILURE", NotifyOn::delay));
  EXPECT_TRUE(notify_wants("DELAY", NotifyOn::delay));
}

RemoteReply deferred() {
  RemoteReply r;
  r.kind = RemoteReply::Kind::deferred;
  r.code = 421;
  r.enhanced = "4.7.0";
  r.text = "try later";
  r.from_server = true;
  r.remote_host = "mx.example";
  return r;
}

TEST(RetrySchedule, ADeferralSchedulesTheNextTry) {
  RetryPolicy p;
  SpoolRecipient r;
  r.address = "a@example.org";
  auto o = apply_reply(r, deferred(), 1000, 900, p);
  EXPECT_EQ(o.kind, RcptOutcome::Kind::deferred);
  EXPECT_FALSE(o.notice);
  EXPECT_EQ(r.state, RcptState::deferred);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_EQ(r.next_attempt, 1300);
  EXPECT_EQ(r.reason, "421 4.7.0 try later");
  EXPECT_EQ(r.remote_host, "mx.example");
  o = apply_reply(r, deferred(), 1300, 900, p);
  EXPECT_EQ(r.next_attempt, 1900);
}

TEST(RetrySchedule, ExpiryFailsTheRecipient) {
  RetryPolicy p;
  p.max_lifetime = std::chrono::seconds(1000);
  SpoolRecipient r;
  auto o = apply_reply(r, deferred(), 1800, 1000, p);
  EXPECT_EQ(r.next_attempt, 2000);  // the last try is at the expiry, not past it
  o = apply_reply(r, deferred(), 2000, 1000, p);
  EXPECT_EQ(o.kind, RcptOutcome::Kind::failed);
  EXPECT_EQ(r.state, RcptState::failed);
  EXPECT_EQ(o.dsn.status, "4.4.7");
  EXPECT_EQ(o.dsn.action, mime::DsnAction::failed);
  EXPECT_EQ(o.dsn.diagnostic_code, "421 4.7.0 try later");
  EXPECT_EQ(r.reason.rfind("4.4.7 message expired", 0), 0u);
  EXPECT_TRUE(o.notice);
}

TEST(RetrySchedule, OwnFailuresAreNotCalledServerReplies) {
  RetryPolicy p;
  SpoolRecipient r;
  RemoteReply rr;
  rr.kind = RemoteReply::Kind::bounced;
  rr.enhanced = "5.1.10";
  rr.text = "null MX";
  auto o = apply_reply(r, rr, 10, 10, p);
  EXPECT_EQ(o.dsn.diagnostic_code, "5.1.10 null MX");
  EXPECT_EQ(o.dsn.diagnostic_type, "X-Estafeta");  // no SMTP reply (RFC 3464 §2.3.6)
  EXPECT_EQ(o.dsn.status, "5.1.10");
  EXPECT_FALSE(r.remote_reply);
  rr.enhanced.clear();
  o = apply_reply(r, rr, 10, 10, p);
  EXPECT_EQ(o.dsn.status, "5.0.0");
}

TEST(RetrySchedule, DelayNoticeOnceWhenAllowed) {
  RetryPolicy p;
  SpoolRecipient r;
  auto o = apply_reply(r, deferred(), 4 * 3600, 1, p);
  EXPECT_FALSE(o.notice);
  o = apply_reply(r, deferred(), 4 * 3600 + 1, 1, p);
  EXPECT_TRUE(o.notice);
  EXPECT_EQ(o.dsn.action, mime::DsnAction::delayed);
  EXPECT_TRUE(r.delay_notified);
  o = apply_reply(r, deferred(), 5 * 3600, 1, p);
  EXPECT_FALSE(o.notice);
  SpoolRecipient quiet;
  quiet.notify = "FAILURE";
  EXPECT_FALSE(apply_reply(quiet, deferred(), 5 * 3600, 1, p).notice);
  p.delay_warning = std::chrono::seconds(0);
  SpoolRecipient off;
  EXPECT_FALSE(apply_reply(off, deferred(), 5 * 3600, 1, p).notice);
}

TEST(RetrySchedule, ALostReplyIsRetriedOnce) {
  RetryPolicy p;
  SpoolRecipient r;
  RemoteReply lost = deferred();
  lost.final_reply_lost = true;
  EXPECT_EQ(apply_reply(r, lost, 10, 10, p).kind, RcptOutcome::Kind::deferred);
  EXPECT_TRUE(r.reply_lost);
  // An ordinary deferral meanwhile (nothing was sent) keeps the one retry.
  EXPECT_EQ(apply_reply(r, deferred(), 20, 10, p).kind, RcptOutcome::Kind::deferred);
  auto o = apply_reply(r, lost, 30, 10, p);
  EXPECT_EQ(o.kind, RcptOutcome::Kind::failed);
  EXPECT_EQ(o.dsn.status, "4.4.2");
}

TEST(RetrySchedule, ReplyLine) {
  RemoteReply r;
  EXPECT_EQ(reply_line(r), "no reply");
  r.enhanced = "4.4.1";
  r.text = "connection refused";
  EXPECT_EQ(reply_line(r), "4.4.1 connection refused");
  r.code = 421;
  EXPECT_EQ(reply_line(r), "421 4.4.1 connection refused");
}

}  // namespace
}  // namespace estafeta::queue
