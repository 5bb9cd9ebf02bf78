# test_mail_read: the reading commands of the mail client (`estafeta mail mailboxes, list,
# read, save-attachments, move, delete, flag, search, watch`) against a real Estafeta started
# here: messages delivered over SMTP (plain, multipart with attachments, HTML only, non-ASCII
# headers, 8-bit), a client.toml pointing at its IMAP listeners (STARTTLS and implicit TLS)
# with its CA file and the password in an environment variable; every command in text and
# --json; bad input (unknown UID, unknown mailbox, wrong password, server down, a CA that did
# not issue the server's certificate) each with its clear message. When Dovecot is installed
# the read commands also run against a private Dovecot started by the test.
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from estafeta_harness import (PASSWORDS, ServerTestCase, binary, free_port, unique)

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"
LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}
TIMEOUT = 40


def account_toml(name, address, host, port, security, ca_file, password_env):
    return (f'[account.{name}]\naddress = "{address}"\npassword_env = "{password_env}"\n'
            f'ca_file = "{ca_file}"\n\n[account.{name}.imap]\nhost = "{host}"\nport = {port}\n'
            f'security = "{security}"\n\n')


def run_mail(config, *args, env=None, timeout=TIMEOUT, name=None):
    cmd = [binary(), "mail", "--account", config]
    if name:
        cmd += ["--name", name]
    cmd += list(args)
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env)
    for mark in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
        if mark in r.stderr:
            raise AssertionError(f"sanitizer report from mail {' '.join(args)}:\n{r.stderr}")
    return r


PLAIN = (b"From: Bob Sender <bob@remote.test>\r\nTo: Alice <alice@example.test>\r\n"
         b"Cc: carol@example.test\r\nSubject: plain MARK\r\nDate: Wed, 02 Dec 2026 09:00:00 +0000\r\n"
         b"Message-ID: <plain-MARK@remote.test>\r\n\r\nHello Alice,\r\nthe plain body MARK.\r\n")

MULTIPART = (b"From: bob@remote.test\r\nTo: alice@example.test\r\nSubject: report MARK\r\n"
             b"Date: Wed, 02 Dec 2026 09:01:00 +0000\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"BOUND\"\r\n\r\n"
             b"--BOUND\r\nContent-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n"
             b"--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee the report MARK\r\n"
             b"--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>see the <b>report</b></p>\r\n"
             b"--ALT--\r\n"
             b"--BOUND\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
             b"Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n"
             b"--BOUND\r\nContent-Type: text/plain; name=\"evil.txt\"\r\n"
             b"Content-Disposition: attachment; filename=\"../../../evil.txt\"\r\n\r\n"
             b"not outside\r\n"
             b"--BOUND--\r\n")

HTML_ONLY = (b"From: news@remote.test\r\nTo: alice@example.test\r\nSubject: html MARK\r\n"
             b"Date: Wed, 02 Dec 2026 09:02:00 +0000\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: text/html; charset=iso-8859-1\r\n\r\n"
             b"<html><head><style>body{color:red}</style></head><body><h1>Caf\xe9 news</h1>"
             b"<p>first &amp; second MARK</p><script>evil()</script></body></html>\r\n")

NON_ASCII = ("From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@remote.test>\r\n"
             "To: alice@example.test\r\nSubject: =?utf-8?b?w5xiZXJ3ZWlzdW5nIOKCrCAxMDA=?= MARK\r\n"
             "Date: Wed, 02 Dec 2026 09:03:00 +0100\r\nMIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
             "Grüße aus München, 100 € MARK\r\n").encode("utf-8")

LATIN1_8BIT = (b"From: bob@remote.test\r\nTo: alice@example.test\r\nSubject: latin MARK\r\n"
               b"Date: Wed, 02 Dec 2026 09:04:00 +0000\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
               b"Sch\xf6ne Gr\xfc\xdfe MARK\r\n")


