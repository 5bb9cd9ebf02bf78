// mime_imap_bodystructure: BODY / BODYSTRUCTURE rendering (see mime_imap_bodystructure.hpp).
#include "mime/mime_imap_bodystructure.hpp"

#include <optional>
#include <string_view>
#include <vector>

#include "mime/mime_content_type.hpp"
#include "mime/mime_imap_envelope.hpp"
#include "mime/mime_lexer.hpp"

namespace estafeta::mime {
namespace {

constexpr std::string_view kEmptyBody =
    R"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)";
constexpr std::string_view kEmptyExt = " NIL NIL NIL NIL";

class Writer {
 public:
  Writer(const Message& m, const BodystructureOptions& o) : m_(m), o_(o) {}

  void part(std::string& out, std::uint32_t idx) {
    const Part& p = m_.parts[idx];
    if (p.kind == PartKind::multipart) return multipart(out, p);
    leaf(out, p);
  }

 private:
  // A Content-* field of `p`; none for a non-MIME message (Dovecot ignores them there).
  std::optional<std::string_view> raw(const Part& p, std::string_view name) const {
    if (p.has(kPartNotMime)) return std::nullopt;
    const HeaderField* f = m_.find_field(p, name);
    if (f == nullptr) return std::nullopt;
    return f->value;
  }

  void type_string(std::string& out, std::string_view s) {
    if (!o_.upper_case_types) return imap_append_string(out, s, o_.quote);
    std::string u(s);
    for (char& c : u)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    imap_append_string(out, u, o_.quote);
  }

  void params(std::string& out, std::string_view text, bool default_charset) {
    std::vector<ImapParameter> ps = imap_parameters(text);
    if (ps.empty() && !default_charset) {
      out += "NIL";
      return;
    }
    out.push_back('(');
    bool seen_charset = false;
    bool first = true;
    for (const ImapParameter& prm : ps) {
      if (!first) out.push_back(' ');
      first = false;
      if (iequals(prm.name, "charset")) seen_charset = true;
      imap_append_string(out, prm.name, o_.quote);
      out.push_back(' ');
      imap_append_string(out, prm.value, o_.quote);
    }
    if (default_charset && !seen_charset) {
      if (!first) out.push_back(' ');
      out += o_.upper_case_types ? R"("CHARSET" "us-ascii")" : R"("charset" "us-ascii")";
    }
    out.push_back(')');
  }

  // Disposition, language, location: shared by all BODYSTRUCTURE extension data.
  void common_ext(std::string& out, const Part& p) {
    out.push_back(' ');
    auto disp = raw(p, "Content-Disposition");
    DispositionValue dv;
    if (disp) dv = parse_disposition(*disp);
    if (!disp || dv.type.empty()) {
      out += "NIL";
    } else {
      out.push_back('(');
      imap_append_string(out, dv.type, o_.quote);
      out.push_back(' ');
      params(out, dv.params, false);
      out.push_back(')');
    }
    out.push_back(' ');
    auto lang = raw(p, "Content-Language");
    std::vector<std::string_view> langs;
    if (lang) {  // RFC 3282: 1#Language-tag
      lex::Cursor c(*lang);
      while (langs.size() < 64) {
        lex::skip_cfws(c);
        std::string_view a = lex::take_atom(c);
        if (a.empty()) break;
        langs.push_back(a);
        lex::skip_cfws(c);
        if (!c.at(',')) break;
        ++c.p;
      }
    }
    if (langs.empty()) {
      out += "NIL";
    } else {
      out.push_back('(');
      for (std::size_t i = 0; i < langs.size(); ++i) {
        if (i > 0) out.push_back(' ');
        imap_append_string(out, langs[i], o_.quote);
      }
      out.push_back(')');
    }
    out.push_back(' ');
    imap_append_nstring_nolf(out, raw(p, "Content-Location"), o_.quote);
  }

  void multipart(std::string& out, const Part& p) {
    if (p.first_child == kNoPart) {
      out.push_back('(');
      out += kEmptyBody;
      if (o_.extended) out += kEmptyExt;
      out.push_back(')');
    }
    for (std::uint32_t c = p.first_child; c != kNoPart; c = m_.parts[c].next_sibling) {
      out.push_back('(');
      part(out, c);
      out.push_back(')');
    }
    out.push_back(' ');
    type_string(out, p.subtype);
    if (!o_.extended) return;
    out.push_back(' ');
    params(out, p.content_type_params, false);
    common_ext(out, p);
  }

  void leaf(std::string& out, const Part& p) {
    const bool is_message = p.kind == PartKind::message;
    bool text = false;
    bool unsplit = !is_message && (iequals(p.type, "multipart") ||
                                   (iequals(p.type, "message") && (iequals(p.subtype, "rfc822") ||
                                                                   iequals(p.subtype, "global"))));
    if (unsplit) {
      // Dovecot writes a part its parser did not split (limits) as an opaque attachment.
      out += o_.upper_case_types ? R"("APPLICATION" "OCTET-STREAM")"
                                 : R"("application" "octet-stream")";
    } else if (!p.has(kPartHasContentType) && !is_message) {
      text = true;
      out += o_.upper_case_types ? R"("TEXT" "PLAIN")" : R"("text" "plain")";
    } else {
      text = p.has(kPartText);
      type_string(out, p.type);
      out.push_back(' ');
      type_string(out, p.subtype);
    }
    out.push_back(' ');
    params(out, unsplit || !p.has(kPartHasContentType) ? std::string_view() : p.content_type_params,
           text);
    out.push_back(' ');
    imap_append_nstring_nolf(out, raw(p, "Content-ID"), o_.quote);
    out.push_back(' ');
    imap_append_nstring_nolf(out, raw(p, "Content-Description"), o_.quote);
    out.push_back(' ');
    std::string_view cte;
    if (auto v = raw(p, "Content-Transfer-Encoding")) {
      // Dovecot: one token and nothing after it, else the default.
      lex::Cursor c(*v);
      lex::skip_cfws(c);
      cte = lex::take_token(c);
      lex::skip_cfws(c);
      if (!c.done()) cte = {};
    }
    if (cte.empty())
      out += "\"7bit\"";
    else
      imap_append_string(out, cte, o_.quote);
    out.push_back(' ');
    out += std::to_string(p.body.imap_size());
    if (text) {
      out.push_back(' ');
      out += std::to_string(p.body.lines);
    } else if (is_message) {
      out += " (";
      out += imap_envelope(m_, p.first_child, o_.quote);
      out += ") (";
      part(out, p.first_child);
      out += ") ";
      out += std::to_string(p.body.lines);
    }
    if (!o_.extended) return;
    out.push_back(' ');
    imap_append_nstring_nolf(out, raw(p, "Content-MD5"), o_.quote);
    common_ext(out, p);
  }

  const Message& m_;
  const BodystructureOptions& o_;
};

}  // namespace

std::string imap_bodystructure(const Message& m, std::uint32_t part, BodystructureOptions o) {
  std::string out;
  if (part >= m.parts.size()) return out;
  Writer(m, o).part(out, part);
  return out;
}

}  // namespace estafeta::mime
