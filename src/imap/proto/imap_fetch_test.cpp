// Tests of imap_fetch and imap_response_strings: FETCH responses from the cache without the
// message, sections served as CRLF, partial edge cases, BINARY with NUL and unknown encodings,
// \Seen, UID/MODSEQ additions, the streaming plan, and the corpus of tricky messages.
#include "imap/proto/imap_fetch.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "imap/proto/imap_response_strings.hpp"
#include "mime/mime_date.hpp"
#include "mime/mime_imap_bodystructure.hpp"
#include "mime/mime_imap_envelope.hpp"
#include "mime/mime_imap_section.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::imap {
namespace {

using Kind = FetchItem::Kind;
using namespace std::string_literals;

// A message as the store would hold it: bytes, MessageInfo and the cached fields computed by
// the message library.
struct Msg {
  std::string bytes;
  store::MessageInfo info;
  store::CachedFields cached;
  int loads = 0;

  explicit Msg(std::string b) : bytes(std::move(b)) {
    mime::Message m = mime::parse(bytes);
    mime::SectionBytes all;
    all.pieces.push_back(bytes);
    info.uid = 42;
    info.modseq = 7;
    info.internal_date = 1795000000;  // 2026-11-18T11:06:40Z
    info.internal_tz = 60;
    info.save_date = 1795000100;
    info.size = all.crlf_size();
    info.email_id = "M1a2b";
    info.thread_id = "T00000000000000c3";
    cached.envelope = mime::imap_envelope(m);
    cached.body_structure = mime::imap_bodystructure(m);
    cached.body = mime::imap_bodystructure(m, 0, {.extended = false});
    cached.header = std::string(m.header_bytes(m.root()));
    if (const mime::HeaderField* f = m.find_field(m.root(), "Date"))
      if (auto d = mime::parse_date(f->value)) {
        cached.sent_date = d->to_unix();
        cached.sent_tz = d->zone_minutes;
      }
  }

