// smtp_session_auth: AUTH (RFC 4954) over the SASL engine (auth/proto/auth_sasl.hpp): the
// mechanisms of SaslRegistry::standard() (PLAIN, RFC 4616, and LOGIN), framed with "334 "
// challenges, base64 responses decoded strictly, "*" to cancel; failures counted toward
// max_auth_failures. Part of ServerSession (see smtp_server_session.cpp for the invariants);
// sees unauthenticated input, bounded as smtp_server_session.hpp says (a response is one
// command line; the mechanism keeps at most auth::kMaxSaslResponse octets).
#include <fmt/format.h>

#include "auth/proto/auth_sasl.hpp"
#include "smtp/proto/smtp_reply.hpp"
#include "smtp/proto/smtp_server_session_impl.hpp"

namespace estafeta::smtp {

using namespace detail;

namespace {
// RFC 4954 §4: a server challenge is "334" SP base64.
constexpr std::string_view kChallengePrefix = "334 ";
}  // namespace

void ServerSession::Impl::do_auth(const CommandLine& cmd) {
  auto args = parse_auth(cmd.argument);
  if (!args) {
    fail(args.error());
    return;
  }
  auth::SaslContext context;
  context.tls_active = tls_active;
  sasl = auth::SaslRegistry::standard().create(args->mechanism, context);
  if (!sasl) {
    fail({504, "5.5.4", "Unrecognized authentication type"});
    return;
  }
  if (args->initial_response) {
    // "*" cancels only in answer to a challenge (RFC 4954 §4); here it is bad base64.
    sasl_response(*args->initial_response == "*" ? "" : *args->initial_response);
  } else {
    send(auth::frame_challenge(kChallengePrefix, sasl->initial_challenge()));
    enter(State::auth_response);
  }
}

void ServerSession::Impl::auth_continuation(State, std::string text) {
  trace(text == "*" ? "*" : "<redacted>");
  sasl_response(text);
  auth::wipe(text);
}

void ServerSession::Impl::sasl_response(std::string_view text) {
  auth::SaslResponse response = auth::decode_response(text);
  if (response.kind == auth::SaslResponse::Kind::cancel) {  // RFC 4954 §4
    sasl.reset();
    fail({501, "5.0.0", "Authentication cancelled"});
    return;
  }
  if (response.kind == auth::SaslResponse::Kind::malformed || !sasl) {
    sasl.reset();
    fail({501, "5.5.2", "Cannot decode response"});
    return;
  }
  auth::SaslStep step = sasl->step(response.data);
  auth::wipe(response.data);
  if (auto* next = std::get_if<auth::SaslContinue>(&step)) {
    send(auth::frame_challenge(kChallengePrefix, next->challenge));
    enter(State::auth_response);
    return;
  }
  sasl.reset();
  if (auto* f = std::get_if<auth::SaslFail>(&step)) {
    if (f->kind == auth::SaslFail::Kind::malformed) {
      fail({501, "5.5.2", f->reason});
    } else {
      auth_failed();
    }
    return;
  }
  auto& done = std::get<auth::SaslDone>(step);
  // Acting for another identity is not supported: authzid empty or the login itself.
  if (!done.authzid.empty() && done.authzid != done.authcid) {
    auth::wipe(done.secret);
    auth_failed();
    return;
  }
  events.emplace_back(Authenticate{std::move(done.authcid), std::move(done.secret)});
  enter(State::await_auth);
}

void ServerSession::Impl::auth_failed() {
  enter(State::command);
  ++auth_failures;
  fail({535, "5.7.8", "Authentication credentials invalid"});
  if (state != State::closed && auth_failures >= limits.max_auth_failures)
    close_421("4.7.0", "Error: too many authentication failures");
}

void ServerSession::Impl::auth_result(AuthResult result) {
  if (!expect(State::await_auth, "auth_result")) return;
  enter(State::command);
  switch (result.status) {
    case AuthResult::Status::ok:
      if (!result.account.empty()) {
        auth_user = std::move(result.account);
        reply(235, "2.7.0", "Authentication successful");
        break;
      }
      auth_failed();
      break;
    case AuthResult::Status::invalid:
      auth_failed();
      break;
    case AuthResult::Status::temporary_failure:
      // RFC 4954 §6: 454 4.7.0 when the server cannot check the credentials now.
      reply(454, "4.7.0", "Temporary authentication failure");
      break;
    case AuthResult::Status::throttled:
      // Too many failed logins: refused for a while without checking the password. A
      // temporary error, so a legitimate client whose owner mistyped retries later; counted
      // like a failure, so a guesser is disconnected after max_auth_failures.
      reply(454, "4.7.0", "Too many failed logins, try again later");
      ++auth_failures;
      if (state != State::closed && auth_failures >= limits.max_auth_failures)
        close_421("4.7.0", "Error: too many authentication failures");
      break;
  }
  pump();
}

void ServerSession::Impl::auth_result(std::optional<std::string> account) {
  AuthResult r;
  if (account) r = AuthResult{AuthResult::Status::ok, std::move(*account)};
  auth_result(std::move(r));
}

void ServerSession::auth_result(AuthResult result) {
  impl_->auth_result(std::move(result));
}

}  // namespace estafeta::smtp
