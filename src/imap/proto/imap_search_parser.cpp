// imap_search_parser: see imap_search_parser.hpp. One recursive-descent function per level
// (key, parenthesized list), with a depth counter checked before each descent.
#include "imap/proto/imap_search_parser.hpp"

#include <algorithm>

#include "imap/proto/imap_date.hpp"
#include "imap/proto/imap_sequence.hpp"

namespace estafeta::imap {
namespace {

using K = SearchKey::Kind;

class SearchParser {
 public:
  SearchParser(Lexer& lx, const Limits& limits, std::string* error)
      : lx_(lx), limits_(limits), error_(error) {}

  bool arguments(Search& out) {
    // [SP search-return-opts] (RFC 4731 §3, RFC 5182 SAVE)
    if (lx_.keyword("RETURN")) {
      if (!return_options(out.ret)) return false;
      if (!lx_.sp()) return fail("Missing search keys");
    }
    // [SP "CHARSET" SP charset]
    if (lx_.keyword("CHARSET")) {
      if (!lx_.sp()) return fail("Missing charset");
      auto cs = lx_.astring();
      if (!cs) return fail("Invalid charset");
      out.charset = std::move(*cs);
      if (!lx_.sp()) return fail("Missing search keys");
    }
    return keys(out.key);
  }

  // After "RETURN": SP "(" [return options] ")".
  bool return_options(SearchReturn& ret) {
    ret.specified = true;
    if (!lx_.sp() || !lx_.consume('(')) return fail("Invalid RETURN options");
    bool first = true;
    while (!lx_.consume(')')) {
      if (!first && !lx_.sp()) return fail("Invalid RETURN options");
      first = false;
      if (lx_.keyword("MIN")) {
        ret.min = true;
      } else if (lx_.keyword("MAX")) {
        ret.max = true;
      } else if (lx_.keyword("ALL")) {
        ret.all = true;
      } else if (lx_.keyword("COUNT")) {
        ret.count = true;
      } else if (lx_.keyword("SAVE")) {
        ret.save = true;
      } else if (lx_.keyword("UPDATE")) {  // RFC 5267 §4.3
        ret.update = true;
      } else if (lx_.keyword("CONTEXT")) {  // RFC 5267 §4.2
        ret.context = true;
      } else if (lx_.keyword("RELEVANCY")) {  // RFC 6203 §4
        ret.relevancy = true;
      } else if (lx_.keyword("PARTIAL")) {  // RFC 9394 §3: PARTIAL SP partial-range
        if (!lx_.sp() || !partial_range(ret)) return fail("Invalid PARTIAL range");
      } else {
        return fail("Unknown RETURN option");
      }
    }
    return true;
  }

  // partial-range-first = nz-number ":" nz-number / partial-range-last = "-" nz-number ":"
  // "-" nz-number (RFC 9394 §3); values up to 2^31 - 1.
  bool partial_range(SearchReturn& ret) {
    const bool negative = lx_.consume('-');
    auto a = lx_.number(true);
    if (!a || !lx_.consume(':') || lx_.consume('-') != negative) return false;
    auto b = lx_.number(true);
    if (!b || *a > 0x7FFFFFFFu || *b > 0x7FFFFFFFu) return false;
    auto lo = static_cast<std::int32_t>(std::min(*a, *b));
    auto hi = static_cast<std::int32_t>(std::max(*a, *b));
    ret.partial = true;
    ret.partial_first = negative ? -lo : lo;
    ret.partial_last = negative ? -hi : hi;
    return true;
  }

  // search-key *(SP search-key), as one AND.
  bool keys(SearchKey& out) {
    std::vector<SearchKey> keys;
    do {
      SearchKey k;
      if (!key(k, 0)) return false;
      keys.push_back(std::move(k));
    } while (lx_.sp());
    if (keys.size() == 1) {
      out = std::move(keys[0]);
    } else {
      out.kind = K::and_;
      out.children = std::move(keys);
    }
    return true;
  }

 private:
  bool fail(const char* text) {
    if (error_ && error_->empty()) *error_ = text;
    return false;
  }

