// Tests of mime_parser: offsets, line counts, multipart trees, repairs and limits.
#include "mime/mime_parser.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace estafeta::mime {
namespace {

std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n')
      out += "\r\n";
    else
      out.push_back(c);
  }
  return out;
}

TEST(MimeParser, SimpleMessageOffsets) {
  std::string msg = crlf("From: a@b\nSubject: hi\n\nbody\nline2\n");
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 1u);
  const Part& p = m.root();
  EXPECT_EQ(p.header.offset, 0u);
  EXPECT_EQ(m.header_bytes(p), "From: a@b\r\nSubject: hi\r\n\r\n");
  EXPECT_EQ(p.header.lines, 3u);
  EXPECT_EQ(m.body_bytes(p), "body\r\nline2\r\n");
  EXPECT_EQ(p.body.lines, 2u);
  EXPECT_EQ(p.body.bare_lfs, 0u);
  ASSERT_EQ(m.fields.size(), 2u);
  EXPECT_EQ(m.fields[0].name, "From");
  EXPECT_EQ(m.fields[0].value, "a@b");
  EXPECT_EQ(m.fields[1].raw, "Subject: hi\r\n");
  EXPECT_TRUE(p.has(kPartText));
  EXPECT_FALSE(p.has(kPartHasContentType));
}

TEST(MimeParser, FoldedAndObsoleteFields) {
  std::string msg = "Subject : one\r\n two\r\n\tthree\r\nX:\r\n y\r\nnot a header\r\n\r\nb";
  Message m = parse(msg);
  ASSERT_EQ(m.fields.size(), 2u);
  EXPECT_EQ(m.fields[0].name, "Subject");
  EXPECT_EQ(m.fields[0].value, "one\r\n two\r\n\tthree");
  EXPECT_EQ(m.fields[0].raw, "Subject : one\r\n two\r\n\tthree\r\n");
  EXPECT_EQ(m.fields[1].value, "\r\n y");
  EXPECT_EQ(m.body_bytes(m.root()), "b");
  EXPECT_EQ(m.root().body.lines, 0u);
}

TEST(MimeParser, BareLfCounted) {
  std::string msg = "A: b\n\nx\ny\r\n";
  Message m = parse(msg);
  EXPECT_EQ(m.root().header.bare_lfs, 2u);
  EXPECT_EQ(m.root().body.lines, 2u);
  EXPECT_EQ(m.root().body.bare_lfs, 1u);
  EXPECT_EQ(m.root().body.imap_size(), 6u);
}

TEST(MimeParser, HeaderOnlyNoBlankLine) {
  Message m = parse("A: b\r\nC: d");
  EXPECT_TRUE(m.root().has(kPartNoBlankLine));
  EXPECT_EQ(m.root().header.size, 10u);
  EXPECT_EQ(m.root().body.size, 0u);
  EXPECT_EQ(m.fields.size(), 2u);
}

const char kMultipart[] =
    "From: a@b\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n"
    "\n"
    "preamble\n"
    "--XX\n"
    "Content-Type: text/plain\n"
    "\n"
    "hello\n"
    "\n"
    "--XX\n"
    "\n"
    "second\n"
    "--XX--\n"
    "epilogue\n";

TEST(MimeParser, Multipart) {
  std::string msg = crlf(kMultipart);
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 3u);
  const Part& root = m.root();
  EXPECT_EQ(root.kind, PartKind::multipart);
  EXPECT_EQ(root.child_count, 2u);
  EXPECT_FALSE(root.has(kPartMissingCloseBoundary));
  EXPECT_EQ(root.body.end(), msg.size());
  const Part& a = m.parts[root.first_child];
  EXPECT_EQ(m.header_bytes(a), "Content-Type: text/plain\r\n\r\n");
  EXPECT_EQ(m.body_bytes(a), "hello\r\n");
  EXPECT_EQ(a.body.lines, 1u);
  const Part& b = m.parts[a.next_sibling];
  EXPECT_EQ(m.header_bytes(b), "\r\n");
  EXPECT_EQ(m.body_bytes(b), "second");
  EXPECT_EQ(b.body.lines, 0u);
  EXPECT_EQ(b.next_sibling, kNoPart);
  EXPECT_EQ(m.child(0, 2), root.first_child + 1);
}