class MailReadCommands(ServerTestCase):
    LISTENERS = LISTENERS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="estafeta-mua-")
        cls.marker = unique("mua")
        cls.env = {"T_ALICE_PW": PASSWORDS[ALICE], "T_BOB_PW": PASSWORDS[BOB],
                   "T_CAROL_PW": PASSWORDS[CAROL], "T_WRONG_PW": "not-the-password"}
        ca = cls.server.ca_path()
        closed = free_port()
        other_ca = os.path.join(cls.tmp, "other-ca.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                        os.path.join(cls.tmp, "other.key"), "-out", other_ca, "-days", "2",
                        "-subj", "/CN=Other Test CA"], check=True, capture_output=True, timeout=30)
        text = account_toml("alice", ALICE, "127.0.0.1", cls.server.imap_port, "starttls", ca,
                            "T_ALICE_PW")
        text += account_toml("alicetls", ALICE, "localhost", cls.server.imaps_port, "tls", ca,
                             "T_ALICE_PW")
        text += account_toml("bob", BOB, "127.0.0.1", cls.server.imaps_port, "tls", ca, "T_BOB_PW")
        text += account_toml("carol", CAROL, "127.0.0.1", cls.server.imaps_port, "tls", ca,
                             "T_CAROL_PW")
        text += account_toml("wrong", ALICE, "127.0.0.1", cls.server.imaps_port, "tls", ca,
                             "T_WRONG_PW")
        text += account_toml("down", ALICE, "127.0.0.1", closed, "tls", ca, "T_ALICE_PW")
        text += account_toml("otherca", ALICE, "127.0.0.1", cls.server.imaps_port, "tls",
                             other_ca, "T_ALICE_PW")
        cls.config = os.path.join(cls.tmp, "client.toml")
        with open(cls.config, "w") as f:
            f.write(text)
        os.chmod(cls.config, 0o600)
        m = cls.marker.encode()
        for body in (PLAIN, MULTIPART, HTML_ONLY, NON_ASCII, LATIN1_8BIT):
            with cls.server.smtp() as s:
                s.sendmail("bob@remote.test", [ALICE], body.replace(b"MARK", m))
        for body in (PLAIN, MULTIPART, HTML_ONLY, NON_ASCII, LATIN1_8BIT):
            first_line = body.replace(b"MARK", m).split(b"\r\nSubject: ")[1].split(b"\r\n")[0]
            deadline = time.time() + 20
            while not cls.server.find(ALICE, first_line) and time.time() < deadline:
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    # -- helpers ---------------------------------------------------------------------------------
    def mail(self, *args, name="alice", ok=True, timeout=TIMEOUT):
        r = run_mail(self.config, *args, env=self.env, name=name, timeout=timeout)
        if ok:
            self.assertEqual(r.returncode, 0, f"mail {' '.join(args)}: {r.stderr}")
        return r

    def mail_json(self, *args, name="alice"):
        r = self.mail(*args, "--json", name=name)
        return json.loads(r.stdout)

    def fails(self, expect, *args, name="alice"):
        r = self.mail(*args, name=name, ok=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(expect, r.stderr)
        self.assertTrue(r.stderr.startswith("estafeta: mail: "), r.stderr)
        return r

    def uid_of(self, subject_word, name="alice", mailbox="INBOX"):
        page = self.mail_json("search", "subject:" + subject_word, "--mailbox", mailbox, name=name)
        self.assertEqual(page["total"], 1, page)
        return page["messages"][0]["uid"]

    def deliver(self, to, subject, body="body\r\n"):
        msg = (f"From: someone@remote.test\r\nTo: {to}\r\nSubject: {subject}\r\n"
               f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n\r\n{body}").encode()
        with self.server.smtp() as s:
            s.sendmail("someone@remote.test", [to], msg)
        deadline = time.time() + 20
        while not self.server.find(to, subject.encode()) and time.time() < deadline:
            time.sleep(0.1)

    # -- mailboxes -------------------------------------------------------------------------------
    def test_mailboxes(self):
        r = self.mail("mailboxes")
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("MAILBOX"), r.stdout)
        inbox = [l for l in lines if l.startswith("INBOX")]
        self.assertEqual(len(inbox), 1, r.stdout)
        self.assertIn("inbox", inbox[0])
        data = self.mail_json("mailboxes")
        names = {m["name"]: m for m in data["mailboxes"]}
        self.assertIn("INBOX", names)
        self.assertEqual(names["INBOX"]["role"], "inbox")
        self.assertGreaterEqual(names["INBOX"]["messages"], 5)
        self.assertTrue(names["INBOX"]["selectable"])
        for key in ("name", "role", "attributes", "delimiter", "selectable", "messages", "unseen"):
            self.assertIn(key, data["mailboxes"][0])
        roles = {m["role"] for m in data["mailboxes"]}
        self.assertIn("trash", roles, data)  # Estafeta marks its Trash with \Trash

    # -- list and paging -------------------------------------------------------------------------
    def test_list_text_and_json(self):
        r = self.mail("list")
        self.assertIn("UID", r.stdout.splitlines()[0])
        self.assertIn("html " + self.marker, r.stdout)
        self.assertIn("Jürgen Müller", r.stdout)
        self.assertIn("Überweisung € 100", r.stdout)
        self.assertIn("(newest first)", r.stdout)
        data = self.mail_json("list", "INBOX")
        self.assertEqual(data["mailbox"], "INBOX")
        self.assertGreaterEqual(data["total"], 5)
        uids = [m["uid"] for m in data["messages"]]
        self.assertEqual(uids, sorted(uids, reverse=True))  # newest first
        ours = {m["subject"]: m for m in data["messages"] if self.marker in m["subject"]}
        plain = ours["plain " + self.marker]
        self.assertEqual(plain["from_address"], "bob@remote.test")
        self.assertEqual(plain["from_name"], "Bob Sender")
        self.assertEqual(plain["from"], "Bob Sender <bob@remote.test>")
        self.assertEqual(plain["date"], "2026-12-02T09:00:00+00:00")
        self.assertGreater(plain["size"], 100)
        for key in ("uid", "date", "internal_date", "from", "from_name", "from_address", "subject",
                    "flags", "seen", "flagged", "answered", "size"):
            self.assertIn(key, plain)

    def test_list_pages(self):
        full = self.mail_json("list", "--page-size", "1000")
        total = full["total"]
        p1 = self.mail_json("list", "--page-size", "2")
        p2 = self.mail_json("list", "--page-size", "2", "--page", "2")
        self.assertEqual(p1["pages"], (total + 1) // 2)
        self.assertEqual(len(p1["messages"]), 2)
        self.assertEqual([m["uid"] for m in p1["messages"] + p2["messages"]],
                         [m["uid"] for m in full["messages"]][:4])
        r = self.mail("list", "--page-size", "2", "--page", "2")
        self.assertIn("page 2 of", r.stdout)
        self.fails("--page-size must be between 1 and 1000", "list", "--page-size", "0")
        self.fails("--page starts at 1", "list", "--page", "0")
        self.fails('there is no mailbox "Nowhere"', "list", "Nowhere")

    # -- read ------------------------------------------------------------------------------------
    def test_read_plain(self):
        uid = self.uid_of("plain")
        r = self.mail("read", str(uid), "--peek")
        out = r.stdout
        self.assertIn("From: Bob Sender <bob@remote.test>\n", out)
        self.assertIn("To: Alice <alice@example.test>\n", out)
        self.assertIn("Cc: carol@example.test\n", out)
        self.assertIn("Date: Wed, 02 Dec 2026 09:00:00 +0000\n", out)
        self.assertIn(f"Subject: plain {self.marker}\n", out)
        self.assertIn(f"Hello Alice,\nthe plain body {self.marker}.\n", out)
        self.assertNotIn("Attachments:", out)
        data = self.mail_json("read", str(uid), "--peek")
        self.assertEqual(data["uid"], uid)
        self.assertEqual(data["from"], [{"name": "Bob Sender", "address": "bob@remote.test"}])
        self.assertEqual(data["cc"], [{"name": "", "address": "carol@example.test"}])
        self.assertEqual(data["text_type"], "text/plain")
        self.assertEqual(data["message_id"], f"<plain-{self.marker}@remote.test>")
        self.assertEqual(data["date_iso"], "2026-12-02T09:00:00+00:00")
        self.assertEqual(data["attachments"], [])
        self.assertNotIn("\\Seen", data["flags"])  # --peek

    def test_read_marks_seen(self):
        self.deliver(BOB, "seenmark")
        uid = self.uid_of("seenmark", name="bob")
        before = self.mail_json("search", "subject:seenmark", name="bob")["messages"][0]
        self.assertFalse(before["seen"])
        self.mail("read", str(uid), name="bob")
        after = self.mail_json("search", "subject:seenmark", name="bob")["messages"][0]
        self.assertTrue(after["seen"])

    def test_read_multipart_and_attachments(self):
        uid = self.uid_of("report")
        r = self.mail("read", str(uid), "--peek")
        self.assertIn(f"see the report {self.marker}", r.stdout)
        self.assertNotIn("<p>", r.stdout)
        self.assertIn("Attachments:\n", r.stdout)
        self.assertIn("1. report.pdf (application/pdf, 19)", r.stdout)
        self.assertIn("2. ../../../evil.txt (text/plain,", r.stdout)
        data = self.mail_json("read", str(uid), "--peek")
        self.assertEqual([a["filename"] for a in data["attachments"]],
                         ["report.pdf", "../../../evil.txt"])
        self.assertEqual(data["attachments"][1]["safe_name"], "evil.txt")
        self.assertEqual(data["attachments"][0]["content_type"], "application/pdf")
        self.assertEqual(data["attachments"][0]["size"], 19)

    def test_read_html_only(self):
        uid = self.uid_of("html")
        r = self.mail("read", str(uid), "--peek")
        self.assertIn("[HTML message shown as text]", r.stdout)
        self.assertIn("Café news", r.stdout)
        self.assertIn(f"first & second {self.marker}", r.stdout)
        self.assertNotIn("evil()", r.stdout)
        self.assertNotIn("color:red", r.stdout)
        self.assertEqual(self.mail_json("read", str(uid), "--peek")["text_type"], "text/html")

    def test_read_non_ascii_and_8bit(self):
        page = self.mail_json("search", self.marker, "subject:Überweisung")
        self.assertEqual(page["total"], 1, page)
        uid = page["messages"][0]["uid"]
        data = self.mail_json("read", str(uid), "--peek")
        self.assertEqual(data["from"][0]["name"], "Jürgen Müller")
        self.assertEqual(data["subject"], f"Überweisung € 100 {self.marker}")
        self.assertIn("Grüße aus München, 100 €", data["text"])
        r = self.mail("read", str(uid), "--peek")
        self.assertIn("From: Jürgen Müller <juergen@remote.test>", r.stdout)
        uid = self.uid_of("latin")
        r = self.mail("read", str(uid), "--peek")
        self.assertIn("Schöne Grüße", r.stdout)

    def test_read_over_implicit_tls_with_host_name(self):
        uid = self.uid_of("plain", name="alicetls")
        r = self.mail("read", str(uid), "--peek", name="alicetls")
        self.assertIn(f"plain body {self.marker}", r.stdout)

    # -- save-attachments ------------------------------------------------------------------------
    def test_save_attachments(self):
        uid = self.uid_of("report")
        out = os.path.join(self.tmp, "saved")
        r = self.mail("save-attachments", str(uid), out)
        self.assertIn("report.pdf", r.stdout)
        with open(os.path.join(out, "report.pdf"), "rb") as f:
            self.assertEqual(f.read(), b"%PDF-1.4\n%\xc3\xa4\xc3\xbc\xc3\xb6\xc3\x9f\n")
        self.assertEqual(sorted(os.listdir(out)), ["evil.txt", "report.pdf"])
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "evil.txt")))
        # Again: nothing is overwritten.
        data = self.mail_json("save-attachments", str(uid), out, "--index", "1")
        self.assertEqual(len(data["saved"]), 1)
        self.assertEqual(data["saved"][0]["path"], os.path.join(out, "report-2.pdf"))
        self.assertEqual(sorted(os.listdir(out)), ["evil.txt", "report-2.pdf", "report.pdf"])
        # A symlink named like an attachment is not followed.
        link_dir = os.path.join(self.tmp, "links")
        os.mkdir(link_dir)
        os.symlink(os.path.join(self.tmp, "target"), os.path.join(link_dir, "report.pdf"))
        self.mail("save-attachments", str(uid), link_dir, "--index", "1")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "target")))
        self.fails("has 2 attachment(s), not 7", "save-attachments", str(uid), out, "--index", "7")
        plain = self.uid_of("plain")
        self.fails("has no attachments", "save-attachments", str(plain), out)

    # -- flag, move, delete ----------------------------------------------------------------------
    def test_flag(self):
        self.deliver(BOB, "flagme")
        uid = self.uid_of("flagme", name="bob")
        r = self.mail("flag", str(uid), "--flagged", "--seen", name="bob")
        self.assertIn("\\Flagged", r.stdout)
        self.assertIn("\\Seen", r.stdout)
        row = self.mail_json("search", "subject:flagme", name="bob")["messages"][0]
        self.assertTrue(row["flagged"])
        self.assertTrue(row["seen"])
        data = self.mail_json("flag", str(uid), "--unseen", "--unflagged", "--answered", name="bob")
        self.assertEqual(data["flags"], ["\\Answered"])
        self.fails("say what to change", "flag", str(uid), name="bob")
        self.fails("both set and cleared", "flag", str(uid), "--seen", "--unseen", name="bob")

    def test_move(self):
        self.deliver(BOB, "moveme")
        uid = self.uid_of("moveme", name="bob")
        c = self.server.imaps(BOB)
        c.create("Archive")
        c.logout()
        r = self.mail("move", str(uid), "Archive", name="bob")
        self.assertIn(f"moved {uid} from INBOX to Archive", r.stdout)
        self.assertEqual(self.mail_json("search", "subject:moveme", name="bob")["total"], 0)
        moved = self.mail_json("search", "subject:moveme", "--mailbox", "Archive", name="bob")
        self.assertEqual(moved["total"], 1)
        self.fails('there is no mailbox "Nowhere"', "move", "1", "Nowhere", name="bob")
        self.fails(f"there is no message with UID {uid} in \"INBOX\"", "move", str(uid), "Archive",
                   name="bob")

    def test_delete_to_trash_and_expunge(self):
        self.deliver(CAROL, "deleteme")
        uid = self.uid_of("deleteme", name="carol")
        r = self.mail("delete", str(uid), name="carol")
        self.assertIn(f"moved {uid} from INBOX to Trash", r.stdout)
        self.assertEqual(self.mail_json("search", "subject:deleteme", name="carol")["total"], 0)
        tuid = self.uid_of("deleteme", name="carol", mailbox="Trash")
        data = self.mail_json("delete", str(tuid), "--mailbox", "Trash", name="carol")
        self.assertEqual(data["action"], "deleted")
        self.assertEqual(self.mail_json("search", "subject:deleteme", "--mailbox", "Trash",
                                        name="carol")["total"], 0)
        self.deliver(CAROL, "expungeme")
        uid = self.uid_of("expungeme", name="carol")
        data = self.mail_json("delete", str(uid), "--expunge", name="carol")
        self.assertEqual(data, {"uid": uid, "from": "INBOX", "to": None, "action": "deleted"})
        self.assertEqual(self.mail_json("search", "subject:expungeme", "--mailbox", "Trash",
                                        name="carol")["total"], 0)

    # -- search ----------------------------------------------------------------------------------
    def test_search(self):
        data = self.mail_json("search", self.marker)
        self.assertEqual(data["total"], 5, data)
        self.assertEqual(data["query"], self.marker)
        data = self.mail_json("search", "from:news@remote.test", self.marker)
        self.assertEqual([m["subject"] for m in data["messages"]], [f"html {self.marker}"])
        data = self.mail_json("search", f"subject:\"report {self.marker}\"")
        self.assertEqual(data["total"], 1)
        data = self.mail_json("search", self.marker, "since:2000-01-01", "before:2999-01-01")
        self.assertEqual(data["total"], 5)
        data = self.mail_json("search", self.marker, "before:2000-01-01")
        self.assertEqual(data["total"], 0)
        data = self.mail_json("search", "München", self.marker)  # non-ASCII: CHARSET UTF-8
        self.assertEqual(data["total"], 1)
        r = self.mail("search", "subject:plain", self.marker)
        self.assertIn(f"plain {self.marker}", r.stdout)
        r = self.mail("search", "no-such-word-" + self.marker)
        self.assertIn("no messages in INBOX match", r.stdout)
        self.fails("search: since:tomorrow is not a date (write since:YYYY-MM-DD)",
                   "search", "since:tomorrow")

    # -- watch -----------------------------------------------------------------------------------
    def test_watch_prints_new_messages(self):
        for args in ((), ("--json",)):
            p = subprocess.Popen([binary(), "mail", "--account", self.config, "--name", "bob",
                                  "watch", "--timeout", "15", *args],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, **self.env})
            try:
                time.sleep(2)  # connected and idling
                subject = unique("watched")
                self.deliver(BOB, subject)
                line = ""
                deadline = time.time() + 15
                import select
                while time.time() < deadline and subject not in line:
                    ready, _, _ = select.select([p.stdout], [], [], 1)
                    if ready:
                        line = p.stdout.readline()
                        if not line:
                            break
                self.assertIn(subject, line)
                if args:
                    event = json.loads(line)
                    self.assertEqual(event["event"], "new")
                    self.assertEqual(event["message"]["subject"], subject)
                else:
                    self.assertTrue(line.startswith("new "), line)
                p.send_signal(signal.SIGTERM)
                self.assertEqual(p.wait(timeout=10), 0)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                p.stdout.close()
                p.stderr.close()

    def test_watch_ends_at_timeout(self):
        start = time.time()
        r = self.mail("watch", "--timeout", "2", name="bob", timeout=20)
        self.assertLess(time.time() - start, 15)
        self.assertIn("watching INBOX", r.stderr)

    # -- bad input -------------------------------------------------------------------------------
    def test_unknown_uid(self):
        self.fails('there is no message with UID 999999 in "INBOX"', "read", "999999")

    def test_unknown_mailbox(self):
        self.fails('there is no mailbox "Nowhere"', "read", "1", "--mailbox", "Nowhere")

    def test_wrong_password(self):
        r = self.fails("login as alice@example.test failed", "list", name="wrong")
        self.assertIn("AUTHENTICATIONFAILED", r.stderr)

    def test_server_down(self):
        r = self.fails("cannot connect to 127.0.0.1 port", "list", name="down")
        self.assertIn("refused", r.stderr)

    def test_wrong_ca(self):
        r = self.fails("is not trusted", "list", name="otherca")
        self.assertIn("other-ca.pem", r.stderr)

    def test_unknown_account_and_missing_file(self):
        r = run_mail(self.config, "list", env=self.env, name="nobody")
        self.assertEqual(r.returncode, 1)
        self.assertIn('no account called "nobody"', r.stderr)
        r = run_mail(os.path.join(self.tmp, "missing.toml"), "list", env=self.env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.toml", r.stderr)


if __name__ == "__main__":
    unittest.main()
