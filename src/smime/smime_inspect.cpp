// smime_inspect: see smime_inspect.hpp.
//
// Notes:
// - Each round parses the current content, takes the first S/MIME part not already left in
//   place, reports it as a Layer and, when it can be unwrapped, splices what it holds into
//   the content in its place. Unwrapping never grows the content (decryption and base64 only
//   shrink it; compressed-data is not unwrapped), and rounds stop at Limits::max_layers.
// - A signature is checked in three steps that each must pass: the signature over the signed
//   attributes with the signer's key (RFC 5652 §5.4), the messageDigest attribute against a
//   digest of the content computed here (§11.2), then the chain (smime_trust_store).
#include "smime/smime_inspect.hpp"

#include <openssl/err.h>

#include <optional>

#include "mime/mime_address.hpp"
#include "mime/mime_body.hpp"
#include "mime/mime_content_type.hpp"
#include "mime/mime_parser.hpp"
#include "smime/smime_entity.hpp"
#include "smime/smime_ossl.hpp"
#include "smime/smime_trust_store.hpp"

namespace estafeta::smime {

bool Verdict::was_encrypted() const {
  for (const auto& l : layers)
    if (l.kind == Layer::Kind::enveloped || l.kind == Layer::Kind::auth_enveloped) return true;
  return false;
}

bool Verdict::decrypted() const {
  for (const auto& l : layers)
    if (l.decrypted) return true;
  return false;
}

bool Verdict::is_signed() const {
  for (const auto& l : layers)
    if (l.kind == Layer::Kind::signed_multipart || l.kind == Layer::Kind::signed_opaque)
      return true;
  return false;
}

bool Verdict::signed_and_valid() const {
  bool whole_signed = false;
  for (const auto& l : layers) {
    if (!l.problem.empty()) return false;
    bool is_sig = l.kind == Layer::Kind::signed_multipart || l.kind == Layer::Kind::signed_opaque;
    if (!is_sig) continue;
    if (l.signatures.empty()) return false;
    for (const auto& s : l.signatures)
      if (!s.valid()) return false;
    if (l.whole_message) whole_signed = true;
  }
  return whole_signed;
}

namespace {

using mime::iequals;

enum class Found { none, multipart_signed, pkcs7_mime };

std::optional<std::string> param(const mime::Part& p, std::string_view name) {
  for (auto& prm : mime::decoded_parameters(p.content_type_params))
    if (iequals(prm.name, name)) return prm.value;
  return std::nullopt;
}

bool is_pkcs7_signature(std::string_view type, std::string_view subtype) {
  return iequals(type, "application") &&
         (iequals(subtype, "pkcs7-signature") || iequals(subtype, "x-pkcs7-signature"));
}

Found classify(const mime::Message& m, const mime::Part& p) {
  if (p.kind == mime::PartKind::multipart && iequals(p.type, "multipart") &&
      iequals(p.subtype, "signed")) {
    auto proto = param(p, "protocol");
    if (proto) {
      auto mt = mime::parse_media_type(*proto);
      if (is_pkcs7_signature(mt.type, mt.subtype)) return Found::multipart_signed;
    }
    return Found::none;  // PGP/MIME or unknown: not ours
  }
  if (p.kind != mime::PartKind::leaf) return Found::none;
  if (iequals(p.type, "application") &&
      (iequals(p.subtype, "pkcs7-mime") || iequals(p.subtype, "x-pkcs7-mime"))) {
    auto st = param(p, "smime-type");
    if (st && (iequals(*st, "certs-only") || iequals(*st, "compressed-data"))) return Found::none;
    return Found::pkcs7_mime;
  }
  // RFC 8551 §3.2.2: application/octet-stream with a .p7m file name.
  if (iequals(p.type, "application") && iequals(p.subtype, "octet-stream")) {
    auto name = mime::part_filename(m, p);
    if (name.size() > 4 && iequals(std::string_view(name).substr(name.size() - 4), ".p7m"))
      return Found::pkcs7_mime;
  }
  return Found::none;
}

// The IMAP part number of parts[i] ("" for the root).
std::string part_number(const mime::Message& m, std::uint32_t i) {
  std::string out;
  int guard = 0;
  while (i != 0 && i != mime::kNoPart && guard++ < 1000) {
    const auto& p = m.parts[i];
    std::uint32_t parent = p.parent;
    if (parent == mime::kNoPart) break;
    if (m.parts[parent].kind == mime::PartKind::multipart) {
      std::uint32_t n = 1;
      for (auto c = m.parts[parent].first_child; c != mime::kNoPart && c != i;
           c = m.parts[c].next_sibling)
        ++n;
      out = out.empty() ? std::to_string(n) : std::to_string(n) + "." + out;
    }
    i = parent;
  }
  return out;
}

// The From address of the message that holds parts[i] (the root or an embedded message).
std::string from_of(const mime::Message& m, std::uint32_t i) {
  int guard = 0;
  while (i != 0 && !m.parts[i].has(mime::kPartEmbedded) && guard++ < 1000) i = m.parts[i].parent;
  const auto* f = m.find_field(m.parts[i], "From");
  if (!f) return {};
  for (const auto& a : mime::mailboxes(mime::parse_address_list(f->value, 16)))
    if (!a.local.empty()) return a.addr_spec();
  return {};
}

// Header fields of a message part that stay outside an S/MIME entity.
std::string outer_fields(const mime::Message& m, const mime::Part& p) {
  std::string out;
  for (const auto& f : m.fields_of(p)) {
    if (iequals(f.name, "MIME-Version")) continue;
    if (f.name.size() >= 8 && iequals(f.name.substr(0, 8), "Content-")) continue;
    out += f.raw;
  }
  return to_crlf(out);
}

// The content-encryption algorithm, read from the OIDs in the DER (for display only).
std::string cipher_name(std::string_view der) {
  static const unsigned char aes[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01};
  static const unsigned char des3[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07};
  std::string_view a(reinterpret_cast<const char*>(aes), sizeof aes);
  for (std::size_t pos = der.find(a);
       pos != std::string_view::npos && pos + sizeof aes < der.size(); pos = der.find(a, pos + 1)) {
    switch (static_cast<unsigned char>(der[pos + sizeof aes])) {
      case 0x02:
        return "aes-128-cbc";
      case 0x06:
        return "aes-128-gcm";
      case 0x16:
        return "aes-192-cbc";
      case 0x1a:
        return "aes-192-gcm";
      case 0x2a:
        return "aes-256-cbc";
      case 0x2e:
        return "aes-256-gcm";
      default:
        break;  // key wrap and others
    }
  }
  if (der.find(std::string_view(reinterpret_cast<const char*>(des3), sizeof des3)) !=
      std::string_view::npos)
    return "des-ede3-cbc";
  return "unknown";
}

// The SMIMECapabilities attribute's algorithms (RFC 8551 §2.5.2), by OpenSSL's long names
// ("aes-256-gcm"); unknown OIDs are left out.
std::vector<std::string> capabilities(CMS_SignerInfo* si) {
  std::vector<std::string> out;
  auto* seq = static_cast<ASN1_STRING*>(
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_SMIMECapabilities), -3, V_ASN1_SEQUENCE));
  if (!seq) return out;
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  X509_ALGORS* algs = d2i_X509_ALGORS(nullptr, &p, ASN1_STRING_length(seq));
  if (!algs) {
    ERR_clear_error();
    return out;
  }
  for (int i = 0; i < sk_X509_ALGOR_num(algs) && out.size() < 32; ++i) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, sk_X509_ALGOR_value(algs, i));
    int nid = OBJ_obj2nid(obj);
    if (nid == NID_undef) continue;
    std::string name = OBJ_nid2ln(nid);
    for (auto& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(std::move(name));
  }
  sk_X509_ALGOR_pop_free(algs, X509_ALGOR_free);
  return out;
}

