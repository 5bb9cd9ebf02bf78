// fuzz_mua_message_view: what `estafeta mail read` and the listings make of an arbitrary
// message (src/mua/proto/mua_message_view, mua_render): the view, the text and JSON output,
// attachment bytes and their safe file names, the header summary. Checks the promises made
// to the terminal and the file system: no control characters in one-line fields, safe names
// that are one path component without a leading dot, at most 200 octets and valid UTF-8;
// attachment sizes as reported.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/mime_charset.hpp"
#include "mime/mime_parser.hpp"
#include "mua/proto/mua_message_view.hpp"
#include "mua/proto/mua_render.hpp"

using namespace estafeta;

namespace {

void check_at(bool ok, int line) {
  if (!ok) {
    std::fprintf(stderr, "check failed at line %d\n", line);
    std::abort();
  }
}
#define check(x) check_at((x), __LINE__)

bool no_controls(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == 0xc2 && i + 1 < s.size()) {
      const unsigned char d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0x9f) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const mime::Message m = mime::parse(in);
  const mua::MessageView v = mua::view_message(m);
  check(no_controls(v.subject) && no_controls(v.date) && no_controls(v.message_id));
  for (const auto* list : {&v.from, &v.to, &v.cc, &v.reply_to})
    for (const auto& a : *list) check(no_controls(a.name) && no_controls(a.address));
  for (const auto& a : v.attachments) {
    check(no_controls(a.filename));
    check(!a.safe_name.empty() && a.safe_name.size() <= 200);
    check(a.safe_name.find('/') == std::string::npos &&
          a.safe_name.find('\\') == std::string::npos);
    check(a.safe_name[0] != '.' && a.safe_name[0] != ' ');
    check(mime::is_valid_utf8(a.safe_name) && no_controls(a.safe_name));
    check(mua::attachment_bytes(m, a).size() == a.size);
  }
  for (char c : v.text) check(static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t');
  mua::ReadInfo info;
  info.uid = 1;
  const std::string text = mua::render_message_text(info, v);
  const std::string json = mua::render_message_json(info, v);
  check(!json.empty() && json.front() == '{' && json.back() == '\n');
  const mua::HeaderSummary h = mua::summarize_header(in);
  check(no_controls(h.subject) && no_controls(h.from.name) && no_controls(h.from.address));
  mua::MessageRow row;
  row.header = h;
  check(no_controls(mua::render_row_text(row)));
  const std::string line = mua::terminal_line(in);
  check(no_controls(line) && mime::is_valid_utf8(line));
  (void)mua::safe_file_name(in, 3, "image/png");
  return 0;
}
