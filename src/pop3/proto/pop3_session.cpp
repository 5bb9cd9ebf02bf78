// pop3_session: see pop3_session.hpp.
#include "pop3/proto/pop3_session.hpp"

namespace estafeta::pop3 {

struct Session::Message {
  store::MessageInfo info;
};

Session::Session(SessionOptions options, SessionHooks hooks)
    : options_(std::move(options)), hooks_(std::move(hooks)), tls_active_(options_.tls_active) {}
Session::~Session() = default;

void Session::start() {
  send("+OK Estafeta POP3 ready.\r\n");
}
void Session::receive_line(const net::LineReader::Line& line) {
  receive_line(line.text);
}
void Session::receive_line(std::string_view) {
  send("-ERR Not implemented yet.\r\n");
}
void Session::tls_started() {
  tls_active_ = true;
  awaiting_tls_ = false;
}
void Session::timed_out() {
  send("-ERR Disconnected for inactivity.\r\n");
  out_.push_back(Output{Output::Kind::close, {}, {}, {}});
  closed_ = true;
}
std::optional<Output> Session::next() {
  if (out_.empty()) return std::nullopt;
  Output o = std::move(out_.front());
  out_.pop_front();
  return o;
}
std::vector<std::string> Session::capabilities() const {
  return {};
}
void Session::send(std::string text) {
  out_.push_back(Output{Output::Kind::text, std::move(text), {}, {}});
}

}  // namespace estafeta::pop3