class Inspector {
 public:
  Inspector(const TrustSettings& trust, const std::vector<Identity>& keys, const Limits& limits)
      : trust_settings_(trust), keys_(keys), limits_(limits) {}

  Status run(std::string_view message, Verdict& v);

 private:
  // Returns the entity to splice in, or nullopt to leave the part in place.
  std::optional<std::string> multipart_signed(const mime::Message& m, std::uint32_t i,
                                              Layer& layer);
  std::optional<std::string> pkcs7_mime(const mime::Message& m, std::uint32_t i, Layer& layer);
  Status verify(CMS_ContentInfo* cms, std::string_view content, const std::string& from,
                Layer& layer);
  Signature check_signer(CMS_SignerInfo* si, std::string_view content, STACK_OF(X509) * certs,
                         const std::string& from);

  // The trust settings, loaded on first use; nullptr (and load_error_ set) when they fail.
  const TrustStore* trust();

  const TrustSettings& trust_settings_;
  const std::vector<Identity>& keys_;
  const Limits& limits_;
  std::optional<TrustStore> trust_;
  PeerError load_error_;
  std::string current_from_;
};

Status Inspector::run(std::string_view message, Verdict& v) {
  v.content.assign(message);
  std::size_t skip = 0;  // S/MIME parts left in place, earlier in pre-order
  bool all_whole = true;
  while (v.layers.size() < limits_.max_layers) {
    auto m = mime::parse(v.content);
    std::uint32_t index = mime::kNoPart;
    Found kind = Found::none;
    std::size_t seen = 0;
    for (std::uint32_t i = 0; i < m.parts.size(); ++i) {
      Found f = classify(m, m.parts[i]);
      if (f == Found::none) continue;
      if (seen++ < skip) continue;
      index = i;
      kind = f;
      break;
    }
    if (index == mime::kNoPart) break;
    Layer layer;
    layer.part = part_number(m, index);
    layer.whole_message = all_whole && index == 0;
    all_whole = layer.whole_message;
    current_from_ = from_of(m, index);
    std::optional<std::string> entity;
    if (kind == Found::multipart_signed) {
      entity = multipart_signed(m, index, layer);
    } else {
      entity = pkcs7_mime(m, index, layer);
    }
    if (entity) {
      const auto& p = m.parts[index];
      std::string next;
      if (index == 0 || p.has(mime::kPartEmbedded)) {
        std::string prefix(m.data.substr(0, p.header.offset));
        next = prefix + join_outer(outer_fields(m, p), *entity) +
               std::string(m.data.substr(p.body.end()));
      } else {
        next = std::string(m.data.substr(0, p.header.offset)) + *entity +
               std::string(m.data.substr(p.body.end()));
      }
      v.layers.push_back(std::move(layer));
      v.content = std::move(next);
    } else {
      v.layers.push_back(std::move(layer));
      ++skip;
    }
    // A fault loading the trust settings is the user's configuration: stop and say so.
    if (!load_error_.text.empty()) return load_error_;
  }
  return Ok{};
}

