// mime_json: a parsed message as one JSON object, for people and programs that want to see
// what estafeta_mime makes of a message (`estafeta mime json`, the differential test tool
// tests/mime/mime_dump). It holds the IMAP BODYSTRUCTURE, BODY and ENVELOPE strings and,
// per part in pre-order, the media type, tree position, sizes, decoded Content-Type
// parameters, disposition and filename, every header field (raw and RFC 2047-decoded), the
// parsed address lists, Date and message identifiers, and the transfer-decoded body of each
// leaf in base64. Input is a parsed untrusted message; the output is always valid JSON
// (control characters escaped; raw header bytes >= 0x80 and text that is not valid UTF-8
// written as one \u00XX escape per byte). Memory: the output string, about 1.4 times the
// message size plus the header text a few times over; no recursion.
#pragma once

#include <string>
#include <string_view>

#include "mime/mime_message.hpp"

namespace estafeta::mime {

struct JsonOptions {
  bool bodies = true;  // include "body_b64" (the decoded body) for every leaf part
};

// The JSON object, without a trailing newline. Layout (keys in this order):
//   {"limits_hit":bool, "bodystructure":str, "body":str, "envelope":str, "parts":[
//     {"content_type":"type/subtype" (lower case; text/plain when absent, RFC 2045 §5.2),
//      "kind":"leaf"|"multipart"|"message", "parent":index|null, "flags":PartFlag bits,
//      "header_size":n, "body_size":n, "body_lines":n, "params":{name:value},
//      ["disposition":str, ["filename":str]], "headers":[[name, raw, decoded], ...],
//      ["addr_from"|"addr_to"|"addr_cc"|"addr_bcc"|"addr_reply-to"|"addr_sender":
//        [[display name, addr-spec, invalid], ...]], ["date":unix seconds|null],
//      ["ids_message-id"|"ids_in-reply-to"|"ids_references":[id, ...]],
//      ["body_b64":base64 of the decoded body (leaves; the raw body for an unknown CTE)]}]}
std::string message_to_json(const Message& m, JsonOptions o = {});

// Appends `s` as a JSON string literal. Quote, backslash, C0 controls and DEL are escaped
// (\u00XX); with `bytes_as_latin1`, or when `s` is not valid UTF-8, every byte >= 0x80 is
// written as its own \u00XX escape too, so the result is valid JSON whatever `s` holds.
void append_json_string(std::string& out, std::string_view s, bool bytes_as_latin1);

}  // namespace estafeta::mime
