// smime_test_pki: a test-only PKI made once per test binary: a trusted CA with certificates
// for alice@example.org and bob@example.org, an expired one for alice, a CA nobody trusts
// with its own "alice", a CRL revoking a fourth certificate, and messages to sign. Test
// support only (header-only, included by *_test.cpp files; nothing in the library uses it).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "mime/mime_compose.hpp"
#include "smime/smime_ca.hpp"
#include "smime/smime_trust.hpp"

namespace estafeta::smime::testing {

struct Pki {
  Identity ca, alice, bob, alice_expired, revoked;
  Identity other_ca, other_alice;
  std::string crl;

  static const Pki& get() {
    static const Pki pki = make();
    return pki;
  }

  // Trusts `ca` only (not the system store).
  TrustSettings trust() const {
    TrustSettings t;
    t.system_store = false;
    t.ca_pems = {ca.cert_pem};
    return t;
  }

 private:
  static Identity must(Result<Identity> r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().text);
    return r.ok() ? *r : Identity{};
  }
  static Pki make() {
    Pki p;
    // RSA for Alice and Bob (key transport, the common case); EC P-256 elsewhere, which is
    // generated in a fraction of the time (every test process makes this PKI once).
    const KeyType ec = KeyType::ec_p256;
    p.ca = must(make_ca({.name = "Estafeta Test CA", .key = ec}));
    p.alice = must(issue_certificate(p.ca, {.email = "alice@example.org", .name = "Alice"}));
    p.bob = must(issue_certificate(p.ca, {.email = "bob@example.org", .name = "Bob"}));
    p.alice_expired = must(issue_certificate(
        p.ca,
        {.email = "alice@example.org", .days = 30, .key = ec, .not_before_offset = -400 * 86400}));
    p.revoked = must(issue_certificate(p.ca, {.email = "alice@example.org", .key = ec}));
    p.other_ca = must(make_ca({.name = "Nobody's CA", .key = ec}));
    p.other_alice = must(issue_certificate(p.other_ca, {.email = "alice@example.org", .key = ec}));
    auto crl = make_crl(p.ca, {p.revoked.cert_pem});
    EXPECT_TRUE(crl.ok());
    if (crl) p.crl = *crl;
    return p;
  }
};

inline std::string message_from(
    const std::string& from, const std::string& text = "Hello Bob,\nthe figures are attached.\n") {
  mime::Draft d;
  d.from = {"Alice", from};
  d.to = {{"Bob", "bob@example.org"}};
  d.subject = "Quarterly figures";
  d.text = text;
  d.message_id = "test.1@example.org";
  return mime::compose(d);
}

}  // namespace estafeta::smime::testing
