// imap_parser: see imap_parser.hpp. A recursive-descent parser over imap::Lexer, one function
// per command; the first failure's text becomes the BAD response ("Invalid arguments to X"
// when nothing more precise was said). Search keys are parsed by imap_search_parser.
#include "imap/proto/imap_parser.hpp"

#include "imap/proto/imap_date.hpp"
#include "imap/proto/imap_lexer.hpp"
#include "imap/proto/imap_parser_metadata.hpp"
#include "imap/proto/imap_parser_notify.hpp"
#include "imap/proto/imap_parser_sort.hpp"
#include "imap/proto/imap_search_parser.hpp"
#include "imap/proto/imap_sequence.hpp"

namespace estafeta::imap {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

std::string upper_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper(c);
  return out;
}

bool is_base64(std::string_view s) {
  if (s == "=") return true;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '/' || c == '='))
      return false;
  }
  return true;
}

// A header field name written back into section text: as an atom when it is one, else quoted.
void append_field(std::string& out, const std::string& name) {
  bool atom = !name.empty();
  for (char c : name) atom = atom && Lexer::is_atom_char(c);
  if (atom) {
    out += name;
    return;
  }
  out += '"';
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

class CommandParser {
 public:
  CommandParser(std::string_view wire, const Limits& limits) : lx_(wire), limits_(limits) {}

  ParseResult run() {
    ParseResult r;
    if (lx_.at_end()) return error(r, "*", "Empty command line");
    auto tag = lx_.tag();
    if (!tag || (!lx_.at_end() && lx_.peek() != ' ')) return error(r, "*", "Invalid tag");
    std::string tag_text(*tag);
    if (!lx_.sp()) return error(r, tag_text, "Missing command");
    auto word = lx_.atom();
    if (!word) return error(r, tag_text, "Missing command");
    name_ = upper_copy(*word);
    Command cmd;
    cmd.tag = tag_text;
    bool ok = false;
    if (name_ == "UID") {
      if (!lx_.sp() || !(word = lx_.atom())) return error(r, tag_text, "Missing UID command");
      std::string sub = upper_copy(*word);
      name_ += " " + sub;
      if (sub == "FETCH") {
        ok = fetch(cmd, true);
      } else if (sub == "STORE") {
        ok = store(cmd, true);
      } else if (sub == "SEARCH") {
        ok = search(cmd, true);
      } else if (sub == "SORT") {
        ok = sort(cmd, true);
      } else if (sub == "THREAD") {
        ok = thread(cmd, true);
      } else if (sub == "COPY" || sub == "MOVE") {
        ok = copy(cmd, true, sub == "MOVE");
      } else if (sub == "EXPUNGE") {
        ok = uid_expunge(cmd);
      } else if (sub == "REPLACE") {
        ok = replace(cmd, true);
      } else {
        return error(r, tag_text, "Unknown command");
      }
    } else if (!dispatch(cmd, ok)) {
      return error(r, tag_text, "Unknown command");
    }
    if (ok && !lx_.at_end()) ok = fail("Unexpected arguments");
    if (!ok) {
      return error(r, tag_text, err_.empty() ? "Invalid arguments to " + name_ : err_);
    }
    cmd.name = name_;
    r.command = std::move(cmd);
    return r;
  }

 private:
  ParseResult& error(ParseResult& r, std::string tag, std::string text) {
    r.error.tag = std::move(tag);
    r.error.kind = CommandError::Kind::bad;
    r.error.text = std::move(text);
    r.error.name = name_;
    return r;
  }

  bool fail(const char* text) {
    if (err_.empty()) err_ = text;
    return false;
  }

  // Commands without arguments.
  template <class T>
  bool bare(Command& cmd) {
    cmd.body = T{};
    return lx_.at_end() || fail("Unexpected arguments");
  }

  // Returns false when the name is unknown; `ok` says whether its arguments parsed.
  bool dispatch(Command& cmd, bool& ok) {
    const std::string& n = name_;
    if (n == "CAPABILITY") {
      ok = bare<Capability>(cmd);
    } else if (n == "NOOP") {
      ok = bare<Noop>(cmd);
    } else if (n == "LOGOUT") {
      ok = bare<Logout>(cmd);
    } else if (n == "STARTTLS") {
      ok = bare<StartTls>(cmd);
    } else if (n == "NAMESPACE") {
      ok = bare<Namespace>(cmd);
    } else if (n == "IDLE") {
      ok = bare<Idle>(cmd);
    } else if (n == "CHECK") {
      ok = bare<Check>(cmd);
    } else if (n == "CLOSE") {
      ok = bare<Close>(cmd);
    } else if (n == "UNSELECT") {
      ok = bare<Unselect>(cmd);
    } else if (n == "EXPUNGE") {
      ok = bare<Expunge>(cmd);
    } else if (n == "AUTHENTICATE") {
      ok = authenticate(cmd);
    } else if (n == "LOGIN") {
      ok = login(cmd);
    } else if (n == "ENABLE") {
      ok = enable(cmd);
    } else if (n == "ID") {
      ok = id(cmd);
    } else if (n == "SELECT" || n == "EXAMINE") {
      ok = select(cmd, n == "EXAMINE");
    } else if (n == "CREATE") {
      ok = create(cmd);
    } else if (n == "DELETE") {
      Delete d;
      ok = sp_mailbox(d.mailbox);
      cmd.body = std::move(d);
    } else if (n == "RENAME") {
      Rename rn;
      ok = sp_mailbox(rn.from) && sp_mailbox(rn.to);
      cmd.body = std::move(rn);
    } else if (n == "SUBSCRIBE" || n == "UNSUBSCRIBE") {
      Subscribe s;
      s.on = n == "SUBSCRIBE";
      ok = sp_mailbox(s.mailbox);
      cmd.body = std::move(s);
    } else if (n == "LIST") {
      ok = list(cmd);
    } else if (n == "LSUB") {
      ok = lsub(cmd);
    } else if (n == "STATUS") {
      ok = status(cmd);
    } else if (n == "APPEND") {
      ok = append(cmd);
    } else if (n == "SEARCH") {
      ok = search(cmd, false);
    } else if (n == "SORT") {
      ok = sort(cmd, false);
    } else if (n == "THREAD") {
      ok = thread(cmd, false);
    } else if (n == "FETCH") {
      ok = fetch(cmd, false);
    } else if (n == "STORE") {
      ok = store(cmd, false);
    } else if (n == "COPY" || n == "MOVE") {
      ok = copy(cmd, false, n == "MOVE");
    } else if (n == "CANCELUPDATE") {  // RFC 5267 §4.3.5: 1*(SP quoted)
      CancelUpdate cu;
      ok = true;
      while (ok && lx_.sp()) {
        auto t = lx_.quoted();
        if (!t)
          ok = fail("Invalid tag");
        else if (cu.tags.size() >= limits_.max_list_items)
          ok = fail("Too many tags");
        else
          cu.tags.push_back(std::move(*t));
      }
      if (ok && cu.tags.empty()) ok = fail("Missing tag");
      cmd.body = std::move(cu);
    } else if (n == "NOTIFY") {
      Notify nt;
      const FetchAttParser att = [this](std::vector<FetchItem>& out) { return fetch_att(out); };
      ok = parse_notify_arguments(lx_, limits_, att, nt, &err_);
      cmd.body = std::move(nt);
    } else if (n == "GETQUOTA") {
      GetQuota g;
      ok = sp_astring(g.root, "Missing quota root");
      cmd.body = std::move(g);
    } else if (n == "GETQUOTAROOT") {
      GetQuotaRoot g;
      ok = sp_mailbox(g.mailbox);
      cmd.body = std::move(g);
    } else if (n == "SETQUOTA") {
      ok = setquota(cmd);
    } else if (n == "SETACL" || n == "DELETEACL" || n == "GETACL" || n == "LISTRIGHTS" ||
               n == "MYRIGHTS") {
      ok = acl(cmd);
    } else if (n == "REPLACE") {
      ok = replace(cmd, false);
    } else if (n == "GETMETADATA") {
      GetMetadata g;
      ok = parse_getmetadata(lx_, limits_, g, err_);
      cmd.body = std::move(g);
    } else if (n == "SETMETADATA") {
      SetMetadata s;
      ok = parse_setmetadata(lx_, limits_, s, err_);
      cmd.body = std::move(s);
    } else if (n == "COMPRESS") {
      Compress c;
      auto m = lx_.sp() ? lx_.atom() : std::nullopt;
      if (m) c.mechanism = upper_copy(*m);
      ok = m.has_value() || fail("Missing compression mechanism");
      cmd.body = std::move(c);
    } else {
      return false;
    }
    return true;
  }

  // RFC 4314 §3: SETACL mailbox SP identifier SP mod-rights, DELETEACL mailbox SP identifier,
  // GETACL mailbox, LISTRIGHTS mailbox SP identifier, MYRIGHTS mailbox (all astrings).
  bool acl(Command& cmd) {
    const std::string& n = name_;
    if (n == "SETACL") {
      SetAcl a;
      bool ok = sp_mailbox(a.mailbox) && sp_astring(a.identifier, "Missing identifier") &&
                sp_astring(a.rights, "Missing rights");
      cmd.body = std::move(a);
      return ok;
    }
    if (n == "DELETEACL" || n == "LISTRIGHTS") {
      std::string mailbox, identifier;
      bool ok = sp_mailbox(mailbox) && sp_astring(identifier, "Missing identifier");
      if (n == "DELETEACL")
        cmd.body = DeleteAcl{std::move(mailbox), std::move(identifier)};
      else
        cmd.body = ListRights{std::move(mailbox), std::move(identifier)};
      return ok;
    }
    std::string mailbox;
    bool ok = sp_mailbox(mailbox);
    if (n == "GETACL")
      cmd.body = GetAcl{std::move(mailbox)};
    else
      cmd.body = MyRights{std::move(mailbox)};
    return ok;
  }

  // ---- shared pieces --------------------------------------------------------------------

  // SP mailbox (astring; "INBOX" in any case is left as written for the session).
  bool sp_mailbox(std::string& out) {
    if (!lx_.sp()) return fail("Missing mailbox name");
    auto m = lx_.astring();
    if (!m) return fail("Invalid mailbox name");
    out = std::move(*m);
    return true;
  }

  bool sequence_set(SequenceSet& out) {
    auto t = lx_.sequence_text();
    if (!t) return fail("Invalid sequence set");
    auto set = parse_sequence_set(*t, limits_.max_sequence_ranges);
    if (!set) {
      std::size_t commas = 0;
      for (char c : *t) commas += c == ',' ? 1 : 0;
      return fail(commas >= limits_.max_sequence_ranges ? "Too many ranges in sequence set"
                                                        : "Invalid sequence set");
    }
    out = std::move(*set);
    return true;
  }

  // "(" [flag *(SP flag)] ")"
  bool flag_list(FlagList& out) {
    if (!lx_.consume('(')) return fail("Invalid flag list");
    while (!lx_.consume(')')) {
      if (!out.empty() && !lx_.sp()) return fail("Invalid flag list");
      auto f = lx_.flag();
      if (!f) return fail("Invalid flag");
      if (out.size() >= limits_.max_list_items) return fail("Too many flags");
      out.emplace_back(*f);
    }
    return true;
  }

  // "(" status-att *(SP status-att) ")" (RFC 9051 §6.3.11, RFC 8438 SIZE, RFC 7162
  // HIGHESTMODSEQ, RFC 7889 APPENDLIMIT, RFC 8474 MAILBOXID, RFC 3501 RECENT).
  bool status_items(StatusItems& s) {
    if (!lx_.consume('(')) return fail("Invalid STATUS items");
    std::size_t n = 0;
    do {
      if (++n > limits_.max_list_items) return fail("Too many STATUS items");
      if (lx_.keyword("MESSAGES")) {
        s.messages = true;
      } else if (lx_.keyword("UIDNEXT")) {
        s.uid_next = true;
      } else if (lx_.keyword("UIDVALIDITY")) {
        s.uid_validity = true;
      } else if (lx_.keyword("UNSEEN")) {
        s.unseen = true;
      } else if (lx_.keyword("DELETED")) {
        s.deleted = true;
      } else if (lx_.keyword("SIZE")) {
        s.size = true;
      } else if (lx_.keyword("HIGHESTMODSEQ")) {
        s.highest_modseq = true;
      } else if (lx_.keyword("RECENT")) {
        s.recent = true;
      } else if (lx_.keyword("APPENDLIMIT")) {
        s.append_limit = true;
      } else if (lx_.keyword("MAILBOXID")) {
        s.mailbox_id = true;
      } else if (lx_.keyword("DELETED-STORAGE")) {
        s.deleted_storage = true;
      } else {
        return fail("Unknown STATUS item");
      }
    } while (lx_.sp());
    return lx_.consume(')') || fail("Invalid STATUS items");
  }

  // mod-sequence-value / mod-sequence-valzer (RFC 7162 §7: up to 2^63-1).
  bool modseq(std::uint64_t& out) {
    auto n = lx_.number64(false);
    if (!n) return fail("Invalid mod-sequence value");
    out = *n;
    return true;
  }

  // SP astring, with `missing` as the error.
  bool sp_astring(std::string& out, const char* missing) {
    if (!lx_.sp()) return fail(missing);
    auto s = lx_.astring();
    if (!s) return fail(missing);
    out = std::move(*s);
    return true;
  }

  // ---- commands ---------------------------------------------------------------------------

  // SETQUOTA SP quota-root-name SP setquota-list (RFC 9208 §4.1.3, §9):
  // setquota-list = "(" [setquota-resource *(SP setquota-resource)] ")"
  // setquota-resource = resource-name SP resource-limit; resource-limit = number64
  bool setquota(Command& cmd) {
    SetQuota q;
    if (!sp_astring(q.root, "Missing quota root")) return false;
    if (!lx_.sp() || !lx_.consume('(')) return fail("Invalid quota resource list");
    while (!lx_.consume(')')) {
      if (!q.limits.empty() && !lx_.sp()) return fail("Invalid quota resource list");
      auto name = lx_.atom();
      if (!name) return fail("Invalid quota resource name");
      if (!lx_.sp()) return fail("Missing quota resource limit");
      auto limit = lx_.number64(false);
      if (!limit) return fail("Invalid quota resource limit");
      if (q.limits.size() >= limits_.max_list_items) return fail("Too many quota resources");
      q.limits.emplace_back(upper_copy(*name), *limit);
    }
    cmd.body = std::move(q);
    return true;
  }

  // AUTHENTICATE SP auth-type [SP (base64 / "=")] (RFC 9051 §6.2.2, RFC 4959 SASL-IR)
  bool authenticate(Command& cmd) {
    Authenticate a;
    auto m = lx_.sp() ? lx_.atom() : std::nullopt;
    if (!m) return fail("Missing authentication mechanism");
    a.mechanism = upper_copy(*m);
    if (lx_.sp()) {
      auto ir = lx_.atom();
      if (!ir || !is_base64(*ir)) return fail("Invalid initial response");
      a.initial_response = std::string(*ir);
    }
    cmd.body = std::move(a);
    return true;
  }

  // LOGIN SP userid SP password
  bool login(Command& cmd) {
    Login l;
    std::optional<std::string> u, p;
    if (!lx_.sp() || !(u = lx_.astring())) return fail("Missing user name");
    if (!lx_.sp() || !(p = lx_.astring())) return fail("Missing password");
    l.user = std::move(*u);
    l.password = std::move(*p);
    cmd.body = std::move(l);
    return true;
  }

  // ENABLE 1*(SP capability) (RFC 5161)
  bool enable(Command& cmd) {
    Enable e;
    while (lx_.sp()) {
      auto a = lx_.atom();
      if (!a) return fail("Invalid capability name");
      if (e.capabilities.size() >= limits_.max_list_items) return fail("Too many capabilities");
      e.capabilities.push_back(upper_copy(*a));
    }
    if (e.capabilities.empty()) return fail("Missing capability name");
    cmd.body = std::move(e);
    return true;
  }

  // ID SP ("(" [string SP nstring *(SP string SP nstring)] ")" / NIL) (RFC 2971 §3.1)
  bool id(Command& cmd) {
    Id i;
    if (!lx_.sp()) return fail("Missing ID parameters");
    if (!lx_.keyword("NIL")) {
      if (!lx_.consume('(')) return fail("Invalid ID parameters");
      while (!lx_.consume(')')) {
        if (!i.fields.empty() && !lx_.sp()) return fail("Invalid ID parameters");
        auto k = lx_.string();
        if (!k || !lx_.sp()) return fail("Invalid ID parameters");
        auto v = lx_.nstring();
        if (!v) return fail("Invalid ID parameters");
        if (i.fields.size() >= limits_.max_list_items) return fail("Too many ID parameters");
        i.fields.emplace_back(std::move(*k), std::move(*v));
      }
    }
    cmd.body = std::move(i);
    return true;
  }

  // SELECT/EXAMINE SP mailbox [SP "(" select-param *(SP select-param) ")"]
  // select-param: CONDSTORE (RFC 7162 §3.1.8) / QRESYNC SP "(" uidvalidity SP mod-sequence-value
  // [SP known-uids] [SP seq-match-data] ")" (RFC 7162 §3.2.5).
  bool select(Command& cmd, bool read_only) {
    Select s;
    s.read_only = read_only;
    if (!sp_mailbox(s.mailbox)) return false;
    if (lx_.sp()) {
      if (!lx_.consume('(')) return fail("Invalid SELECT parameters");
      do {
        if (lx_.keyword("CONDSTORE")) {
          s.condstore = true;
        } else if (lx_.keyword("QRESYNC")) {
          Select::Qresync q;
          if (!lx_.sp() || !lx_.consume('(')) return fail("Invalid QRESYNC parameters");
          auto uv = lx_.number(true);
          if (!uv || !lx_.sp() || !modseq(q.modseq)) return fail("Invalid QRESYNC parameters");
          q.uid_validity = *uv;
          bool more = lx_.sp();
          if (more && lx_.peek() != '(') {  // known-uids
            SequenceSet known;
            if (!sequence_set(known)) return false;
            q.known_uids = std::move(known);
            more = lx_.sp();
          }
          if (more) {  // seq-match-data = "(" known-sequence-set SP known-uid-set ")"
            SequenceSet seqs, uids;
            if (!lx_.consume('(') || !sequence_set(seqs) || !lx_.sp() || !sequence_set(uids) ||
                !lx_.consume(')'))
              return fail("Invalid QRESYNC parameters");
            q.seq_match = std::make_pair(std::move(seqs), std::move(uids));
          }
          if (!lx_.consume(')')) return fail("Invalid QRESYNC parameters");
          s.qresync = std::move(q);
        } else {
          return fail("Unknown SELECT parameter");
        }
      } while (lx_.sp());
      if (!lx_.consume(')')) return fail("Invalid SELECT parameters");
    }
    cmd.body = std::move(s);
    return true;
  }

  // CREATE SP mailbox [SP "(" "USE" SP "(" [use-attr *(SP use-attr)] ")" ")"] (RFC 6154 §5)
  bool create(Command& cmd) {
    Create c;
    if (!sp_mailbox(c.mailbox)) return false;
    if (lx_.sp()) {
      if (!lx_.consume('(')) return fail("Invalid CREATE parameters");
      do {
        if (!lx_.keyword("USE")) return fail("Unknown CREATE parameter");
        FlagList use;
        if (!lx_.sp() || !flag_list(use)) return fail("Invalid USE attributes");
        for (auto& u : use) {
          if (u.empty() || u[0] != '\\') return fail("Invalid USE attributes");
          if (c.special_use.size() >= limits_.max_list_items) return fail("Too many attributes");
          c.special_use.push_back(std::move(u));
        }
      } while (lx_.sp());
      if (!lx_.consume(')')) return fail("Invalid CREATE parameters");
    }
    cmd.body = std::move(c);
    return true;
  }

  // LIST [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
  // (RFC 9051 §6.3.9, RFC 5258 §3, RFC 6154 §5.1, RFC 5819 LIST-STATUS)
  bool list(Command& cmd) {
    List l;
    if (!lx_.sp()) return fail("Missing LIST arguments");
    if (lx_.consume('(')) {
      l.extended = true;
      bool first = true;
      while (!lx_.consume(')')) {
        if (!first && !lx_.sp()) return fail("Invalid LIST selection options");
        first = false;
        if (lx_.keyword("SUBSCRIBED")) {
          l.select_subscribed = true;
        } else if (lx_.keyword("REMOTE")) {
          l.select_remote = true;
        } else if (lx_.keyword("RECURSIVEMATCH")) {
          l.select_recursive_match = true;
        } else if (lx_.keyword("SPECIAL-USE")) {
          l.select_special_use = true;
        } else {
          return fail("Unknown LIST selection option");
        }
      }
      // RFC 5258 §3.1: RECURSIVEMATCH needs another option that is not REMOTE.
      if (l.select_recursive_match && !l.select_subscribed && !l.select_special_use)
        return fail("RECURSIVEMATCH needs another selection option");
      if (!lx_.sp()) return fail("Missing LIST arguments");
    }
    auto ref = lx_.astring();
    if (!ref || !lx_.sp()) return fail("Invalid LIST reference");
    l.reference = std::move(*ref);
    if (lx_.consume('(')) {  // patterns (RFC 5258 §3)
      l.extended = true;
      do {
        auto p = lx_.list_mailbox();
        if (!p) return fail("Invalid LIST pattern");
        if (l.patterns.size() >= limits_.max_list_items) return fail("Too many LIST patterns");
        l.patterns.push_back(std::move(*p));
      } while (lx_.sp());
      if (!lx_.consume(')')) return fail("Invalid LIST pattern");
    } else {
      auto p = lx_.list_mailbox();
      if (!p) return fail("Invalid LIST pattern");
      l.patterns.push_back(std::move(*p));
    }
    if (lx_.sp()) {
      if (!lx_.keyword("RETURN") || !lx_.sp() || !lx_.consume('('))
        return fail("Invalid LIST return options");
      l.extended = true;
      bool first = true;
      while (!lx_.consume(')')) {
        if (!first && !lx_.sp()) return fail("Invalid LIST return options");
        first = false;
        if (lx_.keyword("SUBSCRIBED")) {
          l.return_subscribed = true;
        } else if (lx_.keyword("CHILDREN")) {
          l.return_children = true;
        } else if (lx_.keyword("SPECIAL-USE")) {
          l.return_special_use = true;
        } else if (lx_.keyword("MYRIGHTS")) {
          l.return_myrights = true;
        } else if (lx_.keyword("STATUS")) {
          StatusItems items;
          if (!lx_.sp() || !status_items(items)) return fail("Invalid LIST STATUS items");
          l.return_status = items;
        } else {
          return fail("Unknown LIST return option");
        }
      }
    }
    cmd.body = std::move(l);
    return true;
  }

  // LSUB SP mailbox SP list-mailbox (RFC 3501 §6.3.9)
  bool lsub(Command& cmd) {
    List l;
    l.lsub = true;
    if (!lx_.sp()) return fail("Missing LSUB arguments");
    auto ref = lx_.astring();
    if (!ref || !lx_.sp()) return fail("Invalid LSUB reference");
    auto p = lx_.list_mailbox();
    if (!p) return fail("Invalid LSUB pattern");
    l.reference = std::move(*ref);
    l.patterns.push_back(std::move(*p));
    cmd.body = std::move(l);
    return true;
  }

  // STATUS SP mailbox SP "(" status-att *(SP status-att) ")"
  bool status(Command& cmd) {
    Status s;
    if (!sp_mailbox(s.mailbox)) return false;
    if (!lx_.sp()) return fail("Missing STATUS items");
    if (!status_items(s.items)) return false;
    cmd.body = std::move(s);
    return true;
  }

  // APPEND SP mailbox 1*append-message (RFC 9051 §6.3.12, RFC 3502 MULTIAPPEND):
  // append-message = [SP flag-list] [SP date-time] SP (literal / literal8 /
  //                  "UTF8" SP "(" literal8 ")")   (RFC 3516 §4.4, RFC 6855 §4)
  bool append(Command& cmd) {
    Append a;
    if (!sp_mailbox(a.mailbox)) return false;
    do {
      if (!lx_.sp()) return fail("Missing message");
      AppendMessage m;
      if (lx_.peek() == '(') {
        if (!flag_list(m.flags)) return false;
        if (!lx_.sp()) return fail("Missing message");
      }
      if (lx_.peek() == '"') {
        auto dt = lx_.quoted();
        if (!dt || !parse_date_time(*dt)) return fail("Invalid date-time");
        m.internal_date = std::move(*dt);
        if (!lx_.sp()) return fail("Missing message");
      }
      bool literal8 = false;
      std::optional<std::string> data;
      if (lx_.keyword("UTF8")) {
        m.utf8 = true;
        if (!lx_.sp() || !lx_.consume('(')) return fail("Invalid UTF8 message");
        data = lx_.literal(true, &literal8);
        if (!data || !literal8 || !lx_.consume(')')) return fail("Invalid UTF8 message");
      } else {
        data = lx_.literal(true, &literal8);
        // RFC 9051 §4.3: a literal holds no NUL; RFC 3516's literal8 ("~{N}") may.
        if (!data && lx_.literal_had_nul())
          return fail("NUL octets in the message: send it as a literal8 ~{N} (BINARY)");
        if (!data) return fail("Missing message literal");
        m.binary = literal8;
      }
      m.data = std::move(*data);
      if (a.messages.size() >= limits_.max_append_messages) return fail("Too many messages");
      a.messages.push_back(std::move(m));
    } while (!lx_.at_end());
    cmd.body = std::move(a);
    return true;
  }

  // SORT / THREAD (RFC 5256, RFC 5267): imap_parser_sort.hpp.
  bool sort(Command& cmd, bool uid) {
    Sort s;
    s.uid = uid;
    std::string e;
    if (!parse_sort_arguments(lx_, limits_, s, &e)) return fail(e.c_str());
    cmd.body = std::move(s);
    return true;
  }
  bool thread(Command& cmd, bool uid) {
    Thread t;
    t.uid = uid;
    std::string e;
    if (!parse_thread_arguments(lx_, limits_, t, &e)) return fail(e.c_str());
    cmd.body = std::move(t);
    return true;
  }

  // RFC 8508 §6: "REPLACE" SP seq-number SP mailbox append-message, and "UID REPLACE" SP
  // uniqueid SP mailbox append-message: one message, with APPEND's flags, date and literal.
  bool replace(Command& cmd, bool uid) {
    Replace r;
    r.uid = uid;
    if (!lx_.sp()) return fail("Missing message number");
    if (!uid && lx_.consume('*')) {
      r.number = 0;
    } else {
      auto n = lx_.number(true);
      if (!n) return fail("Invalid message number");
      r.number = *n;
    }
    Command inner;
    if (!append(inner)) return false;
    Append& a = std::get<Append>(inner.body);
    if (a.messages.size() != 1) return fail("REPLACE takes one message");
    r.mailbox = std::move(a.mailbox);
    r.message = std::move(a.messages.front());
    cmd.body = std::move(r);
    return true;
  }

  // SEARCH [SP search-return-opts] [SP "CHARSET" SP charset] 1*(SP search-key)
  bool search(Command& cmd, bool uid) {
    Search s;
    s.uid = uid;
    if (!lx_.sp()) return fail("Missing search keys");
    std::string e;
    if (!parse_search_arguments(lx_, limits_, s, &e)) {
      return fail(e.empty() ? "Invalid search keys" : e.c_str());
    }
    cmd.body = std::move(s);
    return true;
  }

  // One fetch-att into out (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ, RFC 8514
  // SAVEDATE, RFC 8474 EMAILID/THREADID, RFC 3501 RFC822*).
  bool fetch_att(std::vector<FetchItem>& out) {
    std::string_view rest = lx_.rest();
    std::size_t n = 0;
    while (n < rest.size() &&
           ((rest[n] >= 'A' && rest[n] <= 'Z') || (rest[n] >= 'a' && rest[n] <= 'z') ||
            (rest[n] >= '0' && rest[n] <= '9') || rest[n] == '.'))
      ++n;
    if (n == 0) return fail("Invalid FETCH item");
    std::string name = upper_copy(rest.substr(0, n));
    lx_.set_pos(lx_.pos() + n);
    using FK = FetchItem::Kind;
    struct Simple {
      const char* name;
      FK kind;
    };
    static constexpr Simple kSimple[] = {
        {"FLAGS", FK::flags},
        {"INTERNALDATE", FK::internal_date},
        {"RFC822.SIZE", FK::rfc822_size},
        {"ENVELOPE", FK::envelope},
        {"BODYSTRUCTURE", FK::body_structure},
        {"UID", FK::uid},
        {"MODSEQ", FK::modseq},
        {"SAVEDATE", FK::save_date},
        {"EMAILID", FK::email_id},
        {"THREADID", FK::thread_id},
        {"RFC822", FK::rfc822},
        {"RFC822.HEADER", FK::rfc822_header},
        {"RFC822.TEXT", FK::rfc822_text},
    };
    if (out.size() >= limits_.max_fetch_items) return fail("Too many FETCH items");
    FetchItem item;
    if (name == "PREVIEW") return preview_att(out);
    for (const Simple& s : kSimple) {
      if (name == s.name) {
        item.kind = s.kind;
        out.push_back(std::move(item));
        return true;
      }
    }
    bool body = name == "BODY" || name == "BODY.PEEK";
    bool binary = name == "BINARY" || name == "BINARY.PEEK" || name == "BINARY.SIZE";
    if (!body && !binary) return fail("Unknown FETCH item");
    if (name == "BODY" && lx_.peek() != '[') {
      item.kind = FK::body;
      out.push_back(std::move(item));
      return true;
    }
    item.kind = body ? FK::body_section : name == "BINARY.SIZE" ? FK::binary_size : FK::binary;
    item.peek = name == "BODY.PEEK" || name == "BINARY.PEEK";
    if (!section(item, binary)) return false;
    if (lx_.consume('<')) {  // partial "<" number "." nz-number ">"
      if (item.kind == FK::binary_size) return fail("Invalid partial");
      auto origin = lx_.number();
      if (!origin || !lx_.consume('.')) return fail("Invalid partial");
      auto count = lx_.number(true);
      if (!count || !lx_.consume('>')) return fail("Invalid partial");
      item.partial_origin = *origin;
      item.partial_count = *count;
    }
    out.push_back(std::move(item));
    return true;
  }

  // RFC 8970 §5: "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY".
  // The modifier list is told from FETCH modifiers ("(CHANGEDSINCE") by its first word.
  bool preview_att(std::vector<FetchItem>& out) {
    FetchItem item;
    item.kind = FetchItem::Kind::preview;
    std::string_view rest = lx_.rest();
    if (rest.size() >= 6 && rest[0] == ' ' && rest[1] == '(' &&
        upper_copy(rest.substr(2, 4)) == "LAZY") {
      lx_.set_pos(lx_.pos() + 2);
      do {
        if (!lx_.keyword("LAZY")) return fail("Invalid PREVIEW modifier");
        item.peek = true;
      } while (lx_.sp());
      if (!lx_.consume(')')) return fail("Invalid PREVIEW modifier");
    }
    out.push_back(std::move(item));
    return true;
  }

  // "[" section-spec "]" — or section-binary "[" [section-part] "]" — through
  // mime::parse_section; header field names may be any astring (quoted, literal).
  bool section(FetchItem& item, bool binary) {
    if (!lx_.consume('[')) return fail("Invalid section");
    std::string_view rest = lx_.rest();
    std::size_t n = 0;
    while (n < rest.size() && rest[n] != ']' && rest[n] != ' ') ++n;
    std::string text = upper_copy(rest.substr(0, n));
    lx_.set_pos(lx_.pos() + n);
    if (lx_.sp()) {  // HEADER.FIELDS[.NOT] SP header-list
      if (binary || !lx_.consume('(')) return fail("Invalid section");
      text += " (";
      std::size_t count = 0;
      do {
        auto f = lx_.astring();
        if (!f || f->empty()) return fail("Invalid section");
        if (++count > mime::kMaxSectionFields) return fail("Invalid section");
        if (count > 1) text += ' ';
        append_field(text, *f);
      } while (lx_.sp());
      if (!lx_.consume(')')) return fail("Invalid section");
      text += ')';
    }
    if (!lx_.consume(']')) return fail("Invalid section");
    auto spec = mime::parse_section(text);
    if (!spec) return fail("Invalid section");
    if (binary && spec->text != mime::SectionSpec::Text::none) return fail("Invalid section");
    item.section = std::move(*spec);
    item.section_text = std::move(text);
    return true;
  }

  // FETCH SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP
  // fetch-att) ")") [SP "(" fetch-modifier *(SP fetch-modifier) ")"] (RFC 4466 §2.4,
  // RFC 7162 §3.1.4 CHANGEDSINCE, §3.2.6 VANISHED).
  bool fetch(Command& cmd, bool uid) {
    Fetch f;
    f.uid = uid;
    if (!lx_.sp() || !sequence_set(f.set)) return fail("Invalid sequence set");
    if (!lx_.sp()) return fail("Missing FETCH items");
    using FK = FetchItem::Kind;
    auto add = [&](std::initializer_list<FK> kinds) {
      for (FK k : kinds) {
        FetchItem i;
        i.kind = k;
        f.items.push_back(std::move(i));
      }
    };
    if (lx_.keyword("ALL")) {
      add({FK::flags, FK::internal_date, FK::rfc822_size, FK::envelope});
    } else if (lx_.keyword("FAST")) {
      add({FK::flags, FK::internal_date, FK::rfc822_size});
    } else if (lx_.keyword("FULL")) {
      add({FK::flags, FK::internal_date, FK::rfc822_size, FK::envelope, FK::body});
    } else if (lx_.consume('(')) {
      do {
        if (!fetch_att(f.items)) return false;
      } while (lx_.sp());
      if (!lx_.consume(')')) return fail("Invalid FETCH items");
    } else if (!fetch_att(f.items)) {
      return false;
    }
    if (lx_.sp()) {
      if (!lx_.consume('(')) return fail("Invalid FETCH modifiers");
      do {
        if (lx_.keyword("CHANGEDSINCE")) {
          std::uint64_t m = 0;
          if (!lx_.sp() || !modseq(m)) return fail("Invalid CHANGEDSINCE");
          f.changed_since = m;
        } else if (lx_.keyword("VANISHED")) {
          f.vanished = true;
        } else {
          return fail("Unknown FETCH modifier");
        }
      } while (lx_.sp());
      if (!lx_.consume(')')) return fail("Invalid FETCH modifiers");
      // RFC 7162 §3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
      if (f.vanished && (!uid || !f.changed_since))
        return fail("VANISHED needs UID FETCH and CHANGEDSINCE");
    }
    cmd.body = std::move(f);
    return true;
  }

  // STORE SP sequence-set [SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"] SP
  // ["+" / "-"] "FLAGS" [".SILENT"] SP (flag-list / (flag *(SP flag)))  (RFC 7162 §3.1.3)
  bool store(Command& cmd, bool uid) {
    Store s;
    s.uid = uid;
    if (!lx_.sp() || !sequence_set(s.set)) return fail("Invalid sequence set");
    if (!lx_.sp()) return fail("Missing STORE arguments");
    if (lx_.consume('(')) {
      std::uint64_t m = 0;
      if (!lx_.keyword("UNCHANGEDSINCE") || !lx_.sp() || !modseq(m) || !lx_.consume(')'))
        return fail("Invalid STORE modifier");
      s.unchanged_since = m;
      if (!lx_.sp()) return fail("Missing STORE arguments");
    }
    if (lx_.consume('+')) {
      s.mode = Store::Mode::add;
    } else if (lx_.consume('-')) {
      s.mode = Store::Mode::remove;
    }
    if (lx_.keyword("FLAGS.SILENT")) {
      s.silent = true;
    } else if (!lx_.keyword("FLAGS")) {
      return fail("Invalid STORE item");
    }
    if (!lx_.sp()) return fail("Missing flags");
    if (lx_.peek() == '(') {
      if (!flag_list(s.flags)) return false;
    } else {
      do {
        auto f = lx_.flag();
        if (!f) return fail("Invalid flag");
        if (s.flags.size() >= limits_.max_list_items) return fail("Too many flags");
        s.flags.emplace_back(*f);
      } while (lx_.sp());
    }
    cmd.body = std::move(s);
    return true;
  }

  // COPY / MOVE SP sequence-set SP mailbox (RFC 9051 §6.4.7, RFC 6851)
  bool copy(Command& cmd, bool uid, bool move) {
    Copy c;
    c.uid = uid;
    c.move = move;
    if (!lx_.sp() || !sequence_set(c.set)) return fail("Invalid sequence set");
    if (!sp_mailbox(c.mailbox)) return false;
    cmd.body = std::move(c);
    return true;
  }

  // UID EXPUNGE SP sequence-set (RFC 4315 §2.1)
  bool uid_expunge(Command& cmd) {
    SequenceSet set;
    if (!lx_.sp() || !sequence_set(set)) return fail("Invalid sequence set");
    Expunge e;
    e.uids = std::move(set);
    cmd.body = std::move(e);
    return true;
  }

  Lexer lx_;
  const Limits& limits_;
  std::string name_;
  std::string err_;
};

}  // namespace

ParseResult parse_command(std::string_view wire, const Limits& limits) {
  return CommandParser(wire, limits).run();
}

}  // namespace estafeta::imap