const TrustStore* Inspector::trust() {
  if (trust_) return &*trust_;
  if (!load_error_.text.empty()) return nullptr;
  auto t = TrustStore::load(trust_settings_, limits_);
  if (!t) {
    load_error_ = t.error();
    return nullptr;
  }
  trust_ = std::move(*t);
  return &*trust_;
}

std::optional<std::string> Inspector::multipart_signed(const mime::Message& m, std::uint32_t i,
                                                       Layer& layer) {
  layer.kind = Layer::Kind::signed_multipart;
  const auto& p = m.parts[i];
  std::uint32_t first = m.child(i, 1);
  std::uint32_t second = m.child(i, 2);
  if (first == mime::kNoPart) {
    layer.problem = "multipart/signed with no parts";
    return std::nullopt;
  }
  const auto& content_part = m.parts[first];
  // The signed bytes: the first part's header and body exactly as sent (RFC 1847 §2.1), in
  // canonical CRLF form (RFC 8551 §3.1.1).
  std::string content = to_crlf(m.data.substr(
      content_part.header.offset, content_part.body.end() - content_part.header.offset));
  if (second == mime::kNoPart) {
    layer.problem = "multipart/signed without its signature part (signature stripped)";
    return content;
  }
  const auto& sig_part = m.parts[second];
  if (!is_pkcs7_signature(sig_part.type, sig_part.subtype)) {
    std::string t = sig_part.type.empty()
                        ? std::string("text/plain")
                        : std::string(sig_part.type) + "/" + std::string(sig_part.subtype);
    layer.problem = "multipart/signed whose signature part was replaced by " + t;
    return content;
  }
  if (p.child_count > 2)
    layer.problem = "multipart/signed with " + std::to_string(p.child_count) +
                    " parts (only the first is signed; the others are not shown)";
  std::string der;
  if (!mime::decode_body(m, sig_part, der)) {
    layer.problem = "the signature part has an unknown transfer encoding";
    return content;
  }
  ERR_clear_error();
  auto bio = ossl::mem_in(der);
  ossl::CmsPtr cms(d2i_CMS_bio(bio.get(), nullptr));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    layer.problem = "the signature part is not a CMS signature";
    ERR_clear_error();
    return content;
  }
  if (auto st = verify(cms.get(), content, current_from_, layer); !st) return std::nullopt;
  return content;
}

