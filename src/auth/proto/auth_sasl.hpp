// auth_sasl: the server side of SASL (RFC 4422) as a sans-I/O engine. A mechanism is an
// object fed the client's decoded responses one at a time; each step answers Continue (send
// this challenge), Done (the identities and the secret to verify) or Fail. PLAIN (RFC 4616)
// and LOGIN (draft-murchison-sasl-login) are implemented; the context carries channel-binding
// data (RFC 5929 tls-unique, RFC 9266 tls-exporter) and whether TLS is active, so SCRAM-*-PLUS
// (RFC 5802, 7677) fits later as one more mechanism. The protocol's framing (SMTP "334 ",
// IMAP and POP3 "+ ", base64, "=" for an empty response, "*" to cancel) is the job of
// frame_challenge()/decode_response() below, called by the protocol core.
// Trust: every response comes from an unauthenticated peer. Memory: a mechanism keeps at most
// kMaxSaslResponse octets per response (longer ones fail at once); nothing grows with input.
// Never throws, never touches sockets or files; a mechanism is used by one session at a time.
//
// Notes:
// - Verifying the secret is the caller's job (it may block: a hash, a database). Done hands
//   over what the client proved; for PLAIN and LOGIN that is the password in clear. SCRAM will
//   need the stored salt between two steps: it will add a fourth result (look up this
//   authcid) answered before the next step, leaving these three as they are.
// - Whether authzid may differ from authcid is policy, not the mechanism's: Done reports both.
// - After Done or Fail the exchange is over: further steps give Fail{malformed}.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace estafeta::auth {

// Longest decoded client response a mechanism accepts (PLAIN: two identities of up to 320
// octets each, RFC 5321 §4.5.3.1, and a password; LOGIN: one of them).
inline constexpr std::size_t kMaxSaslResponse = 2048;

// What the connection knows when the exchange starts.
struct SaslContext {
  bool tls_active = false;
  // Channel binding (RFC 5056): the type ("tls-exporter", "tls-unique") and its data; both
  // empty when there is none (no TLS, or the driver could not get them).
  std::string channel_binding_type;
  std::string channel_binding;
};

struct SaslContinue {
  std::string challenge;  // raw octets; the framing base64-encodes them
};

struct SaslDone {
  std::string authzid;  // the identity to act as; "" = the same as authcid (RFC 4616 §2)
  std::string authcid;  // the identity whose secret was given
  std::string secret;   // PLAIN, LOGIN: the password in clear
};

struct SaslFail {
  enum class Kind {
    malformed,  // the response breaks the mechanism's syntax: a protocol error (SMTP 501)
    rejected,   // well-formed but cannot be valid credentials (empty password): SMTP 535
  };
  Kind kind = Kind::malformed;
  std::string reason;  // short, human-readable, no CRLF; never contains the secret
};

using SaslStep = std::variant<SaslContinue, SaslDone, SaslFail>;

class SaslMechanism {
 public:
  virtual ~SaslMechanism() = default;
  // The registered name, upper case ("PLAIN").
  virtual std::string_view name() const = 0;
  // The challenge to send when the client gave no initial response (RFC 4422 §3.3): "" for
  // client-first mechanisms such as PLAIN, "Username:" for LOGIN. Call at most once, first.
  virtual std::string initial_challenge() = 0;
  // Feeds one decoded client response (the initial response, or the answer to the last
  // challenge). Any input is accepted; see SaslStep.
  virtual SaslStep step(std::string_view response) = 0;
  // True when the mechanism sends the secret in the clear (PLAIN, LOGIN): offer it only
  // under TLS (RFC 4954 §4, RFC 4616 §6).
  virtual bool plaintext() const = 0;
};

// Mechanisms by name. standard() holds PLAIN and LOGIN, in the order they are advertised.
class SaslRegistry {
 public:
  using Factory = std::function<std::unique_ptr<SaslMechanism>(const SaslContext&)>;
  // Adds (or replaces) a mechanism; `name` is matched case-insensitively.
  void add(std::string name, Factory factory);
  // nullptr when no mechanism has that name.
  std::unique_ptr<SaslMechanism> create(std::string_view name, const SaslContext& context) const;
  bool contains(std::string_view name) const;
  // The names in the order they were added, space-separated ("PLAIN LOGIN").
  std::string advertised() const;
  static const SaslRegistry& standard();

 private:
  std::vector<std::pair<std::string, Factory>> entries_;
};

std::unique_ptr<SaslMechanism> make_sasl_plain(const SaslContext& context);
std::unique_ptr<SaslMechanism> make_sasl_login(const SaslContext& context);

// Framing shared by SMTP (RFC 4954 §4), IMAP (RFC 9051 §6.2.2) and POP3 (RFC 5034 §4).

// A challenge line: prefix ("334 " or "+ "), the base64 of `challenge`, CRLF.
std::string frame_challenge(std::string_view prefix, std::string_view challenge);

struct SaslResponse {
  enum class Kind {
    data,       // `data` holds the decoded octets ("=" gives an empty response)
    cancel,     // "*": the client abandons the exchange
    malformed,  // not strict base64, empty, or longer than kMaxSaslResponse once decoded
  };
  Kind kind = Kind::malformed;
  std::string data;
};

// Decodes one client response line (without its CRLF), or an initial response given with the
// command. Bounded: a line longer than the base64 of kMaxSaslResponse is refused undecoded.
SaslResponse decode_response(std::string_view line);

// Overwrites a string holding a secret before it is freed or reused.
void wipe(std::string& secret);

}  // namespace estafeta::auth
