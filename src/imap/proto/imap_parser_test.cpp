// imap_parser_test: every command of imap_command.hpp with its options and extension
// arguments (RFC 9051 §6, RFC 3501 §6 and the extensions listed there), the token forms
// (atoms, quoted strings with \" and \\, literals, literal8, NIL), and the exact BAD response
// of each error case.
#include "imap/proto/imap_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace estafeta::imap {
namespace {

using FK = FetchItem::Kind;

Command ok(std::string_view wire, const Limits& limits = {}) {
  auto r = parse_command(wire, limits);
  EXPECT_TRUE(r) << wire << " -> " << r.error.text;
  return r ? *r.command : Command{};
}

template <class T>
T body(std::string_view wire, const Limits& limits = {}) {
  Command c = ok(wire, limits);
  const T* t = std::get_if<T>(&c.body);
  EXPECT_NE(t, nullptr) << wire;
  return t ? *t : T{};
}

// The response line (without CRLF) for a command that must fail.
std::string bad(std::string_view wire, const Limits& limits = {}) {
  auto r = parse_command(wire, limits);
  EXPECT_FALSE(r) << wire;
  std::string s = r.error.response();
  return s.substr(0, s.size() - 2);
}

// ---- tag, name, tokens ---------------------------------------------------------------------

TEST(ImapParser, TagAndCaseInsensitiveNames) {
  Command c = ok("a001 capability");
  EXPECT_EQ(c.tag, "a001");
  EXPECT_EQ(c.name, "CAPABILITY");
  EXPECT_TRUE(std::holds_alternative<Capability>(c.body));
  c = ok("x.y]z NoOp");
  EXPECT_EQ(c.tag, "x.y]z");
  EXPECT_EQ(ok("t uid fetch 1 flags").name, "UID FETCH");
}

TEST(ImapParser, CommandsWithoutArguments) {
  EXPECT_TRUE(std::holds_alternative<Noop>(ok("a NOOP").body));
  EXPECT_TRUE(std::holds_alternative<Logout>(ok("a LOGOUT").body));
  EXPECT_TRUE(std::holds_alternative<StartTls>(ok("a STARTTLS").body));
  EXPECT_TRUE(std::holds_alternative<Namespace>(ok("a NAMESPACE").body));
  EXPECT_TRUE(std::holds_alternative<Idle>(ok("a IDLE").body));
  EXPECT_TRUE(std::holds_alternative<Check>(ok("a CHECK").body));
  EXPECT_TRUE(std::holds_alternative<Close>(ok("a CLOSE").body));
  EXPECT_TRUE(std::holds_alternative<Unselect>(ok("a UNSELECT").body));
  Expunge e = body<Expunge>("a EXPUNGE");
  EXPECT_FALSE(e.uids);
  EXPECT_EQ(bad("a NOOP x"), "a BAD Unexpected arguments");
  EXPECT_EQ(bad("a LOGOUT "), "a BAD Unexpected arguments");
}

TEST(ImapParser, TagAndNameErrors) {
  EXPECT_EQ(bad(""), "* BAD Empty command line");
  EXPECT_EQ(bad(" NOOP"), "* BAD Invalid tag");
  EXPECT_EQ(bad("+a NOOP"), "* BAD Invalid tag");
  EXPECT_EQ(bad("a(b NOOP"), "* BAD Invalid tag");
  EXPECT_EQ(bad("\"a\" NOOP"), "* BAD Invalid tag");
  EXPECT_EQ(bad("a"), "a BAD Missing command");
  EXPECT_EQ(bad("a "), "a BAD Missing command");
  EXPECT_EQ(bad("a  NOOP"), "a BAD Missing command");
  EXPECT_EQ(bad("a FROB"), "a BAD Unknown command");
  EXPECT_EQ(bad("a UID"), "a BAD Missing UID command");
  EXPECT_EQ(bad("a UID NOOP"), "a BAD Unknown command");
  auto r = parse_command("a UID FROB 1");
  EXPECT_EQ(r.error.name, "UID FROB");
}

TEST(ImapParser, QuotedStringsAndLiterals) {
  Login l = body<Login>("a LOGIN \"fr\\\"ed\" \"p\\\\w d\"");
  EXPECT_EQ(l.user, "fr\"ed");
  EXPECT_EQ(l.password, "p\\w d");
  l = body<Login>("a LOGIN {4}\r\nfr d {3+}\r\n\"x}");
  EXPECT_EQ(l.user, "fr d");
  EXPECT_EQ(l.password, "\"x}");
  l = body<Login>("a LOGIN fred \"\"");
  EXPECT_EQ(l.password, "");
  l = body<Login>("a LOGIN \"J\xc3\xbcrgen\" {0}\r\n");  // UTF-8 in quoted (RFC 9051 §9)
  EXPECT_EQ(l.user, "J\xc3\xbcrgen");
  EXPECT_EQ(l.password, "");
  EXPECT_EQ(bad("a LOGIN \"fred pw"), "a BAD Missing user name");
  EXPECT_EQ(bad("a LOGIN \"a\\b\" pw"), "a BAD Missing user name");  // only \" and \\ escape
  EXPECT_EQ(bad("a LOGIN {10}\r\nshort"), "a BAD Missing user name");
  EXPECT_EQ(bad("a LOGIN fred"), "a BAD Missing password");
  EXPECT_EQ(bad("a LOGIN ~{2}\r\nab pw"), "a BAD Missing password");  // literal8 only APPEND
  EXPECT_EQ(bad(std::string_view("a LOGIN {3}\r\na\0b pw", 19)), "a BAD Missing user name");
  EXPECT_EQ(bad("a LOGIN fred pw extra"), "a BAD Unexpected arguments");
}

// ---- not authenticated ----------------------------------------------------------------------

TEST(ImapParser, Authenticate) {
  Authenticate a = body<Authenticate>("a AUTHENTICATE plain");
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_FALSE(a.initial_response);
  a = body<Authenticate>("a AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0");
  EXPECT_EQ(a.initial_response, "AGZyZWQAc2VjcmV0");
  a = body<Authenticate>("a AUTHENTICATE PLAIN =");
  EXPECT_EQ(a.initial_response, "=");
  EXPECT_EQ(bad("a AUTHENTICATE"), "a BAD Missing authentication mechanism");
  EXPECT_EQ(bad("a AUTHENTICATE PLAIN ab!c"), "a BAD Invalid initial response");
}

TEST(ImapParser, EnableIdCompress) {
  Enable e = body<Enable>("a ENABLE imap4rev2 CondStore UTF8=ACCEPT");
  EXPECT_EQ(e.capabilities, (std::vector<std::string>{"IMAP4REV2", "CONDSTORE", "UTF8=ACCEPT"}));
  EXPECT_EQ(bad("a ENABLE"), "a BAD Missing capability name");
  Id id = body<Id>("a ID (\"name\" \"Thunderbird\" \"version\" NIL)");
  ASSERT_EQ(id.fields.size(), 2u);
  EXPECT_EQ(id.fields[0].first, "name");
  EXPECT_EQ(id.fields[0].second, "Thunderbird");
  EXPECT_FALSE(id.fields[1].second);
  EXPECT_TRUE(body<Id>("a ID NIL").fields.empty());
  EXPECT_TRUE(body<Id>("a ID ()").fields.empty());
  EXPECT_EQ(bad("a ID (\"name\")"), "a BAD Invalid ID parameters");
  EXPECT_EQ(bad("a ID"), "a BAD Missing ID parameters");
  EXPECT_EQ(body<Compress>("a COMPRESS deflate").mechanism, "DEFLATE");
  EXPECT_EQ(bad("a COMPRESS"), "a BAD Missing compression mechanism");
}

// ---- authenticated --------------------------------------------------------------------------

TEST(ImapParser, SelectExamineWithCondstoreAndQresync) {
  Select s = body<Select>("a SELECT INBOX");
  EXPECT_EQ(s.mailbox, "INBOX");
  EXPECT_FALSE(s.read_only);
  EXPECT_FALSE(s.condstore);
  s = body<Select>("a EXAMINE \"Sent Items\" (CONDSTORE)");
  EXPECT_TRUE(s.read_only);
  EXPECT_TRUE(s.condstore);
  EXPECT_EQ(s.mailbox, "Sent Items");
  s = body<Select>("a SELECT inbox (QRESYNC (67890007 20050715194045000 41,43:211,214:541))");
  ASSERT_TRUE(s.qresync);
  EXPECT_EQ(s.qresync->uid_validity, 67890007u);
  EXPECT_EQ(s.qresync->modseq, 20050715194045000u);
  ASSERT_TRUE(s.qresync->known_uids);
  EXPECT_EQ(s.qresync->known_uids->ranges.size(), 3u);
  EXPECT_FALSE(s.qresync->seq_match);
  // RFC 7162 §3.2.5.2 example.
  s = body<Select>(
      "B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 "
      "15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))");
  ASSERT_TRUE(s.qresync && s.qresync->seq_match);
  EXPECT_EQ(s.qresync->seq_match->first.ranges.size(), 4u);
  EXPECT_EQ(s.qresync->seq_match->second.ranges.size(), 13u);
  s = body<Select>("a SELECT INBOX (QRESYNC (1 2 (1 5)) CONDSTORE)");
  ASSERT_TRUE(s.qresync && s.qresync->seq_match);
  EXPECT_FALSE(s.qresync->known_uids);
  EXPECT_TRUE(s.condstore);
  EXPECT_EQ(bad("a SELECT"), "a BAD Missing mailbox name");
  EXPECT_EQ(bad("a SELECT INBOX (FOO)"), "a BAD Unknown SELECT parameter");
  EXPECT_EQ(bad("a SELECT INBOX ()"), "a BAD Unknown SELECT parameter");
  EXPECT_EQ(bad("a SELECT INBOX (QRESYNC (0 1))"), "a BAD Invalid QRESYNC parameters");
  EXPECT_EQ(bad("a SELECT INBOX (QRESYNC (1))"), "a BAD Invalid QRESYNC parameters");
  EXPECT_EQ(bad("a SELECT INBOX (QRESYNC (1 2 1:5 ))"), "a BAD Invalid QRESYNC parameters");
  EXPECT_EQ(bad("a SELECT INBOX (QRESYNC (1 2 1:5 (1)))"), "a BAD Invalid QRESYNC parameters");
  EXPECT_EQ(bad("a SELECT INBOX (CONDSTORE"), "a BAD Invalid SELECT parameters");
}

TEST(ImapParser, CreateDeleteRenameSubscribe) {
  Create c = body<Create>("a CREATE \"Archive/2024\"");
  EXPECT_EQ(c.mailbox, "Archive/2024");
  EXPECT_TRUE(c.special_use.empty());
  c = body<Create>("a CREATE MySpecial (USE (\\Drafts \\Sent))");
  EXPECT_EQ(c.special_use, (std::vector<std::string>{"\\Drafts", "\\Sent"}));
  EXPECT_EQ(bad("a CREATE X (FOO)"), "a BAD Unknown CREATE parameter");
  EXPECT_EQ(bad("a CREATE X (USE (Drafts))"), "a BAD Invalid USE attributes");
  EXPECT_EQ(body<Delete>("a DELETE {3+}\r\nfoo").mailbox, "foo");
  Rename r = body<Rename>("a RENAME INBOX \"Old Inbox\"");
  EXPECT_EQ(r.from, "INBOX");
  EXPECT_EQ(r.to, "Old Inbox");
  EXPECT_EQ(bad("a RENAME INBOX"), "a BAD Missing mailbox name");
  Subscribe s = body<Subscribe>("a SUBSCRIBE &ZeVnLIqe-");
  EXPECT_TRUE(s.on);
  EXPECT_EQ(s.mailbox, "&ZeVnLIqe-");
  EXPECT_FALSE(body<Subscribe>("a unsubscribe x").on);
  EXPECT_EQ(bad("a DELETE (x)"), "a BAD Invalid mailbox name");
}

TEST(ImapParser, ListBasicAndLsub) {
  List l = body<List>("a LIST \"\" *");
  EXPECT_FALSE(l.lsub);
  EXPECT_FALSE(l.extended);
  EXPECT_EQ(l.reference, "");
  EXPECT_EQ(l.patterns, (std::vector<std::string>{"*"}));
  l = body<List>("a LIST ~/Mail/ %/foo]*");
  EXPECT_EQ(l.reference, "~/Mail/");
  EXPECT_EQ(l.patterns[0], "%/foo]*");
  l = body<List>("a LIST \"\" \"\"");
  EXPECT_EQ(l.patterns[0], "");
  l = body<List>("a LSUB \"\" \"%\"");
  EXPECT_TRUE(l.lsub);
  EXPECT_EQ(l.patterns[0], "%");
  EXPECT_EQ(bad("a LIST \"\""), "a BAD Invalid LIST reference");
  EXPECT_EQ(bad("a LIST"), "a BAD Missing LIST arguments");
  EXPECT_EQ(bad("a LSUB x"), "a BAD Invalid LSUB reference");
}

TEST(ImapParser, ListExtended) {
  List l = body<List>(
      "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"INBOX\" \"Drafts/%\") RETURN "
      "(CHILDREN SPECIAL-USE SUBSCRIBED MYRIGHTS STATUS (MESSAGES UNSEEN SIZE))");
  EXPECT_TRUE(l.extended);
  EXPECT_TRUE(l.select_subscribed);
  EXPECT_TRUE(l.select_recursive_match);
  EXPECT_FALSE(l.select_remote);
  EXPECT_EQ(l.patterns, (std::vector<std::string>{"INBOX", "Drafts/%"}));
  EXPECT_TRUE(l.return_children && l.return_special_use && l.return_subscribed &&
              l.return_myrights);
  ASSERT_TRUE(l.return_status);
  EXPECT_TRUE(l.return_status->messages && l.return_status->unseen && l.return_status->size);
  EXPECT_FALSE(l.return_status->uid_next);
  l = body<List>("a LIST (SPECIAL-USE REMOTE) \"\" *");
  EXPECT_TRUE(l.select_special_use && l.select_remote && l.extended);
  l = body<List>("a LIST () \"\" % RETURN ()");
  EXPECT_TRUE(l.extended);
  l = body<List>("a LIST \"\" % RETURN (SPECIAL-USE)");
  EXPECT_TRUE(l.extended && l.return_special_use);
  EXPECT_EQ(bad("a LIST (FOO) \"\" *"), "a BAD Unknown LIST selection option");
  EXPECT_EQ(bad("a LIST (RECURSIVEMATCH) \"\" *"),
            "a BAD RECURSIVEMATCH needs another selection option");
  EXPECT_EQ(bad("a LIST (REMOTE RECURSIVEMATCH) \"\" *"),
            "a BAD RECURSIVEMATCH needs another selection option");
  EXPECT_EQ(bad("a LIST \"\" * RETURN (FOO)"), "a BAD Unknown LIST return option");
  EXPECT_EQ(bad("a LIST \"\" * FOO"), "a BAD Invalid LIST return options");
  EXPECT_EQ(bad("a LIST \"\" * RETURN (STATUS (FOO))"), "a BAD Unknown STATUS item");
  EXPECT_EQ(bad("a LIST \"\" ()"), "a BAD Invalid LIST pattern");
}

TEST(ImapParser, Status) {
  Status s = body<Status>(
      "a STATUS blurdybloop (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ "
      "RECENT APPENDLIMIT MAILBOXID)");
  EXPECT_EQ(s.mailbox, "blurdybloop");
  const StatusItems& i = s.items;
  EXPECT_TRUE(i.messages && i.uid_next && i.uid_validity && i.unseen && i.deleted && i.size &&
              i.highest_modseq && i.recent && i.append_limit && i.mailbox_id);
  s = body<Status>("a status INBOX (messages)");
  EXPECT_TRUE(s.items.messages);
  EXPECT_FALSE(s.items.unseen);
  EXPECT_EQ(bad("a STATUS INBOX ()"), "a BAD Unknown STATUS item");
  EXPECT_EQ(bad("a STATUS INBOX (MESSAGES FOO)"), "a BAD Unknown STATUS item");
  EXPECT_EQ(bad("a STATUS INBOX MESSAGES"), "a BAD Invalid STATUS items");
  EXPECT_EQ(bad("a STATUS INBOX"), "a BAD Missing STATUS items");
}

TEST(ImapParser, Append) {
  Append a = body<Append>("a APPEND saved-messages (\\Seen) {5}\r\nhello");
  EXPECT_EQ(a.mailbox, "saved-messages");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].flags, (FlagList{"\\Seen"}));
  EXPECT_FALSE(a.messages[0].internal_date);
  EXPECT_EQ(a.messages[0].data, "hello");
  a = body<Append>(
      "a APPEND INBOX (\\Seen $Forwarded) \"17-Jul-1996 02:44:25 -0700\" {11+}\r\nHi\r\n\r\nthere");
  EXPECT_EQ(a.messages[0].flags, (FlagList{"\\Seen", "$Forwarded"}));
  EXPECT_EQ(a.messages[0].internal_date, "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(a.messages[0].data, "Hi\r\n\r\nthere");
  a = body<Append>("a APPEND INBOX \" 7-Jul-1996 02:44:25 +0000\" {1}\r\nx");
  EXPECT_EQ(a.messages[0].internal_date, " 7-Jul-1996 02:44:25 +0000");
  a = body<Append>("a APPEND INBOX () {1}\r\nx");
  EXPECT_TRUE(a.messages[0].flags.empty());
  // RFC 3516 literal8 and RFC 6855 UTF8 data.
  a = body<Append>(std::string_view("a APPEND INBOX ~{3}\r\na\0b", 24));
  EXPECT_TRUE(a.messages[0].binary);
  EXPECT_EQ(a.messages[0].data, std::string("a\0b", 3));
  a = body<Append>("a APPEND INBOX UTF8 (~{2+}\r\n\xc3\xbc)");
  EXPECT_TRUE(a.messages[0].utf8);
  EXPECT_FALSE(a.messages[0].binary);
  EXPECT_EQ(a.messages[0].data, "\xc3\xbc");
  // RFC 3502 MULTIAPPEND.
  a = body<Append>(
      "a APPEND Drafts (\\Draft) {1+}\r\nA {1+}\r\nB \"01-Jan-2020 00:00:00 +0000\" {1+}\r\nC");
  ASSERT_EQ(a.messages.size(), 3u);
  EXPECT_EQ(a.messages[0].data, "A");
  EXPECT_EQ(a.messages[1].data, "B");
  EXPECT_TRUE(a.messages[1].flags.empty());
  EXPECT_EQ(a.messages[2].data, "C");
  EXPECT_TRUE(a.messages[2].internal_date);
  // The mailbox name itself as a literal.
  a = body<Append>("a APPEND {5}\r\nINBOX {1}\r\nx");
  EXPECT_EQ(a.mailbox, "INBOX");

  EXPECT_EQ(bad("a APPEND INBOX"), "a BAD Missing message");
  EXPECT_EQ(bad("a APPEND INBOX (\\Seen)"), "a BAD Missing message");
  EXPECT_EQ(bad("a APPEND INBOX \"hello\""), "a BAD Invalid date-time");
  EXPECT_EQ(bad("a APPEND INBOX \"31-Feb-2020 00:00:00 +0000\" {1}\r\nx"),
            "a BAD Invalid date-time");
  EXPECT_EQ(bad("a APPEND INBOX hello"), "a BAD Missing message literal");
  EXPECT_EQ(bad("a APPEND INBOX {1}\r\nx "), "a BAD Missing message literal");
  // A NUL in a "{N}" literal gets its own answer, not the generic one; the same octets as a
  // literal8 are taken.
  EXPECT_EQ(bad(std::string_view("a APPEND INBOX {3+}\r\nx\0y", 24)),
            "a BAD NUL octets in the message: send it as a literal8 ~{N} (BINARY)");
  EXPECT_EQ(body<Append>(std::string_view("a APPEND INBOX ~{3}\r\nx\0y", 24)).messages[0].data,
            std::string_view("x\0y", 3));
  EXPECT_EQ(bad("a APPEND INBOX UTF8 ({1}\r\nx)"), "a BAD Invalid UTF8 message");
  EXPECT_EQ(bad("a APPEND INBOX (\\Seen {1}\r\nx"), "a BAD Invalid flag");
  Limits l;
  l.max_append_messages = 2;
  EXPECT_EQ(bad("a APPEND INBOX {1}\r\nx {1}\r\ny {1}\r\nz", l), "a BAD Too many messages");
}

