// mua_smime_verdict: the S/MIME verdict as JSON for `mail read --json` (see the header).
#include "mua/mua_smime_verdict.hpp"

#include "mua/proto/mua_render.hpp"

namespace estafeta::mua {
namespace {

const char* kind_name(smime::Layer::Kind k) {
  switch (k) {
    case smime::Layer::Kind::signed_multipart:
      return "signed_multipart";
    case smime::Layer::Kind::signed_opaque:
      return "signed_opaque";
    case smime::Layer::Kind::enveloped:
      return "enveloped";
    case smime::Layer::Kind::auth_enveloped:
      return "auth_enveloped";
  }
  return "unknown";
}

const char* boolean(bool b) {
  return b ? "true" : "false";
}

std::string signature_json(const smime::Signature& s, const smime::Layer& l) {
  return "{\"valid\":" + std::string(boolean(s.valid() && l.problem.empty())) +
         ",\"signer_found\":" + boolean(s.signer_found) +
         ",\"signer\":" + json_string(s.signer.subject) +
         ",\"signer_emails\":" + json_strings(s.signer.emails) +
         ",\"issuer\":" + json_string(s.signer.issuer) +
         ",\"not_before\":" + json_string(s.signer.not_before) +
         ",\"not_after\":" + json_string(s.signer.not_after) +
         ",\"unaltered\":" + boolean(s.signature_ok) +
         ",\"signature_error\":" + json_string(s.signature_error) +
         ",\"trusted\":" + boolean(s.chain.trusted) + ",\"expired\":" + boolean(s.chain.expired) +
         ",\"not_yet_valid\":" + boolean(s.chain.not_yet_valid) +
         ",\"revoked\":" + boolean(s.chain.revoked) +
         ",\"revocation_checked\":" + boolean(s.chain.revocation_checked) +
         ",\"from\":" + json_string(s.from) + ",\"from_matches\":" + boolean(s.from_matches) +
         ",\"signing_time\":" + json_string(s.signing_time) +
         ",\"digest\":" + json_string(s.digest) +
         ",\"chain_errors\":" + json_strings(s.chain.errors) + "}";
}

}  // namespace

std::string smime_verdict_json(const smime::Verdict& v) {
  std::string out = "{\"signed\":" + std::string(boolean(v.is_signed())) +
                    ",\"encrypted\":" + boolean(v.was_encrypted()) +
                    ",\"decrypted\":" + boolean(v.decrypted()) +
                    ",\"valid\":" + boolean(v.signed_and_valid()) + ",\"layers\":[";
  for (std::size_t i = 0; i < v.layers.size(); ++i) {
    const smime::Layer& l = v.layers[i];
    if (i) out += ',';
    out += "{\"kind\":\"" + std::string(kind_name(l.kind)) + "\",\"part\":" + json_string(l.part) +
           ",\"whole_message\":" + boolean(l.whole_message) +
           ",\"problem\":" + json_string(l.problem) + ",\"decrypted\":" + boolean(l.decrypted) +
           ",\"cipher\":" + json_string(l.cipher) +
           ",\"recipients\":" + std::to_string(l.recipients) + ",\"signatures\":[";
    for (std::size_t j = 0; j < l.signatures.size(); ++j) {
      if (j) out += ',';
      out += signature_json(l.signatures[j], l);
    }
    out += "]}";
  }
  return out + "]}";
}

}  // namespace estafeta::mua
