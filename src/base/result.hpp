// result: Result<T>, the return type of anything that can fail because of the peer. A
// PeerError is a fault of the remote side (bad syntax, unknown user, too big) and becomes a
// protocol reply; the session goes on. Environment faults use std::error_code; bugs assert.
// Cores never throw (STYLE.md, "Errors come in three kinds").
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace estafeta {

// A protocol-level refusal: basic reply code, enhanced status code (RFC 3463) and text.
struct PeerError {
  int code = 0;          // e.g. 501
  std::string enhanced;  // e.g. "5.5.4"; empty where the protocol has none
  std::string text;      // human-readable, no CRLF
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(PeerError error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }

  const PeerError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, PeerError> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;

}  // namespace estafeta