// ---- selected -------------------------------------------------------------------------------

TEST(ImapParser, FetchMacrosAndSimpleItems) {
  Fetch f = body<Fetch>("a FETCH 1:* ALL");
  EXPECT_FALSE(f.uid);
  ASSERT_EQ(f.items.size(), 4u);
  EXPECT_EQ(f.items[0].kind, FK::flags);
  EXPECT_EQ(f.items[1].kind, FK::internal_date);
  EXPECT_EQ(f.items[2].kind, FK::rfc822_size);
  EXPECT_EQ(f.items[3].kind, FK::envelope);
  EXPECT_EQ(body<Fetch>("a FETCH 1 fast").items.size(), 3u);
  f = body<Fetch>("a FETCH 1 FULL");
  ASSERT_EQ(f.items.size(), 5u);
  EXPECT_EQ(f.items[4].kind, FK::body);
  f = body<Fetch>(
      "a UID FETCH 1,3 (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY UID MODSEQ "
      "SAVEDATE EMAILID THREADID RFC822 RFC822.HEADER RFC822.TEXT)");
  EXPECT_TRUE(f.uid);
  std::vector<FK> kinds;
  for (auto& i : f.items) kinds.push_back(i.kind);
  EXPECT_EQ(kinds, (std::vector<FK>{FK::flags, FK::internal_date, FK::rfc822_size, FK::envelope,
                                    FK::body_structure, FK::body, FK::uid, FK::modseq,
                                    FK::save_date, FK::email_id, FK::thread_id, FK::rfc822,
                                    FK::rfc822_header, FK::rfc822_text}));
  f = body<Fetch>("a FETCH $ flags");
  EXPECT_TRUE(f.set.saved);
  EXPECT_EQ(bad("a FETCH 1 (ALL)"), "a BAD Unknown FETCH item");
  EXPECT_EQ(bad("a FETCH 1 FOO"), "a BAD Unknown FETCH item");
  EXPECT_EQ(bad("a FETCH 1 ()"), "a BAD Invalid FETCH item");
  EXPECT_EQ(bad("a FETCH 1 (FLAGS"), "a BAD Invalid FETCH items");
  EXPECT_EQ(bad("a FETCH 1"), "a BAD Missing FETCH items");
  EXPECT_EQ(bad("a FETCH 0 FLAGS"), "a BAD Invalid sequence set");
  EXPECT_EQ(bad("a FETCH FLAGS"), "a BAD Invalid sequence set");
  EXPECT_EQ(bad("a FETCH 1 BODY.PEEK"), "a BAD Invalid section");
}

