// cmd_mail_send: the composing and sending commands of `estafeta mail` (cli_mail.hpp): send,
// flush, reply, reply-all, forward (with --sign/--encrypt, mua_smime_send.hpp), and fetch
// (POP3 into a local Maildir); setup is registered from here but lives in cmd_mail_setup.cpp.
// Composing is the MIME library's (mime_compose.hpp); submitting, the outbox and the Sent
// copy are mua_send.hpp's. Exit codes: 0 sent, 75 kept in the outbox (server unreachable or 4xx:
// `mail flush` retries), 1 an error or a recipient refused (with an "estafeta: ..." line or
// the recipient's line).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>

#include "cli/cli_mail.hpp"
#include "cli/commands.hpp"
#include "mime/mime_compose.hpp"
#include "mua/mua_imap_client.hpp"
#include "mua/mua_pop3_fetch.hpp"
#include "mua/mua_send.hpp"
#include "mua/mua_smime_send.hpp"
#include "mua/mua_tty.hpp"
#include "mua/proto/mua_draft_input.hpp"
#include "mua/proto/mua_reply.hpp"

namespace estafeta::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxInputFile = 64 * 1024 * 1024;  // a body, an HTML part, an attachment

// Reads a whole file ("-" = standard input), at most kMaxInputFile octets.
std::optional<std::string> read_input(const std::string& path, std::string& error) {
  int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string data;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = (path == "-" ? std::string("standard input") : path) + ": " + std::strerror(errno);
      if (fd != STDIN_FILENO) ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxInputFile) {
      error = (path == "-" ? std::string("standard input") : path) + ": larger than 64 MiB";
      if (fd != STDIN_FILENO) ::close(fd);
      return std::nullopt;
    }
  }
  if (fd != STDIN_FILENO) ::close(fd);
  return data;
}

int local_utc_offset_minutes() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  return static_cast<int>(tm.tm_gmtoff / 60);
}

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? "localhost" : address.substr(at + 1);
}

// The password, asked at most once per command (submission, then the Sent copy).
mua::PasswordFn cached_password(const mua::Account& account) {
  auto cache = std::make_shared<std::optional<std::string>>();
  return [account, cache]() -> Result<std::string> {
    if (*cache) return **cache;
    auto pw = mua::read_password(account);
    if (pw) *cache = *pw;
    return pw;
  };
}

// $VISUAL, else $EDITOR, else vi, on `file`, with the terminal. False when it failed.
bool run_editor(const std::string& file, std::string& error) {
  const char* editor = std::getenv("VISUAL");
  if (!editor || !*editor) editor = std::getenv("EDITOR");
  if (!editor || !*editor) editor = "vi";
  pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("cannot start the editor: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    // The editor command may carry arguments ("emacs -nw"): the shell splits it.
    std::string cmd = std::string(editor) + " \"$1\"";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), "sh", file.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = std::string("the editor (") + editor + ") failed; nothing was sent";
    return false;
  }
  return true;
}

// The editor path: the template in a private temporary file, edited, read back. The file is
// removed when the message is taken; on an error it is kept and named, so nothing typed is
// lost.
bool edit_draft(mime::Draft& draft, std::string& error) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/estafeta-mail-XXXXXX.txt";
  int fd = ::mkstemps(path.data(), 4);
  if (fd < 0) {
    error = std::string("cannot create a temporary file: ") + std::strerror(errno);
    return false;
  }
  std::string text = mua::render_template(draft);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    error = "cannot write " + path;
    return false;
  }
  if (!run_editor(path, error)) {
    ::unlink(path.c_str());
    return false;
  }
  auto edited = read_input(path, error);
  if (!edited) return false;
  auto parsed = mua::parse_template(*edited, draft);
  if (!parsed) {
    bool empty = parsed.error().text.rfind("empty message", 0) == 0;
    if (empty) {
      ::unlink(path.c_str());
      error = "aborted: " + parsed.error().text;
    } else {
      error = parsed.error().text + " (your text is kept in " + path + ")";
    }
    return false;
  }
  ::unlink(path.c_str());
  return true;
}

struct ComposeOptions {
  std::vector<std::string> to, cc, bcc, reply_to, attach;
  std::string subject, body_file, html_file;
  bool subject_given = false;
  bool no_sent_copy = false;
  bool edit = false;  // --edit: always open the editor
  mua::SecureOptions smime;
  std::string passphrase_env;  // the S/MIME key's passphrase (else asked on the terminal)
};

