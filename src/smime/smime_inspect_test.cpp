// smime_inspect_test: each verdict inspect() gives, on messages made by sign()/encrypt() with
// the test PKI (smime_test_pki.hpp): valid, tampered content, a bad signature value, the wrong
// key to decrypt, an expired certificate, an untrusted CA, From not in the certificate, a
// signature part stripped or replaced, a signed part inside an unsigned message, a
// certificate revoked by a CRL; opaque signed-data; encryption (GCM and CBC) and
// sign-then-encrypt round trips; limits.
#include "smime/smime_inspect.hpp"

#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "mime/mime_parser.hpp"
#include "smime/smime_encrypt.hpp"
#include "smime/smime_ossl.hpp"
#include "smime/smime_sign.hpp"
#include "smime/smime_test_pki.hpp"

namespace estafeta::smime {
namespace {

using testing::message_from;
using testing::Pki;

Verdict inspect_ok(const std::string& msg, const TrustSettings& trust,
                   const std::vector<Identity>& keys = {}) {
  auto v = inspect(msg, trust, keys);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().text);
  return v.ok() ? *v : Verdict{};
}

std::string signed_by(const Identity& id, const std::string& from = "alice@example.org",
                      SignOptions o = {}) {
  auto s = sign(message_from(from), id, o);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().text);
  return s.ok() ? *s : std::string();
}

TEST(SmimeInspect, ValidSignature) {
  const auto& pki = Pki::get();
  auto msg = signed_by(pki.alice);
  EXPECT_NE(msg.find("multipart/signed; protocol=\"application/pkcs7-signature\""),
            std::string::npos);
  EXPECT_NE(msg.find("micalg=sha-256"), std::string::npos);
  // Outer headers stay outside the signed entity.
  auto m = mime::parse(msg);
  EXPECT_NE(m.find_field(m.root(), "Subject"), nullptr);
  EXPECT_NE(m.find_field(m.root(), "Message-ID"), nullptr);
  auto v = inspect_ok(msg, pki.trust());
  ASSERT_EQ(v.layers.size(), 1u);
  const auto& l = v.layers[0];
  EXPECT_EQ(l.kind, Layer::Kind::signed_multipart);
  EXPECT_TRUE(l.whole_message);
  EXPECT_EQ(l.problem, "");
  ASSERT_EQ(l.signatures.size(), 1u);
  const auto& s = l.signatures[0];
  EXPECT_TRUE(s.signature_ok) << s.signature_error;
  EXPECT_TRUE(s.chain.trusted);
  EXPECT_FALSE(s.chain.expired);
  EXPECT_TRUE(s.from_matches);
  EXPECT_EQ(s.signer.emails, std::vector<std::string>{"alice@example.org"});
  EXPECT_NE(s.signer.subject.find("CN=Alice"), std::string::npos);
  EXPECT_FALSE(s.signing_time.empty());
  EXPECT_TRUE(s.valid());
  EXPECT_TRUE(v.signed_and_valid());
  // The content to show: outer fields plus the signed entity, no signature part.
  EXPECT_NE(v.content.find("Subject: Quarterly figures"), std::string::npos);
  EXPECT_NE(v.content.find("the figures are attached"), std::string::npos);
  EXPECT_EQ(v.content.find("smime.p7s"), std::string::npos);
  EXPECT_NE(format_verdict(v).find("VALID"), std::string::npos);
  EXPECT_EQ(format_verdict(v).find("NOT VALID"), std::string::npos);
}

TEST(SmimeInspect, TamperedContentIsNeverValid) {
  const auto& pki = Pki::get();
  auto msg = signed_by(pki.alice);
  auto pos = msg.find("the figures");
  ASSERT_NE(pos, std::string::npos);
  msg.replace(pos, 11, "the figurez");
  auto v = inspect_ok(msg, pki.trust());
  ASSERT_EQ(v.layers.size(), 1u);
  ASSERT_EQ(v.layers[0].signatures.size(), 1u);
  const auto& s = v.layers[0].signatures[0];
  EXPECT_FALSE(s.signature_ok);
  EXPECT_NE(s.signature_error.find("altered"), std::string::npos) << s.signature_error;
  EXPECT_FALSE(s.valid());
  EXPECT_FALSE(v.signed_and_valid());
  EXPECT_NE(format_verdict(v).find("NOT VALID"), std::string::npos);
  EXPECT_NE(format_verdict(v).find("BAD SIGNATURE"), std::string::npos);
}

