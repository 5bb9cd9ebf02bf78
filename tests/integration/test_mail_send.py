# `estafeta mail send` and `mail flush` against a real Estafeta: submission on 587 with
# STARTTLS and AUTH (and 465), attachments with detected media types, an HTML alternative,
# Bcc recipients who get the message while no header anyone sees names them, the Sent copy
# over IMAP APPEND (with the Bcc header: only the sender sees it), the outbox when the server
# is down and `mail flush` afterwards, a refused recipient reported and not queued, the
# editor path with a scripted $EDITOR, and bad input, each with its message.
import email
import email.policy
import os
import socket
import stat
import subprocess
import unittest

from estafeta_harness import ServerTestCase, binary, unique
from mail_client_support import MailClient


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSendTest(ServerTestCase):
    LISTENERS = {"smtp": ("mx", None), "submission": ("submission", None),
                 "submissions": ("submissions", None), "imap": ("imap", None)}

    def setUp(self):
        super().setUp()
        self.client = MailClient(self.server, self.server.tmp)

    def tearDown(self):
        # Every test leaves the outbox as it found it.
        for name in self.client.outbox_entries():
            os.unlink(os.path.join(self.client.outbox, "new", name))
        super().tearDown()

    def test_send_attachments_html_and_bcc(self):
        marker = unique()
        d = self.server.tmp
        pdf = os.path.join(d, "report.pdf")
        with open(pdf, "wb") as f:
            f.write(b"%PDF-1.4\n" + bytes(range(256)))
        blob = os.path.join(d, "photo-noext")
        with open(blob, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        html = os.path.join(d, "body.html")
        with open(html, "w") as f:
            f.write(f"<p>Hello <b>{marker}</b></p>")
        r = self.client.run("send", "--to", "Bob <bob@example.test>", "--cc", "info@example.test",
                            "--bcc", "carol@example.test", "--subject", f"Grüße {marker}",
                            "--reply-to", "Team <info@example.test>",
                            "--attach", pdf, "--attach", blob, "--html", html,
                            input=f"Text body {marker}\nsecond line\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("bob@example.test: sent (250", r.stdout)
        self.assertIn("carol@example.test: sent (250", r.stdout)
        self.assertIn("copy kept in Sent", r.stdout)
        # Bob (To), alice via the info alias (Cc), carol (Bcc) each get one copy.
        for rcpt in ("bob@example.test", "carol@example.test"):
            raw = self.server.read_one(self, rcpt, marker)
            m = parse(raw)
            self.assertEqual(m["Subject"], f"Grüße {marker}")
            self.assertEqual(m["From"], "Alice Example <alice@example.test>")
            self.assertEqual(m["To"], "Bob <bob@example.test>")
            self.assertEqual(m["Reply-To"], "Team <info@example.test>")
            self.assertIsNone(m["Bcc"])
            self.assertNotIn(b"carol@example.test>", raw.split(b"\r\n\r\n")[0].replace(
                b"Delivered-To: carol@example.test", b""))
            self.assertNotIn(b"Bcc", raw)
            body = m.get_body(preferencelist=("plain",))
            self.assertIn(f"Text body {marker}", body.get_content())
            self.assertIn(marker, m.get_body(preferencelist=("html",)).get_content())
            atts = {a.get_filename(): a for a in m.iter_attachments()}
            self.assertEqual(atts["report.pdf"].get_content_type(), "application/pdf")
            self.assertEqual(atts["report.pdf"].get_content(), b"%PDF-1.4\n" + bytes(range(256)))
            self.assertEqual(atts["photo-noext"].get_content_type(), "image/png")
        # The Sent copy: one, \Seen, with the Bcc header.
        imap = self.server.imap("alice@example.test")
        imap.select("Sent")
        typ, data = imap.search(None, "BODY", marker)
        uids = data[0].split()
        self.assertEqual(len(uids), 1)
        typ, data = imap.fetch(uids[0], "(FLAGS BODY.PEEK[HEADER])")
        self.assertIn(b"\\Seen", data[0][0])
        self.assertIn("carol@example.test", parse(data[0][1])["Bcc"])
        imap.logout()

    def test_implicit_tls_on_465(self):
        marker = unique()
        self.client.write(submission=(self.server.submissions, "tls"), imap=False)
        r = self.client.run("send", "--to", "bob@example.test", "--subject", marker,
                            "--no-sent-copy", input="over 465\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.server.read_one(self, "bob@example.test", marker)

    def test_outbox_when_down_then_flush(self):
        marker = unique()
        self.client.write(submission=(closed_port(), "starttls"))
        r = self.client.run("send", "--to", "bob@example.test", "--bcc", "carol@example.test",
                            "--subject", marker, input="waits a while\n")
        self.assertEqual(r.returncode, 75, r.stdout + r.stderr)
        self.assertIn("not sent now: cannot connect to 127.0.0.1", r.stdout)
        self.assertIn("kept in the outbox for 2 recipient(s)", r.stdout)
        entries = self.client.outbox_entries()
        self.assertEqual(len(entries), 1)
        st = os.stat(os.path.join(self.client.outbox, "new", entries[0]))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(self.server.find("bob@example.test", marker), [])
        # Still down: flush keeps it, one attempt more.
        r = self.client.run("flush")
        self.assertEqual(r.returncode, 75, r.stdout + r.stderr)
        self.assertEqual(len(self.client.outbox_entries()), 1)
        with open(os.path.join(self.client.outbox, "new", entries[0]), "rb") as f:
            self.assertIn(b"attempts 2\n", f.read())
        # The server is reachable again.
        self.client.write()
        r = self.client.run("flush")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("sending 1 waiting message(s)", r.stdout)
        self.assertIn("bob@example.test: sent", r.stdout)
        self.assertIn("copy kept in Sent", r.stdout)  # the Sent copy waited with it
        self.assertEqual(self.client.outbox_entries(), [])
        raw = self.server.read_one(self, "bob@example.test", marker)
        self.assertNotIn(b"Bcc", raw)
        self.server.read_one(self, "carol@example.test", marker)
        r = self.client.run("flush")
        self.assertEqual(r.returncode, 0)
        self.assertIn("the outbox is empty", r.stdout)
        imap = self.server.imap("alice@example.test")
        imap.select("Sent")
        typ, data = imap.search(None, "SUBJECT", marker)
        self.assertEqual(len(data[0].split()), 1)
        imap.logout()

    def test_refused_recipient_is_reported_not_queued(self):
        marker = unique()
        r = self.client.run("send", "--to", "bob@example.test", "--to", "nobody@example.test",
                            "--subject", marker, "--no-sent-copy", input="x\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("nobody@example.test: refused (550 5.1.1", r.stdout)
        self.assertIn("bob@example.test: sent", r.stdout)
        self.assertEqual(self.client.outbox_entries(), [])
        self.server.read_one(self, "bob@example.test", marker)

    def test_wrong_password_keeps_the_message(self):
        marker = unique()
        r = self.client.run("send", "--to", "bob@example.test", "--subject", marker,
                            input="x\n", env={"MAIL_PW": "wrong"})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("error: authentication failed", r.stdout)
        self.assertEqual(len(self.client.outbox_entries()), 1)
        self.assertEqual(self.server.find("bob@example.test", marker), [])

    def test_scripted_editor(self):
        marker = unique()
        editor = os.path.join(self.server.tmp, "editor.sh")
        with open(editor, "w") as f:
            f.write("#!/bin/sh\n"
                    "grep -q '^To: bob@example.test$' \"$1\" || exit 3\n"
                    f"sed -i 's/^Subject: .*/Subject: edited {marker}/; s/^Cc: .*/Cc: carol@example.test/' \"$1\"\n"
                    "printf 'Written in the editor.\\n' >> \"$1\"\n")
        os.chmod(editor, 0o755)
        r = self.client.run("send", "--edit", "--to", "bob@example.test", "--no-sent-copy",
                            env={"EDITOR": editor})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = parse(self.server.read_one(self, "carol@example.test", marker))
        self.assertEqual(m["Subject"], f"edited {marker}")
        self.assertEqual(m["Cc"], "carol@example.test")
        self.assertIn("Written in the editor.", m.get_content())

    def test_editor_abandoned(self):
        editor = os.path.join(self.server.tmp, "noop-editor.sh")
        with open(editor, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(editor, 0o755)
        r = self.client.run("send", "--edit", "--to", "bob@example.test", env={"EDITOR": editor})
        self.assertEqual(r.returncode, 1)
        self.assertIn("aborted: empty message: nothing was sent", r.stderr)
        failing = os.path.join(self.server.tmp, "failing-editor.sh")
        with open(failing, "w") as f:
            f.write("#!/bin/sh\nexit 1\n")
        os.chmod(failing, 0o755)
        r = self.client.run("send", "--edit", "--to", "bob@example.test", env={"EDITOR": failing})
        self.assertEqual(r.returncode, 1)
        self.assertIn("failed; nothing was sent", r.stderr)

    def test_bad_input(self):
        cases = [
            (["send", "--to", "bob", "--subject", "x"], "--to: not an address: \"bob\""),
            (["send", "--subject", "x"], "no recipient: give --to, --cc or --bcc"),
            (["send", "--to", "bob@example.test", "--attach", "/nonexistent/file.pdf"],
             "/nonexistent/file.pdf: No such file or directory"),
            (["send", "--to", "bob@example.test", "--body", "/nonexistent/body"],
             "/nonexistent/body: No such file or directory"),
            (["--name", "other", "send", "--to", "bob@example.test"],
             "no account called \"other\" (there are: main)"),
        ]
        for args, expect in cases:
            with self.subTest(args=args):
                r = self.client.run(*args, input="body\n")
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn(expect, r.stderr)
        # A bad config file: its name, the line and the key.
        with open(self.client.config, "a") as f:
            f.write("colour = \"red\"\n")
        r = self.client.run("send", "--to", "bob@example.test", input="x\n")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"client\.toml:\d+: account\.main\.imap\.colour: unknown key")
        self.client.write()
        # No client.toml at all (the default path under this HOME).
        missing = subprocess.run([binary(), "mail", "send", "--to", "bob@example.test"],
                                 input="x\n", capture_output=True, text=True,
                                 env=self.client.env, timeout=60)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("client.toml: no such file (run `estafeta mail setup` to write one)",
                      missing.stderr)

    def test_no_password_source_and_no_terminal(self):
        self.client.write(password="")
        r = self.client.run("send", "--to", "bob@example.test", "--no-sent-copy", input="x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no terminal to ask for the password of alice@example.test", r.stdout)
        self.client.write()


if __name__ == "__main__":
    unittest.main()
