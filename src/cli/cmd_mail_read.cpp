// cmd_mail_read: the reading commands of `estafeta mail` (cli_mail.hpp): mailboxes, list,
// read, save-attachments, move, delete, flag, search and watch, over IMAP (mua::ImapClient).
// A message is named by its UID in the mailbox given with --mailbox (default INBOX). Output
// is text for people or, with --json, JSON (mua_render.hpp; field names in docs/MUA.md).
// Every failure is one "estafeta: mail: ..." line naming what went wrong and exit code 1.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cli/cli_mail.hpp"
#include "cli/commands.hpp"
#include "mime/mime_parser.hpp"
#include "mua/mua_imap_client.hpp"
#include "mua/mua_smime_verdict.hpp"
#include "mua/mua_tty.hpp"
#include "mua/proto/mua_message_view.hpp"
#include "mua/proto/mua_render.hpp"
#include "mua/proto/mua_search_query.hpp"
#include "smime/smime_inspect.hpp"
#include "smime/smime_store.hpp"

namespace estafeta::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxPageSize = 1000;
const char kSummaryItems[] =
    "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])";

// Errors may quote the server or the message: printed without terminal controls.
int mail_fail(const std::string& text) {
  return fail("mail: " + mua::terminal_line(text));
}

void print(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// RFC 9051 §7.1: [ALERT] texts must reach the user; on standard error, so that output stays
// clean for programs.
void show_alerts(mua::ImapClient& c) {
  for (const auto& a : c.take_alerts())
    std::fprintf(stderr, "estafeta: mail: the server says: %s\n", mua::terminal_line(a).c_str());
}

// The account's IMAP client, logged in; nullptr after printing the error.
std::unique_ptr<mua::ImapClient> open_imap(const MailGlobals& g,
                                           mua::Account* account_out = nullptr) {
  auto account = mail_account(g);
  if (!account) return nullptr;
  if (account_out) *account_out = *account;
  if (!account->imap.configured()) {
    mail_fail("the account " + account->name + " has no [account." + account->name +
              ".imap] server");
    return nullptr;
  }
  auto password = mua::read_password(*account);
  if (!password) {
    mail_fail(password.error().text);
    return nullptr;
  }
  auto client = mua::ImapClient::connect(*account, *password);
  if (!client) {
    mail_fail(client.error().text);
    return nullptr;
  }
  show_alerts(**client);
  return std::move(*client);
}

std::string role_of(const mua::ImapMailbox& m) {
  if (m.name == "INBOX") return "inbox";
  std::string use = m.special_use();
  if (use.empty()) return "";
  use.erase(0, 1);
  for (char& c : use) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return use;
}

// Selects `mailbox` and checks that `uid` is in it; false after printing the error.
bool select_with_uid(mua::ImapClient& c, const std::string& mailbox, std::uint32_t uid,
                     bool read_only) {
  if (uid == 0) {
    mail_fail("0 is not a message ID: IDs are UIDs, 1 or more (see estafeta mail list)");
    return false;
  }
  auto sel = c.select(mailbox, read_only);
  if (!sel) {
    mail_fail(sel.error().text);
    return false;
  }
  auto found = c.uid_search({{false, "UID"}, {false, std::to_string(uid)}});
  if (!found) {
    mail_fail(found.error().text);
    return false;
  }
  if (std::find(found->begin(), found->end(), uid) == found->end()) {
    mail_fail("there is no message with UID " + std::to_string(uid) + " in \"" + mailbox +
              "\" (see estafeta mail list " + mailbox + ")");
    return false;
  }
  return true;
}

// The rows of `uids` (any order) in the order given.
Result<std::vector<mua::MessageRow>> fetch_rows(mua::ImapClient& c,
                                                const std::vector<std::uint32_t>& uids) {
  std::vector<mua::MessageRow> rows;
  if (uids.empty()) return rows;
  std::string set;
  for (std::uint32_t u : uids) set += (set.empty() ? "" : ",") + std::to_string(u);
  auto fetched = c.uid_fetch(set, kSummaryItems);
  if (!fetched) return fetched.error();
  for (std::uint32_t u : uids) {
    for (const auto& f : *fetched) {
      if (f.uid != u) continue;
      mua::MessageRow row;
      row.uid = u;
      row.flags = f.flags.value_or(std::vector<std::string>{});
      row.internal_date = f.internal_date;
      row.size = f.size.value_or(0);
      if (const std::string* h = f.section("BODY[HEADER.FIELDS"))
        row.header = mua::summarize_header(*h);
      rows.push_back(std::move(row));
      break;
    }
  }
  return rows;
}

// Prints page `page` of `uids` (ascending), newest first.
int print_page(mua::ImapClient& c, const MailGlobals& g, mua::PageInfo info,
               const std::vector<std::uint32_t>& uids) {
  info.total = uids.size();
  info.uidvalidity = c.selected().uidvalidity;
  std::vector<std::uint32_t> newest(uids.rbegin(), uids.rend());
  const std::size_t begin = (info.page - 1) * info.page_size;
  std::vector<std::uint32_t> slice;
  for (std::size_t i = begin; i < newest.size() && i < begin + info.page_size; ++i)
    slice.push_back(newest[i]);
  auto rows = fetch_rows(c, slice);
  if (!rows) return mail_fail(rows.error().text);
  print(g.json ? mua::render_page_json(info, *rows) : mua::render_page_text(info, *rows));
  show_alerts(c);
  c.logout();
  return 0;
}

bool check_paging(std::size_t page, std::size_t page_size) {
  if (page < 1) {
    mail_fail("--page starts at 1");
    return false;
  }
  if (page_size < 1 || page_size > kMaxPageSize) {
    mail_fail("--page-size must be between 1 and " + std::to_string(kMaxPageSize));
    return false;
  }
  return true;
}

// The message `uid`, parsed; fills `bytes` (which the Message points into).
bool fetch_parsed(mua::ImapClient& c, std::uint32_t uid, mua::FetchedMessage& out) {
  auto m = c.fetch_message(uid);
  if (!m) {
    mail_fail(m.error().text);
    return false;
  }
  out = std::move(*m);
  return true;
}

// Creates `dir/name` without following or replacing anything; on a clash tries
// "stem-2.ext", "stem-3.ext", ... Returns the path, or "" with `error`.
std::string create_unique(const fs::path& dir, const std::string& name, const std::string& bytes,
                          std::string& error) {
  const std::size_t dot = name.rfind('.');
  const std::string stem = (dot == std::string::npos || dot == 0) ? name : name.substr(0, dot);
  const std::string ext = (dot == std::string::npos || dot == 0) ? "" : name.substr(dot);
  for (int n = 1; n <= 1000; ++n) {
    const fs::path p = dir / (n == 1 ? name : stem + "-" + std::to_string(n) + ext);
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      error = "cannot create " + p.string() + ": " + std::strerror(errno);
      return "";
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error = "cannot write " + p.string() + ": " + std::strerror(errno);
        ::close(fd);
        ::unlink(p.c_str());
        return "";
      }
      done += static_cast<std::size_t>(w);
    }
    if (::close(fd) != 0) {
      error = "cannot write " + p.string() + ": " + std::strerror(errno);
      return "";
    }
    return p.string();
  }
  error = "too many files named like " + name + " in " + dir.string();
  return "";
}

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) {
  g_stop = true;
}

