// imap_command_reader: see imap_command_reader.hpp. Work in progress.
#include "imap/proto/imap_command_reader.hpp"

namespace estafeta::imap {

std::string CommandError::response() const {
  return tag + (kind == Kind::bad ? " BAD " : " NO ") + text + "\r\n";
}

CommandReader::Step CommandReader::feed_line(const net::LineReader::Line& line) {
  return on_line(line.text, line.length, line.overlong, line.nul || line.bare_cr);
}
CommandReader::Step CommandReader::feed_line(std::string_view text) {
  return on_line(text, text.size() + 2, text.size() + 2 > limits_.max_line, false);
}
CommandReader::Step CommandReader::on_line(std::string_view text, std::uint64_t, bool, bool) {
  buffer_ = std::string(text);
  state_ = State::complete;
  Step s;
  s.kind = Step::Kind::complete;
  return s;
}
CommandReader::Step CommandReader::feed_literal(std::string_view) {
  return Step{};
}
CommandReader::Step CommandReader::fail(CommandError::Kind kind, std::string text) {
  Step s;
  s.kind = Step::Kind::error;
  s.error.kind = kind;
  s.error.text = std::move(text);
  return s;
}
std::string CommandReader::take_command() {
  return std::move(buffer_);
}
void CommandReader::reset() {
  state_ = State::idle;
  buffer_.clear();
}

}  // namespace estafeta::imap
