// imap_command_reader_test: assembling commands from lines and literals (RFC 9051 §4.3,
// RFC 7888 LITERAL+, RFC 3516 literal8), each limit of imap::Limits with its exact response,
// the draining of a refused non-synchronizing literal, and the same result for every split of
// the input (bytes through net::LineReader, as the server reads them).
#include "imap/proto/imap_command_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imap/proto/imap_parser.hpp"

namespace estafeta::imap {
namespace {

using Kind = CommandReader::Step::Kind;

// Drives a LineReader and a CommandReader over a byte stream fed in pieces of `chunk`
// octets, as a server would. Records, in order: "+" for each continuation the server sends,
// "CMD <wire>" for each complete command, and each error response line.
struct Driver {
  explicit Driver(Limits l = {}) : limits(l), lines(l.max_line), reader(l) {}

  std::vector<std::string> run(std::string_view input, std::size_t chunk = 1 << 30) {
    std::string pending;
    std::size_t at = 0;
    while (at < input.size()) {
      std::size_t n = std::min(chunk, input.size() - at);
      pending.append(input.substr(at, n));
      at += n;
      pump(pending);
    }
    return out;
  }

  void pump(std::string& pending) {
    while (true) {
      if (lines.octets_remaining() > 0) {
        std::size_t used = lines.feed(pending);
        if (used == 0) return;
        handle(reader.feed_literal(std::string_view(pending).substr(0, used)));
        pending.erase(0, used);
        continue;
      }
      std::size_t used = lines.feed(pending);
      pending.erase(0, used);
      if (!lines.line_ready()) return;
      handle(reader.feed_line(lines.take_line()));
    }
  }

  void handle(const CommandReader::Step& s) {
    switch (s.kind) {
      case Kind::need_line:
        break;
      case Kind::need_literal:
        if (s.synchronizing) out.push_back("+");
        if (lines.octets_remaining() == 0) lines.read_octets(s.size);
        if (s.size == 0) handle(reader.feed_literal(""));
        break;
      case Kind::complete:
        out.push_back("CMD " + reader.take_command());
        break;
      case Kind::error: {
        std::string r = s.error.response();
        r.resize(r.size() - 2);
        out.push_back(r);
        if (s.size > 0) lines.read_octets(s.size);
        break;
      }
    }
  }