struct ReadState {
  std::string mailbox = "INBOX";
  std::uint32_t uid = 0;
  std::size_t page = 1;
  std::size_t page_size = 20;
  std::string target;
  std::string dir;
  std::size_t index = 0;
  bool peek = false;
  bool expunge = false;
  bool seen = false, unseen = false, flagged = false, unflagged = false, answered = false,
       unanswered = false;
  std::vector<std::string> query;
  int timeout = 0;
  std::vector<std::string> smime_ca, crl;  // read: S/MIME trust besides the system store
  std::string passphrase_env;              // read: the S/MIME key's passphrase variable
};

// The S/MIME verdict of `bytes` (smime::inspect) with trust in the system store, the
// account's CA file and --smime-ca; own keys from the account's store, unlocked only for an
// encrypted message. Fills the lines and JSON to show; returns the content to display (the
// layers unwrapped) or the bytes unchanged when nothing is S/MIME.
std::string check_smime(const mua::Account& account, const ReadState& s, const std::string& bytes,
                        mua::ReadInfo& info) {
  smime::TrustSettings trust;
  if (!account.ca_file.empty()) trust.ca_files.push_back(account.ca_file);
  trust.ca_files.insert(trust.ca_files.end(), s.smime_ca.begin(), s.smime_ca.end());
  trust.crl_files = s.crl;
  smime::Store store(account.smime_store.empty() ? smime::Store::default_dir()
                                                 : account.smime_store);
  std::vector<smime::Identity> keys;
  std::string lower = bytes;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Every S/MIME media type names pkcs7 (RFC 8551 §3.2): without it there is nothing to
  // check, and the store is left alone.
  if (lower.find("pkcs7") == std::string::npos) return bytes;
  const bool encrypted = lower.find("application/pkcs7-mime") != std::string::npos ||
                         lower.find("application/x-pkcs7-mime") != std::string::npos;
  const bool store_ok = store.open().ok();
  if (encrypted && store_ok) {
    keys = store.own_identities([&](const std::string& prompt, std::string& out) {
      if (!s.passphrase_env.empty()) {
        const char* v = std::getenv(s.passphrase_env.c_str());
        if (!v) return false;
        out = v;
        return true;
      }
      if (!mua::have_tty()) return false;
      auto answer = mua::ask_tty(prompt.empty() ? "S/MIME key passphrase: " : prompt + ": ", false);
      if (!answer) return false;
      out = *answer;
      return true;
    });
  }
  auto v = smime::inspect(bytes, trust, keys);
  if (!v) {
    info.security_lines.push_back("S/MIME: not checked: " + v.error().text);
    info.security_json = "{\"error\":" + mua::json_string(v.error().text) + "}";
    return bytes;
  }
  if (!v->is_smime()) return bytes;
  std::string lines = smime::format_verdict(*v);
  std::size_t start = 0;
  while (start <= lines.size()) {
    const std::size_t nl = lines.find('\n', start);
    // The signer's names come from a certificate in the message: no terminal controls.
    info.security_lines.push_back(
        mua::terminal_line(lines.substr(start, nl == std::string::npos ? nl : nl - start)));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (v->decrypted()) info.security_lines.push_back("S/MIME: the text below was decrypted");
  info.security_json = mua::smime_verdict_json(*v);
  if (store_ok && v->is_signed()) store.collect(*v);  // keeps only verified signers
  return v->content;
}

int run_mailboxes(const MailGlobals& g) {
  auto c = open_imap(g);
  if (!c) return 1;
  auto boxes = c->list_with_counts();
  if (!boxes) return mail_fail(boxes.error().text);
  std::vector<mua::MailboxRow> rows;
  for (const auto& [m, st] : *boxes) {
    mua::MailboxRow r;
    r.name = m.name;
    r.role = role_of(m);
    r.attributes = m.attributes;
    r.delimiter = m.delimiter;
    r.selectable = m.selectable();
    if (r.selectable && st) {
      r.messages = st->messages;
      r.unseen = st->unseen;
    }
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return (a.name == "INBOX") > (b.name == "INBOX");
  });
  print(g.json ? mua::render_mailboxes_json(rows) : mua::render_mailboxes_text(rows));
  show_alerts(*c);
  c->logout();
  return 0;
}

