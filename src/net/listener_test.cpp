// listener_test: binding on loopback works, and a taken port yields an explanation that
// names the listener, the address and the setting to change.
#include "net/listener.hpp"

#include <gtest/gtest.h>

#include <asio.hpp>

namespace estafeta::net {
namespace {

TEST(Listener, BindsLoopbackAndExplainsAddressInUse) {
  asio::io_context io;
  config::Listener l{
      "smtp", config::Protocol::smtp, config::TlsMode::starttls, config::SmtpRole::mx, "127.0.0.1",
      0};
  std::string error;
  auto first = open_listener(io, l, "/etc/estafeta/estafeta.toml", error);
  ASSERT_TRUE(first) << error;
  l.port = first->local_endpoint().port();
  auto second = open_listener(io, l, "/etc/estafeta/estafeta.toml", error);
  ASSERT_FALSE(second);
  EXPECT_NE(error.find("cannot listen on 127.0.0.1:" + std::to_string(l.port) +
                       " (listener.smtp): address already in use"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("listener.smtp.port in /etc/estafeta/estafeta.toml"), std::string::npos)
      << error;
}

TEST(Listener, RejectsNonAddress) {
  asio::io_context io;
  config::Listener l{"submission",
                     config::Protocol::smtp,
                     config::TlsMode::starttls,
                     config::SmtpRole::submission,
                     "mail.example",
                     0};
  std::string error;
  EXPECT_FALSE(open_listener(io, l, {}, error));
  EXPECT_NE(error.find("not an IP address"), std::string::npos) << error;
  EXPECT_NE(error.find("listener.submission.address"), std::string::npos) << error;
}

TEST(Listener, AllAddressesIsDualStackOrV4) {
  asio::io_context io;
  config::Listener l{
      "smtp", config::Protocol::smtp, config::TlsMode::starttls, config::SmtpRole::mx, "", 0};
  std::string error;
  auto acceptor = open_listener(io, l, {}, error);
  ASSERT_TRUE(acceptor) << error;
  auto ep = acceptor->local_endpoint();
  EXPECT_TRUE(ep.address().is_unspecified());
  if (ep.address().is_v6()) {
    asio::ip::v6_only v6only;
    acceptor->get_option(v6only);
    EXPECT_FALSE(v6only.value());
  }
}

TEST(Listener, DescribeEndpoint) {
  EXPECT_EQ(describe_endpoint({asio::ip::make_address("::"), 25}), "[::]:25");
  EXPECT_EQ(describe_endpoint({asio::ip::make_address("127.0.0.1"), 2525}), "127.0.0.1:2525");
}

}  // namespace
}  // namespace estafeta::net
