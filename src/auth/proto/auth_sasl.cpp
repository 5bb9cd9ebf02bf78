// auth_sasl: the SASL registry, the PLAIN and LOGIN mechanisms and the response framing (see
// the header). PLAIN follows RFC 4616 §2 exactly; LOGIN has no RFC, its behaviour is that of
// draft-murchison-sasl-login-00 as Postfix, Dovecot and every client implement it.
#include "auth/proto/auth_sasl.hpp"

#include <algorithm>

#include "base/base64.hpp"

namespace estafeta::auth {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto up = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; };
    return up(x) == up(y);
  });
}

SaslFail malformed(std::string reason) {
  return SaslFail{SaslFail::Kind::malformed, std::move(reason)};
}
SaslFail rejected(std::string reason) {
  return SaslFail{SaslFail::Kind::rejected, std::move(reason)};
}

// RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd. Exactly two NULs; the
// authcid and passwd are 1*SAFE, the authzid may be empty.
class Plain final : public SaslMechanism {
 public:
  std::string_view name() const override { return "PLAIN"; }
  std::string initial_challenge() override { return ""; }
  bool plaintext() const override { return true; }

  SaslStep step(std::string_view response) override {
    if (over_) return malformed("Authentication exchange is over");
    over_ = true;
    if (response.size() > kMaxSaslResponse) return malformed("Response too long");
    std::size_t a = response.find('\0');
    std::size_t b = a == std::string_view::npos ? a : response.find('\0', a + 1);
    if (b == std::string_view::npos || response.find('\0', b + 1) != std::string_view::npos)
      return malformed("Invalid PLAIN response");
    SaslDone done{std::string(response.substr(0, a)),
                  std::string(response.substr(a + 1, b - a - 1)),
                  std::string(response.substr(b + 1))};
    if (done.authcid.empty() || done.secret.empty()) {
      wipe(done.secret);
      return rejected("Empty user name or password");
    }
    return done;
  }

 private:
  bool over_ = false;
};

// LOGIN: the server asks "Username:" then "Password:"; each answer is one response. An
// initial response, when given, is the user name.
class Login final : public SaslMechanism {
 public:
  ~Login() override { wipe(user_); }
  std::string_view name() const override { return "LOGIN"; }
  std::string initial_challenge() override { return "Username:"; }
  bool plaintext() const override { return true; }

  SaslStep step(std::string_view response) override {
    if (state_ == State::over) return malformed("Authentication exchange is over");
    if (response.size() > kMaxSaslResponse) {
      state_ = State::over;
      wipe(user_);
      return malformed("Response too long");
    }
    if (state_ == State::user) {
      user_.assign(response);
      state_ = State::password;
      return SaslContinue{"Password:"};
    }
    state_ = State::over;
    // A NUL cannot be part of a user name or password here (nor in PLAIN, where it is the
    // separator): such credentials can never be valid.
    if (user_.empty() || response.empty() || user_.find('\0') != std::string::npos ||
        response.find('\0') != std::string_view::npos) {
      wipe(user_);
      return rejected("Empty or invalid user name or password");
    }
    SaslDone done{"", std::move(user_), std::string(response)};
    user_.clear();
    return done;
  }

 private:
  enum class State { user, password, over };
  State state_ = State::user;
  std::string user_;
};

}  // namespace

std::unique_ptr<SaslMechanism> make_sasl_plain(const SaslContext&) {
  return std::make_unique<Plain>();
}
std::unique_ptr<SaslMechanism> make_sasl_login(const SaslContext&) {
  return std::make_unique<Login>();
}

void SaslRegistry::add(std::string name, Factory factory) {
  for (auto& [n, f] : entries_) {
    if (iequal(n, name)) {
      f = std::move(factory);
      return;
    }
  }
  entries_.emplace_back(std::move(name), std::move(factory));
}

std::unique_ptr<SaslMechanism> SaslRegistry::create(std::string_view name,
                                                    const SaslContext& context) const {
  for (const auto& [n, f] : entries_)
    if (iequal(n, name)) return f(context);
  return nullptr;
}

bool SaslRegistry::contains(std::string_view name) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const auto& e) { return iequal(e.first, name); });
}

std::string SaslRegistry::advertised() const {
  std::string out;
  for (const auto& e : entries_) {
    if (!out.empty()) out += ' ';
    out += e.first;
  }
  return out;
}

const SaslRegistry& SaslRegistry::standard() {
  static const SaslRegistry registry = [] {
    SaslRegistry r;
    r.add("PLAIN", make_sasl_plain);
    r.add("LOGIN", make_sasl_login);
    return r;
  }();
  return registry;
}

std::string frame_challenge(std::string_view prefix, std::string_view challenge) {
  std::string out(prefix);
  base64::encode_append(challenge, out);
  out += "\r\n";
  return out;
}

SaslResponse decode_response(std::string_view line) {
  SaslResponse r;
  // RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4: "*" cancels the exchange.
  if (line == "*") {
    r.kind = SaslResponse::Kind::cancel;
    return r;
  }
  // RFC 4954 §4: "=" is an empty initial response; a bare "=" line is accepted the same way
  // for the later responses (Postfix and Dovecot do too).
  if (line == "=") {
    r.kind = SaslResponse::Kind::data;
    return r;
  }
  if (line.empty() || line.size() > base64::encoded_size(kMaxSaslResponse)) return r;
  if (!base64::decode_strict(line, r.data) || r.data.size() > kMaxSaslResponse) {
    wipe(r.data);
    r.data.clear();
    return r;
  }
  r.kind = SaslResponse::Kind::data;
  return r;
}

void wipe(std::string& secret) {
  // volatile: the stores may not be elided although the string is about to be freed.
  volatile char* p = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i) p[i] = '\0';
}

}  // namespace estafeta::auth