void add_compose_options(CLI::App* cmd, ComposeOptions& o) {
  cmd->add_option("--to", o.to, "recipient (repeatable; \"Name <a@b>, c@d\" lists too)");
  cmd->add_option("--cc", o.cc, "copy recipient (repeatable)");
  cmd->add_option("--bcc", o.bcc, "blind copy recipient (repeatable; in no header they see)");
  cmd->add_option("--reply-to", o.reply_to, "Reply-To address (repeatable)");
  cmd->add_option("--subject", o.subject, "the subject")->each([&o](const std::string&) {
    o.subject_given = true;
  });
  cmd->add_option("--body", o.body_file, "the text body from FILE (\"-\" = standard input)");
  cmd->add_option("--html", o.html_file, "an HTML alternative from FILE");
  cmd->add_option("--attach", o.attach, "attach FILE (repeatable; media type detected)");
  cmd->add_flag("--no-sent-copy", o.no_sent_copy, "keep no copy in the Sent mailbox");
  cmd->add_flag("--edit", o.edit, "open $EDITOR on the message even when a body is given");
  cmd->add_flag("--sign", o.smime.sign, "sign with your S/MIME certificate (multipart/signed)");
  cmd->add_flag("--encrypt", o.smime.encrypt,
                "encrypt (S/MIME) for every recipient's certificate and your own");
  cmd->add_option("--passphrase-env", o.passphrase_env,
                  "the S/MIME key's passphrase from this environment variable");
}

// Fills the draft's recipients, subject, HTML and attachments from the options. The text
// body is left to the caller.
bool apply_options(const ComposeOptions& o, mime::Draft& draft, std::string& error) {
  struct List {
    const std::vector<std::string>* values;
    std::vector<mime::DraftAddress>* into;
    const char* option;
  };
  for (const List& l :
       {List{&o.to, &draft.to, "--to"}, List{&o.cc, &draft.cc, "--cc"},
        List{&o.bcc, &draft.bcc, "--bcc"}, List{&o.reply_to, &draft.reply_to, "--reply-to"}}) {
    for (const auto& v : *l.values) {
      auto parsed = mua::parse_recipients(v);
      if (!parsed) {
        error = std::string(l.option) + ": " + parsed.error().text;
        return false;
      }
      if (parsed->empty()) {
        error = std::string(l.option) + ": empty address";
        return false;
      }
      l.into->insert(l.into->end(), parsed->begin(), parsed->end());
    }
  }
  if (o.subject_given) draft.subject = o.subject;
  if (!o.html_file.empty()) {
    auto html = read_input(o.html_file, error);
    if (!html) return false;
    draft.html = std::move(*html);
  }
  for (const auto& path : o.attach) {
    auto content = read_input(path, error);
    if (!content) return false;
    mime::DraftAttachment a;
    a.filename = fs::path(path).filename().string();
    a.media_type = mua::detect_media_type(a.filename, *content);
    a.content = std::move(*content);
    draft.attachments.push_back(std::move(a));
  }
  return true;
}

// The body: --body FILE, else the editor when standard input is a terminal (or --edit),
// else standard input. What is given goes before the draft's text (a reply's quote).
bool fill_body(const ComposeOptions& o, mime::Draft& draft, std::string& error) {
  if (!o.body_file.empty()) {
    auto body = read_input(o.body_file, error);
    if (!body) return false;
    draft.text = std::move(*body) + draft.text;
    if (!o.edit) return true;
  }
  if (o.edit || ::isatty(STDIN_FILENO)) return edit_draft(draft, error);
  auto body = read_input("-", error);
  if (!body) return false;
  draft.text = std::move(*body) + draft.text;
  return true;
}

// The Sent copy over IMAP APPEND (\Seen), to the account's sent_mailbox.
// The password comes from the same cache as the submission's, so it is asked once.
mua::SentCopyFn sent_copy_function(const mua::PasswordFn& password) {
  return [password](const mua::Account& account, const std::string& message) -> Result<bool> {
    auto pw = password();
    if (!pw) return pw.error();
    auto imap = mua::ImapClient::connect(account, *pw);
    if (!imap) return imap.error();
    auto appended = (*imap)->append(account.sent_mailbox, message, {"\\Seen"});
    (*imap)->logout();
    if (!appended) return appended.error();
    return true;
  };
}