  FetchMessage fm(std::uint32_t seq = 3) {
    FetchMessage f;
    f.seq = seq;
    f.info = &info;
    f.cached = &cached;
    f.load = [this](std::string& out) {
      ++loads;
      out = bytes;
      return std::error_code();
    };
    return f;
  }
};

FetchItem item(Kind k) {
  FetchItem it;
  it.kind = k;
  return it;
}

FetchItem section(std::string_view text, bool peek = false, Kind k = Kind::body_section) {
  FetchItem it;
  it.kind = k;
  it.peek = peek;
  auto spec = mime::parse_section(text);
  EXPECT_TRUE(spec) << text;
  if (spec) it.section = *spec;
  it.section_text = std::string(text);
  return it;
}

FetchItem partial(FetchItem it, std::uint32_t origin, std::uint32_t count) {
  it.partial_origin = origin;
  it.partial_count = count;
  return it;
}

std::string fetch(Msg& m, const std::vector<FetchItem>& items, FetchOptions o = {}) {
  FetchResult r = render_fetch(m.fm(), items, o);
  EXPECT_EQ(r.status, FetchResult::Status::ok);
  return r.text;
}

const char kSimple[] =
    "From: Alice Example <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: Hello\r\n"
    "Date: Sat, 28 Nov 2026 03:17:28 +0000\r\n"
    "Message-ID: <1@example.org>\r\n"
    "\r\n"
    "Hi Bob.\r\n";

const char kMultipart[] =
    "From: a@example.org\r\n"
    "Subject: parts\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=X\r\n"
    "\r\n"
    "--X\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Caf=C3=A9\r\n"
    "--X\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AGJpbgBhcnk=\r\n"
    "--X\r\n"
    "Content-Type: application/x-thing\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n"
    "\r\n"
    "begin 644 x\r\n"
    "--X--\r\n";

std::string read_corpus(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- response strings --------------------------------------------------------------------

TEST(ImapResponseStrings, StringForms) {
  std::string s;
  append_astring(s, "INBOX");
  s.push_back('|');
  append_astring(s, "a b");
  s.push_back('|');
  append_astring(s, "NIL");
  s.push_back('|');
  append_string(s, "q\"\\");
  s.push_back('|');
  append_string(s, "two\r\nlines");
  s.push_back('|');
  append_string(s, "caf\xc3\xa9");
  s.push_back('|');
  append_string(s, "caf\xc3\xa9", {.utf8 = true});
  s.push_back('|');
  append_string(s, "bad\xff", {.utf8 = true});
  s.push_back('|');
  append_nstring(s, std::nullopt);
  s.push_back('|');
  append_literal8(s, std::string_view("a\0b", 3));
  EXPECT_EQ(s,
            "INBOX|\"a b\"|\"NIL\"|\"q\\\"\\\\\"|{10}\r\ntwo\r\nlines|{5}\r\ncaf\xc3\xa9|"
            "\"caf\xc3\xa9\"|{4}\r\nbad\xff|NIL|~{3}\r\na\0b"s);
  std::string big(2000, 'x');
  std::string t;
  append_string(t, big);
  EXPECT_EQ(t, "{2000}\r\n" + big);
}

TEST(ImapResponseStrings, FlagListsAndDates) {
  store::Flags f;
  f.system = store::kSeen | store::kDeleted | store::kDraft;
  f.keywords = {"$Forwarded", "Junk"};
  std::string s;
  append_flag_list(s, f, true);
  EXPECT_EQ(s, "(\\Seen \\Deleted \\Draft \\Recent $Forwarded Junk)");
  s.clear();
  append_flag_list(s, {}, false);
  EXPECT_EQ(s, "()");
  EXPECT_EQ(format_internal_date(0, 0), "01-Jan-1970 00:00:00 +0000");
  EXPECT_EQ(format_internal_date(-2208988800, 0), "01-Jan-1900 00:00:00 +0000");  // kept
  // 2026-12-01T21:03:04Z in -07:00 and +05:30.
  EXPECT_EQ(format_internal_date(1796158984, -420), "01-Dec-2026 14:03:04 -0700");
  EXPECT_EQ(format_internal_date(1796158984, 330), "02-Dec-2026 02:33:04 +0530");
  s.clear();
  append_internal_date(s, 1796158984, 0);
  EXPECT_EQ(s, "\"01-Dec-2026 21:03:04 +0000\"");
}

// ---- cached items ------------------------------------------------------------------------

TEST(ImapFetch, CachedItemsNeverLoadTheMessage) {
  Msg m(kSimple);
  m.info.flags.system = store::kSeen | store::kFlagged;
  std::vector<FetchItem> items = {item(Kind::flags),
                                  item(Kind::internal_date),
                                  item(Kind::rfc822_size),
                                  item(Kind::envelope),
                                  item(Kind::body_structure),
                                  item(Kind::body),
                                  item(Kind::uid),
                                  item(Kind::modseq),
                                  item(Kind::save_date),
                                  item(Kind::email_id),
                                  item(Kind::thread_id),
                                  section("HEADER", true),
                                  section("HEADER.FIELDS (Subject FROM)", true),
                                  section("HEADER.FIELDS.NOT (Subject From To Date)", true),
                                  item(Kind::rfc822_header)};
  EXPECT_FALSE(fetch_needs_message(items));
  std::string header =
      "From: Alice Example <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Hello\r\n"
      "Date: Sat, 28 Nov 2026 03:17:28 +0000\r\nMessage-ID: <1@example.org>\r\n\r\n";
  std::string expected =
      "* 3 FETCH (FLAGS (\\Seen \\Flagged) INTERNALDATE \"18-Nov-2026 12:06:40 +0100\" "
      "RFC822.SIZE 157 ENVELOPE (" +
      m.cached.envelope + ") BODYSTRUCTURE (" + m.cached.body_structure + ") BODY (" +
      m.cached.body +
      ") UID 42 MODSEQ (7) SAVEDATE \"18-Nov-2026 11:08:20 +0000\" EMAILID (M1a2b) "
      "THREADID (T00000000000000c3) "
      "BODY[HEADER] {" +
      std::to_string(header.size()) + "}\r\n" + header +
      " BODY[HEADER.FIELDS (Subject FROM)] {59}\r\n"
      "From: Alice Example <alice@example.org>\r\nSubject: Hello\r\n\r\n"
      " BODY[HEADER.FIELDS.NOT (Subject From To Date)] {31}\r\nMessage-ID: <1@example.org>\r\n"
      "\r\n RFC822.HEADER {" +
      std::to_string(header.size()) + "}\r\n" + header + ")\r\n";
  EXPECT_EQ(fetch(m, items), expected);
  EXPECT_EQ(m.loads, 0);
  EXPECT_EQ(m.info.size, sizeof kSimple - 1);
  EXPECT_EQ(m.cached.envelope,
            "\"Sat, 28 Nov 2026 03:17:28 +0000\" \"Hello\" ((\"Alice Example\" NIL \"alice\" "
            "\"example.org\")) ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice "
            "Example\" NIL \"alice\" \"example.org\")) ((NIL NIL \"bob\" \"example.net\")) NIL "
            "NIL NIL \"<1@example.org>\"");
}

TEST(ImapFetch, EmptyCacheIsComputedFromTheMessage) {
  Msg m(kMultipart);
  Msg empty(kMultipart);
  empty.cached = {};
  std::vector<FetchItem> items = {item(Kind::envelope), item(Kind::body_structure),
                                  item(Kind::body), section("HEADER.FIELDS (Subject)", true)};
  EXPECT_EQ(fetch(empty, items), fetch(m, items));
  EXPECT_EQ(empty.loads, 1);  // once for all of them
  EXPECT_EQ(m.loads, 0);
}

TEST(ImapFetch, UidModseqAndFlagsAdded) {
  Msg m(kSimple);
  EXPECT_EQ(fetch(m, {item(Kind::flags)}, {.uid_command = true, .modseq = true}),
            "* 3 FETCH (UID 42 FLAGS () MODSEQ (7))\r\n");
  // Asked explicitly: not repeated; repeated items are answered once.
  EXPECT_EQ(fetch(m, {item(Kind::modseq), item(Kind::uid), item(Kind::uid)},
                  {.uid_command = true, .modseq = true}),
            "* 3 FETCH (MODSEQ (7) UID 42)\r\n");
  EXPECT_EQ(fetch(m, {item(Kind::uid)}, {.add_flags = true, .recent = true}),
            "* 3 FETCH (UID 42 FLAGS (\\Recent))\r\n");
  m.info.email_id.clear();
  m.info.save_date = 0;
  EXPECT_EQ(fetch(m, {item(Kind::email_id), item(Kind::save_date)}),
            "* 3 FETCH (SAVEDATE NIL)\r\n");
  // RFC 8474 §5.2: THREADID is NIL when the store keeps no thread for the message.
  EXPECT_EQ(fetch(m, {item(Kind::thread_id)}), "* 3 FETCH (THREADID (T00000000000000c3))\r\n");
  m.info.thread_id.clear();
  EXPECT_EQ(fetch(m, {item(Kind::thread_id)}), "* 3 FETCH (THREADID NIL)\r\n");
}

// ---- sections ----------------------------------------------------------------------------

TEST(ImapFetch, BodySectionsAndSeen) {
  Msg m(kMultipart);
  std::vector<FetchItem> items = {section("1"), section("1.MIME", true), section("2", true)};
  EXPECT_TRUE(fetch_sets_seen(items, m.info.flags));
  EXPECT_FALSE(fetch_sets_seen({section("1", true), item(Kind::envelope)}, m.info.flags));
  EXPECT_TRUE(fetch_sets_seen({item(Kind::rfc822_text)}, m.info.flags));
  EXPECT_FALSE(fetch_sets_seen({item(Kind::rfc822_header)}, m.info.flags));
  EXPECT_FALSE(fetch_sets_seen({section("2", true, Kind::binary_size)}, m.info.flags));
  EXPECT_TRUE(fetch_sets_seen({section("2", false, Kind::binary)}, m.info.flags));
  store::Flags seen;
  seen.system = store::kSeen;
  EXPECT_FALSE(fetch_sets_seen(items, seen));
  EXPECT_EQ(fetch(m, items),
            "* 3 FETCH (BODY[1] {9}\r\nCaf=C3=A9 BODY[1.MIME] {88}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            " BODY[2] {12}\r\nAGJpbgBhcnk=)\r\n");
  EXPECT_EQ(m.loads, 1);
}

TEST(ImapFetch, MissingSectionIsEmptyString) {
  Msg m(kMultipart);
  EXPECT_EQ(
      fetch(m, {section("5"), section("1.HEADER"), section("2.3.TEXT"), section("4.MIME")}),
      "* 3 FETCH (BODY[5] \"\" BODY[1.HEADER] \"\" BODY[2.3.TEXT] \"\" BODY[4.MIME] \"\")\r\n");
}

TEST(ImapFetch, SectionNameRebuiltWhenNotGiven) {
  Msg m(kSimple);
  FetchItem it = section("HEADER.FIELDS (Subject)", true);
  it.section_text.clear();
  EXPECT_EQ(fetch(m, {it}),
            "* 3 FETCH (BODY[HEADER.FIELDS (Subject)] {18}\r\nSubject: Hello\r\n\r\n)\r\n");
  FetchItem t = section("1.2.TEXT");
  t.section_text.clear();
  EXPECT_EQ(fetch(m, {t}), "* 3 FETCH (BODY[1.2.TEXT] \"\")\r\n");
}

TEST(ImapFetch, BareLfServedAsCrlf) {
  std::string lf = "From: a@b\nSubject: lf\n\nline one\nline two\n";
  Msg m(lf);
  EXPECT_EQ(m.info.size, lf.size() + 5);
  std::string crlf = "From: a@b\r\nSubject: lf\r\n\r\nline one\r\nline two\r\n";
  EXPECT_EQ(fetch(m, {section("", true)}),
            "* 3 FETCH (BODY[] {" + std::to_string(crlf.size()) + "}\r\n" + crlf + ")\r\n");
  EXPECT_EQ(fetch(m, {section("TEXT", true)}),
            "* 3 FETCH (BODY[TEXT] {20}\r\nline one\r\nline two\r\n)\r\n");
  // The cached header has bare LFs too: served as CRLF without the message.
  EXPECT_EQ(fetch(m, {section("HEADER", true)}),
            "* 3 FETCH (BODY[HEADER] {26}\r\nFrom: a@b\r\nSubject: lf\r\n\r\n)\r\n");
  EXPECT_EQ(m.loads, 2);
  // Partial ranges apply to the CRLF form.
  EXPECT_EQ(fetch(m, {partial(section("", true), 9, 4)}),
            "* 3 FETCH (BODY[]<9> {4}\r\n\r\nSu)\r\n");
}

TEST(ImapFetch, PartialEdges) {
  Msg m(kSimple);
  const std::size_t size = m.info.size;  // 157
  auto body = [&](std::uint32_t o, std::uint32_t c) {
    return fetch(m, {partial(section("", true), o, c)});
  };
  EXPECT_EQ(body(0, 4), "* 3 FETCH (BODY[]<0> {4}\r\nFrom)\r\n");
  // The last chunk is exactly the rest.
  EXPECT_EQ(body(static_cast<std::uint32_t>(size - 9), 100),
            "* 3 FETCH (BODY[]<148> {9}\r\nHi Bob.\r\n)\r\n");
  // Origin at or past the end: an empty string (../shared/CLIENTS.md).
  EXPECT_EQ(body(static_cast<std::uint32_t>(size), 100), "* 3 FETCH (BODY[]<157> \"\")\r\n");
  EXPECT_EQ(body(4000000000u, 100), "* 3 FETCH (BODY[]<4000000000> \"\")\r\n");
  EXPECT_EQ(body(3, 0), "* 3 FETCH (BODY[]<3> \"\")\r\n");
  EXPECT_EQ(fetch(m, {partial(section("TEXT", true), 3, 2)}),
            "* 3 FETCH (BODY[TEXT]<3> {2}\r\nBo)\r\n");
  EXPECT_EQ(fetch(m, {partial(section("HEADER.FIELDS (To)", true), 0, 5)}),
            "* 3 FETCH (BODY[HEADER.FIELDS (To)]<0> {5}\r\nTo: b)\r\n");
  EXPECT_EQ(fetch(m, {partial(section("9", true), 0, 5)}), "* 3 FETCH (BODY[9]<0> \"\")\r\n");
}

TEST(ImapFetch, Rfc822Items) {
  Msg m(kSimple);
  std::string s(kSimple);
  EXPECT_EQ(fetch(m, {item(Kind::rfc822), item(Kind::rfc822_text)}),
            "* 3 FETCH (RFC822 {157}\r\n" + s + " RFC822.TEXT {9}\r\nHi Bob.\r\n)\r\n");
}

// ---- BINARY ------------------------------------------------------------------------------

TEST(ImapFetch, BinaryDecodesAndUsesLiteral8ForNul) {
  Msg m(kMultipart);
  EXPECT_EQ(fetch(m, {section("1", true, Kind::binary), section("1", false, Kind::binary_size)}),
            "* 3 FETCH (BINARY[1] {5}\r\nCaf\xc3\xa9 BINARY.SIZE[1] 5)\r\n");
  EXPECT_EQ(fetch(m, {section("2", true, Kind::binary), section("2", true, Kind::binary_size)}),
            "* 3 FETCH (BINARY[2] ~{8}\r\n\0bin\0ary BINARY.SIZE[2] 8)\r\n"s);
  EXPECT_EQ(fetch(m, {partial(section("2", true, Kind::binary), 1, 3)}),
            "* 3 FETCH (BINARY[2]<1> {3}\r\nbin)\r\n");
  EXPECT_EQ(fetch(m, {partial(section("2", true, Kind::binary), 8, 3)}),
            "* 3 FETCH (BINARY[2]<8> \"\")\r\n");
  EXPECT_EQ(fetch(m, {section("7", true, Kind::binary), section("7", true, Kind::binary_size)}),
            "* 3 FETCH (BINARY[7] \"\" BINARY.SIZE[7] 0)\r\n");
  EXPECT_EQ(fetch(m, {section("", true, Kind::binary_size)}),
            "* 3 FETCH (BINARY.SIZE[] " + std::to_string(m.info.size) + ")\r\n");
}

TEST(ImapFetch, BinaryUnknownEncodingFails) {
  Msg m(kMultipart);
  FetchResult r = render_fetch(m.fm(), {item(Kind::uid), section("3", true, Kind::binary)});
  EXPECT_EQ(r.status, FetchResult::Status::unknown_cte);
  EXPECT_EQ(r.text, "");
  r = render_fetch(m.fm(), {section("3", true, Kind::binary_size)});
  EXPECT_EQ(r.status, FetchResult::Status::unknown_cte);
  // BODY[3] is fine: no decoding.
  EXPECT_EQ(fetch(m, {section("3", true)}), "* 3 FETCH (BODY[3] {11}\r\nbegin 644 x)\r\n");
}

TEST(ImapFetch, NulBytesCorpusMessage) {
  Msg m(read_corpus(std::filesystem::path(ESTAFETA_SOURCE_DIR) /
                    "tests/corpus/mime/32-nul-bytes.eml"));
  EXPECT_EQ(fetch(m, {section("1", true, Kind::binary)}),
            "* 3 FETCH (BINARY[1] ~{10}\r\nbin\0ary\0\r\n)\r\n"s);
  EXPECT_TRUE(fetch(m, {section("", true, Kind::binary)})
                  .starts_with("* 3 FETCH (BINARY[] ~{" + std::to_string(m.info.size) + "}\r\n"));
}

TEST(ImapFetch, LoadFailure) {
  Msg m(kSimple);
  FetchMessage f = m.fm();
  f.load = [](std::string&) { return std::make_error_code(std::errc::no_such_file_or_directory); };
  FetchResult r = render_fetch(f, {item(Kind::uid), section("TEXT")});
  EXPECT_EQ(r.status, FetchResult::Status::load_failed);
  EXPECT_EQ(r.error, std::make_error_code(std::errc::no_such_file_or_directory));
  EXPECT_TRUE(r.loaded);
  r = render_fetch(f, {item(Kind::uid), section("HEADER", true)});
  EXPECT_EQ(r.status, FetchResult::Status::ok);
  EXPECT_FALSE(r.loaded);
}

// ---- streaming ---------------------------------------------------------------------------

TEST(ImapFetch, StreamPlanMatchesRender) {
  Msg m(kSimple);
  struct Case {
    std::vector<FetchItem> items;
    FetchOptions o;
  };
  std::vector<Case> cases = {
      {{section("", true)}, {}},
      {{item(Kind::uid), section(""), item(Kind::envelope)}, {.uid_command = true, .modseq = true}},
      {{item(Kind::rfc822), item(Kind::flags)}, {}},
      {{partial(section("", true), 10, 20)}, {}},
      {{partial(section("", true), 150, 100)}, {}},
      {{partial(section("", true), 157, 100)}, {}},
      {{section("HEADER", true), partial(section("", true), 0, 1)}, {.add_flags = true}},
      {{section("TEXT", true)}, {}},
      {{item(Kind::rfc822_text), item(Kind::uid)}, {}},
      {{partial(section("TEXT", true), 2, 3)}, {}},
      {{partial(section("TEXT", true), 9, 3)}, {}},
      {{section("1", true), item(Kind::body_structure)}, {}},
  };
  for (const Case& c : cases) {
    std::optional<FetchStream> s = plan_fetch_stream(m.fm(), c.items, m.bytes.size(), c.o);
    ASSERT_TRUE(s);
    EXPECT_EQ(m.loads, 0);
    std::string streamed = s->before + m.bytes.substr(s->offset, s->length) + s->after;
    EXPECT_EQ(streamed, fetch(m, c.items, c.o));
    m.loads = 0;
  }
  // BINARY[]: always literal8 when streamed.
  std::optional<FetchStream> b =
      plan_fetch_stream(m.fm(), {section("", true, Kind::binary)}, m.bytes.size());
  ASSERT_TRUE(b);
  EXPECT_EQ(b->before, "* 3 FETCH (BINARY[] ~{157}\r\n");
  EXPECT_EQ(b->offset, 0u);
  EXPECT_EQ(b->length, 157u);
  EXPECT_EQ(b->after, ")\r\n");
}

TEST(ImapFetch, StreamPlanRefusals) {
  Msg m(kSimple);
  // Something else needs the bytes, two whole-message items, no whole-message item.
  EXPECT_FALSE(plan_fetch_stream(m.fm(), {section(""), section("TEXT")}, m.bytes.size()));
  EXPECT_FALSE(plan_fetch_stream(m.fm(), {section(""), item(Kind::rfc822)}, m.bytes.size()));
  EXPECT_FALSE(plan_fetch_stream(m.fm(), {item(Kind::flags)}, m.bytes.size()));
  EXPECT_FALSE(plan_fetch_stream(m.fm(), {section("1.MIME")}, m.bytes.size()));
  // BODY[1] of a multipart is a part whose place the cache does not know.
  Msg multi(kMultipart);
  EXPECT_FALSE(plan_fetch_stream(multi.fm(), {section("1")}, multi.bytes.size()));
  EXPECT_TRUE(plan_fetch_stream(multi.fm(), {section("TEXT")}, multi.bytes.size()));
  // Stored with bare LFs: the literal would not be the stored bytes.
  Msg lf("Subject: x\n\nbody\n");
  EXPECT_FALSE(plan_fetch_stream(lf.fm(), {section("")}, lf.bytes.size()));
  // An empty cache would need the message.
  Msg empty(kSimple);
  empty.cached = {};
  EXPECT_FALSE(
      plan_fetch_stream(empty.fm(), {section(""), item(Kind::envelope)}, empty.bytes.size()));
  EXPECT_EQ(empty.loads, 0);
}

// ---- the corpus --------------------------------------------------------------------------

// For every tricky message: the cached answers equal the ones computed from the message, the
// header sections from the cache equal those from the message, BODY[] is the CRLF form with
// RFC822.SIZE octets, and every part's BODY[n] equals the MIME library's section.
TEST(ImapFetch, CorpusCacheAgreesWithMessage) {
  std::filesystem::path dir = std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/corpus/mime";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".eml") continue;
    ++files;
    SCOPED_TRACE(e.path().filename().string());
    Msg cached(read_corpus(e.path()));
    Msg uncached(cached.bytes);
    uncached.cached = {};
    std::vector<FetchItem> items = {item(Kind::envelope),
                                    item(Kind::body_structure),
                                    item(Kind::body),
                                    section("HEADER", true),
                                    section("HEADER.FIELDS (From To Subject Content-Type)", true),
                                    section("HEADER.FIELDS.NOT (Subject Received)", true),
                                    item(Kind::rfc822_header)};
    EXPECT_EQ(fetch(cached, items), fetch(uncached, items));
    mime::Message m = mime::parse(cached.bytes);
    // Streamed answers equal rendered ones (messages without NUL, which only rendering
    // rewrites; BINARY[] differs in its literal8 only, tested above).
    if (cached.bytes.find('\0') == std::string::npos) {
      for (const FetchItem& it : {section("", true), section("TEXT", true), section("1", true),
                                  partial(section("TEXT", true), 5, 40), item(Kind::rfc822_text),
                                  partial(section("1", true), 0, 10)}) {
        auto plan = plan_fetch_stream(cached.fm(), {it, item(Kind::uid)}, cached.bytes.size());
        if (!plan) continue;
        EXPECT_EQ(plan->before + cached.bytes.substr(plan->offset, plan->length) + plan->after,
                  fetch(cached, {it, item(Kind::uid)}))
            << it.section_text;
      }
    }
    std::string whole = fetch(cached, {section("", true)});
    EXPECT_NE(whole.find("{" + std::to_string(cached.info.size) + "}\r\n"), std::string::npos);
    for (std::uint32_t n = 1; n <= 4; ++n) {
      std::string sec = std::to_string(n);
      auto spec = mime::parse_section(sec);
      auto bytes = mime::fetch_section(m, *spec);
      std::string data = bytes ? bytes->crlf_str() : "";
      std::replace(data.begin(), data.end(), '\0', '\x80');  // NUL is sent as 0x80
      std::string want = data.empty() ? "\"\"" : "{" + std::to_string(data.size()) + "}\r\n" + data;
      EXPECT_EQ(fetch(cached, {section(sec, true)}),
                "* 3 FETCH (BODY[" + sec + "] " + want + ")\r\n");
    }
  }
  EXPECT_GE(files, 40);
}

// Every section path up to three numbers deep, with every section text, partial and BINARY
// form, on every corpus message: no crash (ASan/UBSan), and every literal holds the octets its
// size announces.
TEST(ImapFetch, CorpusEverySectionRenders) {
  std::filesystem::path dir = std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/corpus/mime";
  std::vector<std::string> paths = {""};
  for (int a = 1; a <= 3; ++a) {
    paths.push_back(std::to_string(a));
    for (int b = 1; b <= 3; ++b) {
      paths.push_back(std::to_string(a) + "." + std::to_string(b));
      for (int c = 1; c <= 2; ++c)
        paths.push_back(std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c));
    }
  }
  int rendered = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".eml") continue;
    SCOPED_TRACE(e.path().filename().string());
    Msg m(read_corpus(e.path()));
    for (const std::string& p : paths) {
      std::vector<std::string> texts = {p};
      for (const char* t : {"HEADER", "TEXT", "MIME", "HEADER.FIELDS (Subject From)",
                            "HEADER.FIELDS.NOT (Subject)"}) {
        if (p.empty() && std::string_view(t) == "MIME") continue;
        texts.push_back(p.empty() ? t : p + "." + t);
      }
      std::vector<FetchItem> items;
      for (const std::string& t : texts) {
        items.push_back(section(t, true));
        items.push_back(partial(section(t, true), 3, 17));
      }
      items.push_back(section(p, true, Kind::binary));
      items.push_back(partial(section(p, true, Kind::binary), 1, 5));
      items.push_back(section(p, true, Kind::binary_size));
      for (const FetchItem& it : items) {
        FetchResult r = render_fetch(m.fm(), {it});
        if (r.status != FetchResult::Status::ok) continue;
        ++rendered;
        // Walk the literals: each "{n}\r\n" or "~{n}\r\n" is followed by n octets.
        std::string_view t = r.text;
        ASSERT_TRUE(t.starts_with("* 3 FETCH (")) << t;
        ASSERT_TRUE(t.ends_with(")\r\n")) << t;
        std::size_t pos = 0;
        while ((pos = t.find("}\r\n", pos)) != std::string_view::npos) {
          std::size_t open = t.rfind('{', pos);
          std::size_t n = std::stoul(std::string(t.substr(open + 1, pos - open - 1)));
          pos += 3 + n;
          ASSERT_LE(pos + 3, t.size()) << t;
        }
      }
    }
  }
  EXPECT_GT(rendered, 10000);
}