  bool date(SearchKey& k) {
    if (!lx_.sp()) return fail("Missing date");
    bool q = lx_.consume('"');
    std::string_view rest = lx_.rest();
    std::size_t n = 0;
    while (n < rest.size() && rest[n] != '"' && rest[n] != ' ' && rest[n] != ')') ++n;
    std::string_view text = rest.substr(0, n);
    lx_.set_pos(lx_.pos() + n);
    if (q && !lx_.consume('"')) return fail("Invalid date");
    auto d = parse_date(text);
    if (!d) return fail("Invalid date");
    k.date = *d;
    return true;
  }

  bool text_arg(SearchKey& k) {
    if (!lx_.sp()) return fail("Missing search string");
    auto s = lx_.astring();
    if (!s) return fail("Invalid search string");
    k.text = std::move(*s);
    return true;
  }

  bool number_arg(SearchKey& k, bool nz) {
    if (!lx_.sp()) return fail("Missing number");
    auto n = lx_.number64(nz);
    if (!n) return fail("Invalid number");
    k.number = *n;
    return true;
  }

  bool set_arg(SearchKey& k) {
    auto t = lx_.sequence_text();
    if (!t) return fail("Invalid sequence set");
    auto set = parse_sequence_set(*t, limits_.max_sequence_ranges);
    if (!set) return fail("Invalid sequence set");
    k.set = std::move(*set);
    return true;
  }