TEST(SmimeInspect, ChangedSignatureValueFails) {
  const auto& pki = Pki::get();
  auto msg = signed_by(pki.alice);
  auto m = mime::parse(msg);
  const auto& sig = m.parts[m.child(0, 2)];
  std::string der;
  base64::decode(m.body_bytes(sig), der);
  auto bio = ossl::mem_in(der);
  ossl::CmsPtr cms(d2i_CMS_bio(bio.get(), nullptr));
  ASSERT_TRUE(cms);
  auto* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(si);
  std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                    static_cast<std::size_t>(ASN1_STRING_length(value)));
  bytes[bytes.size() / 2] ^= 0x01;
  ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>(bytes.data()),
                        static_cast<int>(bytes.size()));
  ossl::Bio out(BIO_new(BIO_s_mem()));
  ASSERT_EQ(i2d_CMS_bio(out.get(), cms.get()), 1);
  std::string forged = std::string(msg.substr(0, sig.body.offset)) +
                       base64::encode(ossl::mem_contents(out.get()), 76) +
                       std::string(msg.substr(sig.body.end()));
  auto v = inspect_ok(forged, pki.trust());
  ASSERT_EQ(v.layers.size(), 1u);
  ASSERT_EQ(v.layers[0].signatures.size(), 1u);
  EXPECT_FALSE(v.layers[0].signatures[0].signature_ok);
  EXPECT_NE(v.layers[0].signatures[0].signature_error.find("does not verify"), std::string::npos);
  EXPECT_FALSE(v.signed_and_valid());
}

TEST(SmimeInspect, ExpiredCertificate) {
  const auto& pki = Pki::get();
  auto v = inspect_ok(signed_by(pki.alice_expired), pki.trust());
  ASSERT_EQ(v.layers.size(), 1u);
  const auto& s = v.layers[0].signatures.at(0);
  EXPECT_TRUE(s.signature_ok);
  EXPECT_TRUE(s.chain.expired);
  EXPECT_FALSE(s.valid());
  EXPECT_NE(format_verdict(v).find("EXPIRED"), std::string::npos);
}

TEST(SmimeInspect, UntrustedCa) {
  const auto& pki = Pki::get();
  auto v = inspect_ok(signed_by(pki.other_alice), pki.trust());
  const auto& s = v.layers.at(0).signatures.at(0);
  EXPECT_TRUE(s.signature_ok);
  EXPECT_FALSE(s.chain.trusted);
  EXPECT_TRUE(s.chain.untrusted_issuer);
  EXPECT_TRUE(s.from_matches);
  EXPECT_FALSE(s.valid());
  EXPECT_NE(format_verdict(v).find("NOT TRUSTED"), std::string::npos);
  // Trusting that CA makes it valid.
  auto trust = pki.trust();
  trust.ca_pems.push_back(pki.other_ca.cert_pem);
  EXPECT_TRUE(inspect_ok(signed_by(pki.other_alice), trust).signed_and_valid());
}

TEST(SmimeInspect, FromNotInCertificate) {
  const auto& pki = Pki::get();
  auto v = inspect_ok(signed_by(pki.alice, "ceo@example.org"), pki.trust());
  const auto& s = v.layers.at(0).signatures.at(0);
  EXPECT_TRUE(s.signature_ok);
  EXPECT_TRUE(s.chain.trusted);
  EXPECT_EQ(s.from, "ceo@example.org");
  EXPECT_FALSE(s.from_matches);
  EXPECT_FALSE(s.valid());
  EXPECT_NE(format_verdict(v).find("ceo@example.org is NOT in the certificate"), std::string::npos);
}