TEST(MimeParser, DovecotLineCountsWithLf) {
  // Dovecot's test message: "7bit" 17 1 for the text part (LF counted as CRLF in size).
  std::string msg =
      "From: user@domain.org\n"
      "Date: Sat, 24 Mar 2017 23:00:00 +0200\n"
      "Mime-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"foo bar\"\n"
      "\n"
      "--foo bar\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "See attached...\n"
      "\n"
      "--foo bar\n"
      "Content-Type: message/rfc822\n"
      "\n"
      "From: user@domain.org\n"
      "Date: Sat, 24 Mar 2017 23:00:00 +0200\n"
      "Mime-Version: 1.0\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "body\n"
      "\n"
      "--foo bar--\n"
      "\n";
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 4u);
  EXPECT_EQ(m.parts[1].body.imap_size(), 17u);
  EXPECT_EQ(m.parts[1].body.lines, 1u);
  EXPECT_EQ(m.parts[2].kind, PartKind::message);
  EXPECT_EQ(m.parts[2].body.imap_size(), 133u);
  EXPECT_EQ(m.parts[2].body.lines, 6u);
  EXPECT_TRUE(m.parts[3].has(kPartEmbedded));
  EXPECT_EQ(m.parts[3].body.imap_size(), 6u);
  EXPECT_EQ(m.parts[3].body.lines, 1u);
}

TEST(MimeParser, MissingCloseBoundaryAndNested) {
  std::string msg = crlf(
      "Content-Type: multipart/mixed; boundary=outer\n\n"
      "--outer\n"
      "Content-Type: multipart/alternative; boundary=inner\n\n"
      "--inner\n\nA\n"
      "--inner\n\nB\n"
      "--outer\n\nC\n");
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 5u);
  const Part& inner = m.parts[1];
  EXPECT_EQ(inner.kind, PartKind::multipart);
  EXPECT_TRUE(inner.has(kPartMissingCloseBoundary));
  EXPECT_EQ(inner.child_count, 2u);
  EXPECT_EQ(m.body_bytes(m.parts[3]), "B");
  EXPECT_EQ(m.body_bytes(m.parts[4]), "C\r\n");
  EXPECT_TRUE(m.root().has(kPartMissingCloseBoundary));
}

TEST(MimeParser, BoundaryEndsHeader) {
  std::string msg = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nX: y\n--b--\n");
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 2u);
  EXPECT_EQ(m.header_bytes(m.parts[1]), "X: y");
  EXPECT_TRUE(m.parts[1].has(kPartNoBlankLine));
  EXPECT_EQ(m.parts[1].body.size, 0u);
  EXPECT_EQ(m.parts[1].field_count, 1u);
}

TEST(MimeParser, PrefixBoundaryMatchesLikeDovecot) {
  std::string msg =
      crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--bogus\n\ny\n--b--\n");
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 3u);
  EXPECT_EQ(m.body_bytes(m.parts[1]), "x");
}

TEST(MimeParser, ExactBoundaryWinsOverPrefix) {
  std::string msg = crlf(
      "Content-Type: multipart/mixed; boundary=ab\n\n--ab\n"
      "Content-Type: multipart/mixed; boundary=a\n\n--a\n\nin\n--ab--\n--a--\n");
  Message m = parse(msg);
  // "--ab--" closes the outer multipart although it also starts with the inner "--a".
  ASSERT_EQ(m.parts.size(), 3u);
  EXPECT_EQ(m.body_bytes(m.parts[2]), "in");
  EXPECT_FALSE(m.root().has(kPartMissingCloseBoundary));
}

