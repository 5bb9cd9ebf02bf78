// fuzz_mua_reply: arbitrary bytes as the original message of `mail reply`, `reply-all` and
// `forward` (mua_reply.hpp): the drafts are built and composed, and the outbox record
// parser (mua_outbox_record.hpp) reads the same bytes. Checks: no crash, the reply subject
// starts with "Re: " exactly once, References holds at most kMaxReferences ids, the
// composed message has a header/body separator.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/mime_compose.hpp"
#include "mua/proto/mua_outbox_record.hpp"
#include "mua/proto/mua_reply.hpp"

using namespace estafeta;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const mime::DraftAddress me{"Me", "me@example.org"};
  for (bool all : {false, true}) {
    mime::Draft d = mua::build_reply(in, me, {all, "me@example.org", {}});
    if (d.subject.rfind("Re: ", 0) != 0) std::abort();
    if (mua::reply_subject(d.subject) != d.subject) std::abort();  // no piling up
    for (const auto& [name, value] : d.headers)
      if (name == "References") {
        std::size_t ids = 0;
        for (char c : value) ids += c == '<';
        if (ids > mua::kMaxReferences) std::abort();
      }
    std::string out = mime::compose(d);
    if (out.find("\r\n\r\n") == std::string::npos) std::abort();
  }
  for (bool attach : {false, true}) {
    mime::Draft f = mua::build_forward(in, me, attach);
    (void)mime::compose(f);
  }
  (void)mua::parse_outbox_record(in);
  return 0;
}
