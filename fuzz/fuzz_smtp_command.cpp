// fuzz_smtp_command: the SMTP command parser (src/smtp/proto/smtp_command_parser) on arbitrary
// lines. Each input is split at LF; every line goes through split_command and, whatever its
// verb, through every argument parser. Checks the parser's promises: no crash, bounded results
// (RFC 5321 §4.5.3.1 sizes), error replies that are one well-formed CRLF-terminated line.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/proto/smtp_command_parser.hpp"
#include "smtp/proto/smtp_reply.hpp"

using namespace estafeta;
using namespace estafeta::smtp;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_error(const PeerError& e) {
  check(e.code >= 400 && e.code <= 599);
  check(!e.enhanced.empty() && e.enhanced[0] == static_cast<char>('0' + e.code / 100));
  std::string wire = format_reply(e);
  check(wire.size() >= 6 && wire.substr(wire.size() - 2) == "\r\n");
  check(wire.find('\r') == wire.size() - 2 && wire.find('\n') == wire.size() - 1);
}

template <class T>
void check_result(const Result<T>& r) {
  if (!r.ok()) check_error(r.error());
}

void check_address(const Address& a) {
  check(a.wire.size() <= 256 && a.address.size() <= 256);
  check(a.address.empty() == a.wire.empty());
}

void one_line(std::string_view line) {
  CommandLine cmd = split_command(line);
  check(cmd.argument.size() <= line.size());
  std::string_view arg = cmd.argument;
  auto mf = parse_mail_from(arg);
  check_result(mf);
  if (mf) {
    check_address(mf->from);
    check(mf->params.envid.size() <= 100);
    if (mf->from.utf8) check(mf->params.smtputf8);
  }
  for (bool utf8 : {false, true}) {
    auto rt = parse_rcpt_to(arg, utf8, "mx.example.org");
    check_result(rt);
    if (rt) {
      check_address(rt->to);
      check(!rt->to.address.empty());
      check(rt->params.orcpt.size() <= 500);
      if (!utf8) check(!rt->to.utf8);
    }
  }
  check_result(parse_helo(arg, true));
  std::optional<std::uint64_t> size;
  auto bdat = parse_bdat(arg, size);
  check_result(bdat);
  if (bdat) check(size && *size == bdat->size);
  auto auth = parse_auth(arg);
  check_result(auth);
  if (auth) check(!auth->mechanism.empty() && auth->mechanism.size() <= 20);
  std::string_view rest;
  auto path = parse_path(arg, true, true, "h.example", "5.1.3", rest);
  check_result(path);
  if (path) check(rest.size() < arg.size());
  (void)is_xtext(arg);
  std::string safe = sanitize_text(line, 100);
  check(safe.size() <= 103 && safe.find('\r') == std::string::npos &&
        safe.find('\n') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (size > 8192) return 0;
  while (true) {
    std::size_t lf = in.find('\n');
    std::string_view line = in.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    one_line(line);
    if (lf == std::string_view::npos) break;
    in.remove_prefix(lf + 1);
  }
  return 0;
}
