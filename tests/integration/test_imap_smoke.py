# test_imap_smoke: the IMAP server end to end with Python's imaplib: a message delivered over
# SMTP is listed, fetched, searched, flagged and expunged over IMAP on 143 (STARTTLS) and 993
# (implicit TLS); LOGIN is refused before TLS. The fuller protocol tests live beside it.
import unittest

from estafeta_harness import ServerTestCase, simple_message, unique

ALICE = "alice@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}


class ImapSmoke(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    def deliver(self, marker):
        with self.server.smtp() as s:
            s.sendmail("bob@remote.test", [ALICE], simple_message(marker, to=ALICE))
        self.server.find(ALICE, marker)  # waits until the file is there

    def test_login_is_refused_before_tls(self):
        c = self.server.imap(starttls=False)
        self.assertIn("LOGINDISABLED", c.capabilities)
        self.assertIn("STARTTLS", c.capabilities)
        typ, data = c._simple_command("LOGIN", ALICE, "x")  # imaplib refuses LOGINDISABLED itself
        self.assertEqual(typ, "NO")
        self.assertIn(b"[PRIVACYREQUIRED]", data[0])
        c.logout()

    def test_delivered_message_is_read_over_starttls_and_implicit_tls(self):
        marker = unique("smoke")
        self.deliver(marker)
        for connect in (self.server.imap, self.server.imaps):
            c = connect(ALICE)
            typ, data = c.select("inbox")  # INBOX in any case
            self.assertEqual(typ, "OK")
            typ, data = c.uid("SEARCH", None, "SUBJECT", marker)
            self.assertEqual(typ, "OK")
            uids = data[0].split()
            self.assertEqual(len(uids), 1)
            typ, data = c.uid("FETCH", uids[0], "(UID FLAGS BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            self.assertIn(marker.encode(), data[0][1])
            self.assertTrue(data[0][1].startswith(b"Return-Path: <bob@remote.test>\r\n"))
            c.logout()

    def test_flag_and_expunge(self):
        marker = unique("expunge")
        self.deliver(marker)
        c = self.server.imap(ALICE)
        c.select("INBOX")
        typ, data = c.uid("SEARCH", None, "SUBJECT", marker)
        uid = data[0].split()[0]
        typ, data = c.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"\\Deleted", data[0])
        typ, data = c.expunge()
        self.assertEqual(typ, "OK")
        typ, data = c.uid("SEARCH", None, "SUBJECT", marker)
        self.assertEqual(data[0], b"")
        c.logout()
        self.assertEqual(self.server.find(ALICE, marker, wait=False), [])


if __name__ == "__main__":
    unittest.main()
