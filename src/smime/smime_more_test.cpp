// smime_more_test: cases beside the main verdicts: EC P-256 identities (ECDSA signatures,
// ECDH key agreement for encryption), the From address matched case-insensitively inside a
// display-name form, an encrypted attachment inside an unencrypted message (decrypted in
// place, reported as part 2), two signatures of which one is bad or does not cover From (never
// valid), and a signer whose certificate is missing from the message.
#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "mime/mime_body.hpp"
#include "mime/mime_parser.hpp"
#include "smime/smime_encrypt.hpp"
#include "smime/smime_inspect.hpp"
#include "smime/smime_ossl.hpp"
#include "smime/smime_sign.hpp"
#include "smime/smime_test_pki.hpp"

namespace estafeta::smime {
namespace {

using testing::message_from;
using testing::Pki;

TEST(SmimeMore, EcIdentitiesSignAndDecrypt) {
  const auto& pki = Pki::get();
  auto ec = issue_certificate(pki.ca, {.email = "alice@example.org", .key = KeyType::ec_p256});
  ASSERT_TRUE(ec.ok());
  auto s = sign(message_from("alice@example.org"), *ec, {.digest = Digest::sha384});
  ASSERT_TRUE(s.ok()) << s.error().text;
  EXPECT_NE(s->find("micalg=sha-384"), std::string::npos);
  auto v = inspect(*s, pki.trust());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->signed_and_valid()) << format_verdict(*v);
  auto e = encrypt(message_from("alice@example.org"), {{"alice@example.org", ec->cert_pem}});
  ASSERT_TRUE(e.ok()) << e.error().text;
  auto d = inspect(*e, pki.trust(), {*ec});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->decrypted()) << format_verdict(*d);
  EXPECT_NE(d->content.find("the figures are attached"), std::string::npos);
}

TEST(SmimeMore, FromWithDisplayNameAndCase) {
  const auto& pki = Pki::get();
  auto msg = message_from("alice@example.org");
  auto pos = msg.find("From: ");
  auto end = msg.find("\r\n", pos);
  msg.replace(pos, end - pos, "From: \"Alice A.\" <ALICE@Example.ORG>");
  auto s = sign(msg, pki.alice);
  ASSERT_TRUE(s.ok());
  auto v = inspect(*s, pki.trust());
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->layers.at(0).signatures.size(), 1u);
  EXPECT_TRUE(v->layers[0].signatures[0].from_matches);
  EXPECT_TRUE(v->signed_and_valid());
}

TEST(SmimeMore, EncryptedPartInsidePlainMessage) {
  const auto& pki = Pki::get();
  auto e = encrypt(message_from("alice@example.org"), {{"bob@example.org", pki.bob.cert_pem}});
  ASSERT_TRUE(e.ok());
  auto m = mime::parse(*e);
  std::string ct;
  for (const auto& f : m.fields_of(m.root()))
    if (mime::iequals(f.name.substr(0, 8), "Content-")) ct += std::string(f.raw);
  std::string outer =
      "From: alice@example.org\r\nSubject: wrapper\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"w\"\r\n\r\n--w\r\nContent-Type: text/plain\r\n\r\n"
      "see the attachment\r\n--w\r\n" +
      ct + "\r\n" + std::string(m.body_bytes(m.root())) + "\r\n--w--\r\n";
  auto v = inspect(outer, pki.trust(), {pki.bob});
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->layers.size(), 1u);
  EXPECT_EQ(v->layers[0].part, "2");
  EXPECT_FALSE(v->layers[0].whole_message);
  EXPECT_TRUE(v->layers[0].decrypted);
  EXPECT_NE(v->content.find("see the attachment"), std::string::npos);
  EXPECT_NE(v->content.find("the figures are attached"), std::string::npos);
  EXPECT_NE(format_verdict(*v).find("only part 2"), std::string::npos);
}

