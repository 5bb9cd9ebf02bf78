# test_mail_read_dovecot: the reading commands of the mail client against a private Dovecot
# (another implementation than ours: LIST with SPECIAL-USE, ESEARCH-free SEARCH answers,
# IDLE, MOVE) started by this test on loopback with its own configuration, users and
# Maildirs. The TLS certificate is the one a throw-away Estafeta data dir makes (the client
# trusts its CA file). Skipped, saying why, when Dovecot is not installed (scripts/deps.sh
# does not install it; the MIME differential tests use it the same way) or when not root
# (Dovecot's login processes need their own users).
import imaplib
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import unittest

from estafeta_harness import binary, unique
from mua_support import wait_watching
from private_dovecot import AVAILABLE, SPECIAL_USE, WHY_NOT, PrivateDovecot

USER = "dora@example.test"
PASSWORD = "dora-Secret-9"
TIMEOUT = 40

MESSAGE = ("From: =?utf-8?q?J=C3=BCrgen?= <juergen@remote.test>\r\nTo: dora@example.test\r\n"
           "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= MARK\r\nDate: Wed, 02 Dec 2026 09:00:00 +0000\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
           "--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hallo &amp; tschüss MARK</p>\r\n"
           "--B\r\nContent-Type: application/octet-stream\r\n"
           "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--B--\r\n")


@unittest.skipUnless(AVAILABLE, WHY_NOT)
class MailReadAgainstDovecot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary()  # skip early without the binary
        cls.tmp = tempfile.mkdtemp(prefix="estafeta-dovecot-mua-")
        os.chmod(cls.tmp, 0o755)
        cls.dovecot = None
        try:
            cls._start()
        except BaseException:
            cls._stop()
            raise

    @classmethod
    def _start(cls):
        cls.dovecot = PrivateDovecot(cls.tmp, USER, PASSWORD, ("imap",), SPECIAL_USE)
        cls.dovecot.start()
        cls.ca, cls.port = cls.dovecot.ca, cls.dovecot.imap_port
        cls.marker = unique("dove")
        ctx = ssl.create_default_context(cafile=cls.ca)
        c = imaplib.IMAP4("127.0.0.1", cls.port, timeout=10)
        c.starttls(ctx)
        c.login(USER, PASSWORD)
        c.create("Archive")
        for i in range(3):
            body = MESSAGE.replace("MARK", f"{cls.marker} {i}").encode("utf-8")
            typ, _ = c.append("INBOX", None, None, body)
            assert typ == "OK"
        c.logout()
        cls.config = os.path.join(cls.tmp, "client.toml")
        with open(cls.config, "w") as f:
            f.write(f'[account.dora]\naddress = "{USER}"\npassword_env = "T_DORA_PW"\n'
                    f'ca_file = "{cls.ca}"\n\n[account.dora.imap]\nhost = "127.0.0.1"\n'
                    f'port = {cls.port}\nsecurity = "starttls"\n')
        os.chmod(cls.config, 0o600)

    @classmethod
    def _stop(cls):
        if getattr(cls, "dovecot", None):
            cls.dovecot.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    def mail(self, *args, ok=True):
        env = dict(os.environ)
        env["T_DORA_PW"] = PASSWORD
        r = subprocess.run([binary(), "mail", "--account", self.config, *args], capture_output=True,
                           text=True, timeout=TIMEOUT, env=env)
        for mark in ("ERROR: AddressSanitizer", "runtime error:"):
            self.assertNotIn(mark, r.stderr)
        if ok:
            self.assertEqual(r.returncode, 0, f"mail {' '.join(args)}: {r.stderr}")
        return r

    def mail_json(self, *args):
        return json.loads(self.mail(*args, "--json").stdout)

    def test_commands(self):
        boxes = {m["name"]: m for m in self.mail_json("mailboxes")["mailboxes"]}
        self.assertEqual(boxes["Trash"]["role"], "trash")
        self.assertEqual(boxes["INBOX"]["messages"], 3)
        self.assertEqual(boxes["INBOX"]["role"], "inbox")
        page = self.mail_json("list", "--page-size", "2")
        self.assertEqual(page["total"], 3)
        self.assertEqual(page["pages"], 2)
        self.assertEqual(page["messages"][0]["subject"], f"Grüße {self.marker} 2")
        self.assertEqual(page["messages"][0]["from_name"], "Jürgen")
        uid = page["messages"][0]["uid"]
        r = self.mail("read", str(uid))
        self.assertIn("From: Jürgen <juergen@remote.test>", r.stdout)
        self.assertIn(f"Hallo & tschüss {self.marker} 2", r.stdout)
        self.assertIn("1. data.bin (application/octet-stream, 4)", r.stdout)
        self.assertTrue(self.mail_json("search", "subject:Grüße", "seen")["total"] >= 1)
        out = os.path.join(self.tmp, "saved")
        self.mail("save-attachments", str(uid), out)
        with open(os.path.join(out, "data.bin"), "rb") as f:
            self.assertEqual(f.read(), b"\x00\x01\x02\x03")
        data = self.mail_json("flag", str(uid), "--flagged")
        self.assertIn("\\Flagged", data["flags"])
        found = self.mail_json("search", self.marker, "flagged")
        self.assertEqual([m["uid"] for m in found["messages"]], [uid])
        self.assertIn(f"moved {uid} from INBOX to Archive", self.mail("move", str(uid), "Archive").stdout)
        self.assertEqual(self.mail_json("list", "Archive")["total"], 1)
        second = page["messages"][1]["uid"]
        self.assertIn("to Trash", self.mail("delete", str(second)).stdout)
        self.assertEqual(self.mail_json("list", "Trash")["total"], 1)
        r = self.mail("read", str(second), ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f'there is no message with UID {second} in "INBOX"', r.stderr)

    def test_watch_sees_an_append(self):
        p = subprocess.Popen([binary(), "mail", "--account", self.config, "watch", "--timeout", "12",
                              "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "T_DORA_PW": PASSWORD})
        try:
            wait_watching(self, p)
            subject = unique("watched")
            ctx = ssl.create_default_context(cafile=self.ca)
            c = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
            c.starttls(ctx)
            c.login(USER, PASSWORD)
            c.append("INBOX", None, None, f"Subject: {subject}\r\nFrom: x@y\r\n\r\nhi\r\n".encode())
            c.logout()
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        events = [json.loads(l) for l in out.splitlines() if l.strip()]
        self.assertEqual([e["message"]["subject"] for e in events], [subject])


if __name__ == "__main__":
    unittest.main()
