// Tests for mua_account (load, save, lookups) and mua_password (command and environment).
#include "mua/mua_account.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "base/test_temp_dir.hpp"

namespace estafeta::mua {
namespace {

namespace fs = std::filesystem;

class ClientConfigTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& text, const std::string& name = "client.toml") {
    fs::path p = dir_.path() / name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), 0600);
    return p;
  }
  std::string load_error(const std::string& text) {
    auto r = load_client_config(write(text));
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.error().text;
  }
  testing::TempDir dir_;
};

TEST_F(ClientConfigTest, ReadsEveryKey) {
  std::ofstream(dir_.path() / "ca.pem") << "x";
  auto r = load_client_config(write(R"(default = "home"

[account.work]
address = "alice@work.example"
name = "Alice Example"
user = "alice"
password_command = "pass show mail/work"
ca_file = "ca.pem"
sent_mailbox = "Sent Items"
outbox = "/tmp/outbox-work"
maildir = "~/Mail/work"
smime_store = "certs"

[account.work.submission]
host = "smtp.work.example"
port = 587

[account.work.imap]
host = "imap.work.example"
security = "tls"

[account.home]
address = "alice@home.example"
password_env = "HOME_MAIL_PASSWORD"

[account.home.pop3]
host = "127.0.0.1"
port = 1110
security = "none"
)"));
  ASSERT_TRUE(r.ok()) << r.error().text;
  const ClientConfig& c = *r;
  ASSERT_EQ(c.accounts.size(), 2u);
  // File order, not key order.
  EXPECT_EQ(c.accounts[0].name, "work");
  EXPECT_EQ(c.accounts[1].name, "home");
  const Account& w = c.accounts[0];
  EXPECT_EQ(w.address, "alice@work.example");
  EXPECT_EQ(w.display_name, "Alice Example");
  EXPECT_EQ(w.login(), "alice");
  EXPECT_EQ(w.password.kind, PasswordSource::Kind::command);
  EXPECT_EQ(w.password.value, "pass show mail/work");
  EXPECT_EQ(w.ca_file, (dir_.path() / "ca.pem").lexically_normal().string());
  EXPECT_EQ(w.sent_mailbox, "Sent Items");
  EXPECT_EQ(w.outbox, fs::path("/tmp/outbox-work"));
  EXPECT_EQ(w.smime_store, (dir_.path() / "certs").lexically_normal());
  EXPECT_EQ(w.submission.host, "smtp.work.example");
  EXPECT_EQ(w.submission.port, 587);
  EXPECT_EQ(w.submission.security, Security::starttls);  // implied by port 587
  EXPECT_EQ(w.imap.port, 993);                           // implied by tls
  EXPECT_FALSE(w.pop3.configured());
  const Account& h = c.accounts[1];
  EXPECT_EQ(h.login(), "alice@home.example");
  EXPECT_EQ(h.password.kind, PasswordSource::Kind::env);
  EXPECT_EQ(h.pop3.security, Security::none);
  EXPECT_EQ(h.pop3.port, 1110);
  EXPECT_EQ(h.outbox, default_outbox("home"));
  EXPECT_EQ(c.find("")->name, "home");  // default = "home"
  EXPECT_EQ(c.find("work")->name, "work");
  EXPECT_EQ(c.find("nope"), nullptr);
}

TEST_F(ClientConfigTest, FirstAccountIsTheDefault) {
  auto r = load_client_config(write(R"(
[account.zed]
address = "z@example.org"
[account.alpha]
address = "a@example.org"
)"));
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->find("")->name, "zed");
  EXPECT_EQ(r->find("")->password.kind, PasswordSource::Kind::prompt);
}

TEST_F(ClientConfigTest, ErrorsNameFileLineAndKey) {
  std::string e = load_error("[account.a]\naddress = \"a@example.org\"\ncolour = \"red\"\n");
  EXPECT_NE(e.find("client.toml:3: account.a.colour: unknown key"), std::string::npos) << e;

  e = load_error(
      "[account.a]\naddress = \"a@example.org\"\n[account.a.imap]\nhost = \"h\"\nport = 70000\n");
  EXPECT_NE(e.find(":5: account.a.imap.port: expected a port number"), std::string::npos) << e;

  e = load_error(
      "[account.a]\naddress = \"a@example.org\"\n[account.a.imap]\nhost = \"h\"\n"
      "security = \"ssl\"\n");
  EXPECT_NE(e.find(":5: account.a.imap.security: expected \"tls\""), std::string::npos) << e;

  e = load_error("[account.a]\nname = \"A\"\n");
  EXPECT_NE(e.find(":1: account.a.address: missing"), std::string::npos) << e;

  e = load_error("[account.a]\naddress = \"not an address\"\n");
  EXPECT_NE(e.find(":2: account.a.address: expected an address"), std::string::npos) << e;

  e = load_error(
      "[account.a]\naddress = \"a@example.org\"\npassword_env = \"X\"\n"
      "password_command = \"pass\"\n");
  EXPECT_NE(e.find(":4: account.a.password_command: give only one"), std::string::npos) << e;

  e = load_error(
      "[account.a]\naddress = \"a@example.org\"\n[account.a.submission]\n"
      "host = \"smtp.example.org\"\nsecurity = \"none\"\n");
  EXPECT_NE(e.find("account.a.submission.security: \"none\" (no TLS) is only allowed"),
            std::string::npos)
      << e;

  e = load_error("default = \"b\"\n[account.a]\naddress = \"a@example.org\"\n");
  EXPECT_NE(e.find(":1: default: no account called \"b\""), std::string::npos) << e;

  e = load_error("[account.a]\naddress = \"a@example.org\"\nport = 5\n[account.a.imap]\n");
  EXPECT_NE(e.find(":3: account.a.port: unknown key"), std::string::npos) << e;

  e = load_error("[account.a]\naddress = \"a@example.org\"\n[account.a.imap]\nport = 143\n");
  EXPECT_NE(e.find(":3: account.a.imap.host: missing"), std::string::npos) << e;

  e = load_error("[account.a]\naddress = 5\n");
  EXPECT_NE(e.find(":2: account.a.address: expected a string"), std::string::npos) << e;

  e = load_error("[account.\"b c\"]\naddress = \"a@example.org\"\n");
  EXPECT_NE(e.find("account names are"), std::string::npos) << e;

  e = load_error("[account.a]\naddress = \"a@example.org\"\nca_file = \"missing.pem\"\n");
  EXPECT_NE(e.find(":3: account.a.ca_file: no such file"), std::string::npos) << e;

  e = load_error("servers = 1\n");
  EXPECT_NE(e.find(":1: servers: unknown key"), std::string::npos) << e;

  e = load_error("# nothing\n");
  EXPECT_NE(e.find("no [account.NAME] table"), std::string::npos) << e;

  // TOML syntax: toml++'s line and description.
  e = load_error("[account.a]\naddress = \"a@example.org\"\nname = \"unterminated\n");
  EXPECT_NE(e.find("client.toml:3: "), std::string::npos) << e;
}

TEST_F(ClientConfigTest, EarliestErrorWins) {
  std::string e = load_error(
      "[account.a]\naddress = \"a@example.org\"\nbad1 = 1\n[account.b]\n"
      "address = \"b@example.org\"\nbad2 = 2\n");
  EXPECT_NE(e.find(":3: account.a.bad1"), std::string::npos) << e;
}

TEST_F(ClientConfigTest, MissingAndUnsafeFiles) {
  auto r = load_client_config(dir_.path() / "none.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("no such file (run `estafeta mail setup`"), std::string::npos);

  fs::path p = write("[account.a]\naddress = \"a@example.org\"\n");
  ::chmod(p.c_str(), 0666);
  r = load_client_config(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("writable by group or others"), std::string::npos);

  p = write(std::string(300 * 1024, '#'));
  r = load_client_config(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("larger than 256 KiB"), std::string::npos);
}

TEST_F(ClientConfigTest, SaveRoundTripsWithMode0600) {
  ClientConfig c;
  c.file = dir_.path() / "sub" / "client.toml";
  c.default_account = "b";
  Account a;
  a.name = "a";
  a.address = "a@example.org";
  a.display_name = "Ann \"Quoted\" Example\\";
  a.password = {PasswordSource::Kind::command, "pass show \"mail\""};
  a.submission = {"smtp.example.org", 465, Security::tls};
  a.imap = {"imap.example.org", 143, Security::starttls};
  a.outbox = default_outbox("a");
  a.sent_mailbox = "Gesendet";
  c.accounts.push_back(a);
  Account b;
  b.name = "b";
  b.address = "b@example.org";
  b.user = "bee";
  b.password = {PasswordSource::Kind::env, "B_PASS"};
  b.pop3 = {"::1", 1995, Security::none};
  b.maildir = dir_.path() / "Maildir-b";
  c.accounts.push_back(b);
  auto s = save_client_config(c);
  ASSERT_TRUE(s.ok()) << s.error().text;
  struct stat st {};
  ASSERT_EQ(::stat(c.file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto r = load_client_config(c.file);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->accounts.size(), 2u);
  const Account& a2 = r->accounts[0];
  EXPECT_EQ(a2.display_name, a.display_name);
  EXPECT_EQ(a2.password.kind, PasswordSource::Kind::command);
  EXPECT_EQ(a2.password.value, a.password.value);
  EXPECT_EQ(a2.submission.port, 465);
  EXPECT_EQ(a2.submission.security, Security::tls);
  EXPECT_EQ(a2.imap.security, Security::starttls);
  EXPECT_EQ(a2.sent_mailbox, "Gesendet");
  const Account& b2 = r->accounts[1];
  EXPECT_EQ(b2.user, "bee");
  EXPECT_EQ(b2.password.kind, PasswordSource::Kind::env);
  EXPECT_EQ(b2.pop3.host, "::1");
  EXPECT_EQ(b2.pop3.security, Security::none);
  EXPECT_EQ(b2.maildir, b.maildir);
  EXPECT_EQ(r->find("")->name, "b");
  // The outbox at its default is not written out.
  std::ifstream in(c.file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("outbox"), std::string::npos) << text;
  // Saving again replaces the file and leaves no temporary behind.
  ASSERT_TRUE(save_client_config(*r).ok());
  std::size_t files = 0;
  for (auto& e : fs::directory_iterator(c.file.parent_path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(LoopbackHost, OnlyLoopback) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.3.2.1"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("[::1]"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("::2"));
  EXPECT_FALSE(is_loopback_host("localhost.example.org"));
}

TEST(PasswordCommand, FirstLineOfOutput) {
  auto r = run_password_command("printf 's3cret\\r\\nsecond line\\n'", std::chrono::seconds(10));
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(*r, "s3cret");
}

TEST(PasswordCommand, FailureStatusIsAnError) {
  auto r = run_password_command("echo pw; exit 3", std::chrono::seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("exited with status 3"), std::string::npos) << r.error().text;
  EXPECT_EQ(r.error().text.find("pw\n"), std::string::npos);
  r = run_password_command("true", std::chrono::seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("printed no password"), std::string::npos);
  r = run_password_command("/nonexistent/pass", std::chrono::seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("exited with status 127"), std::string::npos);
}

TEST(PasswordCommand, TimeoutStopsIt) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_password_command("sleep 20", std::chrono::milliseconds(300));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("gave no answer"), std::string::npos) << r.error().text;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Output then silence: still stopped at the deadline.
  r = run_password_command("echo pw; exec sleep 20", std::chrono::milliseconds(300));
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ReadPassword, FromEnvironment) {
  Account a;
  a.name = "a";
  a.address = "a@example.org";
  a.password = {PasswordSource::Kind::env, "ESTAFETA_MUA_TEST_PW"};
  ::unsetenv("ESTAFETA_MUA_TEST_PW");
  auto r = read_password(a);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("ESTAFETA_MUA_TEST_PW is not set"), std::string::npos);
  ::setenv("ESTAFETA_MUA_TEST_PW", "hunter2", 1);
  r = read_password(a);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hunter2");
  ::unsetenv("ESTAFETA_MUA_TEST_PW");
  a.password = {PasswordSource::Kind::command, "echo from-command"};
  r = read_password(a);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "from-command");
}

}  // namespace
}  // namespace estafeta::mua
