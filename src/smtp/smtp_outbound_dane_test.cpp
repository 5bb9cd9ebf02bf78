// smtp_outbound_dane_test: the DANE decisions (RFC 7672) from TLSA answers: secure usable
// records authenticate, PKIX usages and odd selectors/matching types are unusable (then TLS
// without authentication), insecure or absent records leave opportunistic TLS, a bogus or
// failed lookup defers the host; TLSA is asked only when the MX and address were secure.
#include "smtp/smtp_outbound_dane.hpp"

#include <gtest/gtest.h>

namespace estafeta::smtp {
namespace {

using Mode = DanePolicy::Mode;

dns::TlsaAnswer secure(std::vector<dns::TlsaRecord> records) {
  dns::TlsaAnswer a;
  a.status = dns::AnswerStatus::data;
  a.secure = true;
  a.records = std::move(records);
  return a;
}

TEST(OutboundDane, AppliesOnlyWhenMxAndAddressAreSecure) {
  EXPECT_TRUE(dane_applies(true, true));
  EXPECT_FALSE(dane_applies(false, true));
  EXPECT_FALSE(dane_applies(true, false));
}

TEST(OutboundDane, UsableRecords) {
  EXPECT_TRUE(dane_usable({3, 1, 1, std::string(32, 'x')}));
  EXPECT_TRUE(dane_usable({2, 0, 2, std::string(64, 'x')}));
  EXPECT_TRUE(dane_usable({3, 0, 0, "DER"}));
  EXPECT_FALSE(dane_usable({1, 1, 1, std::string(32, 'x')}));  // PKIX-EE
  EXPECT_FALSE(dane_usable({0, 1, 1, std::string(32, 'x')}));  // PKIX-TA
  EXPECT_FALSE(dane_usable({3, 2, 1, std::string(32, 'x')}));  // unknown selector
  EXPECT_FALSE(dane_usable({3, 1, 3, std::string(32, 'x')}));  // unknown matching type
  EXPECT_FALSE(dane_usable({3, 1, 1, std::string(31, 'x')}));  // wrong digest length
  EXPECT_FALSE(dane_usable({3, 1, 2, std::string(32, 'x')}));
  EXPECT_FALSE(dane_usable({3, 0, 0, ""}));
}

TEST(OutboundDane, SecureUsableRecordsAuthenticate) {
  auto p = dane_policy("mx.example", secure({{1, 1, 1, std::string(32, 'a')},
                                             {3, 1, 1, std::string(32, 'b')},
                                             {2, 0, 2, std::string(64, 'c')}}));
  EXPECT_EQ(p.mode, Mode::authenticate);
  ASSERT_EQ(p.records.size(), 2u);  // the PKIX-EE record is left out
  EXPECT_EQ(p.records[0].usage, 3);
  EXPECT_EQ(p.records[0].data, std::string(32, 'b'));
  EXPECT_EQ(p.records[1].usage, 2);
  EXPECT_EQ(p.records[1].matching_type, 2);
}

TEST(OutboundDane, OnlyUnusableRecordsStillRequireTls) {
  auto p = dane_policy("mx.example", secure({{1, 1, 1, std::string(32, 'a')}}));
  EXPECT_EQ(p.mode, Mode::encrypt);
  EXPECT_TRUE(p.records.empty());
  EXPECT_NE(p.reason.find("_25._tcp.mx.example"), std::string::npos) << p.reason;
}

TEST(OutboundDane, InsecureOrAbsentMeansNoDane) {
  auto a = secure({{3, 1, 1, std::string(32, 'b')}});
  a.secure = false;
  EXPECT_EQ(dane_policy("mx.example", a).mode, Mode::none);
  dns::TlsaAnswer none;
  none.status = dns::AnswerStatus::nxdomain;
  none.secure = true;
  EXPECT_EQ(dane_policy("mx.example", none).mode, Mode::none);
  none.status = dns::AnswerStatus::nodata;
  EXPECT_EQ(dane_policy("mx.example", none).mode, Mode::none);
}

TEST(OutboundDane, BogusOrFailedLookupDefers) {
  dns::TlsaAnswer a;
  a.status = dns::AnswerStatus::bogus;
  a.error = "validation failure";
  auto p = dane_policy("mx.example", a);
  EXPECT_EQ(p.mode, Mode::defer);
  EXPECT_NE(p.reason.find("validation failure"), std::string::npos) << p.reason;
  a.status = dns::AnswerStatus::temporary;
  a.error = "timeout";
  EXPECT_EQ(dane_policy("mx.example", a).mode, Mode::defer);
}

}  // namespace
}  // namespace estafeta::smtp
