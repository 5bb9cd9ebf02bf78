// queue_srs_test: SRS0/SRS1 round trips, case-insensitive checks, expiry and the 1024-day wrap,
// tampered and foreign-key hashes, malformed input.
#include "queue/proto/queue_srs.hpp"

#include <gtest/gtest.h>

namespace estafeta::queue {
namespace {

using S = SrsReversal::Status;

SrsKey key(std::uint8_t seed) {
  SrsKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + i);
  return k;
}

constexpr std::int64_t kNow = 1796212800;  // 2026-12-02
constexpr std::int64_t kDay = 86400;

std::string local_of(const std::string& a) {
  return a.substr(0, a.rfind('@'));
}

TEST(SrsTest, Srs0RoundTrip) {
  auto f = srs_forward(key(1), "Alice.Smith@Sender.example", "fwd.example", kNow);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rfind("SRS0=", 0), 0u);
  EXPECT_NE(f->find("=Sender.example=Alice.Smith@fwd.example"), std::string::npos);
  auto r = srs_reverse(key(1), local_of(*f), kNow + 3 * kDay);
  EXPECT_EQ(r.status, S::ok);
  EXPECT_EQ(r.address, "Alice.Smith@Sender.example");
}

TEST(SrsTest, LocalPartWithSeparators) {
  auto f = srs_forward(key(1), "a=b+c-d@x.example", "fwd.example", kNow);
  ASSERT_TRUE(f);
  auto r = srs_reverse(key(1), local_of(*f), kNow);
  EXPECT_EQ(r.status, S::ok);
  EXPECT_EQ(r.address, "a=b+c-d@x.example");
}

TEST(SrsTest, CaseInsensitive) {
  auto f = srs_forward(key(1), "bob@sender.example", "fwd.example", kNow);
  ASSERT_TRUE(f);
  std::string up = local_of(*f), down = up;
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (char& c : down) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(srs_reverse(key(1), up, kNow).status, S::ok);
  EXPECT_EQ(srs_reverse(key(1), down, kNow).status, S::ok);
  EXPECT_EQ(srs_reverse(key(1), down, kNow).address, "bob@sender.example");
}

TEST(SrsTest, Expiry) {
  auto f = srs_forward(key(1), "bob@sender.example", "fwd.example", kNow);
  ASSERT_TRUE(f);
  EXPECT_EQ(srs_reverse(key(1), local_of(*f), kNow + 21 * kDay).status, S::ok);
  EXPECT_EQ(srs_reverse(key(1), local_of(*f), kNow + 22 * kDay).status, S::expired);
  // From the future (a day number not yet reached): expired too.
  EXPECT_EQ(srs_reverse(key(1), local_of(*f), kNow - 2 * kDay).status, S::expired);
  // The day number wraps at 1024: an address made on day 1023 is fine on day 1024.
  const std::int64_t wrap = (1024 * 20 + 1023) * kDay + 100;
  auto w = srs_forward(key(1), "bob@sender.example", "fwd.example", wrap);
  ASSERT_TRUE(w);
  EXPECT_EQ(srs_reverse(key(1), local_of(*w), wrap + 2 * kDay).status, S::ok);
}

TEST(SrsTest, TamperAndForeignKey) {
  auto f = srs_forward(key(1), "bob@sender.example", "fwd.example", kNow);
  ASSERT_TRUE(f);
  std::string l = local_of(*f);
  EXPECT_EQ(srs_reverse(key(2), l, kNow).status, S::bad_hash);
  std::string other = l;
  other.replace(other.find("bob"), 3, "eve");
  EXPECT_EQ(srs_reverse(key(1), other, kNow).status, S::bad_hash);
  std::string hash = l;
  hash[5] = hash[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(srs_reverse(key(1), hash, kNow).status, S::bad_hash);
}

TEST(SrsTest, Srs1ForReforwarding) {
  // First forwarder (key 1), then a second one (key 2) forwards the SRS0 address again.
  auto s0 = srs_forward(key(1), "bob@sender.example", "first.example", kNow);
  ASSERT_TRUE(s0);
  auto s1 = srs_forward(key(2), *s0, "second.example", kNow);
  ASSERT_TRUE(s1);
  EXPECT_EQ(s1->rfind("SRS1=", 0), 0u);
  EXPECT_NE(s1->find("=first.example=="), std::string::npos);
  // A third forwarder keeps the first one and re-signs.
  auto s1b = srs_forward(key(3), *s1, "third.example", kNow);
  ASSERT_TRUE(s1b);
  EXPECT_EQ(s1b->rfind("SRS1=", 0), 0u);
  auto back3 = srs_reverse(key(3), local_of(*s1b), kNow);
  ASSERT_EQ(back3.status, S::ok);
  EXPECT_EQ(back3.address, *s0);
  auto back2 = srs_reverse(key(2), local_of(*s1), kNow);
  ASSERT_EQ(back2.status, S::ok);
  EXPECT_EQ(back2.address, *s0);
  auto back1 = srs_reverse(key(1), local_of(back2.address), kNow);
  ASSERT_EQ(back1.status, S::ok);
  EXPECT_EQ(back1.address, "bob@sender.example");
  EXPECT_EQ(srs_reverse(key(1), local_of(*s1), kNow).status, S::bad_hash);
}

TEST(SrsTest, NotForwardable) {
  EXPECT_FALSE(srs_forward(key(1), "", "fwd.example", kNow));
  EXPECT_FALSE(srs_forward(key(1), "no-domain", "fwd.example", kNow));
  EXPECT_FALSE(srs_forward(key(1), "@x.example", "fwd.example", kNow));
  EXPECT_FALSE(srs_forward(key(1), "a@", "fwd.example", kNow));
  EXPECT_FALSE(srs_forward(key(1), std::string(600, 'a') + "@x.example", "fwd.example", kNow));
}

TEST(SrsTest, MalformedAndOrdinary) {
  EXPECT_EQ(srs_reverse(key(1), "bob", kNow).status, S::not_srs);
  EXPECT_EQ(srs_reverse(key(1), "srs0", kNow).status, S::not_srs);
  EXPECT_EQ(srs_reverse(key(1), "srs2=a=b", kNow).status, S::not_srs);
  EXPECT_EQ(srs_reverse(key(1), "SRS0=", kNow).status, S::malformed);
  EXPECT_EQ(srs_reverse(key(1), "SRS0=HHHHH=TT=dom", kNow).status, S::malformed);
  EXPECT_EQ(srs_reverse(key(1), "SRS0=HHHHH=T=dom=bob", kNow).status, S::malformed);
  EXPECT_EQ(srs_reverse(key(1), "SRS0=HHHHH=T1=dom=bob", kNow).status, S::malformed);
  EXPECT_EQ(srs_reverse(key(1), "SRS0===dom=bob", kNow).status, S::malformed);
  EXPECT_EQ(srs_reverse(key(1), "SRS1=HHHHH=dom=", kNow).status, S::malformed);
  EXPECT_EQ(srs_reverse(key(1), "SRS1=HHHHH=dom=xbob", kNow).status, S::malformed);
  EXPECT_EQ(srs_reverse(key(1), "SRS0=" + std::string(600, 'a'), kNow).status, S::malformed);
  EXPECT_EQ(srs_reverse(key(1), "SRS0=HHHHH=AA=dom=bob", kNow).status, S::bad_hash);
}

}  // namespace
}  // namespace estafeta::queue