int run_list(const MailGlobals& g, const ReadState& s) {
  if (!check_paging(s.page, s.page_size)) return 1;
  auto c = open_imap(g);
  if (!c) return 1;
  auto sel = c->select(s.mailbox, true);
  if (!sel) return mail_fail(sel.error().text);
  auto uids = c->uid_search({{false, "ALL"}});
  if (!uids) return mail_fail(uids.error().text);
  mua::PageInfo info;
  info.mailbox = s.mailbox;
  info.page = s.page;
  info.page_size = s.page_size;
  return print_page(*c, g, info, *uids);
}

int run_search(const MailGlobals& g, const ReadState& s) {
  if (!check_paging(s.page, s.page_size)) return 1;
  std::string text;
  for (const auto& q : s.query) {
    if (!text.empty()) text += ' ';
    // A word given with spaces in one argument is one phrase.
    text += q.find_first_of(" \t") != std::string::npos && q.find('"') == std::string::npos
                ? "\"" + q + "\""
                : q;
  }
  mua::SearchQuery query;
  std::string error;
  if (!mua::parse_search_query(text, query, error)) return mail_fail("search: " + error);
  auto c = open_imap(g);
  if (!c) return 1;
  auto sel = c->select(s.mailbox, true);
  if (!sel) return mail_fail(sel.error().text);
  auto uids = c->uid_search(query);
  if (!uids) return mail_fail(uids.error().text);
  mua::PageInfo info;
  info.mailbox = s.mailbox;
  info.page = s.page;
  info.page_size = s.page_size;
  info.query = text;
  return print_page(*c, g, info, *uids);
}

