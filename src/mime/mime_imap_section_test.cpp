// Tests of mime_imap_section: section parsing, part numbering, partial fetch, BINARY.
#include "mime/mime_imap_section.hpp"

#include <gtest/gtest.h>

#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

const char kMsg[] =
    "From: a@b\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n"
    "--X\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
    "--X\r\nContent-Type: message/rfc822\r\n\r\n"
    "Subject: inner\r\nContent-Type: multipart/alternative; boundary=Y\r\n\r\n"
    "--Y\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
    "--Y\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nh=C3=A9\r\n--Y--\r\n"
    "--X\r\nContent-Type: message/rfc822\r\n\r\nSubject: leaf\r\n\r\nleafbody\r\n"
    "--X\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n"
    "--X--\r\n";

std::string get(const Message& m, std::string_view section) {
  auto spec = parse_section(section);
  if (!spec) return "<BAD>";
  auto bytes = fetch_section(m, *spec);
  if (!bytes) return "<NONE>";
  return bytes->str();
}

TEST(ImapSection, Parse) {
  auto s = parse_section("1.2.HEADER.FIELDS.NOT (From \"To\" x-y)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->path, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(s->text, SectionSpec::Text::header_fields_not);
  EXPECT_EQ(s->fields, (std::vector<std::string>{"From", "To", "x-y"}));
  EXPECT_FALSE(parse_section("MIME"));
  EXPECT_FALSE(parse_section("0"));
  EXPECT_FALSE(parse_section("1."));
  EXPECT_FALSE(parse_section("1..2"));
  EXPECT_FALSE(parse_section("HEADER.FIELDS ()"));
  EXPECT_FALSE(parse_section("HEADER.FIELDS"));
  EXPECT_FALSE(parse_section("99999999999"));
  EXPECT_FALSE(parse_section("FOO"));
  EXPECT_TRUE(parse_section("text"));
  EXPECT_TRUE(parse_section(""));
}

TEST(ImapSection, Sections) {
  Message m = parse(kMsg);
  EXPECT_EQ(get(m, ""), kMsg);
  EXPECT_EQ(get(m, "HEADER"),
            "From: a@b\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n");
  EXPECT_EQ(get(m, "HEADER.FIELDS (subject FROM)"), "From: a@b\r\nSubject: s\r\n\r\n");
  EXPECT_EQ(get(m, "HEADER.FIELDS.NOT (subject content-type)"), "From: a@b\r\n\r\n");
  EXPECT_EQ(get(m, "HEADER.FIELDS (X-None)"), "\r\n");
  EXPECT_EQ(get(m, "1"), "first");
  EXPECT_EQ(get(m, "1.MIME"), "Content-Type: text/plain\r\n\r\n");
  EXPECT_EQ(get(m, "1.HEADER"), "<NONE>");
  EXPECT_EQ(get(m, "2.HEADER"),
            "Subject: inner\r\nContent-Type: multipart/alternative; boundary=Y\r\n\r\n");
  EXPECT_EQ(get(m, "2.HEADER.FIELDS (Subject)"), "Subject: inner\r\n\r\n");
  EXPECT_EQ(get(m, "2.1"), "aGVsbG8=");
  EXPECT_EQ(get(m, "2.1.MIME"), "Content-Transfer-Encoding: base64\r\n\r\n");
  EXPECT_EQ(get(m, "2.2"), "h=C3=A9");
  EXPECT_EQ(get(m, "2.3"), "<NONE>");
  EXPECT_EQ(get(m, "3.TEXT"), "leafbody");
  EXPECT_EQ(get(m, "3.1"), "leafbody");
  EXPECT_EQ(get(m, "3.1.MIME"), "Subject: leaf\r\n\r\n");
  EXPECT_EQ(get(m, "3.2"), "<NONE>");
  EXPECT_EQ(get(m, "5"), "<NONE>");
  EXPECT_EQ(get(m, "1.1"), "first");
  EXPECT_EQ(get(m, "1.2"), "<NONE>");
}

TEST(ImapSection, NonMultipartPartOne) {
  Message m = parse("Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(get(m, "1"), "body\r\n");
  EXPECT_EQ(get(m, "1.MIME"), "Subject: x\r\n\r\n");
  EXPECT_EQ(get(m, "TEXT"), "body\r\n");
  EXPECT_EQ(get(m, "2"), "<NONE>");
}

// RFC 3501 §6.4.5 / RFC 9051 §6.4.5: a non-multipart part takes one "1" as itself; only a
// message/rfc822 part has sub-parts beyond it. Dovecot answers "" for the others.
TEST(ImapSection, NonMultipartHasNoSubParts) {
  Message m = parse("Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(get(m, "1.1"), "<NONE>");
  EXPECT_EQ(get(m, "1.1.1"), "<NONE>");
  EXPECT_EQ(get(m, "1.1.MIME"), "<NONE>");
  EXPECT_EQ(resolve_part(m, {1, 1}), kNoPart);
  EXPECT_EQ(fetch_binary(m, {1, 1}).status, BinaryResult::Status::no_such_part);
  EXPECT_EQ(binary_size(m, {1, 1}), std::nullopt);
  Message mp = parse(kMsg);
  EXPECT_EQ(get(mp, "1.1.1"), "<NONE>");  // "1.1" is part 1 itself (ImapSection.Sections)
  EXPECT_EQ(get(mp, "4.1"), "begin");
  EXPECT_EQ(get(mp, "4.1.1"), "<NONE>");
  // A message/rfc822 part: the next number enters its message, whose body is "1".
  EXPECT_EQ(get(mp, "3.1.1"), "<NONE>");
  EXPECT_EQ(get(mp, "2.1.1"), "aGVsbG8=");  // a leaf of the embedded multipart: one "1"
  EXPECT_EQ(get(mp, "2.1.1.1"), "<NONE>");
  // A message that is itself message/rfc822: "1" is its body, "1.1" the embedded body.
  Message r = parse("Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner\r\n");
  EXPECT_EQ(get(r, "1"), "Subject: in\r\n\r\ninner\r\n");
  EXPECT_EQ(get(r, "1.1"), "inner\r\n");
  EXPECT_EQ(get(r, "1.1.1"), "<NONE>");
  EXPECT_EQ(get(r, "1.2"), "<NONE>");
}

// A part that ends right after its header at a boundary: the line break before the boundary
// line belongs to the boundary (RFC 2046 §5.1.1), not to the header (Dovecot serves it so).
TEST(ImapSection, MimeHeaderLeavesBoundaryLineBreak) {
  Message m = parse(
      "Content-Type: multipart/mixed; boundary=e\r\n\r\n"
      "--e\r\n--e\r\n\r\n--e\r\nContent-Type: message/rfc822\r\n\r\n--e\r\n"
      "Content-Type: message/rfc822\r\n\r\nSubject: a\r\n\r\n--e\r\n"
      "Content-Type: text/plain\r\n\r\nx\r\n--e--\r\n");
  EXPECT_EQ(get(m, "1.MIME"), "");
  EXPECT_EQ(get(m, "2.MIME"), "");
  EXPECT_EQ(get(m, "3.MIME"), "Content-Type: message/rfc822\r\n");
  EXPECT_EQ(get(m, "4.MIME"), "Content-Type: message/rfc822\r\n\r\n");
  EXPECT_EQ(get(m, "4.HEADER"), "Subject: a\r\n");
  EXPECT_EQ(get(m, "4.HEADER.FIELDS (Subject)"), "Subject: a\r\n\r\n");
  EXPECT_EQ(get(m, "4.HEADER.FIELDS (X)"), "");
  EXPECT_EQ(get(m, "5.MIME"), "Content-Type: text/plain\r\n\r\n");
  Message lf = parse("Content-Type: multipart/mixed; boundary=e\n\n--e\nA: b\n\n--e--\n");
  EXPECT_EQ(get(lf, "1.MIME"), "A: b\n");
  // The header of the message itself, or one ending the data, keeps its empty line.
  Message eof = parse("Content-Type: multipart/mixed; boundary=e\r\n\r\n--e\r\nA: b\r\n\r\n");
  EXPECT_EQ(get(eof, "1.MIME"), "A: b\r\n\r\n");
}

// HEADER.FIELDS of a header cut short (RFC 9051 §6.4.5): every chosen field ends in CRLF and
// the empty line follows; nothing chosen from a header without its empty line is "" (Dovecot).
TEST(ImapSection, HeaderFieldsOfCutHeader) {
  Message m = parse("From: a@b\r\nSubject: cut");
  EXPECT_EQ(get(m, "HEADER.FIELDS (Subject)"), "Subject: cut\r\n\r\n");
  EXPECT_EQ(get(m, "HEADER.FIELDS (From Subject)"), "From: a@b\r\nSubject: cut\r\n\r\n");
  EXPECT_EQ(get(m, "HEADER.FIELDS (From)"), "From: a@b\r\n\r\n");
  EXPECT_EQ(get(m, "HEADER.FIELDS.NOT (From Subject)"), "");
  EXPECT_EQ(get(m, "HEADER.FIELDS (X)"), "");
  Message cr = parse("From: a@b\rSubject: old\r");  // CR-only lines: one field
  EXPECT_EQ(get(cr, "HEADER.FIELDS (From)"), "From: a@b\rSubject: old\r\r\n\r\n");
  // An embedded header cut by a boundary.
  Message e = parse(
      "Content-Type: multipart/mixed; boundary=h\r\n\r\n--h\r\n"
      "Content-Type: message/rfc822\r\n\r\nFrom: i@x\r\nSubject: short\n--h--\r\n");
  EXPECT_EQ(get(e, "1.HEADER.FIELDS (Subject)"), "Subject: short\r\n\r\n");
  EXPECT_EQ(get(e, "1.HEADER.FIELDS.NOT (Subject)"), "From: i@x\r\n\r\n");
  // A complete header: nothing chosen is the empty line alone.
  EXPECT_EQ(get(parse(kMsg), "HEADER.FIELDS (X-None)"), "\r\n");
  // A header block on its own (a cached header) is served the same way.
  auto spec = parse_section("HEADER.FIELDS (Subject)");
  EXPECT_EQ(header_fields_of("From: a@b\r\nSubject: cut", *spec).str(), "Subject: cut\r\n\r\n");
  EXPECT_EQ(header_fields_of("From: a@b\r\n", *spec).str(), "");
  EXPECT_EQ(header_fields_of("From: a@b\r\n\r\n", *spec).str(), "\r\n");
}

TEST(ImapSection, Partial) {
  Message m = parse(kMsg);
  auto spec = parse_section("HEADER.FIELDS (From Subject)");
  auto b = fetch_section(m, *spec);
  ASSERT_TRUE(b);
  std::string all = b->str();
  for (std::size_t o = 0; o <= all.size() + 1; ++o)
    for (std::size_t n = 0; n <= all.size() + 1; n += 3)
      ASSERT_EQ(b->slice(o, n).str(), o >= all.size() ? "" : all.substr(o, n));
}

// Line ends split across pieces: a CR at the end of one piece pairs with the LF that
// starts the next (an empty piece between them changes nothing).
TEST(ImapSection, CrlfAcrossPieces) {
  SectionBytes b;
  b.pieces = {"a\r", "\nb\n", "", "\nc", "\r", "", "\n"};
  EXPECT_EQ(b.crlf_str(), "a\r\nb\r\n\r\nc\r\n");
  EXPECT_EQ(b.crlf_size(), b.crlf_str().size());
  SectionBytes none;
  EXPECT_EQ(none.crlf_str(), "");
  EXPECT_EQ(none.crlf_size(), 0u);
}

TEST(ImapSection, BareLfServedAsCrlf) {
  Message m =
      parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nline1\nline2\r\n\n--b--\n");
  auto b = fetch_section(m, *parse_section("1"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->str(), "line1\nline2\r\n");
  EXPECT_EQ(b->crlf_str(), "line1\r\nline2\r\n");
  EXPECT_EQ(b->crlf_size(), m.parts[1].body.imap_size());  // what BODYSTRUCTURE reports
  auto h = fetch_section(m, *parse_section("HEADER"));
  EXPECT_EQ(h->crlf_size(), m.root().header.imap_size());
}

TEST(ImapSection, Binary) {
  Message m = parse(kMsg);
  EXPECT_EQ(fetch_binary(m, {2, 1}).data, "hello");
  EXPECT_EQ(fetch_binary(m, {2, 2}).data, "h\xc3\xa9");
  EXPECT_EQ(fetch_binary(m, {1}).data, "first");
  EXPECT_EQ(fetch_binary(m, {4}).status, BinaryResult::Status::unknown_cte);
  EXPECT_EQ(fetch_binary(m, {9}).status, BinaryResult::Status::no_such_part);
  EXPECT_EQ(binary_size(m, {2, 1}), 5u);
  EXPECT_EQ(binary_size(m, {2, 2}), 3u);
  EXPECT_EQ(binary_size(m, {4}), std::nullopt);
  EXPECT_EQ(binary_size(m, {}), sizeof(kMsg) - 1);
}

}  // namespace
}  // namespace estafeta::mime
