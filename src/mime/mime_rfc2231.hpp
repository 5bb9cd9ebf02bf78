// mime_rfc2231: MIME parameter value extensions (RFC 2231): continuations ("name*0",
// "name*1", ...), charset and language ("name*=utf-8'en'%E2%82%AC") and their encoding for
// composed messages. Also a tolerant parser for the parameter list after a Content-Type or
// Content-Disposition value (RFC 2045 §5.1), for callers that have no tokenizer of their own.
// Decoding is tolerant like mail clients: pieces may come in any order, a missing piece
// ends the value at the gap, an encoded piece without charset uses the first piece's, names
// are case-insensitive, RFC 2047 words inside a quoted value (what old clients send) are
// decoded too. Input is untrusted header text. Memory: at most kMaxParameters parameters
// and kMaxContinuations pieces per parameter are kept; the rest is dropped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::mime {

inline constexpr std::size_t kMaxParameters = 64;
inline constexpr std::size_t kMaxContinuations = 100;

// One parameter as written in the header, before RFC 2231 processing.
struct RawParameter {
  std::string name;   // as written, e.g. "filename*1*"
  std::string value;  // without quotes, quoted-pairs resolved
  bool quoted = false;
};

// One parameter after RFC 2231 processing.
struct Parameter {
  std::string name;      // lower case, without "*" suffixes
  std::string value;     // UTF-8
  std::string charset;   // declared RFC 2231 charset, "" if none
  std::string language;  // declared RFC 2231 language, "" if none
};

// Splits "; a=b; c=\"d\"" (everything after the media type or disposition) into raw
// parameters. Skips comments and garbage between parameters; never fails.
std::vector<RawParameter> split_parameters(std::string_view list);

// Joins continuations and decodes charset'lang'value forms. Output keeps the order in which
// each name first appeared; duplicate plain names keep the first value.
std::vector<Parameter> combine_parameters(const std::vector<RawParameter>& raw);

// split_parameters + combine_parameters.
std::vector<Parameter> parse_parameters(std::string_view list);

// Finds `name` (case-insensitive) in `params`; nullptr if absent.
const Parameter* find_parameter(const std::vector<Parameter>& params, std::string_view name);

// Formats one parameter for a header, starting with "; " and with folding whitespace
// ("\r\n ") between pieces: `name="value"` when the UTF-8 value is short printable ASCII,
// quoted as needed; otherwise RFC 2231 continuations `name*0*=utf-8''%E2...` of at most
// about `max_piece` characters each.
std::string format_parameter(std::string_view name, std::string_view utf8_value,
                             std::size_t max_piece = 60);

}  // namespace estafeta::mime