// Composes, then sends (or keeps in the outbox).
mua::SendSummary send_draft(const mua::Account& account, mime::Draft draft, const ComposeOptions& o,
                            const mua::PasswordFn& password) {
  const bool sent_copy = !o.no_sent_copy;
  if (draft.to.empty() && draft.cc.empty() && draft.bcc.empty()) {
    fail("no recipient: give --to, --cc or --bcc (or fill in To: in the editor)");
    mua::SendSummary none;
    none.failed = true;
    return none;
  }
  mime::ComposeOptions co;
  co.hostname = domain_of(account.address);
  co.utc_offset_minutes = local_utc_offset_minutes();
  if (draft.message_id.empty()) draft.message_id = mime::generate_message_id(co.hostname);
  if (draft.date == std::chrono::system_clock::time_point{})
    draft.date = std::chrono::system_clock::now();
  draft.headers.emplace_back("User-Agent", "Estafeta");
  std::string message = mime::compose(draft, co);  // never a Bcc header (include_bcc off)
  if (o.smime.sign || o.smime.encrypt) {
    std::vector<std::string> visible;
    for (const auto* list : {&draft.to, &draft.cc})
      for (const auto& a : *list) visible.push_back(a.address);
    auto secured = mua::secure_message(
        account, message, visible, !draft.bcc.empty(), o.smime,
        [&o](const std::string& prompt, std::string& out) {
          if (!o.passphrase_env.empty()) {
            const char* v = std::getenv(o.passphrase_env.c_str());
            if (!v) return false;
            out = v;
            return true;
          }
          if (!mua::have_tty()) return false;
          auto answer =
              mua::ask_tty(prompt.empty() ? "S/MIME key passphrase: " : prompt + ": ", false);
          if (!answer) return false;
          out = *answer;
          return true;
        });
    if (!secured) {
      fail(secured.error().text);
      mua::SendSummary none;
      none.failed = true;
      return none;
    }
    message = std::move(*secured);
  }

  mua::Outgoing out;
  out.record.sender = account.address;
  for (const auto* list : {&draft.to, &draft.cc, &draft.bcc})
    for (const auto& a : *list)
      if (std::find(out.record.recipients.begin(), out.record.recipients.end(), a.address) ==
          out.record.recipients.end())
        out.record.recipients.push_back(a.address);
  out.record.message = std::move(message);
  out.record.sent_copy = sent_copy;
  out.record.bcc = mime::format_address_list(draft.bcc);
  std::vector<mua::Outgoing> batch;
  batch.push_back(std::move(out));
  mua::SendSummary sum =
      mua::send_messages(account, std::move(batch), password, sent_copy_function(password), stdout);
  std::fflush(stdout);
  return sum;
}

struct ReplyOptions {
  ComposeOptions compose;
  std::uint32_t uid = 0;
  std::string mailbox = "INBOX";
  bool attach_original = false;
};

enum class ReplyKind { reply, reply_all, forward };

// reply, reply-all, forward: the original fetched over IMAP (read-only, \Seen untouched), the
// draft built (mua_reply.hpp), completed like `send`, sent, then the original flagged
// \Answered (RFC 9051 §2.3.2) or $Forwarded.
int run_reply(const mua::Account& account, const ReplyOptions& o, ReplyKind kind) {
  if (!account.imap.configured())
    return fail("account \"" + account.name + "\" has no [account." + account.name +
                ".imap] server to fetch the message from");
  mua::PasswordFn password = cached_password(account);
  auto pw = password();
  if (!pw) return fail(pw.error().text);
  std::string original;
  {
    auto imap = mua::ImapClient::connect(account, *pw);
    if (!imap) return fail(imap.error().text);
    auto sel = (*imap)->select(o.mailbox, true);
    if (!sel) return fail(sel.error().text);
    auto msg = (*imap)->fetch_message(o.uid);
    (*imap)->logout();
    if (!msg) return fail(msg.error().text);
    original = std::move(msg->bytes);
  }
  mime::DraftAddress me{account.display_name, account.address};
  mime::Draft draft =
      kind == ReplyKind::forward
          ? mua::build_forward(original, me, o.attach_original)
          : mua::build_reply(original, me, {kind == ReplyKind::reply_all, account.address, {}});
  std::string error;
  if (!apply_options(o.compose, draft, error)) return fail(error);
  if (!fill_body(o.compose, draft, error)) return fail(error);
  mua::SendSummary sum = send_draft(account, std::move(draft), o.compose, password);
  if (sum.sent > 0) {
    auto imap = mua::ImapClient::connect(account, *pw);
    Result<bool> flagged = imap ? Result<bool>(true) : Result<bool>(imap.error());
    if (imap) {
      auto sel = (*imap)->select(o.mailbox, false);
      flagged = sel ? (*imap)->uid_store(std::to_string(o.uid), true,
                                         {kind == ReplyKind::forward ? "$Forwarded" : "\\Answered"})
                    : Result<bool>(sel.error());
      (*imap)->logout();
    }
    if (!flagged)
      std::printf("warning: the original was not flagged: %s\n", flagged.error().text.c_str());
  }
  return sum.exit_code();
}