int run_read(const MailGlobals& g, const ReadState& s) {
  mua::Account account;
  auto c = open_imap(g, &account);
  if (!c) return 1;
  if (!select_with_uid(*c, s.mailbox, s.uid, s.peek)) return 1;
  mua::FetchedMessage fetched;
  if (!fetch_parsed(*c, s.uid, fetched)) return 1;
  mua::ReadInfo info;
  info.mailbox = s.mailbox;
  info.uid = s.uid;
  info.flags = fetched.flags;
  info.size = fetched.bytes.size();
  const std::string shown = check_smime(account, s, fetched.bytes, info);
  const mime::Message m = mime::parse(shown);
  const mua::MessageView view = mua::view_message(m);
  const bool seen = std::any_of(info.flags.begin(), info.flags.end(), [](const std::string& f) {
    return mua::imap_iequals(f, "\\Seen");
  });
  if (!s.peek && !seen) {
    auto st = c->uid_store(std::to_string(s.uid), true, {"\\Seen"});
    if (!st) return mail_fail(st.error().text);
    info.flags.push_back("\\Seen");
  }
  print(g.json ? mua::render_message_json(info, view) : mua::render_message_text(info, view));
  show_alerts(*c);
  c->logout();
  return 0;
}

int run_save(const MailGlobals& g, const ReadState& s) {
  std::error_code ec;
  const fs::path dir(s.dir);
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    return mail_fail(s.dir + " is not a directory");
  auto c = open_imap(g);
  if (!c) return 1;
  if (!select_with_uid(*c, s.mailbox, s.uid, true)) return 1;
  mua::FetchedMessage fetched;
  if (!fetch_parsed(*c, s.uid, fetched)) return 1;
  show_alerts(*c);
  c->logout();
  const mime::Message m = mime::parse(fetched.bytes);
  const mua::MessageView view = mua::view_message(m);
  if (view.attachments.empty())
    return mail_fail("message " + std::to_string(s.uid) + " in \"" + s.mailbox +
                     "\" has no attachments");
  if (s.index > view.attachments.size())
    return mail_fail("message " + std::to_string(s.uid) + " has " +
                     std::to_string(view.attachments.size()) + " attachment(s), not " +
                     std::to_string(s.index));
  fs::create_directories(dir, ec);
  if (ec) return mail_fail("cannot create the directory " + s.dir + ": " + ec.message());
  std::string json = "{\"saved\":[";
  bool first = true;
  for (const auto& a : view.attachments) {
    if (s.index != 0 && a.index != s.index) continue;
    std::string error;
    const std::string path = create_unique(dir, a.safe_name, mua::attachment_bytes(m, a), error);
    if (path.empty()) return mail_fail(error);
    if (g.json) {
      json += std::string(first ? "" : ",") + "{\"index\":" + std::to_string(a.index) +
              ",\"filename\":" + mua::json_string(a.filename) +
              ",\"path\":" + mua::json_string(path) + ",\"size\":" + std::to_string(a.size) + "}";
    } else {
      print("saved " + std::to_string(a.index) + ". " + path + " (" + mua::human_size(a.size) +
            ")\n");
    }
    first = false;
  }
  if (g.json) print(json + "]}\n");
  return 0;
}