TEST(ImapParser, FetchSectionsAndPartials) {
  Fetch f = body<Fetch>("a FETCH 2 (BODY[] BODY.PEEK[1.2.HEADER]<0.1024> body[text])");
  ASSERT_EQ(f.items.size(), 3u);
  EXPECT_EQ(f.items[0].kind, FK::body_section);
  EXPECT_FALSE(f.items[0].peek);
  EXPECT_EQ(f.items[0].section_text, "");
  EXPECT_TRUE(f.items[0].section.path.empty());
  EXPECT_TRUE(f.items[1].peek);
  EXPECT_EQ(f.items[1].section.path, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(f.items[1].section.text, mime::SectionSpec::Text::header);
  EXPECT_EQ(f.items[1].section_text, "1.2.HEADER");
  EXPECT_EQ(f.items[1].partial_origin, 0u);
  EXPECT_EQ(f.items[1].partial_count, 1024u);
  EXPECT_EQ(f.items[2].section_text, "TEXT");
  EXPECT_FALSE(f.items[2].partial_origin);
  f = body<Fetch>("a FETCH 1 BODY.PEEK[HEADER.FIELDS (From To \"Message-ID\" {7}\r\nSubject)]");
  ASSERT_EQ(f.items.size(), 1u);
  EXPECT_EQ(f.items[0].section.text, mime::SectionSpec::Text::header_fields);
  EXPECT_EQ(f.items[0].section.fields,
            (std::vector<std::string>{"From", "To", "Message-ID", "Subject"}));
  EXPECT_EQ(f.items[0].section_text, "HEADER.FIELDS (From To Message-ID Subject)");
  f = body<Fetch>("a FETCH 1 BODY[1.header.fields.not (X-Spam)]<10.20>");
  EXPECT_EQ(f.items[0].section.text, mime::SectionSpec::Text::header_fields_not);
  EXPECT_EQ(f.items[0].section_text, "1.HEADER.FIELDS.NOT (X-Spam)");
  EXPECT_EQ(f.items[0].partial_origin, 10u);
  f = body<Fetch>("a FETCH 1 BODY[3.MIME]");
  EXPECT_EQ(f.items[0].section.text, mime::SectionSpec::Text::mime);
  EXPECT_EQ(bad("a FETCH 1 BODY[MIME]"), "a BAD Invalid section");
  EXPECT_EQ(bad("a FETCH 1 BODY[0]"), "a BAD Invalid section");
  EXPECT_EQ(bad("a FETCH 1 BODY[FOO]"), "a BAD Invalid section");
  EXPECT_EQ(bad("a FETCH 1 BODY[HEADER.FIELDS ()]"), "a BAD Invalid section");
  EXPECT_EQ(bad("a FETCH 1 BODY[HEADER.FIELDS From]"), "a BAD Invalid section");
  EXPECT_EQ(bad("a FETCH 1 BODY[TEXT"), "a BAD Invalid section");
  EXPECT_EQ(bad("a FETCH 1 BODY[]<1>"), "a BAD Invalid partial");
  EXPECT_EQ(bad("a FETCH 1 BODY[]<1.0>"), "a BAD Invalid partial");
  EXPECT_EQ(bad("a FETCH 1 BODY[]<a.1>"), "a BAD Invalid partial");
}

TEST(ImapParser, FetchBinary) {
  Fetch f = body<Fetch>("a FETCH 1 (BINARY[1] BINARY.PEEK[2.1]<0.100> BINARY.SIZE[] BINARY[])");
  ASSERT_EQ(f.items.size(), 4u);
  EXPECT_EQ(f.items[0].kind, FK::binary);
  EXPECT_EQ(f.items[0].section.path, (std::vector<std::uint32_t>{1}));
  EXPECT_TRUE(f.items[1].peek);
  EXPECT_EQ(f.items[1].partial_count, 100u);
  EXPECT_EQ(f.items[2].kind, FK::binary_size);
  EXPECT_EQ(f.items[3].section_text, "");
  EXPECT_EQ(bad("a FETCH 1 BINARY[HEADER]"), "a BAD Invalid section");
  EXPECT_EQ(bad("a FETCH 1 BINARY.SIZE[1]<0.1>"), "a BAD Invalid partial");
  EXPECT_EQ(bad("a FETCH 1 BINARY"), "a BAD Invalid section");
}

TEST(ImapParser, FetchModifiers) {
  Fetch f = body<Fetch>("a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)");
  EXPECT_EQ(f.changed_since, 12345u);
  EXPECT_FALSE(f.vanished);
  f = body<Fetch>("a UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
  EXPECT_TRUE(f.vanished);
  EXPECT_EQ(bad("a FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)"),
            "a BAD VANISHED needs UID FETCH and CHANGEDSINCE");
  EXPECT_EQ(bad("a UID FETCH 1:* FLAGS (VANISHED)"),
            "a BAD VANISHED needs UID FETCH and CHANGEDSINCE");
  EXPECT_EQ(bad("a FETCH 1 FLAGS (FOO)"), "a BAD Unknown FETCH modifier");
  EXPECT_EQ(bad("a FETCH 1 FLAGS (CHANGEDSINCE x)"), "a BAD Invalid mod-sequence value");
  EXPECT_EQ(bad("a FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)"),
            "a BAD Invalid mod-sequence value");
}

// RFC 8970 §5: PREVIEW [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY".
TEST(ImapParser, FetchPreview) {
  using FK = FetchItem::Kind;
  Fetch f = body<Fetch>("a FETCH 1 PREVIEW");
  ASSERT_EQ(f.items.size(), 1u);
  EXPECT_EQ(f.items[0].kind, FK::preview);
  EXPECT_FALSE(f.items[0].peek);
  f = body<Fetch>("a UID FETCH 1:* (UID preview (lazy) FLAGS)");
  ASSERT_EQ(f.items.size(), 3u);
  EXPECT_EQ(f.items[1].kind, FK::preview);
  EXPECT_TRUE(f.items[1].peek);
  EXPECT_EQ(f.items[2].kind, FK::flags);
  f = body<Fetch>("a FETCH 1 PREVIEW (LAZY)");
  ASSERT_EQ(f.items.size(), 1u);
  EXPECT_TRUE(f.items[0].peek);
  f = body<Fetch>("a FETCH 1 PREVIEW (LAZY LAZY) (CHANGEDSINCE 5)");
  EXPECT_TRUE(f.items[0].peek);
  EXPECT_EQ(f.changed_since, 5u);
  // Without modifiers, a following list is the FETCH modifiers.
  f = body<Fetch>("a FETCH 1 PREVIEW (CHANGEDSINCE 5)");
  EXPECT_FALSE(f.items[0].peek);
  EXPECT_EQ(f.changed_since, 5u);
  EXPECT_EQ(bad("a FETCH 1 (PREVIEW (LAZY FOO))"), "a BAD Invalid PREVIEW modifier");
  EXPECT_EQ(bad("a FETCH 1 (PREVIEW (LAZY)"), "a BAD Invalid FETCH items");
  EXPECT_EQ(bad("a FETCH 1 (PREVIEW ())"), "a BAD Invalid FETCH item");
  EXPECT_EQ(bad("a FETCH 1 PREVIEWS"), "a BAD Unknown FETCH item");
}

TEST(ImapParser, Store) {
  Store s = body<Store>("a STORE 2:4 +FLAGS (\\Deleted)");
  EXPECT_EQ(s.mode, Store::Mode::add);
  EXPECT_FALSE(s.silent);
  EXPECT_EQ(s.flags, (FlagList{"\\Deleted"}));
  s = body<Store>("a UID STORE 1 -flags.silent \\Seen $Junk");
  EXPECT_TRUE(s.uid);
  EXPECT_EQ(s.mode, Store::Mode::remove);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags, (FlagList{"\\Seen", "$Junk"}));
  s = body<Store>("a STORE 1 FLAGS ()");
  EXPECT_EQ(s.mode, Store::Mode::replace);
  EXPECT_TRUE(s.flags.empty());
  s = body<Store>("a STORE 1:* (UNCHANGEDSINCE 0) +FLAGS.SILENT (\\Answered \\Recent)");
  EXPECT_EQ(s.unchanged_since, 0u);
  EXPECT_EQ(s.flags, (FlagList{"\\Answered", "\\Recent"}));
  EXPECT_EQ(bad("a STORE 1 +FLAGS"), "a BAD Missing flags");
  EXPECT_EQ(bad("a STORE 1 LABELS (x)"), "a BAD Invalid STORE item");
  EXPECT_EQ(bad("a STORE 1 (FOO 1) FLAGS x"), "a BAD Invalid STORE modifier");
  EXPECT_EQ(bad("a STORE 1 FLAGS (\\)"), "a BAD Invalid flag");
  EXPECT_EQ(bad("a STORE 1 FLAGS (a"), "a BAD Invalid flag list");
}

TEST(ImapParser, CopyMoveExpungeSearch) {
  Copy c = body<Copy>("a COPY 2:4 MEETING");
  EXPECT_FALSE(c.uid);
  EXPECT_FALSE(c.move);
  EXPECT_EQ(c.mailbox, "MEETING");
  c = body<Copy>("a UID MOVE 42:69 \"Trash\"");
  EXPECT_TRUE(c.uid && c.move);
  EXPECT_EQ(c.set.ranges[0].first, 42u);
  EXPECT_EQ(bad("a COPY 1"), "a BAD Missing mailbox name");
  Expunge e = body<Expunge>("a UID EXPUNGE 3000:3002");
  ASSERT_TRUE(e.uids);
  EXPECT_EQ(e.uids->ranges[0].last, 3002u);
  EXPECT_EQ(bad("a UID EXPUNGE"), "a BAD Invalid sequence set");
  Search s = body<Search>("a UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 FROM \"Smith\" UNSEEN");
  EXPECT_TRUE(s.uid);
  EXPECT_TRUE(s.ret.min && s.ret.count && s.ret.specified);
  EXPECT_EQ(s.charset, "UTF-8");
  EXPECT_EQ(s.key.kind, SearchKey::Kind::and_);
  EXPECT_EQ(bad("a SEARCH"), "a BAD Missing search keys");
  EXPECT_EQ(bad("a SEARCH FOO"), "a BAD Unknown search key");
}

TEST(ImapParser, Limits) {
  Limits l;
  l.max_fetch_items = 3;
  EXPECT_TRUE(parse_command("a FETCH 1 (FLAGS UID ENVELOPE)", l));
  EXPECT_EQ(bad("a FETCH 1 (FLAGS UID ENVELOPE RFC822.SIZE)", l), "a BAD Too many FETCH items");
  l = Limits{};
  l.max_sequence_ranges = 3;
  EXPECT_TRUE(parse_command("a FETCH 1,2,3 FLAGS", l));
  EXPECT_EQ(bad("a FETCH 1,2,3,4 FLAGS", l), "a BAD Too many ranges in sequence set");
  l = Limits{};
  l.max_list_items = 2;
  EXPECT_EQ(bad("a STORE 1 FLAGS (a b c)", l), "a BAD Too many flags");
  EXPECT_EQ(bad("a STORE 1 FLAGS a b c", l), "a BAD Too many flags");
  EXPECT_EQ(bad("a ENABLE A B C", l), "a BAD Too many capabilities");
  EXPECT_EQ(bad("a STATUS x (MESSAGES UNSEEN SIZE)", l), "a BAD Too many STATUS items");
  EXPECT_EQ(bad("a LIST \"\" (a b c)", l), "a BAD Too many LIST patterns");
  EXPECT_EQ(bad("a ID (\"a\" NIL \"b\" NIL \"c\" NIL)", l), "a BAD Too many ID parameters");
  // The defaults admit a realistic FETCH and a big sequence set.
  std::string set = "1";
  for (int i = 2; i < 5000; ++i) set += "," + std::to_string(i * 2);
  EXPECT_TRUE(parse_command("a UID FETCH " + set + " (UID FLAGS)"));
}

}  // namespace
}  // namespace estafeta::imap

