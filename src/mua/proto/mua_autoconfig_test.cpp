// Tests for mua_autoconfig (XML reading, server choice, user names, HTTP responses) and
// mua_srv (RDATA, choice).
#include "mua/proto/mua_autoconfig.hpp"

#include <gtest/gtest.h>

#include "mua/proto/mua_srv.hpp"

namespace estafeta::mua {
namespace {

const char* kConfig = R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- a provider -->
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <displayName>Example &amp; Co</displayName>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname><![CDATA[imaps.example.org]]></hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>25</port>
      <socketType>plain</socketType>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
)";

TEST(Autoconfig, ReadsTheProvider) {
  auto r = parse_autoconfig(kConfig);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->provider_id, "example.org");
  EXPECT_EQ(r->domains, std::vector<std::string>{"example.org"});
  ASSERT_EQ(r->incoming.size(), 3u);
  EXPECT_EQ(r->incoming[2].hostname, "imaps.example.org");
  EXPECT_EQ(r->incoming[2].authentication.size(), 2u);
  ASSERT_EQ(r->outgoing.size(), 2u);
  EXPECT_EQ(choose_server(r->incoming, "imap"), 2);  // SSL before STARTTLS
  EXPECT_EQ(choose_server(r->incoming, "pop3"), 0);
  EXPECT_EQ(choose_server(r->outgoing, "smtp"), 1);  // never plain
  EXPECT_EQ(choose_server(r->outgoing, "imap"), -1);
}

TEST(Autoconfig, OAuthOnlyAndBadPortsAreSkipped) {
  auto r = parse_autoconfig(
      "<clientConfig><emailProvider id='x'><incomingServer type='IMAP'><hostname>h</hostname>"
      "<port>993</port><socketType>SSL</socketType><authentication>OAuth2</authentication>"
      "</incomingServer><incomingServer type='imap'><hostname>h2</hostname><port>99999</port>"
      "<socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>");
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->incoming[0].type, "imap");
  EXPECT_EQ(r->incoming[1].port, 0);
  EXPECT_EQ(choose_server(r->incoming, "imap"), -1);
}

TEST(Autoconfig, Malformed) {
  auto bad = [](const std::string& xml, const char* expect) {
    auto r = parse_autoconfig(xml);
    ASSERT_FALSE(r.ok()) << xml;
    EXPECT_NE(r.error().text.find(expect), std::string::npos) << r.error().text;
  };
  bad("", "not an XML document");
  bad("hello", "text outside the root");
  bad("<clientConfig><emailProvider></clientConfig>", "does not close");
  bad("<clientConfig>", "is not closed");
  bad("<other/>", "no clientConfig/emailProvider");
  bad("<a/><b/>", "more than one root");
  bad("<!DOCTYPE x [<!ENTITY a 'aaaa'>]><clientConfig/>", "internal subset");
  bad("<clientConfig><!-- open", "unterminated comment");
  bad("<clientConfig " + std::string(10, 'x'), "unterminated tag");
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  bad(deep, "deeper than 32");
  bad("<clientConfig><x>" + std::string(5000, 'y') + "</x></clientConfig>", "longer than 4 KiB");
  std::string many = "<clientConfig>";
  for (int i = 0; i < 10001; ++i) many += "<e/>";
  bad(many + "</clientConfig>", "more than 10000");
  bad(std::string(kMaxAutoconfig + 1, ' '), "larger than 1 MiB");
}

TEST(Autoconfig, EntitiesAndUsernames) {
  auto r = parse_autoconfig(
      "<clientConfig><emailProvider id='a&amp;b'><domain>&#120;&#x79;&unknown;</domain>"
      "</emailProvider></clientConfig>");
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->provider_id, "a&b");
  EXPECT_EQ(r->domains[0], "xy&unknown;");
  EXPECT_EQ(expand_username("%EMAILLOCALPART%", "ann@example.org"), "ann");
  EXPECT_EQ(expand_username("%EMAILADDRESS%", "ann@example.org"), "ann@example.org");
  EXPECT_EQ(expand_username("u-%EMAILDOMAIN%", "ann@example.org"), "u-example.org");
  EXPECT_EQ(url_encode("a b@c.d"), "a%20b%40c.d");
}

TEST(Http, Responses) {
  auto r = http_response_body("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello extra", 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hello");
  r = http_response_body(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
      100);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(*r, "abcde");
  r = http_response_body("HTTP/1.0 200 OK\r\n\r\nuntil close", 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "until close");
  r = http_response_body("HTTP/1.1 301 Moved\r\nLocation: https://x/y\r\n\r\n", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("redirected to https://x/y (not followed)"), std::string::npos);
  r = http_response_body("HTTP/1.1 404 Not Found\r\n\r\n", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("404 Not Found"), std::string::npos);
  EXPECT_FALSE(http_response_body("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nx", 100).ok());
  EXPECT_FALSE(http_response_body("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nx", 100).ok());
  EXPECT_FALSE(
      http_response_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfff\r\nx", 100)
          .ok());
  EXPECT_FALSE(http_response_body("SSH-2.0\r\n\r\n", 100).ok());
  EXPECT_FALSE(http_response_body("", 100).ok());
  EXPECT_EQ(http_get_request("h", "/p?q=1").rfind("GET /p?q=1 HTTP/1.1\r\nHost: h\r\n", 0), 0u);
}

std::string srv_rdata(std::uint16_t prio, std::uint16_t weight, std::uint16_t port,
                      const std::vector<std::string>& labels) {
  std::string r;
  for (std::uint16_t v : {prio, weight, port}) {
    r.push_back(static_cast<char>(v >> 8));
    r.push_back(static_cast<char>(v & 0xff));
  }
  for (const auto& l : labels) {
    r.push_back(static_cast<char>(l.size()));
    r += l;
  }
  r.push_back('\0');
  return r;
}

TEST(Srv, ParseAndChoose) {
  auto a = parse_srv(srv_rdata(10, 5, 993, {"imap", "Example", "org"}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, "imap.example.org");
  EXPECT_EQ(a->port, 993);
  auto b = parse_srv(srv_rdata(0, 1, 993, {"imap2", "example", "org"}));
  auto c = parse_srv(srv_rdata(0, 9, 993, {"imap3", "example", "org"}));
  ASSERT_TRUE(b && c);
  EXPECT_EQ(choose_srv({*a, *b, *c})->target, "imap3.example.org");
  auto dot = parse_srv(srv_rdata(0, 0, 0, {}));
  ASSERT_TRUE(dot);
  EXPECT_EQ(dot->target, ".");
  EXPECT_FALSE(choose_srv({*dot}));  // RFC 6186 §3.4: not offered
  EXPECT_FALSE(choose_srv({}));
  EXPECT_FALSE(parse_srv("abc"));
  EXPECT_FALSE(parse_srv(srv_rdata(0, 0, 1, {"x"}) + "junk"));
  EXPECT_EQ(srv_services().front().label, std::string("_submissions._tcp"));
}

}  // namespace
}  // namespace estafeta::mua
