// net_session_machine_test: the connection states and timeout rules with a fake clock and no
// sockets: the transition table, the command timeout counted from our last output, the data
// timeout per read, one data-rate grace per transaction (BDAT chunks do not restart it), the
// short timeout of evictable sessions under stress, and draining after a shutdown request.
#include "net/proto/net_session_machine.hpp"

#include <gtest/gtest.h>

namespace estafeta::net {
namespace {

using namespace std::chrono_literals;
using Clock = SessionMachine::Clock;
using S = SessionState;

struct Fixture {
  Clock::time_point t{};
  SessionTimeouts timeouts;
  SessionMachine m;
  explicit Fixture(SessionTimeouts to = {})
      : timeouts(to), m(to, "test", 1, [this] { return t; }) {}
  // The usual start: greeting written, now waiting for the first command.
  void to_reading() {
    ASSERT_TRUE(m.enter(S::greeting));
    ASSERT_TRUE(m.enter(S::dispatching));
    m.output_queued();
    ASSERT_TRUE(m.enter(S::writing));
    ASSERT_TRUE(m.enter(m.read_state()));
    m.read_started();
  }
};

TEST(SessionMachine, TransitionTable) {
  EXPECT_TRUE(SessionMachine::allowed(S::accepted, S::greeting));
  EXPECT_TRUE(SessionMachine::allowed(S::accepted, S::tls_handshake));
  EXPECT_TRUE(SessionMachine::allowed(S::reading, S::dispatching));
  EXPECT_TRUE(SessionMachine::allowed(S::dispatching, S::tls_handshake));
  EXPECT_TRUE(SessionMachine::allowed(S::tls_handshake, S::dispatching));
  EXPECT_TRUE(SessionMachine::allowed(S::closing, S::closed));
  // No reading before the greeting, no handshake while a read is pending, nothing after closed.
  EXPECT_FALSE(SessionMachine::allowed(S::accepted, S::reading));
  EXPECT_FALSE(SessionMachine::allowed(S::reading, S::tls_handshake));
  EXPECT_FALSE(SessionMachine::allowed(S::reading, S::writing));
  EXPECT_FALSE(SessionMachine::allowed(S::closing, S::reading));
  for (int to = 0; to <= static_cast<int>(S::closed); ++to)
    EXPECT_FALSE(SessionMachine::allowed(S::closed, static_cast<S>(to)));
}

TEST(SessionMachine, EnterFollowsTheTable) {
  Fixture f;
  EXPECT_EQ(f.m.state(), S::accepted);
  EXPECT_TRUE(f.m.enter(S::greeting));
  EXPECT_EQ(f.m.state(), S::greeting);
  EXPECT_TRUE(f.m.enter(S::dispatching));
  EXPECT_TRUE(f.m.enter(S::closing));
  EXPECT_TRUE(f.m.enter(S::closed));
  EXPECT_EQ(state_name(f.m.state()), "closed");
}

TEST(SessionMachine, NoDeadlineWhileTheProtocolWorks) {
  Fixture f;
  ASSERT_TRUE(f.m.enter(S::greeting));
  ASSERT_TRUE(f.m.enter(S::dispatching));
  EXPECT_EQ(f.m.deadline(false), Clock::time_point::max());
  f.t += 10000s;  // a slow worker pool is not the peer's fault
  EXPECT_EQ(f.m.expired(false), Expiry::none);
}

TEST(SessionMachine, CommandTimeoutCountsFromOurLastOutput) {
  Fixture f;
  f.to_reading();
  EXPECT_EQ(f.m.deadline(false), Clock::time_point{} + 300s);
  // Part of a command arrives; the clock goes on (it bounds the whole command).
  f.t += 200s;
  ASSERT_TRUE(f.m.enter(S::dispatching));
  f.m.received(3);
  ASSERT_TRUE(f.m.enter(S::reading));
  f.m.read_started();
  EXPECT_EQ(f.m.deadline(false), Clock::time_point{} + 300s);
  f.t += 99s;
  EXPECT_EQ(f.m.expired(false), Expiry::none);
  f.t += 1s;
  EXPECT_EQ(f.m.expired(false), Expiry::timeout);
  // After a reply the next command gets its full time again.
  ASSERT_TRUE(f.m.enter(S::dispatching));
  f.m.output_queued();
  ASSERT_TRUE(f.m.enter(S::writing));
  ASSERT_TRUE(f.m.enter(S::reading));
  f.m.read_started();
  EXPECT_EQ(f.m.deadline(false), f.t + 300s);
}

TEST(SessionMachine, WriteAndHandshakeAreBounded) {
  Fixture f;
  ASSERT_TRUE(f.m.enter(S::tls_handshake));
  EXPECT_EQ(f.m.deadline(false), f.t + f.timeouts.write);
  f.t += f.timeouts.write;
  EXPECT_EQ(f.m.expired(false), Expiry::timeout);
}

TEST(SessionMachine, DataTimeoutIsPerRead) {
  SessionTimeouts to;
  to.min_data_rate = 0;
  Fixture f(to);
  f.to_reading();
  f.m.update({Phase::data, true, false});
  f.t += 100s;
  f.m.read_started();
  EXPECT_EQ(f.m.deadline(false), f.t + 180s);
  f.t += 179s;
  EXPECT_EQ(f.m.expired(false), Expiry::none);
  f.m.received(10);
  f.m.read_started();  // the next block gets 180 s again
  f.t += 179s;
  EXPECT_EQ(f.m.expired(false), Expiry::none);
  f.t += 1s;
  EXPECT_EQ(f.m.expired(false), Expiry::timeout);
}

TEST(SessionMachine, MinimumRateAfterGrace) {
  Fixture f;  // 1024 octets/s after 30 s
  f.to_reading();
  f.m.update({Phase::data, true, false});
  EXPECT_TRUE(f.m.rate_active());
  f.m.received(1024 * 40);
  f.t += 39s;
  f.m.read_started();
  EXPECT_EQ(f.m.expired(false), Expiry::none);
  f.t += 1s;
  EXPECT_EQ(f.m.expired(false), Expiry::too_slow);
}

// Today's fix: a client sending tiny BDAT chunks went back to the command phase between them,
// and each new chunk restarted the grace period, so it could trickle forever.
TEST(SessionMachine, BdatChunksShareOneGracePeriod) {
  Fixture f;
  f.to_reading();
  f.m.update({Phase::command, true, false});  // MAIL, RCPT
  EXPECT_FALSE(f.m.rate_active());
  for (int chunk = 0; chunk < 5; ++chunk) {
    f.m.update({Phase::data, true, false});  // BDAT 1
    f.m.received(1);
    f.t += 7s;
    f.m.update({Phase::command, true, false});  // 250, waiting for the next BDAT
    f.m.read_started();
    EXPECT_TRUE(f.m.rate_active());
  }
  // 35 s into the transaction with 5 octets: too slow, although the last chunk began 7 s ago.
  EXPECT_EQ(f.m.expired(false), Expiry::too_slow);
  // The transaction ends: no rate applies to the next commands, and the next transaction
  // gets its own grace.
  f.m.update({Phase::command, false, false});
  EXPECT_FALSE(f.m.rate_active());
  EXPECT_EQ(f.m.expired(false), Expiry::none);
  f.m.update({Phase::data, true, false});
  EXPECT_EQ(f.m.deadline(false), std::min(f.t + 30s, f.t + 180s));
}

// A chunk read whole in one step never shows Phase::data: the protocol's data_started still
// starts the one measurement of the transaction.
TEST(SessionMachine, ChunksReadWholeStillStartTheRate) {
  Fixture f;
  f.to_reading();
  for (int chunk = 0; chunk < 5; ++chunk) {
    f.m.update({Phase::command, true, false, true});  // "BDAT 10" and its 10 octets, answered
    f.m.received(19);
    f.t += 7s;
    f.m.read_started();
    EXPECT_TRUE(f.m.rate_active());
  }
  EXPECT_EQ(f.m.expired(false), Expiry::too_slow);
  f.m.update({Phase::command, false, false, false});  // RSET
  EXPECT_FALSE(f.m.rate_active());
}

TEST(SessionMachine, StressShortensTheTimeoutOfEvictableSessionsOnly) {
  Fixture f;
  f.to_reading();
  f.m.update({Phase::command, false, true});
  EXPECT_EQ(f.m.deadline(false), f.t + 300s);
  EXPECT_EQ(f.m.deadline(true), f.t + 10s);
  f.t += 10s;
  EXPECT_EQ(f.m.expired(false), Expiry::none);
  EXPECT_EQ(f.m.expired(true), Expiry::timeout);
  // Authenticated or in a transaction: the full timeout even under stress.
  f.m.update({Phase::command, true, false});
  EXPECT_EQ(f.m.expired(true), Expiry::none);
  EXPECT_EQ(f.m.deadline(true), Clock::time_point{} + 300s);
}

TEST(SessionMachine, IdlePhaseUsesTheIdleTimeout) {
  Fixture f;
  f.to_reading();
  f.m.update({Phase::idle, false, false});
  EXPECT_EQ(f.m.deadline(true), f.t + 1800s);
}

TEST(SessionMachine, ShutdownTurnsReadingIntoDraining) {
  Fixture f;
  f.to_reading();
  EXPECT_EQ(f.m.read_state(), S::reading);
  f.m.request_shutdown();
  EXPECT_EQ(f.m.read_state(), S::draining);
  ASSERT_TRUE(f.m.enter(S::draining));
  ASSERT_TRUE(f.m.enter(S::dispatching));
  ASSERT_TRUE(f.m.enter(S::writing));
  EXPECT_FALSE(SessionMachine::allowed(S::draining, S::reading));
  ASSERT_TRUE(f.m.enter(S::closing));
  EXPECT_EQ(f.m.deadline(false), f.t + 2s);
  ASSERT_TRUE(f.m.enter(S::closed));
}

}  // namespace
}  // namespace estafeta::net