int run_flush(const mua::Account& account) {
  mua::Outbox outbox(account.outbox);
  auto ids = outbox.list();
  if (!ids) return fail(ids.error().text);
  if (ids->empty()) {
    std::printf("the outbox is empty\n");
    return 0;
  }
  std::vector<mua::Outgoing> batch;
  bool bad = false;
  for (const auto& id : *ids) {
    auto r = outbox.read(id);
    if (!r) {
      std::fprintf(stderr, "estafeta: %s (left where it is)\n", r.error().text.c_str());
      bad = true;
      continue;
    }
    mua::Outgoing o;
    o.record = std::move(*r);
    o.id = id;
    batch.push_back(std::move(o));
  }
  std::printf("sending %zu waiting message(s)\n", batch.size());
  mua::PasswordFn password = cached_password(account);
  mua::SendSummary sum =
      mua::send_messages(account, std::move(batch), password, sent_copy_function(password), stdout);
  std::fflush(stdout);
  int code = sum.exit_code();
  return bad && code == 0 ? 1 : code;
}

}  // namespace

void register_mail_send_commands(CLI::App& mail, MailAction& action) {
  register_mail_setup_command(mail, action);
  // send
  auto send_opts = std::make_shared<ComposeOptions>();
  auto* send = mail.add_subcommand(
      "send",
      "compose and send a message: from the options (body from --body FILE or standard input) "
      "or in $EDITOR when standard input is a terminal");
  add_compose_options(send, *send_opts);
  send->callback([&action, send_opts] {
    action = [send_opts](const MailGlobals& g) {
      auto account = mail_account(g);
      if (!account) return 1;
      mime::Draft draft;
      draft.from = {account->display_name, account->address};
      std::string error;
      if (!apply_options(*send_opts, draft, error)) return fail(error);
      if (!fill_body(*send_opts, draft, error)) return fail(error);
      return send_draft(*account, std::move(draft), *send_opts, cached_password(*account))
          .exit_code();
    };
  });

  // reply, reply-all, forward
  struct ReplyCommand {
    const char* name;
    const char* help;
    ReplyKind kind;
  };
  for (const ReplyCommand& rc :
       {ReplyCommand{"reply", "reply to the sender of message UID (Reply-To, else From)",
                     ReplyKind::reply},
        ReplyCommand{"reply-all", "reply to the sender and every recipient of message UID",
                     ReplyKind::reply_all},
        ReplyCommand{"forward", "forward message UID (inline, or --attach-original)",
                     ReplyKind::forward}}) {
    auto o = std::make_shared<ReplyOptions>();
    auto* cmd = mail.add_subcommand(rc.name, rc.help);
    cmd->add_option("UID", o->uid, "the message's UID (see estafeta mail list)")->required();
    cmd->add_option("--mailbox", o->mailbox, "the mailbox it is in (default INBOX)");
    add_compose_options(cmd, o->compose);
    if (rc.kind == ReplyKind::forward)
      cmd->add_flag("--attach-original", o->attach_original,
                    "attach the original as message/rfc822 instead of quoting it inline");
    ReplyKind kind = rc.kind;
    cmd->callback([&action, o, kind] {
      action = [o, kind](const MailGlobals& g) {
        auto account = mail_account(g);
        if (!account) return 1;
        return run_reply(*account, *o, kind);
      };
    });
  }

  // fetch
  auto fetch_delete = std::make_shared<bool>(false);
  auto* fetch = mail.add_subcommand(
      "fetch", "download new messages over POP3 into the account's local Maildir");
  fetch->add_flag("--delete", *fetch_delete,
                  "delete each message on the server once it is stored here");
  auto fetch_keep = std::make_shared<bool>(false);
  fetch->add_flag("--keep", *fetch_keep, "leave the messages on the server (the default)")
      ->excludes("--delete");
  fetch->callback([&action, fetch_delete, fetch_keep] {
    action = [fetch_delete](const MailGlobals& g) {
      auto account = mail_account(g);
      if (!account) return 1;
      if (!account->pop3.configured())
        return fail("account \"" + account->name + "\" has no [account." + account->name +
                    ".pop3] server");
      auto pw = mua::read_password(*account);
      if (!pw) return fail(pw.error().text);
      mua::FetchOptions fo;
      fo.delete_after = *fetch_delete;
      mua::Pop3Done d = mua::fetch_pop3(*account, *pw, fo, stdout);
      for (const auto& s : d.skipped) std::printf("skipped %s\n", s.c_str());
      std::printf("%zu new message(s) stored in %s (%zu on the server", d.downloaded,
                  account->maildir.c_str(), d.listed);
      if (*fetch_delete) std::printf(", %zu deleted there", d.deleted);
      std::printf(")\n");
      std::fflush(stdout);
      if (!d.ok) return fail(d.error);
      return 0;
    };
  });

  // flush
  auto* flush = mail.add_subcommand("flush", "send the messages waiting in the outbox");
  flush->callback([&action] {
    action = [](const MailGlobals& g) {
      auto account = mail_account(g);
      if (!account) return 1;
      return run_flush(*account);
    };
  });
}

}  // namespace estafeta::cli
