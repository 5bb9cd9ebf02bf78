// cmd_mime: `estafeta mime json|envelope|bodystructure|section`: the MIME library on one
// message file ("-" = standard input), for people and for checkers running their own corpora.
// json prints mime::message_to_json; envelope and bodystructure print the IMAP ENVELOPE and
// BODYSTRUCTURE (or BODY) in parentheses, as a FETCH response carries them (RFC 3501
// §7.4.2; Dovecot's doveadm shows them without the outer pair); section prints the bytes
// IMAP serves for BODY[SPEC] (RFC 3501 §6.4.5; bare LFs as CRLF, which is what the
// BODYSTRUCTURE sizes count), optionally with a partial "<origin.count>", or with --binary
// the part's content with its transfer encoding removed (RFC 3516 BINARY[part]).
// Input is any file (untrusted bytes, the parser accepts anything); it is read whole, at most
// kMaxInput bytes, which bounds memory at a small multiple of that. No configuration needed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "cli/commands.hpp"
#include "mime/mime_imap_bodystructure.hpp"
#include "mime/mime_imap_envelope.hpp"
#include "mime/mime_imap_section.hpp"
#include "mime/mime_json.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::cli {

namespace {

constexpr std::size_t kMaxInput = std::size_t{1} << 30;  // 1 GiB
constexpr std::size_t kReadChunk = std::size_t{1} << 20;
constexpr const char* kTooLarge = "too large (estafeta mime reads at most 1 GiB)";

// Reads `file` ("-" = stdin) whole into `out`. On failure prints "estafeta: FILE: reason"
// and returns false.
bool read_input(const std::string& file, std::string& out) {
  const bool is_stdin = file == "-";
  const std::string name = is_stdin ? std::string("standard input") : file;
  int fd = is_stdin ? STDIN_FILENO : ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(name + ": " + std::strerror(errno));
    return false;
  }
  std::string error;
  // A regular file's size is known up front: refuse it before reading anything.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if (static_cast<std::uint64_t>(st.st_size) > kMaxInput)
      error = kTooLarge;
    else
      out.reserve(static_cast<std::size_t>(st.st_size));
  }
  // Pipes, and files that grow while we read: stop as soon as the bound is passed.
  std::string chunk(kReadChunk, '\0');
  while (error.empty()) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = std::strerror(errno);
    if (n <= 0) break;
    if (out.size() + static_cast<std::size_t>(n) > kMaxInput)
      error = kTooLarge;
    else
      out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  if (!is_stdin) ::close(fd);
  if (error.empty()) return true;
  out.clear();
  fail(name + ": " + error);
  return false;
}

// Writes `bytes` to stdout and flushes; 0, or 1 with a message when stdout fails (disk full,
// closed pipe with SIGPIPE ignored).
int write_out(std::string_view bytes) {
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size())
    return fail(std::string("standard output: ") + std::strerror(errno));
  if (std::fflush(stdout) != 0)
    return fail(std::string("standard output: ") + std::strerror(errno));
  return 0;
}

// A trailing partial "<origin.count>" (RFC 3501 §6.4.5), split off `spec`.
struct Partial {
  std::size_t origin = 0;
  std::size_t count = 0;
};

bool parse_number(std::string_view s, std::size_t& n) {
  if (s.empty() || s.size() > 19) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && end == s.data() + s.size();
}

// nullopt and `spec` unchanged when there is no "<...>" suffix; `bad` when it is malformed.
std::optional<Partial> split_partial(std::string_view& spec, bool& bad) {
  bad = false;
  if (spec.empty() || spec.back() != '>') return std::nullopt;
  std::size_t lt = spec.rfind('<');
  if (lt == std::string_view::npos) return bad = true, std::nullopt;
  std::string_view inner = spec.substr(lt + 1, spec.size() - lt - 2);
  std::size_t dot = inner.find('.');
  Partial p;
  if (dot == std::string_view::npos || !parse_number(inner.substr(0, dot), p.origin) ||
      !parse_number(inner.substr(dot + 1), p.count) || p.count == 0)
    return bad = true, std::nullopt;
  spec = spec.substr(0, lt);
  return p;
}

std::string_view slice(std::string_view s, const std::optional<Partial>& partial) {
  if (!partial) return s;
  if (partial->origin >= s.size()) return {};
  return s.substr(partial->origin, partial->count);
}

}  // namespace

int run_mime_json(const std::string& file, bool bodies) {
  std::string data;
  if (!read_input(file, data)) return 1;
  mime::Message m = mime::parse(data);
  mime::JsonOptions o;
  o.bodies = bodies;
  std::string out = mime::message_to_json(m, o);
  out.push_back('\n');
  return write_out(out);
}

int run_mime_envelope(const std::string& file) {
  std::string data;
  if (!read_input(file, data)) return 1;
  mime::Message m = mime::parse(data);
  // As in a FETCH response: "ENVELOPE (" + envelope + ")".
  return write_out("(" + mime::imap_envelope(m) + ")\n");
}

int run_mime_bodystructure(const std::string& file, bool body_only) {
  std::string data;
  if (!read_input(file, data)) return 1;
  mime::Message m = mime::parse(data);
  mime::BodystructureOptions o;
  o.extended = !body_only;
  // As in a FETCH response: "BODYSTRUCTURE (" + structure + ")".
  return write_out("(" + mime::imap_bodystructure(m, 0, o) + ")\n");
}

int run_mime_section(const std::string& spec_text, const std::string& file, bool binary) {
  std::string_view text = spec_text;
  bool bad_partial = false;
  std::optional<Partial> partial = split_partial(text, bad_partial);
  std::optional<mime::SectionSpec> spec;
  if (!bad_partial) spec = mime::parse_section(text);
  if (!spec) return fail("invalid IMAP section: \"" + spec_text + "\"");
  // RFC 3516 §4.1: BINARY takes a part number only.
  if (binary && spec->text != mime::SectionSpec::Text::none)
    return fail("invalid section for --binary (a part number only): \"" + spec_text + "\"");

  std::string data;
  if (!read_input(file, data)) return 1;
  mime::Message m = mime::parse(data);
  const std::string name = file == "-" ? std::string("standard input") : file;
  if (binary) {
    mime::BinaryResult r = mime::fetch_binary(m, spec->path);
    switch (r.status) {
      case mime::BinaryResult::Status::ok:
        break;
      case mime::BinaryResult::Status::no_such_part:
        return fail(name + ": no section \"" + spec_text + "\" in this message");
      case mime::BinaryResult::Status::unknown_cte:
        return fail(name + ": section \"" + spec_text +
                    "\" has an unknown Content-Transfer-Encoding (IMAP UNKNOWN-CTE)");
    }
    return write_out(slice(r.data, partial));
  }
  std::optional<mime::SectionBytes> bytes = mime::fetch_section(m, *spec);
  if (!bytes) return fail(name + ": no section \"" + spec_text + "\" in this message");
  std::string crlf = bytes->crlf_str();
  return write_out(slice(crlf, partial));
}

}  // namespace estafeta::cli
