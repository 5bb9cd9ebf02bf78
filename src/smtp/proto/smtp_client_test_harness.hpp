// smtp_client_test_harness: replays a server transcript through the SMTP client session
// (smtp_client_session) for the unit tests: smtp_client_session_test.cpp writes transcripts
// inline, smtp_client_transcript_test.cpp reads them from tests/transcripts/smtp_client/.
// A transcript holds "S: " lines (the server's, one write per run of S lines), "C: " lines
// (what the client must have written by then) and "! lost" / "! timeout" (the I/O layer's
// findings). run() replays it twice: one write per run of S lines (so pipelined replies
// arrive in one read) and byte by byte; both must give the same bytes and the same results.
// The driver answers the session's requests as the I/O layer would: TLS handshakes succeed
// (verified unless Script::verified is false), content is given in pieces of Script::chunk
// octets (0: whole), transactions are started on ClientReady in order (a needs_downgrade is
// answered with Job::downgraded), and QUIT follows the last one. Test support only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "smtp/proto/smtp_client_session.hpp"

namespace estafeta::smtp::client_testing {

struct Job {
  ClientTransaction tx;
  std::string body;
  std::optional<std::pair<ClientTransaction, std::string>> downgraded;
};

struct Outcome {
  std::string sent;
  std::vector<StartResult> starts;
  std::vector<TransactionResult> results;
  std::optional<ClientClose> close;
  int handshakes = 0;
};

class Driver {
 public:
  Driver(ClientConfig config, std::vector<Job> jobs, std::size_t chunk)
      : s_(std::move(config)), jobs_(std::move(jobs)), chunk_(chunk) {}

  void pump() {
    while (auto e = s_.next_event()) {
      if (auto* send = std::get_if<ClientSend>(&*e)) {
        out_.sent += send->bytes;
      } else if (std::holds_alternative<ClientStartTls>(*e)) {
        ++out_.handshakes;
        s_.tls_started(verified_);
      } else if (std::holds_alternative<ClientNeedBody>(*e)) {
        const std::string& body = current_body_;
        std::size_t n = chunk_ == 0 ? body.size() - pos_ : std::min(chunk_, body.size() - pos_);
        bool last = pos_ + n >= body.size();
        EXPECT_TRUE(s_.body(std::string_view(body).substr(pos_, n), last));
        pos_ += n;
      } else if (std::holds_alternative<ClientReady>(*e)) {
        if (next_ < jobs_.size()) {
          Job& j = jobs_[next_++];
          StartResult r = s_.start_transaction(j.tx);
          out_.starts.push_back(r);
          current_body_ = j.body;
          if (r == StartResult::needs_downgrade && j.downgraded) {
            r = s_.start_transaction(j.downgraded->first);
            out_.starts.push_back(r);
            current_body_ = j.downgraded->second;
          }
          pos_ = 0;
          if (r == StartResult::needs_downgrade) s_.quit();
        } else {
          s_.quit();
        }
      } else if (auto* done = std::get_if<ClientTransactionDone>(&*e)) {
        out_.results.push_back(done->result);
      } else if (auto* close = std::get_if<ClientClose>(&*e)) {
        EXPECT_FALSE(out_.close) << "two ClientClose";
        out_.close = *close;
      }
    }
  }

  ClientSession& session() { return s_; }
  Outcome& outcome() { return out_; }
  bool verified_ = true;

 private:
  ClientSession s_;
  std::vector<Job> jobs_;
  std::size_t chunk_;
  std::size_t next_ = 0;
  std::string current_body_;
  std::size_t pos_ = 0;
  Outcome out_;
};

struct Script {
  ClientConfig config = [] {
    ClientConfig c;
    c.ehlo_name = "out.example.net";
    c.starttls = StartTlsPolicy::off;
    return c;
  }();
  std::vector<Job> jobs;
  std::size_t chunk = 0;
  bool verified = true;
};

inline Outcome run_once(const Script& sc, const std::string& transcript, bool byte_by_byte) {
  Driver d(sc.config, sc.jobs, sc.chunk);
  d.verified_ = sc.verified;
  std::istringstream in(transcript);
  std::string line, expected, server;
  auto flush_server = [&] {
    if (server.empty()) return;
    EXPECT_EQ(d.outcome().sent, expected) << "before the server wrote:\n" << server;
    if (byte_by_byte) {
      for (char c : server) {
        d.session().receive(std::string_view(&c, 1));
        d.pump();
      }
    } else {
      d.session().receive(server);
      d.pump();
    }
    server.clear();
  };
  while (std::getline(in, line)) {
    auto start = line.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    line = line.substr(start);
    if (line.rfind("S: ", 0) == 0 || line == "S:") {
      server += (line.size() > 3 ? line.substr(3) : "") + "\r\n";
    } else if (line.rfind("C: ", 0) == 0 || line == "C:") {
      flush_server();
      expected += (line.size() > 3 ? line.substr(3) : "") + "\r\n";
    } else if (line == "! lost" || line == "! timeout") {
      flush_server();
      EXPECT_EQ(d.outcome().sent, expected);
      if (line == "! lost")
        d.session().connection_lost();
      else
        d.session().timed_out();
      d.pump();
    } else {
      ADD_FAILURE() << "bad transcript line: " << line;
    }
  }
  flush_server();
  EXPECT_EQ(d.outcome().sent, expected);
  return d.outcome();
}

// Replays both ways; returns the results of the write-by-write run after checking that the
// byte-by-byte run agrees.
inline Outcome run(const Script& sc, const std::string& transcript) {
  Outcome a = run_once(sc, transcript, false);
  Outcome b = run_once(sc, transcript, true);
  EXPECT_EQ(a.sent, b.sent);
  EXPECT_EQ(a.starts, b.starts);
  EXPECT_EQ(a.results.size(), b.results.size());
  for (std::size_t i = 0; i < a.results.size() && i < b.results.size(); ++i) {
    EXPECT_EQ(a.results[i].recipients.size(), b.results[i].recipients.size());
    EXPECT_EQ(a.results[i].final_reply_lost, b.results[i].final_reply_lost);
    for (std::size_t j = 0; j < a.results[i].recipients.size(); ++j)
      EXPECT_EQ(a.results[i].recipients[j].reply(), b.results[i].recipients[j].reply());
  }
  EXPECT_EQ(a.close.has_value(), b.close.has_value());
  if (a.close && b.close) {
    EXPECT_EQ(a.close->reason, b.close->reason);
  }
  return a;
}

}  // namespace estafeta::smtp::client_testing
