// tls_context_test: the server context built from PEM bytes in memory (what the privileged
// helper sends on SIGHUP) accepts a chain and its key, finds the key in a combined file,
// names the setting at fault for a key that does not match or text that is no PEM, and
// read_tls_pem names the file it cannot read.
#include "net/tls_context.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/test_temp_dir.hpp"
#include "net/tls_local_ca.hpp"

namespace estafeta::net {
namespace {

using estafeta::testing::TempDir;

class TlsContextFromPem : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(ensure_local_tls(dir_.path() / "a", "a.example", {}, a_, error)) << error;
    ASSERT_TRUE(ensure_local_tls(dir_.path() / "b", "b.example", {}, b_, error)) << error;
  }
  static TlsSettings settings_of(const LocalTlsFiles& f) {
    TlsSettings s;
    s.certificate = f.certificate;
    s.private_key = f.private_key;
    return s;
  }
  TempDir dir_;
  LocalTlsFiles a_, b_;
};

TEST_F(TlsContextFromPem, ChainAndKeyFromMemory) {
  TlsPem pem;
  std::string error;
  ASSERT_TRUE(read_tls_pem(settings_of(a_), pem, error)) << error;
  EXPECT_NE(pem.certificate.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(make_server_tls_context(settings_of(a_), pem, error), nullptr) << error;
}

TEST_F(TlsContextFromPem, KeyInTheCertificateFile) {
  TlsPem pem;
  std::string error;
  ASSERT_TRUE(read_tls_pem(settings_of(a_), pem, error)) << error;
  pem.certificate += pem.private_key;  // one combined file, read twice
  pem.private_key = pem.certificate;
  EXPECT_NE(make_server_tls_context(settings_of(a_), pem, error), nullptr) << error;
}

TEST_F(TlsContextFromPem, MismatchedKeyAndGarbageNameTheSetting) {
  TlsPem a, b;
  std::string error;
  ASSERT_TRUE(read_tls_pem(settings_of(a_), a, error)) << error;
  ASSERT_TRUE(read_tls_pem(settings_of(b_), b, error)) << error;
  a.private_key = b.private_key;
  EXPECT_EQ(make_server_tls_context(settings_of(a_), a, error), nullptr);
  EXPECT_EQ(error.rfind("tls.private_key: ", 0), 0u) << error;
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;
  a.certificate = "not PEM at all";
  EXPECT_EQ(make_server_tls_context(settings_of(a_), a, error), nullptr);
  EXPECT_EQ(error.rfind("tls.certificate: cannot load", 0), 0u) << error;
}

TEST_F(TlsContextFromPem, UnreadableFileIsNamed) {
  TlsSettings s = settings_of(a_);
  s.private_key = dir_.path() / "missing.key";
  TlsPem pem;
  std::string error;
  EXPECT_FALSE(read_tls_pem(s, pem, error));
  EXPECT_EQ(error, "tls.private_key: cannot open " + s.private_key.string());
}

}  // namespace
}  // namespace estafeta::net
