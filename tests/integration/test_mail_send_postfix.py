# `estafeta mail send` against Postfix (another SMTP server than ours): the private Postfix of
# test_outbound_postfix (PrivatePostfix: its own config, queue and Maildirs, smtpd on a free
# port of 127.0.0.1, virtual(8) delivery for pf.example) takes a message with a Bcc and an
# attachment from the client; it lands in the recipients' Maildirs with no Bcc header, and a
# recipient Postfix does not know is reported with Postfix's 550 and not queued. The client
# talks to it without TLS and AUTH (security = "none", allowed to loopback only: the test
# Postfix's certificate is self-signed for another name; mynetworks lets 127.0.0.1 send).
# Skipped with the reason when Postfix is not installed or the test is not root.
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from estafeta_harness import binary, free_port, unique
from mail_client_support import SANITIZER_MARKS
from test_outbound_postfix import PF, POSTFIX, PrivatePostfix

DAN = f"dan@{PF}"


@unittest.skipUnless(os.path.exists(POSTFIX), "Postfix is not installed (scripts/deps.sh --test)")
@unittest.skipUnless(hasattr(os, "geteuid") and os.geteuid() == 0, "Postfix starts as root")
class MailSendThroughPostfix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary()
        cls.tmp = tempfile.mkdtemp(prefix="estafeta-mua-postfix-")
        os.chmod(cls.tmp, 0o755)
        cls.postfix = PrivatePostfix(cls.tmp, free_port())
        try:
            cls._start_with_dan()
        except BaseException:
            cls.postfix.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        cls.home = os.path.join(cls.tmp, "home")
        os.makedirs(cls.home)
        cls.config = os.path.join(cls.home, "client.toml")
        with open(cls.config, "w") as f:
            f.write(f'[account.pat]\naddress = "pat@{PF}"\noutbox = "{cls.home}/outbox"\n\n'
                    f'[account.pat.submission]\nhost = "127.0.0.1"\nport = {cls.postfix.port}\n'
                    'security = "none"\n')
        os.chmod(cls.config, 0o600)

    @classmethod
    def _start_with_dan(cls):
        # PrivatePostfix knows pat@pf.example; dan is added to its virtual mailbox map after
        # start() wrote it, then Postfix reloads.
        cls.postfix.start()
        with open(os.path.join(cls.postfix.etc, "vmailbox"), "a") as f:
            f.write(f"{DAN} dan/\n")
        cls.postfix.pf("reload")
        time.sleep(1.0)

    @classmethod
    def tearDownClass(cls):
        cls.postfix.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def mail(self, *args, input=""):
        env = dict(os.environ, HOME=self.home, XDG_DATA_HOME=os.path.join(self.home, "share"))
        r = subprocess.run([binary(), "mail", "--account", self.config, *args], input=input,
                           capture_output=True, text=True, env=env, timeout=60)
        for m in SANITIZER_MARKS:
            self.assertNotIn(m, r.stderr)
        return r

    def wait_find(self, user, marker):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            data = self.postfix.find(user, marker)
            if data is not None:
                return data
            time.sleep(0.1)
        self.fail(f"{marker} never reached {user}\n{self.postfix.log_text()}")

    def test_send_with_bcc_and_attachment(self):
        marker = unique()
        att = os.path.join(self.tmp, "notes.txt")
        with open(att, "w") as f:
            f.write("attached words\n")
        r = self.mail("send", "--to", f"pat@{PF}", "--bcc", DAN, "--subject", marker,
                      "--attach", att, "--no-sent-copy", input=f"through postfix {marker}\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"pat@{PF}: sent (250", r.stdout)
        self.assertIn(f"{DAN}: sent (250", r.stdout)
        for user in ("pat", "dan"):
            data = self.wait_find(user, marker)
            self.assertNotIn(b"\nBcc:", data.split(b"\n\n", 1)[0])
            self.assertIn(b'filename=notes.txt', data)
        # The To recipient's copy names the Bcc recipient nowhere (Postfix adds
        # Delivered-To/X-Original-To only to dan's own copy).
        self.assertNotIn(DAN.encode(), self.wait_find("pat", marker))

    def test_unknown_recipient(self):
        marker = unique()
        r = self.mail("send", "--to", f"pat@{PF}", "--to", f"nobody@{PF}", "--subject", marker,
                      "--no-sent-copy", input="x\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"nobody@{PF}: refused (550", r.stdout)
        self.assertFalse(os.path.isdir(os.path.join(self.home, "outbox", "new")) and
                         os.listdir(os.path.join(self.home, "outbox", "new")))
        self.wait_find("pat", marker)


if __name__ == "__main__":
    unittest.main()
