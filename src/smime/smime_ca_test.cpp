// smime_ca_test: the small CA: a CA certificate with CA:TRUE and keyCertSign/cRLSign, S/MIME
// certificates with rfc822Name, emailProtection and digitalSignature+keyEncipherment that
// verify against it, EC keys, bad addresses refused, PKCS#12 round trips.
#include "smime/smime_ca.hpp"

#include <gtest/gtest.h>

#include "smime/smime_ossl.hpp"
#include "smime/smime_test_pki.hpp"
#include "smime/smime_trust_store.hpp"

namespace estafeta::smime {
namespace {

using testing::Pki;

TEST(SmimeCa, CaCertificate) {
  const auto& pki = Pki::get();
  auto ca = ossl::read_cert(pki.ca.cert_pem);
  ASSERT_TRUE(ca.ok());
  EXPECT_EQ(X509_check_ca(ca->get()), 1);
  std::uint32_t ku = X509_get_key_usage(ca->get());
  EXPECT_TRUE(ku & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(ku & KU_CRL_SIGN);
  auto info = read_certificate(pki.ca.cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->subject, "CN=Estafeta Test CA");
}

TEST(SmimeCa, EndEntityCertificate) {
  const auto& pki = Pki::get();
  auto c = ossl::read_cert(pki.alice.cert_pem);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(X509_check_ca(c->get()), 0);
  std::uint32_t ku = X509_get_key_usage(c->get());
  EXPECT_TRUE(ku & KU_DIGITAL_SIGNATURE);
  EXPECT_TRUE(ku & KU_KEY_ENCIPHERMENT);
  EXPECT_FALSE(ku & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_extended_key_usage(c->get()) & XKU_SMIME);
  EXPECT_EQ(ossl::cert_emails(c->get()), std::vector<std::string>{"alice@example.org"});
  auto check = check_certificate(pki.alice.cert_pem, "", pki.trust());
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->trusted);
  EXPECT_FALSE(check->expired);
  EXPECT_EQ(check->path.size(), 2u);
  EXPECT_TRUE(check_identity(pki.alice).ok());
  auto expired = check_certificate(pki.alice_expired.cert_pem, "", pki.trust());
  ASSERT_TRUE(expired.ok());
  EXPECT_TRUE(expired->expired);
}

TEST(SmimeCa, EcKeysAndBadInput) {
  const auto& pki = Pki::get();
  auto ec = issue_certificate(pki.ca, {.email = "ec@example.org", .key = KeyType::ec_p256});
  ASSERT_TRUE(ec.ok()) << ec.error().text;
  EXPECT_TRUE(check_identity(*ec).ok());
  for (const char* bad : {"", "no-at-sign", "a@b@c", "a b@example.org", "a,b@example.org",
                          "x@example.org,email:y@example.org"}) {
    auto r = issue_certificate(pki.ca, {.email = bad});
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_FALSE(issue_certificate(pki.ca, {.email = "a@example.org", .days = 0}).ok());
  Identity mismatched = pki.ca;
  mismatched.key_pem = pki.alice.key_pem;
  EXPECT_FALSE(issue_certificate(mismatched, {.email = "a@example.org"}).ok());
  EXPECT_FALSE(check_identity(mismatched).ok());
}

TEST(SmimeCa, Pkcs12RoundTrip) {
  const auto& pki = Pki::get();
  auto p12 = identity_to_pkcs12(pki.alice, "pw", "alice@example.org");
  ASSERT_TRUE(p12.ok());
  auto back = identity_from_pkcs12(*p12, "pw");
  ASSERT_TRUE(back.ok()) << back.error().text;
  EXPECT_EQ(back->cert_pem, pki.alice.cert_pem);
  EXPECT_EQ(back->chain_pem, pki.ca.cert_pem);
  EXPECT_TRUE(check_identity(*back).ok());
  EXPECT_FALSE(identity_from_pkcs12(*p12, "wrong").ok());
  EXPECT_FALSE(identity_from_pkcs12("not a pkcs12", "pw").ok());
}

}  // namespace
}  // namespace estafeta::smime
