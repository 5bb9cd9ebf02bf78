// imap_session_auth: the commands of any state and of the not-authenticated state (RFC 9051
// §6.1, §6.2): CAPABILITY, LOGOUT, STARTTLS (RFC 9051 §6.2.1), LOGIN and AUTHENTICATE (PLAIN,
// LOGIN, SASL-IR RFC 4959) refused before TLS with [PRIVACYREQUIRED] (LOGINDISABLED, RFC 9051
// §6.2.3), ENABLE (RFC 5161), ID (RFC 2971), COMPRESS (RFC 4978). Passwords never appear in
// output and are wiped once checked.
#include "auth/proto/auth_sasl.hpp"
#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {

void Session::cmd_capability(const Command& c) {
  send("* CAPABILITY " + capabilities() + "\r\n");
  tagged_ok(c.tag, "Capability completed.");
}

void Session::cmd_logout(const Command& c) {
  send("* BYE Logging out\r\n");
  tagged_ok(c.tag, "Logout completed.");
  Output o;
  o.kind = Output::Kind::close;
  out_.push_back(std::move(o));
  closed_ = true;
  state_ = State::logout;
}

void Session::cmd_starttls(const Command& c) {
  if (tls_active_) {
    tagged_bad(c.tag, "TLS is already active.");
    return;
  }
  if (!options_.starttls_available) {
    tagged_bad(c.tag, "TLS support isn't enabled.");
    return;
  }
  tagged_ok(c.tag, "Begin TLS negotiation now.");
  Output o;
  o.kind = Output::Kind::start_tls;
  out_.push_back(std::move(o));
}

void Session::cmd_login(const Command& c, const Login& login) {
  if (!auth_allowed()) {
    // RFC 9051 §6.2.3, §7.1 PRIVACYREQUIRED: no passwords in clear.
    tagged_no(c.tag,
              "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure "
              "(SSL/TLS) connections.");
    return;
  }
  std::string password = login.password;
  finish_login(c.tag, login.user, password);
  auth::wipe(password);
}

void Session::cmd_authenticate(const Command& c, const Authenticate& a) {
  if (!auth_allowed()) {
    tagged_no(c.tag,
              "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure "
              "(SSL/TLS) connections.");
    return;
  }
  auth::SaslContext context;
  context.tls_active = tls_active_;
  sasl_ = auth::SaslRegistry::standard().create(a.mechanism, context);
  if (!sasl_) {
    tagged_no(c.tag, "Unsupported authentication mechanism.");
    return;
  }
  sasl_tag_ = c.tag;
  if (a.initial_response) {  // SASL-IR (RFC 4959)
    auth_step(*a.initial_response);
    return;
  }
  send(auth::frame_challenge("+ ", sasl_->initial_challenge()));
}

// One client line of the AUTHENTICATE exchange (RFC 9051 §6.2.2).
void Session::auth_step(std::string_view line) {
  std::string tag = sasl_tag_;
  auth::SaslResponse r = auth::decode_response(line);
  if (r.kind == auth::SaslResponse::Kind::cancel) {
    sasl_.reset();
    tagged_bad(tag, "Authentication aborted by client.");
    return;
  }
  if (r.kind == auth::SaslResponse::Kind::malformed) {
    sasl_.reset();
    tagged_bad(tag, "Invalid base64 data in continued response.");
    return;
  }
  auth::SaslStep step = sasl_->step(r.data);
  auth::wipe(r.data);
  if (auto* cont = std::get_if<auth::SaslContinue>(&step)) {
    send(auth::frame_challenge("+ ", cont->challenge));
    return;
  }
  sasl_.reset();
  if (auto* done = std::get_if<auth::SaslDone>(&step)) {
    if (!done->authzid.empty() && done->authzid != done->authcid) {
      auth::wipe(done->secret);
      tagged_no(tag, "[AUTHORIZATIONFAILED] Authorization failed.");
      return;
    }
    finish_login(tag, done->authcid, done->secret);
    auth::wipe(done->secret);
    return;
  }
  const auto& fail = std::get<auth::SaslFail>(step);
  if (fail.kind == auth::SaslFail::Kind::malformed)
    tagged_bad(tag, "Invalid authentication data.");
  else
    tagged_no(tag, "[AUTHENTICATIONFAILED] Authentication failed.");
}

