# `estafeta mail fetch` against Dovecot's POP3 server (another implementation than ours):
# a private Dovecot started by this test (own configuration, users and Maildirs, POP3 with
# STLS on a free port of 127.0.0.1, a certificate from a test CA made with openssl that the
# client trusts) holds messages put there over IMAP; fetch stores them in the local Maildir,
# a second fetch stores nothing again, a new message alone is fetched next, --delete empties
# the server. Skipped, saying why, when Dovecot is not installed or the test is not root
# (Dovecot's login processes need their own users).
import imaplib
import os
import poplib
import shutil
import ssl
import subprocess
import tempfile
import unittest

from estafeta_harness import binary, unique
from mail_client_support import SANITIZER_MARKS
from private_dovecot import AVAILABLE, WHY_NOT, PrivateDovecot

USER = "fern@example.test"
PASSWORD = "fern-Secret-7"


@unittest.skipUnless(AVAILABLE, WHY_NOT)
class MailFetchFromDovecot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary()
        cls.tmp = tempfile.mkdtemp(prefix="estafeta-mua-dovecot-pop3-")
        os.chmod(cls.tmp, 0o755)
        cls.dovecot = None
        try:
            cls._start()
        except BaseException:
            cls._stop()
            raise

    @classmethod
    def _start(cls):
        cls.dovecot = PrivateDovecot(cls.tmp, USER, PASSWORD, ("imap", "pop3"))
        cls.dovecot.start()
        cls.ca = cls.dovecot.ca
        cls.imap_port, cls.pop3_port = cls.dovecot.imap_port, cls.dovecot.pop3_port
        cls.home = os.path.join(cls.tmp, "home")
        os.makedirs(cls.home)
        cls.maildir = os.path.join(cls.home, "Maildir")
        cls.config = os.path.join(cls.home, "client.toml")
        with open(cls.config, "w") as f:
            f.write(f'[account.fern]\naddress = "{USER}"\npassword_env = "T_FERN_PW"\n'
                    f'ca_file = "{cls.ca}"\nmaildir = "{cls.maildir}"\n\n'
                    f'[account.fern.pop3]\nhost = "127.0.0.1"\nport = {cls.pop3_port}\n'
                    'security = "starttls"\n')
        os.chmod(cls.config, 0o600)

    @classmethod
    def _stop(cls):
        if getattr(cls, "dovecot", None):
            cls.dovecot.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    def put(self, marker):
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        c.starttls(ssl.create_default_context(cafile=self.ca))
        c.login(USER, PASSWORD)
        msg = (f"From: x@example.test\r\nTo: {USER}\r\nSubject: {marker}\r\n\r\n"
               f"line\r\n.dotted {marker}\r\n")
        typ, _ = c.append("INBOX", None, None, msg.encode())
        c.logout()
        self.assertEqual(typ, "OK")

    def fetch(self, *args):
        env = dict(os.environ, HOME=self.home, T_FERN_PW=PASSWORD,
                   XDG_DATA_HOME=os.path.join(self.home, "share"))
        r = subprocess.run([binary(), "mail", "--account", self.config, "fetch", *args],
                           capture_output=True, text=True, env=env, timeout=60)
        for m in SANITIZER_MARKS:
            self.assertNotIn(m, r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def local(self):
        d = os.path.join(self.maildir, "new")
        out = []
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
        return out

    def test_fetch_twice_then_delete(self):
        a, b, c = unique(), unique(), unique()
        self.put(a)
        self.put(b)
        self.assertIn("2 new message(s)", self.fetch())
        self.assertIn("0 new message(s)", self.fetch("--keep"))
        self.put(c)
        self.assertIn("1 new message(s)", self.fetch())
        got = self.local()
        self.assertEqual(len(got), 3)
        for m in (a, b, c):
            mine = [x for x in got if m.encode() in x]
            self.assertEqual(len(mine), 1)
            self.assertIn(f"\n.dotted {m}\n".encode(), mine[0])
        out = self.fetch("--delete")
        self.assertIn("0 new message(s)", out)
        self.assertIn("3 deleted there", out)
        p = poplib.POP3("127.0.0.1", self.pop3_port, timeout=10)
        p.stls(ssl.create_default_context(cafile=self.ca))
        p.user(USER)
        p.pass_(PASSWORD)
        self.assertEqual(p.stat()[0], 0)
        p.quit()
        self.assertEqual(len(self.local()), 3)


if __name__ == "__main__":
    unittest.main()
