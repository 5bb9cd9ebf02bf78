// imap_thread: see imap_thread.hpp. A forest of containers in one vector: messages first
// (container i is rows[i]), then one per referenced id that no message of the set has
// (dummies, and the new dummies of step 5). Parents are indexes; children are vectors.
#include "imap/proto/imap_thread.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace estafeta::imap {
namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

void append_number(std::string& out, std::uint32_t n) {
  char buf[16];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

struct Forest {
  struct Node {
    std::uint32_t parent = kNone;
    std::uint32_t row = kNone;  // kNone: a dummy
    std::vector<std::uint32_t> children;
    // Step 6 sort key: the message's, or a dummy's first child's.
    std::int64_t date = 0;
    std::uint32_t seq = 0;
  };
  const std::vector<ThreadRow>& rows;
  std::vector<Node> nodes;

  explicit Forest(const std::vector<ThreadRow>& r) : rows(r) {}

  bool dummy(std::uint32_t n) const { return nodes[n].row == kNone; }
  std::uint32_t add_dummy() {
    nodes.emplace_back();
    return static_cast<std::uint32_t>(nodes.size() - 1);
  }
  // True when `a` is `b` or one of b's ancestors.
  bool is_ancestor(std::uint32_t a, std::uint32_t b) const {
    if (nodes[a].children.empty()) return a == b;  // a leaf is nobody's ancestor
    for (std::uint32_t n = b; n != kNone; n = nodes[n].parent)
      if (n == a) return true;
    return false;
  }
  void unlink(std::uint32_t child) {
    std::uint32_t p = nodes[child].parent;
    if (p == kNone) return;
    auto& ch = nodes[p].children;
    ch.erase(std::find(ch.begin(), ch.end(), child));
    nodes[child].parent = kNone;
  }
  void link(std::uint32_t parent, std::uint32_t child) {
    nodes[child].parent = parent;
    nodes[parent].children.push_back(child);
  }

  // Step 6 for the subtrees under `roots` (and the roots themselves): children by (date,
  // seq), a dummy keyed by its first child after sorting. Post-order, without recursion.
  void sort_all(std::vector<std::uint32_t>& roots) {
    std::vector<std::pair<std::uint32_t, bool>> stack;  // (node, children done)
    for (std::uint32_t r : roots) stack.emplace_back(r, false);
    while (!stack.empty()) {
      auto [n, done] = stack.back();
      stack.pop_back();
      if (!done) {
        stack.emplace_back(n, true);
        for (std::uint32_t c : nodes[n].children) stack.emplace_back(c, false);
        continue;
      }
      sort_siblings(nodes[n].children);
      Node& node = nodes[n];
      if (node.row != kNone) {
        node.date = rows[node.row].date;
        node.seq = rows[node.row].seq;
      } else if (!node.children.empty()) {
        node.date = nodes[node.children.front()].date;
        node.seq = nodes[node.children.front()].seq;
      }
    }
    sort_siblings(roots);
  }
  void sort_siblings(std::vector<std::uint32_t>& v) {
    std::stable_sort(v.begin(), v.end(), [this](std::uint32_t a, std::uint32_t b) {
      const Node& x = nodes[a];
      const Node& y = nodes[b];
      if (x.date != y.date) return x.date < y.date;
      return x.seq < y.seq;
    });
  }

  // RFC 5256 §4 thread-list of `roots`: "(" thread-members / thread-nested ")" each. A node
  // with one child continues its chain ("1 2 3"); with several, each child's subtree goes in
  // its own parentheses ("1 (2)(3)"); a dummy shows no number. Without recursion.
  std::string format(const std::vector<std::uint32_t>& roots) const {
    std::string out;
    struct Frame {
      std::uint32_t node;
      std::size_t next;
    };
    std::vector<Frame> stack;
    for (std::uint32_t r : roots) {
      out.push_back('(');
      std::uint32_t cur = r;
      for (;;) {
        // Down a chain as far as it goes.
        for (;;) {
          const Node& n = nodes[cur];
          const bool real = n.row != kNone;
          if (real) append_number(out, rows[n.row].number);
          if (n.children.empty()) break;
          if (real) out.push_back(' ');
          if (real && n.children.size() == 1) {
            cur = n.children.front();
            continue;
          }
          out.push_back('(');
          stack.push_back({cur, 1});
          cur = n.children.front();
        }
        // Close finished subtrees; open the next sibling, if any.
        bool descended = false;
        while (!stack.empty()) {
          out.push_back(')');
          Frame& f = stack.back();
          const auto& ch = nodes[f.node].children;
          if (f.next < ch.size()) {
            out.push_back('(');
            cur = ch[f.next++];
            descended = true;
            break;
          }
          stack.pop_back();
        }
        if (!descended) break;
      }
      out.push_back(')');
    }
    return out;
  }
};

}  // namespace

