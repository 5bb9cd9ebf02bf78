# `estafeta mail fetch` against a real Estafeta over POP3 (implicit TLS on the pop3s listener
# and STLS on pop3): new messages land in the account's local Maildir (new/, LF line ends,
# byte-exact otherwise, dot-stuffed lines restored), a second fetch downloads nothing again
# (UIDLs remembered), --delete removes what was stored from the server, a wrong password is a
# clear error and stores nothing.
import os
import unittest

from estafeta_harness import ServerTestCase, unique
from mail_client_support import MailClient


class MailFetchTest(ServerTestCase):
    LISTENERS = {"smtp": ("mx", None), "submission": ("submission", None),
                 "pop3": ("pop3", None), "pop3s": ("pop3s", None)}

    def setUp(self):
        super().setUp()
        self.client = MailClient(self.server, self.server.tmp, address="bob@example.test",
                                 imap=False, pop3=True)

    def deliver(self, marker, body="Hello.\r\n.leading dot\r\n"):
        msg = (f"From: <carol@example.test>\r\nTo: <bob@example.test>\r\nSubject: {marker}\r\n"
               f"Message-ID: <{marker}@example.test>\r\n\r\n{body}")
        with self.server.smtp("mx") as s:
            s.sendmail("carol@example.test", ["bob@example.test"], msg.encode())
        self.server.wait_spool()

    def local(self):
        d = os.path.join(self.client.maildir, "new")
        out = []
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
        return out

    def server_count(self):
        p = self.server.pop3s("bob@example.test")
        n = p.stat()[0]
        p.quit()
        return n

    def test_keep_then_delete_without_duplicates(self):
        m1, m2, m3 = unique(), unique(), unique()
        self.deliver(m1)
        self.deliver(m2)
        before = self.server_count()
        r = self.client.run("fetch")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"{before} new message(s) stored in {self.client.maildir}", r.stdout)
        mails = self.local()
        self.assertEqual(len(mails), before)
        mine = [m for m in mails if m1.encode() in m]
        self.assertEqual(len(mine), 1)
        self.assertIn(b"\nHello.\n.leading dot\n", mine[0])  # LF ends, dot restored
        self.assertNotIn(b"\r\n", mine[0])
        st = os.stat(os.path.join(self.client.maildir, "new", os.listdir(
            os.path.join(self.client.maildir, "new"))[0]))
        self.assertEqual(st.st_mode & 0o777, 0o600)
        # Again: nothing new, nothing duplicated; the server keeps them (default --keep).
        r = self.client.run("fetch", "--keep")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 new message(s)", r.stdout)
        self.assertEqual(len(self.local()), before)
        self.assertEqual(self.server_count(), before)
        # One more arrives; --delete stores it and empties the server.
        self.deliver(m3)
        r = self.client.run("fetch", "--delete")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 new message(s)", r.stdout)
        self.assertIn(f"{before + 1} deleted there", r.stdout)
        self.assertEqual(self.server_count(), 0)
        got = self.local()
        self.assertEqual(len(got), before + 1)
        for m in (m1, m2, m3):
            self.assertEqual(sum(m.encode() in x for x in got), 1, m)
        r = self.client.run("fetch")
        self.assertEqual(r.returncode, 0)
        self.assertIn("0 new message(s) stored", r.stdout)

    def test_stls(self):
        marker = unique()
        self.deliver(marker)
        port_line = f"port = {self.server.pop3s_port}\nsecurity = \"tls\""
        with open(self.client.config) as f:
            text = f.read()
        with open(self.client.config, "w") as f:
            f.write(text.replace(port_line, f"port = {self.server.pop3_port}\nsecurity = \"starttls\""))
        r = self.client.run("fetch")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(sum(marker.encode() in x for x in self.local()), 1)

    def test_wrong_password(self):
        r = self.client.run("fetch", env={"MAIL_PW": "wrong"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("estafeta: authentication failed", r.stderr)
        r = self.client.run("fetch", "--keep", "--delete")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("excludes", r.stderr)


if __name__ == "__main__":
    unittest.main()
