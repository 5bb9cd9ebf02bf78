# test_smtp_bare_lf: smtp.bare_lf. By default a lone LF in message data is refused with
# 550 5.6.2; with "normalize" it is stored as CRLF (what Unix tools that post LF-only files
# expect), while only CRLF "." CRLF ends DATA: an LF "." LF smuggling attempt stays message
# text and the command hidden behind it is never executed.
import unittest

from estafeta_harness import ServerTestCase, unique

ALICE = "alice@example.test"


class BareLfNormalize(ServerTestCase):
    SMTP = {"bare_lf": "normalize"}

    def transaction(self, c):
        c.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<s@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)

    def test_lone_lf_is_stored_as_crlf(self):
        marker = unique("lf")
        c = self.server.raw()
        self.transaction(c)
        c.send(f"Subject: {marker}\nX-Mixed: yes\r\n\nfirst\n..second\nthird\r\n.\r\n".encode())
        self.assertReply(c.reply(), 250, "2.0.0")
        c.close()
        data = self.server.read_one(self, ALICE, marker)
        body = data.split(b"\r\n\r\n", 1)[1]
        self.assertEqual(body, b"first\r\n.second\r\nthird\r\n")
        self.assertNotIn(b"\n", data.replace(b"\r\n", b""))

    def test_lf_dot_lf_does_not_end_data(self):
        marker = unique("smuggle")
        hidden = unique("hidden")
        c = self.server.raw()
        self.transaction(c)
        c.send((f"Subject: {marker}\r\n\r\ntext\n.\nMAIL FROM:<x@remote.test>\n"
                f"RCPT TO:<{ALICE}>\nDATA\nSubject: {hidden}\n\nsmuggled\n.\r\n").encode())
        # Still inside DATA: nothing was answered. The real end comes now.
        c.send(b"\r\n.\r\n")
        self.assertReply(c.reply(), 250, "2.0.0")
        self.assertEqual(c.cmd("QUIT")[0], 221)
        c.close()
        data = self.server.read_one(self, ALICE, marker)
        self.assertIn(f"Subject: {hidden}".encode(), data)  # as text inside the first message
        self.assertEqual(len(self.server.find(ALICE, f"Subject: {hidden}")), 1)


class BareLfRejectedByDefault(ServerTestCase):

    def test_lone_lf_is_refused(self):
        c = self.server.raw()
        c.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<s@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: x\n\nbody\r\n.\r\n")
        self.assertReply(c.reply(), 550, "5.6.2")
        self.assertEqual(c.cmd("NOOP")[0], 250)


if __name__ == "__main__":
    unittest.main()
