// imap_fetch: see the header.
#include "imap/proto/imap_fetch.hpp"

#include <algorithm>
#include <string_view>

#include "imap/proto/imap_response_strings.hpp"
#include "mime/mime_imap_bodystructure.hpp"
#include "mime/mime_imap_envelope.hpp"
#include "mime/mime_imap_quote.hpp"
#include "mime/mime_imap_section.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::imap {

namespace {

using Kind = FetchItem::Kind;
using Text = mime::SectionSpec::Text;

// Items answered from the header alone: BODY[HEADER], BODY[HEADER.FIELDS[.NOT] (...)] of the
// message itself, and RFC822.HEADER.
bool header_only(const FetchItem& it) {
  if (it.kind == Kind::rfc822_header) return true;
  if (it.kind != Kind::body_section || !it.section.path.empty()) return false;
  return it.section.text == Text::header || it.section.text == Text::header_fields ||
         it.section.text == Text::header_fields_not;
}

bool item_needs_message(const FetchItem& it) {
  switch (it.kind) {
    case Kind::rfc822:
    case Kind::rfc822_text:
    case Kind::binary:
    case Kind::binary_size:
      return true;
    case Kind::body_section:
      return !header_only(it);
    default:
      return false;
  }
}

bool item_sets_seen(const FetchItem& it) {
  switch (it.kind) {
    case Kind::rfc822:
    case Kind::rfc822_text:
      return true;
    case Kind::body_section:
    case Kind::binary:
      return !it.peek;
    default:
      return false;
  }
}

// The whole message as one literal: what plan_fetch_stream() can stream.
bool whole_message_item(const FetchItem& it) {
  if (it.kind == Kind::rfc822) return true;
  if (it.kind == Kind::body_section)
    return it.section.path.empty() && it.section.text == Text::none;
  if (it.kind == Kind::binary) return it.section.path.empty();
  return false;
}

// The section as the response names it: as the client wrote it when known, else rebuilt.
std::string section_name(const FetchItem& it) {
  if (!it.section_text.empty()) return it.section_text;
  std::string s;
  for (std::uint32_t n : it.section.path) {
    if (!s.empty()) s.push_back('.');
    s.append(std::to_string(n));
  }
  auto keyword = [&](std::string_view k) {
    if (!s.empty()) s.push_back('.');
    s.append(k);
  };
  switch (it.section.text) {
    case Text::none:
      break;
    case Text::header:
      keyword("HEADER");
      break;
    case Text::text:
      keyword("TEXT");
      break;
    case Text::mime:
      keyword("MIME");
      break;
    case Text::header_fields:
    case Text::header_fields_not: {
      keyword(it.section.text == Text::header_fields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (");
      for (std::size_t i = 0; i < it.section.fields.size(); ++i) {
        if (i) s.push_back(' ');
        append_astring(s, it.section.fields[i]);
      }
      s.push_back(')');
      break;
    }
  }
  return s;
}

// The name an item takes in the response ("BODY[1.2]<0>", "RFC822.SIZE"); also the key that
// drops repeated items.
std::string item_name(const FetchItem& it) {
  std::string n;
  switch (it.kind) {
    case Kind::flags:
      return "FLAGS";
    case Kind::internal_date:
      return "INTERNALDATE";
    case Kind::rfc822_size:
      return "RFC822.SIZE";
    case Kind::envelope:
      return "ENVELOPE";
    case Kind::body_structure:
      return "BODYSTRUCTURE";
    case Kind::body:
      return "BODY";
    case Kind::uid:
      return "UID";
    case Kind::modseq:
      return "MODSEQ";
    case Kind::save_date:
      return "SAVEDATE";
    case Kind::email_id:
      return "EMAILID";
    case Kind::thread_id:
      return "THREADID";
    case Kind::preview:
      return "PREVIEW";
    case Kind::rfc822:
      return "RFC822";
    case Kind::rfc822_header:
      return "RFC822.HEADER";
    case Kind::rfc822_text:
      return "RFC822.TEXT";
    case Kind::body_section:
      n = "BODY[";
      break;
    case Kind::binary:
      n = "BINARY[";
      break;
    case Kind::binary_size:
      n = "BINARY.SIZE[";
      break;
  }
  n.append(section_name(it));
  n.push_back(']');
  // RFC 9051 §7.5.2: the response gives the origin only ("BODY[]<0>"), never the count.
  if (it.partial_origin && it.kind != Kind::binary_size) {
    n.push_back('<');
    n.append(std::to_string(*it.partial_origin));
    n.push_back('>');
  }
  return n;
}

// [origin, origin+count) of `data` for a partial fetch; "" when origin is at or past the end
// (../shared/CLIENTS.md).
std::string_view apply_partial(std::string_view data, const FetchItem& it) {
  if (!it.partial_origin) return data;
  if (*it.partial_origin >= data.size()) return {};
  return data.substr(*it.partial_origin, it.partial_count);
}

// The (offset, length) of a partial range inside `size` octets.
std::pair<std::uint64_t, std::uint64_t> partial_range(std::uint64_t size, const FetchItem& it) {
  if (!it.partial_origin) return {0, size};
  if (*it.partial_origin >= size) return {size, 0};
  return {*it.partial_origin, std::min<std::uint64_t>(it.partial_count, size - *it.partial_origin)};
}

// Body data: "" when empty, else a literal (Dovecot never quotes body data).
void append_body_data(std::string& out, std::string_view data) {
  if (data.empty())
    out.append("\"\"");
  else
    append_literal(out, data);
}

// True when a header block ends with its empty line.
bool has_empty_line(std::string_view h) {
  return h == "\n" || h == "\r\n" || h.ends_with("\n\n") || h.ends_with("\n\r\n");
}

// A header block as IMAP serves it (bare LF as CRLF), from the cached header when that is a
// complete header section (ends with its empty line).
std::optional<std::string> complete_cached_header(const store::CachedFields& c) {
  std::string_view h = c.header;
  if (!has_empty_line(h)) return std::nullopt;
  mime::SectionBytes b;
  b.pieces.push_back(h);
  return b.crlf_str();
}

std::string crlf(std::string_view data) {
  mime::SectionBytes b;
  b.pieces.push_back(data);
  return b.crlf_str();
}

class Renderer {
 public:
  Renderer(const FetchMessage& m, const FetchOptions& o) : m_(m), o_(o) {}

  // Renders every item into `out_`; with `stream` set, that item's data is not written: its
  // name and literal header are, and `split_` marks where the literal goes.
  bool render(const std::vector<FetchItem>& items, const FetchItem* stream,
              std::uint64_t stream_length, bool stream_literal8) {
    out_.append("* ");
    // RFC 9586 §3.3: UIDFETCH carries the UID where FETCH has the message number.
    out_.append(std::to_string(o_.uid_only ? m_.info->uid : m_.seq));
    out_.append(o_.uid_only ? " UIDFETCH (" : " FETCH (");
    const store::MessageInfo& info = *m_.info;
    bool has_uid = false, has_modseq = false, has_flags = false;
    for (const FetchItem& it : items) {
      has_uid |= it.kind == Kind::uid;
      has_modseq |= it.kind == Kind::modseq;
      has_flags |= it.kind == Kind::flags;
    }
    // RFC 9051 §6.4.9: UID FETCH answers carry UID; Dovecot puts the added one first.
    if (o_.uid_command && !has_uid && !o_.uid_only) simple("UID", std::to_string(info.uid));
    for (const FetchItem& it : items) {
      std::string name = item_name(it);
      if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) continue;
      seen_.push_back(name);
      if (&it == stream) {
        sep();
        out_.append(name);
        out_.push_back(' ');
        if (stream_length == 0) {
          out_.append("\"\"");
          split_ = out_.size();
        } else {
          append_literal_header(out_, stream_length, stream_literal8);
          split_ = out_.size();
        }
        continue;
      }
      if (!item(it, name)) return false;
    }
    // RFC 7162 §3.1.4.1: MODSEQ in every FETCH response once CONDSTORE is on.
    if (o_.modseq && !has_modseq) simple("MODSEQ", "(" + std::to_string(info.modseq) + ")");
    if (o_.add_flags && !has_flags) flags();
    out_.append(")\r\n");
    return true;
  }

  std::string& out() { return out_; }
  std::size_t split() const { return split_; }
  FetchResult::Status status() const { return status_; }
  std::error_code error() const { return error_; }
  bool loaded() const { return tried_; }

 private:
  void sep() {
    if (!first_) out_.push_back(' ');
    first_ = false;
  }
  void simple(std::string_view name, std::string_view value) {
    sep();
    out_.append(name);
    out_.push_back(' ');
    out_.append(value);
  }
  void flags() {
    sep();
    out_.append("FLAGS ");
    append_flag_list(out_, m_.info->flags, o_.recent);
  }

  const mime::Message* message() {
    if (!tried_) {
      tried_ = true;
      std::error_code ec = m_.load ? m_.load(data_) : std::make_error_code(std::errc::io_error);
      if (ec) {
        error_ = ec;
        status_ = FetchResult::Status::load_failed;
      } else {
        parsed_.emplace(mime::parse(data_));
      }
    }
    return parsed_ ? &*parsed_ : nullptr;
  }

  bool body_data(std::string_view name, std::string_view data, const FetchItem& it) {
    sep();
    out_.append(name);
    out_.push_back(' ');
    std::string_view v = apply_partial(data, it);
    if (v.find('\0') == std::string_view::npos) {
      append_body_data(out_, v);
    } else {
      // A literal cannot carry NUL (RFC 9051 §9 CHAR8): written as 0x80, as Dovecot does,
      // keeping the size. Only BINARY sends NUL (literal8).
      std::string copy(v);
      std::replace(copy.begin(), copy.end(), '\0', '\x80');
      append_body_data(out_, copy);
    }
    return true;
  }

  bool section(const FetchItem& it, std::string_view name) {
    mime::SectionSpec spec = it.section;
    if (it.kind == Kind::rfc822) spec = {};
    if (it.kind == Kind::rfc822_header) spec = {.path = {}, .text = Text::header, .fields = {}};
    if (it.kind == Kind::rfc822_text) spec = {.path = {}, .text = Text::text, .fields = {}};
    const bool fields = spec.text == Text::header_fields || spec.text == Text::header_fields_not;
    if (header_only(it) && !m_.cached->header.empty()) {  // from the cache
      if (fields)
        return body_data(name, mime::header_fields_of(m_.cached->header, spec).crlf_str(), it);
      if (std::optional<std::string> h = complete_cached_header(*m_.cached))
        return body_data(name, *h, it);
    }
    const mime::Message* msg = message();
    if (!msg) return false;
    // A section that does not exist: an empty string, as Dovecot answers.
    std::optional<mime::SectionBytes> b = mime::fetch_section(*msg, spec);
    return body_data(name, b ? b->crlf_str() : std::string(), it);
  }

  // BINARY data of a part: the transfer encoding removed; identity encodings (and the whole
  // message) as CRLF text, as Dovecot serves them. nullopt for [UNKNOWN-CTE].
  std::optional<std::string> binary_data(const mime::Message& msg, const FetchItem& it) {
    if (it.section.path.empty()) return crlf(msg.data);  // as RFC822.SIZE counts it
    std::uint32_t p = mime::resolve_part(msg, it.section.path);
    if (p == mime::kNoPart) return std::string();
    mime::BinaryResult r = mime::fetch_binary(msg, it.section.path);
    if (r.status == mime::BinaryResult::Status::unknown_cte) return std::nullopt;  // §4.3
    const mime::Part& part = msg.parts[p];
    if (part.kind != mime::PartKind::leaf || part.encoding == mime::TransferEncoding::seven_bit ||
        part.encoding == mime::TransferEncoding::eight_bit)
      return crlf(r.data);
    return std::move(r.data);
  }

  bool binary(const FetchItem& it, std::string_view name) {
    const mime::Message* msg = message();
    if (!msg) return false;
    std::optional<std::string> data = binary_data(*msg, it);
    if (!data) {
      status_ = FetchResult::Status::unknown_cte;  // RFC 3516 §4.3
      return false;
    }
    std::string_view v = apply_partial(*data, it);
    sep();
    out_.append(name);
    out_.push_back(' ');
    if (v.empty())
      out_.append("\"\"");
    else if (v.find('\0') != std::string_view::npos)
      append_literal8(out_, v);  // RFC 3516 §4.2
    else
      append_literal(out_, v);
    return true;
  }

  bool binary_size(const FetchItem& it, std::string_view name) {
    const mime::Message* msg = message();
    if (!msg) return false;
    std::size_t size = 0;
    if (it.section.path.empty()) {
      mime::SectionBytes b;
      b.pieces.push_back(msg->data);
      size = b.crlf_size();
    } else {
      std::optional<std::string> data = binary_data(*msg, it);
      if (!data) {
        status_ = FetchResult::Status::unknown_cte;  // RFC 3516 §4.3
        return false;
      }
      size = data->size();
    }
    simple(name, std::to_string(size));
    return true;
  }

  bool item(const FetchItem& it, const std::string& name) {
    const store::MessageInfo& info = *m_.info;
    const store::CachedFields& c = *m_.cached;
    switch (it.kind) {
      case Kind::flags:
        flags();
        return true;
      case Kind::internal_date: {
        std::string v;
        append_internal_date(v, info.internal_date, info.internal_tz);
        simple(name, v);
        return true;
      }
      case Kind::rfc822_size:
        simple(name, std::to_string(info.size));
        return true;
      case Kind::envelope:
      case Kind::body_structure:
      case Kind::body: {
        const std::string& cached = it.kind == Kind::envelope         ? c.envelope
                                    : it.kind == Kind::body_structure ? c.body_structure
                                                                      : c.body;
        std::string v = cached;
        if (v.empty()) {  // not in the cache (an index written before): compute it
          const mime::Message* msg = message();
          if (!msg) return false;
          mime::ImapQuoteOptions q{.utf8 = o_.utf8};
          if (it.kind == Kind::envelope)
            v = mime::imap_envelope(*msg, 0, q);
          else
            v = mime::imap_bodystructure(*msg, 0,
                                         {.extended = it.kind == Kind::body_structure, .quote = q});
        }
        simple(name, "(" + v + ")");
        return true;
      }
      case Kind::uid:
        simple(name, std::to_string(info.uid));
        return true;
      case Kind::modseq:
        simple(name, "(" + std::to_string(info.modseq) + ")");  // RFC 7162 §3.1.4.1
        return true;
      case Kind::save_date: {
        std::string v;
        if (info.save_date == 0)
          v = "NIL";  // RFC 8514 §4.3: the mailbox cannot tell
        else
          append_internal_date(v, info.save_date, 0);
        simple(name, v);
        return true;
      }
      case Kind::email_id:
        // RFC 8474 §5.1: "EMAILID (id)"; an id the store does not have is left out.
        if (!info.email_id.empty()) simple(name, "(" + info.email_id + ")");
        return true;
      case Kind::thread_id:
        // RFC 8474 §5.2: "THREADID (id)", NIL when the server keeps no thread for it.
        simple(name, info.thread_id.empty() ? std::string("NIL") : "(" + info.thread_id + ")");
        return true;
      case Kind::preview: {
        // RFC 8970 §3.1: the preview kept since delivery/APPEND (so LAZY never needs NIL);
        // "" when the message has no text. UTF-8: quoted once UTF8=ACCEPT/IMAP4rev2 is on,
        // else a literal when it is not ASCII.
        std::string v;
        mime::imap_append_string(v, c.preview, {.utf8 = o_.utf8});
        simple(name, v);
        return true;
      }
      case Kind::rfc822:
      case Kind::rfc822_header:
      case Kind::rfc822_text:
      case Kind::body_section:
        return section(it, name);
      case Kind::binary:
        return binary(it, name);
      case Kind::binary_size:
        return binary_size(it, name);
    }
    return true;
  }

  const FetchMessage& m_;
  const FetchOptions& o_;
  std::string out_;
  std::vector<std::string> seen_;
  bool first_ = true;
  std::size_t split_ = 0;
  std::string data_;  // the message bytes; parsed_ points into it
  std::optional<mime::Message> parsed_;
  bool tried_ = false;
  FetchResult::Status status_ = FetchResult::Status::ok;
  std::error_code error_;
};

}  // namespace

bool fetch_sets_seen(const std::vector<FetchItem>& items, const store::Flags& flags) {
  if (flags.system & store::kSeen) return false;
  return std::any_of(items.begin(), items.end(), item_sets_seen);
}

bool fetch_needs_message(const std::vector<FetchItem>& items) {
  return std::any_of(items.begin(), items.end(), item_needs_message);
}

FetchResult render_fetch(const FetchMessage& m, const std::vector<FetchItem>& items,
                         const FetchOptions& o) {
  FetchResult r;
  Renderer w(m, o);
  bool ok = w.render(items, nullptr, 0, false);
  r.loaded = w.loaded();
  if (!ok) {
    r.status = w.status();
    r.error = w.error();
    return r;
  }
  r.text = std::move(w.out());
  return r;
}

namespace {

// Where the data of `it` lies in a stored CRLF message of `size` octets, when that is known
// without reading it: the whole message (BODY[], RFC822, BINARY[]), or the body after the
// cached header (BODY[TEXT], RFC822.TEXT, and BODY[1] of a message that is not multipart).
std::optional<std::pair<std::uint64_t, std::uint64_t>> stored_range(const FetchItem& it,
                                                                    const store::CachedFields& c,
                                                                    std::uint64_t size) {
  if (whole_message_item(it)) return std::make_pair(std::uint64_t{0}, size);
  const bool text =
      it.kind == Kind::rfc822_text ||
      (it.kind == Kind::body_section && it.section.path.empty() && it.section.text == Text::text) ||
      (it.kind == Kind::body_section && it.section.text == Text::none &&
       it.section.path == std::vector<std::uint32_t>{1} &&
       c.body_structure.starts_with('"'));  // one part: "type" "subtype" ...
  if (!text || !has_empty_line(c.header) || c.header.size() > size) return std::nullopt;
  return std::make_pair(std::uint64_t{c.header.size()}, size - c.header.size());
}

}  // namespace

std::optional<FetchStream> plan_fetch_stream(const FetchMessage& m,
                                             const std::vector<FetchItem>& items,
                                             std::uint64_t stored_size, const FetchOptions& o) {
  if (stored_size != m.info->size) return std::nullopt;  // bare LFs to convert
  const FetchItem* stream = nullptr;
  std::pair<std::uint64_t, std::uint64_t> range;
  for (const FetchItem& it : items) {
    if (auto r = item_needs_message(it) ? stored_range(it, *m.cached, stored_size) : std::nullopt) {
      if (stream) return std::nullopt;
      stream = &it;
      range = *r;
    } else if (item_needs_message(it)) {
      return std::nullopt;
    }
  }
  if (!stream) return std::nullopt;
  auto [offset, length] = partial_range(range.second, *stream);
  FetchMessage no_load = m;
  no_load.load = nullptr;
  Renderer w(no_load, o);
  if (!w.render(items, stream, length, stream->kind == Kind::binary)) return std::nullopt;
  FetchStream s;
  s.before = w.out().substr(0, w.split());
  s.after = w.out().substr(w.split());
  s.offset = length == 0 ? 0 : range.first + offset;
  s.length = length;
  return s;
}

}  // namespace estafeta::imap
