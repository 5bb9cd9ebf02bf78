// mua_pop3_client: see mua_pop3_client.hpp.
#include "mua/proto/mua_pop3_client.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "base/base64.hpp"

namespace estafeta::mua {

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// The text after "+OK"/"-ERR", control characters replaced (it goes into messages).
std::string status_text(std::string_view line) {
  std::size_t sp = line.find(' ');
  std::string t = sp == std::string_view::npos ? std::string() : std::string(line.substr(sp + 1));
  for (char& c : t)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return t;
}

}  // namespace

std::string to_lf_line_ends(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n') continue;
    out.push_back(message[i]);
  }
  return out;
}

Pop3ClientSession::Pop3ClientSession(Pop3ClientConfig config)
    : config_(std::move(config)), tls_(config_.tls_active) {}

void Pop3ClientSession::send(std::string bytes, bool secret) {
  events_.push_back(Pop3Send{std::move(bytes), secret});
}

void Pop3ClientSession::finish(bool ok, std::string error) {
  if (state_ == State::done) return;
  result_.ok = ok;
  if (!error.empty() && result_.error.empty()) result_.error = std::move(error);
  if (!result_.error.empty()) result_.ok = false;
  for (const auto& e : entries_) result_.server_uidls.push_back(e.uidl);
  enter(State::done);
  events_.push_back(std::move(result_));
}

