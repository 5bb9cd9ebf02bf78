// smtp_mta_sts_fetch_test: policy fetch responses (200 text/plain with Content-Length,
// chunked, or ended by close; redirects, other types, oversized and truncated bodies
// refused), when a cached policy is fetched again, the cache file round trip, and the
// enforce/testing/none verdicts for MX hosts.
#include "smtp/proto/smtp_mta_sts_fetch.hpp"

#include <gtest/gtest.h>

namespace estafeta::smtp {
namespace {

const std::string kPolicy =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.org\r\nmx: *.example.net\r\n"
    "max_age: 86400\r\n";

TEST(MtaStsFetch, Request) {
  EXPECT_EQ(sts_http_request("example.org"),
            "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.org\r\n"
            "User-Agent: Estafeta\r\nAccept: text/plain\r\nConnection: close\r\n\r\n");
}

TEST(MtaStsFetch, Responses) {
  std::string error;
  auto b = sts_http_body(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: " +
          std::to_string(kPolicy.size()) + "\r\n\r\n" + kPolicy,
      error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(*b, kPolicy);
  b = sts_http_body(
      "HTTP/1.1 200 OK\r\ncontent-type: TEXT/PLAIN\r\nTransfer-Encoding: chunked"
      "\r\n\r\n5\r\nversi\r\n3;x=y\r\non:\r\n0\r\n\r\n",
      error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(*b, "version:");
  b = sts_http_body("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody to the end", error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(*b, "body to the end");
}

TEST(MtaStsFetch, BadResponses) {
  std::string error;
  const std::string bad[] = {
      "HTTP/1.1 301 Moved\r\nLocation: https://evil.example/\r\nContent-Type: text/plain\r\n\r\n",
      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + kPolicy,
      "HTTP/1.1 200 OK\r\n\r\n" + kPolicy,  // no type
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort",
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 70000\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
      "ffffff\r\nabc",
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",  // header never ends
      "SMTP 220 hello\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + std::string(kMaxStsPolicy + 1, 'a'),
  };
  for (const auto& r : bad) EXPECT_FALSE(sts_http_body(r, error)) << r.substr(0, 80);
}

TEST(MtaStsFetch, WhenToFetch) {
  std::string error;
  StsCacheEntry e;
  e.domain = "example.org";
  e.id = "1";
  e.fetched_at = 1000;
  e.policy = *parse_sts_policy(kPolicy, error);
  const StsRecord same{"1"}, changed{"2"};
  EXPECT_FALSE(sts_needs_fetch(std::nullopt, std::nullopt, 2000));  // nothing published
  EXPECT_TRUE(sts_needs_fetch(std::nullopt, same, 2000));
  EXPECT_FALSE(sts_needs_fetch(e, same, 2000));
  EXPECT_TRUE(sts_needs_fetch(e, changed, 2000));        // §5.1: a new id
  EXPECT_TRUE(sts_needs_fetch(e, same, 1000 + 86400));   // expired
  EXPECT_FALSE(sts_needs_fetch(e, std::nullopt, 2000));  // record gone, policy valid
  EXPECT_TRUE(sts_cache_valid(e, 2000));
  EXPECT_FALSE(sts_cache_valid(e, 1000 + 86400));
}

TEST(MtaStsFetch, CacheFileRoundTrip) {
  std::string error;
  StsCacheEntry e;
  e.domain = "example.org";
  e.id = "20260101";
  e.fetched_at = 1790000000;
  e.text = kPolicy;
  e.policy = *parse_sts_policy(kPolicy, error);
  auto back = parse_sts_cache(encode_sts_cache(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->domain, e.domain);
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->fetched_at, e.fetched_at);
  EXPECT_EQ(back->policy, e.policy);
  EXPECT_FALSE(parse_sts_cache(""));
  EXPECT_FALSE(parse_sts_cache("estafeta-mta-sts 1\ndomain a\nid b\n\n" + kPolicy));  // no time
  EXPECT_FALSE(parse_sts_cache("estafeta-mta-sts 1\ndomain a\nid b\nfetched-at 1\n\ngarbage"));
  EXPECT_FALSE(parse_sts_cache("estafeta-mta-sts 2\ndomain a\nid b\nfetched-at 1\n\n" + kPolicy));
}

TEST(MtaStsFetch, Verdicts) {  // RFC 8461 §4.2, §5
  std::string error;
  StsPolicy p = *parse_sts_policy(kPolicy, error);
  EXPECT_EQ(sts_check_host(p, "mx.example.org"), StsVerdict::deliver);
  EXPECT_EQ(sts_check_host(p, "a.example.net"), StsVerdict::deliver);
  EXPECT_EQ(sts_check_host(p, "mx.evil.example"), StsVerdict::refuse);
  EXPECT_EQ(sts_check_tls(p, "mx.example.org", true), StsVerdict::deliver);
  EXPECT_EQ(sts_check_tls(p, "mx.example.org", false), StsVerdict::refuse);
  p.mode = StsPolicy::Mode::testing;
  EXPECT_EQ(sts_check_host(p, "mx.evil.example"), StsVerdict::deliver_failure);
  EXPECT_EQ(sts_check_tls(p, "mx.example.org", false), StsVerdict::deliver_failure);
  EXPECT_EQ(sts_check_tls(p, "mx.example.org", true), StsVerdict::deliver);
  p.mode = StsPolicy::Mode::none;
  EXPECT_EQ(sts_check_tls(p, "mx.evil.example", false), StsVerdict::deliver);
}

}  // namespace
}  // namespace estafeta::smtp