// `msg` (Alice's multipart/signed) with its signature replaced by one signed-data holding two
// SignerInfos over the same content, Alice's and `second`'s; with `spoil`, the second
// signature value has a flipped bit.
std::string with_second_signer(const std::string& msg, const Identity& first,
                               const Identity& second, bool spoil) {
  auto m = mime::parse(msg);
  const auto& content = m.parts[m.child(0, 1)];
  const auto& sig = m.parts[m.child(0, 2)];
  std::string signed_bytes(
      msg.substr(content.header.offset, content.body.end() - content.header.offset));
  unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  for (const auto* id : {&first, &second}) {
    auto key = ossl::read_key(id->key_pem);
    auto cert = ossl::read_cert(id->cert_pem);
    if (!cms || !key || !cert ||
        !CMS_add1_signer(cms.get(), cert->get(), key->get(), EVP_sha256(), CMS_BINARY))
      return {};
  }
  auto in = ossl::mem_in(signed_bytes);
  if (CMS_final(cms.get(), in.get(), nullptr, flags) != 1) return {};
  if (spoil) {
    auto* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 1);
    ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(si);
    std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                      static_cast<std::size_t>(ASN1_STRING_length(value)));
    bytes[bytes.size() / 2] ^= 0x01;
    ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  }
  ossl::Bio out(BIO_new(BIO_s_mem()));
  i2d_CMS_bio(out.get(), cms.get());
  return msg.substr(0, sig.body.offset) + base64::encode(ossl::mem_contents(out.get()), 76) +
         msg.substr(sig.body.end());
}

// The signature of the signer whose certificate names `email` (DER sorts the SET OF
// SignerInfos, so their order is not the order they were added in).
const Signature* by(const Verdict& v, const std::string& email) {
  for (const auto& s : v.layers.at(0).signatures)
    if (s.signer.covers(email)) return &s;
  return nullptr;
}

TEST(SmimeMore, TwoSignersOneBadIsNeverValid) {
  const auto& pki = Pki::get();
  auto s = sign(message_from("alice@example.org"), pki.alice);
  ASSERT_TRUE(s.ok());
  auto both = with_second_signer(*s, pki.alice, pki.bob, false);
  ASSERT_FALSE(both.empty());
  auto v = inspect(both, pki.trust());
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->layers.at(0).signatures.size(), 2u);
  const auto* alice = by(*v, "alice@example.org");
  const auto* bob = by(*v, "bob@example.org");
  ASSERT_TRUE(alice && bob);
  EXPECT_TRUE(alice->valid());
  EXPECT_TRUE(bob->signature_ok);
  EXPECT_FALSE(bob->from_matches);  // Bob's certificate does not cover From: not valid
  EXPECT_FALSE(v->signed_and_valid());
  auto spoiled = with_second_signer(*s, pki.alice, pki.bob, true);
  ASSERT_FALSE(spoiled.empty());
  auto v2 = inspect(spoiled, pki.trust());
  ASSERT_TRUE(v2.ok());
  ASSERT_EQ(v2->layers.at(0).signatures.size(), 2u);
  ASSERT_TRUE(by(*v2, "alice@example.org") && by(*v2, "bob@example.org"));
  EXPECT_TRUE(by(*v2, "alice@example.org")->signature_ok);
  EXPECT_FALSE(by(*v2, "bob@example.org")->signature_ok);
  EXPECT_FALSE(v2->signed_and_valid());
}

