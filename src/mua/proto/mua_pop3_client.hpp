// mua_pop3_client: the POP3 client core of `mail fetch` (RFC 1939; CAPA RFC 2449, STLS
// RFC 2595, AUTH PLAIN RFC 5034 / RFC 4616, UIDL), sans-I/O. One session downloads the
// messages whose UIDL is not known yet, one at a time: the driver feeds the server's bytes
// with receive() and drains next_event(): bytes to send, "start TLS now", a message to store
// (the driver stores it durably, then calls stored()), and the end. With `delete_after`,
// DELE is sent only after stored() says the message is safe (and known messages are deleted
// without downloading them again); QUIT commits (RFC 1939 §6).
// Trust: the server is untrusted: status lines at most 512 octets (RFC 2449 §4), message
// lines at most Pop3Limits::max_line, a message at most max_message octets (a bigger one is
// drained and reported, the session goes on), at most max_messages in the listing (a UIDL
// listed twice marks both messages as untouchable: neither fetched nor deleted). Never
// throws, never touches sockets or files. Passwords are sent only once TLS is active (or when
// the driver allows cleartext: a loopback server); such sends are marked secret.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace estafeta::mua {

struct Pop3Limits {
  std::size_t max_status_line = 512;            // RFC 2449 §4
  std::size_t max_line = 64 * 1024;             // one line of a listing or message
  std::size_t max_message = 128 * 1024 * 1024;  // a bigger one is skipped
  std::size_t max_messages = 100000;            // UIDL lines
};

struct Pop3ClientConfig {
  std::string user;
  std::string password;
  bool starttls = false;         // send STLS (required: fail without it)
  bool tls_active = false;       // implicit TLS (995)
  bool allow_plaintext = false;  // a password without TLS (loopback servers only)
  bool delete_after = false;     // DELE what was stored (and what was stored before)
  std::set<std::string> known;   // UIDLs fetched in an earlier run
  Pop3Limits limits;
};

struct Pop3Send {
  std::string bytes;
  bool secret = false;  // carries the password: never log it
};
struct Pop3StartTls {};  // handshake now, then tls_started() / tls_failed()
struct Pop3Message {     // store it, then stored(true/false)
  std::string uidl;
  std::string bytes;  // dot-unstuffed, CRLF line ends as received
};
struct Pop3Done {
  bool ok = false;
  std::string error;                      // when !ok: what failed, with the server's words
  std::size_t listed = 0;                 // messages on the server
  std::size_t downloaded = 0;             // stored this time
  std::size_t deleted = 0;                // DELE accepted (committed by QUIT when ok)
  std::vector<std::string> skipped;       // "UIDL: why" for messages not stored
  std::vector<std::string> server_uidls;  // every UIDL the server listed
};

using Pop3Event = std::variant<Pop3Send, Pop3StartTls, Pop3Message, Pop3Done>;

class Pop3ClientSession {
 public:
  explicit Pop3ClientSession(Pop3ClientConfig config);

  void receive(std::string_view bytes);
  std::optional<Pop3Event> next_event();

  void tls_started();
  void tls_failed(std::string_view why);
  // After Pop3Message: whether the message is stored durably.
  void stored(bool ok, std::string_view why = {});
  // The connection ended or timed out: Pop3Done with the error.
  void connection_lost(std::string_view why);

  bool done() const { return state_ == State::done; }

 private:
  enum class State {
    greeting,
    capa,
    stls,
    tls_handshake,
    capa_after_tls,
    auth_plain,
    user,
    pass,
    uidl,
    retr,
    storing,
    dele,
    quit,
    done
  };
  struct Entry {
    std::uint64_t number = 0;
    std::string uidl;
  };

  void on_status_line(std::string_view line);
  void on_multiline_line(std::string_view line);
  void on_multiline_end();
  void after_capa();
  void login();
  void next_message();
  void send(std::string bytes, bool secret = false);
  void finish(bool ok, std::string error);
  void enter(State s) { state_ = s; }
  bool secure() const { return tls_; }

  Pop3ClientConfig config_;
  State state_ = State::greeting;
  bool tls_ = false;
  std::string in_;                 // unparsed input
  bool multiline_ = false;         // reading a multi-line body (after +OK)
  bool oversize_ = false;          // the current message went over max_message: draining
  std::string body_;               // the multi-line body being read
  std::vector<std::string> capa_;  // upper-cased CAPA lines
  std::vector<Entry> entries_;
  std::size_t next_ = 0;  // index into entries_
  Pop3Done result_;
  std::deque<Pop3Event> events_;
};

// The CRLF → LF form a Maildir file holds (what fetchmail and getmail write).
std::string to_lf_line_ends(std::string_view message);

}  // namespace estafeta::mua