// The mailbox called `name` (INBOX case-insensitive), if it exists.
Result<std::optional<mua::ImapMailbox>> find_mailbox(mua::ImapClient& c, const std::string& name) {
  auto boxes = c.list();
  if (!boxes) return boxes.error();
  for (auto& m : *boxes)
    if (m.name == name || (mua::imap_iequals(name, "INBOX") && m.name == "INBOX"))
      return std::optional<mua::ImapMailbox>(std::move(m));
  return std::optional<mua::ImapMailbox>();
}

void print_done(const MailGlobals& g, const std::string& text, const std::string& json) {
  print(g.json ? json + "\n" : text + "\n");
}

int run_move(const MailGlobals& g, const ReadState& s) {
  auto c = open_imap(g);
  if (!c) return 1;
  auto target = find_mailbox(*c, s.target);
  if (!target) return mail_fail(target.error().text);
  if (!*target || !(*target)->selectable())
    return mail_fail("there is no mailbox \"" + s.target + "\" (see estafeta mail mailboxes)");
  if (!select_with_uid(*c, s.mailbox, s.uid, false)) return 1;
  auto moved = c->uid_move(std::to_string(s.uid), (*target)->name);
  if (!moved) return mail_fail(moved.error().text);
  show_alerts(*c);
  c->logout();
  print_done(g,
             "moved " + std::to_string(s.uid) + " from " + mua::terminal_line(s.mailbox) + " to " +
                 mua::terminal_line((*target)->name),
             "{\"uid\":" + std::to_string(s.uid) + ",\"from\":" + mua::json_string(s.mailbox) +
                 ",\"to\":" + mua::json_string((*target)->name) + ",\"action\":\"moved\"}");
  return 0;
}

int run_delete(const MailGlobals& g, const ReadState& s) {
  auto c = open_imap(g);
  if (!c) return 1;
  std::optional<mua::ImapMailbox> trash;
  if (!s.expunge) {
    auto t = c->find_special("\\Trash");
    if (!t) return mail_fail(t.error().text);
    trash = std::move(*t);
    if (trash && trash->name == s.mailbox) trash.reset();  // deleting inside Trash: remove
  }
  if (!select_with_uid(*c, s.mailbox, s.uid, false)) return 1;
  const std::string uid = std::to_string(s.uid);
  if (trash) {
    auto moved = c->uid_move(uid, trash->name);
    if (!moved) return mail_fail(moved.error().text);
    show_alerts(*c);
    c->logout();
    print_done(g,
               "moved " + uid + " from " + mua::terminal_line(s.mailbox) + " to " +
                   mua::terminal_line(trash->name),
               "{\"uid\":" + uid + ",\"from\":" + mua::json_string(s.mailbox) +
                   ",\"to\":" + mua::json_string(trash->name) + ",\"action\":\"moved\"}");
    return 0;
  }
  auto stored = c->uid_store(uid, true, {"\\Deleted"});
  if (!stored) return mail_fail(stored.error().text);
  auto gone = c->uid_expunge(uid);
  if (!gone) return mail_fail(gone.error().text);
  show_alerts(*c);
  c->logout();
  print_done(g, "deleted " + uid + " from " + mua::terminal_line(s.mailbox),
             "{\"uid\":" + uid + ",\"from\":" + mua::json_string(s.mailbox) +
                 ",\"to\":null,\"action\":\"deleted\"}");
  return 0;
}