TEST(SmimeInspect, SignatureStripped) {
  const auto& pki = Pki::get();
  auto msg = signed_by(pki.alice);
  auto m = mime::parse(msg);
  const auto& first = m.parts[m.child(0, 1)];
  const auto& sig = m.parts[m.child(0, 2)];
  // Cut from the boundary before the signature part to the closing boundary.
  auto cut_from = msg.rfind("\r\n--", sig.header.offset - 1);
  auto cut_to = msg.find("\r\n--", sig.body.end());
  ASSERT_GT(cut_from, first.body.end() - 1);
  std::string stripped = msg.substr(0, cut_from) + msg.substr(cut_to);
  auto v = inspect_ok(stripped, pki.trust());
  ASSERT_EQ(v.layers.size(), 1u);
  EXPECT_TRUE(v.layers[0].signatures.empty());
  EXPECT_NE(v.layers[0].problem.find("signature stripped"), std::string::npos);
  EXPECT_TRUE(v.is_signed());
  EXPECT_FALSE(v.signed_and_valid());
  EXPECT_NE(format_verdict(v).find("NOT VALID"), std::string::npos);
  EXPECT_NE(v.content.find("the figures are attached"), std::string::npos);
}

TEST(SmimeInspect, SignatureReplaced) {
  const auto& pki = Pki::get();
  auto msg = signed_by(pki.alice);
  auto m = mime::parse(msg);
  const auto& sig = m.parts[m.child(0, 2)];
  std::string replaced = msg.substr(0, sig.header.offset) +
                         "Content-Type: text/plain\r\n\r\nTrust me.\r\n" +
                         msg.substr(sig.body.end());
  auto v = inspect_ok(replaced, pki.trust());
  ASSERT_EQ(v.layers.size(), 1u);
  EXPECT_NE(v.layers[0].problem.find("replaced by text/plain"), std::string::npos);
  EXPECT_FALSE(v.signed_and_valid());
}

TEST(SmimeInspect, SignedPartInsideUnsignedMessage) {
  const auto& pki = Pki::get();
  auto inner = signed_by(pki.alice);
  auto m = mime::parse(inner);
  // An unsigned multipart/mixed whose second part is Alice's signed entity.
  std::string signed_entity(inner.substr(m.root().header.offset));
  std::string ct;
  for (const auto& f : m.fields_of(m.root()))
    if (mime::iequals(f.name, "Content-Type")) ct = std::string(f.raw);
  std::string body(m.body_bytes(m.root()));
  std::string outer =
      "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: forged\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
      "--outer\r\nContent-Type: text/plain\r\n\r\nWire the money to account 123.\r\n"
      "--outer\r\n" +
      ct + "\r\n" + body + "\r\n--outer--\r\n";
  auto v = inspect_ok(outer, pki.trust());
  ASSERT_EQ(v.layers.size(), 1u);
  EXPECT_EQ(v.layers[0].part, "2");
  EXPECT_FALSE(v.layers[0].whole_message);
  ASSERT_EQ(v.layers[0].signatures.size(), 1u);
  EXPECT_TRUE(v.layers[0].signatures[0].valid());  // that part's signature is fine...
  EXPECT_FALSE(v.signed_and_valid());              // ...but the message is not signed
  EXPECT_NE(format_verdict(v).find("only part 2, not the whole message"), std::string::npos);
  EXPECT_NE(v.content.find("Wire the money"), std::string::npos);
}

TEST(SmimeInspect, RevokedByCrl) {
  const auto& pki = Pki::get();
  auto trust = pki.trust();
  trust.crl_pems = {pki.crl};
  auto v = inspect_ok(signed_by(pki.revoked), trust);
  const auto& s = v.layers.at(0).signatures.at(0);
  EXPECT_TRUE(s.signature_ok);
  EXPECT_TRUE(s.chain.revoked);
  EXPECT_FALSE(s.valid());
  EXPECT_NE(format_verdict(v).find("REVOKED"), std::string::npos);
  // A certificate the CRL does not list stays valid, with revocation checked.
  auto ok = inspect_ok(signed_by(pki.alice), trust);
  EXPECT_TRUE(ok.signed_and_valid());
  EXPECT_TRUE(ok.layers.at(0).signatures.at(0).chain.revocation_checked);
  // Without the CRL the revoked certificate is not known to be revoked.
  EXPECT_TRUE(inspect_ok(signed_by(pki.revoked), pki.trust()).signed_and_valid());
}

