// pop3_config_test: the [pop3] section: its defaults (idle timeout of RFC 1939 §3's ten
// minutes, RETR sets \Seen), every key's range as config::load checks it, and settings_from
// applying what a file set over the defaults.
#include "pop3/pop3_config.hpp"

#include <gtest/gtest.h>

#include "config/config_section.hpp"

namespace estafeta::pop3 {
namespace {

using config::Value;

// The store's conformance suite (store_conformance.cpp) comes along through the server
// library's link dependencies; its backends are instantiated by the store's own tests.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformance);

const config::Section& section() {
  register_config();
  const config::Section* s = config::find_section("pop3");
  EXPECT_NE(s, nullptr);
  return *s;
}

TEST(Pop3Config, Defaults) {
  Settings s;
  EXPECT_EQ(s.idle_timeout, std::chrono::seconds(600));  // RFC 1939 §3: at least 10 minutes
  EXPECT_EQ(s.login_timeout, std::chrono::seconds(60));
  EXPECT_TRUE(s.retr_sets_seen);
  EXPECT_EQ(s.max_listed_messages, 100000u);
  EXPECT_EQ(s.max_bad_commands, 20u);
  EXPECT_EQ(s.max_auth_failures, 3u);
  EXPECT_EQ(std::get<int64_t>(section().default_value("idle_timeout")), 600);
  EXPECT_EQ(std::get<bool>(section().default_value("retr_sets_seen")), true);
}

TEST(Pop3Config, Ranges) {
  const config::Section& s = section();
  EXPECT_EQ(s.check("idle_timeout", Value(int64_t{600})), "");
  EXPECT_NE(s.check("idle_timeout", Value(int64_t{599})), "");
  EXPECT_NE(s.check("login_timeout", Value(int64_t{4})), "");
  EXPECT_EQ(s.check("login_timeout", Value(int64_t{5})), "");
  EXPECT_NE(s.check("max_listed_messages", Value(int64_t{0})), "");
  EXPECT_EQ(s.check("max_listed_messages", Value(int64_t{1})), "");
  EXPECT_NE(s.check("max_connections", Value(int64_t{0})), "");
  EXPECT_NE(s.check("ipv6_prefix", Value(int64_t{129})), "");
  EXPECT_NE(s.check("stress_threshold", Value(int64_t{101})), "");
  EXPECT_NE(s.check("max_bad_commands", Value(int64_t{0})), "");
  EXPECT_NE(s.check("max_auth_failures", Value(int64_t{101})), "");
  EXPECT_EQ(s.check("retr_sets_seen", Value(false)), "");
  EXPECT_EQ(s.check("max_line_length", Value(int64_t{1000})), "unknown key");
  EXPECT_EQ(s.check("apop", Value(true)), "unknown key");
}

TEST(Pop3Config, SettingsFromAFile) {
  section();
  config::Config c;
  c.sections["pop3"] = config::SectionValues{{"idle_timeout", Value(int64_t{900})},
                                             {"retr_sets_seen", Value(false)},
                                             {"max_listed_messages", Value(int64_t{7})},
                                             {"max_connections_per_ip", Value(int64_t{3})}};
  Settings s = settings_from(c);
  EXPECT_EQ(s.idle_timeout, std::chrono::seconds(900));
  EXPECT_FALSE(s.retr_sets_seen);
  EXPECT_EQ(s.max_listed_messages, 7u);
  EXPECT_EQ(s.max_connections_per_ip, 3u);
  EXPECT_EQ(s.max_connections, 1000u);  // untouched keys keep their defaults
  EXPECT_EQ(settings_from(config::Config{}).idle_timeout, std::chrono::seconds(600));
}

}  // namespace
}  // namespace estafeta::pop3
