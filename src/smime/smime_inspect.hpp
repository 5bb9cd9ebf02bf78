// smime_inspect: reads a received message's S/MIME layers (RFC 8551) and says what they
// prove, for a client to print: inspect() finds every multipart/signed (RFC 1847) and
// application/pkcs7-mime part (signed-data, enveloped-data, authEnveloped-data), verifies
// each signature (the signature over the content and its digest — RFC 5652 §5.4, §11.2 —
// then the signer's chain against TrustSettings, then whether the certificate covers the
// message's From address, RFC 8551 §3.1), decrypts with the user's own keys, and unwraps
// layer after layer (signed inside encrypted, ...) into `content`: the message as a client
// should display it, outer header fields kept, each S/MIME layer replaced by what it holds.
// Safety rules: a signature is reported valid only when every check passed (Signature::valid);
// a signature over one part of a message says so (Layer::whole_message false); a
// multipart/signed whose signature part is missing or is not a CMS signature is reported as
// a problem, never as unsigned-but-fine; decryption failures name the reason.
// Trust: the message is untrusted. Bounds: Limits (size, signers, recipients, chain
// length, nesting); the MIME parse is bounded by mime::Limits. Memory: a few copies of the
// message. Never throws; only a message over the size limit is an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "smime/smime_cert.hpp"
#include "smime/smime_trust.hpp"

namespace estafeta::smime {

struct Signature {
  CertInfo signer;              // subject, e-mail addresses, validity, PEM
  bool signer_found = false;    // the signer's certificate was in the message
  bool signature_ok = false;    // signature and digest check: content not altered
  std::string signature_error;  // why not ("message digest mismatch: content altered", ...)
  ChainCheck chain;             // trust, expiry, revocation of the signer's certificate
  std::string from;             // the From address checked ("" when the message has none)
  bool from_matches = false;    // the certificate covers `from`
  std::string signing_time;     // signingTime attribute, ISO 8601 ("" when absent)
  std::string digest;           // "sha256", ...
  // SMIMECapabilities (RFC 8551 §2.5.2), most preferred first, as OpenSSL's long names
  // ("aes-256-gcm", "aes-128-cbc", "des-ede3-cbc", ...); at most 32; empty when absent.
  std::vector<std::string> capabilities;

  // Everything holds: unaltered, trusted, in date, not revoked, meant for e-mail (RFC 8550
  // §4.4: keyUsage and extendedKeyUsage allow it), From covered.
  bool valid() const {
    return signer_found && signature_ok && chain.trusted && !chain.expired &&
           !chain.not_yet_valid && !chain.revoked && !chain.wrong_purpose && from_matches;
  }
};

struct Layer {
  enum class Kind {
    signed_multipart,  // multipart/signed, detached signature (RFC 1847)
    signed_opaque,     // application/pkcs7-mime; smime-type=signed-data
    enveloped,         // enveloped-data (RFC 5652 §6)
    auth_enveloped,    // authEnveloped-data (RFC 5083)
  };
  Kind kind = Kind::signed_multipart;
  // Where it was found, as an IMAP part number of the message as it stood when this layer
  // was reached ("" = the whole message, "2" = second part, ...).
  std::string part;
  // The layer covers the whole message: found at the top, and every layer around it was at
  // the top too. False for e.g. a signed attachment in an unsigned message.
  bool whole_message = false;
  std::vector<Signature> signatures;  // signed layers: one per SignerInfo
  // Encrypted layers.
  bool decrypted = false;
  std::string cipher;          // "aes-256-gcm", ...
  std::size_t recipients = 0;  // RecipientInfos in the message
  // A fault of the layer itself (signature part missing or replaced, undecodable CMS, no
  // key to decrypt, limits): "" when none. A signed layer with a problem is not valid.
  std::string problem;
};

struct Verdict {
  std::vector<Layer> layers;  // outermost first
  // The message to display: S/MIME layers unwrapped (decrypted, signature parts removed),
  // outer header fields kept. Equal to the input when there is no S/MIME layer or nothing
  // could be unwrapped.
  std::string content;

  bool is_smime() const { return !layers.empty(); }
  // Some layer was encrypted / was decrypted.
  bool was_encrypted() const;
  bool decrypted() const;
  // Some layer is a signature.
  bool is_signed() const;
  // The whole message is signed and every signature found anywhere is valid, with no problem.
  bool signed_and_valid() const;
};

// Keys for decryption: the user's own identities (smime_store.hpp loads them).
Result<Verdict> inspect(std::string_view message, const TrustSettings& trust,
                        const std::vector<Identity>& own_keys = {}, const Limits& limits = {});

// A few lines for a terminal, e.g.
//   S/MIME: signed (whole message) — VALID
//     signer: CN=Alice <alice@example.org>, issued by CN=Test CA
//   or "NOT VALID: content altered (message digest mismatch)". No trailing newline.
std::string format_verdict(const Verdict& v);

}  // namespace estafeta::smime