  bool key(SearchKey& k, std::size_t depth) {
    if (depth >= limits_.max_search_depth) return fail("Search keys nested too deeply");
    if (++count_ > limits_.max_search_keys) return fail("Too many search keys");
    char c = lx_.peek();
    if (c == '(') {  // "(" search-key *(SP search-key) ")"
      lx_.consume('(');
      k.kind = K::and_;
      do {
        SearchKey child;
        if (!key(child, depth + 1)) return false;
        k.children.push_back(std::move(child));
      } while (lx_.sp());
      if (!lx_.consume(')')) return fail("Missing ) in search keys");
      return true;
    }
    if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
      k.kind = K::sequence;
      return set_arg(k);
    }
    auto word = lx_.atom();
    if (!word) return fail("Invalid search key");
    struct Simple {
      const char* name;
      K kind;
    };
    static constexpr Simple kSimple[] = {
        {"ALL", K::all},
        {"ANSWERED", K::answered},
        {"DELETED", K::deleted},
        {"DRAFT", K::draft},
        {"FLAGGED", K::flagged},
        {"SEEN", K::seen},
        {"UNANSWERED", K::unanswered},
        {"UNDELETED", K::undeleted},
        {"UNDRAFT", K::undraft},
        {"UNFLAGGED", K::unflagged},
        {"UNSEEN", K::unseen},
        {"RECENT", K::recent},
        {"NEW", K::new_},
        {"OLD", K::old},
        {"SAVEDATESUPPORTED", K::save_date_supported},
    };
    static constexpr Simple kText[] = {
        {"BCC", K::bcc},         {"BODY", K::body}, {"CC", K::cc}, {"FROM", K::from},
        {"SUBJECT", K::subject}, {"TEXT", K::text}, {"TO", K::to},
    };
    static constexpr Simple kDate[] = {
        {"BEFORE", K::before},
        {"ON", K::on},
        {"SINCE", K::since},
        {"SENTBEFORE", K::sent_before},
        {"SENTON", K::sent_on},
        {"SENTSINCE", K::sent_since},
        {"SAVEDBEFORE", K::save_date_before},
        {"SAVEDON", K::save_date_on},
        {"SAVEDSINCE", K::save_date_since},
    };
    auto is = [&](const char* name) {
      Lexer t(*word);
      return t.keyword(name) && t.at_end();
    };
    for (const Simple& s : kSimple) {
      if (is(s.name)) {
        k.kind = s.kind;
        return true;
      }
    }
    for (const Simple& s : kText) {
      if (is(s.name)) {
        k.kind = s.kind;
        return text_arg(k);
      }
    }
    for (const Simple& s : kDate) {
      if (is(s.name)) {
        k.kind = s.kind;
        return date(k);
      }
    }
    if (is("KEYWORD") || is("UNKEYWORD")) {  // flag-keyword (an atom)
      k.kind = is("KEYWORD") ? K::keyword : K::unkeyword;
      if (!lx_.sp()) return fail("Missing keyword");
      auto f = lx_.atom();
      if (!f) return fail("Invalid keyword");
      k.text = std::string(*f);
      return true;
    }
    if (is("HEADER")) {  // HEADER SP header-fld-name SP astring
      k.kind = K::header;
      if (!lx_.sp()) return fail("Missing header field name");
      auto f = lx_.astring();
      if (!f || f->empty()) return fail("Invalid header field name");
      k.field = std::move(*f);
      return text_arg(k);
    }
    if (is("LARGER") || is("SMALLER")) {
      k.kind = is("LARGER") ? K::larger : K::smaller;
      return number_arg(k, false);
    }
    if (is("OLDER") || is("YOUNGER")) {  // RFC 5032: nz-number of seconds
      k.kind = is("OLDER") ? K::older : K::younger;
      return number_arg(k, true);
    }
    if (is("UID")) {
      k.kind = K::uid;
      if (!lx_.sp()) return fail("Missing UID set");
      return set_arg(k);
    }
    if (is("EMAILID") || is("THREADID")) {  // RFC 8474 objectid: 1*255(ALPHA / DIGIT / "_" / "-")
      k.kind = is("EMAILID") ? K::email_id : K::thread_id;
      if (!lx_.sp()) return fail("Missing object id");
      auto id = lx_.atom();
      if (!id || id->size() > 255) return fail("Invalid object id");
      for (char ch : *id) {
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
          return fail("Invalid object id");
      }
      k.text = std::string(*id);
      return true;
    }
    if (is("MODSEQ")) {  // RFC 7162 §3.1.5: MODSEQ [SP entry-name SP entry-type-req] SP valzer
      k.kind = K::modseq;
      if (!lx_.sp()) return fail("Missing MODSEQ value");
      if (lx_.peek() == '"') {
        auto entry = lx_.quoted();
        if (!entry || !lx_.sp()) return fail("Invalid MODSEQ entry");
        if (!lx_.keyword("priv") && !lx_.keyword("shared") && !lx_.keyword("all"))
          return fail("Invalid MODSEQ entry type");
        if (!lx_.sp()) return fail("Missing MODSEQ value");
      }
      auto n = lx_.number64(false);
      if (!n) return fail("Invalid MODSEQ value");
      k.number = *n;
      return true;
    }
    if (is("FUZZY")) {  // RFC 6203 §3: FUZZY SP search-key
      k.kind = K::fuzzy;
      if (!lx_.sp()) return fail("Missing key after FUZZY");
      SearchKey child;
      if (!key(child, depth + 1)) return false;
      k.children.push_back(std::move(child));
      return true;
    }
    if (is("NOT")) {
      k.kind = K::not_;
      if (!lx_.sp()) return fail("Missing key after NOT");
      SearchKey child;
      if (!key(child, depth + 1)) return false;
      k.children.push_back(std::move(child));
      return true;
    }
    if (is("OR")) {
      k.kind = K::or_;
      for (int i = 0; i < 2; ++i) {
        if (!lx_.sp()) return fail("Missing key after OR");
        SearchKey child;
        if (!key(child, depth + 1)) return false;
        k.children.push_back(std::move(child));
      }
      return true;
    }
    return fail("Unknown search key");
  }

  Lexer& lx_;
  const Limits& limits_;
  std::string* error_;
  std::size_t count_ = 0;
};

}  // namespace

bool parse_search_arguments(Lexer& lx, const Limits& limits, Search& out, std::string* error) {
  SearchParser p(lx, limits, error);
  return p.arguments(out);
}

bool parse_search_return(Lexer& lx, const Limits& limits, SearchReturn& out, std::string* error) {
  SearchParser p(lx, limits, error);
  return p.return_options(out);
}

bool parse_search_keys(Lexer& lx, const Limits& limits, SearchKey& out, std::string* error) {
  SearchParser p(lx, limits, error);
  return p.keys(out);
}

std::optional<Search> parse_search_arguments(std::string_view text, const Limits& limits,
                                             std::string* error) {
  Lexer lx(text);
  Search s;
  std::string err;
  if (!parse_search_arguments(lx, limits, s, &err)) {
    if (error) *error = err.empty() ? "Invalid search keys" : err;
    return std::nullopt;
  }
  if (!lx.at_end()) {
    if (error) *error = "Invalid search keys";
    return std::nullopt;
  }
  return s;
}

}  // namespace estafeta::imap