TEST(MimeParser, MultipartWithoutBoundary) {
  Message m = parse("Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n");
  ASSERT_EQ(m.parts.size(), 1u);
  EXPECT_EQ(m.root().kind, PartKind::multipart);
  EXPECT_TRUE(m.root().has(kPartMissingBoundary));
  EXPECT_EQ(m.root().child_count, 0u);
}

TEST(MimeParser, DigestDefaultsToMessage) {
  std::string msg = crlf(
      "Content-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: x@y\nSubject: "
      "s\n\nbody\n--d--\n");
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 3u);
  EXPECT_EQ(m.parts[1].kind, PartKind::message);
  EXPECT_FALSE(m.parts[1].has(kPartText));
  EXPECT_EQ(m.fields_of(m.parts[2]).size(), 2u);
}

TEST(MimeParser, DepthLimit) {
  std::string msg;
  for (int i = 0; i < 50; ++i) msg += "Content-Type: message/rfc822\r\n\r\n";
  msg += "Subject: deep\r\n\r\nx";
  Limits lim;
  lim.max_depth = 10;
  Message m = parse(msg, lim);
  EXPECT_EQ(m.parts.size(), 10u);
  EXPECT_TRUE(m.limits_hit);
  EXPECT_TRUE(m.parts.back().has(kPartTruncated));
  Message full = parse(msg);
  EXPECT_EQ(full.parts.size(), 51u);
  EXPECT_EQ(full.parts.back().kind, PartKind::leaf);
}

TEST(MimeParser, PartLimit) {
  std::string msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 100; ++i) msg += "--b\r\n\r\npart\r\n";
  msg += "--b--\r\n";
  Limits lim;
  lim.max_parts = 20;
  Message m = parse(msg, lim);
  EXPECT_EQ(m.parts.size(), 20u);
  EXPECT_TRUE(m.limits_hit);
  EXPECT_FALSE(m.root().has(kPartMissingCloseBoundary));
}

TEST(MimeParser, HeaderFieldLimit) {
  std::string msg;
  for (int i = 0; i < 30; ++i) msg += "X-A: b\r\n";
  msg += "\r\nbody";
  Limits lim;
  lim.max_header_fields = 5;
  Message m = parse(msg, lim);
  EXPECT_EQ(m.fields.size(), 5u);
  EXPECT_TRUE(m.root().has(kPartHeaderTruncated));
  EXPECT_EQ(m.body_bytes(m.root()), "body");
}

TEST(MimeParser, NotMimeIgnoresTransferEncoding) {
  Message m = parse("Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n");
  EXPECT_TRUE(m.root().has(kPartNotMime));
  EXPECT_EQ(m.root().encoding, TransferEncoding::seven_bit);
  Message v = parse("MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n");
  EXPECT_FALSE(v.root().has(kPartNotMime));
  EXPECT_EQ(v.root().encoding, TransferEncoding::base64);
  // Parts of a multipart are MIME without a MIME-Version of their own.
  Message c =
      parse(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                 "Content-Transfer-Encoding: base64\n\naGk=\n--b--\n"));
  ASSERT_EQ(c.parts.size(), 2u);
  EXPECT_EQ(c.parts[1].encoding, TransferEncoding::base64);
}

TEST(MimeParser, BoundaryCuttingEmbeddedHeaderStaysInMessagePart) {
  // Dovecot: the line break before the boundary leaves the embedded header but stays in
  // the message/rfc822 part (its BODYSTRUCTURE size counts it).
  std::string msg =
      "Content-Type: multipart/mixed; boundary=h\r\n\r\n--h\r\n"
      "Content-Type: message/rfc822\r\n\r\nSubject: cut\r\n--h--\r\n";
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 3u);
  EXPECT_EQ(m.header_bytes(m.parts[2]), "Subject: cut");
  EXPECT_EQ(m.body_bytes(m.parts[1]), "Subject: cut\r\n");
  EXPECT_EQ(m.parts[1].body.lines, 1u);
  EXPECT_EQ(m.parts[2].header.lines, 0u);
}

