// smime_trust_store: TrustSettings loaded into an OpenSSL X509_STORE, and the chain check
// that records every fault (internal to the S/MIME library; smime_trust.hpp has the types).
// Trust: CA and CRL files are the user's; the certificate and the untrusted intermediates
// checked come from messages. Bounds: path depth Limits::max_chain.
#pragma once

#include "smime/smime_ossl.hpp"
#include "smime/smime_trust.hpp"

namespace estafeta::smime {

class TrustStore {
 public:
  // Loads the settings; an unreadable CA or CRL file is an error naming it.
  static Result<TrustStore> load(const TrustSettings& settings, const Limits& limits);

  // Path validation of `cert` with `untrusted` intermediates (may be null) for `purpose`
  // (X509_PURPOSE_SMIME_SIGN or _ENCRYPT).
  ChainCheck check(X509* cert, STACK_OF(X509) * untrusted, int purpose) const;

 private:
  std::shared_ptr<X509_STORE> store_;
  bool crls_ = false;
  std::time_t at_ = 0;
  int depth_ = 16;
};

// The chain check for a certificate in PEM (with optional intermediates in PEM), for
// `estafeta cert list` and callers that check before encrypting.
Result<ChainCheck> check_certificate(std::string_view cert_pem, std::string_view chain_pem,
                                     const TrustSettings& settings, const Limits& limits = {});

}  // namespace estafeta::smime
