# mua_support: what the mail client's integration tests share (test_mail_read.py,
# test_mail_manage.py): a real Estafeta with IMAP on STARTTLS and implicit TLS, messages
# delivered to alice over SMTP (plain, multipart with attachments, HTML only, non-ASCII
# headers, 8-bit), a client.toml with accounts for alice, bob and carol plus broken ones (a
# wrong password, a closed port, a CA that did not issue the server's certificate), and
# helpers that run `estafeta mail` and check its output and exit code.
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

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


class MailClientCase(ServerTestCase):
    """One server and client.toml per class; no tests of its own."""
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


def wait_watching(test, p, timeout=20):
    """Waits until `mail watch` (Popen with text pipes) says on standard error that it
    watches: it has selected the mailbox and noted its last UID."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([p.stderr], [], [], 1)
        if ready:
            line = p.stderr.readline()
            if not line:
                break
            if line.startswith("watching "):
                return
    test.fail("mail watch did not start: " + (p.stderr.read() if p.poll() is not None else ""))