TEST(MimeParser, HeaderSizeLimit) {
  std::string msg = "A: " + std::string(100, 'x') + "\r\nB: late\r\n\r\nbody";
  Limits lim;
  lim.max_header_size = 50;
  Message m = parse(msg, lim);
  ASSERT_EQ(m.fields.size(), 1u);
  EXPECT_EQ(m.fields[0].name, "A");
  EXPECT_TRUE(m.root().has(kPartHeaderTruncated));
  EXPECT_EQ(m.body_bytes(m.root()), "body");
}

TEST(MimeParser, TotalFieldLimit) {
  std::string msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 50; ++i) msg += "--b\r\nX: 1\r\nY: 2\r\n\r\nbody\r\n";
  msg += "--b--\r\n";
  Limits lim;
  lim.max_total_fields = 20;
  Message m = parse(msg, lim);
  EXPECT_EQ(m.fields.size(), 20u);
  EXPECT_EQ(m.parts.size(), 51u);  // structure is complete, only field indexing stopped
  EXPECT_TRUE(m.limits_hit);
  for (const Part& p : m.parts) ASSERT_LE(p.field_begin + p.field_count, m.fields.size());
}

TEST(MimeParser, Base64MessageRfc822StillParsedAsMessage) {
  Message m =
      parse("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nQQ==\r\n");
  EXPECT_EQ(m.parts.size(), 2u);
  EXPECT_EQ(m.root().encoding, TransferEncoding::base64);
}

// Every structure must be the same whatever the line ends: CRLF vs LF shifts offsets only.
TEST(MimeParser, SpansNestProperly) {
  std::string msg = crlf(kMultipart);
  for (std::size_t cut = 0; cut <= msg.size(); ++cut) {
    std::string_view v(msg.data(), cut);
    Message m = parse(v);
    for (const Part& p : m.parts) {
      ASSERT_LE(p.header.end(), p.body.offset == 0 ? p.header.end() : p.body.offset + 0);
      ASSERT_LE(p.body.end(), cut);
      ASSERT_EQ(p.header.end(), p.body.offset);
      if (p.parent != kNoPart) {
        const Part& par = m.parts[p.parent];
        ASSERT_GE(p.header.offset, par.body.offset);
        ASSERT_LE(p.body.end(), par.body.end());
      }
    }
  }
}

// A multi-megabyte attachment, generated here rather than committed.
TEST(MimeParser, LargeAttachment) {
  std::string b64;
  for (int line = 0; line < 80000; ++line)
    b64 += std::string(76, 'A' + line % 26) + "\r\n";  // ~6.2 MB
  std::string msg =
      "Content-Type: multipart/mixed; boundary=L\r\n\r\n--L\r\n\r\ntext\r\n--L\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      b64 + "--L--\r\n";
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 3u);
  EXPECT_EQ(m.parts[2].body.size, b64.size() - 2);
  EXPECT_EQ(m.parts[2].body.lines, 79999u);
  EXPECT_EQ(m.root().body.lines, 80007u);  // 7 lines of boundaries and headers + 80000
}

// Inputs built to be slow for a naive parser still parse quickly (all loops are linear in
// the input times at most Limits::max_depth open boundaries).
TEST(MimeParser, PathologicalInputsStayLinear) {
  std::string nested;
  for (int i = 0; i < 99; ++i)
    nested += "Content-Type: multipart/mixed; boundary=\"" + std::string(60, 'b') +
              std::to_string(i) + "\"\r\n\r\n--" + std::string(60, 'b') + std::to_string(i) +
              "\r\n";
  for (int i = 0; i < 20000; ++i)
    nested += "--" + std::string(60, 'b') + "x\r\n";  // near-miss lines
  auto t0 = std::chrono::steady_clock::now();
  Message a = parse(nested);
  std::string headers(2000000, ' ');
  for (std::size_t i = 0; i < headers.size(); i += 4) headers[i] = '\n';
  Message b = parse(headers);
  std::string colons = "X" + std::string(1000000, ':') + "\r\n\r\n";
  Message c = parse(colons);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(a.parts.size(), 100u);
  EXPECT_EQ(c.fields.size(), 1u);
  EXPECT_LT(secs, 20.0);  // generous for ASan on a loaded machine; typically well under 1 s
}

