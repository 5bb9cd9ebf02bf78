// dns_rdata_test: MX/TLSA/TXT/A/AAAA rdata parsed, malformed rdata (truncated, trailing
// octets, pointers, long labels and names) refused at every cut, names escaped and
// normalized, host-name and address-text checks.
#include "dns/proto/dns_rdata.hpp"

#include <gtest/gtest.h>

namespace estafeta::dns {
namespace {

std::string name_wire(std::initializer_list<std::string> labels) {
  std::string out;
  for (auto& l : labels) {
    out += static_cast<char>(l.size());
    out += l;
  }
  out += '\0';
  return out;
}

std::string mx_wire(std::uint16_t pref, std::initializer_list<std::string> labels) {
  std::string out;
  out += static_cast<char>(pref >> 8);
  out += static_cast<char>(pref & 0xff);
  return out + name_wire(labels);
}

TEST(DnsRdata, Mx) {
  auto mx = parse_mx(mx_wire(10, {"MX1", "Example", "com"}));
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->exchange, "mx1.example.com");
  EXPECT_FALSE(mx->is_null_mx());
  auto big = parse_mx(mx_wire(65535, {"a"}));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->preference, 65535);
}

TEST(DnsRdata, NullMx) {
  // RFC 7505 §3: preference 0, exchange the root (a single zero octet).
  auto mx = parse_mx(std::string("\0\0\0", 3));
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->exchange, ".");
  EXPECT_TRUE(mx->is_null_mx());
}

TEST(DnsRdata, MxMalformedAtEveryCut) {
  std::string w = mx_wire(5, {"mail", "example", "org"});
  for (std::size_t n = 0; n < w.size(); ++n) EXPECT_FALSE(parse_mx(w.substr(0, n))) << n;
  EXPECT_FALSE(parse_mx(w + "x"));  // trailing octet
  // Compression pointer (RFC 1035 §4.1.4) is refused: no message to point into.
  EXPECT_FALSE(parse_mx(std::string("\0\1\xc0\x0c", 4)));
  // Reserved label types 0x40/0x80.
  EXPECT_FALSE(parse_mx(std::string("\0\1\x41", 3)));
}

TEST(DnsRdata, NameBounds) {
  std::string label63(63, 'a');
  std::string ok = name_wire({label63, label63, label63, std::string(61, 'b')});  // 255 octets
  ASSERT_EQ(ok.size(), 255u);
  std::size_t pos = 0;
  EXPECT_TRUE(read_name(ok, pos));
  std::string too_long = name_wire({label63, label63, label63, std::string(62, 'b')});  // 256
  pos = 0;
  EXPECT_FALSE(read_name(too_long, pos));
  // A 64-octet label cannot even be encoded (0x40 is a reserved type): refused.
  std::string l64 = std::string(1, '\x40') + std::string(64, 'a') + std::string(1, '\0');
  pos = 0;
  EXPECT_FALSE(read_name(l64, pos));
}

TEST(DnsRdata, NameEscapes) {
  std::string w = name_wire({std::string("a.b"), std::string("c\\d"), std::string("\x01 ", 2)});
  std::size_t pos = 0;
  auto n = read_name(w, pos);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, "a\\.b.c\\\\d.\\001\\032");
  EXPECT_EQ(pos, w.size());
  EXPECT_FALSE(is_host_name(*n));
}

TEST(DnsRdata, Tlsa) {
  std::string rd("\x03\x01\x01", 3);
  rd += std::string(32, '\xab');
  auto t = parse_tlsa(rd);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->usage, 3);
  EXPECT_EQ(t->selector, 1);
  EXPECT_EQ(t->matching_type, 1);
  EXPECT_EQ(t->data, std::string(32, '\xab'));
  for (std::size_t n = 0; n < 4; ++n) EXPECT_FALSE(parse_tlsa(rd.substr(0, n))) << n;
}

TEST(DnsRdata, Txt) {
  std::string rd;
  for (std::string part : {"v=STSv", "1; id=20260", "1"}) {
    rd += static_cast<char>(part.size());
    rd += part;
  }
  auto parts = parse_txt(rd);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0], "v=STSv");
  EXPECT_EQ(*txt_joined(rd), "v=STSv1; id=202601");
  EXPECT_FALSE(parse_txt(""));
  EXPECT_FALSE(
      parse_txt("\x05"
                "abc"));                         // length past the end
  auto empty = parse_txt(std::string(1, '\0'));  // one empty string is valid
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->size(), 1u);
}

TEST(DnsRdata, Addresses) {
  auto a = parse_a(std::string("\xc0\x00\x02\x01", 4));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "192.0.2.1");
  EXPECT_FALSE(a->is_v6());
  EXPECT_FALSE(parse_a("abc"));
  EXPECT_FALSE(parse_a("abcde"));
  std::string six(16, '\0');
  six[0] = '\x20';
  six[1] = '\x01';
  six[2] = '\x0d';
  six[3] = '\xb8';
  six[15] = '\x01';
  auto b = parse_aaaa(six);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->to_string(), "2001:db8::1");
  EXPECT_TRUE(b->is_v6());
  EXPECT_FALSE(parse_aaaa(six.substr(1)));
  EXPECT_EQ(IpAddress::parse("2001:db8::1"), b);
  EXPECT_EQ(IpAddress::parse("192.0.2.1"), a);
  EXPECT_FALSE(IpAddress::parse("192.0.2"));
  EXPECT_FALSE(IpAddress::parse("[::1]"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_TRUE(IpAddress::parse("0.1.2.3")->is_unspecified());
  EXPECT_TRUE(IpAddress::parse("::")->is_unspecified());
  EXPECT_FALSE(IpAddress::parse("::1")->is_unspecified());
}

TEST(DnsRdata, HostNames) {
  EXPECT_TRUE(is_host_name("mx.example.com"));
  EXPECT_TRUE(is_host_name("localhost"));
  EXPECT_TRUE(is_host_name("_dmarc.example.com"));
  EXPECT_TRUE(is_host_name("1and1.com"));
  EXPECT_FALSE(is_host_name(""));
  EXPECT_FALSE(is_host_name("."));
  EXPECT_FALSE(is_host_name("a..b"));
  EXPECT_FALSE(is_host_name(".a"));
  EXPECT_FALSE(is_host_name("-a.com"));
  EXPECT_FALSE(is_host_name("a-.com"));
  EXPECT_FALSE(is_host_name("192.0.2.1"));
  EXPECT_FALSE(is_host_name("a b.com"));
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".com"));
  EXPECT_EQ(normalize_name("MX.Example.COM."), "mx.example.com");
  EXPECT_EQ(normalize_name("."), ".");
}

}  // namespace
}  // namespace estafeta::dns
