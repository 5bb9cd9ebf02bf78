// queue_record: the on-disk format of a spool entry's envelope record, sans-I/O. A spool file
// holds the message data as received (CRLF, no Received field), then a record, and in its
// last 32 octets a trailer that points at the record; a per-recipient state update appends a
// whole new record and trailer. A file whose last 32 octets are not a trailer with a valid
// MAC, or whose data does not match the record's data CRC, holds no committed message.
//
//   [data: data_length octets][record][...][trailer: the file's last 32 octets]
//   trailer: "ESTSPOOL" | u64 LE record offset | u32 LE record length | u64 LE MAC | "END\n"
//
// The MAC is SipHash-2-4 of the record under the spool's secret key (a file only the service
// user can read): message data is chosen by the peer and a file being received may end in it
// when the process dies, so a trailer must be something no peer can forge. The record carries
// the CRC-32 of the data, so a file reused for a new message is never mistaken for the old.
//
// A remote recipient's outbound state follows its rcpt line as "remote FLAGS HOST" (FLAGS a
// comma list of lost, delayed, server, or "~"); the line is written only when there is
// something to say, so records without it (older ones included) read as before. Likewise
// "sender ADDRESS" after a rcpt line gives that recipient its own envelope sender (a copy
// forwarded by an alias leaves with an SRS address, queue_srs.hpp); absent = the message's;
// "via ADDRESS" names the alias it was forwarded for.
//
// The record is text, one "key value..." line per field, every value percent-escaped (octets
// <= 0x20, >= 0x7f, '%' and '~' as %XX; the empty string as "~"), so a record is readable with
// `less` and no value can break a line. Trust: records are written by us but read back after
// crashes and by hand-edited spools, so the parser treats them as untrusted: every field is
// checked, sizes are bounded (kMaxRecord), and garbage yields an error, never a crash.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::queue {

inline constexpr std::size_t kTrailerSize = 32;
inline constexpr std::size_t kMaxRecord = 8 * 1024 * 1024;

enum class RcptState { pending, delivered, deferred, failed };
std::string_view state_name(RcptState s);

// One mailbox a local recipient resolved to when the message was accepted.
struct LocalTarget {
  std::string user;     // account name
  std::string maildir;  // the account's Maildir root
  std::string folder;   // "" = INBOX, else a Maildir++ folder name
  std::string address;  // as resolved, for Delivered-To
};

struct SpoolRecipient {
  std::string address;        // as given in RCPT TO (unquoted)
  std::string notify, orcpt;  // RFC 3461 as given, "" when absent
  RcptState state = RcptState::pending;
  std::string reason;              // for deferred / failed: the last error, one line
  std::uint32_t attempts = 0;      // delivery attempts so far
  std::int64_t next_attempt = 0;   // unix seconds; 0 = now
  std::vector<LocalTarget> local;  // empty: not a local recipient (the outbound queue's)
  // The outbound queue's state of a remote recipient ("remote" line; absent in older records
  // and for local recipients, which leaves these at their defaults).
  std::string remote_host;      // the host that gave the last reply, "" = none
  bool reply_lost = false;      // an attempt lost the reply to the final dot (RFC 5321 §6.1):
                                // a second such loss fails the recipient, never a third try
  bool delay_notified = false;  // the sender was sent a "delayed" notice (RFC 3464)
  bool remote_reply = false;    // `reason` is a remote server's reply (else our own failure)
  // The envelope sender this recipient's copy leaves with when it is not the message's (a
  // forwarded copy: the SRS address); "" = the message's `mail_from` ("sender" line).
  std::string sender;
  // A copy forwarded by one of our aliases: that alias's address ("via" line). The copy leaves
  // with "Delivered-To: <via>" on top, and a message that already carries that field has
  // come back through the alias chain: a forwarding loop (Postfix's local(8) rule).
  std::string via;
};

struct SpoolEnvelope {
  std::string id;         // the message id (Received "id", logs, queue list)
  std::string mail_from;  // "" = null sender
  std::string helo, peer_ip, auth_user;
  std::string ret, envid, body;  // RFC 3461 RET/ENVID, BODY= as given
  bool smtputf8 = false;
  bool requiretls = false;       // RFC 8689 REQUIRETLS at MAIL ("requiretls" line, only when set)
  std::int64_t received_at = 0;  // unix seconds
  std::string received;          // the Received field we add, CRLF-terminated
  std::string maildir_name;  // unique Maildir base name chosen at commit (idempotent redelivery)
  std::uint64_t data_length = 0;
  std::uint32_t data_crc = 0;  // CRC-32 of the data
  std::vector<SpoolRecipient> recipients;

  bool finished() const;  // no recipient is pending or deferred
};

struct Trailer {
  std::uint64_t record_offset = 0;
  std::uint32_t record_length = 0;
  std::uint64_t mac = 0;
};

using SpoolKey = std::array<std::uint8_t, 16>;

std::string encode_record(const SpoolEnvelope& envelope);
// nullopt and `error` set when the text is not a well-formed record.
std::optional<SpoolEnvelope> parse_record(std::string_view text, std::string& error);

std::array<char, kTrailerSize> encode_trailer(const Trailer& t);
std::optional<Trailer> parse_trailer(std::string_view bytes);  // exactly kTrailerSize octets

// CRC-32 (IEEE), continuable: crc32(b, crc32(a)) == crc32(a + b).
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);
// SipHash-2-4 of `bytes` under `key` (Aumasson and Bernstein's keyed hash).
std::uint64_t siphash24(const SpoolKey& key, std::string_view bytes);

// Percent-escaping of one value (see the file comment); unescape returns nullopt on a bad %XX.
std::string escape_value(std::string_view v);
std::optional<std::string> unescape_value(std::string_view v);

}  // namespace estafeta::queue
