// delivery_encryption_test: encryption at rest's own rules: which addresses may name a
// certificate file, which messages count as already encrypted (and are stored as they are),
// and that a copy sealed for a certificate keeps its header fields outside.
#include "delivery/delivery_encryption.hpp"

#include <gtest/gtest.h>

#include "base/test_temp_dir.hpp"
#include "smime/smime_ca.hpp"

namespace estafeta::delivery {
namespace {

TEST(AtRestEncryption, CertificatePathsAreSafeFileNames) {
  const std::filesystem::path dir = "/d";
  EXPECT_EQ(AtRestEncryption::certificate_path(dir, "Alice@Example.ORG"),
            "/d/alice@example.org.pem");
  EXPECT_TRUE(AtRestEncryption::certificate_path(dir, "").empty());
  EXPECT_TRUE(AtRestEncryption::certificate_path(dir, "../etc/passwd").empty());
  EXPECT_TRUE(AtRestEncryption::certificate_path(dir, "a/b@example.org").empty());
  EXPECT_TRUE(AtRestEncryption::certificate_path(dir, "a b@example.org").empty());
  EXPECT_TRUE(AtRestEncryption::certificate_path(dir, std::string(400, 'a')).empty());
}

TEST(AtRestEncryption, AlreadyEncryptedMeansEnvelopedAtTheTop) {
  EXPECT_TRUE(AtRestEncryption::already_encrypted(
      "Subject: x\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data;\r\n"
      " name=smime.p7m\r\n\r\nMIIB\r\n"));
  EXPECT_TRUE(AtRestEncryption::already_encrypted(
      "Content-Type: Application/X-PKCS7-MIME; smime-type=\"authEnveloped-data\"\r\n\r\nx\r\n"));
  // Signed only, plain text, or a pkcs7-mime part deeper down: not encrypted.
  EXPECT_FALSE(AtRestEncryption::already_encrypted(
      "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\nx\r\n"));
  EXPECT_FALSE(AtRestEncryption::already_encrypted("Subject: x\r\n\r\nhello\r\n"));
  EXPECT_FALSE(AtRestEncryption::already_encrypted(
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: "
      "application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nx\r\n--b--\r\n"));
}

TEST(AtRestEncryption, ReadsThePublishedCertificate) {
  estafeta::testing::TempDir tmp;
  AtRestEncryption enc(tmp.path());
  EXPECT_EQ(enc.certificate("alice@example.org"), "");
  std::FILE* f = std::fopen((tmp.path() / "alice@example.org.pem").c_str(), "w");
  ASSERT_TRUE(f);
  std::fputs("-----BEGIN CERTIFICATE-----\n", f);
  std::fclose(f);
  EXPECT_EQ(enc.certificate("Alice@Example.org"), "-----BEGIN CERTIFICATE-----\n");
}

TEST(AtRestEncryption, SealKeepsTheHeaderOutsideAndLeavesEncryptedMailAlone) {
  auto ca = smime::make_ca({});
  ASSERT_TRUE(ca) << ca.error().text;
  smime::IssueOptions o;
  o.email = "alice@example.org";
  o.key = smime::KeyType::ec_p256;
  auto alice = smime::issue_certificate(*ca, o);
  ASSERT_TRUE(alice) << alice.error().text;
  const std::string message =
      "Received: by mx.example.org; Wed, 2 Dec 2026 10:00:00 +0000\r\nFrom: b@example.net\r\n"
      "Subject: plans\r\n\r\nthe secret\r\n";
  const AtRestEncryption enc("/nonexistent");
  auto sealed = enc.seal(message, "alice@example.org", alice->cert_pem);
  ASSERT_TRUE(sealed) << sealed.error().text;
  EXPECT_EQ(sealed->find("the secret"), std::string::npos);
  EXPECT_NE(sealed->find("Subject: plans\r\n"), std::string::npos);
  EXPECT_NE(sealed->find("Received: by mx.example.org"), std::string::npos);
  EXPECT_TRUE(AtRestEncryption::already_encrypted(*sealed));
  auto again = enc.seal(*sealed, "alice@example.org", alice->cert_pem);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *sealed);
  auto wrong = enc.seal(message, "alice@example.org", "not a certificate");
  EXPECT_FALSE(wrong);
  // An expired certificate still seals (its owner's key opens the mail); CBC on request.
  o.not_before_offset = -3 * 86400;
  o.days = 1;
  auto expired = smime::issue_certificate(*ca, o);
  ASSERT_TRUE(expired) << expired.error().text;
  const AtRestEncryption cbc("/nonexistent", true);
  auto old = cbc.seal(message, "alice@example.org", expired->cert_pem);
  ASSERT_TRUE(old) << old.error().text;
  EXPECT_NE(old->find("smime-type=enveloped-data"), std::string::npos);
  EXPECT_NE(sealed->find("authEnveloped-data"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::delivery