  Limits limits;
  net::LineReader lines;
  CommandReader reader;
  std::vector<std::string> out;
};

using Out = std::vector<std::string>;

TEST(ImapCommandReader, SingleLineCommands) {
  Driver d;
  EXPECT_EQ(d.run("a1 NOOP\r\na2 CAPABILITY\r\n"), (Out{"CMD a1 NOOP", "CMD a2 CAPABILITY"}));
  EXPECT_TRUE(d.reader.idle());
}

TEST(ImapCommandReader, SynchronizingLiteralGetsAContinuation) {
  Driver d;
  EXPECT_EQ(d.run("a LOGIN {4}\r\nfred {6}\r\nsecret\r\n"),
            (Out{"+", "+", "CMD a LOGIN {4}\r\nfred {6}\r\nsecret"}));
}

TEST(ImapCommandReader, NonSynchronizingAndLiteral8) {
  Driver d;
  EXPECT_EQ(
      d.run(std::string("a LOGIN {4+}\r\nfred \"x\"\r\nb APPEND INBOX ~{3+}\r\na\0b\r\n", 51)),
      (Out{"CMD a LOGIN {4+}\r\nfred \"x\"", std::string("CMD b APPEND INBOX ~{3+}\r\na\0b", 29)}));
}

TEST(ImapCommandReader, LiteralBytesAreRawEvenCrlfAndBraces) {
  Driver d;
  EXPECT_EQ(d.run("a LOGIN {5+}\r\n{1}\r\n \"p\"\r\n"), (Out{"CMD a LOGIN {5+}\r\n{1}\r\n \"p\""}));
}

TEST(ImapCommandReader, EmptyLiteral) {
  Driver d;
  EXPECT_EQ(d.run("a LOGIN {0}\r\n {0+}\r\n\r\n"), (Out{"+", "CMD a LOGIN {0}\r\n {0+}\r\n"}));
}

TEST(ImapCommandReader, LineTooLong) {
  Limits l;
  l.max_line = 100;
  Driver d(l);
  std::string big = "t7 NOOP " + std::string(200, 'x') + "\r\n";
  EXPECT_EQ(d.run(big + "t8 NOOP\r\n"), (Out{"t7 BAD Command line too long", "CMD t8 NOOP"}));
}

TEST(ImapCommandReader, CommandTooLong) {
  Limits l;
  l.max_command = 100;
  Driver d(l);
  std::string lit(60, 'x');
  EXPECT_EQ(d.run("t1 LOGIN {60}\r\n" + lit + " {60}\r\n"), (Out{"+", "t1 BAD Command too long"}));
  EXPECT_TRUE(d.reader.idle());
}

TEST(ImapCommandReader, SynchronizingLiteralTooLargeGetsNoContinuation) {
  Driver d;
  // No "+": the client sends nothing more of the command; the next line is a new command.
  EXPECT_EQ(d.run("a LOGIN {70000}\r\nb NOOP\r\n"),
            (Out{"a NO [TOOBIG] Literal too large", "CMD b NOOP"}));
}

TEST(ImapCommandReader, NonSynchronizingLiteralTooLargeIsDrained) {
  Driver d;
  std::string lit(70000, 'x');
  std::string more(100000, 'y');
  // The octets of both refused literals and the rest of the command are dropped.
  EXPECT_EQ(d.run("a LOGIN {70000+}\r\n" + lit + " {100000+}\r\n" + more + "\r\nb NOOP\r\n", 4096),
            (Out{"a NO [TOOBIG] Literal too large", "CMD b NOOP"}));
  EXPECT_TRUE(d.reader.idle());
}

TEST(ImapCommandReader, AppendUsesTheAppendLimit) {
  Limits l;
  l.append_limit = 100000;
  Driver d(l);
  std::string msg(90000, 'm');
  auto out = d.run("a APPEND INBOX {90000+}\r\n" + msg + "\r\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 4 + 25 + 90000u);
  EXPECT_EQ(d.run("b APPEND INBOX (\\Seen) {100001}\r\nc NOOP\r\n"),
            (Out{out[0], "b NO [TOOBIG] Message too large", "CMD c NOOP"}));
}

TEST(ImapCommandReader, AppendMailboxLiteralIsNotAMessage) {
  Limits l;
  l.max_literal = 10;
  Driver d(l);
  EXPECT_EQ(d.run("a APPEND {11}\r\n"), (Out{"a NO [TOOBIG] Literal too large"}));
  EXPECT_EQ(d.run("b APPEND {5}\r\nINBOX {11}\r\nhello world\r\n"),
            (Out{"a NO [TOOBIG] Literal too large", "+", "+",
                 "CMD b APPEND {5}\r\nINBOX {11}\r\nhello world"}));
}

TEST(ImapCommandReader, MultiappendTotalIsBounded) {
  Limits l;
  l.max_append_total = 10;
  Driver d(l);
  EXPECT_EQ(d.run("a APPEND INBOX {6+}\r\nabcdef {6+}\r\nabcdef\r\nb NOOP\r\n"),
            (Out{"a NO [TOOBIG] Messages too large together", "CMD b NOOP"}));
}

TEST(ImapCommandReader, TooManyLiterals) {
  Limits l;
  l.max_literals = 2;
  Driver d(l);
  EXPECT_EQ(d.run("a ID ({1+}\r\na {1+}\r\nb {1+}\r\nc NIL)\r\nz NOOP\r\n"),
            (Out{"a BAD Too many literals", "CMD z NOOP"}));
}

TEST(ImapCommandReader, NulAndBareCrAreRefused) {
  Driver d;
  EXPECT_EQ(d.run(std::string("a NO\0OP\r\nb NO\rOP\r\nc NOOP\r\n", 26)),
            (Out{"a BAD Invalid characters in command", "b BAD Invalid characters in command",
                 "CMD c NOOP"}));
}

TEST(ImapCommandReader, BareLfIsAccepted) {
  Driver d;
  EXPECT_EQ(d.run("a NOOP\nb LOGIN {1}\nx y\n"),
            (Out{"CMD a NOOP", "+", "CMD b LOGIN {1}\r\nx y"}));
}

TEST(ImapCommandReader, ErrorWithoutATagUsesStar) {
  Limits l;
  l.max_line = 20;
  Driver d(l);
  EXPECT_EQ(d.run("(((((((((((((((((((((((((((\r\n"), (Out{"* BAD Command line too long"}));
}

TEST(ImapCommandReader, LiteralAfterAnInvalidTagIsNotRequested) {
  Driver d;
  EXPECT_EQ(d.run("{5}\r\n(x {3+}\r\nabc\r\nb NOOP\r\n"),
            (Out{"* BAD Invalid tag", "* BAD Invalid tag", "CMD b NOOP"}));
}

TEST(ImapCommandReader, FeedLineTextForm) {
  CommandReader r;
  auto s = r.feed_line("a LOGIN {3}");
  EXPECT_EQ(s.kind, Kind::need_literal);
  EXPECT_EQ(s.size, 3u);
  EXPECT_TRUE(s.synchronizing);
  s = r.feed_literal("ab");
  EXPECT_EQ(s.kind, Kind::need_line);  // the LineReader still counts the octet left
  EXPECT_EQ(s.size, 1u);
  s = r.feed_literal("cdef");  // only one octet is taken
  EXPECT_EQ(s.kind, Kind::need_line);
  s = r.feed_line(" pw");
  EXPECT_EQ(s.kind, Kind::complete);
  EXPECT_EQ(r.command(), "a LOGIN {3}\r\nabc pw");
  EXPECT_EQ(s.error.name, "");
  s = r.feed_line("b uid fetch 1:* {99999999999999999999999}");
  EXPECT_EQ(s.kind, Kind::error);
  EXPECT_EQ(s.error.response(), "b NO [TOOBIG] Literal too large\r\n");
  EXPECT_EQ(s.error.name, "UID FETCH");
}

// Every split of a mixed input gives the same events (STYLE.md: grind every parser).
TEST(ImapCommandReader, SameResultForEverySplit) {
  std::string input =
      "a1 LOGIN {4}\r\nfred {6+}\r\nsecret\r\n"
      "a2 APPEND INBOX (\\Seen) \" 7-Jul-1996 09:44:25 +0000\" {12}\r\nHello\r\nWorld\r\n"
      "a3 LOGIN {99999+}\r\n" +
      std::string(99999, 'z') +
      "\r\n"
      "a4 SELECT ~{5+}\r\nINBOX\r\n"
      "a5 NOOP\r\n";
  Driver whole;
  Out expected = whole.run(input);
  ASSERT_EQ(expected.size(), 7u);
  EXPECT_EQ(expected[4], "a3 NO [TOOBIG] Literal too large");
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 13u, 64u, 1000u}) {
    Driver d;
    EXPECT_EQ(d.run(input, chunk), expected) << chunk;
  }
}

// The reader's output parses: a whole round through both.
TEST(ImapCommandReader, AssembledCommandsParse) {
  Driver d;
  auto out = d.run("a LOGIN {4}\r\nfred {6+}\r\nsecret\r\n");
  ASSERT_EQ(out.size(), 2u);
  auto r = parse_command(std::string_view(out[1]).substr(4));
  ASSERT_TRUE(r) << r.error.text;
  auto& l = std::get<Login>(r.command->body);
  EXPECT_EQ(l.user, "fred");
  EXPECT_EQ(l.password, "secret");
}

}  // namespace
}  // namespace estafeta::imap
