// smime_trust_store: see smime_trust_store.hpp.
#include "smime/smime_trust_store.hpp"

#include <fstream>
#include <iterator>

namespace estafeta::smime {

namespace {

Result<std::string> read_file(const std::string& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return PeerError{554, "5.7.5", "cannot read " + path};
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max) return PeerError{554, "5.7.5", path + " is too large"};
  }
  return data;
}

struct CheckState {
  ChainCheck* out;
};

int record_cb(int ok, X509_STORE_CTX* ctx) {
  if (ok) return ok;
  auto* st = static_cast<CheckState*>(X509_STORE_CTX_get_app_data(ctx));
  int err = X509_STORE_CTX_get_error(ctx);
  int depth = X509_STORE_CTX_get_error_depth(ctx);
  ChainCheck& c = *st->out;
  bool note_only = false;
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      c.expired = true;
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      c.not_yet_valid = true;
      break;
    case X509_V_ERR_CERT_REVOKED:
      c.revoked = true;
      break;
    case X509_V_ERR_INVALID_PURPOSE:
      c.wrong_purpose = true;
      break;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
      if (depth == 0) c.revocation_checked = false;
      note_only = true;
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      c.untrusted_issuer = true;
      break;
    default:
      c.untrusted_issuer = true;
      break;  // any other fault: not a trusted path
  }
  (void)note_only;
  if (c.errors.size() < 16) {
    std::string e = X509_verify_cert_error_string(err);
    e += " (depth " + std::to_string(depth) + ")";
    c.errors.push_back(std::move(e));
  }
  return 1;  // go on, to learn every fault
}

}  // namespace

Result<TrustStore> TrustStore::load(const TrustSettings& settings, const Limits& limits) {
  TrustStore t;
  ERR_clear_error();
  t.store_.reset(X509_STORE_new(), X509_STORE_free);
  X509_STORE* s = t.store_.get();
  if (settings.system_store) X509_STORE_set_default_paths(s);
  ERR_clear_error();  // a missing system directory is not an error
  auto add_certs = [&](std::string_view pem, const std::string& what) -> Status {
    auto certs = ossl::read_certs(pem, 1000);
    if (!certs) return PeerError{554, "5.7.5", what + ": " + certs.error().text};
    for (auto& c : *certs) X509_STORE_add_cert(s, c.get());
    ERR_clear_error();  // "already in the store"
    return Ok{};
  };
  for (const auto& f : settings.ca_files) {
    auto data = read_file(f, 16u << 20);
    if (!data) return data.error();
    if (auto st = add_certs(*data, "CA file " + f); !st) return st.error();
  }
  for (const auto& p : settings.ca_pems)
    if (auto st = add_certs(p, "CA certificate"); !st) return st.error();
  auto add_crls = [&](std::string_view data, const std::string& what) -> Status {
    auto crls = ossl::read_crls(data, 1000);
    if (!crls) return PeerError{554, "5.7.5", what + ": " + crls.error().text};
    for (auto& c : *crls) X509_STORE_add_crl(s, c.get());
    ERR_clear_error();
    t.crls_ = true;
    return Ok{};
  };
  for (const auto& f : settings.crl_files) {
    auto data = read_file(f, 64u << 20);
    if (!data) return data.error();
    if (auto st = add_crls(*data, "CRL file " + f); !st) return st.error();
  }
  for (const auto& p : settings.crl_pems)
    if (auto st = add_crls(p, "CRL"); !st) return st.error();
  t.at_ = settings.at;
  t.depth_ = static_cast<int>(limits.max_chain);
  return t;
}

ChainCheck TrustStore::check(X509* cert, STACK_OF(X509) * untrusted, int purpose) const {
  ChainCheck out;
  out.revocation_checked = crls_;
  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), cert, untrusted) != 1) {
    out.untrusted_issuer = true;
    out.errors.push_back("cannot start the chain check");
    return out;
  }
  CheckState st{&out};
  X509_STORE_CTX_set_app_data(ctx.get(), &st);
  X509_STORE_CTX_set_verify_cb(ctx.get(), record_cb);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_depth(param, depth_);
  if (crls_) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
  if (at_ != 0) X509_VERIFY_PARAM_set_time(param, at_);
  int rc = X509_verify_cert(ctx.get());
  if (rc != 1) {
    out.untrusted_issuer = true;
    if (out.errors.empty()) out.errors.push_back("chain check failed: " + ossl::errors());
  }
  ERR_clear_error();
  if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get())) {
    for (int i = 0; i < sk_X509_num(chain) && i < depth_ + 1; ++i)
      out.path.push_back(ossl::name_line(X509_get_subject_name(sk_X509_value(chain, i))));
  }
  out.trusted = !out.untrusted_issuer;
  return out;
}

Result<ChainCheck> check_certificate(std::string_view cert_pem, std::string_view chain_pem,
                                     const TrustSettings& settings, const Limits& limits) {
  auto store = TrustStore::load(settings, limits);
  if (!store) return store.error();
  auto cert = ossl::read_cert(cert_pem);
  if (!cert) return cert.error();
  ossl::CertStack chain(sk_X509_new_null());
  if (!chain_pem.empty()) {
    auto certs = ossl::read_certs(chain_pem, limits.max_chain);
    if (!certs) return certs.error();
    for (auto& x : *certs) sk_X509_push(chain.get(), x.release());
  }
  return store->check(cert->get(), chain.get(), X509_PURPOSE_SMIME_SIGN);
}

}  // namespace estafeta::smime
