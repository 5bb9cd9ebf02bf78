// mime_content_type: the values of Content-Type, Content-Disposition and
// Content-Transfer-Encoding (RFC 2045 §5, §6; RFC 2183; RFC 2231 via mime_rfc2231.hpp), and
// the parameter lists IMAP BODYSTRUCTURE shows for them.
// Tolerant like Dovecot: comments anywhere, a broken parameter list is cut at the first
// garbage; MediaType::valid says whether the value may be used at all. Input is untrusted header
// text; results are views into it except where unquoting or RFC 2231 decoding needs new strings.
// Memory: at most kMaxParameters parameters per list (mime_rfc2231.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_message.hpp"
#include "mime/mime_rfc2231.hpp"

namespace estafeta::mime {

// "type/subtype; params". `type` empty when the value has no token at all.
struct MediaType {
  std::string_view type;
  std::string_view subtype;  // "" when there is no "/subtype"
  std::string_view params;   // raw text after the subtype, starting at ';' or garbage
  // Syntactically valid (RFC 2045 §5.1): US-ASCII tokens on both sides of '/', then nothing
  // or ';'. Dovecot applies the same test; an invalid value counts as absent (§5.2).
  bool valid = false;
};
MediaType parse_media_type(std::string_view value);

// "disposition-type; params" (RFC 2183 §2).
struct DispositionValue {
  std::string_view type;  // "inline", "attachment", ... as written; "" when unparsable
  std::string_view params;
};
DispositionValue parse_disposition(std::string_view value);

// RFC 2045 §6.1 mechanism; `token` receives the mechanism as written ("" if absent).
TransferEncoding parse_transfer_encoding(std::string_view value, std::string_view* token = nullptr);
std::string_view transfer_encoding_name(TransferEncoding e);  // "7bit", "base64", ...

// A parameter as IMAP shows it, Dovecot's way: RFC 2231 continuations merged into one
// parameter; an RFC 2231 extended value keeps its "name*" and "charset'lang'%XX" form
// (clients decode it); plain values are unquoted.
struct ImapParameter {
  std::string name;
  std::string value;
};
std::vector<ImapParameter> imap_parameters(std::string_view params);

// RFC 2231-decoded parameters (UTF-8 values), for display and the part's charset/filename.
std::vector<Parameter> decoded_parameters(std::string_view params);

}  // namespace estafeta::mime