// ---- against Dovecot ---------------------------------------------------------------------

// One record of tests/corpus/imap_fetch/*.dovecot (written by make_goldens.py there).
struct DovecotRecord {
  std::string item, status, response;
};

std::vector<DovecotRecord> read_dovecot(const std::string& data) {
  std::vector<DovecotRecord> out;
  std::size_t pos = 0;
  auto field = [&](std::string_view name, bool sized, std::string& value) {
    std::size_t eol = data.find('\n', pos);
    if (eol == std::string::npos) return false;
    std::string_view line(data.data() + pos, eol - pos);
    if (!line.starts_with(name)) return false;
    std::string_view rest = line.substr(name.size() + 1);
    pos = eol + 1;
    if (!sized) {
      value = std::string(rest);
      return true;
    }
    std::size_t n = std::stoul(std::string(rest));
    value = data.substr(pos, n);
    pos += n + 1;
    return true;
  };
  while (pos < data.size()) {
    DovecotRecord r;
    if (!field("item", true, r.item) || !field("status", false, r.status) ||
        !field("response", true, r.response))
      break;
    out.push_back(std::move(r));
  }
  return out;
}

// The FetchItem of an item as make_goldens.py sends it; section text upper-cased as
// Dovecot echoes it.
FetchItem parse_item(std::string_view text) {
  FetchItem it;
  std::size_t open = text.find('[');
  if (open == std::string_view::npos) {
    if (text == "RFC822.SIZE") return item(Kind::rfc822_size);
    if (text == "RFC822.HEADER") return item(Kind::rfc822_header);
    if (text == "BODYSTRUCTURE") return item(Kind::body_structure);
    if (text == "ENVELOPE") return item(Kind::envelope);
    return item(Kind::body);
  }
  std::string_view name = text.substr(0, open);
  std::size_t close = text.find(']');
  std::string sec(text.substr(open + 1, close - open - 1));
  for (char& c : sec) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Kind k = name == "BINARY.SIZE"        ? Kind::binary_size
           : name.starts_with("BINARY") ? Kind::binary
                                        : Kind::body_section;
  it = section(sec, name.ends_with(".PEEK"), k);
  std::string_view rest = text.substr(close + 1);
  if (rest.starts_with("<")) {
    std::size_t dot = rest.find('.');
    it.partial_origin =
        static_cast<std::uint32_t>(std::stoul(std::string(rest.substr(1, dot - 1))));
    it.partial_count = static_cast<std::uint32_t>(std::stoul(std::string(rest.substr(dot + 1))));
  }
  return it;
}

