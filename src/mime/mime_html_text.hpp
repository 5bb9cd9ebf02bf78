// mime_html_text: the readable text of an HTML document (text/html parts, RFC 2854), for
// previews (RFC 8970) and anything else that wants words rather than markup: tags dropped,
// the contents of <head>, <style>, <script>, <template> and comments dropped, block-level
// tags (p, div, br, li, tr, h1..h6, ...) turned into line breaks, character references
// (&amp; &#233; &#x20AC; and the common named ones) decoded to UTF-8. Not an HTML parser:
// malformed markup degrades to text, never to an error. Input: untrusted UTF-8 (the
// caller has converted the charset); output at most `max_out` octets (0: unbounded), cut at a
// character boundary; linear time, no recursion.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace estafeta::mime {

std::string html_to_text(std::string_view html, std::size_t max_out = 0);

}  // namespace estafeta::mime
