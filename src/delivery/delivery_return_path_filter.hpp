// delivery_return_path_filter: removes every Return-Path field (with its folded continuation
// lines) from the header section of a message streamed through it, because the MDA writes
// the one true Return-Path from the envelope (RFC 5321 §4.4: the final delivery adds it; one
// already present was put there by somebody else and may lie). Everything after the header
// section passes untouched. Works on any split of the input. Trust: the message comes from a
// peer. Memory: at most kMaxName octets of an undecided line start are held.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace estafeta::delivery {

class ReturnPathFilter {
 public:
  // Appends to `out` what `in` leaves after filtering.
  void feed(std::string_view in, std::string& out);
  // End of the message: flushes a held line start.
  void finish(std::string& out);
  // Fields removed so far.
  std::size_t removed() const { return removed_; }

 private:
  static constexpr std::size_t kMaxName = 32;
  enum class Line { start, undecided, keep, drop };
  void decide(std::string& out);

  bool in_header_ = true;
  Line line_ = Line::start;
  bool dropping_field_ = false;  // the current field is a Return-Path: drop continuations too
  std::string held_;             // the start of an undecided line
  std::size_t removed_ = 0;
};

}  // namespace estafeta::delivery
