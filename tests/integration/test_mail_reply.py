# `estafeta mail reply`, `reply-all` and `forward` against a real Estafeta: the original is
# fetched over IMAP by UID, the answer goes out over submission. Checked on what arrives:
# "Re: "/"Fwd: " without piling up, In-Reply-To and References (RFC 5322 §3.6.4), the quote
# with its attribution line, Reply-To honoured, reply-all without the user's own address, a
# forward inline with the original's headers and attachment or as message/rfc822, and the
# original flagged \Answered / $Forwarded. Bad input: a UID that does not exist.
import email
import email.policy
import os
import unittest

from estafeta_harness import ServerTestCase, unique
from mail_client_support import MailClient


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class MailReplyTest(ServerTestCase):
    LISTENERS = {"smtp": ("mx", None), "submission": ("submission", None),
                 "imap": ("imap", None)}

    def setUp(self):
        super().setUp()
        self.client = MailClient(self.server, self.server.tmp)

    def deliver(self, marker, extra="", body="Original text.\r\nSecond line.\r\n",
                to="Alice <alice@example.test>", content=None):
        msg = (f"From: Bob Example <bob@example.test>\r\nTo: {to}\r\n"
               f"Subject: Re: Re: {marker}\r\nMessage-ID: <{marker}@remote.test>\r\n"
               f"Date: Tue, 01 Dec 2026 10:00:00 +0100\r\n"
               f"References: <root-{marker}@remote.test>\r\n{extra}")
        msg += content if content else f"\r\n{body}"
        with self.server.smtp("mx") as s:
            s.sendmail("bob@example.test", ["alice@example.test"], msg.encode())
        self.server.wait_spool()
        imap = self.server.imap("alice@example.test")
        imap.select("INBOX")
        typ, data = imap.uid("SEARCH", None, "HEADER", "Message-ID", marker)
        imap.logout()
        uids = data[0].split()
        self.assertEqual(len(uids), 1)
        return uids[0].decode()

    def flags(self, uid):
        imap = self.server.imap("alice@example.test")
        imap.select("INBOX", readonly=True)
        typ, data = imap.uid("FETCH", uid, "(FLAGS)")
        imap.logout()
        return data[0].decode()

    def test_reply(self):
        marker = unique()
        uid = self.deliver(marker)
        r = self.client.run("reply", uid, "--no-sent-copy", input="My answer.\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("bob@example.test: sent", r.stdout)
        m = parse(self.server.read_one(self, "bob@example.test", f"<{marker}@remote.test>"))
        self.assertEqual(m["Subject"], f"Re: {marker}")
        self.assertEqual(m["To"], "Bob Example <bob@example.test>")
        self.assertEqual(m["In-Reply-To"], f"<{marker}@remote.test>")
        self.assertEqual(m["References"], f"<root-{marker}@remote.test> <{marker}@remote.test>")
        text = m.get_content().replace("\r\n", "\n")
        self.assertTrue(text.startswith("My answer.\n"), repr(text))
        self.assertIn("Bob Example wrote:\n> Original text.\n> Second line.\n", text)
        self.assertIn("\\Answered", self.flags(uid))

    def test_reply_to_header_and_reply_all(self):
        marker = unique()
        uid = self.deliver(marker, extra="Reply-To: carol@example.test\r\n"
                                          "Cc: info@example.test, alice@example.test\r\n",
                           to="Alice <alice@example.test>, bob@example.test")
        r = self.client.run("reply", uid, "--no-sent-copy", input="to carol\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("carol@example.test: sent", r.stdout)
        self.assertNotIn("bob@example.test", r.stdout)
        r = self.client.run("reply-all", uid, "--no-sent-copy", input="to all\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = sorted(l.split(":")[0] for l in r.stdout.splitlines() if ": sent" in l)
        self.assertEqual(lines, ["bob@example.test", "carol@example.test", "info@example.test"])
        m = parse(self.server.read_one(self, "carol@example.test", "to all"))
        self.assertEqual(m["To"], "carol@example.test, bob@example.test")
        self.assertEqual(m["Cc"], "info@example.test")

    def test_forward_inline_and_as_attachment(self):
        marker = unique()
        content = ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
                   "--zz\r\nContent-Type: text/plain\r\n\r\nThe plan is attached.\r\n"
                   "--zz\r\nContent-Type: application/pdf; name=plan.pdf\r\n"
                   "Content-Disposition: attachment; filename=plan.pdf\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--zz--\r\n")
        uid = self.deliver(marker, content=content)
        r = self.client.run("forward", uid, "--to", "carol@example.test", "--no-sent-copy",
                            input="FYI inline\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = parse(self.server.read_one(self, "carol@example.test", "FYI inline"))
        self.assertEqual(m["Subject"], f"Fwd: Re: {marker}")  # "Re: Re:" not kept twice
        text = m.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("-------- Forwarded Message --------", text)
        self.assertIn("From: Bob Example <bob@example.test>", text)
        self.assertIn("The plan is attached.", text)
        atts = {a.get_filename(): a for a in m.iter_attachments()}
        self.assertEqual(atts["plan.pdf"].get_content(), b"%PDF-1.4\n")
        self.assertIn("$Forwarded", self.flags(uid))

        r = self.client.run("forward", uid, "--to", "carol@example.test", "--attach-original",
                            "--no-sent-copy", input="FYI attached\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = parse(self.server.read_one(self, "carol@example.test", "FYI attached"))
        inner = [p for p in m.walk() if p.get_content_type() == "message/rfc822"]
        self.assertEqual(len(inner), 1)
        embedded = inner[0].get_content()
        self.assertEqual(embedded["Message-ID"], f"<{marker}@remote.test>")

    def test_unknown_uid(self):
        r = self.client.run("reply", "999999", input="x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("999999", r.stderr)
        r = self.client.run("forward", "1", "--mailbox", "NoSuchBox", input="x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("NoSuchBox", r.stderr)


if __name__ == "__main__":
    unittest.main()
