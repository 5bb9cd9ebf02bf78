// smime_sign: makes a signed message (RFC 8551 §3.5). The default is multipart/signed
// (RFC 1847 §2.1) with a detached CMS signature (RFC 5652 §5) as application/pkcs7-signature;
// `opaque` makes application/pkcs7-mime; smime-type=signed-data instead (§3.5.2).
// The message is a whole RFC 5322 message (as mime::compose writes it). Its header is split:
// Content-* fields go with the signed entity, every other field (From, To, Subject, Date,
// Message-ID, ...) stays on the outside. The entity is first made 7-bit (8-bit leaves
// transfer-encoded by mime::downgrade_to_7bit, RFC 8551 §3.1.2) and CRLF (§3.1.1), so no
// transport changes it; 7-bit bodies with "From " line starts, trailing white space or a lone
// "." are quoted-printable encoded for the same reason. The signature carries the signer's
// certificate and chain and the usual signed attributes (contentType, signingTime, messageDigest)
// and SMIMECapabilities listing AES-256-GCM, AES-128-GCM, AES-256-CBC, AES-128-CBC (what we
// decrypt, RFC 8551 §2.5.2). Trust: message and identity are the user's own. Memory: the message,
// its 7-bit form and the output (about 4/3 of the input plus the signature). Returns a CRLF
// message.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "smime/smime_cert.hpp"

namespace estafeta::smime {

enum class Digest { sha256, sha384, sha512 };

// "sha-256", ... as multipart/signed's micalg parameter names them (RFC 8551 §3.5.3.2).
std::string_view micalg_name(Digest d);

struct SignOptions {
  Digest digest = Digest::sha256;
  bool opaque = false;  // application/pkcs7-mime signed-data instead of multipart/signed
};

// Errors: a message over Limits::max_message_size; one that cannot be made 7-bit (8-bit
// header fields); a key/certificate that does not load or match.
Result<std::string> sign(std::string_view message, const Identity& signer,
                         const SignOptions& options = {}, const Limits& limits = {});

}  // namespace estafeta::smime
