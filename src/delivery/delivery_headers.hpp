// delivery_headers: the trace fields the MDA prepends (Return-Path, Delivered-To). Addresses
// arrive unquoted from the SMTP core ("john q. doe@example.org"); here they are put back in
// RFC 5321 §4.1.2 form: a local part that is not a dot-atom becomes a quoted string with
// '"' and '\' escaped. Octets that no quoted string can carry (controls, CR, LF) are dropped,
// so a header can never be split. Input: envelope addresses already validated by the SMTP
// core, but treated as untrusted; output is at most twice the input plus a few octets.
#pragma once

#include <string>
#include <string_view>

namespace estafeta::delivery {

// "local@domain" with the local part quoted when needed; "" stays "".
std::string smtp_path_address(std::string_view address);

// "Return-Path: <...>\r\n" and, when `delivered_to` is not empty, "Delivered-To: ...\r\n".
std::string trace_headers(std::string_view return_path, std::string_view delivered_to);

}  // namespace estafeta::delivery