std::optional<std::string> Inspector::pkcs7_mime(const mime::Message& m, std::uint32_t i,
                                                 Layer& layer) {
  const auto& p = m.parts[i];
  auto st = param(p, "smime-type");
  layer.kind = Layer::Kind::enveloped;
  if (st && iequals(*st, "signed-data")) layer.kind = Layer::Kind::signed_opaque;
  if (st && iequals(*st, "authEnveloped-data")) layer.kind = Layer::Kind::auth_enveloped;
  std::string der;
  if (!mime::decode_body(m, p, der)) {
    layer.problem = "the S/MIME part has an unknown transfer encoding";
    return std::nullopt;
  }
  ERR_clear_error();
  auto bio = ossl::mem_in(der);
  ossl::CmsPtr cms(d2i_CMS_bio(bio.get(), nullptr));
  if (!cms) {
    layer.problem = "the S/MIME part is not a CMS object (" + ossl::errors() + ")";
    return std::nullopt;
  }
  int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (type == NID_pkcs7_signed) {
    layer.kind = Layer::Kind::signed_opaque;
    ASN1_OCTET_STRING** pos = CMS_get0_content(cms.get());
    if (!pos || !*pos) {
      layer.problem = "signed-data without content";
      return std::nullopt;
    }
    std::string content(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*pos)),
                        static_cast<std::size_t>(ASN1_STRING_length(*pos)));
    if (auto vs = verify(cms.get(), content, current_from_, layer); !vs) return std::nullopt;
    return to_crlf(content);
  }
  if (type != NID_pkcs7_enveloped && type != NID_id_smime_ct_authEnvelopedData) {
    layer.problem = std::string("unsupported CMS content type ") + OBJ_nid2sn(type);
    return std::nullopt;
  }
  layer.kind = type == NID_pkcs7_enveloped ? Layer::Kind::enveloped : Layer::Kind::auth_enveloped;
  layer.cipher = cipher_name(der);
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms.get());
  layer.recipients = ris ? static_cast<std::size_t>(sk_CMS_RecipientInfo_num(ris)) : 0;
  if (layer.recipients > limits_.max_recipients) {
    layer.problem = "too many recipients (" + std::to_string(layer.recipients) + ")";
    return std::nullopt;
  }
  if (keys_.empty()) {
    layer.problem = "encrypted, and no private key is available to decrypt it";
    return std::nullopt;
  }
  for (const auto& id : keys_) {
    auto key = ossl::read_key(id.key_pem);
    auto cert = ossl::read_cert(id.cert_pem);
    if (!key || !cert) continue;
    // RFC 5652 §6.2: the RecipientInfo is matched by the certificate's issuer and serial
    // (or subject key identifier); then the content-encryption key is unwrapped with ours.
    ERR_clear_error();
    if (CMS_decrypt_set1_pkey_and_peer(cms.get(), key->get(), cert->get(), nullptr) != 1) continue;
    ossl::Bio out(BIO_new(BIO_s_mem()));
    if (CMS_decrypt(cms.get(), nullptr, nullptr, nullptr, out.get(), CMS_BINARY) != 1) {
      layer.problem = "decryption failed: " + ossl::errors() +
                      (layer.kind == Layer::Kind::auth_enveloped
                           ? " (the authentication tag does not match: the message was altered)"
                           : "");
      return std::nullopt;
    }
    layer.decrypted = true;
    ERR_clear_error();
    return to_crlf(ossl::mem_contents(out.get()));
  }
  ERR_clear_error();
  layer.problem = "none of your " + std::to_string(keys_.size()) +
                  " key(s) is among the message's " + std::to_string(layer.recipients) +
                  " recipient(s)";
  return std::nullopt;
}

