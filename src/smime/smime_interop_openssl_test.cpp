// smime_interop_openssl_test: our output checked by `openssl cms` at test time (issue 11,
// interoperability), and `openssl cms` output checked by us: a signature verifies, an
// encrypted message decrypts (AES-256-GCM and CBC), and theirs verify and decrypt here.
// Runs the openssl command (Debian package openssl) in a temporary directory; every call is
// bounded by timeout(1). Skipped when the command is missing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/test_temp_dir.hpp"
#include "smime/smime_encrypt.hpp"
#include "smime/smime_inspect.hpp"
#include "smime/smime_sign.hpp"
#include "smime/smime_test_pki.hpp"

namespace estafeta::smime {
namespace {

using testing::message_from;
using testing::Pki;

void write(const std::filesystem::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `cmd` in `dir` through the shell, bounded to 30 s; returns the exit status.
int run(const std::filesystem::path& dir, const std::string& cmd) {
  std::string full = "cd '" + dir.string() + "' && timeout 30 " + cmd + " 2>stderr.txt";
  int rc = std::system(full.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool have_openssl() {
  return std::system("command -v openssl >/dev/null 2>&1") == 0;
}

class OpensslInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_openssl()) GTEST_SKIP() << "openssl command not installed";
    const auto& pki = Pki::get();
    write(dir_.path() / "ca.pem", pki.ca.cert_pem);
    write(dir_.path() / "alice.pem", pki.alice.cert_pem);
    write(dir_.path() / "alice.key", pki.alice.key_pem);
    write(dir_.path() / "bob.pem", pki.bob.cert_pem);
    write(dir_.path() / "bob.key", pki.bob.key_pem);
  }
  std::string err() { return read(dir_.path() / "stderr.txt"); }
  estafeta::testing::TempDir dir_{"estafeta-smime-openssl"};
};

TEST_F(OpensslInterop, TheyVerifyOurSignature) {
  for (bool opaque : {false, true}) {
    auto s = sign(message_from("alice@example.org", "Grüße\nline two\n"), Pki::get().alice,
                  {.opaque = opaque});
    ASSERT_TRUE(s.ok());
    write(dir_.path() / "signed.eml", *s);
    ASSERT_EQ(run(dir_.path(),
                  "openssl cms -verify -in signed.eml -CAfile ca.pem -purpose "
                  "smimesign -out content.txt"),
              0)
        << err();
    auto content = read(dir_.path() / "content.txt");
    EXPECT_NE(content.find("Content-Type: text/plain"), std::string::npos);
  }
}

TEST_F(OpensslInterop, TheyRejectOurTamperedSignature) {
  auto s = sign(message_from("alice@example.org"), Pki::get().alice);
  ASSERT_TRUE(s.ok());
  auto pos = s->find("the figures");
  ASSERT_NE(pos, std::string::npos);
  s->replace(pos, 3, "THE");
  write(dir_.path() / "bad.eml", *s);
  EXPECT_NE(run(dir_.path(), "openssl cms -verify -in bad.eml -CAfile ca.pem -out /dev/null"), 0);
}

TEST_F(OpensslInterop, TheyDecryptOurMessage) {
  for (auto cipher : {Cipher::aes256_gcm, Cipher::aes256_cbc}) {
    auto e =
        sign_and_encrypt(message_from("alice@example.org"), Pki::get().alice,
                         {{"bob@example.org", Pki::get().bob.cert_pem}}, {}, {.cipher = cipher});
    ASSERT_TRUE(e.ok());
    write(dir_.path() / "enc.eml", *e);
    ASSERT_EQ(run(dir_.path(),
                  "openssl cms -decrypt -in enc.eml -recip bob.pem -inkey bob.key "
                  "-out dec.eml"),
              0)
        << err();
    ASSERT_EQ(run(dir_.path(), "openssl cms -verify -in dec.eml -CAfile ca.pem -out inner.txt"), 0)
        << err();
    EXPECT_NE(read(dir_.path() / "inner.txt").find("the figures are attached"), std::string::npos);
  }
}

TEST_F(OpensslInterop, WeVerifyAndDecryptTheirs) {
  const auto& pki = Pki::get();
  write(dir_.path() / "msg.txt",
        "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: from openssl\r\n\r\n"
        "Made by openssl cms.\r\n");
  // openssl writes the MIME entity's header; -from/-to/-subject put outer fields on it.
  ASSERT_EQ(run(dir_.path(),
                "openssl cms -sign -in msg.txt -signer alice.pem -inkey alice.key "
                "-certfile ca.pem -from alice@example.org -to bob@example.org "
                "-subject hi -out signed.eml"),
            0)
      << err();
  auto v = inspect(read(dir_.path() / "signed.eml"), pki.trust());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->signed_and_valid()) << format_verdict(*v);
  for (const char* cipher : {"-aes-256-gcm", "-aes-256-cbc"}) {
    ASSERT_EQ(run(dir_.path(), std::string("openssl cms -encrypt ") + cipher +
                                   " -in signed.eml -from alice@example.org -to bob@example.org "
                                   "-subject hi -out enc.eml bob.pem"),
              0)
        << err();
    auto d = inspect(read(dir_.path() / "enc.eml"), pki.trust(), {pki.bob});
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->decrypted()) << format_verdict(*d);
    EXPECT_TRUE(d->signed_and_valid()) << format_verdict(*d);
    EXPECT_NE(d->content.find("Made by openssl cms."), std::string::npos);
  }
}

}  // namespace
}  // namespace estafeta::smime
