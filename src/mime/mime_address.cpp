// mime_address: RFC 5322 §3.4 / §4.4 address lists (see mime_address.hpp).
// Every branch advances the cursor or stops, so the parser is linear in its input.
#include "mime/mime_address.hpp"

#include "mime/mime_encoded_word.hpp"
#include "mime/mime_lexer.hpp"

namespace estafeta::mime {
namespace {

using lex::Cursor;

// local-part = dot-atom / quoted-string / obs-local-part (words separated by "." with CFWS).
void take_local_part(Cursor& c, Address& a) {
  while (true) {
    lex::skip_cfws(c);
    if (c.at('"')) {
      a.quoted_local = true;
      lex::take_quoted_string(c, a.local);
    } else {
      std::string_view w = lex::take_dot_atom(c);
      if (w.empty()) return;
      a.local.append(w);
      if (w.back() == '.') continue;
    }
    Cursor save = c;
    lex::skip_cfws(c);
    if (c.at('.')) {
      a.local.push_back('.');
      ++c.p;
      continue;
    }
    c = save;
    return;
  }
}

// domain = dot-atom / domain-literal / obs-domain.
void take_domain(Cursor& c, std::string& out) {
  lex::skip_cfws(c);
  if (c.at('[')) {
    const char* b = c.p;
    while (!c.done() && *c.p != ']') ++c.p;
    if (!c.done()) ++c.p;
    for (const char* q = b; q < c.p; ++q)
      if (!lex::is_space(*q)) out.push_back(*q);
    return;
  }
  const std::size_t start = out.size();
  while (true) {
    std::string_view w = lex::take_dot_atom(c);
    if (w.empty()) break;
    out.append(w);
    Cursor save = c;
    lex::skip_cfws(c);
    if (c.at('.')) {
      out.push_back('.');
      ++c.p;
      lex::skip_cfws(c);
      continue;
    }
    c = save;
    break;
  }
  // A domain with an empty label ("example.", "a..b") is no domain (Dovecot: MISSING_DOMAIN).
  std::string_view d(out.data() + start, out.size() - start);
  if (!d.empty() && (d.front() == '.' || d.back() == '.' || d.find("..") != std::string_view::npos))
    out.resize(start);
}

// Skips to the next ',' (or ';' inside a group) outside quotes, comments and angle brackets.
void skip_garbage(Cursor& c, bool in_group) {
  while (!c.done()) {
    char ch = *c.p;
    if (ch == ',' || (in_group && ch == ';')) return;
    if (ch == '"') {
      std::string skip;
      lex::take_quoted_string(c, skip);
    } else if (ch == '(') {
      lex::skip_cfws(c);
    } else {
      ++c.p;
    }
  }
}

// angle-addr after '<': [obs-route] addr-spec '>'.
void take_angle_addr(Cursor& c, Address& a) {
  ++c.p;  // '<'
  lex::skip_cfws(c);
  if (c.at('@')) {  // RFC 5322 §4.4 obs-route: "@a,@b:"
    while (c.at('@') || c.at(',')) {
      if (c.at(',')) {
        ++c.p;
        lex::skip_cfws(c);
        continue;
      }
      ++c.p;
      if (!a.route.empty()) a.route.push_back(',');
      a.route.push_back('@');
      take_domain(c, a.route);
      lex::skip_cfws(c);
    }
    if (c.at(':')) {
      ++c.p;
    } else {
      a.invalid = true;
      a.broken_route = true;
    }
    lex::skip_cfws(c);
  }
  if (!c.at('>')) {
    take_local_part(c, a);
    lex::skip_cfws(c);
    if (c.at('@')) {
      ++c.p;
      take_domain(c, a.domain);
      lex::skip_cfws(c);
    }
  }
  if (c.at('>')) {
    ++c.p;
  } else {
    a.invalid = true;
    a.broken_angle = true;
    while (!c.done() && *c.p != '>' && *c.p != ',') ++c.p;  // skip to the end of the addr
    if (c.at('>')) ++c.p;
  }
}

// mailbox = name-addr / addr-spec, with the degradations described in the header.
Address take_mailbox(Cursor& c, bool in_group) {
  Address a;
  Cursor start = c;
  std::string phrase;
  std::size_t words = lex::take_phrase(c, phrase);
  lex::skip_cfws(c);
  if (c.at('<')) {  // name-addr
    a.angle = true;
    a.name = std::move(phrase);
    a.has_name = words > 0;
    take_angle_addr(c, a);
  } else {
    c = start;
    std::string comment;
    lex::skip_cfws(c, &comment);
    take_local_part(c, a);
    Cursor after_local = c;
    lex::skip_cfws(c, &comment);
    if (c.at('@')) {
      ++c.p;
      take_domain(c, a.domain);
      comment.clear();
      lex::skip_cfws(c, &comment);
      if (!comment.empty()) {  // "user@example.org (User Name)"
        a.name = comment;
        a.has_name = true;
      }
    } else {
      c = after_local;
      // No '@': a lone word is a mailbox without domain; more words are a display name.
      std::string more;
      Cursor probe = c;
      if (lex::take_phrase(probe, more) > 0 || words > 1) {
        a.name = phrase;
        a.has_name = !phrase.empty();
        a.local.clear();
        a.quoted_local = false;
        c = probe;
      }
      a.invalid = true;
    }
  }
  lex::skip_cfws(c);
  if (!c.done() && !c.at(',') && !(in_group && c.at(';'))) {
    a.invalid = true;
    skip_garbage(c, in_group);
  }
  if (a.local.empty() || a.domain.empty()) a.invalid = true;
  return a;
}

bool is_empty_mailbox(const Address& a) {
  return a.local.empty() && a.domain.empty() && a.name.empty() && a.route.empty() && !a.angle;
}

}  // namespace

std::string Address::addr_spec() const {
  bool plain = !local.empty();
  for (std::size_t i = 0; i < local.size() && plain; ++i) {
    char ch = local[i];
    if (ch == '.') {
      plain = i > 0 && i + 1 < local.size() && local[i - 1] != '.';
    } else {
      plain = lex::is_atext(ch);
    }
  }
  std::string out;
  if (plain || local.empty()) {
    out = local;
  } else {
    out.push_back('"');
    for (char ch : local) {
      if (ch == '"' || ch == '\\') out.push_back('\\');
      out.push_back(ch);
    }
    out.push_back('"');
  }
  if (!domain.empty()) {
    out.push_back('@');
    out += domain;
  }
  return out;
}

AddressList parse_address_list(std::string_view raw_value, std::size_t max) {
  AddressList out;
  Cursor c(raw_value);
  bool in_group = false;
  while (out.size() < max) {
    lex::skip_cfws(c);
    if (c.done()) break;
    if (c.at(',')) {  // obs-addr-list: empty elements
      ++c.p;
      continue;
    }
    if (in_group && c.at(';')) {
      ++c.p;
      Address end;
      end.kind = Address::Kind::group_end;
      out.push_back(std::move(end));
      in_group = false;
      continue;
    }
    if (!in_group) {  // group = display-name ":" [group-list] ";"
      Cursor start = c;
      std::string phrase;
      if (lex::take_phrase(c, phrase) > 0) {
        lex::skip_cfws(c);
        if (c.at(':')) {
          ++c.p;
          Address g;
          g.kind = Address::Kind::group_start;
          g.name = std::move(phrase);
          g.has_name = true;
          out.push_back(std::move(g));
          in_group = true;
          continue;
        }
      }
      c = start;
    }
    const char* before = c.p;
    Address a = take_mailbox(c, in_group);
    if (!is_empty_mailbox(a)) out.push_back(std::move(a));
    if (c.p == before) ++c.p;  // a special that starts nothing (">", "@"...): skip it
  }
  if (in_group && out.size() < max) {  // unterminated group: close it
    Address end;
    end.kind = Address::Kind::group_end;
    end.invalid = true;
    out.push_back(std::move(end));
  }
  return out;
}

std::string decoded_name(const Address& a) {
  return decode_encoded_words(a.name);
}

AddressList mailboxes(const AddressList& list) {
  AddressList out;
  for (const Address& a : list)
    if (a.kind == Address::Kind::mailbox) out.push_back(a);
  return out;
}

}  // namespace estafeta::mime
