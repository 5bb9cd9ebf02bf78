// imap_fetch: one FETCH response "* n FETCH (...)" (RFC 9051 §6.4.5 and §7.5.2, RFC 3501
// §6.4.5 and §7.4.2, RFC 3516 BINARY, RFC 7162 CONDSTORE MODSEQ, RFC 8514 SAVEDATE, RFC 8970
// PREVIEW, RFC 8474 EMAILID/THREADID) rendered from what the store knows about a message. No I/O:
// the message bytes come from a callback that is called at most once and only when an item needs
// them — FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY, UID, MODSEQ, SAVEDATE,
// EMAILID, PREVIEW, BODY[HEADER] and BODY[HEADER.FIELDS (...)] are answered from MessageInfo and
// CachedFields alone.
//
// Notes:
// - Bytes are served as IMAP sees them: every bare LF as CRLF (mime::SectionBytes::crlf_str),
//   the form RFC822.SIZE and BODYSTRUCTURE sizes count. Partial fetches "<o.c>" apply to that
//   form; an origin at or past the end gives "" (../shared/CLIENTS.md), and the response
//   names "BODY[sec]<o>" (RFC 9051 §7.5.2). NUL, which a literal cannot carry (RFC 9051 §9
//   CHAR8), is sent as 0x80 in BODY data (same size), as Dovecot does.
// - Sections resolve as Dovecot resolves them, checked against its answers for the whole
//   MIME corpus (tests/corpus/imap_fetch): a section that does not exist gives "" (also
//   "1.1" of a one-part message); HEADER.FIELDS[.NOT] ends with the empty line when the header
//   had one or a field was chosen; a part cut off by a boundary right after its header has no
//   empty line in its MIME header; the section is echoed as the client wrote it.
// - BINARY data holding NUL is sent as literal8 "~{n}" (RFC 3516 §4.2); 7bit/8bit parts as
//   CRLF text; a part with an unknown Content-Transfer-Encoding makes the whole fetch fail
//   with [UNKNOWN-CTE] (§4.3), reported in FetchResult::status for the session's tagged NO.
//   Broken base64 / quoted-printable is decoded tolerantly (Dovecot refuses it).
// - \Seen (RFC 9051 §6.4.5): a BODY[...] / BINARY[...] / RFC822 / RFC822.TEXT fetch without
//   PEEK on a message without \Seen sets it. The session asks fetch_sets_seen() first,
//   updates the store, then renders with the new flags and FetchOptions::add_flags so the
//   response carries FLAGS.
// Input: items from the parser (sections already bounded, imap_limits.hpp) and untrusted
// message bytes; memory is the response text, plus the parsed message and at most one
// section copy while rendering. Never throws.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "imap/proto/imap_command.hpp"
#include "store/api/store.hpp"

namespace estafeta::imap {

struct FetchOptions {
  bool uid_command = false;  // UID FETCH: UID is always in the response (RFC 9051 §6.4.9)
  bool modseq = false;       // CONDSTORE enabled or CHANGEDSINCE given: MODSEQ always in
                             // the response (RFC 7162 §3.1.4.1)
  bool add_flags = false;    // add FLAGS if not asked (after an implicit \Seen, RFC 9051
                             // §6.4.5; or a flag change the session reports with the fetch)
  bool recent = false;       // the message is \Recent in this session (IMAP4rev1 only)
  bool utf8 = false;         // UTF8=ACCEPT / IMAP4rev2: UTF-8 strings may be quoted
  bool uid_only = false;     // RFC 9586 UIDONLY: "* uid UIDFETCH (...)", no UID item added
};

// The message being fetched. `load` fills `out` with the whole message as stored (its
// bytes; bare LFs allowed) and is called at most once, only when an item needs the bytes.
struct FetchMessage {
  std::uint32_t seq = 0;
  const store::MessageInfo* info = nullptr;     // required
  const store::CachedFields* cached = nullptr;  // required
  std::function<std::error_code(std::string& out)> load;
};

struct FetchResult {
  enum class Status {
    ok,
    unknown_cte,  // BINARY of a part with an unknown transfer encoding: tagged
                  // "NO [UNKNOWN-CTE]" (RFC 3516 §4.3); `text` is empty
    load_failed,  // `load` failed (error in `error`): tagged NO, the message may be gone
  };
  Status status = Status::ok;
  std::error_code error;
  std::string text;     // "* n FETCH (...)\r\n" (with any literals inside)
  bool loaded = false;  // the message bytes were needed
};

// True when fetching `items` sets \Seen on a message with `flags` (a non-PEEK body fetch on a
// message without \Seen, RFC 9051 §6.4.5).
bool fetch_sets_seen(const std::vector<FetchItem>& items, const store::Flags& flags);
// True when rendering `items` needs the message bytes (else `load` is never called).
bool fetch_needs_message(const std::vector<FetchItem>& items);

// Renders the FETCH response of one message.
FetchResult render_fetch(const FetchMessage& m, const std::vector<FetchItem>& items,
                         const FetchOptions& o = {});

// Streaming a big message (the session copies the literal from the Blob in pieces): the
// response as text before the literal (ending with its "{n}\r\n" or "~{n}\r\n"), the literal
// as `length` octets at `offset` of the stored message, and the text after it (ending in
// "\r\n"). Offered when exactly one item is BODY[] / BODY.PEEK[] / RFC822 / BINARY[] /
// BINARY.PEEK[] (the whole message) or BODY[TEXT] / RFC822.TEXT / BODY[1] of a message that
// is not multipart (the body after the cached header), with or without a partial range,
// every other item is answered without the bytes, and the stored message is in CRLF form
// (`stored_size` equals RFC822.SIZE, so no bare LF needs converting). The literal is the stored
// bytes as they are: a NUL in them is not rewritten as render_fetch() does. BINARY[] is always
// literal8, since the bytes are not scanned for NUL (RFC 3516 §4.2 allows it). nullopt otherwise:
// use render_fetch().
struct FetchStream {
  std::string before;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string after;
};
std::optional<FetchStream> plan_fetch_stream(const FetchMessage& m,
                                             const std::vector<FetchItem>& items,
                                             std::uint64_t stored_size, const FetchOptions& o = {});

}  // namespace estafeta::imap