void Session::finish_login(const std::string& tag, std::string_view user,
                           std::string_view password) {
  LoginResult r;
  if (hooks_.login) r = hooks_.login(user, password);
  if (r.kind == LoginResult::Kind::ok) {
    std::shared_ptr<store::Account> account;
    if (hooks_.open_account) account = hooks_.open_account(r.account);
    if (!account) {
      tagged_no(tag, "[UNAVAILABLE] Mailbox storage is temporarily unavailable.");
      return;
    }
    account_name_ = r.account;
    account_ = std::move(account);
    state_ = State::authenticated;
    // RFC 9051 §6.2.2: the capabilities may change after login; send them with the OK.
    tagged_ok(tag, "[CAPABILITY " + capabilities() + "] Logged in");
    return;
  }
  if (r.kind == LoginResult::Kind::unavailable) {
    tagged_no(tag, "[UNAVAILABLE] Temporary authentication failure.");
    return;
  }
  tagged_no(tag, "[AUTHENTICATIONFAILED] Authentication failed.");
  if (++auth_failures_ >= options_.max_auth_failures)
    close_with("Too many invalid authentication attempts.");
}

void Session::cmd_enable(const Command& c, const Enable& e) {
  // RFC 5161 §3.2: "* ENABLED" lists what this command newly enabled; unknown names are
  // ignored.
  std::string enabled;
  for (const auto& name : e.capabilities) {
    std::string n = name;
    for (auto& ch : n)
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    bool* flag = nullptr;
    std::string_view shown;
    if (n == "IMAP4REV2") {
      flag = &enabled_rev2_;
      shown = "IMAP4rev2";
    } else if (n == "CONDSTORE") {
      flag = &enabled_condstore_;
      shown = "CONDSTORE";
    } else if (n == "QRESYNC") {
      flag = &enabled_qresync_;
      shown = "QRESYNC";
    } else if (n == "UTF8=ACCEPT") {
      flag = &enabled_utf8_;
      shown = "UTF8=ACCEPT";
    } else if (n == "UIDONLY") {  // RFC 9586 §3
      flag = &enabled_uidonly_;
      shown = "UIDONLY";
    }
    if (!flag || *flag) continue;
    *flag = true;
    enabled += " ";
    enabled += shown;
    // RFC 7162 §3.2.3: enabling QRESYNC enables CONDSTORE too.
    if (flag == &enabled_qresync_ && !enabled_condstore_) {
      enabled_condstore_ = true;
      enabled += " CONDSTORE";
    }
  }
  send("* ENABLED" + enabled + "\r\n");
  tagged_ok(c.tag, "Enabled.");
}

void Session::cmd_id(const Command& c, const Id&) {
  // RFC 2971 §3.1: the server's own identification; the client's is only informative.
  send("* ID (\"name\" \"Estafeta\")\r\n");
  tagged_ok(c.tag, "ID completed.");
}

void Session::cmd_compress(const Command& c, const Compress& z) {
  if (!options_.compress_available || z.mechanism != "DEFLATE") {
    tagged_bad(c.tag, "Unsupported compression mechanism.");
    return;
  }
  if (compressed_) {
    tagged_no(c.tag, "[COMPRESSIONACTIVE] Compression already enabled.");
    return;
  }
  compressed_ = true;
  tagged_ok(c.tag, "DEFLATE active");  // RFC 4978 §3: the OK is the last uncompressed output
  Output o;
  o.kind = Output::Kind::start_compress;
  out_.push_back(std::move(o));
}

}  // namespace estafeta::imap
