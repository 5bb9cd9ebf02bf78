// Tests of mime_address: RFC 5322 address lists, obsolete forms and graceful degradation.
#include "mime/mime_address.hpp"

#include <gtest/gtest.h>

namespace estafeta::mime {
namespace {

std::string show(const AddressList& l) {
  std::string out;
  for (const Address& a : l) {
    if (a.kind == Address::Kind::group_start)
      out += "[" + a.name + ":";
    else if (a.kind == Address::Kind::group_end)
      out += ";]";
    else
      out += "{" + a.name + "|" + a.route + "|" + a.local + "|" + a.domain +
             (a.invalid ? "|!" : "") + "}";
  }
  return out;
}

TEST(MimeAddress, Basic) {
  EXPECT_EQ(show(parse_address_list("a@b.example")), "{||a|b.example}");
  EXPECT_EQ(
      show(parse_address_list("John Doe <john@example.org>, \"Doe, Jane\" <jane@example.org>")),
      "{John Doe||john|example.org}{Doe, Jane||jane|example.org}");
  EXPECT_EQ(show(parse_address_list("<bare@example.org>")), "{||bare|example.org}");
  EXPECT_EQ(show(parse_address_list("")), "");
  EXPECT_EQ(show(parse_address_list(" , ,")), "");
}

TEST(MimeAddress, QuotedLocalAndComments) {
  AddressList l = parse_address_list("\"john q\\\"x\"@example.org (John (nested) Q)");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].local, "john q\"x");
  EXPECT_TRUE(l[0].quoted_local);
  EXPECT_EQ(l[0].name, "John (nested) Q");
  EXPECT_EQ(l[0].addr_spec(), "\"john q\\\"x\"@example.org");
  EXPECT_EQ(show(parse_address_list("john . doe @ example . org")), "{||john.doe|example.org}");
}

TEST(MimeAddress, Groups) {
  EXPECT_EQ(show(parse_address_list("undisclosed-recipients:;")), "[undisclosed-recipients:;]");
  EXPECT_EQ(show(parse_address_list("A Group: a@x, B <b@y>; c@z")),
            "[A Group:{||a|x}{B||b|y};]{||c|z}");
  EXPECT_EQ(show(parse_address_list("G: a@x")), "[G:{||a|x};]");
}

TEST(MimeAddress, ObsoleteRoute) {
  EXPECT_EQ(show(parse_address_list("Name <@r1.example,@r2.example:u@d.example>")),
            "{Name|@r1.example,@r2.example|u|d.example}");
}

TEST(MimeAddress, DomainLiteralAndUtf8) {
  EXPECT_EQ(show(parse_address_list("u@[192.0.2.1]")), "{||u|[192.0.2.1]}");
  EXPECT_EQ(show(parse_address_list("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc.example>")),
            "{J\xc3\xb6rg||j\xc3\xb6rg|b\xc3\xbc.example}");
}

TEST(MimeAddress, Degrades) {
  EXPECT_EQ(show(parse_address_list("user")), "{||user||!}");
  EXPECT_EQ(show(parse_address_list("Some Name")), "{Some Name||||!}");
  EXPECT_EQ(show(parse_address_list("Name <a@b")), "{Name||a|b|!}");
  EXPECT_EQ(show(parse_address_list("a@b junk, c@d")), "{||a|b|!}{||c|d}");
  EXPECT_EQ(show(parse_address_list("\"unterminated <x@y>")), "{||unterminated <x@y>||!}");
  EXPECT_EQ(show(parse_address_list(">>>, @@@, a@b")).substr(0, 0), "");
  EXPECT_EQ(show(parse_address_list("a@b, Grp: x@y")), "{||a|b}[Grp:{||x|y};]");
  EXPECT_EQ(show(parse_address_list("<>")), "{||||!}");  // the null address stays, like Dovecot
}

TEST(MimeAddress, EncodedWordName) {
  AddressList l = parse_address_list("=?utf-8?q?J=C3=B6rg?= <j@x>");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].name, "=?utf-8?q?J=C3=B6rg?=");
  EXPECT_EQ(decoded_name(l[0]), "J\xc3\xb6rg");
}

TEST(MimeAddress, Bounded) {
  std::string many;
  for (int i = 0; i < 200; ++i) many += "a@b,";
  EXPECT_EQ(parse_address_list(many, 50).size(), 50u);
  std::string deep(100000, '(');
  EXPECT_TRUE(parse_address_list(deep).empty());
}

}  // namespace
}  // namespace estafeta::mime
