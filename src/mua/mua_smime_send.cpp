// mua_smime_send: see mua_smime_send.hpp.
#include "mua/mua_smime_send.hpp"

#include <algorithm>
#include <cctype>

#include "smime/smime_encrypt.hpp"
#include "smime/smime_sign.hpp"
#include "smime/smime_store.hpp"

namespace estafeta::mua {

namespace {

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<std::string> secure_message(const Account& account, const std::string& message,
                                   const std::vector<std::string>& recipients, bool has_bcc,
                                   const SecureOptions& options,
                                   const smime::PassphraseCallback& passphrase) {
  if (!options.sign && !options.encrypt) return message;
  if (options.encrypt && has_bcc)
    return error(
        "--encrypt with Bcc recipients would name them (their certificates) in the "
        "message everyone gets; send them a separate message");
  smime::Store store(account.smime_store.empty() ? smime::Store::default_dir()
                                                 : account.smime_store);
  if (auto o = store.open(); !o)
    return error("S/MIME store " + store.dir().string() + ": " + o.error().text);
  std::vector<smime::Recipient> to;
  // AES-256-GCM unless a recipient's last verified signature announced no GCM (gpgsm 2.2 and
  // other older readers announce only CBC ciphers): then AES-256-CBC, which all of them read.
  std::vector<std::vector<std::string>> capabilities;
  if (options.encrypt) {
    // Every recipient and the sender (RFC 8551 §3.3: the sender's copy stays readable).
    std::vector<std::string> addresses = recipients;
    addresses.push_back(account.address);
    std::vector<std::string> missing;
    std::vector<std::string> seen;
    for (const auto& a : addresses) {
      std::string key = lower(a);
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      auto cert = store.find(a);
      if (!cert) {
        missing.push_back(a);
        continue;
      }
      to.push_back(smime::Recipient{a, cert->pem});
      capabilities.push_back(store.capabilities(a));
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      return error("no S/MIME certificate for " + list + " in " + store.dir().string() +
                   " (import one with `estafeta cert import FILE`, or keep it from a signed "
                   "message with `estafeta cert inspect --collect`); nothing was sent");
    }
  }
  smime::EncryptOptions encrypt_options;
  encrypt_options.cipher = smime::cipher_for(capabilities);
  if (!options.sign) {
    auto enc = smime::encrypt(message, to, encrypt_options);
    if (!enc) return error("encrypting: " + enc.error().text);
    return *enc;
  }
  auto id = store.own_identity(account.address, passphrase);
  if (!id)
    return error("no S/MIME identity of " + account.address + " to sign with in " +
                 store.dir().string() + ": " + id.error().text +
                 " (import yours with `estafeta cert import FILE.p12`)");
  auto out = options.encrypt ? smime::sign_and_encrypt(message, *id, to, {}, encrypt_options)
                             : smime::sign(message, *id);
  if (!out)
    return error(std::string(options.encrypt ? "signing and encrypting: " : "signing: ") +
                 out.error().text);
  return *out;
}

}  // namespace estafeta::mua