TEST(SmimeMore, SignerCertificateMissing) {
  const auto& pki = Pki::get();
  auto s = sign(message_from("alice@example.org"), pki.alice);
  ASSERT_TRUE(s.ok());
  auto m = mime::parse(*s);
  const auto& sig = m.parts[m.child(0, 2)];
  // The same signature made without certificates (CMS_NOCERTS).
  auto key = ossl::read_key(pki.alice.key_pem);
  auto cert = ossl::read_cert(pki.alice.cert_pem);
  const auto& content = m.parts[m.child(0, 1)];
  std::string signed_bytes(
      s->substr(content.header.offset, content.body.end() - content.header.offset));
  auto in = ossl::mem_in(signed_bytes);
  ossl::CmsPtr bare(CMS_sign(cert->get(), key->get(), nullptr, in.get(),
                             CMS_DETACHED | CMS_BINARY | CMS_NOCERTS));
  ASSERT_TRUE(bare);
  ossl::Bio out(BIO_new(BIO_s_mem()));
  i2d_CMS_bio(out.get(), bare.get());
  std::string msg = s->substr(0, sig.body.offset) +
                    base64::encode(ossl::mem_contents(out.get()), 76) + s->substr(sig.body.end());
  auto v = inspect(msg, pki.trust());
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->layers.at(0).signatures.size(), 1u);
  EXPECT_FALSE(v->layers[0].signatures[0].signer_found);
  EXPECT_FALSE(v->layers[0].signatures[0].valid());
  EXPECT_FALSE(v->signed_and_valid());
  EXPECT_NE(format_verdict(*v).find("not in the message"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::smime

namespace estafeta::smime {
namespace {

TEST(SmimeCapabilities, OursAnnounceGcmFirst) {
  const auto& pki = Pki::get();
  auto s = sign(message_from("alice@example.org"), pki.alice);
  ASSERT_TRUE(s.ok());
  auto v = inspect(*s, pki.trust());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->layers.at(0).signatures.at(0).capabilities,
            (std::vector<std::string>{"aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc"}));
  EXPECT_EQ(cipher_for({v->layers[0].signatures[0].capabilities}), Cipher::aes256_gcm);
}

TEST(SmimeCapabilities, CipherForRecipients) {
  EXPECT_EQ(cipher_for({}), Cipher::aes256_gcm);
  EXPECT_EQ(cipher_for({{}}), Cipher::aes256_gcm);  // unknown: RFC 8551 makes GCM a MUST
  EXPECT_EQ(cipher_for({{"aes-128-gcm", "aes-128-cbc"}}), Cipher::aes256_gcm);
  EXPECT_EQ(cipher_for({{"aes-128-cbc", "des-ede3-cbc"}}), Cipher::aes256_cbc);
  // One recipient who cannot read GCM decides for all.
  EXPECT_EQ(cipher_for({{"aes-256-gcm"}, {}, {"aes-256-cbc"}}), Cipher::aes256_cbc);
}

}  // namespace
}  // namespace estafeta::smime

namespace estafeta::smime {
namespace {

// A certificate for alice@example.org from the test CA whose extendedKeyUsage is serverAuth
// only (a TLS certificate): RFC 8550 §4.4.4 rules it out for S/MIME.
Identity tls_only_identity() {
  const auto& pki = Pki::get();
  auto ca_key = ossl::read_key(pki.ca.key_pem);
  auto ca_cert = ossl::read_cert(pki.ca.cert_pem);
  auto key = ossl::read_key(pki.alice.key_pem);
  ossl::X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -300);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("tls"), -1, -1, 0);
  X509_set_issuer_name(x.get(), X509_get_subject_name(ca_cert->get()));
  X509_set_pubkey(x.get(), key->get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert->get(), x.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_ext_key_usage, "serverAuth"},
                            std::pair{NID_subject_alt_name, "email:alice@example.org"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x.get(), ca_key->get(), EVP_sha256());
  return {pki.alice.key_pem, ossl::cert_pem(x.get()), pki.ca.cert_pem};
}

TEST(SmimePurpose, TlsOnlyCertificateIsNotValidForMail) {
  const auto& pki = Pki::get();
  auto s = sign(message_from("alice@example.org"), tls_only_identity());
  ASSERT_TRUE(s.ok()) << s.error().text;
  auto v = inspect(*s, pki.trust());
  ASSERT_TRUE(v.ok());
  const auto& sig = v->layers.at(0).signatures.at(0);
  EXPECT_TRUE(sig.signature_ok);
  EXPECT_TRUE(sig.from_matches);
  EXPECT_TRUE(sig.chain.wrong_purpose);
  EXPECT_FALSE(sig.valid());
  EXPECT_FALSE(v->signed_and_valid());
  EXPECT_NE(format_verdict(*v).find("not for e-mail protection"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::smime

namespace estafeta::smime {
namespace {

// A line starting "From " (which an mbox rewrites as ">From "), trailing white space (which
// gateways strip) and a lone "." are quoted-printable encoded before signing: the signature
// survives those changes, and the text reads the same after decoding.
TEST(SmimeFragileLines, SignatureSurvivesMboxAndStrippedSpaces) {
  const auto& pki = Pki::get();
  auto msg = message_from("alice@example.org",
                          "From the desk of Alice\nA line with a trailing space \n.\nend\n");
  auto s = sign(msg, pki.alice);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->find("\r\nFrom the desk"), std::string::npos) << *s;
  EXPECT_EQ(s->find("space \r\n"), std::string::npos);
  EXPECT_NE(s->find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
  // What an mbox and a space-stripping gateway would do to the whole message.
  std::string mangled;
  std::size_t pos = 0;
  while (pos < s->size()) {
    auto nl = s->find("\r\n", pos);
    std::string line = s->substr(pos, nl == std::string::npos ? nl : nl - pos);
    if (line.rfind("From ", 0) == 0) line = ">" + line;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    mangled += line;
    if (nl == std::string::npos) break;
    mangled += "\r\n";
    pos = nl + 2;
  }
  auto v = inspect(mangled, pki.trust());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->signed_and_valid()) << format_verdict(*v);
  auto m = mime::parse(v->content);
  EXPECT_NE(mime::text_body_utf8(m, m.root()).find("From the desk of Alice"), std::string::npos);
  // A plain body is left as it was (7bit).
  auto plain = sign(message_from("alice@example.org", "Nothing fragile here.\n"), pki.alice);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->find("quoted-printable"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::smime

namespace estafeta::smime {
namespace {

TEST(SmimeWeakDigest, Sha1SignatureIsNotValid) {
  const auto& pki = Pki::get();
  auto s = sign(message_from("alice@example.org"), pki.alice);
  ASSERT_TRUE(s.ok());
  auto m = mime::parse(*s);
  const auto& content = m.parts[m.child(0, 1)];
  const auto& sig = m.parts[m.child(0, 2)];
  std::string signed_bytes(
      s->substr(content.header.offset, content.body.end() - content.header.offset));
  auto key = ossl::read_key(pki.alice.key_pem);
  auto cert = ossl::read_cert(pki.alice.cert_pem);
  unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  ASSERT_TRUE(cms);
  ASSERT_TRUE(CMS_add1_signer(cms.get(), cert->get(), key->get(), EVP_sha1(), CMS_BINARY));
  auto in = ossl::mem_in(signed_bytes);
  ASSERT_EQ(CMS_final(cms.get(), in.get(), nullptr, flags), 1);
  ossl::Bio out(BIO_new(BIO_s_mem()));
  i2d_CMS_bio(out.get(), cms.get());
  std::string msg = s->substr(0, sig.body.offset) +
                    base64::encode(ossl::mem_contents(out.get()), 76) + s->substr(sig.body.end());
  auto v = inspect(msg, pki.trust());
  ASSERT_TRUE(v.ok());
  const auto& sg = v->layers.at(0).signatures.at(0);
  EXPECT_FALSE(sg.signature_ok);
  EXPECT_NE(sg.signature_error.find("weak digest algorithm"), std::string::npos)
      << sg.signature_error;
  EXPECT_FALSE(v->signed_and_valid());
}

}  // namespace
}  // namespace estafeta::smime