int run_flag(const MailGlobals& g, const ReadState& s) {
  std::vector<std::string> add, remove;
  if (s.seen) add.push_back("\\Seen");
  if (s.unseen) remove.push_back("\\Seen");
  if (s.flagged) add.push_back("\\Flagged");
  if (s.unflagged) remove.push_back("\\Flagged");
  if (s.answered) add.push_back("\\Answered");
  if (s.unanswered) remove.push_back("\\Answered");
  if (add.empty() && remove.empty())
    return mail_fail(
        "flag: say what to change (--seen, --unseen, --flagged, --unflagged, "
        "--answered, --unanswered)");
  if ((s.seen && s.unseen) || (s.flagged && s.unflagged) || (s.answered && s.unanswered))
    return mail_fail("flag: a flag cannot be both set and cleared");
  auto c = open_imap(g);
  if (!c) return 1;
  if (!select_with_uid(*c, s.mailbox, s.uid, false)) return 1;
  const std::string uid = std::to_string(s.uid);
  if (!add.empty())
    if (auto r = c->uid_store(uid, true, add); !r) return mail_fail(r.error().text);
  if (!remove.empty())
    if (auto r = c->uid_store(uid, false, remove); !r) return mail_fail(r.error().text);
  auto f = c->uid_fetch(uid, "(UID FLAGS)");
  if (!f) return mail_fail(f.error().text);
  std::vector<std::string> flags;
  for (const auto& x : *f)
    if (x.uid == s.uid && x.flags) flags = *x.flags;
  show_alerts(*c);
  c->logout();
  std::string text;
  for (const auto& fl : flags) text += (text.empty() ? "" : " ") + mua::terminal_line(fl);
  print_done(g, uid + ": " + (text.empty() ? "(no flags)" : text),
             "{\"uid\":" + uid + ",\"mailbox\":" + mua::json_string(s.mailbox) +
                 ",\"flags\":" + mua::json_strings(flags) + "}");
  return 0;
}

int run_watch(const MailGlobals& g, const ReadState& s) {
  if (s.timeout < 0) return mail_fail("--timeout must be 0 (no limit) or more seconds");
  auto c = open_imap(g);
  if (!c) return 1;
  auto sel = c->select(s.mailbox, true);
  if (!sel) return mail_fail(sel.error().text);
  auto all = c->uid_search({{false, "ALL"}});
  if (!all) return mail_fail(all.error().text);
  std::uint32_t last = all->empty() ? 0 : all->back();
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  g_stop = false;
  // On standard error also with --json: a script may wait for it before it expects lines.
  std::fprintf(stderr, "watching %s for new mail (Ctrl-C to stop)\n",
               mua::terminal_line(s.mailbox).c_str());
  using Clock = std::chrono::steady_clock;
  const auto end =
      s.timeout > 0 ? Clock::now() + std::chrono::seconds(s.timeout) : Clock::time_point::max();
  const std::uint64_t known = c->selected().exists;
  std::uint64_t exists = known;
  while (!g_stop && Clock::now() < end) {
    bool grew = false;
    const auto left =
        end == Clock::time_point::max()
            ? std::chrono::milliseconds(std::chrono::hours(24))
            : std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    auto r = c->idle(
        [&](const mua::IdleEvent& e) {
          if (e.kind == mua::IdleEvent::Kind::exists && e.number > exists) grew = true;
          if (e.kind == mua::IdleEvent::Kind::exists) exists = e.number;
          if (e.kind == mua::IdleEvent::Kind::expunge && exists > 0) --exists;
          return !grew;
        },
        [] { return g_stop.load(); }, left, std::chrono::milliseconds(500));
    if (!r) return mail_fail(r.error().text);
    if (!grew) continue;
    auto fetched = c->uid_fetch(std::to_string(last + 1) + ":*", kSummaryItems);
    if (!fetched) return mail_fail(fetched.error().text);
    std::vector<std::uint32_t> fresh;
    for (const auto& f : *fetched)
      if (*f.uid > last) fresh.push_back(*f.uid);
    std::sort(fresh.begin(), fresh.end());
    auto rows = fetch_rows(*c, fresh);
    if (!rows) return mail_fail(rows.error().text);
    for (const auto& row : *rows) {
      if (g.json)
        print("{\"event\":\"new\",\"mailbox\":" + mua::json_string(s.mailbox) +
              ",\"message\":" + mua::render_row_json(row) + "}\n");
      else
        print("new " + mua::render_row_text(row) + "\n");
      last = std::max(last, row.uid);
    }
  }
  show_alerts(*c);
  c->logout();
  return 0;
}

}  // namespace