std::string thread_ordered_subject(const std::vector<ThreadRow>& rows) {
  // RFC 5256 §2.2: sort by base subject, then sent date (then sequence number); each run of
  // one subject is a thread whose first message is the parent of all the others (siblings in
  // date order); threads ordered by their first message's date.
  std::vector<std::uint32_t> order(rows.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&rows](std::uint32_t a, std::uint32_t b) {
    const ThreadRow& x = rows[a];
    const ThreadRow& y = rows[b];
    if (int c = x.keys->subject.compare(y.keys->subject); c != 0) return c < 0;
    if (x.date != y.date) return x.date < y.date;
    return x.seq < y.seq;
  });
  Forest f(rows);
  f.nodes.resize(rows.size());
  for (std::uint32_t i = 0; i < rows.size(); ++i) f.nodes[i].row = i;
  std::vector<std::uint32_t> roots;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && rows[order[j]].keys->subject == rows[order[i]].keys->subject) {
      f.link(order[i], order[j]);
      ++j;
    }
    roots.push_back(order[i]);
    i = j;
  }
  f.sort_all(roots);
  return f.format(roots);
}

std::string thread_references(const std::vector<ThreadRow>& rows) {
  Forest f(rows);
  f.nodes.resize(rows.size());
  for (std::uint32_t i = 0; i < rows.size(); ++i) f.nodes[i].row = i;
  std::unordered_map<std::string_view, std::uint32_t> ids;
  ids.reserve(rows.size() * 2);
  // Step 1A first for every message, so that an id's container is its message's whichever
  // comes first; a later message with the same id (or none) keeps a container of its own.
  for (std::uint32_t i = 0; i < rows.size(); ++i) {
    const std::string& id = rows[i].keys->message_id;
    if (!id.empty()) ids.emplace(id, i);
  }
  auto container = [&](std::string_view id) {
    auto [it, inserted] = ids.emplace(id, 0);
    if (inserted) it->second = f.add_dummy();
    return it->second;
  };
  for (std::uint32_t i = 0; i < rows.size(); ++i) {
    std::string_view refs = rows[i].keys->references;
    // 1B: link the references in order, parent -> child, keeping existing links, no loops.
    std::uint32_t prev = kNone;
    while (!refs.empty()) {
      std::size_t sp = refs.find(' ');
      std::string_view id = refs.substr(0, sp);
      refs = sp == std::string_view::npos ? std::string_view{} : refs.substr(sp + 1);
      if (id.empty()) continue;
      std::uint32_t c = container(id);
      if (prev != kNone && prev != c && f.nodes[c].parent == kNone && !f.is_ancestor(c, prev))
        f.link(prev, c);
      prev = c;
    }
    // 1C: this message's parent is its last reference; its old parent is dropped, and the
    // new link is not made when it would close a loop.
    if (f.nodes[i].parent != prev) {
      f.unlink(i);
      if (prev != kNone && !f.is_ancestor(i, prev)) f.link(prev, i);
    }
  }
  // Step 2: the roots.
  std::vector<std::uint32_t> roots;
  for (std::uint32_t n = 0; n < f.nodes.size(); ++n)
    if (f.nodes[n].parent == kNone) roots.push_back(n);
  // Step 4: prune dummies, children first (post-order without recursion): a node's children
  // become its kept children with every dummy child replaced by that dummy's (already
  // pruned) children.
  {
    std::vector<std::pair<std::uint32_t, bool>> stack;
    for (std::uint32_t r : roots) stack.emplace_back(r, false);
    std::vector<std::uint32_t> kept;
    while (!stack.empty()) {
      auto [n, done] = stack.back();
      stack.pop_back();
      if (!done) {
        stack.emplace_back(n, true);
        for (std::uint32_t c : f.nodes[n].children) stack.emplace_back(c, false);
        continue;
      }
      kept.clear();
      for (std::uint32_t c : f.nodes[n].children) {
        if (!f.dummy(c)) {
          kept.push_back(c);
          continue;
        }
        for (std::uint32_t g : f.nodes[c].children) {
          f.nodes[g].parent = n;
          kept.push_back(g);
        }
        f.nodes[c].children.clear();
      }
      f.nodes[n].children = kept;
    }
    std::vector<std::uint32_t> pruned;
    for (std::uint32_t r : roots) {
      if (!f.dummy(r)) {
        pruned.push_back(r);
      } else if (f.nodes[r].children.size() == 1) {
        std::uint32_t only = f.nodes[r].children.front();
        f.nodes[only].parent = kNone;
        f.nodes[r].children.clear();
        pruned.push_back(only);
      } else if (!f.nodes[r].children.empty()) {
        pruned.push_back(r);
      }
    }
    roots = std::move(pruned);
  }
  // Sorted now so that a dummy's "first child" below is its earliest one.
  f.sort_all(roots);
  // Step 5: gather the roots by base subject.
  auto subject_of = [&](std::uint32_t n) -> const store::SortKeys& {
    if (f.dummy(n)) n = f.nodes[n].children.front();
    return *rows[f.nodes[n].row].keys;
  };
  std::unordered_map<std::string_view, std::uint32_t> table;
  for (std::uint32_t r : roots) {
    const store::SortKeys& k = subject_of(r);
    if (k.subject.empty()) continue;
    auto [it, inserted] = table.emplace(k.subject, r);
    if (inserted) continue;
    const std::uint32_t old = it->second;
    if ((f.dummy(r) && !f.dummy(old)) ||
        (!f.dummy(old) && !f.dummy(r) && subject_of(old).reply && !k.reply))
      it->second = r;
  }
  std::vector<std::uint32_t> gathered;
  bool merged = false;
  for (std::uint32_t r : roots) {
    if (f.nodes[r].parent != kNone) continue;  // already gathered under a new dummy
    const store::SortKeys& k = subject_of(r);
    auto it = k.subject.empty() ? table.end() : table.find(k.subject);
    if (it == table.end() || it->second == r) {
      gathered.push_back(r);
      continue;
    }
    merged = true;
    const std::uint32_t t = it->second;
    if (f.dummy(t) && f.dummy(r)) {  // both dummies: r's children join t's
      for (std::uint32_t c : f.nodes[r].children) f.link(t, c);
      f.nodes[r].children.clear();
    } else if (f.dummy(t)) {  // a message joins the dummy's children
      f.link(t, r);
    } else if (f.dummy(r)) {  // (the table prefers dummies: not reached)
      f.link(r, t);
      it->second = r;
      gathered.push_back(r);
    } else if (!subject_of(t).reply && k.reply) {  // a reply under the original
      f.link(t, r);
    } else {  // two of a kind: both under a new dummy, which takes t's place
      std::uint32_t d = f.add_dummy();
      f.link(d, t);
      f.link(d, r);
      it->second = d;
      gathered.push_back(d);
    }
  }
  if (merged) {
    // Roots that became children drop out; a dummy that took a root's place goes in.
    std::vector<std::uint32_t> final_roots;
    std::vector<bool> seen(f.nodes.size(), false);
    for (std::uint32_t r : gathered) {
      std::uint32_t top = r;
      while (f.nodes[top].parent != kNone) top = f.nodes[top].parent;
      if (seen[top] || (f.nodes[top].row == kNone && f.nodes[top].children.empty())) continue;
      seen[top] = true;
      final_roots.push_back(top);
    }
    roots = std::move(final_roots);
    f.sort_all(roots);
  }
  return f.format(roots);
}

}  // namespace estafeta::imap