Status Inspector::verify(CMS_ContentInfo* cms, std::string_view content, const std::string& from,
                         Layer& layer) {
  STACK_OF(CMS_SignerInfo)* sis = CMS_get0_SignerInfos(cms);
  int n = sis ? sk_CMS_SignerInfo_num(sis) : 0;
  if (n <= 0) {
    layer.problem = "signed-data with no signature in it";
    return Ok{};
  }
  if (static_cast<std::size_t>(n) > limits_.max_signers) {
    layer.problem = "too many signatures (" + std::to_string(n) + ")";
    return Ok{};
  }
  ossl::CertStack certs(CMS_get1_certs(cms));
  if (!certs) certs.reset(sk_X509_new_null());
  if (static_cast<std::size_t>(sk_X509_num(certs.get())) >
      limits_.max_chain + limits_.max_signers) {
    layer.problem = "too many certificates in the signature";
    return Ok{};
  }
  const TrustStore* t = trust();
  if (!t) return load_error_;
  // Finds each signer's certificate among those in the message (by issuer and serial or
  // subject key identifier).
  CMS_set1_signers_certs(cms, nullptr, 0);
  ERR_clear_error();
  for (int k = 0; k < n; ++k)
    layer.signatures.push_back(
        check_signer(sk_CMS_SignerInfo_value(sis, k), content, certs.get(), from));
  return Ok{};
}

Signature Inspector::check_signer(CMS_SignerInfo* si, std::string_view content,
                                  STACK_OF(X509) * certs, const std::string& from) {
  Signature s;
  s.from = from;
  X509* signer = nullptr;
  X509_ALGOR* digalg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, &signer, &digalg, nullptr);
  const EVP_MD* md = nullptr;
  if (digalg) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, digalg);
    int nid = OBJ_obj2nid(obj);
    md = EVP_get_digestbynid(nid);
    s.digest = nid != NID_undef ? OBJ_nid2sn(nid) : "unknown";
  }
  if (!signer) {
    s.signature_error = "the signer's certificate is not in the message";
    return s;
  }
  s.signer_found = true;
  s.signer = ossl::cert_info(signer);
  s.from_matches = !from.empty() && s.signer.covers(from);
  s.chain = trust_->check(signer, certs, X509_PURPOSE_SMIME_SIGN);
  if (!md) {
    s.signature_error = "unknown digest algorithm " + s.digest;
    return s;
  }
  if (EVP_MD_get_size(md) < 32) {
    s.signature_error = "weak digest algorithm " + s.digest + " (RFC 8551 §2.1)";
    return s;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  if (EVP_Digest(content.data(), content.size(), digest, &dlen, md, nullptr) != 1) {
    s.signature_error = "cannot compute the digest";
    return s;
  }
  if (CMS_signed_get_attr_count(si) > 0) {
    int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
    if (idx >= 0) {
      ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
      if (t && (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME))
        s.signing_time = ossl::asn1_time_iso(reinterpret_cast<ASN1_TIME*>(t->value.ptr));
    }
    s.capabilities = capabilities(si);
    // RFC 5652 §5.4: the signature covers the DER of the signed attributes...
    ERR_clear_error();
    if (CMS_SignerInfo_verify(si) != 1) {
      s.signature_error =
          "the signature does not verify with the signer's key (" + ossl::errors() + ")";
      return s;
    }
    // ... and exactly one messageDigest attribute must equal the content's digest (§11.2).
    auto* mdattr = static_cast<ASN1_OCTET_STRING*>(CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING));
    if (!mdattr) {
      s.signature_error = "the signature has no single messageDigest attribute";
      return s;
    }
    if (static_cast<unsigned>(ASN1_STRING_length(mdattr)) != dlen ||
        CRYPTO_memcmp(ASN1_STRING_get0_data(mdattr), digest, dlen) != 0) {
      s.signature_error = "message digest mismatch: the content was altered after signing";
      return s;
    }
  } else {
    // No signed attributes: the signature is over the content itself (§5.4).
    ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
    std::unique_ptr<EVP_MD_CTX, ossl::Free> ctx(EVP_MD_CTX_new());
    EVP_PKEY* pub = X509_get0_pubkey(signer);
    ERR_clear_error();
    if (!sig || !pub || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pub) != 1 ||
        EVP_DigestVerify(ctx.get(), ASN1_STRING_get0_data(sig),
                         static_cast<std::size_t>(ASN1_STRING_length(sig)),
                         reinterpret_cast<const unsigned char*>(content.data()),
                         content.size()) != 1) {
      s.signature_error = "the signature does not match the content: altered or wrong key";
      ERR_clear_error();
      return s;
    }
  }
  s.signature_ok = true;
  return s;
}

}  // namespace

