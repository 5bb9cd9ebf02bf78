// tls_local_ca_test: the generated CA and server certificate form a chain that OpenSSL
// verifies for the hostname, keys are private, files are reused, and a hostname change
// reissues only the server certificate.
#include "net/tls_local_ca.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/test_temp_dir.hpp"

namespace estafeta::net {
namespace {

namespace fs = std::filesystem;

using estafeta::testing::TempDir;

X509* load_pem(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (!f) return nullptr;
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return x;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Verifies server.pem against ca.pem as a client would, for `host` (a name or an IP).
int verify_chain(const LocalTlsFiles& files, const std::string& host) {
  X509* ca = load_pem(files.ca_certificate);
  X509* leaf = load_pem(files.certificate);
  EXPECT_NE(ca, nullptr);
  EXPECT_NE(leaf, nullptr);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (host.find(':') != std::string::npos || std::isdigit(static_cast<unsigned char>(host[0])))
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  else
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  int ok = X509_verify_cert(ctx);
  int err = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  return ok == 1 ? 0 : (err == 0 ? -1 : err);
}

TEST(LocalCa, CreatesAChainThatVerifiesForEveryName) {
  TempDir dir;
  LocalTlsFiles files;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mail.example.org", files, error)) << error;
  EXPECT_TRUE(files.created_ca);
  EXPECT_TRUE(files.issued_certificate);
  for (const char* host : {"mail.example.org", "localhost", "127.0.0.1", "::1"})
    EXPECT_EQ(verify_chain(files, host), 0) << host;
  EXPECT_NE(verify_chain(files, "other.example.org"), 0);
}

TEST(LocalCa, KeysAndDirectoryArePrivate) {
  TempDir dir;
  LocalTlsFiles files;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", files, error)) << error;
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "tls" / "ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(files.private_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() / "tls").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(LocalCa, ReusesExistingFiles) {
  TempDir dir;
  LocalTlsFiles first, second;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", first, error)) << error;
  std::string ca = slurp(first.ca_certificate), cert = slurp(first.certificate);
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", second, error)) << error;
  EXPECT_FALSE(second.created_ca);
  EXPECT_FALSE(second.issued_certificate);
  EXPECT_EQ(slurp(second.ca_certificate), ca);
  EXPECT_EQ(slurp(second.certificate), cert);
}

TEST(LocalCa, HostnameChangeReissuesOnlyTheServerCertificate) {
  TempDir dir;
  LocalTlsFiles first, second;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "old.example", first, error)) << error;
  std::string ca = slurp(first.ca_certificate);
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "new.example", second, error)) << error;
  EXPECT_FALSE(second.created_ca);
  EXPECT_TRUE(second.issued_certificate);
  EXPECT_EQ(slurp(second.ca_certificate), ca);
  EXPECT_EQ(verify_chain(second, "new.example"), 0);
}

TEST(LocalCa, CorruptCaIsReportedNotReplaced) {
  TempDir dir;
  LocalTlsFiles files;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", files, error)) << error;
  { std::ofstream(dir.path() / "tls" / "ca.key") << "garbage"; }
  EXPECT_FALSE(ensure_local_tls(dir.path() / "tls", "mx.example", files, error));
  EXPECT_NE(error.find("ca.pem/ca.key"), std::string::npos) << error;
}

}  // namespace
}  // namespace estafeta::net
