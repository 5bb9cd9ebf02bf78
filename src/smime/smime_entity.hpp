// smime_entity: the MIME side of S/MIME (RFC 8551 §3.1): splitting a message into the header
// fields that stay outside (From, To, Subject, ...) and the MIME entity that is signed or
// enveloped (Content-* fields and body), canonical CRLF form (§3.1.1), and writing the
// application/pkcs7-* wrappers around CMS bytes. Used by sign, encrypt and inspect.
// Trust: split() runs on our own outgoing messages and, in inspect, on received (untrusted)
// ones: it is bounded by mime::Limits like every parse. Memory: copies of the input.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace estafeta::smime {

struct SplitMessage {
  std::string outer;   // header fields other than Content-* and MIME-Version, CRLF, no blank line
  std::string entity;  // the Content-* fields, a blank line and the body, CRLF line ends
};

// Splits `message`. With `make_7bit`, 8-bit leaves are transfer-encoded first
// (mime::downgrade_to_7bit); a message that cannot be (8-bit header fields) is an error.
// A message without Content-Type gets "text/plain; charset=us-ascii" in its entity.
Result<SplitMessage> split_message(std::string_view message, bool make_7bit);

// The entity (split_message().entity) with every 7-bit leaf body that holds a line some
// transport changes — "From " at a line start (mbox), white space before a line break
// (stripped by gateways), a lone "." — re-encoded as quoted-printable, so a signature over it
// survives them (RFC 8551 §3.1.2, RFC 3156 §3). Other parts are left byte for byte.
std::string protect_for_signing(std::string_view entity);

// Bare LF line ends as CRLF (RFC 8551 §3.1.1); CRLF kept.
std::string to_crlf(std::string_view s);

// RFC 8551 §3.2 names: the whole message for an application/pkcs7-mime body, `smime_type` one
// of "signed-data", "enveloped-data", "authEnveloped-data".
std::string pkcs7_mime_message(std::string_view outer, std::string_view smime_type,
                               std::string_view der);

// A whole message again: the fields of `outer`, MIME-Version, then `entity` (its Content-*
// fields, the blank line and the body), for callers that unwrap a layer.
std::string join_outer(std::string_view outer, std::string_view entity);

}  // namespace estafeta::smime
