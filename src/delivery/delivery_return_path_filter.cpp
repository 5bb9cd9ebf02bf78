// delivery_return_path_filter: a per-line decision (keep or drop) made from the line's first
// octets, then the rest of the line streamed through. A line is decided when its field name
// ends (':'), when it cannot be "Return-Path" any more, or when it ends.
#include "delivery/delivery_return_path_filter.hpp"

namespace estafeta::delivery {
namespace {

constexpr std::string_view kName = "return-path";

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// -1: cannot be Return-Path, 1: is Return-Path (name, optional WSP, ':'), 0: undecided.
int classify(std::string_view held) {
  std::size_t i = 0;
  for (; i < held.size() && i < kName.size(); ++i)
    if (lower(held[i]) != kName[i]) return -1;
  if (i < kName.size()) return 0;
  for (; i < held.size(); ++i) {
    if (held[i] == ':') return 1;
    if (held[i] != ' ' && held[i] != '\t') return -1;
  }
  return 0;
}

}  // namespace

void ReturnPathFilter::decide(std::string& out) {
  if (held_.empty()) return;
  char first = held_[0];
  bool keep;
  if (first == ' ' || first == '\t') {  // a continuation line (RFC 5322 §2.2.3)
    keep = !dropping_field_;
  } else if (held_[0] == '\r' || held_[0] == '\n') {
    in_header_ = false;  // the empty line ending the header section
    keep = true;
  } else {
    int c = classify(held_);
    if (c == 0 && held_.size() < kMaxName && held_.back() != '\n') return;  // need more
    dropping_field_ = c == 1;
    keep = !dropping_field_;
    if (dropping_field_) ++removed_;
  }
  line_ = keep ? Line::keep : Line::drop;
  if (keep) out += held_;
  held_.clear();
}

void ReturnPathFilter::feed(std::string_view in, std::string& out) {
  while (!in.empty()) {
    if (!in_header_) {
      out.append(in);
      return;
    }
    if (line_ == Line::keep || line_ == Line::drop) {
      std::size_t nl = in.find('\n');
      std::size_t n = nl == std::string_view::npos ? in.size() : nl + 1;
      if (line_ == Line::keep) out.append(in.substr(0, n));
      in.remove_prefix(n);
      if (nl != std::string_view::npos) line_ = Line::start;
      continue;
    }
    // start / undecided: collect octets until the line can be decided.
    char c = in.front();
    in.remove_prefix(1);
    held_ += c;
    line_ = Line::undecided;
    bool line_end = c == '\n';
    bool empty_line = held_ == "\n" || held_ == "\r\n";
    if (held_ == "\r") continue;  // maybe the empty line: wait for its LF
    if (empty_line) {
      in_header_ = false;
      out += held_;
      held_.clear();
      line_ = Line::start;
      continue;
    }
    decide(out);
    if (line_end && held_.empty()) line_ = Line::start;
    if (line_end && !held_.empty()) {  // an undecided line that ended: keep it
      out += held_;
      held_.clear();
      line_ = Line::start;
    }
  }
}

void ReturnPathFilter::finish(std::string& out) {
  if (!held_.empty()) {
    int c = in_header_ ? classify(held_) : -1;
    if (c != 1) out += held_;
    held_.clear();
  }
}

}  // namespace estafeta::delivery