void register_mail_read_commands(CLI::App& mail, MailAction& action) {
  auto s = std::make_shared<ReadState>();
  auto mailbox_option = [&](CLI::App* cmd) {
    cmd->add_option("--mailbox", s->mailbox, "the mailbox the message is in (default INBOX)");
  };
  auto uid_arg = [&](CLI::App* cmd) {
    cmd->add_option("ID", s->uid, "the message's UID (from mail list)")->required();
  };

  CLI::App* boxes = mail.add_subcommand("mailboxes", "list the mailboxes with their counts");
  boxes->callback([&action] { action = run_mailboxes; });

  CLI::App* list = mail.add_subcommand("list", "list messages, newest first, a page at a time");
  list->add_option("MAILBOX", s->mailbox, "the mailbox (default INBOX)");
  list->add_option("--page", s->page, "page number, from 1 (default 1)");
  list->add_option("--page-size", s->page_size, "messages per page (default 20, at most 1000)");
  list->callback([&action, s] { action = [s](const MailGlobals& g) { return run_list(g, *s); }; });

  CLI::App* read = mail.add_subcommand("read", "show a message: headers, text, attachments");
  uid_arg(read);
  mailbox_option(read);
  read->add_flag("--peek", s->peek, "leave the message unread");
  read->add_option("--smime-ca", s->smime_ca,
                   "trust this CA file (PEM) for S/MIME signatures too (repeatable)");
  read->add_option("--crl", s->crl, "check S/MIME signers against this CRL (repeatable)");
  read->add_option("--passphrase-env", s->passphrase_env,
                   "the environment variable holding your S/MIME key's passphrase");
  read->callback([&action, s] { action = [s](const MailGlobals& g) { return run_read(g, *s); }; });

  CLI::App* save = mail.add_subcommand("save-attachments", "save a message's attachments");
  uid_arg(save);
  save->add_option("DIR", s->dir, "the directory to save into (created if missing)")->required();
  mailbox_option(save);
  save->add_option("--index", s->index, "save only attachment N (as numbered by mail read)");
  save->callback([&action, s] { action = [s](const MailGlobals& g) { return run_save(g, *s); }; });

  CLI::App* move = mail.add_subcommand("move", "move a message to another mailbox");
  uid_arg(move);
  move->add_option("MAILBOX", s->target, "the mailbox to move it to")->required();
  mailbox_option(move);
  move->callback([&action, s] { action = [s](const MailGlobals& g) { return run_move(g, *s); }; });

  CLI::App* del =
      mail.add_subcommand("delete", "delete a message (to the Trash mailbox when there is one)");
  uid_arg(del);
  mailbox_option(del);
  del->add_flag("--expunge", s->expunge, "remove it at once instead of moving it to Trash");
  del->callback([&action, s] { action = [s](const MailGlobals& g) { return run_delete(g, *s); }; });

  CLI::App* flag = mail.add_subcommand("flag", "set or clear a message's flags");
  uid_arg(flag);
  mailbox_option(flag);
  flag->add_flag("--seen", s->seen, "mark as read");
  flag->add_flag("--unseen", s->unseen, "mark as unread");
  flag->add_flag("--flagged", s->flagged, "flag it");
  flag->add_flag("--unflagged", s->unflagged, "clear the flag");
  flag->add_flag("--answered", s->answered, "mark as answered");
  flag->add_flag("--unanswered", s->unanswered, "clear answered");
  flag->callback([&action, s] { action = [s](const MailGlobals& g) { return run_flag(g, *s); }; });

  CLI::App* search =
      mail.add_subcommand("search",
                          "search a mailbox: words, from:X to:X cc:X subject:X body:X since:DATE "
                          "before:DATE on:DATE unseen seen flagged answered larger:N smaller:N");
  search->add_option("QUERY", s->query, "the query (see docs/MUA.md)")->required();
  mailbox_option(search);
  search->add_option("--page", s->page, "page number, from 1 (default 1)");
  search->add_option("--page-size", s->page_size, "messages per page (default 20)");
  search->callback(
      [&action, s] { action = [s](const MailGlobals& g) { return run_search(g, *s); }; });

  CLI::App* watch = mail.add_subcommand("watch", "print a line for each new message (IDLE)");
  watch->add_option("MAILBOX", s->mailbox, "the mailbox (default INBOX)");
  watch->add_option("--timeout", s->timeout, "stop after this many seconds (default: never)");
  watch->callback(
      [&action, s] { action = [s](const MailGlobals& g) { return run_watch(g, *s); }; });
}

}  // namespace estafeta::cli
