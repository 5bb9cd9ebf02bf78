// smtp_session_auth: AUTH (RFC 4954) with the SASL mechanisms PLAIN (RFC 4616) and
// LOGIN, base64 responses decoded strictly, failures counted toward max_auth_failures.
// Part of ServerSession (see smtp_server_session.cpp for the invariants); sees
// unauthenticated input, bounded as smtp_server_session.hpp says.
#include <fmt/format.h>

#include <algorithm>

#include "base/base64.hpp"
#include "smtp/proto/smtp_reply.hpp"
#include "smtp/proto/smtp_server_session_impl.hpp"

namespace estafeta::smtp {

using namespace detail;

void ServerSession::Impl::do_auth(const CommandLine& cmd) {
  auto args = parse_auth(cmd.argument);
  if (!args) {
    fail(args.error());
    return;
  }
  if (args->mechanism == "PLAIN") {
    if (args->initial_response) {
      plain_response(*args->initial_response);
    } else {
      send("334 \r\n");
      enter(State::auth_plain);
    }
  } else if (args->mechanism == "LOGIN") {
    if (args->initial_response) {
      login_step(*args->initial_response, true);
    } else {
      send("334 VXNlcm5hbWU6\r\n");  // "Username:"
      enter(State::auth_login_user);
    }
  } else {
    fail({504, "5.5.4", "Unrecognized authentication type"});
  }
}

void ServerSession::Impl::auth_continuation(State was, std::string text) {
  trace(text == "*" ? "*" : "<redacted>");
  if (text == "*") {  // RFC 4954 §4: the client cancels the exchange
    fail({501, "5.0.0", "Authentication cancelled"});
    return;
  }
  if (was == State::auth_plain) {
    plain_response(text);
  } else {
    login_step(text, was == State::auth_login_user);
  }
}

// Decodes a SASL response; "=" is the empty response (RFC 4954 §4).
bool ServerSession::Impl::decode_response(std::string_view text, std::string& out) {
  out.clear();
  if (text == "=") return true;
  if (text.empty() || !base64::decode_strict(text, out)) {
    fail({501, "5.5.2", "Cannot decode response"});
    return false;
  }
  return true;
}

void ServerSession::Impl::plain_response(std::string_view text) {
  std::string decoded;
  if (!decode_response(text, decoded)) return;
  // RFC 4616 §2: [authzid] NUL authcid NUL passwd
  std::size_t a = decoded.find('\0');
  std::size_t b = a == std::string::npos ? a : decoded.find('\0', a + 1);
  if (b == std::string::npos || decoded.find('\0', b + 1) != std::string::npos) {
    fail({501, "5.5.2", "Invalid PLAIN response"});
    return;
  }
  std::string authzid = decoded.substr(0, a);
  std::string authcid = decoded.substr(a + 1, b - a - 1);
  std::string password = decoded.substr(b + 1);
  std::fill(decoded.begin(), decoded.end(), '\0');
  // Acting for another identity is not supported: authzid empty or the login itself.
  if (authcid.empty() || password.empty() || (!authzid.empty() && authzid != authcid)) {
    auth_failed();
    return;
  }
  events.emplace_back(Authenticate{std::move(authcid), std::move(password)});
  enter(State::await_auth);
}

void ServerSession::Impl::login_step(std::string_view text, bool is_user) {
  std::string decoded;
  if (!decode_response(text, decoded)) return;
  if (is_user) {
    login_user = std::move(decoded);
    send("334 UGFzc3dvcmQ6\r\n");  // "Password:"
    enter(State::auth_login_password);
    return;
  }
  if (login_user.empty() || decoded.empty()) {
    login_user.clear();
    auth_failed();
    return;
  }
  events.emplace_back(Authenticate{std::move(login_user), std::move(decoded)});
  login_user.clear();
  enter(State::await_auth);
}

void ServerSession::Impl::auth_failed() {
  enter(State::command);
  ++auth_failures;
  fail({535, "5.7.8", "Authentication credentials invalid"});
  if (state != State::closed && auth_failures >= limits.max_auth_failures)
    close_421("4.7.0", "Error: too many authentication failures");
}

void ServerSession::Impl::auth_result(std::optional<std::string> account) {
  if (!expect(State::await_auth, "auth_result")) return;
  enter(State::command);
  if (account && !account->empty()) {
    auth_user = std::move(*account);
    reply(235, "2.7.0", "Authentication successful");
  } else {
    auth_failed();
  }
  pump();
}

}  // namespace estafeta::smtp
