// smime_store: the user's S/MIME certificate store, a directory (default
// $XDG_DATA_HOME/estafeta/smime, i.e. ~/.local/share/estafeta/smime) kept at mode 0700:
//   own/<fingerprint>.cert.pem   own certificate      own/<fingerprint>.chain.pem  its chain
//   own/<fingerprint>.key.pem    own private key: PKCS#8 encrypted with the passphrase it was
//                                imported with (unencrypted only when imported without one),
//                                always mode 0600, written to a temporary file and renamed
//   people/<address>.pem         a correspondent's certificate, one file per e-mail address
//                                it covers (the newest valid one wins)
//   people/<address>.caps        the ciphers they announced (SMIMECapabilities), one a line
// import_pkcs12() adds an own identity; collect() adds the signers' certificates of a
// verified message; find() answers "which certificate do I encrypt to this address with".
// Trust: the directory is the user's; certificates collected come from messages, so only
// those whose signature and chain verified are kept. Bounds: files are read whole, at most
// kMaxFileSize each, at most kMaxEntries per folder.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "smime/smime_cert.hpp"
#include "smime/smime_inspect.hpp"

namespace estafeta::smime {

class Store {
 public:
  static constexpr std::size_t kMaxFileSize = 1u << 20;
  static constexpr std::size_t kMaxEntries = 10000;

  explicit Store(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // $XDG_DATA_HOME/estafeta/smime, else ~/.local/share/estafeta/smime.
  static std::filesystem::path default_dir();

  const std::filesystem::path& dir() const { return dir_; }

  // Creates the folders if missing and sets the store's mode to 0700 (own, people: 0700).
  // Every other call expects open() to have succeeded.
  Status open();

  // Adds an own identity from a PKCS#12 file's bytes; the callback is asked for the
  // passphrase (an empty one is tried first). Returns the certificate's facts.
  Result<CertInfo> import_pkcs12(std::string_view der, const PassphraseCallback& passphrase,
                                 const std::string& label = "PKCS#12 file");
  // Adds an own identity given as PEM; the key is written encrypted with `passphrase`
  // (empty: unencrypted, mode 0600).
  Result<CertInfo> import_identity(const Identity& id, std::string_view passphrase);
  // Adds a correspondent's certificate (PEM), indexed by each address it covers.
  Result<CertInfo> add_certificate(std::string_view pem);

  // Own certificates / correspondents' certificates.
  Result<std::vector<CertInfo>> own() const;
  Result<std::vector<CertInfo>> people() const;

  // The own identity whose certificate covers `address` ("" = the first), key decrypted
  // with the callback's passphrase when it is encrypted.
  Result<Identity> own_identity(std::string_view address,
                                const PassphraseCallback& passphrase) const;
  // All own identities (for decrypting); those whose key cannot be unlocked are skipped.
  std::vector<Identity> own_identities(const PassphraseCallback& passphrase) const;
  // The certificate to encrypt to `address`: a correspondent's, else an own one.
  Result<CertInfo> find(std::string_view address) const;

  // Keeps the signers' certificates of every signature in `v` that verified (signature and
  // chain), and the SMIMECapabilities they announced (people/<address>.caps, the latest
  // message's); returns how many certificates were kept.
  std::size_t collect(const Verdict& v);
  // The capabilities `address` last announced in verified signed mail; empty = unknown. Feed
  // them to smime::cipher_for() to choose the cipher of a message to them.
  std::vector<std::string> capabilities(std::string_view address) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace estafeta::smime
