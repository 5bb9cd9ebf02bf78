// tls_local_ca_test: the generated CA and server certificate form a chain that OpenSSL
// verifies for the hostname and every listener address, keys are private, files are reused,
// a new address reissues only the server certificate, and the CA's nameConstraints let a
// certificate it signs verify for its own names only (a leaf for another IP or name, signed
// with ca.key, fails with X509_V_ERR_PERMITTED_VIOLATION).
#include "net/tls_local_ca.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
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
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mail.example.org", {"127.0.0.2", "192.0.2.10"},
                               files, error))
      << error;
  EXPECT_TRUE(files.created_ca);
  EXPECT_TRUE(files.issued_certificate);
  for (const char* host :
       {"mail.example.org", "localhost", "127.0.0.1", "::1", "127.0.0.2", "192.0.2.10"})
    EXPECT_EQ(verify_chain(files, host), 0) << host;
  EXPECT_NE(verify_chain(files, "other.example.org"), 0);
  EXPECT_NE(verify_chain(files, "192.0.2.11"), 0);
  EXPECT_FALSE(files.unconstrained_ca);
  EXPECT_TRUE(files.uncovered.empty());
}

TEST(LocalCa, KeysAndDirectoryArePrivate) {
  TempDir dir;
  LocalTlsFiles files;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {}, files, error)) << error;
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
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {}, first, error)) << error;
  std::string ca = slurp(first.ca_certificate), cert = slurp(first.certificate);
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {}, second, error)) << error;
  EXPECT_FALSE(second.created_ca);
  EXPECT_FALSE(second.issued_certificate);
  EXPECT_EQ(slurp(second.ca_certificate), ca);
  EXPECT_EQ(slurp(second.certificate), cert);
}

TEST(LocalCa, NewListenerAddressReissuesOnlyTheServerCertificate) {
  TempDir dir;
  LocalTlsFiles first, second;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {}, first, error)) << error;
  std::string ca = slurp(first.ca_certificate);
  EXPECT_NE(verify_chain(first, "127.0.0.2"), 0);
  // 127.0.0.0/8 is inside the CA's constraints from the start.
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {"127.0.0.2"}, second, error))
      << error;
  EXPECT_FALSE(second.created_ca);
  EXPECT_TRUE(second.issued_certificate);
  EXPECT_TRUE(second.uncovered.empty());
  EXPECT_EQ(slurp(second.ca_certificate), ca);
  EXPECT_EQ(verify_chain(second, "127.0.0.2"), 0);
  EXPECT_EQ(verify_chain(second, "mx.example"), 0);
}

TEST(LocalCa, AddressOutsideTheConstraintsIsLeftOutOfTheCertificate) {
  TempDir dir;
  LocalTlsFiles first, second;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {"192.0.2.1"}, first, error));
  std::string ca = slurp(first.ca_certificate);
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {"192.0.2.1", "2001:db8::7"},
                               second, error))
      << error;
  EXPECT_FALSE(second.created_ca);
  EXPECT_EQ(slurp(second.ca_certificate), ca);  // clients' trust is kept
  ASSERT_EQ(second.uncovered.size(), 1u);
  EXPECT_EQ(second.uncovered[0], "2001:db8::7");
  EXPECT_EQ(verify_chain(second, "192.0.2.1"), 0);  // the rest of the chain still verifies
  EXPECT_EQ(verify_chain(second, "mx.example"), 0);
  EXPECT_NE(verify_chain(second, "2001:db8::7"), 0);
}

TEST(LocalCa, HostnameOutsideTheConstraintsGetsANewCa) {
  TempDir dir;
  LocalTlsFiles first, second;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "old.example", {}, first, error)) << error;
  std::string ca = slurp(first.ca_certificate);
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "new.example", {}, second, error)) << error;
  EXPECT_TRUE(second.created_ca);
  EXPECT_TRUE(second.replaced_ca);
  EXPECT_TRUE(second.issued_certificate);
  EXPECT_NE(slurp(second.ca_certificate), ca);
  EXPECT_EQ(verify_chain(second, "new.example"), 0);
  // A subdomain of the name the CA was made for stays inside its constraints.
  LocalTlsFiles third;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.new.example", {}, third, error)) << error;
  EXPECT_FALSE(third.created_ca);
  EXPECT_EQ(verify_chain(third, "mx.new.example"), 0);
}

// Signs a leaf for `dns` and `ip` with the local CA's own key, as a thief of ca.key would.
std::string forge_leaf(const fs::path& tls_dir, const std::string& dns, const std::string& ip) {
  FILE* f = std::fopen((tls_dir / "ca.key").c_str(), "r");
  EVP_PKEY* ca_key = f ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr) : nullptr;
  if (f) std::fclose(f);
  X509* ca = load_pem(tls_dir / "ca.pem");
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* leaf = X509_new();
  EXPECT_TRUE(ca_key && ca && key && leaf);
  X509_set_version(leaf, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(leaf), 7);
  X509_gmtime_adj(X509_getm_notBefore(leaf), -60);
  X509_gmtime_adj(X509_getm_notAfter(leaf), 3600);
  X509_set_issuer_name(leaf, X509_get_subject_name(ca));
  X509_set_pubkey(leaf, key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca, leaf, nullptr, nullptr, 0);
  std::string san = "DNS:" + dns + ",IP:" + ip;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  EXPECT_NE(ext, nullptr);
  X509_add_ext(leaf, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(leaf, ca_key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, leaf);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  X509_free(leaf);
  EVP_PKEY_free(key);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  return pem;
}

