// mime_search_text: the text IMAP SEARCH matches a message's strings against (RFC 9051
// §6.4.4), in one place so that the scanning evaluator (imap/proto/imap_search_eval) and the
// full-text index (store/store_fulltext) see exactly the same characters and agree on every
// answer. Everything is folded by search_fold (close to RFC 5051 i;unicode-casemap, see
// mime_casemap.hpp): a key matches when its folded string is a substring of one of these
// texts.
//   SUBJECT (and HEADER Subject): each Subject field's RFC 2047-decoded value on its own.
//   FROM/TO/CC/BCC: each such field's decoded value, and each of its mailbox addresses shown
//     as "name <local@domain>" (as Dovecot matches them), each on its own.
//   TEXT: every header of the message, decoded, "name: value\n" per field — the top-level
//     one then those of the body parts and embedded messages — as one text; and BODY's text.
//   BODY: the text parts (text/* and parts without a Content-Type, attachments and embedded
//     messages' parts included) transfer-decoded and converted to UTF-8
//     (mime::text_body_utf8), each followed by "\n", as one text; not the parts' headers.
// Input: parsed untrusted messages. Memory: the returned texts only. Never throws.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_message.hpp"

namespace estafeta::mime {

// Lower-cases UTF-8 text for matching (ASCII and the common Unicode cases, decomposed as
// mime_casemap says; other characters unchanged, invalid bytes copied as they are).
std::string search_fold(std::string_view utf8);

// The folded decoded value of one header field (the unit SUBJECT and HEADER match in).
std::string search_field_text(const HeaderField& f);

// Appends the folded "name <local@domain>" of each mailbox address of `f` to `out`.
void search_address_texts(const HeaderField& f, std::vector<std::string>& out);

// Appends TEXT's header text of `fields` ("name: value\n" per field, folded) to `out`.
void append_search_fields(std::string& out, std::span<const HeaderField> fields);

// TEXT's whole header text: `top` (the top-level fields, however the caller got them) then
// the fields of every other part of `m` (when `m` is given).
std::string search_headers_text(std::span<const HeaderField> top, const Message* m);

// BODY's text of `m` (see the file comment), folded.
std::string search_body_text(const Message& m);

}  // namespace estafeta::mime