TEST(SmimeInspect, OpaqueSignedData) {
  const auto& pki = Pki::get();
  auto msg = signed_by(pki.alice, "alice@example.org", {.opaque = true});
  EXPECT_NE(msg.find("smime-type=signed-data"), std::string::npos);
  auto v = inspect_ok(msg, pki.trust());
  ASSERT_EQ(v.layers.size(), 1u);
  EXPECT_EQ(v.layers[0].kind, Layer::Kind::signed_opaque);
  EXPECT_TRUE(v.signed_and_valid());
  EXPECT_NE(v.content.find("the figures are attached"), std::string::npos);
}

TEST(SmimeInspect, EightBitBodyIsTransferEncodedAndVerifies) {
  const auto& pki = Pki::get();
  auto s = sign(message_from("alice@example.org", "Grüße aus Köln\n"), pki.alice);
  ASSERT_TRUE(s.ok());
  for (unsigned char c : *s) ASSERT_LT(c, 0x80);
  auto v = inspect_ok(*s, pki.trust());
  EXPECT_TRUE(v.signed_and_valid());
}

TEST(SmimeInspect, BareLfLineEndsStillVerify) {
  const auto& pki = Pki::get();
  auto msg = signed_by(pki.alice);
  std::string lf;
  for (char c : msg)
    if (c != '\r') lf += c;
  EXPECT_TRUE(inspect_ok(lf, pki.trust()).signed_and_valid());
}

TEST(SmimeInspect, EncryptDecryptGcmAndCbc) {
  const auto& pki = Pki::get();
  for (auto cipher : {Cipher::aes256_gcm, Cipher::aes256_cbc}) {
    auto e =
        encrypt(message_from("alice@example.org"),
                {{"bob@example.org", pki.bob.cert_pem}, {"alice@example.org", pki.alice.cert_pem}},
                {.cipher = cipher});
    ASSERT_TRUE(e.ok()) << e.error().text;
    EXPECT_EQ(e->find("the figures"), std::string::npos);
    EXPECT_NE(e->find("Subject: Quarterly figures"), std::string::npos);
    EXPECT_NE(e->find(cipher == Cipher::aes256_gcm ? "smime-type=authEnveloped-data"
                                                   : "smime-type=enveloped-data"),
              std::string::npos);
    for (const auto* key : {&pki.bob, &pki.alice}) {
      auto v = inspect_ok(*e, pki.trust(), {*key});
      ASSERT_EQ(v.layers.size(), 1u);
      EXPECT_EQ(v.layers[0].kind, cipher == Cipher::aes256_gcm ? Layer::Kind::auth_enveloped
                                                               : Layer::Kind::enveloped);
      EXPECT_EQ(v.layers[0].cipher, cipher == Cipher::aes256_gcm ? "aes-256-gcm" : "aes-256-cbc");
      EXPECT_EQ(v.layers[0].recipients, 2u);
      EXPECT_TRUE(v.decrypted());
      EXPECT_TRUE(v.was_encrypted());
      EXPECT_NE(v.content.find("the figures are attached"), std::string::npos);
      EXPECT_NE(v.content.find("Subject: Quarterly figures"), std::string::npos);
    }
  }
}

TEST(SmimeInspect, WrongKeyCannotDecrypt) {
  const auto& pki = Pki::get();
  auto e = encrypt(message_from("alice@example.org"), {{"bob@example.org", pki.bob.cert_pem}});
  ASSERT_TRUE(e.ok());
  auto v = inspect_ok(*e, pki.trust(), {pki.alice});
  ASSERT_EQ(v.layers.size(), 1u);
  EXPECT_FALSE(v.layers[0].decrypted);
  EXPECT_NE(v.layers[0].problem.find("none of your 1 key(s)"), std::string::npos)
      << v.layers[0].problem;
  EXPECT_EQ(v.content, *e);
  EXPECT_NE(format_verdict(v).find("NOT DECRYPTED"), std::string::npos);
  auto none = inspect_ok(*e, pki.trust());
  EXPECT_NE(none.layers.at(0).problem.find("no private key"), std::string::npos);
}