TEST(LocalCa, ConstraintsRefuseNamesTheCaWasNotMadeFor) {
  TempDir dir;
  LocalTlsFiles files;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {"192.0.2.1"}, files, error))
      << error;
  auto verify_forged = [&](const std::string& dns, const std::string& ip, const std::string& as) {
    LocalTlsFiles forged = files;
    forged.certificate = dir.path() / "forged.pem";
    { std::ofstream(forged.certificate) << forge_leaf(dir.path() / "tls", dns, ip); }
    return verify_chain(forged, as);
  };
  // Inside: a name and addresses the CA was made for.
  EXPECT_EQ(verify_forged("mx.example", "192.0.2.1", "192.0.2.1"), 0);
  EXPECT_EQ(verify_forged("localhost", "127.0.0.9", "127.0.0.9"), 0);
  // Outside: another IP, another name (even when the client asks for an allowed one).
  EXPECT_EQ(verify_forged("mx.example", "192.0.2.2", "192.0.2.2"), X509_V_ERR_PERMITTED_VIOLATION);
  EXPECT_EQ(verify_forged("mx.example", "2001:db8::1", "mx.example"),
            X509_V_ERR_PERMITTED_VIOLATION);
  EXPECT_EQ(verify_forged("www.bank.example", "192.0.2.1", "www.bank.example"),
            X509_V_ERR_PERMITTED_VIOLATION);
  // The extension is there and critical.
  X509* ca = load_pem(files.ca_certificate);
  ASSERT_NE(ca, nullptr);
  int at = X509_get_ext_by_NID(ca, NID_name_constraints, -1);
  ASSERT_GE(at, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca, at)), 1);
  X509_free(ca);
}

TEST(LocalAddresses, ExplicitAddressesAreCanonicalAndWildcardsAddInterfaces) {
  auto explicit_only = local_tls_addresses({"127.0.0.2", "2001:DB8::0:1", "127.0.0.2"});
  ASSERT_EQ(explicit_only.size(), 2u);
  EXPECT_EQ(explicit_only[0], "127.0.0.2");
  EXPECT_EQ(explicit_only[1], "2001:db8::1");
  for (const auto& a : local_tls_addresses({""})) {
    EXPECT_NE(a.rfind("127.", 0), 0u) << a;  // loopback is certified anyway
    EXPECT_NE(a, "::1");
    EXPECT_NE(a.rfind("fe80:", 0), 0u) << a;
  }
  for (const auto& a : local_tls_addresses({"0.0.0.0"}))
    EXPECT_EQ(a.find(':'), std::string::npos) << a;
}

// A CA as older versions made it: no nameConstraints.
void write_legacy_ca(const fs::path& tls_dir) {
  fs::create_directories(tls_dir);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* ca = X509_new();
  X509_set_version(ca, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(ca), 1);
  X509_gmtime_adj(X509_getm_notBefore(ca), -60);
  X509_gmtime_adj(X509_getm_notAfter(ca), 86400);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(ca), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Legacy CA"), -1, -1, 0);
  X509_set_issuer_name(ca, X509_get_subject_name(ca));
  X509_set_pubkey(ca, key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca, ca, nullptr, nullptr, 0);
  X509_EXTENSION* bc =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  X509_add_ext(ca, bc, -1);
  X509_EXTENSION_free(bc);
  X509_EXTENSION* ski = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_key_identifier, "hash");
  X509_add_ext(ca, ski, -1);
  X509_EXTENSION_free(ski);
  X509_sign(ca, key, EVP_sha256());
  FILE* f = std::fopen((tls_dir / "ca.pem").c_str(), "w");
  PEM_write_X509(f, ca);
  std::fclose(f);
  f = std::fopen((tls_dir / "ca.key").c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(ca);
  EVP_PKEY_free(key);
}

TEST(LocalCa, UnconstrainedCaFromAnOlderVersionIsKeptAndReported) {
  TempDir dir;
  write_legacy_ca(dir.path() / "tls");
  std::string ca = slurp(dir.path() / "tls" / "ca.pem");
  LocalTlsFiles files;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {"192.0.2.5"}, files, error))
      << error;
  EXPECT_TRUE(files.unconstrained_ca);
  EXPECT_FALSE(files.created_ca);
  EXPECT_TRUE(files.issued_certificate);
  EXPECT_TRUE(files.uncovered.empty());
  EXPECT_EQ(slurp(files.ca_certificate), ca);  // clients' trust is kept
  EXPECT_EQ(verify_chain(files, "192.0.2.5"), 0);
  EXPECT_EQ(verify_chain(files, "mx.example"), 0);
}

TEST(LocalCa, CorruptCaIsReportedNotReplaced) {
  TempDir dir;
  LocalTlsFiles files;
  std::string error;
  ASSERT_TRUE(ensure_local_tls(dir.path() / "tls", "mx.example", {}, files, error)) << error;
  { std::ofstream(dir.path() / "tls" / "ca.key") << "garbage"; }
  EXPECT_FALSE(ensure_local_tls(dir.path() / "tls", "mx.example", {}, files, error));
  EXPECT_NE(error.find("ca.pem/ca.key"), std::string::npos) << error;
}

}  // namespace
}  // namespace estafeta::net
