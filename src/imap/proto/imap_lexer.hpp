// imap_lexer: the token layer of the IMAP command grammar (RFC 9051 §9, RFC 3501 §9) shared by
// imap_parser and imap_search_parser: SP, atoms, quoted strings with \" and \\, literals
// ("{N}" / "{N+}" CRLF octets, and "~{N}" literal8, RFC 3516), astring, nstring, list-mailbox
// (% and *), numbers. Works on one command in wire form as imap::CommandReader assembled it;
// the octets of a literal are taken as they are, so its CRLF and length are trusted only as far
// as they are present (a short literal is a syntax error). Trust: unauthenticated peer.
// Memory: returns views or copies of parts of the input. No exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace estafeta::imap {

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  bool at_end() const { return pos_ >= in_.size(); }
  char peek() const { return at_end() ? '\0' : in_[pos_]; }
  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t p) { pos_ = p; }
  std::string_view rest() const { return in_.substr(pos_); }

  // Consumes c if it is next.
  bool consume(char c);
  // Consumes exactly one SP.
  bool sp() { return consume(' '); }
  // Consumes `word` case-insensitively when it is next and is not followed by an atom char.
  bool keyword(std::string_view word);

  // 1*ATOM-CHAR (no "(", ")", "{", SP, CTL, "%", "*", '"', "\", "]", nor 8-bit).
  std::optional<std::string_view> atom();
  // 1*ASTRING-CHAR: atom chars and "]".
  std::optional<std::string_view> astring_atom();
  // A tag: 1*ASTRING-CHAR except "+".
  std::optional<std::string_view> tag();
  // 1*(non-space, non-CTL, not "(" ")" "[" "]" "{" "}" "\"") — a loose run for keywords
  // like "BODY.PEEK" up to "[" and for flags ("\Seen", "$Label").
  std::optional<std::string_view> flag();
  // DQUOTE *QUOTED-CHAR DQUOTE (UTF-8 allowed, RFC 9051 §9 quoted; no CR, LF, NUL).
  std::optional<std::string> quoted();
  // A literal. *literal8 tells whether it was "~{N}"; literal8 is refused unless allow8.
  std::optional<std::string> literal(bool allow8 = false, bool* literal8 = nullptr);
  // True when the last literal() was refused only for a NUL octet in a "{N}" literal (the
  // parser then says so instead of a generic syntax error).
  bool literal_had_nul() const { return literal_had_nul_; }
  // quoted / literal.
  std::optional<std::string> string();
  // astring = 1*ASTRING-CHAR / string.
  std::optional<std::string> astring();
  // nstring = string / NIL: an engaged optional holding nullopt for NIL.
  std::optional<std::optional<std::string>> nstring();
  // list-mailbox = 1*list-char / string (list-char adds "%" "*" "]" to atom chars).
  std::optional<std::string> list_mailbox();
  // number (32-bit, RFC 9051 number) and number64 (63-bit); nz when nonzero required.
  std::optional<std::uint32_t> number(bool nz = false);
  std::optional<std::uint64_t> number64(bool nz = false);
  // A run of sequence-set characters (digits, ":", ",", "*", "$"), unparsed.
  std::optional<std::string_view> sequence_text();

  static bool is_atom_char(char c);

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  bool literal_had_nul_ = false;
};

}  // namespace estafeta::imap