// A response with every string (quoted, literal, literal8) written one way, so that "" and
// {0}, "a" and {1}\r\na compare equal.
std::string canonical(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  auto emit = [&](std::string_view v) {
    out.append("<" + std::to_string(v.size()) + ":");
    out.append(v);
    out.push_back('>');
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      std::string v;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        v.push_back(s[i++]);
      }
      ++i;
      emit(v);
      continue;
    }
    std::size_t j = i + (c == '~' ? 1 : 0);
    if (j < s.size() && s[j] == '{') {
      std::size_t end = s.find("}\r\n", j);
      if (end != std::string_view::npos) {
        std::size_t n = std::stoul(std::string(s.substr(j + 1, end - j - 1)));
        emit(s.substr(end + 3, n));
        i = end + 3 + n;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

// Where we answer differently from Dovecot 2.3 on purpose (message, item) -> why.
const std::map<std::pair<std::string, std::string>, std::string> kDovecotKnown = {
    // As in tests/mime/test_mime_dovecot.py: RFC 5322 §4.4 null list members ignored.
    {{"12-obsolete-syntax", "ENVELOPE"}, "null list members ignored (RFC 5322 §4.4)"},
    // RFC 9051 §7.5.2, RFC 6532 §3.7: message/global is a message (Dovecot: opaque).
    {{"22-message-global", "BODY"}, "message/global is a message"},
    {{"22-message-global", "BODYSTRUCTURE"}, "message/global is a message"},
    {{"22-message-global", "BODY.PEEK[1.HEADER]"}, "message/global is a message"},
    {{"22-message-global", "BODY.PEEK[1.TEXT]"}, "message/global is a message"},
    // RFC 2045 §5.2: an invalid Content-Type is text/plain.
    {{"36-invalid-content-type", "BODY"}, "invalid Content-Type is text/plain"},
    {{"36-invalid-content-type", "BODYSTRUCTURE"}, "invalid Content-Type is text/plain"},
    {{"22-message-global", "BINARY.PEEK[1.1]"}, "message/global is a message"},
    {{"22-message-global", "BODY.PEEK[1.1]"}, "message/global is a message"},
    // RFC 3516 §4.1 defines BINARY for leaf parts. For a multipart Dovecot decodes every
    // nested part and rewrites their headers; we serve the multipart's bytes.
    {{"03-nested-mixed-related", "BINARY.PEEK[1]"}, "BINARY of a multipart"},
    {{"03-nested-mixed-related", "BINARY.SIZE[1]"}, "BINARY of a multipart"},
    // Broken quoted-printable / base64: decoded tolerantly as the MIME library does for
    // readers (RFC 2045 §6.7 note 2, §6.8); Dovecot refuses with [UNKNOWN-CTE].
    {{"19-qp-edge", "BINARY.PEEK[1]"}, "tolerant QP"},
    {{"19-qp-edge", "BINARY.PEEK[1]<1.4>"}, "tolerant QP"},
    {{"19-qp-edge", "BINARY.SIZE[1]"}, "tolerant QP"},
    {{"20-base64-broken", "BINARY.PEEK[1]"}, "tolerant base64"},
    {{"20-base64-broken", "BINARY.PEEK[1]<1.4>"}, "tolerant base64"},
    {{"20-base64-broken", "BINARY.SIZE[1]"}, "tolerant base64"},
    // "7bit trailing-garbage" is 7bit, as BODYSTRUCTURE says; Dovecot: [UNKNOWN-CTE]. Dovecot
    // also fails BINARY.SIZE of the other parts because of it (it sizes the whole message).
    {{"34-imap-extension-data", "BINARY.PEEK[3]"}, "encoding token with trailing garbage"},
    {{"34-imap-extension-data", "BINARY.SIZE[3]"}, "encoding token with trailing garbage"},
    {{"34-imap-extension-data", "BINARY.SIZE[1]"}, "Dovecot fails on another part"},
    {{"34-imap-extension-data", "BINARY.SIZE[2]"}, "Dovecot fails on another part"},
    // Not MIME (no MIME-Version, no Content-Type): Content-Transfer-Encoding is ignored
    // (RFC 2045 §4), as BODYSTRUCTURE says "7bit"; Dovecot's BINARY still decodes it.
    {{"39-not-mime", "BINARY.PEEK[1]"}, "not MIME"},
    {{"39-not-mime", "BINARY.PEEK[1]<1.4>"}, "not MIME"},
    {{"39-not-mime", "BINARY.SIZE[1]"}, "not MIME"},
    // A header line without a colon is not a field (RFC 5322 §2.2); Dovecot keeps it.
    {{"27-nonheader-line", "BODY.PEEK[HEADER.FIELDS.NOT (From Subject)]"}, "line without colon"},
};

// Every corpus message, every item of make_goldens.py: our answer equals Dovecot's (strings
// compared as values), with the cache in use as the server will use it.
TEST(ImapFetchDovecot, CorpusMatchesDovecot) {
  std::filesystem::path dir = std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/corpus";
  int compared = 0;
  std::string report;
  for (const auto& e : std::filesystem::directory_iterator(dir / "imap_fetch")) {
    if (e.path().extension() != ".dovecot") continue;
    std::string stem = e.path().stem().string();
    Msg m(read_corpus(dir / "mime" / (stem + ".eml")));
    m.info.flags.system = store::kSeen;
    for (const DovecotRecord& r : read_dovecot(read_corpus(e.path()))) {
      if (kDovecotKnown.count({stem, r.item})) continue;
      ++compared;
      FetchResult ours = render_fetch(m.fm(1), {parse_item(r.item)});
      std::string want_status = ours.status == FetchResult::Status::ok ? "OK" : "NO";
      if (want_status != r.status || canonical(ours.text) != canonical(r.response))
        report += stem + " " + r.item + "\n  dovecot " + r.status + " " + r.response +
                  "\n  ours    " + want_status + " " + ours.text + "\n";
    }
  }
  EXPECT_GE(compared, 1000);
  EXPECT_EQ(report, "");
}

// RFC 8970: PREVIEW from the cached preview, with or without LAZY, never loading the message;
// "" without text; UTF-8 quoted only when the client accepts UTF-8.
TEST(ImapFetch, PreviewFromTheCache) {
  Msg m(kSimple);
  m.cached.preview = "Hello there";
  FetchItem lazy = item(Kind::preview);
  lazy.peek = true;
  EXPECT_FALSE(fetch_needs_message({item(Kind::preview)}));
  EXPECT_EQ(fetch(m, {item(Kind::preview)}), "* 3 FETCH (PREVIEW \"Hello there\")\r\n");
  EXPECT_EQ(fetch(m, {lazy, item(Kind::preview)}), "* 3 FETCH (PREVIEW \"Hello there\")\r\n");
  m.cached.preview = "";
  EXPECT_EQ(fetch(m, {item(Kind::preview)}), "* 3 FETCH (PREVIEW \"\")\r\n");
  m.cached.preview = "Caf\xC3\xA9 \"ouvert\"";
  EXPECT_EQ(fetch(m, {item(Kind::preview)}),
            "* 3 FETCH (PREVIEW {14}\r\nCaf\xC3\xA9 \"ouvert\")\r\n");
  EXPECT_EQ(fetch(m, {item(Kind::preview)}, {.utf8 = true}),
            "* 3 FETCH (PREVIEW \"Caf\xC3\xA9 \\\"ouvert\\\"\")\r\n");
  EXPECT_EQ(m.loads, 0);
}

}  // namespace
}  // namespace estafeta::imap