namespace estafeta::imap {
namespace {

// Commands as widely used clients send them (from their protocol logs): each must parse.
TEST(ImapParser, WhatRealClientsSend) {
  for (const char* wire : {
           // Thunderbird
           "1 capability",
           "2 ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\")",
           "3 authenticate PLAIN",
           "4 enable CONDSTORE",
           "5 list (SUBSCRIBED) \"\" \"*\" RETURN (SPECIAL-USE)",
           "6 select \"INBOX\" (CONDSTORE)",
           "7 UID fetch 1:* (FLAGS) (CHANGEDSINCE 1234)",
           "8 UID fetch 41 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc "
           "Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To "
           "Content-Type Reply-To)])",
           "9 UID fetch 41 (UID RFC822.SIZE BODY.PEEK[]<0.16384>)",
           "10 uid store 41 +Flags (\\Seen)",
           "11 UID MOVE 41 \"Trash\"",
           "12 IDLE",
           // mbsync (isync)
           "1 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==",
           "2 LIST \"\" \"*\"",
           "3 SELECT \"Drafts\"",
           "4 UID FETCH 1:2147483647 (UID FLAGS)",
           "5 APPEND \"Sent\" (\\Seen) {5+}\r\nHello",
           "6 UID SEARCH HEADER X-TUID 7GzRnhy7+mRv",
           "7 UID STORE 4 +FLAGS.SILENT (\\Deleted)",
           "8 UID EXPUNGE 4",
           // Apple Mail / iOS
           "1.1 ID (\"name\" \"iPhone Mail\" \"version\" \"21A5326a\" \"os\" \"iOS\")",
           "2.1 LIST \"\" \"\"",
           "3.1 LSUB \"\" \"*\"",
           "4.1 STATUS \"INBOX\" (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)",
           "5.1 EXAMINE \"INBOX\"",
           "6.1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)",
           "7.1 UID SEARCH 1:* NOT DELETED",
           "8.1 UID FETCH 3 (BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (references "
           "x-ms-tnef-correlator)])",
           "9.1 UID FETCH 3 (BODY.PEEK[1]<0.10240>)",
           "10.1 NAMESPACE",
           // K-9 / Thunderbird for Android
           "5 UID SEARCH 1:* NOT DELETED",
           "6 UID FETCH 1,2,3 (UID INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (date "
           "subject from content-type to cc reply-to message-id references in-reply-to "
           "X-K9mail-Identity Chat-Version)])",
           "7 UID STORE 1 +FLAGS.SILENT (\\Seen)",
           "8 UID COPY 1 \"Archive\"",
           // curl, fetchmail, mutt, Outlook
           "A001 LOGIN \"user\" \"secret\"",
           "A002 SELECT INBOX",
           "A003 FETCH 1 BODY[]",
           "a4 SEARCH UNSEEN NOT DELETED",
           "a5 FETCH 1:3 RFC822.SIZE",
           "a6 FETCH 1 RFC822.HEADER",
           "a7 FETCH 2 BODY.PEEK[TEXT]",
           "a0008 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS "
           "(DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE "
           "CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL X-ORIGINAL-TO)])",
           "a0009 UID SEARCH CHARSET UTF-8 TEXT {5}\r\nhello",
           "a0010 STATUS \"Lists/estafeta\" (MESSAGES RECENT UNSEEN)",
           "b1 ENABLE QRESYNC",
           "b2 SELECT INBOX (QRESYNC (1 2))",
           "b3 COMPRESS DEFLATE",
           "b4 UNSELECT",
       }) {
    auto r = parse_command(wire);
    EXPECT_TRUE(r) << wire << " -> " << r.error.text;
  }
}

}  // namespace
}  // namespace estafeta::imap
