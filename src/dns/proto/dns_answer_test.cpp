// dns_answer_test: typed views (MX, addresses, TLSA, TXT) keep well-formed records and count
// malformed ones; the DANE decision per answer status and security (RFC 7672 §2.2).
#include "dns/proto/dns_answer.hpp"

#include <gtest/gtest.h>

namespace estafeta::dns {
namespace {

TEST(DnsAnswer, TlsaName) {
  EXPECT_EQ(tlsa_name("MX.Example.com."), "_25._tcp.mx.example.com");
  EXPECT_EQ(tlsa_name("smtp.example", 587), "_587._tcp.smtp.example");
}

TEST(DnsAnswer, TypedViews) {
  Answer a;
  a.status = AnswerStatus::data;
  a.secure = true;
  a.canonical_name = "x.example";
  a.rdata = {std::string("\0\x0a\x02mx\x01x\x07"
                         "example\0",
                         16),
             "bad"};
  auto mx = to_mx(a);
  ASSERT_EQ(mx.records.size(), 1u);
  EXPECT_EQ(mx.records[0].exchange, "mx.x.example");
  EXPECT_EQ(mx.records[0].preference, 10);
  EXPECT_EQ(mx.malformed, 1u);
  EXPECT_TRUE(mx.secure);
  EXPECT_EQ(mx.canonical_name, "x.example");

  a.rdata = {std::string("\x7f\0\0\x01", 4), "12345"};
  auto v4 = to_addresses(a, RecordType::a);
  ASSERT_EQ(v4.records.size(), 1u);
  EXPECT_EQ(v4.records[0].to_string(), "127.0.0.1");
  EXPECT_EQ(v4.malformed, 1u);
  EXPECT_EQ(to_addresses(a, RecordType::aaaa).records.size(), 0u);

  a.rdata = {std::string("\x03v=S\x04TSv1", 9)};
  auto txt = to_txt(a);
  ASSERT_EQ(txt.records.size(), 1u);
  EXPECT_EQ(txt.records[0], "v=STSv1");

  a.rdata = {std::string("\x03\x01\x01\xaa\xbb", 5)};
  auto tlsa = to_tlsa(a);
  ASSERT_EQ(tlsa.records.size(), 1u);
  EXPECT_EQ(tlsa.records[0].data, "\xaa\xbb");
  EXPECT_EQ(dane_state(tlsa), DaneState::usable);
}

TEST(DnsAnswer, DaneState) {
  Answer a;
  a.rdata = {std::string("\x03\x01\x01\xaa", 4)};
  a.status = AnswerStatus::data;
  a.secure = false;
  EXPECT_EQ(dane_state(to_tlsa(a)), DaneState::none);  // insecure: no DANE
  a.status = AnswerStatus::bogus;
  EXPECT_EQ(dane_state(to_tlsa(a)), DaneState::defer);
  a.status = AnswerStatus::temporary;
  EXPECT_EQ(dane_state(to_tlsa(a)), DaneState::defer);
  a.status = AnswerStatus::nodata;
  a.secure = true;
  EXPECT_EQ(dane_state(to_tlsa(a)), DaneState::none);
  a.status = AnswerStatus::nxdomain;
  EXPECT_EQ(dane_state(to_tlsa(a)), DaneState::none);
  EXPECT_TRUE(to_tlsa(a).records.empty());  // no records kept from a non-data answer
}

}  // namespace
}  // namespace estafeta::dns