Result<Verdict> inspect(std::string_view message, const TrustSettings& trust,
                        const std::vector<Identity>& own_keys, const Limits& limits) {
  if (message.size() > limits.max_message_size)
    return PeerError{
        552, "5.3.4",
        "the message is larger than " + std::to_string(limits.max_message_size) + " bytes"};
  Verdict v;
  Inspector in(trust, own_keys, limits);
  if (auto st = in.run(message, v); !st) return st.error();
  return v;
}

namespace {

std::string who(const CertInfo& c) {
  std::string out = c.subject.empty() ? std::string("(no subject)") : c.subject;
  if (!c.emails.empty()) {
    out += " <";
    for (std::size_t i = 0; i < c.emails.size(); ++i) out += (i ? ", " : "") + c.emails[i];
    out += ">";
  }
  return out;
}

std::string where(const Layer& l) {
  if (l.whole_message) return "whole message";
  if (l.part.empty()) return "inner content";
  return "only part " + l.part + ", not the whole message";
}

}  // namespace

std::string format_verdict(const Verdict& v) {
  if (v.layers.empty()) return "S/MIME: none (not signed, not encrypted)";
  std::string out;
  auto line = [&](const std::string& s) {
    if (!out.empty()) out += '\n';
    out += s;
  };
  for (const auto& l : v.layers) {
    switch (l.kind) {
      case Layer::Kind::enveloped:
      case Layer::Kind::auth_enveloped: {
        std::string s =
            "S/MIME: encrypted (" + where(l) + ", " +
            (l.kind == Layer::Kind::auth_enveloped ? "authEnveloped-data" : "enveloped-data") +
            (l.cipher.empty() ? "" : ", " + l.cipher) + ", " + std::to_string(l.recipients) +
            " recipient(s))";
        s += l.decrypted ? " — decrypted" : " — NOT DECRYPTED: " + l.problem;
        line(s);
        break;
      }
      case Layer::Kind::signed_multipart:
      case Layer::Kind::signed_opaque: {
        bool ok = l.problem.empty() && !l.signatures.empty();
        for (const auto& s : l.signatures) ok = ok && s.valid();
        line(std::string("S/MIME: signed (") + where(l) + ") — " + (ok ? "VALID" : "NOT VALID"));
        if (!l.problem.empty()) line("  problem: " + l.problem);
        for (const auto& s : l.signatures) {
          if (!s.signer_found) {
            line("  signature: " + s.signature_error);
            continue;
          }
          line("  signer: " + who(s.signer));
          line("    issued by " + s.signer.issuer + ", valid " + s.signer.not_before + " to " +
               s.signer.not_after);
          if (!s.signing_time.empty()) line("    signed at " + s.signing_time);
          line(s.signature_ok ? "    content: unaltered (" + s.digest + ")"
                              : "    content: BAD SIGNATURE — " + s.signature_error);
          line(s.chain.trusted ? "    chain: reaches a trusted CA"
                               : "    chain: NOT TRUSTED (no path to a trusted CA)");
          if (s.chain.expired) line("    certificate: EXPIRED");
          if (s.chain.not_yet_valid) line("    certificate: NOT YET VALID");
          if (s.chain.revoked) line("    certificate: REVOKED");
          if (s.chain.wrong_purpose) line("    certificate: not for e-mail protection");
          if (s.from.empty())
            line("    From: the message has no From address to check");
          else
            line(s.from_matches ? "    From: " + s.from + " matches the certificate"
                                : "    From: " + s.from + " is NOT in the certificate");
          for (const auto& e : s.chain.errors) line("    note: " + e);
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace estafeta::smime
