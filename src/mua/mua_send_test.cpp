// Tests for mua_outbox, mua_submit and mua_send against a small scripted SMTP server on
// 127.0.0.1 in a thread (security "none", which the account allows to loopback only).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "mua/mua_outbox.hpp"
#include "mua/mua_send.hpp"

namespace estafeta::mua {
namespace {

// Accepts connections one after another and answers like a submission server: RCPT to an
// address starting "bad" gets 550, "later" 451, anything else 250; `greeting` is the first
// line. Records the messages it took.
class FakeSmtp {
 public:
  explicit FakeSmtp(std::string greeting = "220 fake ESMTP") : greeting_(std::move(greeting)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeSmtp() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> messages() {
    std::lock_guard<std::mutex> l(mu_);
    return messages_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }
  static void say(int c, const std::string& s) { (void)!::write(c, s.data(), s.size()); }
  void serve(int c) {
    say(c, greeting_ + "\r\n");
    if (greeting_.rfind("220", 0) != 0) return;
    std::string buf;
    bool data = false;
    std::string message;
    for (int rounds = 0; rounds < 10000 && !stop_; ++rounds) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char tmp[4096];
      ssize_t n = ::read(c, tmp, sizeof tmp);
      if (n <= 0) return;
      buf.append(tmp, static_cast<std::size_t>(n));
      std::size_t eol;
      while ((eol = buf.find("\r\n")) != std::string::npos) {
        std::string line = buf.substr(0, eol);
        buf.erase(0, eol + 2);
        if (data) {
          if (line == ".") {
            data = false;
            {
              std::lock_guard<std::mutex> l(mu_);
              messages_.push_back(message);
            }
            message.clear();
            say(c, "250 2.0.0 queued\r\n");
          } else {
            message += line + "\r\n";
          }
          continue;
        }
        std::string verb = line.substr(0, 4);
        if (verb == "EHLO")
          say(c, "250-fake\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
        else if (verb == "MAIL")
          say(c, "250 2.1.0 ok\r\n");
        else if (verb == "RCPT")
          say(c, line.find("<bad") != std::string::npos     ? "550 5.1.1 no such user\r\n"
                 : line.find("<later") != std::string::npos ? "451 4.3.0 try later\r\n"
                                                            : "250 2.1.5 ok\r\n");
        else if (verb == "DATA") {
          say(c, "354 go\r\n");
          data = true;
        } else if (verb == "QUIT") {
          say(c, "221 bye\r\n");
          return;
        } else if (verb == "RSET")
          say(c, "250 ok\r\n");
        else
          say(c, "502 5.5.1 what\r\n");
      }
    }
  }
  std::string greeting_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> messages_;
};

std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);  // nothing listens there now
  return ntohs(a.sin_port);
}

class SendTest : public ::testing::Test {
 protected:
  Account account(std::uint16_t port) {
    Account a;
    a.name = "t";
    a.address = "alice@example.org";
    a.submission = {"127.0.0.1", port, Security::none};
    a.outbox = dir_.path() / "outbox";
    return a;
  }
  Outgoing outgoing(std::vector<std::string> rcpts, const std::string& marker) {
    Outgoing o;
    o.record.sender = "alice@example.org";
    o.record.recipients = std::move(rcpts);
    o.record.message = "Subject: " + marker + "\r\n\r\nbody " + marker + "\r\n";
    return o;
  }
  std::string run(const Account& a, std::vector<Outgoing> m, SendSummary& sum) {
    std::FILE* f = std::tmpfile();
    sum = send_messages(a, std::move(m), nullptr, nullptr, f,
                        {"client.test", std::chrono::seconds(5), std::chrono::seconds(5)});
    std::rewind(f);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(SendTest, PerRecipientResultsAndOnlyDeferredOnesKept) {
  FakeSmtp server;
  Account a = account(server.port());
  SendSummary sum;
  std::string out =
      run(a, {outgoing({"bob@example.org", "bad@example.org", "later@example.org"}, "m1")}, sum);
  EXPECT_EQ(sum.sent, 1u);
  EXPECT_EQ(sum.refused, 1u);
  EXPECT_EQ(sum.queued, 1u);
  EXPECT_EQ(sum.exit_code(), 1);
  EXPECT_NE(out.find("bob@example.org: sent (250 2.0.0 queued)"), std::string::npos) << out;
  EXPECT_NE(out.find("bad@example.org: refused (550 5.1.1 no such user)"), std::string::npos);
  EXPECT_NE(out.find("later@example.org: deferred (451 4.3.0 try later)"), std::string::npos);
  EXPECT_NE(out.find("kept in the outbox for 1 recipient(s)"), std::string::npos);
  ASSERT_EQ(server.messages().size(), 1u);
  Outbox box(a.outbox);
  auto ids = box.list();
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 1u);
  auto rec = box.read((*ids)[0]);
  ASSERT_TRUE(rec.ok()) << rec.error().text;
  EXPECT_EQ(rec->recipients, std::vector<std::string>{"later@example.org"});
  EXPECT_EQ(rec->attempts, 1u);
  EXPECT_EQ(rec->last_error, "451 4.3.0 try later");
}

TEST_F(SendTest, UnreachableServerKeepsTheMessageAndFlushSendsIt) {
  Account a = account(closed_port());
  SendSummary sum;
  std::string out = run(a, {outgoing({"bob@example.org", "carol@example.org"}, "m2")}, sum);
  EXPECT_EQ(sum.queued, 1u);
  EXPECT_EQ(sum.exit_code(), 75);
  EXPECT_NE(out.find("not sent now: cannot connect to 127.0.0.1"), std::string::npos) << out;
  Outbox box(a.outbox);
  auto ids = box.list();
  ASSERT_EQ(ids->size(), 1u);
  struct stat st {};
  ASSERT_EQ(::stat((a.outbox / "new" / (*ids)[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(std::filesystem::is_empty(a.outbox / "tmp"));

  // The server comes up: the flush sends it and empties the outbox.
  FakeSmtp server;
  a.submission.port = server.port();
  auto rec = box.read((*ids)[0]);
  ASSERT_TRUE(rec.ok());
  Outgoing o;
  o.record = *rec;
  o.id = (*ids)[0];
  out = run(a, {o}, sum);
  EXPECT_EQ(sum.sent, 2u);
  EXPECT_EQ(sum.exit_code(), 0);
  EXPECT_TRUE(box.list()->empty()) << out;
  ASSERT_EQ(server.messages().size(), 1u);
  EXPECT_NE(server.messages()[0].find("body m2"), std::string::npos);
}

TEST_F(SendTest, GreetingRefusals) {
  {
    FakeSmtp busy("421 4.3.2 busy, come back later");
    SendSummary sum;
    std::string out = run(account(busy.port()), {outgoing({"bob@example.org"}, "m3")}, sum);
    EXPECT_EQ(sum.exit_code(), 75) << out;
    EXPECT_EQ(sum.queued, 1u);
  }
  {
    FakeSmtp closed("554 5.7.1 go away");
    SendSummary sum;
    Account a = account(closed.port());
    a.outbox = dir_.path() / "outbox2";
    std::string out = run(a, {outgoing({"bob@example.org"}, "m4")}, sum);
    EXPECT_EQ(sum.exit_code(), 1) << out;
    EXPECT_NE(out.find("error: the server refused the connection"), std::string::npos) << out;
    // Not lost: kept for a flush once the problem is fixed.
    EXPECT_EQ(Outbox(a.outbox).list()->size(), 1u);
  }
}

TEST_F(SendTest, SeveralMessagesOverOneConnection) {
  FakeSmtp server;
  SendSummary sum;
  std::string out =
      run(account(server.port()),
          {outgoing({"bob@example.org"}, "m5"), outgoing({"carol@example.org"}, "m6")}, sum);
  EXPECT_EQ(sum.sent, 2u) << out;
  ASSERT_EQ(server.messages().size(), 2u);
}

TEST(BccHeader, AddedAtTheEndOfTheHeader) {
  EXPECT_EQ(with_bcc_header("From: a@b\r\nTo: c@d\r\n\r\nbody\r\n", "e@f"),
            "From: a@b\r\nTo: c@d\r\nBcc: e@f\r\n\r\nbody\r\n");
  EXPECT_EQ(with_bcc_header("From: a@b\r\n\r\nbody\r\n", ""), "From: a@b\r\n\r\nbody\r\n");
}

TEST(Outbox, ReplaceAndRemove) {
  testing::TempDir dir;
  Outbox box(dir.path() / "ob");
  EXPECT_TRUE(box.list()->empty());  // missing = empty
  OutboxRecord r;
  r.sender = "a@b";
  r.recipients = {"c@d"};
  r.message = "x\r\n";
  auto id = box.add(r);
  ASSERT_TRUE(id.ok()) << id.error().text;
  auto id2 = box.add(r);
  ASSERT_TRUE(id2.ok());
  EXPECT_EQ(box.list()->size(), 2u);
  r.attempts = 5;
  ASSERT_TRUE(box.replace(*id, r).ok());
  EXPECT_EQ(box.read(*id)->attempts, 5u);
  ASSERT_TRUE(box.remove(*id).ok());
  EXPECT_EQ(box.list()->size(), 1u);
  EXPECT_FALSE(box.read("../../etc/passwd").ok());
  EXPECT_FALSE(box.remove(*id).ok());
}

}  // namespace
}  // namespace estafeta::mua
