// fuzz_smime_inspect: feeds arbitrary bytes to smime::inspect() — MIME parse, multipart/signed
// and application/pkcs7-mime detection, CMS decoding, signature and digest checks, chain
// checks, decryption and unwrapping of nested layers — and checks its promises: it never
// crashes or hangs, a verdict that calls the message signed and valid has a whole-message
// signed layer whose every signature passed every check, and the unwrapped content never
// grows past the input. The key below (EC P-256, test-only, published here on purpose) lets
// seeds encrypted to it reach the decryption and nested-signature paths.
// Input is fully untrusted; small limits make the bounds reachable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smime/smime_inspect.hpp"

using namespace estafeta::smime;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const char* const kCaPem =
    R"(-----BEGIN CERTIFICATE-----
MIIBajCCARCgAwIBAgIUV8aaYkNtjNP09aHbCDBLVqxouv0wCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHRnV6eiBDQTAgFw0yNjEyMDIwOTM4NTlaGA8yMTI2MTEwODA5
Mzg1OVowEjEQMA4GA1UEAwwHRnV6eiBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABPhEXMiH2SHGlPa5aqXfE9/Miu58VUJ6NI10xkZ1M4Cp7hji5RIdVaUNCo+R
omuWTCGAhMTfZI+sfJKDbF+PjGqjQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0P
AQH/BAQDAgEGMB0GA1UdDgQWBBQwW61xIim3jP4mtnY8LLWD9iOlYTAKBggqhkjO
PQQDAgNIADBFAiAFgCBlecMUOxABCthfjQkZVuPHa07bSdPAevdKdnnb1QIhAJUc
Ux0zoFYUF89CPadda4lCrffCv0PlZ7ZB9c9665Yd
-----END CERTIFICATE-----
)";
const char* const kKeyPem =
    R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbmj6j+fEb0Stw6S1
NUuRQ7epGdXWNOVEG8volkmdtruhRANCAAQx7nLa47OZc28ycBc/3VoBIzAGGewA
cnCWQLNn9s1333LtlTMiNCzsqTiAymnHcogN300LDoatoN9hqso22Hx+
-----END PRIVATE KEY-----
)";
const char* const kCertPem =
    R"(-----BEGIN CERTIFICATE-----
MIIBuTCCAV+gAwIBAgIUNy67PyYDHwOWcOIhz5dgvbNrwfIwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHRnV6eiBDQTAgFw0yNjEyMDIwOTM4NTlaGA8yMTI2MTEwODA5
Mzg1OVowDzENMAsGA1UEAwwERnV6ejBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA
BDHuctrjs5lzbzJwFz/dWgEjMAYZ7ABycJZAs2f2zXffcu2VMyI0LOypOIDKacdy
iA3fTQsOhq2g32GqyjbYfH6jgZMwgZAwDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8E
BAMCA4gwEwYDVR0lBAwwCgYIKwYBBQUHAwQwGwYDVR0RBBQwEoEQZnV6ekBleGFt
cGxlLm9yZzAdBgNVHQ4EFgQU7kswdrPhVdZR+veIle+tBUaoNaEwHwYDVR0jBBgw
FoAUMFutcSIpt4z+JrZ2PCy1g/YjpWEwCgYIKoZIzj0EAwIDSAAwRQIgEN1CDUHd
VAfAkX3ZC4GPaksxCSVK2IDGkDIIH9n7beYCIQDm/99q+87oF+cym1Q80ie9R5g4
XYFSzzmsFV20xIbS6A==
-----END CERTIFICATE-----
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const TrustSettings trust = [] {
    TrustSettings t;
    t.system_store = false;
    t.ca_pems = {kCaPem};
    t.at = 1893456000;  // 2030-01-01: fixed, so a run does not depend on the date
    return t;
  }();
  static const std::vector<Identity> keys = {Identity{kKeyPem, kCertPem, ""}};
  Limits limits;
  limits.max_message_size = 1 << 20;
  limits.max_layers = 4;
  limits.max_signers = 4;
  limits.max_recipients = 16;
  limits.max_chain = 8;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = inspect(in, trust, keys, limits);
  if (!v) return 0;
  check(v->layers.size() <= limits.max_layers);
  // Bare LFs become CRLF; unwrapping adds at most a MIME-Version field per layer.
  check(v->content.size() <= 2 * size + 64 * v->layers.size());
  if (v->signed_and_valid()) {
    bool whole = false;
    for (const auto& l : v->layers) {
      check(l.problem.empty());
      for (const auto& s : l.signatures)
        check(s.signature_ok && s.chain.trusted && s.from_matches && !s.chain.expired &&
              !s.chain.revoked && !s.chain.wrong_purpose);
      whole = whole || l.whole_message;
    }
    check(whole);
  }
  (void)format_verdict(*v);
  return 0;
}