std::optional<Pop3Event> Pop3ClientSession::next_event() {
  if (events_.empty()) return std::nullopt;
  Pop3Event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void Pop3ClientSession::receive(std::string_view bytes) {
  if (state_ == State::done || state_ == State::storing || state_ == State::tls_handshake) {
    if (state_ != State::done) in_.append(bytes);  // a server talking out of turn waits
    return;
  }
  in_.append(bytes);
  std::size_t pos = 0;
  while (state_ != State::done && state_ != State::storing && state_ != State::tls_handshake) {
    std::size_t lf = in_.find('\n', pos);
    if (lf == std::string::npos) {
      std::size_t pending = in_.size() - pos;
      std::size_t max = multiline_ ? config_.limits.max_line : config_.limits.max_status_line;
      if (pending > max) {
        finish(false, multiline_ ? "the server sent a line longer than 64 KiB"
                                 : "the server sent a status line longer than 512 octets");
        in_.clear();
        return;
      }
      break;
    }
    std::string_view line(in_.data() + pos, lf - pos);
    pos = lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t max = multiline_ ? config_.limits.max_line : config_.limits.max_status_line;
    if (line.size() > max) {
      finish(false, multiline_ ? "the server sent a line longer than 64 KiB"
                               : "the server sent a status line longer than 512 octets");
      break;
    }
    if (multiline_) {
      if (line == ".") {
        multiline_ = false;
        on_multiline_end();
      } else {
        if (!line.empty() && line.front() == '.') line.remove_prefix(1);  // RFC 1939 §3
        on_multiline_line(line);
      }
    } else {
      on_status_line(line);
    }
  }
  in_.erase(0, std::min(pos, in_.size()));
  if (state_ == State::done) in_.clear();
}

void Pop3ClientSession::on_status_line(std::string_view line) {
  bool ok = starts_with_ci(line, "+OK");
  bool err = starts_with_ci(line, "-ERR");
  if (!ok && !err) {
    finish(false, "unexpected reply from the server: \"" + std::string(line.substr(0, 80)) + "\"");
    return;
  }
  std::string text = status_text(line);
  switch (state_) {
    case State::greeting:
      if (!ok) return finish(false, "the server refused the connection: " + text);
      send("CAPA\r\n");
      enter(State::capa);
      return;
    case State::capa:
    case State::capa_after_tls:
      capa_.clear();
      if (ok) {
        multiline_ = true;
        return;
      }
      if (state_ == State::capa) return after_capa();
      return login();
    case State::stls:
      if (!ok) return finish(false, "STLS refused: " + text);
      enter(State::tls_handshake);
      events_.push_back(Pop3StartTls{});
      return;
    case State::auth_plain:
    case State::pass:
      if (!ok) return finish(false, "authentication failed: " + text);
      send("UIDL\r\n");
      enter(State::uidl);
      return;
    case State::user:
      if (!ok) return finish(false, "USER refused: " + text);
      send("PASS " + config_.password + "\r\n", true);
      enter(State::pass);
      return;
    case State::uidl:
      if (!ok)
        return finish(false,
                      "the server does not support UIDL (needed to fetch without "
                      "duplicates): " +
                          text);
      multiline_ = true;
      body_.clear();
      return;
    case State::retr:
      if (!ok) {
        result_.skipped.push_back(entries_[next_ - 1].uidl + ": RETR refused: " + text);
        return next_message();
      }
      multiline_ = true;
      oversize_ = false;
      body_.clear();
      return;
    case State::dele:
      if (ok)
        ++result_.deleted;
      else
        result_.skipped.push_back(entries_[next_ - 1].uidl + ": DELE refused: " + text);
      return next_message();
    case State::quit:
      if (!ok) return finish(false, "QUIT refused (deletions not done): " + text);
      return finish(true, "");
    default:
      return finish(false, "unexpected reply from the server");
  }
}

void Pop3ClientSession::on_multiline_line(std::string_view line) {
  switch (state_) {
    case State::capa:
    case State::capa_after_tls: {
      if (capa_.size() >= 100) return;
      std::string up(line);
      for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      capa_.push_back(std::move(up));
      return;
    }
    case State::uidl: {
      if (entries_.size() >= config_.limits.max_messages) return;
      // "n uidl" (RFC 1939 §7: uidl is 1-70 octets 0x21-0x7E).
      std::size_t sp = line.find(' ');
      if (sp == std::string_view::npos || sp == 0) return;
      Entry e;
      for (char c : line.substr(0, sp)) {
        if (c < '0' || c > '9' || e.number > 1000000000) return;
        e.number = e.number * 10 + static_cast<std::uint64_t>(c - '0');
      }
      std::string_view id = line.substr(sp + 1);
      while (!id.empty() && id.back() == ' ') id.remove_suffix(1);
      if (id.empty() || id.size() > 70) return;
      for (char c : id)
        if (c < 0x21 || c > 0x7e) return;
      e.uidl = std::string(id);
      entries_.push_back(std::move(e));
      return;
    }
    case State::retr:
      if (oversize_) return;
      if (body_.size() + line.size() + 2 > config_.limits.max_message) {
        oversize_ = true;
        body_.clear();
        body_.shrink_to_fit();
        return;
      }
      body_.append(line);
      body_.append("\r\n");
      return;
    default:
      return;
  }
}

void Pop3ClientSession::on_multiline_end() {
  switch (state_) {
    case State::capa:
      return after_capa();
    case State::capa_after_tls:
      return login();
    case State::uidl: {
      result_.listed = entries_.size();
      // RFC 1939 §7: a unique-id is unique in the maildrop. A server that lists one twice
      // cannot be trusted with it: those messages are neither fetched nor deleted.
      std::map<std::string, std::size_t> count;
      for (const auto& e : entries_) ++count[e.uidl];
      std::vector<Entry> unique;
      for (auto& e : entries_) {
        if (count[e.uidl] > 1) {
          result_.skipped.push_back(e.uidl +
                                    ": the server lists this UIDL for more than one "
                                    "message; left there");
          continue;
        }
        unique.push_back(std::move(e));
      }
      entries_ = std::move(unique);
      next_ = 0;
      return next_message();
    }
    case State::retr: {
      const Entry& e = entries_[next_ - 1];
      if (oversize_) {
        oversize_ = false;
        result_.skipped.push_back(e.uidl + ": larger than the limit (" +
                                  std::to_string(config_.limits.max_message / (1024 * 1024)) +
                                  " MiB), left on the server");
        return next_message();
      }
      enter(State::storing);
      events_.push_back(Pop3Message{e.uidl, std::move(body_)});
      body_.clear();
      return;
    }
    default:
      return;
  }
}

void Pop3ClientSession::after_capa() {
  if (config_.starttls && !tls_) {
    bool offered = std::find(capa_.begin(), capa_.end(), "STLS") != capa_.end();
    if (!offered)
      return finish(false, "the server does not offer STLS (security = \"starttls\" requires it)");
    send("STLS\r\n");
    enter(State::stls);
    return;
  }
  login();
}

void Pop3ClientSession::login() {
  if (!secure() && !config_.allow_plaintext)
    return finish(false, "refusing to send the password without TLS");
  bool plain = false;
  for (const auto& c : capa_)
    if (c.rfind("SASL ", 0) == 0 && (" " + c + " ").find(" PLAIN ") != std::string::npos)
      plain = true;
  if (plain) {
    std::string creds;
    creds.push_back('\0');
    creds += config_.user;
    creds.push_back('\0');
    creds += config_.password;
    send("AUTH PLAIN " + base64::encode(creds) + "\r\n", true);  // RFC 5034 §4 initial response
    enter(State::auth_plain);
    return;
  }
  send("USER " + config_.user + "\r\n");
  enter(State::user);
}

void Pop3ClientSession::next_message() {
  while (next_ < entries_.size()) {
    const Entry& e = entries_[next_++];
    if (config_.known.count(e.uidl)) {
      if (config_.delete_after) {
        send("DELE " + std::to_string(e.number) + "\r\n");
        enter(State::dele);
        return;
      }
      continue;
    }
    send("RETR " + std::to_string(e.number) + "\r\n");
    enter(State::retr);
    return;
  }
  send("QUIT\r\n");
  enter(State::quit);
}

void Pop3ClientSession::tls_started() {
  if (state_ != State::tls_handshake) return;
  tls_ = true;
  in_.clear();  // nothing sent before the handshake counts (RFC 2595 §4)
  send("CAPA\r\n");
  enter(State::capa_after_tls);
}

void Pop3ClientSession::tls_failed(std::string_view why) {
  finish(false, "TLS failed: " + std::string(why));
}

void Pop3ClientSession::stored(bool ok, std::string_view why) {
  if (state_ != State::storing) return;
  const Entry& e = entries_[next_ - 1];
  if (!ok) {
    // Nothing more is fetched or deleted; QUIT still commits the DELEs of messages that
    // were stored safely.
    result_.error = "cannot store " + e.uidl + ": " + std::string(why);
    send("QUIT\r\n");
    enter(State::quit);
  } else {
    ++result_.downloaded;
    config_.known.insert(e.uidl);
    if (config_.delete_after) {
      send("DELE " + std::to_string(e.number) + "\r\n");
      enter(State::dele);
    } else {
      enter(State::retr);  // placeholder until next_message() sends the next command
      next_message();
    }
  }
  if (!in_.empty()) {
    std::string pending;
    pending.swap(in_);
    receive(pending);
  }
}

void Pop3ClientSession::connection_lost(std::string_view why) {
  if (state_ == State::done) return;
  if (state_ == State::quit)
    return finish(result_.error.empty(), "");  // closed right after QUIT: fine
  finish(false, "the connection ended: " + std::string(why));
}

}  // namespace estafeta::mua
