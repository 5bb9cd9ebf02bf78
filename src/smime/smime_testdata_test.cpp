// smime_testdata_test: the messages openssl cms and gpgsm made (tests/data/smime, see its
// README) verify and decrypt here: each signature valid against the test CA, each
// encrypted one decrypted with Bob's key to the text the tool was given; the same messages
// with a changed byte or a stripped signature are reported as not valid.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "smime/smime_cert.hpp"
#include "smime/smime_encrypt.hpp"
#include "smime/smime_inspect.hpp"

namespace estafeta::smime {
namespace {

const std::filesystem::path kDir = std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/data/smime";

std::string read(const std::string& name) {
  std::ifstream in(kDir / name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TrustSettings trust() {
  TrustSettings t;
  t.system_store = false;
  t.ca_files = {(kDir / "ca.pem").string()};
  return t;
}

std::vector<Identity> bob() {
  return {Identity{read("bob.key"), read("bob.pem"), ""}};
}

struct Case {
  const char* file;
  const char* tool;
  bool encrypted;
  bool is_signed;
};

class TheirMessages : public ::testing::TestWithParam<Case> {};

TEST_P(TheirMessages, VerifyAndDecrypt) {
  const Case& c = GetParam();
  auto msg = read(c.file);
  ASSERT_FALSE(msg.empty()) << c.file;
  auto v = inspect(msg, trust(), bob());
  ASSERT_TRUE(v.ok()) << v.error().text;
  EXPECT_EQ(v->was_encrypted(), c.encrypted) << format_verdict(*v);
  if (c.encrypted) {
    EXPECT_TRUE(v->decrypted()) << format_verdict(*v);
  }
  EXPECT_EQ(v->is_signed(), c.is_signed) << format_verdict(*v);
  if (c.is_signed) {
    EXPECT_TRUE(v->signed_and_valid()) << format_verdict(*v);
  }
  EXPECT_NE(v->content.find(std::string("this message was made by ") + c.tool), std::string::npos)
      << v->content;
  EXPECT_NE(v->content.find("From: alice@example.org"), std::string::npos);
  // Without Bob's key an encrypted message stays closed, and says so.
  if (c.encrypted) {
    auto closed = inspect(msg, trust());
    ASSERT_TRUE(closed.ok());
    EXPECT_FALSE(closed->decrypted());
    EXPECT_FALSE(closed->layers.at(0).problem.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Smime, TheirMessages,
    ::testing::Values(Case{"openssl_signed.eml", "openssl cms", false, true},
                      Case{"openssl_opaque.eml", "openssl cms", false, true},
                      Case{"openssl_enveloped_cbc.eml", "openssl cms", true, false},
                      Case{"openssl_authenveloped_gcm.eml", "openssl cms", true, false},
                      Case{"openssl_signed_encrypted.eml", "openssl cms", true, true},
                      Case{"gpgsm_signed.eml", "gpgsm", false, true},
                      Case{"gpgsm_opaque.eml", "gpgsm", false, true},
                      Case{"gpgsm_enveloped.eml", "gpgsm", true, false},
                      Case{"gpgsm_signed_encrypted.eml", "gpgsm", true, true}));

TEST(TheirMessagesAltered, ChangedTextIsNotValid) {
  for (const char* f : {"openssl_signed.eml", "gpgsm_signed.eml"}) {
    auto msg = read(f);
    auto pos = msg.find("Hello Bob");
    ASSERT_NE(pos, std::string::npos);
    msg[pos] = 'J';
    auto v = inspect(msg, trust());
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(v->layers.size(), 1u);
    ASSERT_EQ(v->layers[0].signatures.size(), 1u);
    EXPECT_FALSE(v->layers[0].signatures[0].signature_ok) << f;
    EXPECT_FALSE(v->signed_and_valid()) << f;
  }
}

TEST(TheirMessagesAltered, NotTrustedWithoutTheTestCa) {
  TrustSettings none;
  none.system_store = false;
  auto v = inspect(read("gpgsm_signed.eml"), none);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->layers.at(0).signatures.at(0).chain.trusted);
  EXPECT_TRUE(v->layers.at(0).signatures.at(0).signature_ok);
  EXPECT_FALSE(v->signed_and_valid());
}

// gpgsm 2.2 announces AES-128-CBC and 3DES only (it cannot read AES-GCM): mail to its user
// is encrypted with AES-256-CBC.
TEST(TheirMessagesAltered, GpgsmCapabilitiesChooseCbc) {
  auto v = inspect(read("gpgsm_signed.eml"), trust());
  ASSERT_TRUE(v.ok());
  const auto& caps = v->layers.at(0).signatures.at(0).capabilities;
  ASSERT_FALSE(caps.empty());
  EXPECT_EQ(caps.front(), "aes-128-cbc");
  EXPECT_EQ(cipher_for({caps}), Cipher::aes256_cbc);
}

TEST(TheirMessagesAltered, Pkcs12FilesOpen) {
  for (const char* f : {"alice.p12", "bob.p12"}) {
    auto id = identity_from_pkcs12(read(f), "test");
    ASSERT_TRUE(id.ok()) << f << ": " << id.error().text;
    EXPECT_TRUE(check_identity(*id).ok());
    EXPECT_EQ(id->chain_pem, read("ca.pem"));
  }
}

}  // namespace
}  // namespace estafeta::smime