TEST(SmimeInspect, AlteredCiphertextFailsUnderGcm) {
  const auto& pki = Pki::get();
  auto e = encrypt(message_from("alice@example.org"), {{"bob@example.org", pki.bob.cert_pem}});
  ASSERT_TRUE(e.ok());
  auto m = mime::parse(*e);
  std::string der;
  base64::decode(m.body_bytes(m.root()), der);
  der[der.size() - 40] ^= 0x01;  // inside the encrypted content or the tag
  std::string altered = e->substr(0, m.root().body.offset) + base64::encode(der, 76) + "\r\n";
  auto v = inspect_ok(altered, pki.trust(), {pki.bob});
  ASSERT_EQ(v.layers.size(), 1u);
  EXPECT_FALSE(v.layers[0].decrypted);
  EXPECT_NE(v.layers[0].problem.find("decryption failed"), std::string::npos)
      << v.layers[0].problem;
}

TEST(SmimeInspect, SignThenEncrypt) {
  const auto& pki = Pki::get();
  auto e = sign_and_encrypt(message_from("alice@example.org"), pki.alice,
                            {{"bob@example.org", pki.bob.cert_pem}});
  ASSERT_TRUE(e.ok()) << e.error().text;
  auto v = inspect_ok(*e, pki.trust(), {pki.bob});
  ASSERT_EQ(v.layers.size(), 2u);
  EXPECT_EQ(v.layers[0].kind, Layer::Kind::auth_enveloped);
  EXPECT_TRUE(v.layers[0].decrypted);
  EXPECT_EQ(v.layers[1].kind, Layer::Kind::signed_multipart);
  EXPECT_TRUE(v.layers[1].whole_message);
  EXPECT_TRUE(v.signed_and_valid());
  EXPECT_NE(v.content.find("the figures are attached"), std::string::npos);
  auto text = format_verdict(v);
  EXPECT_NE(text.find("encrypted"), std::string::npos);
  EXPECT_NE(text.find("decrypted"), std::string::npos);
}

TEST(SmimeInspect, MissingRecipientCertificateNamesTheAddress) {
  const auto& pki = Pki::get();
  auto e = encrypt(message_from("alice@example.org"),
                   {{"bob@example.org", pki.bob.cert_pem}, {"carol@example.net", ""}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().text.find("no S/MIME certificate for carol@example.net"), std::string::npos);
  auto se =
      sign_and_encrypt(message_from("alice@example.org"), pki.alice, {{"dave@example.net", ""}});
  ASSERT_FALSE(se.ok());
  EXPECT_NE(se.error().text.find("dave@example.net"), std::string::npos);
  auto expired = encrypt(message_from("alice@example.org"),
                         {{"alice@example.org", pki.alice_expired.cert_pem}});
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().text.find("alice@example.org: certificate expired"), std::string::npos);
}

TEST(SmimeInspect, Limits) {
  const auto& pki = Pki::get();
  auto msg = signed_by(pki.alice);
  Limits small;
  small.max_message_size = msg.size() - 1;
  EXPECT_FALSE(inspect(msg, pki.trust(), {}, small).ok());
  EXPECT_FALSE(sign(msg, pki.alice, {}, small).ok());
  Limits no_layers;
  no_layers.max_layers = 0;
  auto v = inspect(msg, pki.trust(), {}, no_layers);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->layers.empty());
  Limits one_signer;
  one_signer.max_signers = 0;
  auto v2 = inspect(msg, pki.trust(), {}, one_signer);
  ASSERT_TRUE(v2.ok());
  EXPECT_NE(v2->layers.at(0).problem.find("too many signatures"), std::string::npos);
  EXPECT_FALSE(v2->signed_and_valid());
}

TEST(SmimeInspect, PlainMessageIsNotSmime) {
  const auto& pki = Pki::get();
  auto plain = message_from("alice@example.org");
  auto v = inspect_ok(plain, pki.trust());
  EXPECT_FALSE(v.is_smime());
  EXPECT_EQ(v.content, plain);
  EXPECT_NE(format_verdict(v).find("none"), std::string::npos);
}

TEST(SmimeInspect, BadCaFileIsAnError) {
  const auto& pki = Pki::get();
  TrustSettings t;
  t.system_store = false;
  t.ca_files = {"/nonexistent/ca.pem"};
  auto v = inspect(signed_by(pki.alice), t);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().text.find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::smime
