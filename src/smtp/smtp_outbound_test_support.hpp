// smtp_outbound_test_support: what the outbound transport's tests share: one small message to
// one recipient of a domain, delivered through an OutboundTransport made from `options`, the
// io_context run in short slices until the reply comes (at most 30 s), then the transport
// shut down. Test-only (included by *_test.cpp). Memory: the one message.
#pragma once

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "queue/queue_transport.hpp"
#include "smtp/smtp_outbound_transport.hpp"

namespace estafeta::smtp::outbound_test {

// The replies of one delivery to someone@<domain> from `mail_from` (empty when the transport
// could not be made: the failure is reported with EXPECT).
inline std::vector<std::vector<queue::RemoteReply>> deliver_one(asio::io_context& io,
                                                                asio::thread_pool& workers,
                                                                const OutboundOptions& options,
                                                                const std::string& domain,
                                                                const std::string& mail_from) {
  using namespace std::chrono_literals;
  std::string error;
  auto t = OutboundTransport::create(io.get_executor(), workers, options, error);
  EXPECT_TRUE(t) << error;
  if (!t) return {};
  auto m = std::make_shared<queue::OutboundMessage>();
  m->id = m->spool_name = "D1";
  m->mail_from = mail_from;
  m->recipients.push_back({"someone@" + domain, "", ""});
  m->size = 12;
  m->read = [](std::uint64_t offset, std::size_t, std::string& out) {
    out = offset == 0 ? "Subject: x\r\n" : "";
    return std::error_code();
  };
  std::vector<std::vector<queue::RemoteReply>> out;
  bool done = false;
  t->deliver(domain, {m}, [&](auto r) {
    out = std::move(r);
    done = true;
  });
  for (auto end = std::chrono::steady_clock::now() + 30s;
       !done && std::chrono::steady_clock::now() < end;) {
    io.restart();
    io.run_for(20ms);
  }
  EXPECT_TRUE(done);
  t->shutdown();
  io.restart();
  io.run_for(20ms);
  return out;
}

}  // namespace estafeta::smtp::outbound_test
