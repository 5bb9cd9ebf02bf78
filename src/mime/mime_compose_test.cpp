// mime_compose_test: messages built by mime::compose() decode back to the draft — through
// our own codecs and through mime::parse() (the project's parser) — with headers encoded and
// folded, the right multipart tree, transfer encodings chosen by content, CRLF everywhere and
// no header injection from draft fields.
#include "mime/mime_compose.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "base/base64.hpp"
#include "base/quoted_printable.hpp"
#include "mime/mime_encoded_word.hpp"
#include "mime/mime_parser.hpp"
#include "mime/mime_rfc2231.hpp"

namespace estafeta::mime {
namespace {

using namespace std::chrono_literals;

// 2026-11-28 03:17:29 UTC.
const auto kWhen = std::chrono::system_clock::time_point(1795835849s);

Draft simple_draft() {
  Draft d;
  d.from = {"Alice Example", "alice@example.org"};
  d.to = {{"", "bob@example.net"}};
  d.subject = "Hello";
  d.text = "Hi Bob,\nsee you soon.\n";
  d.date = kWhen;
  d.message_id = "fixed@example.org";
  return d;
}

std::string header_block(const std::string& msg) {
  return msg.substr(0, msg.find("\r\n\r\n") + 2);
}

// The unfolded value of the first top-level field `name`, or "<absent>".
std::string field(const std::string& msg, std::string_view name) {
  std::string h = header_block(msg);
  std::string key = "\r\n" + std::string(name) + ":";
  h = "\r\n" + h;
  auto pos = h.find(key);
  if (pos == std::string::npos) return "<absent>";
  pos += key.size();
  std::string v;
  while (pos < h.size()) {
    auto end = h.find("\r\n", pos);
    v += h.substr(pos, end - pos);
    pos = end + 2;
    if (pos >= h.size() || (h[pos] != ' ' && h[pos] != '\t')) break;
  }
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

// Every line ends in CRLF, no bare CR or LF, no line over 998 characters.
void expect_wire_clean(const std::string& msg) {
  ASSERT_GE(msg.size(), 2u);
  EXPECT_EQ(msg.substr(msg.size() - 2), "\r\n");
  std::size_t line = 0;
  for (std::size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\r') {
      ASSERT_TRUE(i + 1 < msg.size() && msg[i + 1] == '\n') << "bare CR at " << i;
      ++i;
      line = 0;
    } else {
      ASSERT_NE(msg[i], '\n') << "bare LF at " << i;
      ++line;
      ASSERT_LE(line, 998u);
    }
  }
}

// Header lines with whitespace to break at are at most 78 characters.
void expect_folded(const std::string& msg) {
  std::string h = header_block(msg);
  std::size_t start = 0;
  while (start < h.size()) {
    auto end = h.find("\r\n", start);
    std::string line = h.substr(start, end - start);
    if (line.find(' ', 1) != std::string::npos &&
        line.find_first_not_of(' ') != std::string::npos) {
      // A single unbreakable token may exceed 78; otherwise the folder must have broken.
      std::size_t tokens = 0;
      for (std::size_t k = 1; k < line.size(); ++k)
        if (line[k] == ' ' && line[k - 1] != ' ') ++tokens;
      if (tokens > 1) {
        EXPECT_LE(line.size(), 78u) << line;
      }
    }
    start = end + 2;
  }
}

std::string decoded_body(const Message& m, const Part& p) {
  std::string_view body = m.body_bytes(p);
  std::string out;
  switch (p.encoding) {
    case TransferEncoding::base64:
      base64::decode(body, out);
      break;
    case TransferEncoding::quoted_printable:
      qp::decode(body, out);
      break;
    default:
      out = std::string(body);
  }
  return out;
}

std::string ct_param(const Part& p, std::string_view name) {
  auto params = parse_parameters(p.content_type_params);
  const Parameter* param = find_parameter(params, name);
  return param ? param->value : "<absent>";
}

std::string disposition_param(const Message& m, const Part& p, std::string_view name) {
  const HeaderField* f = m.find_field(p, "Content-Disposition");
  if (f == nullptr) return "<absent>";
  std::string_view v = f->value;
  auto semi = v.find(';');
  if (semi == std::string_view::npos) return "<absent>";
  auto params = parse_parameters(v.substr(semi));
  const Parameter* param = find_parameter(params, name);
  return param ? param->value : "<absent>";
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

}  // namespace

TEST(MimeCompose, SimpleAsciiMessage) {
  std::string msg = compose(simple_draft());
  expect_wire_clean(msg);
  EXPECT_EQ(field(msg, "Date"), "Sat, 28 Nov 2026 03:17:29 +0000");
  EXPECT_EQ(field(msg, "From"), "Alice Example <alice@example.org>");
  EXPECT_EQ(field(msg, "To"), "bob@example.net");
  EXPECT_EQ(field(msg, "Subject"), "Hello");
  EXPECT_EQ(field(msg, "Message-ID"), "<fixed@example.org>");
  EXPECT_EQ(field(msg, "MIME-Version"), "1.0");
  EXPECT_EQ(field(msg, "Content-Type"), "text/plain; charset=us-ascii");
  EXPECT_EQ(field(msg, "Content-Transfer-Encoding"), "7bit");
  EXPECT_EQ(field(msg, "Cc"), "<absent>");
  EXPECT_EQ(msg.substr(msg.find("\r\n\r\n") + 4), "Hi Bob,\r\nsee you soon.\r\n");
}

TEST(MimeCompose, NonAsciiHeadersAreEncodedAddressesAreNot) {
  Draft d = simple_draft();
  d.from = {"J\xC3\xB6rg M\xC3\xBCller", "joerg@example.de"};
  d.to = {{"M\xC3\xBCller, Hans", "hans@example.de"}, {"Plain Name", "p@example.com"}};
  d.cc = {{"\xE7\x94\xB0\xE4\xB8\xAD", "tanaka@example.jp"}};
  d.subject =
      "Gr\xC3\xBC\xC3\x9F"
      "e aus K\xC3\xB6ln \xE2\x80\x94 caf\xC3\xA9";
  std::string msg = compose(d);
  expect_wire_clean(msg);
  std::string from = field(msg, "From");
  EXPECT_TRUE(header_text_is_plain(from));
  EXPECT_NE(from.find("<joerg@example.de>"), std::string::npos);
  EXPECT_EQ(decode_encoded_words(from), "J\xC3\xB6rg M\xC3\xBCller <joerg@example.de>");
  EXPECT_EQ(decode_encoded_words(field(msg, "To")),
            "M\xC3\xBCller, Hans <hans@example.de>, Plain Name <p@example.com>");
  EXPECT_EQ(decode_encoded_words(field(msg, "Cc")), "\xE7\x94\xB0\xE4\xB8\xAD <tanaka@example.jp>");
  EXPECT_TRUE(header_text_is_plain(field(msg, "Subject")));
  EXPECT_EQ(decode_encoded_words(field(msg, "Subject")), d.subject);
}

TEST(MimeCompose, LongHeadersFoldAt78) {
  Draft d = simple_draft();
  d.subject.clear();
  for (int i = 0; i < 40; ++i) d.subject += "word" + std::to_string(i) + " \xC3\xA9t\xC3\xA9 ";
  for (int i = 0; i < 30; ++i)
    d.to.push_back({"Person " + std::to_string(i), "p" + std::to_string(i) + "@example.com"});
  std::string msg = compose(d);
  expect_wire_clean(msg);
  expect_folded(msg);
  std::string subject = d.subject;
  while (!subject.empty() && subject.back() == ' ') subject.pop_back();
  std::string got = decode_encoded_words(field(msg, "Subject"));
  while (!got.empty() && got.back() == ' ') got.pop_back();
  EXPECT_EQ(got, subject);
  EXPECT_NE(field(msg, "To").find("Person 29 <p29@example.com>"), std::string::npos);
  EXPECT_EQ(fold_header("X", "short"), "X: short\r\n");
  EXPECT_EQ(fold_header("X", std::string(100, 'a')), "X: " + std::string(100, 'a') + "\r\n");
}

TEST(MimeCompose, EmptyDraftStillWellFormed) {
  Draft d;
  std::string msg = compose(d);
  expect_wire_clean(msg);
  EXPECT_EQ(field(msg, "From"), "<absent>");
  EXPECT_EQ(field(msg, "To"), "<absent>");
  EXPECT_EQ(field(msg, "MIME-Version"), "1.0");
  Message m = parse(msg);
  EXPECT_EQ(m.root().kind, PartKind::leaf);
  EXPECT_EQ(m.body_bytes(m.root()), "");
}

TEST(MimeCompose, BccOnlyWhenAsked) {
  Draft d = simple_draft();
  d.bcc = {{"", "secret@example.org"}};
  EXPECT_EQ(field(compose(d), "Bcc"), "<absent>");
  ComposeOptions o;
  o.include_bcc = true;
  EXPECT_EQ(field(compose(d, o), "Bcc"), "secret@example.org");
}

TEST(MimeCompose, NoHeaderInjectionFromDraftFields) {
  Draft d = simple_draft();
  d.subject = "hi\r\nBcc: victim@example.org";
  d.from.name = "Eve\nX-Evil: 1";
  d.headers = {{"X-Note", "a\r\nX-Injected: yes"},
               {"Bad Name", "x"},
               {"Bad:Name", "x"},
               {"Content-Type", "text/evil"}};
  std::string msg = compose(d);
  std::string h = header_block(msg);
  EXPECT_EQ(h.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(h.find("\r\nX-Evil:"), std::string::npos);
  EXPECT_EQ(h.find("\r\nX-Injected:"), std::string::npos);
  EXPECT_EQ(h.find("Bad"), std::string::npos);
  EXPECT_EQ(h.find("text/evil"), std::string::npos);
  EXPECT_NE(h.find("\r\nX-Note: a  X-Injected: yes\r\n"), std::string::npos);
}

TEST(MimeCompose, ExtraHeadersAndGeneratedIds) {
  Draft d = simple_draft();
  d.message_id.clear();
  d.date = {};
  d.headers = {{"In-Reply-To", "<orig@example.net>"}, {"X-Mailer", "Estafeta \xE2\x9C\x89"}};
  ComposeOptions o;
  o.hostname = "mail.example.org";
  std::string msg = compose(d, o);
  EXPECT_EQ(field(msg, "In-Reply-To"), "<orig@example.net>");
  EXPECT_EQ(decode_encoded_words(field(msg, "X-Mailer")), "Estafeta \xE2\x9C\x89");
  std::string id = field(msg, "Message-ID");
  EXPECT_EQ(id.front(), '<');
  EXPECT_NE(id.find("@mail.example.org>"), std::string::npos);
  EXPECT_NE(field(msg, "Date"), "<absent>");
}

TEST(MimeCompose, MessageIdsAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) EXPECT_TRUE(seen.insert(generate_message_id("h.example")).second);
  EXPECT_NE(generate_message_id("bad host\r\n").find("@badhost"), std::string::npos);
  EXPECT_NE(generate_message_id("").find("@localhost"), std::string::npos);
}

TEST(MimeCompose, FormatsDates) {
  EXPECT_EQ(format_date(kWhen), "Sat, 28 Nov 2026 03:17:29 +0000");
  EXPECT_EQ(format_date(kWhen, -300), "Fri, 27 Nov 2026 22:17:29 -0500");
  EXPECT_EQ(format_date(kWhen, 330), "Sat, 28 Nov 2026 08:47:29 +0530");
  EXPECT_EQ(format_date(std::chrono::system_clock::time_point{}), "Thu, 1 Jan 1970 00:00:00 +0000");
}

TEST(MimeCompose, MediaTypesByExtension) {
  EXPECT_EQ(media_type_for_filename("report.PDF"), "application/pdf");
  EXPECT_EQ(media_type_for_filename("photo.jpeg"), "image/jpeg");
  EXPECT_EQ(media_type_for_filename("notes.txt"), "text/plain");
  EXPECT_EQ(media_type_for_filename("archive.tar.gz"), "application/gzip");
  EXPECT_EQ(media_type_for_filename("noext"), "application/octet-stream");
  EXPECT_EQ(media_type_for_filename("trailingdot."), "application/octet-stream");
  EXPECT_EQ(media_type_for_filename("x.unknownext"), "application/octet-stream");
}

TEST(MimeCompose, ChoosesTransferEncodingByContent) {
  EXPECT_EQ(choose_transfer_encoding("plain\r\ntext\r\n", true), TransferEncoding::seven_bit);
  EXPECT_EQ(choose_transfer_encoding("plain\ntext\n", true), TransferEncoding::seven_bit);
  EXPECT_EQ(choose_transfer_encoding(std::string(999, 'a'), true),
            TransferEncoding::quoted_printable);
  EXPECT_EQ(choose_transfer_encoding("caf\xC3\xA9 au lait, mostly ASCII text", true),
            TransferEncoding::quoted_printable);
  EXPECT_EQ(choose_transfer_encoding("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", true),
            TransferEncoding::base64);
  EXPECT_EQ(choose_transfer_encoding(std::string("a\0b", 3), false), TransferEncoding::base64);
  EXPECT_EQ(choose_transfer_encoding("ascii\r\nfile\r\n", false), TransferEncoding::seven_bit);
  EXPECT_EQ(choose_transfer_encoding("ascii\nfile\n", false), TransferEncoding::base64);
  EXPECT_EQ(choose_transfer_encoding("lone\rcr", true), TransferEncoding::quoted_printable);
}

TEST(MimeCompose, BoundariesAvoidTheContent) {
  std::string b = generate_boundary({});
  EXPECT_LE(b.size(), 70u);
  EXPECT_EQ(b.substr(0, 2), "=_");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(generate_boundary({})).second);
  // Parts full of boundary-like text still produce a boundary absent from all of them.
  std::string tricky = "--=_abc\r\n--=_\r\n=_=_=_";
  std::string got = generate_boundary({tricky, b});
  EXPECT_EQ(tricky.find(got), std::string::npos);
  EXPECT_EQ(b.find(got), std::string::npos);
}

TEST(MimeCompose, TextAndHtmlAreAlternatives) {
  Draft d = simple_draft();
  d.text = "Caf\xC3\xA9 at noon?\n";
  d.html = "<p>Caf\xC3\xA9 at <b>noon</b>?</p>\n";
  std::string msg = compose(d);
  expect_wire_clean(msg);
  Message m = parse(msg);
  const Part& root = m.root();
  ASSERT_EQ(root.kind, PartKind::multipart);
  EXPECT_EQ(lower(root.subtype), "alternative");
  ASSERT_EQ(root.child_count, 2u);
  const Part& plain = m.parts[m.child(0, 1)];
  const Part& html = m.parts[m.child(0, 2)];
  EXPECT_EQ(lower(plain.subtype), "plain");
  EXPECT_EQ(lower(html.subtype), "html");
  EXPECT_EQ(ct_param(plain, "charset"), "utf-8");
  // The CRLF before a boundary belongs to it, so the last line break is not part content.
  EXPECT_EQ(decoded_body(m, plain), "Caf\xC3\xA9 at noon?");
  EXPECT_EQ(decoded_body(m, html), "<p>Caf\xC3\xA9 at <b>noon</b>?</p>");
}

TEST(MimeCompose, AttachmentsRoundTrip) {
  Draft d = simple_draft();
  std::mt19937 rng(5);
  std::string binary(5000, '\0');
  for (auto& c : binary) c = static_cast<char>(rng() & 0xFF);
  d.attachments.push_back({"data.bin", binary, "", "", ""});
  d.attachments.push_back({"\xE2\x82\xAC Rechnung M\xC3\xA4rz 2026 mit sehr langem Namen.pdf",
                           "%PDF-1.4 fake\r\n", "", "", ""});
  d.attachments.push_back({"notes.txt", "line one\nline two\n", "", "", ""});
  std::string msg = compose(d);
  expect_wire_clean(msg);
  expect_folded(msg);
  Message m = parse(msg);
  const Part& root = m.root();
  ASSERT_EQ(root.kind, PartKind::multipart);
  EXPECT_EQ(lower(root.subtype), "mixed");
  ASSERT_EQ(root.child_count, 4u);
  EXPECT_EQ(decoded_body(m, m.parts[m.child(0, 1)]), "Hi Bob,\r\nsee you soon.");

  const Part& bin = m.parts[m.child(0, 2)];
  EXPECT_EQ(lower(bin.type), "application");
  EXPECT_EQ(lower(bin.subtype), "octet-stream");
  EXPECT_EQ(bin.encoding, TransferEncoding::base64);
  EXPECT_EQ(decoded_body(m, bin), binary);
  EXPECT_EQ(disposition_param(m, bin, "filename"), "data.bin");

  const Part& pdf = m.parts[m.child(0, 3)];
  EXPECT_EQ(lower(pdf.subtype), "pdf");
  EXPECT_EQ(disposition_param(m, pdf, "filename"), d.attachments[1].filename);
  EXPECT_EQ(ct_param(pdf, "name"), d.attachments[1].filename);  // RFC 2047 in quotes
  const HeaderField* disp = m.find_field(pdf, "Content-Disposition");
  ASSERT_NE(disp, nullptr);
  EXPECT_NE(std::string(disp->value).find("filename*0*=utf-8''"), std::string::npos);
  EXPECT_EQ(decoded_body(m, pdf), "%PDF-1.4 fake");

  // Text attachments keep their bytes exactly (LF line ends -> base64).
  const Part& txt = m.parts[m.child(0, 4)];
  EXPECT_EQ(lower(txt.subtype), "plain");
  EXPECT_EQ(ct_param(txt, "charset"), "us-ascii");
  EXPECT_EQ(decoded_body(m, txt), "line one\nline two\n");
}

TEST(MimeCompose, InlinePartsGoIntoRelated) {
  Draft d = simple_draft();
  d.html = "<img src=\"cid:logo@x\">";
  d.attachments.push_back({"logo.png", std::string("\x89PNG\r\n\x1a\n", 8), "", "logo@x", ""});
  d.attachments.push_back({"a.zip", "PK\x03\x04", "", "", ""});
  std::string msg = compose(d);
  expect_wire_clean(msg);
  Message m = parse(msg);
  // mixed( related( alternative(plain, html), png ), zip )
  ASSERT_EQ(lower(m.root().subtype), "mixed");
  const Part& related = m.parts[m.child(0, 1)];
  ASSERT_EQ(lower(related.subtype), "related");
  EXPECT_EQ(lower(ct_param(related, "type")), "multipart/alternative");
  ASSERT_EQ(related.child_count, 2u);
  const Part& alt = m.parts[related.first_child];
  EXPECT_EQ(lower(alt.subtype), "alternative");
  const Part& png = m.parts[alt.next_sibling];
  EXPECT_EQ(lower(png.type), "image");
  const HeaderField* cid = m.find_field(png, "Content-ID");
  ASSERT_NE(cid, nullptr);
  EXPECT_EQ(cid->value.substr(0, 8), "<logo@x>");
  EXPECT_EQ(decoded_body(m, png), std::string("\x89PNG\r\n\x1a\n", 8));
  const HeaderField* disp = m.find_field(png, "Content-Disposition");
  ASSERT_NE(disp, nullptr);
  EXPECT_EQ(disp->value.substr(0, 6), "inline");
  const Part& zip = m.parts[m.child(0, 2)];
  EXPECT_EQ(lower(zip.subtype), "zip");
}

TEST(MimeCompose, BodiesLookingLikeBoundariesSurvive) {
  Draft d = simple_draft();
  d.text = "--=_\n--=_Part\n-- \n--\n";
  d.attachments.push_back({"x.txt", "--=_x\r\n--\r\n", "", "", ""});
  std::string msg = compose(d);
  Message m = parse(msg);
  ASSERT_EQ(m.root().child_count, 2u);
  EXPECT_EQ(decoded_body(m, m.parts[m.child(0, 1)]), "--=_\r\n--=_Part\r\n-- \r\n--");
  EXPECT_EQ(decoded_body(m, m.parts[m.child(0, 2)]), "--=_x\r\n--");
}

TEST(MimeCompose, LongAndEightBitTextUsesQuotedPrintable) {
  Draft d = simple_draft();
  d.text = std::string(1500, 'x') + "\n\xC3\xA9t\xC3\xA9 = summer\n";
  std::string msg = compose(d);
  expect_wire_clean(msg);
  EXPECT_EQ(field(msg, "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(field(msg, "Content-Type"), "text/plain; charset=utf-8");
  Message m = parse(msg);
  EXPECT_EQ(decoded_body(m, m.root()),
            std::string(1500, 'x') + "\r\n\xC3\xA9t\xC3\xA9 = summer\r\n");
}

TEST(MimeCompose, InvalidUtf8TextIsRepairedNotMislabelled) {
  Draft d = simple_draft();
  d.text = "bad \xFF byte";
  std::string msg = compose(d);
  Message m = parse(msg);
  EXPECT_EQ(decoded_body(m, m.root()), "bad \xEF\xBF\xBD byte");
}

TEST(MimeCompose, RandomDraftsRoundTripThroughTheParser) {
  std::mt19937 rng(5322);
  const char* bits[] = {
      "a", "Z",     " ",  "\n", "\r\n", "=",  "--", "\xC3\xA9",        "\xE2\x82\xAC",
      ".", "From ", "\t", "=?", "?=",   "\"", ",",  "\xF0\x9F\x98\x80"};
  auto text = [&](std::size_t max) {
    std::string s;
    std::size_t n = rng() % max;
    for (std::size_t i = 0; i < n; ++i) s += bits[rng() % (sizeof bits / sizeof bits[0])];
    return s;
  };
  for (int round = 0; round < 150; ++round) {
    Draft d = simple_draft();
    d.subject = text(30);
    for (auto& c : d.subject)
      if (c == '\r' || c == '\n') c = ' ';
    d.text = text(400);
    if (round % 2) d.html = "<p>" + text(100) + "</p>";
    std::size_t n_att = rng() % 3;
    for (std::size_t k = 0; k < n_att; ++k) {
      std::string content;
      std::size_t len = rng() % 3000;
      for (std::size_t i = 0; i < len; ++i) content += static_cast<char>(rng() & 0xFF);
      if (k == 1) content = text(200);
      d.attachments.push_back(
          {"f" + std::to_string(k) + (k ? ".txt" : ".bin"), content, "", "", ""});
    }
    std::string msg = compose(d);
    expect_wire_clean(msg);
    std::string subject = decode_encoded_words(field(msg, "Subject"));
    std::string want_subject = d.subject;
    while (!want_subject.empty() && want_subject.front() == ' ') want_subject.erase(0, 1);
    EXPECT_EQ(subject, want_subject) << round;
    Message m = parse(msg);
    const Part* body = &m.root();
    if (n_att > 0) {
      ASSERT_EQ(m.root().child_count, n_att + 1) << round;
      body = &m.parts[m.root().first_child];
      for (std::size_t k = 0; k < n_att; ++k) {
        const Part& att = m.parts[m.child(0, static_cast<std::uint32_t>(k + 2))];
        EXPECT_EQ(decoded_body(m, att), d.attachments[k].content) << round << " att " << k;
      }
    }
    if (!d.html.empty()) {
      ASSERT_EQ(body->kind, PartKind::multipart) << round;
      body = &m.parts[body->first_child];
    }
    // Text bodies: CRLF line ends; the last line break belongs to the next boundary when
    // the part is inside a multipart.
    std::string want;
    for (std::size_t i = 0; i < d.text.size(); ++i) {
      if (d.text[i] == '\n' && (i == 0 || d.text[i - 1] != '\r')) want += '\r';
      want += d.text[i];
    }
    std::string got = decoded_body(m, *body);
    // (base64 carries the final line break inside the encoded data, so it stays.)
    if (body != &m.root() && body->encoding != TransferEncoding::base64 && want.size() >= 2 &&
        want.compare(want.size() - 2, 2, "\r\n") == 0)
      want.resize(want.size() - 2);
    if (got != want) {
      std::size_t k = 0;
      while (k < got.size() && k < want.size() && got[k] == want[k]) ++k;
      auto show = [](std::string_view v) {
        std::string o;
        for (char c : v)
          o += c == '\r' ? std::string("\\r") : c == '\n' ? std::string("\\n") : std::string(1, c);
        return o;
      };
      ADD_FAILURE() << "round " << round << " differs at " << k << ": got ["
                    << show(got.substr(k > 10 ? k - 10 : 0, 40)) << "] want ["
                    << show(want.substr(k > 10 ? k - 10 : 0, 40)) << "] sizes " << got.size() << "/"
                    << want.size() << " cte " << static_cast<int>(body->encoding);
    }
  }
}

}  // namespace estafeta::mime
