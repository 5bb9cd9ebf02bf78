// mua_imap_response: the IMAP client's response reader (RFC 9051 §7, RFC 3501 §7): splits
// the server's bytes into responses (tagged "a1 OK ...", untagged "* ...", continuation
// "+ ...") with their literals ({n}, {n+}, ~{n} from BINARY), and parses each into a tree of
// values (atoms, numbers, strings, NIL, parenthesised lists) plus, for status responses, the
// status, the response code ("[UIDVALIDITY 3]") and the text. Sans-I/O: receive() bytes,
// next() responses. Trust: the server's bytes are untrusted; every buffer and count is
// bounded by ImapLimits (line, literal, response size, values, nesting), and a breach makes
// the reader fail (failed(), error()) rather than grow: the caller drops the connection.
// No exceptions; the list parser recurses at most ImapLimits::max_depth levels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::mua {

struct ImapLimits {
  std::size_t max_line = std::size_t{8} << 20;            // one line (SEARCH answers are long)
  std::uint64_t max_literal = std::uint64_t{256} << 20;   // one literal (a whole message)
  std::uint64_t max_response = std::uint64_t{300} << 20;  // one response with its literals
  std::size_t max_literals = 10000;                       // literals in one response
  std::size_t max_values = 2'000'000;                     // values in one response's tree
  std::size_t max_depth = 64;                             // list nesting (BODYSTRUCTURE)
};

struct ImapValue {
  enum class Kind : std::uint8_t { atom, number, string, nil, list };
  Kind kind = Kind::nil;
  std::string text;              // atom, number (digits) or string bytes
  std::vector<ImapValue> items;  // list
  bool is(Kind k) const { return kind == k; }
  bool is_list() const { return kind == Kind::list; }
  // Atom, number or string (an astring / nstring that is not NIL).
  bool is_text() const {
    return kind == Kind::atom || kind == Kind::number || kind == Kind::string;
  }
  // The number (digits only, up to 2^63), or nullopt.
  std::optional<std::uint64_t> number() const;
  // ASCII case-insensitive comparison of an atom's text.
  bool atom_is(std::string_view name) const;
};

struct ImapResponse {
  enum class Type : std::uint8_t { tagged, untagged, continuation };
  Type type = Type::untagged;
  std::string tag;  // tagged only
  // Status responses (tagged, or untagged OK/NO/BAD/BYE/PREAUTH): upper-cased status, the
  // response code's name (upper case, "" = none), its arguments as written and as values,
  // and the human-readable text. A continuation's text is in `text`.
  std::string status;
  std::string code;
  std::string code_args;
  std::vector<ImapValue> code_values;
  std::string text;
  // Other untagged responses: "* 5 EXISTS" has number 5 and name "EXISTS"; "* LIST (...)"
  // name "LIST"; the rest of the response as values. `malformed` when the rest could not be
  // parsed as values (name and number are still set).
  std::optional<std::uint64_t> number;
  std::string name;
  std::vector<ImapValue> values;
  bool malformed = false;

  bool is_status() const { return !status.empty(); }
  bool ok() const { return status == "OK"; }
};

class ImapResponseReader {
 public:
  explicit ImapResponseReader(ImapLimits limits = {}) : limits_(limits) {}

  void receive(std::string_view bytes);
  // The next complete response, or nullopt (more bytes needed, or failed()).
  std::optional<ImapResponse> next();
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Bytes held that are not yet a complete response.
  std::size_t buffered() const { return buffer_.size(); }
  // Bytes of literal the response being read still waits for (0 when reading a line).
  std::uint64_t literal_pending() const {
    const std::size_t have = buffer_.size() - scan_;
    return literal_left_ > have ? literal_left_ - have : 0;
  }

 private:
  ImapLimits limits_;
  std::string buffer_;
  std::size_t scan_ = 0;        // next byte to look at within the current response
  std::size_t line_start_ = 0;  // where the current line begins
  std::uint64_t literal_left_ = 0;
  std::size_t literals_ = 0;
  std::string error_;
};

// Parses one complete response (without its final CRLF); used by the reader and by tests.
// Fails (nullopt, `error` set) only when the response is not IMAP at all (no tag, no "*"
// or "+", a tagged response without a status); trouble after the name sets `malformed`.
std::optional<ImapResponse> parse_imap_response(std::string_view raw, const ImapLimits& limits,
                                                std::string& error);

// Parses `text` as a space-separated sequence of values (what follows a response's name).
// False when it is not well-formed or breaks a limit.
bool parse_imap_values(std::string_view text, const ImapLimits& limits,
                       std::vector<ImapValue>& out);

}  // namespace estafeta::mua
