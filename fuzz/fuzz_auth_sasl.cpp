// fuzz_auth_sasl: the SASL engine (src/auth/proto/auth_sasl) on arbitrary client responses.
// The first octet chooses the mechanism (PLAIN or LOGIN), whether responses are fed raw or
// through the protocol framing (decode_response: base64, "=", "*"), and whether an initial
// response is given; the rest is split at LF into responses. Checks: every step answers;
// Done carries a non-empty authcid and secret within kMaxSaslResponse and no NUL in LOGIN's;
// after Done or Fail every further step is Fail{malformed}; a decoded response is at most
// kMaxSaslResponse octets and no more than its base64 can hold; challenges frame as "+ "
// base64 CRLF.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "auth/proto/auth_sasl.hpp"
#include "base/base64.hpp"

using namespace estafeta::auth;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t setup = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool login = setup & 1;
  const bool framed = setup & 2;
  const bool initial = setup & 4;
  SaslContext context;
  context.tls_active = setup & 8;
  auto mech = SaslRegistry::standard().create(login ? "login" : "PLAIN", context);
  check(mech != nullptr);
  if (!initial) {
    std::string framedc = frame_challenge("+ ", mech->initial_challenge());
    check(framedc.size() >= 4 && framedc.compare(0, 2, "+ ") == 0 &&
          framedc.compare(framedc.size() - 2, 2, "\r\n") == 0);
  }
  bool over = false;
  for (int guard = 0; guard < 64 && !in.empty(); ++guard) {
    std::size_t lf = in.find('\n');
    std::string_view line = in.substr(0, lf);
    in = lf == std::string_view::npos ? std::string_view() : in.substr(lf + 1);
    std::string response(line);
    if (framed) {
      SaslResponse r = decode_response(line);
      if (r.kind == SaslResponse::Kind::cancel) {
        check(line == "*");
        return 0;
      }
      if (r.kind == SaslResponse::Kind::malformed) continue;
      check(r.data.size() <= kMaxSaslResponse);
      check(r.data.size() <= estafeta::base64::decoded_size_max(line.size()));
      response = std::move(r.data);
    }
    SaslStep step = mech->step(response);
    if (over) {
      auto* f = std::get_if<SaslFail>(&step);
      check(f && f->kind == SaslFail::Kind::malformed);
      continue;
    }
    if (auto* c = std::get_if<SaslContinue>(&step)) {
      check(login && c->challenge == "Password:");
      continue;
    }
    over = true;
    if (auto* d = std::get_if<SaslDone>(&step)) {
      check(!d->authcid.empty() && !d->secret.empty());
      check(d->authcid.size() <= kMaxSaslResponse && d->secret.size() <= kMaxSaslResponse);
      if (login) {
        check(d->authzid.empty());
        check(d->authcid.find('\0') == std::string::npos &&
              d->secret.find('\0') == std::string::npos);
      }
    }
  }
  return 0;
}
