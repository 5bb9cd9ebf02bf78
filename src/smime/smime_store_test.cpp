// smime_store_test: the certificate store on disk: modes (0700 folders, 0600 keys), keys
// encrypted with the import passphrase, PKCS#12 import with the passphrase callback, finding
// certificates by address, collecting signers' certificates only from verified mail.
#include "smime/smime_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "base/test_temp_dir.hpp"
#include "smime/smime_sign.hpp"
#include "smime/smime_test_pki.hpp"

namespace estafeta::smime {
namespace {

using testing::message_from;
using testing::Pki;

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

PassphraseCallback give(std::string pass, int* calls = nullptr) {
  return [pass, calls](const std::string&, std::string& out) {
    if (calls) ++*calls;
    out = pass;
    return true;
  };
}

TEST(SmimeStore, OpenMakesPrivateFolders) {
  estafeta::testing::TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "s");
  ::chmod((tmp.path() / "s").c_str(), 0755);
  Store store(tmp.path() / "s");
  ASSERT_TRUE(store.open().ok());
  EXPECT_EQ(mode_of(tmp.path() / "s"), 0700u);
  EXPECT_EQ(mode_of(tmp.path() / "s" / "own"), 0700u);
  EXPECT_EQ(mode_of(tmp.path() / "s" / "people"), 0700u);
}

TEST(SmimeStore, ImportPkcs12KeepsTheKeyEncrypted) {
  const auto& pki = Pki::get();
  estafeta::testing::TempDir tmp;
  Store store(tmp.path() / "s");
  ASSERT_TRUE(store.open().ok());
  auto p12 = identity_to_pkcs12(pki.alice, "s3cret", "alice@example.org");
  ASSERT_TRUE(p12.ok());
  int calls = 0;
  auto info = store.import_pkcs12(*p12, give("s3cret", &calls), "alice.p12");
  ASSERT_TRUE(info.ok()) << info.error().text;
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(info->covers("Alice@Example.org"));
  auto key_file = tmp.path() / "s" / "own" / (info->fingerprint + ".key.pem");
  EXPECT_EQ(mode_of(key_file), 0600u);
  auto key = slurp(key_file);
  EXPECT_NE(key.find("BEGIN ENCRYPTED PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(key.find("BEGIN PRIVATE KEY"), std::string::npos);
  // Listed, found, and usable once unlocked.
  auto own = store.own();
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(own->size(), 1u);
  EXPECT_TRUE(store.find("alice@example.org").ok());
  auto id = store.own_identity("alice@example.org", give("s3cret"));
  ASSERT_TRUE(id.ok()) << id.error().text;
  EXPECT_EQ(id->chain_pem, pki.ca.cert_pem);
  auto s = sign(message_from("alice@example.org"), *id);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(store.own_identity("alice@example.org", give("wrong")).ok());
  EXPECT_EQ(store.own_identities(give("wrong")).size(), 0u);
  EXPECT_EQ(store.own_identities(give("s3cret")).size(), 1u);
  EXPECT_FALSE(store.own_identity("bob@example.org", give("s3cret")).ok());
}

TEST(SmimeStore, WrongPkcs12PassphraseIsAnError) {
  const auto& pki = Pki::get();
  estafeta::testing::TempDir tmp;
  Store store(tmp.path() / "s");
  ASSERT_TRUE(store.open().ok());
  auto p12 = identity_to_pkcs12(pki.alice, "right", "alice");
  ASSERT_TRUE(p12.ok());
  int calls = 0;
  auto info = store.import_pkcs12(*p12, give("wrong", &calls), "alice.p12");
  EXPECT_FALSE(info.ok());
  EXPECT_EQ(calls, 3);
  auto none = store.import_pkcs12(*p12, nullptr, "alice.p12");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().text.find("alice.p12"), std::string::npos);
}

TEST(SmimeStore, UnencryptedImportIsMode0600) {
  const auto& pki = Pki::get();
  estafeta::testing::TempDir tmp;
  Store store(tmp.path() / "s");
  ASSERT_TRUE(store.open().ok());
  auto info = store.import_identity(pki.bob, "");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(mode_of(tmp.path() / "s" / "own" / (info->fingerprint + ".key.pem")), 0600u);
  EXPECT_TRUE(store.own_identity("bob@example.org", nullptr).ok());
}

TEST(SmimeStore, CollectsOnlyVerifiedSigners) {
  const auto& pki = Pki::get();
  estafeta::testing::TempDir tmp;
  Store store(tmp.path() / "s");
  ASSERT_TRUE(store.open().ok());
  auto good = sign(message_from("bob@example.org"), pki.bob);
  auto v = inspect(*good, pki.trust());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(store.collect(*v), 1u);
  auto bob = store.find("BOB@example.org");
  ASSERT_TRUE(bob.ok());
  EXPECT_TRUE(bob->covers("bob@example.org"));
  EXPECT_EQ(store.capabilities("bob@example.org").front(), "aes-256-gcm");
  EXPECT_TRUE(store.capabilities("nobody@example.org").empty());
  // A signer from an untrusted CA is not kept.
  auto untrusted = sign(message_from("alice@example.org"), pki.other_alice);
  auto v2 = inspect(*untrusted, pki.trust());
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(store.collect(*v2), 0u);
  EXPECT_FALSE(store.find("alice@example.org").ok());
  auto people = store.people();
  ASSERT_TRUE(people.ok());
  EXPECT_EQ(people->size(), 1u);
}

TEST(SmimeStore, AddCertificateKeepsTheLongerValid) {
  const auto& pki = Pki::get();
  estafeta::testing::TempDir tmp;
  Store store(tmp.path() / "s");
  ASSERT_TRUE(store.open().ok());
  ASSERT_TRUE(store.add_certificate(pki.alice.cert_pem).ok());
  ASSERT_TRUE(store.add_certificate(pki.alice_expired.cert_pem).ok());
  auto found = store.find("alice@example.org");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->pem, pki.alice.cert_pem);
  EXPECT_FALSE(store.add_certificate(pki.ca.cert_pem).ok());  // names no address
  EXPECT_FALSE(store.find("../../etc/passwd").ok());
}

}  // namespace
}  // namespace estafeta::smime