std::vector<std::pair<std::string, std::string>> corpus() {
  std::vector<std::pair<std::string, std::string>> out;
  std::filesystem::path dir = std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/corpus/mime";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    out.emplace_back(e.path().filename().string(), std::string((std::istreambuf_iterator<char>(in)),
                                                               std::istreambuf_iterator<char>()));
  }
  return out;
}

void check_invariants(const Message& m, std::size_t size) {
  ASSERT_FALSE(m.parts.empty());
  ASSERT_EQ(m.root().body.end(), size);
  for (std::uint32_t i = 0; i < m.parts.size(); ++i) {
    const Part& p = m.parts[i];
    ASSERT_EQ(p.header.end(), p.body.offset);
    ASSERT_LE(p.body.end(), size);
    ASSERT_LE(p.body.bare_lfs, p.body.lines);
    if (p.parent != kNoPart) {
      const Part& par = m.parts[p.parent];
      ASSERT_LT(p.parent, i);
      ASSERT_GE(p.header.offset, par.body.offset);
      ASSERT_LE(p.body.end(), par.body.end());
    }
  }
}

// Grind: every prefix of every corpus message parses into a consistent structure.
TEST(MimeParserCorpus, EveryPrefix) {
  auto files = corpus();
  ASSERT_GE(files.size(), 20u);
  for (const auto& [name, data] : files) {
    SCOPED_TRACE(name);
    std::size_t step = data.size() > 20000 ? data.size() / 2000 : 1;
    for (std::size_t cut = 0; cut <= data.size(); cut += step) {
      Message m = parse(std::string_view(data).substr(0, cut));
      check_invariants(m, cut);
      if (HasFatalFailure()) return;
    }
  }
}

// Line ends do not change the structure: the LF-only form of a message has the same parts,
// fields, line counts and IMAP sizes (bare LF counts as CRLF) as the CRLF form.
TEST(MimeParserCorpus, LfAndCrlfAgree) {
  for (const auto& [name, data] : corpus()) {
    SCOPED_TRACE(name);
    std::string lf;
    for (std::size_t i = 0; i < data.size(); ++i)
      if (!(data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n')) lf.push_back(data[i]);
    std::string crlf_form;
    for (char c : lf) {
      if (c == '\n')
        crlf_form += "\r\n";
      else
        crlf_form.push_back(c);
    }
    Message a = parse(lf);
    Message b = parse(crlf_form);
    ASSERT_EQ(a.parts.size(), b.parts.size());
    ASSERT_EQ(a.fields.size(), b.fields.size());
    for (std::size_t i = 0; i < a.parts.size(); ++i) {
      EXPECT_EQ(a.parts[i].kind, b.parts[i].kind);
      EXPECT_EQ(a.parts[i].flags, b.parts[i].flags);
      EXPECT_EQ(a.parts[i].header.imap_size(), b.parts[i].header.size);
      EXPECT_EQ(a.parts[i].body.imap_size(), b.parts[i].body.size);
      EXPECT_EQ(a.parts[i].body.lines, b.parts[i].body.lines);
      EXPECT_EQ(b.parts[i].body.bare_lfs, 0u);
    }
    for (std::size_t i = 0; i < a.fields.size(); ++i) EXPECT_EQ(a.fields[i].name, b.fields[i].name);
  }
}

}  // namespace
}  // namespace estafeta::mime
