// pop3_message_streamer: see pop3_message_streamer.hpp.
#include "pop3/proto/pop3_message_streamer.hpp"

namespace estafeta::pop3 {

DotStuffer::DotStuffer(std::optional<std::uint64_t> top_lines) : top_lines_(top_lines) {}
void DotStuffer::feed(std::string_view in, std::string& out) {
  out.append(in);
}
void DotStuffer::finish(std::string& out) {
  out += ".\r\n";
}
bool DotStuffer::satisfied() const {
  return done_;
}

MessageStreamer::MessageStreamer(std::shared_ptr<store::Blob> blob,
                                 std::optional<std::uint64_t> top_lines)
    : blob_(std::move(blob)), stuffer_(top_lines), size_(blob_ ? blob_->size() : 0) {}
std::error_code MessageStreamer::next(std::string& out) {
  out.clear();
  stuffer_.finish(out);
  done_ = true;
  return {};
}

}  // namespace estafeta::pop3
