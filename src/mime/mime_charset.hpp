// mime_charset: conversion of text in a declared MIME charset (RFC 2045 §5.1, RFC 2046 §4.1.2,
// IANA charset registry) to UTF-8 through glibc iconv.
// Names are matched case-insensitively, with the aliases real mail uses (latin1, cp1252,
// x-sjis, ks_c_5601-1987, ...) and supersets where senders mislabel (GB2312 and GBK are
// decoded as GB18030, ISO-8859-1 as Windows-1252, Big5 as Big5-HKSCS, EUC-KR as CP949,
// Shift_JIS as CP932, ISO-2022-JP as ISO-2022-JP-2; 8-bit text labelled US-ASCII as UTF-8
// when valid, else Windows-1252). Invalid sequences become U+FFFD; an unknown charset never
// fails: the text is taken as UTF-8 if it is valid UTF-8, else as Windows-1252, and the
// outcome says which. Input is untrusted message content. iconv descriptors are costly to open, so
// each thread keeps a small cache of them (at most kIconvCacheSize per thread, closed at thread
// exit). Memory: output at most 3 bytes per input byte plus the converter's state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace estafeta::mime {

// How convert_to_utf8() produced its output.
enum class CharsetOutcome {
  exact,           // converted from the declared charset, every sequence valid
  replaced,        // converted from the declared charset, invalid sequences became U+FFFD
  unknown_utf8,    // charset unknown; input was valid UTF-8 and is copied
  unknown_latin1,  // charset unknown; input was not UTF-8 and was read as Windows-1252
};

// The name handed to iconv for `charset` ("latin1" -> "WINDOWS-1252", "gb2312" ->
// "GB18030", "utf8" -> "UTF-8"), or "" when the name is neither known nor accepted by iconv.
// Strips surrounding quotes/whitespace and RFC 2231 language suffixes ("utf-8*en").
std::string charset_iconv_name(std::string_view charset);

// True when `charset` names UTF-8 or US-ASCII (no conversion needed for valid input).
bool charset_is_utf8_compatible(std::string_view charset);

// Appends the UTF-8 form of `in`, declared as `charset`, to `out`. Never fails.
CharsetOutcome convert_to_utf8(std::string_view charset, std::string_view in, std::string& out);

// Convenience form of convert_to_utf8().
std::string to_utf8(std::string_view charset, std::string_view in);

// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Appends `in` to `out` with every ill-formed UTF-8 sequence replaced by U+FFFD (one per
// maximal ill-formed subpart, as Unicode §3.9 recommends). Returns true if nothing was replaced.
bool append_utf8_sanitized(std::string_view in, std::string& out);

// Appends the UTF-8 of the Windows-1252 bytes `in` (the five undefined bytes map to the C1
// controls of the same value, as the WHATWG Encoding Standard does).
void append_windows1252_as_utf8(std::string_view in, std::string& out);

// Per-thread iconv descriptor cache size (least recently used is closed first).
inline constexpr std::size_t kIconvCacheSize = 8;

}  // namespace estafeta::mime
